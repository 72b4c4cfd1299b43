package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/cognate-dev/cognate/internal/config"
)

// version is the release, set at build time with
// -ldflags "-X main.version=v0.1.0".
var version = "v0.1.0-dev"

// Exit codes.
const (
	exitOK      = 0
	exitError   = 1 // a runtime error, or a configuration with problems
	exitUsage   = 2 // a command line that does not parse
	usageHeader = `usage: cognate [command] [flags]

commands:
`
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// After the first signal starts the graceful shutdown, a second
		// one ends the process at once.
		<-ctx.Done()
		stop()
	}()
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// env is what a command reads and writes besides its arguments, so that
// tests can run commands in-process.
type env struct {
	getenv func(string) string
	stdout io.Writer
	stderr io.Writer
}

// command is one sub-command.
type command struct {
	// name is the words that select it, e.g. "config validate".
	name    string
	summary string
	run     func(ctx context.Context, e env, args []string) int
}

// commands lists the sub-commands; serve is the default. It is set in
// init, since the commands' help reads it.
var commands []command

func init() { commands = commandList }

var commandList = []command{
	{"serve", "run the server (the default command)", runServe},
	{"migrate", "apply pending schema migrations and exit", runMigrate},
	{"config validate", "load the configuration and report every problem serve would refuse it for", runConfigValidate},
	{"config print", "print the effective configuration, secrets redacted, with where each value came from", runConfigPrint},
	{"issuer show", "print the token issuer base URL the store records", runIssuerShow},
	{"issuer set", "record a new token issuer base URL in a shared store (tokens issued before stop verifying)", runIssuerSet},
	{"replication status", "show every region's replication: joined, published, and each peer's entries not yet applied", runReplicationStatus},
	{"replication reseed", "rebuild this region's copy of its pools from its peers' snapshots (the region's servers stopped)", runReplicationReseed},
	{"replication conflicts", "list the users that gave up a username or alias to a user made first in another region, with what each gave up", runReplicationConflicts},
	{"bench", "measure a Cognito-compatible endpoint under load (see cognate bench -h)", runBench},
	{"console add-admin", "create an operator of the admin console and print a temporary password", runConsoleAddAdmin},
	{"version", "print the version", runVersion},
}

// run is main without the process: it runs the command that args select
// and returns the exit code.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	e := env{getenv: getenv, stdout: stdout, stderr: stderr}
	if len(args) > 0 {
		switch args[0] {
		case "help", "-h", "-help", "--help":
			if args[0] == "help" && len(args) > 1 {
				// "cognate help config print" is "cognate config print -h".
				return run(ctx, append(args[1:], "-h"), getenv, stdout, stderr)
			}
			usage(stdout)
			return exitOK
		}
	}
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return runServe(ctx, e, args)
	}
	for _, c := range commands {
		words := strings.Fields(c.name)
		if len(args) >= len(words) && strings.Join(args[:len(words)], " ") == c.name {
			return c.run(ctx, e, args[len(words):])
		}
	}
	unknown := strings.Join(args[:min(2, len(args))], " ")
	fmt.Fprintf(stderr, "cognate: unknown command %q%s\n\n", unknown, suggestCommand(args))
	usage(stderr)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprint(w, usageHeader)
	for _, c := range commands {
		// Two spaces at least between a name and its summary, however
		// long the name.
		sep := " "
		if len(c.name) >= 16 {
			sep = "  "
		}
		fmt.Fprintf(w, "  %-16s%s%s\n", c.name, sep, c.summary)
	}
	fmt.Fprint(w, "\nRun 'cognate COMMAND -h' (or 'cognate help COMMAND') for the flags of one command.\n")
	fmt.Fprint(w, "\nflags of serve, migrate, config validate and config print:\n")
	fs, _ := configFlagSet("serve", io.Discard)
	fs.SetOutput(w)
	fs.PrintDefaults()
	fmt.Fprint(w, "\nEvery setting can also come from the config file, and most from COGNATE_* environment variables\n"+
		"(docs/configuration.md lists each key with its variable); flags win over the environment, which\n"+
		"wins over the file.\n")
}

// configFlags are the flags that commands which load the configuration
// share.
type configFlags struct {
	fs   *flag.FlagSet
	file *string
}

// flagKeys maps flag names to the config key paths they set.
var flagKeys = map[string]string{
	"listen":       "listen",
	"data-dir":     "data_dir",
	"database":     "database",
	"pprof-listen": "pprof_listen",
}

