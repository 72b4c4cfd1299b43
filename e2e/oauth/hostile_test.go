package oauth

import (
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"
)

// TestHostileInput sends malformed and hostile requests to every page and
// endpoint of a domain: each gets a page or a JSON error (or a redirect
// within cognate), never a 500, and never a redirect to anywhere else.
func TestHostileInput(t *testing.T) {
	e := start(t, "sqlite")
	// The classic hosted UI, and managed login with choice-based sign-in
	// (the username first, then the password, a code or a passkey).
	t.Run("classic", func(t *testing.T) { hostileInput(t, e, newApp(t, e, "hostile", clientSpec{})) })
	t.Run("choice-based", func(t *testing.T) { hostileInput(t, e, newApp(t, e, "hostile-choice", clientSpec{choice: true})) })
}

func hostileInput(t *testing.T, e *env, a *app) {
	b := newBrowser(t, e)
	cfg := oauth2.Config{ClientID: a.ClientID, Endpoint: oauth2.Endpoint{AuthURL: a.Domain + "/oauth2/authorize"}, RedirectURL: callback, Scopes: []string{"openid"}}
	loginPage := b.get(t, strings.Replace(cfg.AuthCodeURL("s"), "/oauth2/authorize", "/login", 1))
	hidden := map[string]string{}
	for _, h := range hiddenIn.FindAllStringSubmatch(loginPage.Body, -1) {
		hidden[h[1]] = strings.ReplaceAll(h[2], "&amp;", "&")
	}
	good := url.Values{"response_type": {"code"}, "client_id": {a.ClientID}, "redirect_uri": {callback}}

	values := []string{"", "\xff\xfe", "\x00", strings.Repeat("a", 70000), "%", "%zz", "<script>alert(1)</script>", "' OR 1=1 --",
		"\u202e", "../../etc/passwd", "null", "[]", "{}", strings.Repeat("é", 3000), "a\r\nSet-Cookie: x=1"}
	paths := []string{"/login", "/forceChangePassword", "/mfa", "/selectChallenge", "/passkey", "/passkeys/add", "/oauth2/authorize", "/oauth2/token", "/oauth2/userInfo", "/oauth2/revoke",
		"/logout", "/error", "/static/style.css", "/static/../../go.mod", "/nothing", "/"}
	params := []string{"client_id", "redirect_uri", "response_type", "scope", "state", "nonce", "code_challenge", "code_challenge_method",
		"prompt", "max_age", "grant_type", "code", "code_verifier", "refresh_token", "token", "logout_uri", "username", "password",
		"new_password", "session", "authorize", "_csrf", "error", "error_description", "access_token", "answer", "credential", "options"}

	type request struct {
		label  string
		method string
		url    string
		body   string
		ctype  string
		header map[string]string
	}
	var reqs []request
	for _, p := range paths {
		for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch, "BREW"} {
			reqs = append(reqs, request{label: m + " " + p, method: m, url: a.Domain + p})
		}
		for _, name := range params {
			for i, v := range values {
				q := url.Values{}
				for k, vs := range good {
					q[k] = vs
				}
				q.Set(name, v)
				reqs = append(reqs, request{label: fmt.Sprintf("GET %s %s=#%d", p, name, i), method: http.MethodGet, url: a.Domain + p + "?" + q.Encode()})
				form := url.Values{}
				for k, v := range hidden {
					form.Set(k, v)
				}
				form.Set(name, v)
				reqs = append(reqs, request{label: fmt.Sprintf("POST %s %s=#%d", p, name, i), method: http.MethodPost, url: a.Domain + p,
					body: form.Encode(), ctype: "application/x-www-form-urlencoded"})
			}
			q := url.Values{}
			for k, vs := range good {
				q[k] = vs
			}
			q.Add(name, "x")
			q.Add(name, "y")
			reqs = append(reqs, request{label: "GET " + p + " repeated " + name, method: http.MethodGet, url: a.Domain + p + "?" + q.Encode()})
		}
		for _, ct := range []string{"application/json", "multipart/form-data; boundary=x", "text/plain", "application/x-www-form-urlencoded; charset=bogus", "", "%%%"} {
			reqs = append(reqs, request{label: "POST " + p + " as " + ct, method: http.MethodPost, url: a.Domain + p, body: `{"grant_type":"client_credentials"}`, ctype: ct})
		}
		reqs = append(reqs, request{label: "POST " + p + " huge body", method: http.MethodPost, url: a.Domain + p,
			body: "username=" + strings.Repeat("a", 1<<20), ctype: "application/x-www-form-urlencoded"})
		for _, auth := range []string{"Basic", "Basic !!!", "Basic " + "Og==", "Bearer", "Bearer x.y.z", "Bearer \xff", "Digest x", strings.Repeat("B", 9000)} {
			reqs = append(reqs, request{label: "POST " + p + " Authorization " + auth[:min(len(auth), 12)], method: http.MethodPost, url: a.Domain + p,
				body: "grant_type=client_credentials&token=x", ctype: "application/x-www-form-urlencoded", header: map[string]string{"Authorization": auth}})
		}
	}
	for _, d := range []string{"/_domain/", "/_domain/nope/login", "/_domain/HOSTILE/login", "/_domain/hostile%2f..%2f/login", "/_domain/" + strings.Repeat("x", 300) + "/login"} {
		reqs = append(reqs, request{label: "GET " + d, method: http.MethodGet, url: e.URL + d})
	}

	for _, r := range reqs {
		req, err := http.NewRequest(r.method, r.url, strings.NewReader(r.body))
		if err != nil {
			continue
		}
		if r.ctype != "" {
			req.Header.Set("Content-Type", r.ctype)
		}
		for k, v := range r.header {
			req.Header.Set(k, v)
		}
		res, err := b.c.Do(req)
		if err != nil {
			t.Errorf("%s: %v", r.label, err)
			continue
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		mt, _, _ := mime.ParseMediaType(res.Header.Get("Content-Type"))
		switch {
		case res.StatusCode >= 500:
			t.Errorf("%s: %d %s", r.label, res.StatusCode, body)
		case res.StatusCode/100 == 3:
			if loc := res.Header.Get("Location"); !strings.HasPrefix(loc, "/_domain/"+a.Prefix+"/") && !strings.HasPrefix(loc, callback+"?") && !strings.HasPrefix(loc, callback+"#") {
				t.Errorf("%s: redirected to %q", r.label, loc)
			}
		case mt != "text/html" && mt != "application/json" && mt != "text/css" && r.method != http.MethodHead:
			t.Errorf("%s: %d with Content-Type %q: %.200s", r.label, res.StatusCode, mt, body)
		}
	}
	t.Logf("%d requests", len(reqs))
}
