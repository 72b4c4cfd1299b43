package password

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestFileList(t *testing.T) {
	full, prefixed := sha1Hex("listed-by-digest"), sha1Hex("listed-by-prefix")
	l, err := ReadFileList(strings.NewReader("# comment\n\n" + strings.ToLower(full) + ":17\n" + prefixed[:5] + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	if l.Len() != 2 {
		t.Errorf("Len = %d, want 2", l.Len())
	}
	for _, tc := range []struct {
		pw   string
		want bool
	}{{"listed-by-digest", true}, {"listed-by-prefix", true}, {"not-listed-at-all", strings.HasPrefix(sha1Hex("not-listed-at-all"), prefixed[:5])}} {
		got, err := l.Breached(context.Background(), tc.pw)
		if err != nil || got != tc.want {
			t.Errorf("Breached(%q) = %v, %v; want %v", tc.pw, got, err, tc.want)
		}
	}
	for _, bad := range []string{"ABCD\n", "XYZXY\n", strings.Repeat("G", 40) + "\n"} {
		if _, err := ReadFileList(strings.NewReader(bad)); err == nil {
			t.Errorf("ReadFileList(%q) accepted", bad)
		}
	}
}

// TestRangeAPI checks that only the 5-digit prefix leaves the process, that
// the suffix is matched locally, and that padding entries (count 0) never
// match.
func TestRangeAPI(t *testing.T) {
	digest := sha1Hex("hunter2-but-longer")
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paths = append(paths, r.URL.Path)
		if r.Header.Get("Add-Padding") != "true" {
			t.Error("no Add-Padding header")
		}
		fmt.Fprintf(w, "%s:3\r\n%s:0\r\n", digest[5:], sha1Hex("padded-entry")[5:])
	}))
	defer srv.Close()
	a := &RangeAPI{URL: srv.URL + "/range/"}
	got, err := a.Breached(context.Background(), "hunter2-but-longer")
	if err != nil || !got {
		t.Errorf("Breached(listed) = %v, %v", got, err)
	}
	if got, err := a.Breached(context.Background(), "padded-entry"); err != nil || got {
		t.Errorf("Breached(padding) = %v, %v; want false", got, err)
	}
	for _, p := range paths {
		if len(p) != len("/range/")+5 || strings.Contains(p, digest[5:]) {
			t.Errorf("request path %q carries more than a 5-digit prefix", p)
		}
	}
	if paths[0] != "/range/"+digest[:5] {
		t.Errorf("path = %q, want /range/%s", paths[0], digest[:5])
	}
}
