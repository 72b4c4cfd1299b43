package oauth

import (
	"net/http"
	"regexp"
	"testing"

	"golang.org/x/oauth2"
)

var pageError = regexp.MustCompile(`<p class="error[^"]*" id="error" role="alert">([^<]*)</p>`)

// TestSignInPageExistenceErrors signs in on the page with an unknown user
// and with a wrong password: a client that prevents user-existence errors
// gets the same page for both, one that does not is told the user does
// not exist, as InitiateAuth answers each.
func TestSignInPageExistenceErrors(t *testing.T) {
	e := start(t, "sqlite")
	for _, tc := range []struct {
		name        string
		prevent     bool
		wantUnknown string
	}{
		{"prevented", true, "Incorrect username or password."},
		{"legacy", false, "User does not exist."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := newApp(t, e, "exist-"+tc.name, clientSpec{preventExisting: tc.prevent})
			cfg := oauth2.Config{ClientID: a.ClientID, Endpoint: oauth2.Endpoint{AuthURL: a.Domain + "/oauth2/authorize"}, RedirectURL: callback, Scopes: []string{"openid"}}
			b := newBrowser(t, e)
			try := func(user, pass string) (int, string) {
				p := b.submit(t, b.get(t, cfg.AuthCodeURL("s")), map[string]string{"username": user, "password": pass})
				m := pageError.FindStringSubmatch(p.Body)
				if m == nil {
					t.Fatalf("no error on the page (%d):\n%s", p.Status, p.Body)
				}
				return p.Status, m[1]
			}
			ws, wrong := try(username, "Wrong-password-9")
			us, unknown := try("nobody-here", "Wrong-password-9")
			if ws != http.StatusBadRequest || wrong != "Incorrect username or password." {
				t.Errorf("wrong password: %d %q", ws, wrong)
			}
			if us != http.StatusBadRequest || unknown != tc.wantUnknown {
				t.Errorf("unknown user: %d %q, want %q", us, unknown, tc.wantUnknown)
			}
		})
	}
}

// TestSignInPageLockout fails the password on the page five times: the
// sixth attempt, with the right password, is refused as InitiateAuth's
// would be, until the lockout has passed.
func TestSignInPageLockout(t *testing.T) {
	e := start(t, "sqlite")
	a := newApp(t, e, "lockout", clientSpec{})
	cfg := oauth2.Config{ClientID: a.ClientID, Endpoint: oauth2.Endpoint{AuthURL: a.Domain + "/oauth2/authorize"}, RedirectURL: callback, Scopes: []string{"openid"}}
	b := newBrowser(t, e)
	for range 5 {
		b.submit(t, b.get(t, cfg.AuthCodeURL("s")), map[string]string{"username": username, "password": "Wrong-password-9"})
	}
	p := b.submit(t, b.get(t, cfg.AuthCodeURL("s")), map[string]string{"username": username, "password": password})
	if m := pageError.FindStringSubmatch(p.Body); m == nil || m[1] != "Password attempts exceeded" {
		t.Fatalf("right password while locked out: %d %q", p.Status, m)
	}
	e.Clock.advance(2e9)
	back := b.signIn(t, cfg.AuthCodeURL("s"), username, password)
	if back.Query().Get("code") == "" {
		t.Errorf("after the lockout: %s", back)
	}
}
