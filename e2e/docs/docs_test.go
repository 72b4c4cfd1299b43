package docs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cognate-dev/cognate/e2e/proc"
	"github.com/cognate-dev/cognate/internal/storage/storagetest"
)

// block is one fenced block of a page, with the docs-check marker before it.
type block struct {
	// file is the page's path from the repository's root; line is the
	// line of the block's opening fence.
	file string
	line int
	lang string
	// kind is run, server, file, go or skip; arg is the file name of
	// "file" and the reason of "skip".
	kind, arg string
	body      string
}

func (b block) where() string { return fmt.Sprintf("%s:%d", b.file, b.line) }

const markerPrefix = "<!-- docs-check:"

// shellLangs are the info strings of blocks that must carry a marker.
var shellLangs = []string{"sh", "bash", "shell", "console"}

// parsePage returns the marked blocks of a page, and a problem for every
// shell block without a marker and every marker that is malformed or not
// directly before a fenced block.
func parsePage(file string, data []byte) ([]block, []string) {
	var (
		blocks   []block
		problems []string
		pending  *block
	)
	lines := strings.Split(string(data), "\n")
	for i := 0; i < len(lines); i++ {
		l := strings.TrimSpace(lines[i])
		switch {
		case strings.HasPrefix(l, markerPrefix):
			if pending != nil {
				problems = append(problems, fmt.Sprintf("%s:%d: docs-check marker not followed by a fenced block", file, pending.line))
			}
			m, err := parseMarker(l)
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s:%d: %v", file, i+1, err))
				pending = nil
				continue
			}
			m.file, m.line = file, i+1
			pending = &m
		case strings.HasPrefix(l, "```"):
			indent := len(lines[i]) - len(strings.TrimLeft(lines[i], " "))
			lang := strings.TrimSpace(strings.TrimPrefix(l, "```"))
			j := i + 1
			for j < len(lines) && strings.TrimSpace(lines[j]) != "```" {
				j++
			}
			var body []string
			for _, bl := range lines[i+1 : min(j, len(lines))] {
				body = append(body, strings.TrimPrefix(bl, strings.Repeat(" ", indent)))
			}
			switch {
			case pending != nil:
				pending.line, pending.lang, pending.body = i+1, lang, strings.Join(body, "\n")
				blocks = append(blocks, *pending)
			case slices.Contains(shellLangs, lang):
				problems = append(problems, fmt.Sprintf("%s:%d: a %s block without a docs-check marker: put <!-- docs-check: run --> "+
					"(or server, file NAME, go, or skip: REASON) on the line before its fence; see e2e/docs/doc.go", file, i+1, lang))
			}
			pending = nil
			i = j
		case l != "" && pending != nil:
			problems = append(problems, fmt.Sprintf("%s:%d: docs-check marker not directly before a fenced block", file, pending.line))
			pending = nil
		}
	}
	if pending != nil {
		problems = append(problems, fmt.Sprintf("%s:%d: docs-check marker not followed by a fenced block", file, pending.line))
	}
	return blocks, problems
}

// parseMarker reads "<!-- docs-check: KIND [ARG] -->".
func parseMarker(l string) (block, error) {
	inner, ok := strings.CutSuffix(strings.TrimPrefix(l, markerPrefix), "-->")
	if !ok {
		return block{}, errors.New("docs-check marker must end with --> on the same line")
	}
	kind, arg, _ := strings.Cut(strings.TrimSpace(inner), " ")
	kind, arg = strings.TrimSuffix(kind, ":"), strings.TrimSpace(arg)
	switch kind {
	case "run", "server", "go":
		if arg != "" {
			return block{}, fmt.Errorf("docs-check %s takes nothing after it, got %q", kind, arg)
		}
	case "file":
		if arg == "" || strings.ContainsAny(arg, "/ '\"$") {
			return block{}, fmt.Errorf("docs-check file needs a plain file name, got %q", arg)
		}
	case "skip":
		if arg == "" {
			return block{}, errors.New("docs-check skip needs a reason: <!-- docs-check: skip: REASON -->")
		}
	default:
		return block{}, fmt.Errorf("unknown docs-check kind %q (run, server, file NAME, go, skip: REASON)", kind)
	}
	return block{kind: kind, arg: arg}, nil
}

// repoRoot is the repository's root directory.
func repoRoot() string {
	_, here, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(here), "..", "..")
}

