package main

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/cognate-dev/cognate/internal/config"
	"github.com/cognate-dev/cognate/internal/directory"
	"github.com/cognate-dev/cognate/internal/replication"
	"github.com/cognate-dev/cognate/internal/seal"
	"github.com/cognate-dev/cognate/internal/server"
)

// startReplication joins the topology of replication.peers through the
// configured NATS server (or one it embeds), refusing to start when this
// region disagrees with the others, and then publishes and applies changes
// in the background until the returned stop is called.
func startReplication(ctx context.Context, cfg *config.Config, st store, master []byte, issuer string,
	metrics *server.Metrics, log *slog.Logger) (stop func(), err error) {
	rc := cfg.Replication
	url := rc.NATSURL
	var embedded *replication.Embedded
	if url == config.ReplicationEmbedded {
		embedded, err = replication.StartEmbedded(rc.EmbeddedListen, filepath.Join(cfg.DataDir, "nats"))
		if err != nil {
			return nil, err
		}
		url = embedded.URL()
		log.Info("embedded NATS server", "url", url)
	}
	closeAll := func() {
		if embedded != nil {
			embedded.Close()
		}
	}
	nc, err := nats.Connect(url, nats.Name("cognate "+cfg.Region), nats.MaxReconnects(-1), nats.ReconnectWait(time.Second))
	if err != nil {
		closeAll()
		return nil, fmt.Errorf("replication: connect to %s: %w", url, err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		closeAll()
		return nil, fmt.Errorf("replication: %w", err)
	}
	storeID, err := replication.StoreID(ctx, st, time.Now())
	if err != nil {
		nc.Close()
		closeAll()
		return nil, err
	}
	joinCtx, cancelJoin := context.WithTimeout(ctx, 30*time.Second)
	err = replication.Join(joinCtx, js, replication.Member{
		Region: cfg.Region, StoreID: storeID, KeyCheck: seal.CheckValue(master),
		Issuer: issuer, AccountID: cfg.AccountID, Peers: rc.Peers,
	}, rc.StreamReplicas)
	cancelJoin()
	if err != nil {
		nc.Close()
		closeAll()
		return nil, err
	}
	node, err := replication.New(replication.Options{
		Store: st, Region: cfg.Region, Peers: rc.Peers, JetStream: js, StreamReplicas: rc.StreamReplicas,
		Merge: map[string]replication.MergeFunc{
			directory.UserItemKind: directory.MergeUserReplicas, directory.TOTPStepItemKind: directory.MergeTOTPStepReplicas,
		},
		Logger: log,
	})
	if err != nil {
		nc.Close()
		closeAll()
		return nil, err
	}
	if err := node.EnsureStreams(ctx); err != nil {
		nc.Close()
		closeAll()
		return nil, err
	}
	registerReplicationMetrics(metrics.Registerer(), node, rc.Peers, cfg.Region)
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := node.Run(runCtx); err != nil && runCtx.Err() == nil {
			log.Error("replication stopped", "error", err.Error())
		}
	}()
	log.Info("replicating", "region", cfg.Region, "peers", rc.Peers, "store_id", storeID)
	return func() {
		cancel()
		<-done
		nc.Close()
		closeAll()
	}, nil
}

// registerReplicationMetrics exposes the node's counters, and each peer's
// backlog and lag, in /metrics.
func registerReplicationMetrics(reg prometheus.Registerer, node *replication.Node, peers []string, region string) {
	counter := func(name, help string, f func(replication.Stats) int64) {
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help},
			func() float64 { return float64(f(node.Stats())) }))
	}
	counter("cognate_replication_published_total", "Change-log entries of this region published to its stream.",
		func(s replication.Stats) int64 { return s.Published })
	counter("cognate_replication_applied_total", "Entries of other regions applied here.",
		func(s replication.Stats) int64 { return s.Applied })
	counter("cognate_replication_skipped_total", "Entries of other regions dropped as older than the local state.",
		func(s replication.Stats) int64 { return s.Skipped })
	counter("cognate_replication_merged_total", "Merges of security state that wrote a new local state.",
		func(s replication.Stats) int64 { return s.Merged })
	counter("cognate_replication_conflicts_total", "Entries of other regions not applied because a local item holds one of their unique keys.",
		func(s replication.Stats) int64 { return s.Conflicts })
	counter("cognate_replication_apply_errors_total", "Failed attempts to apply an entry of another region (retried).",
		func(s replication.Stats) int64 { return s.Errors })
	for _, p := range peers {
		if p == region {
			continue
		}
		labels := prometheus.Labels{"peer": p}
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "cognate_replication_pending_entries",
			Help: "Entries of the peer's stream not yet applied here.", ConstLabels: labels},
			func() float64 { return float64(node.Stats().Peers[p].Pending) }))
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "cognate_replication_lag_seconds",
			Help: "Age of the peer's last entry applied here while entries are pending, else 0.", ConstLabels: labels},
			func() float64 { return node.Stats().Peers[p].Lag.Seconds() }))
	}
}
