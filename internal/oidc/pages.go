package oidc

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"time"

	"github.com/cognate-dev/cognate/internal/authflow"
)

// The pages of the hosted UI are a table (pages, below): each page is a
// path, a template under templates/ and the handlers of its methods. The
// shell around them (domain, security headers, CSRF, rendering, the
// authorize request every page carries along) is here, so that a page
// fills in only its own part. doc.go says how to add one.

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Page is one page of the hosted UI.
type Page struct {
	// Path is the page's path on the domain ("/login").
	Path string
	// Template is the file under templates/ that renders it, inside
	// layout.html.
	Template string
	// Get and Post handle the methods; nil for a method the page does not
	// take. A Post runs after the CSRF token has been checked.
	Get, Post func(*PageRequest)
}

// pages are the hosted UI's pages. A new page is one more entry here, a
// file page_<name>.go with its handlers and templates/<name>.html.
var pages = []Page{loginPage, newPasswordPage, mfaPage, mfaSetupPage, selectChallengePage, passkeyPage, passkeyAddPage,
	signUpPage, confirmPage, resendPage, forgotPage, resetPage}

// PageRequest is a request to a page: the pool domain, the authorize
// request the page was opened for (nil when it carries none), and the
// helpers a page answers with.
type PageRequest struct {
	W    http.ResponseWriter
	R    *http.Request
	Site *site
	// Authorize is the checked authorize request the page carries along
	// (the query of GET, the hidden fields of POST); nil when it carries
	// none or an invalid one.
	Authorize *authRequest
	h         *Handler
	csrf      string
	// firstFactor says the sign-in step the page shows next is a
	// passwordless first factor (choice-based sign-in).
	firstFactor bool
}

// pageData is what every template gets: the page's own data under Data.
type pageData struct {
	Title     string
	CSRF      string
	Authorize template.URL
	Base      string
	Error     string
	Data      any
	// Brand is the branding of the page's app client (branding.go).
	Brand brandView
}

var templates = template.Must(template.New("").ParseFS(templateFS, "templates/*.html"))

// Render writes the page's template with data, status 200 unless the
// page set another (RenderStatus).
func (p *PageRequest) Render(name, title string, data any) {
	p.RenderStatus(http.StatusOK, name, title, "", data)
}

// RenderStatus writes the page's template with a status and an error
// message shown above the form.
func (p *PageRequest) RenderStatus(status int, name, title, errMsg string, data any) {
	var q string
	if p.Authorize != nil {
		q = p.Authorize.query.Encode()
	}
	d := pageData{Title: title, CSRF: p.csrf, Authorize: template.URL(q), Base: p.Site.base, Error: errMsg, Data: data, Brand: p.brandOf()}
	p.W.Header().Set("Content-Type", "text/html; charset=utf-8")
	p.W.WriteHeader(status)
	if err := templates.ExecuteTemplate(p.W, name, d); err != nil {
		p.h.log.ErrorContext(p.R.Context(), "render page", "template", name, "err", err)
	}
}

// SignedIn ends a sign-in on a page: it sets the hosted-UI session cookie
// from the engine's step and continues the authorize request (a redirect
// to the client with a code or tokens), or shows the error page when
// there is none to continue.
func (p *PageRequest) SignedIn(step *authflow.Step) {
	p.h.setSessionCookie(p.W, p.Site, step.UISession)
	if p.Authorize == nil {
		p.h.errorPage(p.W, p.R, http.StatusBadRequest, "invalid_request", "Sign-in finished without an authorization request.")
		return
	}
	sess, err := p.h.auth.OpenUISession(p.R.Context(), p.Site.poolID, step.UISession)
	if err != nil || sess == nil {
		p.h.serverError(p.W, p.R, err)
		return
	}
	p.h.grant(p.W, p.R, p.Site, p.Authorize, sess)
}

// routes is the mux of a pool domain's paths.
func (h *Handler) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("/oauth2/authorize", h.authorize)
	mux.HandleFunc("/oauth2/token", h.token)
	mux.HandleFunc("/oauth2/userInfo", h.userInfo)
	mux.HandleFunc("/oauth2/revoke", h.revoke)
	mux.HandleFunc(idpResponsePath, h.idpResponse)
	mux.HandleFunc(samlACSPath, h.samlResponse)
	mux.HandleFunc(samlLogoutPath, h.samlLogout)
	mux.HandleFunc("/logout", h.logout)
	mux.HandleFunc("/error", h.errorEndpoint)
	mux.HandleFunc("/confirmUser", h.confirmLink)
	mux.HandleFunc(feedbackPath, h.feedbackPage)
	mux.HandleFunc("GET /branding.css", h.brandingCSS)
	static, _ := fs.Sub(staticFS, "static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	for _, pg := range pages {
		mux.HandleFunc(pg.Path, h.page(pg))
	}
	mux.HandleFunc("/", h.notFound)
	return mux
}

