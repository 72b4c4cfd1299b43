package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/cognate-dev/cognate/internal/config"
	"github.com/cognate-dev/cognate/internal/replication"
)

// runReplicationReseed rebuilds this region's copy of its pools from the
// snapshots of its peers' running servers (docs/regions.md#re-seeding-a-region):
// for a region that joins a topology, or one cut off for longer than
// change_log.retention. It opens the region's store, so the region's
// servers must be stopped; with nats_url: embedded it runs the embedded
// NATS server meanwhile, for the peers to answer through.
func runReplicationReseed(ctx context.Context, e env, args []string) int {
	const name = "replication reseed"
	cfg, _, code, ok := loadConfig(name, e, args)
	if !ok {
		return code
	}
	fs, _ := configFlagSet(name, io.Discard)
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	replace := fs.Lookup("replace").Value.String() == "true"
	var from []string
	for r := range strings.SplitSeq(fs.Lookup("from").Value.String(), ",") {
		if r = strings.TrimSpace(r); r != "" {
			from = append(from, r)
		}
	}
	fail := func(format string, args ...any) int {
		fmt.Fprintf(e.stderr, "cognate replication reseed: "+format+"\n", args...)
		return exitError
	}
	rc := cfg.Replication
	if !rc.On() {
		return fail("replication is off (replication.nats_url is not set)")
	}
	for _, r := range from {
		if r == cfg.Region || !slices.Contains(rc.Peers, r) {
			return fail("-from: %s is not another region of replication.peers", r)
		}
	}
	st, desc, err := openStore(ctx, cfg)
	if err != nil {
		return fail("%v", err)
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		return fail("migrate %s: %v", desc, err)
	}
	url := natsURLOf(rc)
	if rc.NATSURL == config.ReplicationEmbedded {
		embedded, err := replication.StartEmbedded(rc.EmbeddedListen, cfg.DataDir+"/nats")
		if err != nil {
			return fail("%v", err)
		}
		defer embedded.Close()
		url = embedded.URL()
	}
	nc, err := nats.Connect(url, nats.Name("cognate replication reseed "+cfg.Region), nats.Timeout(5*time.Second))
	if err != nil {
		return fail("connect to %s: %v", url, err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return fail("%v", err)
	}
	node, err := replication.New(replication.Options{Store: st, Region: cfg.Region, Peers: rc.Peers, JetStream: js,
		DefaultPoolRegions: rc.DefaultPoolRegions, Merge: replicationMerges(), Yield: replicationYields(), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return fail("%v", err)
	}
	rep, err := node.Reseed(ctx, from, replace)
	if err != nil {
		return fail("%v", err)
	}
	fmt.Fprintf(e.stdout, "region %s re-seeded from %s: %d records applied\n", cfg.Region, sourcesText(from), rep.Applied)
	for _, l := range []struct {
		what  string
		pools []string
	}{{"removed first", rep.Forgotten}, {"copied", rep.Copied}, {"held elsewhere, not here (replica records only)", rep.Skipped}} {
		if len(l.pools) > 0 {
			fmt.Fprintf(e.stdout, "%s: %s\n", l.what, strings.Join(l.pools, " "))
		}
	}
	return exitOK
}

func sourcesText(from []string) string {
	if len(from) == 0 {
		return "every other peer"
	}
	return strings.Join(from, ", ")
}
