package console

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/cognate-dev/cognate/internal/authflow"
	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/directory"
	"github.com/cognate-dev/cognate/internal/identitypool"
	"github.com/cognate-dev/cognate/internal/replication"
	"github.com/cognate-dev/cognate/internal/seal"
	"github.com/cognate-dev/cognate/internal/storage"
	"github.com/cognate-dev/cognate/internal/userpool"
)

// PathPrefix is where cognate serves the console.
const PathPrefix = "/console/"

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Options are what the console needs; cmd/cognate fills them.
type Options struct {
	// Pools, Users and Auth are the engines every action goes through
	// (Auth: users' devices and sessions).
	Pools *userpool.Service
	Users *directory.Service
	Auth  *authflow.Service
	// Identities is the identity pools' engine; nil leaves the identity
	// pools' section out.
	Identities *identitypool.Service
	// Replicas is the replica API's engine; nil leaves the replicas and
	// regions pages out.
	Replicas *replication.Replicas
	// Regions are the other regions the server knows (its replication
	// peers and the regions it accepts), whose pools the regions page
	// lists; Peers are the replication peers, where replicas may go.
	Regions, Peers []string
	// Region is the region the console works in: its pools, and the
	// administrators' pool.
	Region string
	// BaseURL is the public URL cognate is reached at by browsers; the
	// console lives at BaseURL + "/console/".
	BaseURL string
	// IssuerBaseURL is the base of the token issuer, as the tokens'
	// iss claim names it.
	IssuerBaseURL string
	// Transport carries the console's own requests to cognate's OAuth
	// endpoints and JWKS (the token exchange, discovery, the key set),
	// normally in process (HandlerTransport).
	Transport http.RoundTripper
	// Key seals the console's cookies.
	Key []byte
	// Secure marks the cookies Secure (cognate serves HTTPS itself, or
	// BaseURL is https).
	Secure bool
	// PoolBase returns the public base URL of a pool's domain, or "".
	PoolBase func(ctx context.Context, poolID string) (string, error)
	// BrandingPreview draws the hosted UI's sign-in page wearing a
	// managed login style's settings (merged over the defaults) and
	// images, in its dark or light mode, with buttons for the named
	// identity providers, and returns the Content-Security-Policy to serve
	// it with, which lets only its own origin frame it (internal/oidc's
	// RenderBrandingPreview, wired by cmd/cognate). Without it the
	// branding page shows no preview.
	BrandingPreview func(w io.Writer, settings map[string]any, assets []userpool.BrandingAsset, dark bool, providers []string) (csp string, err error)
	// Logger receives the "console action" lines, with the operator.
	Logger *slog.Logger
}

// Console serves the console's pages.
type Console struct {
	opts   Options
	sealer *seal.Sealer
	pages  map[string]*template.Template
	log    *slog.Logger
	mux    *http.ServeMux

	// mu guards admin and provider; finding serializes the search for
	// the administrators' pool.
	mu       sync.Mutex
	admin    *AdminPool
	provider *oidc.Provider
	finding  sync.Mutex
}

// New returns a console. Start must run before it serves sign-ins.
func New(opts Options) (*Console, error) {
	if opts.Pools == nil || opts.Users == nil || opts.Auth == nil || opts.Transport == nil || opts.PoolBase == nil {
		return nil, errors.New("console: Pools, Users, Auth, Transport and PoolBase are required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if _, err := url.Parse(opts.BaseURL); err != nil || opts.BaseURL == "" {
		return nil, fmt.Errorf("console: base URL %q: %v", opts.BaseURL, err)
	}
	opts.BaseURL = strings.TrimSuffix(opts.BaseURL, "/")
	opts.Secure = opts.Secure || strings.HasPrefix(opts.BaseURL, "https://")
	s, err := seal.New(opts.Key)
	if err != nil {
		return nil, fmt.Errorf("console: %w", err)
	}
	c := &Console{opts: opts, sealer: s, log: opts.Logger}
	if c.pages, err = parsePages(); err != nil {
		return nil, err
	}
	c.routes()
	return c, nil
}

// Start looks for the administrators' pool, its app client and domain
// (FindAdminPool), adding the console's callback at BaseURL to the client.
// A fresh install has none: the first `cognate console add-admin` makes
// them, and the console finds them at its next sign-in, so that a server
// nobody administers through the console holds no pool it did not ask for.
func (c *Console) Start(ctx context.Context) error {
	_, err := c.findAdmin(ctx, false)
	return err
}

// findAdmin returns the administrators' pool, looking for it in the
// store when none is known yet, or when again is set and the known one
// is gone (a deleted pool, a renamed domain).
func (c *Console) findAdmin(ctx context.Context, again bool) (*AdminPool, error) {
	c.finding.Lock()
	defer c.finding.Unlock()
	known := c.AdminPool()
	if known != nil && !again {
		return known, nil
	}
	a, err := FindAdminPool(ctx, c.opts.Pools, c.caller(), c.opts.BaseURL)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if a == nil || known == nil || *a != *known {
		// Another pool (or none) than the one whose discovery was read.
		c.provider = nil
	}
	c.admin = a
	return a, nil
}

// AdminPool returns the administrators' pool the console found, or nil
// while there is none.
func (c *Console) AdminPool() *AdminPool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.admin
}