// page is the shell around a page: methods, the CSRF cookie and token,
// the authorize request it carries, then the page's handler.
func (h *Handler) page(pg Page) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		st := siteOf(r.Context())
		var handle func(*PageRequest)
		switch r.Method {
		case http.MethodGet, http.MethodHead:
			handle = pg.Get
		case http.MethodPost:
			handle = pg.Post
		}
		if handle == nil {
			w.Header().Set("Allow", allowed(pg))
			h.errorPage(w, r, http.StatusMethodNotAllowed, "invalid_request", "This page does not take a "+r.Method+" request.")
			return
		}
		var q url.Values
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
			if err := r.ParseForm(); err != nil {
				h.errorPage(w, r, http.StatusBadRequest, "invalid_request", "The form could not be read.")
				return
			}
			if !h.protect.AllowAddress(st.addr) {
				h.errorPage(w, r, http.StatusTooManyRequests, "slow_down", "Too many requests. Wait a moment and try again.")
				return
			}
			if !h.checkCSRF(r, st) {
				h.errorPage(w, r, http.StatusForbidden, "invalid_request", "The form has expired. Go back, reload the page and try again.")
				return
			}
			q, _ = url.ParseQuery(r.PostForm.Get("authorize"))
		} else {
			q = r.URL.Query()
		}
		p := &PageRequest{W: w, R: r, Site: st, h: h}
		p.csrf = h.csrfToken(w, r, st)
		if len(q) > 0 {
			ar, ok := h.checkAuthorize(w, r, st, q)
			if !ok {
				return
			}
			p.Authorize = ar
		}
		handle(p)
	}
}

func allowed(pg Page) string {
	switch {
	case pg.Get != nil && pg.Post != nil:
		return "GET, HEAD, POST"
	case pg.Post != nil:
		return "POST"
	}
	return "GET, HEAD"
}

// maxFormBytes bounds a form body.
const maxFormBytes = 64 << 10

// Cookie names, as Cognito names its own.
const (
	sessionCookie = "cognito"
	csrfCookie    = "XSRF-TOKEN"
)

// csrfToken returns the CSRF token of the request's forms: an HMAC of the
// CSRF cookie (set here when absent), so that a cookie planted from a
// sibling domain is useless without the key.
func (h *Handler) csrfToken(w http.ResponseWriter, r *http.Request, st *site) string {
	c, err := r.Cookie(csrfCookie)
	v := ""
	if err == nil && len(c.Value) == 43 {
		v = c.Value
	} else {
		var b [32]byte
		_, _ = rand.Read(b[:])
		v = base64.RawURLEncoding.EncodeToString(b[:])
		http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: v, Path: st.cookiePath, HttpOnly: true,
			Secure: st.secure, SameSite: http.SameSiteLaxMode})
	}
	return h.csrfMAC(v)
}

func (h *Handler) csrfMAC(cookie string) string {
	m := hmac.New(sha256.New, h.csrfKey)
	m.Write([]byte(cookie))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// checkCSRF checks a form's _csrf field against the CSRF cookie, in
// constant time.
func (h *Handler) checkCSRF(r *http.Request, st *site) bool {
	c, err := r.Cookie(csrfCookie)
	if err != nil || len(c.Value) != 43 {
		return false
	}
	got := r.PostForm.Get("_csrf")
	return hmac.Equal([]byte(got), []byte(h.csrfMAC(c.Value)))
}

// setSessionCookie sets the hosted-UI session cookie: an hour, as
// Cognito's, HttpOnly, SameSite=Lax, Secure over TLS.
func (h *Handler) setSessionCookie(w http.ResponseWriter, st *site, token string) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: token, Path: st.cookiePath, HttpOnly: true,
		Secure: st.secure, SameSite: http.SameSiteLaxMode, MaxAge: int(authflow.UISessionValidity / time.Second)})
}

func (h *Handler) clearSessionCookie(w http.ResponseWriter, st *site) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: st.cookiePath, HttpOnly: true,
		Secure: st.secure, SameSite: http.SameSiteLaxMode, MaxAge: -1})
}
