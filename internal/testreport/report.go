package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
)

// event is one line of go test -json (cmd/test2json), with the build
// events go test adds for packages that do not compile.
type event struct {
	Action     string
	Package    string
	Test       string
	Output     string
	ImportPath string
}

// skipped is a test that skipped and the reason it gave.
type skipped struct {
	pkg, test, reason string
}

// outputLine is one output event of a package: the test it belongs to
// ("" for the package itself) and its text.
type outputLine struct {
	test, text string
}

// pkgState is what is kept of a package until it finishes.
type pkgState struct {
	lines []outputLine
	// results are the final actions (pass, fail, skip) of its tests.
	results map[string]string
	skipped []skipped
}

// report turns go test -json events into go test's plain output plus the
// skipped tests.
type report struct {
	w       io.Writer
	pkgs    map[string]*pkgState
	order   []string
	skipped []skipped
	failed  bool
}

func newReport(w io.Writer) *report {
	return &report{w: w, pkgs: map[string]*pkgState{}}
}

// read handles every line of in, then writes the summary.
func (r *report) read(in io.Reader) error {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 0, 64*1024), 16*1024*1024)
	for sc.Scan() {
		line := sc.Bytes()
		var ev event
		if len(line) == 0 || line[0] != '{' || json.Unmarshal(line, &ev) != nil {
			// Not an event (go test writes some failures as text):
			// passed on as it is.
			fmt.Fprintf(r.w, "%s\n", line)
			continue
		}
		r.handle(ev)
	}
	if err := sc.Err(); err != nil {
		return err
	}
	r.finish()
	return nil
}

func (r *report) pkg(name string) *pkgState {
	p := r.pkgs[name]
	if p == nil {
		p = &pkgState{results: map[string]string{}}
		r.pkgs[name] = p
		r.order = append(r.order, name)
	}
	return p
}

func (r *report) handle(ev event) {
	switch {
	case ev.Action == "build-output":
		// What go test prints of a package that does not compile.
		io.WriteString(r.w, ev.Output)
		return
	case ev.Action == "build-fail":
		r.failed = true
		return
	case ev.Package == "":
		return
	}
	p := r.pkg(ev.Package)
	switch ev.Action {
	case "output":
		p.lines = append(p.lines, outputLine{ev.Test, ev.Output})
	case "pass", "fail", "skip":
		if ev.Test != "" {
			p.results[ev.Test] = ev.Action
			if ev.Action == "skip" {
				p.skipped = append(p.skipped, skipped{ev.Package, ev.Test, skipReason(p.lines, ev.Test)})
			}
			return
		}
		r.finishPackage(ev.Package, p, ev.Action == "fail")
	}
}

// finishPackage writes what go test writes of a finished package: its
// summary line when it passed or has no tests, every line of the package
// and of its failed or unfinished tests when it failed. Then comes a loud
// line for each reason its tests skipped for.
func (r *report) finishPackage(name string, p *pkgState, failed bool) {
	delete(r.pkgs, name)
	r.order = slices.DeleteFunc(r.order, func(n string) bool { return n == name })
	for _, l := range p.lines {
		switch {
		case failed:
			if l.test != "" && (p.results[l.test] == "pass" || p.results[l.test] == "skip") {
				continue
			}
			if strings.HasPrefix(l.text, "=== ") {
				continue
			}
		case l.test != "" || !(strings.HasPrefix(l.text, "ok  \t") || strings.HasPrefix(l.text, "?   \t")):
			continue
		}
		io.WriteString(r.w, l.text)
	}
	if failed {
		r.failed = true
	}
	for _, g := range groupSkips(p.skipped) {
		var what string
		if len(g.tests) <= 3 {
			names := make([]string, len(g.tests))
			for i, t := range g.tests {
				names[i] = t.test
			}
			what = strings.Join(names, ", ")
		} else {
			what = fmt.Sprintf("%d tests (listed at the end)", len(g.tests))
		}
		fmt.Fprintf(r.w, "#### SKIPPED in %s: %s: %s\n", name, what, g.reason)
	}
	r.skipped = append(r.skipped, p.skipped...)
}

// finish writes the output of packages that never finished (the input
// ended early), the list of skipped tests, and go test's closing FAIL.
func (r *report) finish() {
	for _, name := range slices.Clone(r.order) {
		p := r.pkgs[name]
		p.lines = append(p.lines, outputLine{text: "FAIL\t" + name + " [did not finish]\n"})
		r.finishPackage(name, p, true)
	}
	if len(r.skipped) > 0 {
		fmt.Fprintln(r.w, "################################################################")
		fmt.Fprintf(r.w, "## %d skipped test(s), by reason\n", len(r.skipped))
		for _, g := range groupSkips(r.skipped) {
			fmt.Fprintf(r.w, "## SKIPPED (%d): %s\n", len(g.tests), g.reason)
			for _, t := range g.tests {
				fmt.Fprintf(r.w, "##     %s %s\n", t.pkg, t.test)
			}
		}
		fmt.Fprintln(r.w, "################################################################")
	}
	if r.failed {
		fmt.Fprintln(r.w, "FAIL")
	}
}

// skipGroup is the tests that skipped for one reason.
type skipGroup struct {
	reason string
	tests  []skipped
}

// groupSkips groups skipped tests by reason, in the order the reasons
// first appear.
func groupSkips(skips []skipped) []skipGroup {
	var groups []skipGroup
	at := map[string]int{}
	for _, s := range skips {
		i, ok := at[s.reason]
		if !ok {
			i = len(groups)
			at[s.reason] = i
			groups = append(groups, skipGroup{reason: s.reason})
		}
		groups[i].tests = append(groups[i].tests, s)
	}
	return groups
}

// location is the file:line prefix the testing package puts before a
// logged message.
var location = regexp.MustCompile(`^[^\s:]+\.go:\d+: `)

// skipReason is the message a skipped test gave: the last line of its
// output that is not go test's own framing, without its file:line.
func skipReason(lines []outputLine, test string) string {
	for i := len(lines) - 1; i >= 0; i-- {
		if lines[i].test != test {
			continue
		}
		text := strings.TrimSpace(lines[i].text)
		if text == "" || strings.HasPrefix(text, "=== ") || strings.HasPrefix(text, "--- SKIP: ") {
			continue
		}
		return location.ReplaceAllString(text, "")
	}
	return "(no reason given)"
}