func (c *Console) caller() cognito.Caller { return cognito.Caller{Region: c.opts.Region} }

// Wrap sends the console's paths (/console and everything under
// /console/) to the console and every other request to next.
func (c *Console) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/console":
			http.Redirect(w, r, PathPrefix, http.StatusMovedPermanently)
		case strings.HasPrefix(r.URL.Path, PathPrefix):
			c.ServeHTTP(w, r)
		default:
			next.ServeHTTP(w, r)
		}
	})
}

// ServeHTTP serves the console's paths (everything under /console/).
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	// No script at all. (No form-action: the sign-out form's redirect
	// leads to the hosted UI, which may be on another host.)
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; frame-src 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cache-Control", "no-store")
	c.mux.ServeHTTP(w, r)
}

func (c *Console) routes() {
	m := http.NewServeMux()
	static, _ := fs.Sub(staticFS, "static")
	m.Handle("GET /console/static/", http.StripPrefix("/console/static/", http.FileServerFS(static)))
	m.HandleFunc("GET /console/login", c.login)
	m.HandleFunc("GET /console/callback", c.callback)
	m.HandleFunc("GET /console/signed-out", c.signedOut)
	m.Handle("POST /console/logout", c.authed(c.logout))
	m.Handle("GET /console/{$}", c.authed(c.poolsList))
	m.Handle("GET /console/pools", c.authed(c.poolsList))
	m.Handle("GET /console/create", c.authed(c.wizard))
	m.Handle("POST /console/create", c.authed(c.wizard))
	m.Handle("GET /console/pools/{pool}", c.authed(c.poolDetails))
	m.Handle("GET /console/pools/{pool}/edit", c.authed(c.poolEdit))
	m.Handle("POST /console/pools/{pool}/edit", c.authed(c.poolEdit))
	m.Handle("GET /console/pools/{pool}/settings", c.authed(c.poolSettings))
	m.Handle("POST /console/pools/{pool}/settings", c.authed(c.poolSettings))
	m.Handle("GET /console/pools/{pool}/risk", c.authed(c.riskConfiguration))
	m.Handle("POST /console/pools/{pool}/risk", c.authed(c.riskConfiguration))
	m.Handle("GET /console/pools/{pool}/resource-servers", c.authed(c.resourceServers))
	m.Handle("POST /console/pools/{pool}/resource-servers", c.authed(c.resourceServers))
	m.Handle("GET /console/pools/{pool}/resource-servers/{server}", c.authed(c.resourceServer))
	m.Handle("POST /console/pools/{pool}/resource-servers/{server}", c.authed(c.resourceServer))
	m.Handle("GET /console/pools/{pool}/domains", c.authed(c.domains))
	m.Handle("POST /console/pools/{pool}/domains", c.authed(c.domains))
	m.Handle("GET /console/pools/{pool}/clients/{client}/branding", c.authed(c.branding))
	m.Handle("POST /console/pools/{pool}/clients/{client}/branding", c.authed(c.branding))
	m.Handle("GET /console/pools/{pool}/clients/{client}/branding/frame", c.authed(c.brandingFrame))
	m.Handle("GET /console/pools/{pool}/clients/{client}/branding/asset", c.authed(c.brandingAssetImage))
	m.Handle("POST /console/pools/{pool}/clients/{client}/branding/assets", c.authed(c.brandingAsset))
	m.Handle("GET /console/pools/{pool}/clients/{client}/ui-customization", c.authed(c.uiCustomization))
	m.Handle("POST /console/pools/{pool}/clients/{client}/ui-customization", c.authed(c.uiCustomization))
	m.Handle("GET /console/pools/{pool}/clients/{client}/ui-customization/logo", c.authed(c.uiLogo))
	m.Handle("GET /console/pools/{pool}/clients", c.authed(c.clientsList))
	m.Handle("POST /console/pools/{pool}/clients", c.authed(c.createClient))
	m.Handle("GET /console/pools/{pool}/clients/{client}", c.authed(c.clientDetails))
	m.Handle("POST /console/pools/{pool}/clients/{client}/{action}", c.authed(c.clientAction))
	m.Handle("GET /console/pools/{pool}/clients/{client}/hosted-ui", c.authed(c.hostedUI))
	m.Handle("POST /console/pools/{pool}/clients/{client}/hosted-ui", c.authed(c.hostedUI))
	m.Handle("GET /console/pools/{pool}/users", c.authed(c.usersList))
	m.Handle("POST /console/pools/{pool}/users", c.authed(c.createUser))
	m.Handle("GET /console/pools/{pool}/users/{user}", c.authed(c.userDetails))
	m.Handle("POST /console/pools/{pool}/users/{user}/{action}", c.authed(c.userAction))
	m.Handle("GET /console/pools/{pool}/changes", c.authed(c.poolChanges))
	if c.opts.Identities != nil {
		m.Handle("GET /console/identity-pools", c.authed(c.identityPools))
		m.Handle("POST /console/identity-pools", c.authed(c.identityPools))
		m.Handle("GET /console/identity-pools/{id}", c.authed(c.identityPool))
		m.Handle("POST /console/identity-pools/{id}", c.authed(c.identityPool))
		m.Handle("GET /console/identity-pools/{id}/identities", c.authed(c.identityPoolIdentities))
		m.Handle("GET /console/identity-pools/{id}/access", c.authed(c.identityPoolAccess))
		m.Handle("POST /console/identity-pools/{id}/access", c.authed(c.identityPoolAccess))
	}
	if c.opts.Replicas != nil {
		m.Handle("GET /console/pools/{pool}/replicas", c.authed(c.replicas))
		m.Handle("POST /console/pools/{pool}/replicas", c.authed(c.replicas))
		m.Handle("GET /console/regions", c.authed(c.regions))
		m.Handle("GET /console/regions/{region}/pools/{pool}", c.authed(c.regionPool))
	}
	m.Handle("GET /console/pools/{pool}/identity-providers", c.authed(c.identityProviders))
	m.Handle("POST /console/pools/{pool}/identity-providers", c.authed(c.identityProviders))
	m.Handle("GET /console/pools/{pool}/identity-providers/{provider}", c.authed(c.identityProvider))
	m.Handle("POST /console/pools/{pool}/identity-providers/{provider}", c.authed(c.identityProvider))
	m.Handle("GET /console/pools/{pool}/groups", c.authed(c.groupsList))
	m.Handle("POST /console/pools/{pool}/groups", c.authed(c.createGroup))
	m.Handle("GET /console/pools/{pool}/groups/{group}", c.authed(c.groupDetails))
	m.Handle("POST /console/pools/{pool}/groups/{group}/{action}", c.authed(c.groupAction))
	m.HandleFunc("/console/", func(w http.ResponseWriter, r *http.Request) {
		if _, ok := c.session(r); !ok {
			c.toSignIn(w, r)
			return
		}
		http.NotFound(w, r)
	})
	c.mux = m
}

