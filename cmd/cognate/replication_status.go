package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/cognate-dev/cognate/internal/config"
	"github.com/cognate-dev/cognate/internal/replication"
)

// runReplicationStatus prints what JetStream knows of every region of the
// topology: whether it joined, how many entries its stream holds, and how
// many of each peer's entries it has not applied yet. It reads NATS only,
// so it works while the regions run (a SQLite store stays locked by its
// server) and while a region is down.
func runReplicationStatus(ctx context.Context, e env, args []string) int {
	const name = "replication status"
	// -json is a flag of this command's flag set (configFlagSet), which
	// loadConfig parses; its value is read here.
	asJSON := slices.ContainsFunc(args, func(a string) bool {
		return a == "-json" || a == "--json" || a == "-json=true" || a == "--json=true"
	})
	cfg, _, code, ok := loadConfig(name, e, args)
	if !ok {
		return code
	}
	if !cfg.Replication.On() {
		fmt.Fprintln(e.stderr, "cognate replication status: replication is off (replication.nats_url is not set)")
		return exitError
	}
	url := natsURLOf(cfg.Replication)
	nc, err := nats.Connect(url, nats.Name("cognate replication status"), nats.Timeout(5*time.Second))
	if err != nil {
		fmt.Fprintf(e.stderr, "cognate replication status: connect to %s: %v\n", url, err)
		return exitError
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		fmt.Fprintf(e.stderr, "cognate replication status: %v\n", err)
		return exitError
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	regions, err := replication.TopologyStatus(ctx, js, cfg.Replication.Peers)
	if err != nil {
		fmt.Fprintf(e.stderr, "cognate replication status: %v\n", err)
		return exitError
	}
	if asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(struct {
			NATS    string                     `json:"nats"`
			Regions []replication.RegionStatus `json:"regions"`
		}{url, regions}); err != nil {
			return exitError
		}
		return exitOK
	}
	fmt.Fprintf(e.stdout, "topology of %d regions through %s\n\n", len(regions), url)
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "REGION\tJOINED\tPUBLISHED\tLAST PUBLISHED\tNOTE")
	for _, r := range regions {
		joined := "no"
		if r.Member != nil {
			joined = "yes"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", r.Region, joined, r.Published, stamp(r.LastPublished), r.Error)
	}
	tw.Flush()
	fmt.Fprintln(e.stdout)
	tw = tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "REGION\tAPPLIES\tPENDING\tAPPLIED UP TO\tLAST ACTIVE\tNOTE")
	for _, r := range regions {
		for _, p := range r.Peers {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%s\n", r.Region, p.Peer, p.Pending, p.Applied, stamp(p.LastActive), p.Error)
		}
	}
	tw.Flush()
	return exitOK
}

// natsURLOf returns the URL of the topology's NATS server: the configured
// one, or the embedded server's address.
func natsURLOf(rc config.ReplicationConfig) string {
	if rc.NATSURL != config.ReplicationEmbedded {
		return rc.NATSURL
	}
	host, port, err := net.SplitHostPort(rc.EmbeddedListen)
	if err != nil {
		return "nats://" + rc.EmbeddedListen
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return "nats://" + net.JoinHostPort(host, port)
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}
