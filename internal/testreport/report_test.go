package main

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestReport reads testdata/go-test.json, the go test -json output of a
// module with a passing package with skipped tests, a failing one, one
// that does not compile, one without tests and one whose output stops
// (a killed run), and checks the plain output, the loud lines and the
// list of skipped tests.
func TestReport(t *testing.T) {
	in, err := os.ReadFile("testdata/go-test.json")
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	r := newReport(&out)
	if err := r.read(bytes.NewReader(in)); err != nil {
		t.Fatal(err)
	}
	want := `# example.com/m/c [example.com/m/c.test]
c/c.go:2:23: cannot use "x" (untyped string constant) as int value in return statement
stdout line
    b_test.go:3: a log
    b_test.go:3: boom
--- FAIL: TestFail/s (0.00s)
--- FAIL: TestFail (0.00s)
FAIL
FAIL	example.com/m/b	0.001s
ok  	example.com/m/a	0.001s
#### SKIPPED in example.com/m/a: TestSkip: no node here
#### SKIPPED in example.com/m/a: TestSub/x: PostgreSQL SKIPPED
FAIL	example.com/m/c [build failed]
?   	example.com/m/d	[no test files]
    e_test.go:9: waiting
FAIL	example.com/m/e [did not finish]
################################################################
## 2 skipped test(s), by reason
## SKIPPED (1): no node here
##     example.com/m/a TestSkip
## SKIPPED (1): PostgreSQL SKIPPED
##     example.com/m/a TestSub/x
################################################################
FAIL
`
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("output (-want +got):\n%s", diff)
	}
	if !r.failed {
		t.Error("a run with failures is not reported as failed")
	}
}

// TestReportPassing checks a run where everything passed: only the
// summary lines, the skip list, no closing FAIL, and not failed.
func TestReportPassing(t *testing.T) {
	in := strings.Join([]string{
		`{"Action":"output","Package":"p","Test":"TestA","Output":"=== RUN   TestA\n"}`,
		`{"Action":"output","Package":"p","Test":"TestA","Output":"    a_test.go:1: a log line\n"}`,
		`{"Action":"output","Package":"p","Test":"TestA","Output":"--- PASS: TestA (0.00s)\n"}`,
		`{"Action":"pass","Package":"p","Test":"TestA"}`,
		`{"Action":"output","Package":"p","Test":"TestB","Output":"=== RUN   TestB\n"}`,
		`{"Action":"output","Package":"p","Test":"TestB","Output":"--- SKIP: TestB (0.00s)\n"}`,
		`{"Action":"skip","Package":"p","Test":"TestB"}`,
		`{"Action":"output","Package":"p","Output":"PASS\n"}`,
		`{"Action":"output","Package":"p","Output":"ok  \tp\t0.010s\n"}`,
		`{"Action":"pass","Package":"p"}`,
	}, "\n")
	var out bytes.Buffer
	r := newReport(&out)
	if err := r.read(strings.NewReader(in)); err != nil {
		t.Fatal(err)
	}
	want := "ok  \tp\t0.010s\n" +
		"#### SKIPPED in p: TestB: (no reason given)\n" +
		"################################################################\n" +
		"## 1 skipped test(s), by reason\n" +
		"## SKIPPED (1): (no reason given)\n" +
		"##     p TestB\n" +
		"################################################################\n"
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("output (-want +got):\n%s", diff)
	}
	if r.failed {
		t.Error("a passing run is reported as failed")
	}
}
