package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"

	"github.com/cognate-dev/cognate/internal/config"
	"github.com/cognate-dev/cognate/internal/storage"
	"github.com/cognate-dev/cognate/internal/storage/postgres"
	"github.com/cognate-dev/cognate/internal/storage/sqlite"
)

// store is what cmd/cognate needs of a backend: the Store the engines use,
// and migrations.
type store interface {
	storage.Store
	storage.Migrator
	storage.SchemaGuard
}

var (
	_ store = (*sqlite.DB)(nil)
	_ store = (*postgres.DB)(nil)
)

// backend opens one storage backend.
type backend struct {
	// open opens the store cfg describes.
	open func(ctx context.Context, cfg *config.Config, o storeOptions) (store, error)
	// describe names the store for the start-up screen and the log; it
	// never includes a password.
	describe func(cfg *config.Config) string
	// shared is set for a store that several servers may serve at once,
	// which must then agree on the token issuer (issuerBaseURL).
	shared bool
}

// backends maps config.Backend names to backends. This is the one place
// that picks a backend.
var backends = map[string]backend{
	config.BackendSQLite: {
		open: func(ctx context.Context, cfg *config.Config, _ storeOptions) (store, error) {
			if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
				return nil, fmt.Errorf("create data directory: %w", err)
			}
			return sqlite.Open(ctx, cfg.SQLitePath(), sqlite.Options{
				Region:      cfg.Region,
				Synchronous: cfg.SQLite.Synchronous,
			})
		},
		describe: func(cfg *config.Config) string { return "sqlite (" + cfg.SQLitePath() + ")" },
	},
	config.BackendPostgres: {
		open: func(ctx context.Context, cfg *config.Config, o storeOptions) (store, error) {
			return postgres.Open(ctx, cfg.Database, postgres.Options{Region: cfg.Region, ReadCache: o.readCache, Logger: o.log})
		},
		describe: func(cfg *config.Config) string { return "postgres (" + postgresTarget(cfg.Database) + ")" },
		shared:   true,
	},
}

// storeOptions are what a server asks of its store beyond the
// configuration; the commands that open a store for a moment ask nothing.
type storeOptions struct {
	// readCache turns PostgreSQL's read cache of pools and app clients on
	// (postgres.Options.ReadCache; SQLite's is always on), and log
	// receives its warnings.
	readCache bool
	log       *slog.Logger
}

// openStore opens the configured backend and returns it with its
// description.
func openStore(ctx context.Context, cfg *config.Config) (store, string, error) {
	return openStoreWith(ctx, cfg, storeOptions{})
}

// openStoreWith is openStore with options.
func openStoreWith(ctx context.Context, cfg *config.Config, o storeOptions) (store, string, error) {
	b, ok := backends[cfg.Backend()]
	if !ok {
		// Validate rejects such a database; this guards the map.
		return nil, "", fmt.Errorf("no storage backend for database %q", cfg.Backend())
	}
	desc := b.describe(cfg)
	s, err := b.open(ctx, cfg, o)
	if err != nil {
		return nil, desc, fmt.Errorf("open %s: %w", desc, err)
	}
	return s, desc, nil
}

// postgresTarget returns host[:port]/database of a PostgreSQL URL: enough
// to recognise the server, and never the user or password.
func postgresTarget(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "?"
	}
	host := u.Host
	if host == "" {
		host = u.Query().Get("host") // a Unix socket directory
	}
	if host == "" {
		host = "localhost"
	}
	return host + "/" + strings.TrimPrefix(u.Path, "/")
}