// pages returns README.md and docs/*.md, in the order they run.
func pages(t *testing.T, root string) []string {
	t.Helper()
	docs, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	out := []string{"README.md"}
	for _, d := range docs {
		rel, _ := filepath.Rel(root, d)
		out = append(out, rel)
	}
	return out
}

// requireTool finds a command the check needs. Where CI runs, a missing
// tool fails the test; elsewhere the test skips with one loud line.
func requireTool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is required for the docs check (scripts/install-test-deps.sh installs it)", name)
	}
	t.Skipf("docs check SKIPPED: %s is not installed (scripts/install-test-deps.sh installs it)", name)
	return ""
}

var sqliteURLPort = regexp.MustCompile(`\b(localhost|127\.0\.0\.1):9229\b`)

// script is the bash program that runs the blocks in order, against a
// server on port.
func script(blocks []block, port int) string {
	var b strings.Builder
	b.WriteString(`set -euo pipefail
shopt -s expand_aliases
__docs_at='(start)'
__docs_block() { __docs_at=$1; printf '\n#### docs-check: %s (at %ds)\n' "$1" "$SECONDS"; }
__docs_wait_ready() {
  local pid=$! i
  for i in $(seq 1 600); do
    if curl -fsS -o /dev/null "$DOCS_URL/ready" 2>/dev/null; then return 0; fi
    if ! kill -0 "$pid" 2>/dev/null; then echo "the server exited:"; cat "$DOCS_SERVER_LOG"; return 1; fi
    sleep 0.1
  done
  echo "the server was not ready at $DOCS_URL/ready within a minute:"; cat "$DOCS_SERVER_LOG"; return 1
}
__docs_exit() {
  local rc=$?
  if [ "$rc" -ne 0 ]; then printf '\n#### docs-check FAILED at %s (exit status %d)\n' "$__docs_at" "$rc"; fi
  local jobs; jobs=$(jobs -p)
  if [ -n "$jobs" ]; then kill $jobs 2>/dev/null || true; wait 2>/dev/null || true; fi
  exit "$rc"
}
trap __docs_exit EXIT
`)
	for _, bl := range blocks {
		body := sqliteURLPort.ReplaceAllString(bl.body, "${1}:"+strconv.Itoa(port))
		where := shellQuote(bl.where())
		switch bl.kind {
		case "run":
			fmt.Fprintf(&b, "__docs_block %s\n%s\n", where, body)
		case "server":
			fmt.Fprintf(&b, "__docs_block %s\n(\n%s\n) >>\"$DOCS_SERVER_LOG\" 2>&1 &\n__docs_wait_ready\n", where, body)
		case "file":
			fmt.Fprintf(&b, "__docs_block %s\ncat > %s <<'__DOCS_CHECK_EOF__'\n%s\n__DOCS_CHECK_EOF__\n", where, bl.arg, body)
		case "go":
			dir := fmt.Sprintf("docscheck/%s_%d", strings.NewReplacer("/", "_", ".", "_").Replace(bl.file), bl.line)
			fmt.Fprintf(&b, "__docs_block %s\nmkdir -p \"$DOCS_REPO/%s\"\ncat > \"$DOCS_REPO/%s/main.go\" <<'__DOCS_CHECK_EOF__'\n%s\n__DOCS_CHECK_EOF__\n(cd \"$DOCS_REPO\" && go vet ./%s && go run ./%s)\n",
				where, dir, dir, body, dir, dir)
		}
	}
	b.WriteString("__docs_block '(end)'\necho 'docs check OK'\n")
	return b.String()
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// copyRepo copies the repository's files (tracked, and new ones not
// ignored) into dst, as a fresh clone would have them.
func copyRepo(t *testing.T, root, dst string) {
	t.Helper()
	out, err := exec.Command("git", "-C", root, "ls-files", "-z", "--cached", "--others", "--exclude-standard").Output()
	if err != nil {
		t.Fatalf("git ls-files: %v", err)
	}
	for name := range strings.SplitSeq(strings.TrimSuffix(string(out), "\x00"), "\x00") {
		src := filepath.Join(root, name)
		fi, err := os.Lstat(src)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				continue // deleted in the work tree
			}
			t.Fatal(err)
		}
		if !fi.Mode().IsRegular() {
			continue
		}
		data, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		target := filepath.Join(dst, name)
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(target, data, fi.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}
}