// page is what every page template gets.
type page struct {
	Title    string
	Operator string
	CSRF     string
	// IdentityPools says whether the navigation links to the identity
	// pools' section (render sets it).
	IdentityPools bool
	// Regions says whether it links to the regions' and replicas' pages.
	Regions bool
	// Error is an engine's message for the whole form; FieldErrors
	// place messages next to their fields.
	Error       string
	FieldErrors map[string]string
	Notice      string
	Data        any
}

// FieldErr returns the message for field name, if the error named it.
func (p page) FieldErr(name string) string { return p.FieldErrors[name] }

func parsePages() (map[string]*template.Template, error) {
	funcs := template.FuncMap{
		"deref":    func(p *string) string { return cognito.Deref(p) },
		"derefi":   func(p *int32) int32 { return cognito.Deref(p) },
		"derefb":   func(p *bool) bool { return cognito.Deref(p) },
		"has":      func(list []string, v string) bool { return contains(list, v) },
		"join":     strings.Join,
		"pathesc":  url.PathEscape,
		"queryesc": url.QueryEscape,
		"list":     func(v ...string) []string { return v },
		"dict": func(kv ...any) map[string]any {
			m := map[string]any{}
			for i := 0; i+1 < len(kv); i += 2 {
				m[kv[i].(string)] = kv[i+1]
			}
			return m
		},
		"attr": attrValue,
		// pageURL is a console path (built from escaped parts) with a
		// query that url.Values encoded and a fragment: html/template
		// would escape the query's = and & once more.
		"pageURL": func(path, query, fragment string) template.URL {
			u := path
			if query != "" {
				u += "?" + query
			}
			if fragment != "" {
				u += "#" + url.PathEscape(fragment)
			}
			if !strings.HasPrefix(u, PathPrefix) {
				return ""
			}
			return template.URL(u)
		},
		"ts": formatTimestamp,
	}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	out := map[string]*template.Template{}
	for _, n := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if base == "layout" || strings.HasPrefix(base, "_") {
			continue
		}
		// Files whose names start with _ hold templates pages share.
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/_*.html", n)
		if err != nil {
			return nil, fmt.Errorf("console: parse %s: %w", n, err)
		}
		out[base] = t
	}
	return out, nil
}

