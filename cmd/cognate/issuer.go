package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/cognate-dev/cognate/internal/cluster"
	"github.com/cognate-dev/cognate/internal/config"
	"github.com/cognate-dev/cognate/internal/storage"
)

// issuerBaseURL returns the base of this server's token issuers. A store
// that several servers share records it, so that every server mints and
// accepts the same iss: the first server records issuer_base_url, or its
// own endpoint when that is unset, and a server configured with another
// URL than the recorded one is refused. A store of one server (SQLite)
// uses issuer_base_url, or else the endpoint, as configured.
func issuerBaseURL(ctx context.Context, cfg *config.Config, st store, endpoint string, log *slog.Logger) (string, error) {
	if !backends[cfg.Backend()].shared {
		if cfg.IssuerBaseURL != "" {
			return cfg.IssuerBaseURL, nil
		}
		return endpoint, nil
	}
	base, recorded, err := cluster.Issuer(ctx, st, cfg.IssuerBaseURL, endpoint, time.Now())
	if err != nil {
		return "", err
	}
	if recorded {
		log.Info("recorded the token issuer in the store: every server of this store issues and accepts it", "issuer_base_url", base)
		if cfg.IssuerBaseURL == "" {
			log.Warn("issuer_base_url is not set, so this server's own URL became the issuer of every server of this store; "+
				"set it to the URL clients reach the cluster at, and run `cognate issuer set URL`", "issuer_base_url", base)
		}
	} else if cfg.IssuerBaseURL == "" && base != endpoint {
		log.Info("using the store's token issuer", "issuer_base_url", base)
	}
	return base, nil
}

// runIssuerShow prints the issuer base URL the store records.
func runIssuerShow(ctx context.Context, e env, args []string) int {
	cfg, st, code, ok := openIssuerStore(ctx, "issuer show", e, args, 0)
	if !ok {
		return code
	}
	defer st.Close()
	if !backends[cfg.Backend()].shared {
		fmt.Fprintf(e.stdout, "%s (issuer_base_url, or else each start's own URL: a SQLite store has one server)\n", orEndpoint(cfg.IssuerBaseURL))
		return exitOK
	}
	base, err := cluster.StoredIssuer(ctx, st)
	if errors.Is(err, storage.ErrNotFound) {
		fmt.Fprintln(e.stdout, "none recorded yet: the first server to start records its issuer_base_url, or its own URL")
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "cognate issuer show: %v\n", err)
		return exitError
	}
	fmt.Fprintln(e.stdout, base)
	return exitOK
}

// runIssuerSet records a new issuer base URL in the store.
func runIssuerSet(ctx context.Context, e env, args []string) int {
	cfg, st, code, ok := openIssuerStore(ctx, "issuer set", e, args, 1)
	if !ok {
		return code
	}
	defer st.Close()
	base := cfg.IssuerBaseURL
	if !backends[cfg.Backend()].shared {
		fmt.Fprintln(e.stderr, "cognate issuer set: a SQLite store has one server, which issues tokens under issuer_base_url "+
			"(or its own URL): set issuer_base_url instead")
		return exitError
	}
	old, err := cluster.SetIssuer(ctx, st, base, time.Now())
	if err != nil {
		fmt.Fprintf(e.stderr, "cognate issuer set: %v\n", err)
		return exitError
	}
	if old == base {
		fmt.Fprintf(e.stdout, "the issuer is already %s\n", base)
		return exitOK
	}
	fmt.Fprintf(e.stdout, "issuer set to %s", base)
	if old != "" {
		fmt.Fprintf(e.stdout, " (was %s)", old)
	}
	fmt.Fprintln(e.stdout)
	fmt.Fprintln(e.stderr, "warning: restart every server of this store now, each with this issuer_base_url or none. "+
		"Tokens issued under the old issuer no longer verify, and refresh tokens keep working but mint tokens with the new iss.")
	return exitOK
}

func orEndpoint(s string) string {
	if s == "" {
		return "the listening URL"
	}
	return s
}

// openIssuerStore loads the configuration and opens and migrates the
// store for the issuer commands. With nargs 1, the one argument (before or
// after the flags) is the new issuer base URL, validated and put in
// cfg.IssuerBaseURL.
func openIssuerStore(ctx context.Context, name string, e env, args []string, nargs int) (*config.Config, store, int, bool) {
	var positional []string
	// Flags may come before and after the URL.
	fs, _ := configFlagSet(name, e.stderr)
	rest := args
	var flagArgs []string
	for len(rest) > 0 {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, nil, exitOK, false
			}
			return nil, nil, exitUsage, false
		}
		flagArgs = append(flagArgs, rest[:len(rest)-fs.NArg()]...)
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	if len(positional) != nargs {
		if nargs == 1 {
			fmt.Fprintf(e.stderr, "usage: cognate %s URL [flags]\n", name)
		} else {
			fmt.Fprintf(e.stderr, "usage: cognate %s [flags]\n", name)
		}
		return nil, nil, exitUsage, false
	}
	cfg, warnings, code, ok := loadConfig(name, e, flagArgs)
	if !ok {
		return nil, nil, code, false
	}
	printWarnings(e.stderr, warnings)
	if nargs == 1 {
		u, err := url.Parse(positional[0])
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" ||
			u.User != nil || strings.HasSuffix(positional[0], "/") {
			fmt.Fprintf(e.stderr, "cognate %s: %q must be an http(s) URL without a query, fragment or trailing slash\n", name, positional[0])
			return nil, nil, exitUsage, false
		}
		cfg.IssuerBaseURL = positional[0]
	}
	st, desc, err := openStore(ctx, cfg)
	if err != nil {
		fmt.Fprintf(e.stderr, "cognate %s: %v\n", name, err)
		return nil, nil, exitError, false
	}
	if _, err := st.Migrate(ctx); err != nil {
		st.Close()
		fmt.Fprintf(e.stderr, "cognate %s: migrate %s: %v\n", name, desc, err)
		return nil, nil, exitError, false
	}
	return cfg, st, exitOK, true
}