func configFlagSet(name string, output io.Writer) (*flag.FlagSet, configFlags) {
	fs := flag.NewFlagSet("cognate "+name, flag.ContinueOnError)
	fs.SetOutput(output)
	fs.Usage = func() {
		synopsis := "[flags]"
		if name == "issuer set" {
			synopsis = "URL [flags]"
		}
		fmt.Fprintf(fs.Output(), "usage: cognate %s %s\n\n%s.\n\nflags:\n", name, synopsis, summaryOf(name))
		fs.PrintDefaults()
	}
	fs.String("listen", "", "host:port to listen on (default localhost:9229; port 0 picks a free port)")
	fs.String("data-dir", "", "directory of the SQLite database and the generated admin key (default ./cognate-data)")
	fs.String("database", "", `"sqlite" (default) or a postgres:// URL`)
	fs.String("pprof-listen", "", "loopback host:port to serve Go's runtime profiles on, under /debug/pprof/ (default off)")
	if name == "replication status" {
		fs.Bool("json", false, "print the status as JSON")
	}
	if name == "replication conflicts" {
		fs.String("pool", "", "list the losers of this user pool `ID` only (default every pool of the store)")
		fs.Bool("json", false, "print the list as JSON")
	}
	if name == "replication reseed" {
		fs.String("from", "", "comma-separated `regions` to copy from (default every other peer; each must answer)")
		fs.Bool("replace", false, "first remove the pools the sources hold, or that name a source among their replicas, with this region's unpublished changes to them")
	}
	file := fs.String("config", "", "YAML or JSON config `file`")
	return fs, configFlags{fs: fs, file: file}
}

// parseConfigFlags parses args and returns the config sources they name,
// or an exit code when the command line does not parse (or asks for help).
func parseConfigFlags(name string, e env, args []string) (config.Sources, int, bool) {
	fs, cf := configFlagSet(name, e.stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return config.Sources{}, exitOK, false
		}
		suggestFlag(e, name, fs, err)
		return config.Sources{}, exitUsage, false
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(e.stderr, "cognate %s: unexpected argument %q\n", name, fs.Arg(0))
		fs.Usage()
		return config.Sources{}, exitUsage, false
	}
	src := config.Sources{File: *cf.file, Env: e.getenv, Flags: map[string]string{}}
	fs.Visit(func(f *flag.Flag) {
		if key, ok := flagKeys[f.Name]; ok {
			src.Flags[key] = f.Value.String()
		}
	})
	return src, exitOK, true
}

// loadConfig parses the flags and loads the configuration. On failure it
// reports the problems (and any deprecation warnings) on stderr and returns
// the exit code; on success the caller reports the warnings its own way.
func loadConfig(name string, e env, args []string) (*config.Config, []string, int, bool) {
	src, code, ok := parseConfigFlags(name, e, args)
	if !ok {
		return nil, nil, code, false
	}
	cfg, warnings, err := config.Load(src)
	if err != nil {
		return nil, nil, reportLoadError(e, warnings, err), false
	}
	return cfg, warnings, exitOK, true
}

// reportLoadError reports what config.Load refused on stderr, with any
// deprecation warnings, and returns the exit code.
func reportLoadError(e env, warnings []string, err error) int {
	printWarnings(e.stderr, warnings)
	var problems config.ValidationErrors
	if errors.As(err, &problems) {
		fmt.Fprintln(e.stderr, "invalid configuration:")
		for _, p := range problems {
			fmt.Fprintf(e.stderr, "  %s\n", p)
		}
	} else {
		fmt.Fprintf(e.stderr, "cognate: %v\n", err)
	}
	return exitError
}

// summaryOf returns the one-line summary of the command name.
func summaryOf(name string) string {
	for _, c := range commands {
		if c.name == name {
			return strings.ToUpper(c.summary[:1]) + c.summary[1:]
		}
	}
	return ""
}

// suggestCommand returns `; did you mean "serve"?` for the command
// nearest to the unknown one args start with, or "".
func suggestCommand(args []string) string {
	var names []string
	for _, c := range commands {
		names = append(names, c.name)
	}
	// Compare as many words as the candidate has.
	for _, n := range []int{2, 1} {
		if len(args) < n {
			continue
		}
		if s := config.Nearest(strings.Join(args[:n], " "), names); s != "" {
			return fmt.Sprintf("; did you mean %q?", s)
		}
	}
	return ""
}

// suggestFlag tells, after the flag package's own message, which defined
// flag a misspelt one most likely meant.
func suggestFlag(e env, name string, fs *flag.FlagSet, err error) {
	bad, ok := strings.CutPrefix(err.Error(), "flag provided but not defined: ")
	if !ok {
		return
	}
	var defined []string
	fs.VisitAll(func(f *flag.Flag) { defined = append(defined, f.Name) })
	if s := config.Nearest(strings.TrimLeft(bad, "-"), defined); s != "" {
		fmt.Fprintf(e.stderr, "cognate %s: did you mean --%s?\n", name, s)
	}
}

// newLogger returns the JSON (or text) logger on w that cfg asks for.
func newLogger(cfg config.LogConfig, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.SlogLevel()}
	if cfg.Format == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

func runVersion(_ context.Context, e env, args []string) int {
	if len(args) == 1 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
		fmt.Fprintf(e.stderr, "usage: cognate version\n\n%s.\n", summaryOf("version"))
		return exitOK
	}
	if len(args) > 0 {
		fmt.Fprintf(e.stderr, "cognate version: unexpected argument %q\n", args[0])
		return exitUsage
	}
	fmt.Fprintf(e.stdout, "cognate %s\n", version)
	return exitOK
}

func printWarnings(w io.Writer, warnings []string) {
	for _, msg := range warnings {
		fmt.Fprintf(w, "warning: %s\n", msg)
	}
}