// jsLibrary returns a node_modules directory holding the
// amazon-cognito-identity-js version that e2e/js pins. It installs its own
// copy into dir (from npm's cache when it has the version), since e2e/js
// may be installing into its directory at the same moment; without the
// registry it falls back on e2e/js's copy.
func jsLibrary(t *testing.T, root, dir string) string {
	t.Helper()
	var pkg struct {
		Dependencies map[string]string `json:"dependencies"`
	}
	data, err := os.ReadFile(filepath.Join(root, "e2e", "js", "package.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &pkg); err != nil {
		t.Fatal(err)
	}
	version := pkg.Dependencies["amazon-cognito-identity-js"]
	if version == "" {
		t.Fatal("e2e/js/package.json pins no amazon-cognito-identity-js")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, requireTool(t, "npm"), "install", "--no-audit", "--no-fund", "--no-package-lock",
		"--prefer-offline", "--prefix", dir, "amazon-cognito-identity-js@"+version)
	out, err := cmd.CombinedOutput()
	if err == nil {
		return filepath.Join(dir, "node_modules")
	}
	pinned := filepath.Join(root, "e2e", "js", "node_modules")
	if _, statErr := os.Stat(filepath.Join(pinned, "amazon-cognito-identity-js", "package.json")); statErr == nil {
		t.Logf("npm install failed (%v), using e2e/js's copy", err)
		return pinned
	}
	t.Fatalf("npm install: %v\n%s", err, out)
	return ""
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// cleanEnv is the test's environment without the settings that would
// change what the docs' commands do: cognate's COGNATE_* variables, the
// AWS CLI's credentials and profile, a Node module path and a Go install
// directory.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "COGNATE_") || strings.HasPrefix(name, "AWS_") ||
			name == "NODE_PATH" || name == "GOBIN" || name == "PATH" {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// TestDocs builds cognate from a copy of the repository as the README
// says, and runs every checked block of the README and the docs pages in
// one shell, failing at the first that does not work as written.
func TestDocs(t *testing.T) {
	root := repoRoot()
	var (
		blocks   []block
		problems []string
	)
	for _, p := range pages(t, root) {
		data, err := os.ReadFile(filepath.Join(root, p))
		if err != nil {
			t.Fatal(err)
		}
		b, pr := parsePage(p, data)
		blocks, problems = append(blocks, b...), append(problems, pr...)
	}
	if len(problems) > 0 {
		t.Fatalf("docs-check markers:\n%s", strings.Join(problems, "\n"))
	}
	if i := slices.IndexFunc(blocks, func(b block) bool { return b.kind == "server" }); i < 0 || blocks[i].file != "README.md" {
		t.Fatal("the README has no docs-check: server block that starts cognate")
	}
	bash := requireTool(t, "bash")
	for _, tool := range []string{"curl", "aws", "node", "go", "git"} {
		requireTool(t, tool)
	}
	if testing.Short() {
		t.Skip("docs check SKIPPED under -short: it builds cognate and runs the docs' commands")
	}

	work := t.TempDir()
	repo := filepath.Join(work, "repo")
	copyRepo(t, root, repo)
	nodePath := jsLibrary(t, root, filepath.Join(work, "npm"))
	port := freePort(t)
	bin := filepath.Join(work, "bin")
	// curl reads this file: an HTTP error answer fails the command, as the
	// AWS CLI's error answers do.
	if err := os.WriteFile(filepath.Join(work, ".curlrc"), []byte("fail\nsilent\nshow-error\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	prog := filepath.Join(work, "docs-check.sh")
	if err := os.WriteFile(prog, []byte(script(blocks, port)), 0o600); err != nil {
		t.Fatal(err)
	}

	// The commands have the time the package's -timeout leaves them (CI
	// gives 20 minutes; the AWS CLI starts Python for each of its dozens
	// of commands, which takes seconds on a loaded machine), less a minute
	// to stop them and report which block they were at.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if deadline, ok := t.Deadline(); ok {
		ctx, cancel = context.WithDeadline(ctx, deadline.Add(-time.Minute))
		defer cancel()
	}
	cmd := exec.CommandContext(ctx, bash, prog)
	cmd.Dir = repo
	cmd.Env = append(cleanEnv(),
		"PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"GOBIN="+bin,
		"COGNATE_LISTEN=localhost:"+strconv.Itoa(port),
		"AWS_CONFIG_FILE="+filepath.Join(work, "aws-config"),
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(work, "aws-credentials"),
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_PAGER=",
		"CURL_HOME="+work,
		"NODE_PATH="+nodePath,
		"DOCS_URL=http://localhost:"+strconv.Itoa(port),
		"DOCS_SERVER_LOG="+filepath.Join(work, "server.log"),
		"DOCS_REPO="+repo,
	)
	// Its own process group, so that whatever the blocks start in the
	// background (the server) is stopped with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	if ctx.Err() != nil {
		t.Fatalf("the docs' commands did not finish in the time the test's -timeout leaves (%v); the block they were at is named on the last #### line:\n%s", ctx.Err(), out.String())
	}
	if err != nil {
		t.Fatalf("the docs' commands failed (%v); the block that failed is named on the last #### line:\n%s", err, out.String())
	}
	if !strings.HasSuffix(out.String(), "docs check OK\n") {
		t.Fatalf("the docs check did not finish:\n%s", out.String())
	}
	var ran, skipped []string
	for _, b := range blocks {
		if b.kind == "skip" {
			skipped = append(skipped, b.where()+": "+b.arg)
		} else {
			ran = append(ran, b.where()+" ("+b.kind+")")
		}
	}
	t.Logf("ran %d blocks:\n  %s\nnot run:\n  %s\noutput:\n%s", len(ran), strings.Join(ran, "\n  "), strings.Join(skipped, "\n  "), out.String())

	t.Run("InlineCommands", func(t *testing.T) { checkInlineCommands(t, root, filepath.Join(bin, "cognate")) })

	// The README's quick start, checked answer by answer, on PostgreSQL
	// with the cognate the README installed.
	t.Run("QuickstartPostgres", func(t *testing.T) {
		dsn := storagetest.PostgresSchema(t)
		const keyID, secret = "AKIADOCSCHECK0000001", "docs-check-secret-docs-check-secret-0001"
		srv, err := proc.Start(filepath.Join(bin, "cognate"),
			[]string{"COGNATE_ACCESS_KEY_ID=" + keyID, "COGNATE_SECRET_ACCESS_KEY=" + secret},
			"serve", "--listen", "127.0.0.1:0", "--data-dir", t.TempDir(), "--database", dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = srv.Stop() })
		run := exec.CommandContext(ctx, bash, filepath.Join(root, "scripts", "quickstart-cli.sh"), srv.URL)
		run.Env = append(cleanEnv(), "PATH="+os.Getenv("PATH"),
			"AWS_ACCESS_KEY_ID="+keyID, "AWS_SECRET_ACCESS_KEY="+secret,
			"AWS_CONFIG_FILE="+filepath.Join(work, "aws-config"),
			"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(work, "aws-credentials"),
			"AWS_EC2_METADATA_DISABLED=true", "AWS_PAGER=")
		if out, err := run.CombinedOutput(); err != nil {
			t.Fatalf("quickstart-cli.sh on PostgreSQL: %v\n%s\ncognate log:\n%s", err, out, srv.Stderr.String())
		}
	})
}

// TestParsePage checks the markers' grammar: each kind, indented fences,
// and the problems a page can have.
func TestParsePage(t *testing.T) {
	page := "# t\n\n" +
		"<!-- docs-check: run -->\n```sh\necho one\n```\n\n" +
		"<!-- docs-check: skip: needs a cluster -->\n```sh\ncognate --database postgres://db\n```\n\n" +
		"- item\n\n  <!-- docs-check: file a.js -->\n  ```js\n  x()\n  ```\n\n" +
		"```json\n{}\n```\n\n" +
		"```sh\necho unmarked\n```\n\n" +
		"<!-- docs-check: skip -->\n```sh\n```\n\n" +
		"<!-- docs-check: run -->\ntext\n\n" +
		"<!-- docs-check: launch -->\n```sh\n```\n"
	blocks, problems := parsePage("p.md", []byte(page))
	want := []block{
		{file: "p.md", line: 4, lang: "sh", kind: "run", body: "echo one"},
		{file: "p.md", line: 9, lang: "sh", kind: "skip", arg: "needs a cluster", body: "cognate --database postgres://db"},
		{file: "p.md", line: 16, lang: "js", kind: "file", arg: "a.js", body: "x()"},
	}
	if diff := cmp.Diff(want, blocks, cmp.AllowUnexported(block{})); diff != "" {
		t.Errorf("blocks (-want +got):\n%s", diff)
	}
	wantProblems := []string{
		"p.md:24: a sh block without a docs-check marker: put <!-- docs-check: run --> (or server, file NAME, go, or skip: REASON) on the line before its fence; see e2e/docs/doc.go",
		"p.md:28: docs-check skip needs a reason: <!-- docs-check: skip: REASON -->",
		"p.md:29: a sh block without a docs-check marker: put <!-- docs-check: run --> (or server, file NAME, go, or skip: REASON) on the line before its fence; see e2e/docs/doc.go",
		"p.md:32: docs-check marker not directly before a fenced block",
		"p.md:35: unknown docs-check kind \"launch\" (run, server, file NAME, go, skip: REASON)",
		"p.md:36: a sh block without a docs-check marker: put <!-- docs-check: run --> (or server, file NAME, go, or skip: REASON) on the line before its fence; see e2e/docs/doc.go",
	}
	if diff := cmp.Diff(wantProblems, problems); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

// notCommands are inline code spans that start with "cognate " without
// being a command line, and why.
var notCommands = map[string]string{
	"cognate …":       "stands for any command",
	"cognate stopped": "a log message (docs/operations.md)",
}

var inlineCognate = regexp.MustCompile("`(cognate(?: [^`]*)?)`")

// fenced matches a fenced block, whose spans are not inline code.
var fenced = regexp.MustCompile("(?ms)^ *```.*?^ *```")

// checkInlineCommands checks that every cognate command line the pages
// name in inline code (`cognate bench --load-users N`) is a command of
// bin, and that each flag it shows is one of that command's flags, as the
// command's -h lists them.
func checkInlineCommands(t *testing.T, root, bin string) {
	help, err := exec.Command(bin, "help").CombinedOutput()
	if err != nil {
		t.Fatalf("cognate help: %v\n%s", err, help)
	}
	var known []string
	_, list, _ := strings.Cut(string(help), "commands:\n")
	for line := range strings.SplitSeq(list, "\n") {
		if !strings.HasPrefix(line, "  ") {
			break
		}
		name, _, _ := strings.Cut(strings.TrimSpace(line), "  ")
		known = append(known, strings.TrimSpace(name))
	}
	if !slices.Contains(known, "serve") {
		t.Fatalf("no command list in cognate help:\n%s", help)
	}
	usage := map[string]string{}
	for _, p := range pages(t, root) {
		data, err := os.ReadFile(filepath.Join(root, p))
		if err != nil {
			t.Fatal(err)
		}
		text := fenced.ReplaceAllString(string(data), "")
		for _, m := range inlineCognate.FindAllStringSubmatch(text, -1) {
			span := m[1]
			if _, ok := notCommands[span]; ok {
				continue
			}
			words := strings.Fields(span)[1:]
			cmd := "serve"
			if len(words) > 0 && !strings.HasPrefix(words[0], "-") {
				cmd = ""
				for _, k := range known {
					n := len(strings.Fields(k))
					if n <= len(words) && strings.Join(words[:n], " ") == k && len(k) > len(cmd) {
						cmd = k
					}
				}
				if cmd == "" {
					t.Errorf("%s: `%s` names no command of cognate (%s); if it is not a command line, add it to notCommands in e2e/docs", p, span, strings.Join(known, ", "))
					continue
				}
			}
			if _, ok := usage[cmd]; !ok {
				out, err := exec.Command(bin, append(strings.Fields(cmd), "-h")...).CombinedOutput()
				if err != nil {
					t.Errorf("cognate %s -h: %v\n%s", cmd, err, out)
				}
				usage[cmd] = string(out)
			}
			for _, w := range words {
				if !strings.HasPrefix(w, "-") || w == "-h" || w == "--help" {
					continue
				}
				name, _, _ := strings.Cut(strings.TrimLeft(w, "-"), "=")
				if !regexp.MustCompile(`(?m)^\s+-` + regexp.QuoteMeta(name) + `\b`).MatchString(usage[cmd]) {
					t.Errorf("%s: `%s`: cognate %s has no flag -%s", p, span, cmd, name)
				}
			}
		}
	}
}
