// Command testreport reads the output of go test -json on its standard
// input and writes what go test prints without -json: an "ok" line for
// each package that passed, the output of the tests that failed, build
// errors, and a closing "FAIL" when anything failed. It adds what plain go
// test hides: a loud line for every package with skipped tests, and at the
// end a list of every skipped test with the reason it gave, so a test that
// skips because a tool, a server or the service models are missing cannot
// go unseen. It exits 1 when a test or a build failed, or when the input
// ended before a package finished. scripts/test.sh runs it.
package main

import (
	"fmt"
	"os"
)

func main() {
	r := newReport(os.Stdout)
	if err := r.read(os.Stdin); err != nil {
		fmt.Fprintln(os.Stderr, "testreport:", err)
		os.Exit(2)
	}
	if r.failed {
		os.Exit(1)
	}
}
