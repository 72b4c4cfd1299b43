package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cognate-dev/cognate/internal/config"
	"github.com/cognate-dev/cognate/internal/seal"
)

func runConfigValidate(_ context.Context, e env, args []string) int {
	cfg, warnings, code, ok := loadConfig("config validate", e, args)
	if !ok {
		return code
	}
	printWarnings(e.stderr, warnings)
	if problems := preflight(cfg); len(problems) > 0 {
		fmt.Fprintln(e.stderr, "invalid configuration:")
		for _, p := range problems {
			fmt.Fprintf(e.stderr, "  %s\n", p)
		}
		return exitError
	}
	fmt.Fprintln(e.stdout, "config ok")
	return exitOK
}

// runConfigPrint prints the effective configuration, secrets redacted,
// each value followed by where it came from.
func runConfigPrint(_ context.Context, e env, args []string) int {
	src, code, ok := parseConfigFlags("config print", e, args)
	if !ok {
		return code
	}
	cfg, origins, warnings, err := config.LoadWithOrigins(src)
	if err != nil {
		return reportLoadError(e, warnings, err)
	}
	printWarnings(e.stderr, warnings)
	out, err := cfg.Annotated(origins)
	if err != nil {
		fmt.Fprintf(e.stderr, "cognate config print: %v\n", err)
		return exitError
	}
	fmt.Fprint(e.stdout, "# the effective configuration; secrets REDACTED; keys not shown are unset\n", out)
	return exitOK
}

// preflight finds what Validate cannot see from the values alone but
// serve would refuse: a PostgreSQL URL that does not parse as a connection
// string, a data directory serve could not write, and a generated
// encryption key file serve would refuse. It reads the data
// directory and, to learn whether it is writable, creates an empty
// temporary file there (or in its nearest existing parent, when serve
// would create it) and removes it at once; it changes nothing else and
// connects to nothing.
func preflight(cfg *config.Config) []string {
	var problems []string
	if cfg.Backend() == config.BackendPostgres {
		if _, err := pgxpool.ParseConfig(cfg.Database); err != nil {
			// pgx's message hides the password of the URL it quotes.
			problems = append(problems, "database: not a PostgreSQL connection URL: "+err.Error())
		}
	}
	// serve writes the SQLite database, the generated admin key pair and
	// the generated encryption key under data_dir.
	dirOK := true
	if cfg.Backend() == config.BackendSQLite || cfg.Admin.IsZero() || cfg.EncryptionKey == "" {
		if err := probeWritable(cfg.DataDir); err != nil {
			problems = append(problems, fmt.Sprintf("data_dir: %v", err))
			dirOK = false
		}
	}
	// serve refuses a generated encryption key file that others may read,
	// or that does not hold a key; a missing one it generates.
	if cfg.EncryptionKey == "" && dirOK {
		if _, err := seal.ReadKeyFile(cfg.EncryptionKeyPath()); err != nil && !errors.Is(err, fs.ErrNotExist) {
			problems = append(problems, fmt.Sprintf("encryption_key (not set, so the key in %s): %v", cfg.EncryptionKeyPath(), err))
		}
	}
	return problems
}

// probeWritable reports why serve could not write in dir: it must be a
// directory in which a file can be created, or not exist yet below a
// directory in which it can be created.
func probeWritable(dir string) error {
	target := dir
	for {
		fi, err := os.Stat(target)
		if err == nil {
			if !fi.IsDir() {
				if target == dir {
					return fmt.Errorf("%s is not a directory", dir)
				}
				return fmt.Errorf("cannot create %s: %s is not a directory", dir, target)
			}
			break
		}
		if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR) {
			return fmt.Errorf("%s: %v", dir, errors.Unwrap(err))
		}
		parent := filepath.Dir(target)
		if parent == target {
			return fmt.Errorf("cannot create %s", dir)
		}
		target = parent
	}
	f, err := os.CreateTemp(target, ".cognate-validate-*")
	if err != nil {
		if target == dir {
			return fmt.Errorf("%s is not writable", dir)
		}
		return fmt.Errorf("cannot create %s: %s is not writable", dir, target)
	}
	f.Close()
	os.Remove(f.Name())
	return nil
}
