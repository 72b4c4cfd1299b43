package oauth

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"golang.org/x/oauth2"
)

// redirectVariants returns variants of the registered callback URL
// https://app.example.com/callback, none of which is it: changes of case,
// encoding, trailing dots and slashes, user info, ports, fragments,
// queries, path traversal, backslashes, look-alike characters, other
// hosts that contain it, and open-redirect chains through logout.
func redirectVariants() []string {
	const scheme, host, path = "https", "app.example.com", "/callback"
	seen := map[string]bool{callback: true}
	var out []string
	add := func(v string) {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	schemes := []string{"http", "HTTPS", "Https", "hTtPs", "ftp", "javascript", "data", "//", "https:", "https:/", "https:///", "wss"}
	hosts := []string{
		"APP.EXAMPLE.COM", "App.Example.Com", "app.example.com.", "app.example.com..", "app.example.co", "app.example.com.evil.example",
		"evil.example", "app-example.com", "appexample.com", "www.app.example.com", "app.example.com:443", "app.example.com:80",
		"app.example.com:8443", "app.example.com:", "app.example.com:0443", "evil.example@app.example.com", "app.example.com@evil.example",
		"app.example.com%40evil.example", "app.example.com%2eevil.example", "app%2eexample.com", "xn--pp-8cd.example.com", "аpp.example.com",
		"app.exаmple.com", "app.example.cοm", "app.example.com\u200b", "\u200bapp.example.com", "app.example.com%00", "app.example.com%20",
		"127.0.0.1", "[::1]", "localhost", "app.example.com\\.evil.example", "app.example.com%5c.evil.example", "user:pass@app.example.com",
		"app.example.com:443@evil.example", "app.example.com#@evil.example", "app.example.com?@evil.example",
	}
	paths := []string{
		"/Callback", "/CALLBACK", "/callback/", "/callback//", "/callback/.", "/callback/..", "/callback/../callback", "/./callback",
		"//callback", "/callback%2F", "/callback%2f..%2f", "/%63allback", "/callbac%6B", "/callback%00", "/callback%20", "/callback ",
		"/callback\t", "/callback;x", "/callback.", "/callbackx", "/callback/x", "/x/../callback", "/callback\\", "\\callback",
		"/callback%5c", "/callback/%2e%2e/", "/cаllback", "/callback\u202e", "", "/", "/callback/../../evil.example",
		"/%2e%2e/callback", "/callback%23", "/callback%3f",
	}
	suffixes := []string{"#", "#x", "#access_token=x", "?", "?x=1", "?redirect=https://evil.example", "?code=1", "&x=1", "%23", "/", "//evil.example", "@evil.example"}
	for _, s := range schemes {
		add(s + "://" + host + path)
		add(s + host + path)
	}
	for _, h := range hosts {
		add(scheme + "://" + h + path)
		for _, s := range suffixes[:4] {
			add(scheme + "://" + h + path + s)
		}
	}
	for _, h := range hosts {
		for _, p := range paths[:4] {
			add(scheme + "://" + h + p)
		}
	}
	for _, p := range paths {
		add(scheme + "://" + host + p)
		add("http://" + host + p)
		add(scheme + "://" + strings.ToUpper(host) + p)
	}
	for _, s := range suffixes {
		add(callback + s)
		add(strings.ToUpper(callback) + s)
	}
	// Every character of the URL percent-encoded, one at a time.
	for i := range len(callback) {
		add(callback[:i] + fmt.Sprintf("%%%02X", callback[i]) + callback[i+1:])
		add(callback[:i] + fmt.Sprintf("%%%02x", callback[i]) + callback[i+1:])
		if c := callback[i]; c >= 'a' && c <= 'z' {
			add(callback[:i] + strings.ToUpper(string(c)) + callback[i+1:])
		}
	}
	// Whitespace and control characters around it.
	for _, w := range []string{" ", "\t", "\n", "\r\n", "\x00", "\u00a0", "\ufeff"} {
		add(w + callback)
		add(callback + w)
	}
	// Backslash forms browsers read as slashes.
	for _, b := range []string{`https:\\app.example.com\callback`, `https:/\app.example.com/callback`, `https:\/app.example.com/callback`,
		`https://app.example.com\@evil.example/callback`, `/\evil.example/callback`, `\\evil.example\callback`, `https:app.example.com/callback`} {
		add(b)
	}
	// Chains through other redirectors, and the other registered URLs.
	for _, c := range []string{
		"https://evil.example/?next=" + url.QueryEscape(callback), "https://evil.example/" + callback, "https://evil.example#" + callback,
		"/_domain/table/logout?logout_uri=https://evil.example", "/logout?logout_uri=" + url.QueryEscape(signOut),
		signOut + "/", "http://localhost:3000/cb/", "http://localhost:3000/CB", "http://127.0.0.1:3000/cb", "http://localhost:3001/cb",
		"http://localhost/cb", "http://localhost:3000/cb#x", "https://localhost:3000/cb", callback + "," + "https://evil.example",
		callback + " https://evil.example", "javascript:alert(1)//" + callback, "data:text/html," + callback, "",
	} {
		add(c)
	}
	return out
}

// TestRedirectTable sends every variant of the registered callback URL to
// the authorize endpoint, the sign-in page and the logout endpoint, for a
// browser with no session and one signed in: none is redirected to. The
// answer is the error page (400), with no Location.
func TestRedirectTable(t *testing.T) {
	e := start(t, "sqlite")
	a := newApp(t, e, "table", clientSpec{})
	variants := redirectVariants()
	if len(variants) < 500 {
		t.Fatalf("%d variants, want at least 500", len(variants))
	}
	signedIn := newBrowser(t, e)
	cfg := oauth2.Config{ClientID: a.ClientID, Endpoint: oauth2.Endpoint{AuthURL: a.Domain + "/oauth2/authorize"}, RedirectURL: callback, Scopes: []string{"openid"}}
	back := signedIn.signIn(t, cfg.AuthCodeURL("s"), username, password)
	if back.Query().Get("code") == "" {
		t.Fatal("sign-in failed")
	}
	fresh := newBrowser(t, e)
	var (
		mu       sync.Mutex
		failures []string
	)
	check := func(b *browser, label, u string) {
		req, err := http.NewRequest(http.MethodGet, u, nil)
		if err != nil {
			return // not even a request: nothing can be redirected
		}
		res, err := b.c.Do(req)
		if err != nil {
			mu.Lock()
			failures = append(failures, fmt.Sprintf("%s: %v", label, err))
			mu.Unlock()
			return
		}
		res.Body.Close()
		loc := res.Header.Get("Location")
		if res.StatusCode != http.StatusBadRequest || loc != "" {
			mu.Lock()
			failures = append(failures, fmt.Sprintf("%s: status %d, Location %q", label, res.StatusCode, loc))
			mu.Unlock()
		}
	}
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for _, v := range variants {
		q := url.Values{"response_type": {"code"}, "client_id": {a.ClientID}, "redirect_uri": {v}, "state": {"s"}}
		lo := url.Values{"client_id": {a.ClientID}, "logout_uri": {v}}
		again := url.Values{"client_id": {a.ClientID}, "redirect_uri": {v}, "response_type": {"code"}}
		for _, b := range []*browser{fresh, signedIn} {
			for _, target := range []string{
				a.Domain + "/oauth2/authorize?" + q.Encode(),
				a.Domain + "/login?" + q.Encode(),
				a.Domain + "/logout?" + lo.Encode(),
				a.Domain + "/logout?" + again.Encode(),
			} {
				wg.Add(1)
				sem <- struct{}{}
				go func() {
					defer func() { <-sem; wg.Done() }()
					check(b, fmt.Sprintf("%q via %s", v, strings.SplitN(strings.TrimPrefix(target, a.Domain), "?", 2)[0]), target)
				}()
			}
		}
	}
	wg.Wait()
	for _, f := range failures {
		t.Error(f)
	}
	t.Logf("%d variants, %d requests, none redirected", len(variants), len(variants)*8)
}
