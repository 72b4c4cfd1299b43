package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/cognate-dev/cognate/internal/storage"
)

// compactChangeLog compacts st's change log at once and then every
// interval until ctx is done, removing what is older than retention and no
// longer needed (storage.Store.CompactChanges). Failures are logged; the
// next round tries again. On PostgreSQL every node runs it, and their
// batches take turns.
func compactChangeLog(ctx context.Context, st storage.Store, retention, interval time.Duration, log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		start := time.Now()
		n, err := st.CompactChanges(ctx, start.Add(-retention))
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			log.Warn("change log compaction failed", "err", err, "removed", n)
		case n > 0:
			log.Info("compacted the change log", "removed", n, "retention", retention.String(), "took", time.Since(start).String())
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
