package console

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/storage"
)

const (
	sessionCookie = "cognate_console"
	loginCookie   = "cognate_console_login"
	// SessionLifetime is how long a console session lasts after sign-in.
	SessionLifetime = 8 * time.Hour
	// loginLifetime bounds the round trip through the hosted UI.
	loginLifetime = 10 * time.Minute

	purposeSession = "console-session"
	purposeLogin   = "console-login"
)

// session is what the sealed session cookie holds.
type session struct {
	Sub      string `json:"sub"`
	Username string `json:"u"`
	// CSRF is the token every form of this session carries.
	CSRF    string `json:"csrf"`
	Expires int64  `json:"exp"`
}

type sessionKey struct{}

func sessionFrom(ctx context.Context) (session, bool) {
	s, ok := ctx.Value(sessionKey{}).(session)
	return s, ok
}

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// setSealed sets a sealed cookie of the console.
func (c *Console) setSealed(w http.ResponseWriter, name, purpose string, v any, life time.Duration) {
	raw, _ := json.Marshal(v)
	http.SetCookie(w, &http.Cookie{Name: name, Value: c.sealer.SealString(purpose, raw), Path: PathPrefix,
		HttpOnly: true, Secure: c.opts.Secure, SameSite: http.SameSiteLaxMode, MaxAge: int(life.Seconds())})
}

func (c *Console) clearCookie(w http.ResponseWriter, name string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: PathPrefix, HttpOnly: true, Secure: c.opts.Secure,
		SameSite: http.SameSiteLaxMode, MaxAge: -1})
}

// openSealed opens the sealed cookie name into v.
func (c *Console) openSealed(r *http.Request, name, purpose string, v any) bool {
	ck, err := r.Cookie(name)
	if err != nil {
		return false
	}
	raw, err := c.sealer.OpenString(purpose, ck.Value)
	if err != nil {
		return false
	}
	return json.Unmarshal(raw, v) == nil
}

// session opens the request's session cookie, unexpired.
func (c *Console) session(r *http.Request) (session, bool) {
	var s session
	if !c.openSealed(r, sessionCookie, purposeSession, &s) || time.Now().Unix() >= s.Expires || s.CSRF == "" {
		return session{}, false
	}
	return s, true
}

// authed runs next for a request with a live session of an operator who
// is still an enabled user of the administrators' pool. A POST must also
// come from the console's own pages: the browser's Sec-Fetch-Site and
// Origin headers, when sent, must say so, and the form must carry the
// session's CSRF token.
func (c *Console) authed(next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, ok := c.session(r)
		if !ok {
			if r.Method == http.MethodGet {
				c.toSignIn(w, r)
				return
			}
			http.Error(w, "Sign in to the console first.", http.StatusUnauthorized)
			return
		}
		if !c.operatorActive(r.Context(), s) {
			c.clearCookie(w, sessionCookie)
			http.Error(w, "This operator may no longer use the console.", http.StatusForbidden)
			return
		}
		if r.Method == http.MethodPost {
			if !c.sameOrigin(r) {
				http.Error(w, "Cross-site requests are refused.", http.StatusForbidden)
				return
			}
			r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
			parse := r.ParseForm
			if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
				// A form with a file (a logo, an identity provider's metadata): the whole body is at most
				// 1 MiB, held in memory.
				parse = func() error { return r.ParseMultipartForm(1 << 20) }
			}
			if err := parse(); err != nil {
				http.Error(w, "The form could not be read.", http.StatusBadRequest)
				return
			}
			token := r.PostForm.Get("csrf")
			if subtle.ConstantTimeCompare([]byte(token), []byte(s.CSRF)) != 1 {
				http.Error(w, "The form's CSRF token does not belong to this session; reload the page.", http.StatusForbidden)
				return
			}
		}
		// Whatever the request writes, the change log names the operator.
		ctx := storage.WithActor(r.Context(), storage.Actor{Kind: storage.ActorOperator, ID: s.Sub, Name: s.Username})
		next(w, r.WithContext(context.WithValue(ctx, sessionKey{}, s)))
	})
}

// sameOrigin reports whether a POST comes from the console's own origin,
// as far as the browser says: Sec-Fetch-Site same-origin (or none, a
// navigation the user typed), and an Origin header, when present, equal
// to the console's.
func (c *Console) sameOrigin(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
	default:
		return false
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	if origin == "null" {
		return false
	}
	want, err := url.Parse(c.opts.BaseURL)
	if err != nil {
		return false
	}
	got, err := url.Parse(origin)
	if err != nil {
		return false
	}
	if got.Scheme == want.Scheme && got.Host == want.Host {
		return true
	}
	// The request's own host, for a console reached under another name
	// than BaseURL's (a proxy's); still the same origin as the page.
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return got.Scheme == scheme && got.Host == r.Host
}

// operatorActive reads the operator again: a disabled or deleted
// operator, or one whose username now names another user, has no session.
func (c *Console) operatorActive(ctx context.Context, s session) bool {
	a := c.AdminPool()
	if a == nil {
		return false
	}
	u, err := c.opts.Users.AdminGetUser(ctx, c.caller(), &idp.AdminGetUserRequest{UserPoolId: &a.PoolID, Username: &s.Username})
	if err != nil || !cognito.Deref(u.Enabled) {
		return false
	}
	for _, at := range u.UserAttributes {
		if cognito.Deref(at.Name) == "sub" {
			return subtle.ConstantTimeCompare([]byte(cognito.Deref(at.Value)), []byte(s.Sub)) == 1
		}
	}
	return false
}

// toSignIn sends the browser to the console's sign-in.
func (c *Console) toSignIn(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, "/console/login", http.StatusSeeOther)
}
