package main

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/cognate-dev/cognate/internal/authflow"
	"github.com/cognate-dev/cognate/internal/config"
	"github.com/cognate-dev/cognate/internal/directory"
	"github.com/cognate-dev/cognate/internal/replication"
	"github.com/cognate-dev/cognate/internal/seal"
	"github.com/cognate-dev/cognate/internal/server"
	"github.com/cognate-dev/cognate/internal/storage/postgres"
)

// startReplication joins the topology of replication.peers through the
// configured NATS server (or one it embeds), refusing to start when this
// region disagrees with the others, and then publishes and applies changes
// in the background until the returned stop is called.
func startReplication(ctx context.Context, cfg *config.Config, st store, master []byte, issuer string,
	metrics *server.Metrics, log *slog.Logger) (stop func(), report func() map[string]any, err error) {
	rc := cfg.Replication
	url := rc.NATSURL
	var embedded *replication.Embedded
	if url == config.ReplicationEmbedded {
		embedded, err = replication.StartEmbedded(rc.EmbeddedListen, filepath.Join(cfg.DataDir, "nats"))
		if err != nil {
			return nil, nil, err
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
		return nil, nil, fmt.Errorf("replication: connect to %s: %w", url, err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		closeAll()
		return nil, nil, fmt.Errorf("replication: %w", err)
	}
	storeID, err := replication.StoreID(ctx, st, time.Now())
	if err != nil {
		nc.Close()
		closeAll()
		return nil, nil, err
	}
	joinCtx, cancelJoin := context.WithTimeout(ctx, 30*time.Second)
	err = replication.Join(joinCtx, js, replication.Member{
		Region: cfg.Region, StoreID: storeID, KeyCheck: seal.CheckValue(master),
		Issuer: issuer, AccountID: cfg.AccountID, Peers: rc.Peers, DefaultPoolRegions: rc.DefaultPoolRegions,
	}, rc.StreamReplicas)
	cancelJoin()
	if err != nil {
		nc.Close()
		closeAll()
		return nil, nil, err
	}
	if err := recordReplicationRegion(ctx, st, cfg.Region, time.Now()); err != nil {
		nc.Close()
		closeAll()
		return nil, nil, err
	}
	node, err := replication.New(replication.Options{
		Store: st, Region: cfg.Region, Peers: rc.Peers, JetStream: js, StreamReplicas: rc.StreamReplicas,
		DefaultPoolRegions: rc.DefaultPoolRegions,
		Merge:              replicationMerges(),
		Yield:              replicationYields(),
		Logger:             log,
	})
	if err != nil {
		nc.Close()
		closeAll()
		return nil, nil, err
	}
	if err := node.EnsureStreams(ctx); err != nil {
		nc.Close()
		closeAll()
		return nil, nil, err
	}
	var active atomic.Bool
	registerReplicationMetrics(metrics.Registerer(), node, rc.Peers, cfg.Region, &active)
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	run := func(ctx context.Context) {
		active.Store(true)
		defer active.Store(false)
		if err := node.Run(ctx); err != nil && ctx.Err() == nil {
			log.Error("replication stopped", "error", err.Error())
		}
	}
	if ls, ok := st.(leaser); ok {
		// Nodes sharing a store take turns: only the lease's holder
		// publishes and consumes.
		go func() {
			defer close(done)
			replicateWithLease(runCtx, ls, cfg.Region, run, log)
		}()
		log.Info("replication waits for the region's lease", "region", cfg.Region, "peers", rc.Peers, "store_id", storeID)
	} else {
		go func() {
			defer close(done)
			run(runCtx)
		}()
		log.Info("replicating", "region", cfg.Region, "peers", rc.Peers, "store_id", storeID)
	}
	return func() {
			cancel()
			<-done
			nc.Close()
			closeAll()
		}, func() map[string]any {
			return map[string]any{"replication": readyReport(cfg.Region, node.Stats(), active.Load())}
		}, nil
}

// replicationMerges are the merge functions of the kinds that have one.
func replicationMerges() map[string]replication.MergeFunc {
	return map[string]replication.MergeFunc{
		directory.UserItemKind: directory.MergeUserReplicas, directory.TOTPStepItemKind: directory.MergeTOTPStepReplicas,
		authflow.LockoutShareItemKind: authflow.MergeLockoutShareReplicas, authflow.DeviceSignInItemKind: authflow.MergeDeviceSignInReplicas,
	}
}

// replicationYields are the functions by which a local item of a kind
// gives up a unique key another region's item claimed first.
func replicationYields() map[string]replication.YieldFunc {
	return map[string]replication.YieldFunc{directory.UserItemKind: directory.YieldUserKey}
}

// replicationReady is the replication part of /ready's body. It reports
// and does not decide: a region cut off from NATS, or behind its peers,
// still serves every request from its own store (docs/regions.md).
type replicationReady struct {
	Region string `json:"region"`
	// Active is true on the node that publishes and applies the region's
	// changes; the other fields are about this node's work, so they stay
	// at zero on the others.
	Active      bool                       `json:"active"`
	Connected   bool                       `json:"connected"`
	Unpublished int64                      `json:"unpublished"`
	ApplyErrors int64                      `json:"apply_errors"`
	Conflicts   int64                      `json:"conflicts"`
	Peers       map[string]replicationPeer `json:"peers"`
}

type replicationPeer struct {
	Pending    uint64  `json:"pending"`
	LagSeconds float64 `json:"lag_seconds"`
	Reachable  bool    `json:"reachable"`
}

func readyReport(region string, s replication.Stats, active bool) replicationReady {
	r := replicationReady{Region: region, Active: active, Connected: s.Connected, Unpublished: s.Unpublished,
		ApplyErrors: s.Errors, Conflicts: s.Conflicts, Peers: map[string]replicationPeer{}}
	for p, ps := range s.Peers {
		r.Peers[p] = replicationPeer{Pending: ps.Pending, LagSeconds: ps.Lag.Seconds(), Reachable: ps.Reachable}
	}
	return r
}

// leaser is a store that several nodes share, which grants the lease that
// picks the one node replicating the region (postgres.DB.TryLease).
type leaser interface {
	TryLease(ctx context.Context, name string) (*postgres.Lease, error)
}

// leaseRetry is how often a node without the region's lease tries to take
// it.
var leaseRetry = 3 * time.Second

// replicateWithLease runs run while this node holds the region's lease,
// and tries to take it every leaseRetry while another node holds it, until
// ctx is done. When the lease's connection is lost, run's context ends at
// once: the lock went with the session, and another node may take it.
func replicateWithLease(ctx context.Context, ls leaser, region string, run func(context.Context), log *slog.Logger) {
	for {
		lease, err := ls.TryLease(ctx, "replication/"+region)
		switch {
		case err != nil && ctx.Err() == nil:
			log.Warn("take the replication lease; trying again", "error", err.Error())
		case lease != nil:
			runLeased(ctx, lease, region, run, log)
		}
		if !sleepCtx(ctx, leaseRetry) {
			return
		}
	}
}

func runLeased(ctx context.Context, lease *postgres.Lease, region string, run func(context.Context), log *slog.Logger) {
	defer lease.Release()
	// A node that held the lease until its session went can take this
	// long to notice and stop.
	select {
	case <-ctx.Done():
		return
	case <-lease.Lost():
		log.Warn("replication lease lost before replication started", "region", region)
		return
	case <-time.After(postgres.LeaseGrace()):
	}
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		run(rctx)
	}()
	log.Info("replicating: this node holds the region's replication lease", "region", region)
	select {
	case <-ctx.Done():
	case <-lease.Lost():
		cancel()
		log.Warn("replication lease lost: this node stopped replicating and waits for the lease again", "region", region)
	case <-stopped:
	}
	cancel()
	<-stopped
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// registerReplicationMetrics exposes the node's counters, and each peer's
// backlog and lag, in /metrics.
func registerReplicationMetrics(reg prometheus.Registerer, node *replication.Node, peers []string, region string, active *atomic.Bool) {
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "cognate_replication_active",
		Help: "1 while this node publishes and applies the region's changes (on PostgreSQL, the node holding the region's replication lease), else 0."},
		func() float64 {
			if active.Load() {
				return 1
			}
			return 0
		}))
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "cognate_replication_connected",
		Help: "1 while this node's connection to NATS is up, else 0."},
		func() float64 {
			if node.Stats().Connected {
				return 1
			}
			return 0
		}))
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "cognate_replication_unpublished_entries",
		Help: "Entries of this region's change log not yet published to its stream (counted up to 10000, on the node that replicates)."},
		func() float64 { return float64(node.Stats().Unpublished) }))
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
	counter("cognate_replication_conflicts_total", "Unique keys (usernames, aliases, domain prefixes) claimed in two regions and settled (the record made first keeps the key), and entries left unapplied when a claim could not be settled.",
		func(s replication.Stats) int64 { return s.Conflicts })
	counter("cognate_replication_apply_errors_total", "Failed attempts to apply an entry of another region (retried).",
		func(s replication.Stats) int64 { return s.Errors })
	counter("cognate_replication_not_held_total", "Entries of other regions about pools this region does not hold, left unapplied.",
		func(s replication.Stats) int64 { return s.NotHeld })
	counter("cognate_replication_replica_copies_total", "Pools copied to this region from snapshots for a new replica.",
		func(s replication.Stats) int64 { return s.Copies })
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

// sharedLockoutRegion is the region under which sign-in shares its
// failure counters with the other regions: the server's, with replication
// on; empty (local counters) without.
func sharedLockoutRegion(cfg *config.Config) string {
	if !cfg.Replication.On() {
		return ""
	}
	return cfg.Region
}
