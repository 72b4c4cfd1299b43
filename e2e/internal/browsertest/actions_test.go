package browsertest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
)

// requireChromium skips under -short and returns Chromium's path.
func requireChromium(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("browser tests are slow; skipped under -short")
	}
	return Chromium(t)
}

// formPage is a page showing notice in #notice, whose button posts its
// form to /next a moment after the click, as the hosted UI's passkey page
// does once the authenticator has answered.
func formPage(notice string) string {
	return fmt.Sprintf(`<!doctype html><title>form</title><p id="notice">%s</p>
<form method="post" action="/next"><button type="button" id="go">Go</button></form>
<script>document.getElementById("go").onclick = () => setTimeout(() => document.forms[0].submit(), 500)</script>`, notice)
}

// TestNextPageWaitsForThePageItLoads leaves a page showing #notice for
// one that shows it too: NextPage returns on the new page, whose #notice
// the next command reads, and not on the page being left, which shows
// #notice until the form is posted. (A plain wait returns on the old
// page; the moment before the post makes that certain here, and NextPage
// does not depend on it.)
func TestNextPageWaitsForThePageItLoads(t *testing.T) {
	chromium := requireChromium(t)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, formPage("first"))
	})
	mux.HandleFunc("POST /next", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, formPage("second"))
	})
	mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	tab := NewBrowser(t, chromium, BrowserTimeout)
	if err := chromedp.Do(tab, chromedp.Navigate(srv.URL), chromedp.WaitVisible(chromedp.ID("notice"))); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(tab, NextPage("#notice", chromedp.Click(chromedp.ID("go")))); err != nil {
		t.Fatal(err)
	}
	if got := Text(t, tab, "notice"); got != "second" {
		t.Errorf("after NextPage #notice = %q, want the new page's", got)
	}
}

// dialogRecorder is a TB that keeps what Errorf says instead of failing.
type dialogRecorder struct {
	*testing.T

	// mu guards errs.
	mu   sync.Mutex
	errs []string
}

func (r *dialogRecorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func (r *dialogRecorder) said() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.errs...)
}

// TestNewBrowserFailsOnADialog opens a page that calls alert while it
// loads: the harness reports the dialog as an error of the test and
// dismisses it, so that the page finishes loading and the next command
// runs instead of waiting for the tab's deadline.
func TestNewBrowserFailsOnADialog(t *testing.T) {
	chromium := requireChromium(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		fmt.Fprint(w, `<!doctype html><title>dialog</title><script>alert("stop here"); document.write('<p id="after">after</p>')</script>`)
	}))
	t.Cleanup(srv.Close)
	rec := &dialogRecorder{T: t}
	tab := NewBrowser(rec, chromium, BrowserTimeout)
	if err := chromedp.Do(tab, chromedp.Navigate(srv.URL), chromedp.WaitVisible(chromedp.ID("after"))); err != nil {
		t.Fatalf("the page behind the dialog: %v", err)
	}
	said := rec.said()
	if len(said) != 1 || !strings.Contains(said[0], `alert dialog: "stop here"`) {
		t.Errorf("the harness said %q, want one error naming the alert and its message", said)
	}
}