// attrValue returns the value of the attribute name in list, or "".
func attrValue(list []idp.AttributeType, name string) string {
	for _, a := range list {
		if cognito.Deref(a.Name) == name {
			return cognito.Deref(a.Value)
		}
	}
	return ""
}

// formatTimestamp shows a timestamp of an API answer in UTC, to the
// second; "" for none.
func formatTimestamp(t *cognito.Timestamp) string {
	if t == nil || t.Time.IsZero() {
		return ""
	}
	return t.Time.UTC().Format("2006-01-02 15:04:05 UTC")
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// render writes page name with status.
func (c *Console) render(w http.ResponseWriter, r *http.Request, status int, name string, p page) {
	if s, ok := sessionFrom(r.Context()); ok {
		p.Operator, p.CSRF = s.Username, s.CSRF
	}
	p.IdentityPools, p.Regions = c.opts.Identities != nil, c.opts.Replicas != nil
	t, ok := c.pages[name]
	if !ok {
		http.Error(w, "Internal error", http.StatusInternalServerError)
		return
	}
	var b strings.Builder
	if err := t.ExecuteTemplate(&b, "layout.html", p); err != nil {
		c.log.ErrorContext(r.Context(), "console: render page", "page", name, "err", err)
		http.Error(w, "Internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(b.String()))
}

// message returns the client message of an engine error (a Cognito
// exception, as the API would answer it), or a generic one.
func message(err error) (code, msg string) {
	var ce *cognito.Error
	if errors.As(err, &ce) {
		return ce.Code, ce.Message
	}
	return "InternalErrorException", "Internal error"
}

// fail renders page name again with err's message.
func (c *Console) fail(w http.ResponseWriter, r *http.Request, name string, p page, err error, fields ...string) {
	code, msg := message(err)
	status := http.StatusBadRequest
	var ce *cognito.Error
	if errors.As(err, &ce) {
		status = ce.Status
	} else {
		c.log.ErrorContext(r.Context(), "console action failed", "err", err)
		status = http.StatusInternalServerError
	}
	text := code + ": " + msg
	p.FieldErrors = map[string]string{}
	placed := false
	lower := strings.ToLower(msg)
	for _, f := range fields {
		// A validation message names the member ('poolName' or
		// PoolName); an engine's message names it the API's way.
		if strings.Contains(lower, strings.ToLower(f)) {
			p.FieldErrors[f] = text
			placed = true
			break
		}
	}
	if !placed {
		p.Error = text
	}
	c.render(w, r, status, name, p)
}

// as returns ctx naming the signed-in operator (authed put them in it)
// and op as the actor of the changes the engine writes for op: the change
// log records them beside each state.
func as(ctx context.Context, op string) context.Context {
	a, _ := storage.ActorFrom(ctx)
	a.Action = op
	return storage.WithActor(ctx, a)
}

// audit logs a console action with the operator who did it.
func (c *Console) audit(r *http.Request, action string, args ...any) {
	s, _ := sessionFrom(r.Context())
	c.log.InfoContext(r.Context(), "console action", append([]any{"action", action, "operator", s.Username, "operator_sub", s.Sub}, args...)...)
}
