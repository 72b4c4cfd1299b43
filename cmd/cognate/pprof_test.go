package main

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// pprofLine is the log record that gives the profiles' URL.
var pprofLine = regexp.MustCompile(`"msg":"serving runtime profiles","url":"(http://[^"]+)"`)

func TestServePprof(t *testing.T) {
	s := startServe(t, nil, "--listen", "127.0.0.1:0", "--data-dir", t.TempDir(), "--pprof-listen", "127.0.0.1:0")
	m := pprofLine.FindStringSubmatch(s.stderr.String())
	if m == nil {
		t.Fatalf("no profiles URL in the log:\n%s", s.stderr.String())
	}
	client := &http.Client{Timeout: 30 * time.Second}
	get := func(url string) (int, string) {
		t.Helper()
		res, err := client.Get(url)
		if err != nil {
			t.Fatalf("GET %s: %v", url, err)
		}
		defer res.Body.Close()
		body, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatalf("read %s: %v", url, err)
		}
		return res.StatusCode, string(body)
	}

	code, body := get(m[1] + "goroutine?debug=1")
	if code != http.StatusOK || !strings.Contains(body, "goroutine profile:") {
		t.Errorf("goroutine profile: %d %.200q", code, body)
	}
	code, body = get(m[1])
	if code != http.StatusOK || !strings.Contains(body, "heap") {
		t.Errorf("profile index: %d %.200q", code, body)
	}
	// The API's listener never serves them.
	code, body = get(s.url + "/debug/pprof/goroutine?debug=1")
	if code == http.StatusOK || strings.Contains(body, "goroutine profile:") {
		t.Errorf("the API listener served a profile: %d %.200q", code, body)
	}
}

func TestServePprofRefusesNonLoopback(t *testing.T) {
	var stdout, stderr strings.Builder
	code := run(t.Context(), []string{"serve", "--listen", "127.0.0.1:0", "--data-dir", t.TempDir(), "--pprof-listen", "0.0.0.0:0"}, envMap(nil), &stdout, &stderr)
	if code != exitError {
		t.Errorf("exit code %d, want %d", code, exitError)
	}
	if want := "pprof_listen: must be a loopback address"; !strings.Contains(stderr.String(), want) {
		t.Errorf("stderr does not say %q:\n%s", want, stderr.String())
	}
}
