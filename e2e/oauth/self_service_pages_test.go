package oauth

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"
)

// TestSelfServicePagesBadInput posts what a browser, a bot or a broken
// form might to the sign-up, confirmation, resend, forgot-password and
// reset pages: each answer is a page (the form again with a message, or
// the error page), never a server error, and nothing is redirected to.
func TestSelfServicePagesBadInput(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		a := newApp(t, e, "self-service", clientSpec{preventExisting: true})
		cfg := oauth2.Config{ClientID: a.ClientID, RedirectURL: callback, Scopes: []string{"openid"},
			Endpoint: oauth2.Endpoint{AuthURL: a.Domain + "/oauth2/authorize"}}
		auth, err := url.Parse(cfg.AuthCodeURL("s"))
		if err != nil {
			t.Fatal(err)
		}
		q := auth.RawQuery
		b := newBrowser(t, e)
		long := strings.Repeat("x", 5000)
		for _, tc := range []struct {
			name, page string
			fields     map[string]string
		}{
			{"sign-up, nothing", "/signup", map[string]string{}},
			{"sign-up, passwords differ", "/signup", map[string]string{"username": "bob", "password": "Aa1!aaaaaaaa", "confirm_password": "other"}},
			{"sign-up, weak password", "/signup", map[string]string{"username": "bob", "password": "a", "confirm_password": "a"}},
			{"sign-up, username too long", "/signup", map[string]string{"username": long, "password": "Aa1!aaaaaaaa", "confirm_password": "Aa1!aaaaaaaa"}},
			{"sign-up, control characters", "/signup", map[string]string{"username": "bo\x00b", "password": "Aa1!aaaaaaaa", "confirm_password": "Aa1!aaaaaaaa"}},
			{"sign-up, taken", "/signup", map[string]string{"username": username, "password": "Aa1!aaaaaaaa", "confirm_password": "Aa1!aaaaaaaa"}},
			{"forgot, nothing", "/forgotPassword", map[string]string{}},
			{"forgot, unknown user", "/forgotPassword", map[string]string{"username": "nobody"}},
			{"forgot, too long", "/forgotPassword", map[string]string{"username": long}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				form := b.get(t, a.Domain+tc.page+"?"+q)
				if form.Status != http.StatusOK {
					t.Fatalf("GET %s: %d\n%s", tc.page, form.Status, form.Body)
				}
				got := b.submit(t, form, tc.fields)
				if got.Status >= 500 || got.Location != "" || !strings.Contains(got.Body, "<form") && !strings.Contains(got.Body, `id="error"`) {
					t.Errorf("answered %d (location %q):\n%s", got.Status, got.Location, got.Body)
				}
				if got.Status == http.StatusOK && !strings.Contains(got.Body, `id="reset-form"`) {
					t.Errorf("bad input accepted: %d\n%s", got.Status, got.Body)
				}
			})
		}

		// Posts straight to the confirmation, resend and reset endpoints,
		// with and without the form's CSRF token.
		form := b.get(t, a.Domain+"/signup?"+q)
		for _, tc := range []struct {
			name, path string
			fields     map[string]string
		}{
			{"confirm, no code", "/confirmSignUp", map[string]string{"username": "bob"}},
			{"confirm, wrong code", "/confirmSignUp", map[string]string{"username": "bob", "code": "123456"}},
			{"confirm, code not digits", "/confirmSignUp", map[string]string{"username": "bob", "code": "<script>"}},
			{"resend, unknown user", "/resendCode", map[string]string{"username": "nobody"}},
			{"resend, confirmed user", "/resendCode", map[string]string{"username": username}},
			{"reset, nothing", "/confirmForgotPassword", map[string]string{}},
			{"reset, wrong code", "/confirmForgotPassword", map[string]string{"username": username, "code": "000000", "password": "Aa1!aaaaaaaa", "confirm_password": "Aa1!aaaaaaaa"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				p := *form
				p.Body = strings.Replace(form.Body, `action="`+a.Domain+`/signup"`, `action="`+a.Domain+tc.path+`"`, 1)
				got := b.submit(t, &p, tc.fields)
				if got.Status >= 500 || got.Location != "" || !strings.Contains(got.Body, "</html>") {
					t.Errorf("answered %d (location %q):\n%s", got.Status, got.Location, got.Body)
				}
			})
		}
		for _, path := range []string{"/signup", "/confirmSignUp", "/resendCode", "/forgotPassword", "/confirmForgotPassword"} {
			res, err := http.PostForm(a.Domain+path, url.Values{"username": {"x"}, "authorize": {q}})
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusForbidden {
				t.Errorf("POST %s without a CSRF token: %d, want 403", path, res.StatusCode)
			}
		}

		// The confirmation link: incomplete, wrong, and for an app client
		// of no pool.
		for _, link := range []string{
			a.Domain + "/confirmUser",
			a.Domain + "/confirmUser?client_id=" + a.ClientID + "&user_name=bob&confirmation_code=123456",
			a.Domain + "/confirmUser?client_id=nosuchclient&user_name=bob&confirmation_code=123456",
			e.URL + "/confirmUser?client_id=nosuchclient&user_name=bob&confirmation_code=123456",
		} {
			got := b.get(t, link)
			if got.Status != http.StatusBadRequest || got.Location != "" {
				t.Errorf("GET %s: %d (location %q)\n%s", link, got.Status, got.Location, got.Body)
			}
		}
	})
}
