package oidc

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	pathpkg "path"
	"strings"
	"sync"
	"time"

	"github.com/cognate-dev/cognate/internal/authflow"
	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/directory"
	"github.com/cognate-dev/cognate/internal/ratelimit"
	"github.com/cognate-dev/cognate/internal/storage"
	"github.com/cognate-dev/cognate/internal/userpool"
)

// DomainPathPrefix is the path form of a pool's domain: every endpoint
// and page of the domain <prefix> is also served under
// /_domain/<prefix>/ on any host cognate answers, which needs no DNS.
const DomainPathPrefix = "/_domain/"

// DefaultDomainPattern is the host a prefix domain is served at when
// Options.DomainPattern is empty: browsers resolve every *.localhost name
// to the loopback address, so it needs no DNS on the machine cognate runs
// on.
const DefaultDomainPattern = "{prefix}.auth.{region}.localhost"

// Options configures the hosted UI and OAuth 2.0 edge.
type Options struct {
	// Pools reads pools, domains, app clients and branding; Users runs
	// the pages' user operations (sign-up, confirmation, recovery).
	Pools *userpool.Service
	Users *directory.Service
	Auth  *authflow.Service
	// IssuerBaseURL is the public URL cognate is reached at (the base of
	// the token issuers): its scheme and port are those of the prefix
	// domains' URLs, and its host is never taken for a custom domain.
	IssuerBaseURL string
	// DomainPattern is the host of a prefix domain, with {prefix} and
	// {region} in it ("{prefix}.auth.{region}.example.com");
	// DefaultDomainPattern when empty.
	DomainPattern string
	// PublicForm is how discovery documents and pages name a prefix
	// domain's URLs: "path" (the default: <IssuerBaseURL>/_domain/<prefix>)
	// or "host" (the DomainPattern host).
	PublicForm string
	// TrustedProxies are the proxies whose X-Forwarded-For, Forwarded and
	// X-Forwarded-Proto headers are believed; none by default.
	TrustedProxies ratelimit.TrustedProxies
	// Protection is the protective request-rate limits per client address
	// and per user, as the API applies them; nil applies none.
	Protection *ratelimit.Guard
	// Replicas says whether this region's replica of a pool serves its end
	// users; nil serves every pool's.
	Replicas ReplicaChecker
	// Key (at least 32 bytes) keys the CSRF tokens of the pages.
	Key []byte
	// Logger receives the edge's logs; nil discards them.
	Logger *slog.Logger
	// Clock returns the current time; nil means time.Now.
	Clock func() time.Time
}

// ReplicaChecker is what the edge needs of the replica records
// (replication.Replicas): ServesEndUsers returns a *cognito.Error when
// this region's replica of pool does not accept end users' requests
// (CREATING or INACTIVE).
type ReplicaChecker interface {
	ServesEndUsers(ctx context.Context, pool string) error
}

// Handler serves the hosted UI and the OAuth 2.0 endpoints of every pool
// domain, and hands every other request to the next handler (Wrap).
type Handler struct {
	pools      *userpool.Service
	users      *directory.Service
	auth       *authflow.Service
	base       *url.URL
	pattern    string
	publicHost bool
	proxies    ratelimit.TrustedProxies
	protect    *ratelimit.Guard
	csrfKey    []byte
	log        *slog.Logger
	clock      func() time.Time
	mux        *http.ServeMux
	domains    domainCache
	replicas   ReplicaChecker
}

// New returns the edge's handler, or an error when opts are unusable.
func New(opts Options) (*Handler, error) {
	switch {
	case opts.Pools == nil || opts.Users == nil || opts.Auth == nil:
		return nil, errors.New("oidc: no engine")
	case len(opts.Key) < 32:
		return nil, errors.New("oidc: key shorter than 32 bytes")
	}
	base, err := url.Parse(strings.TrimRight(opts.IssuerBaseURL, "/"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("oidc: issuer base URL %q is not an http(s) URL", opts.IssuerBaseURL)
	}
	pattern := strings.ToLower(opts.DomainPattern)
	if pattern == "" {
		pattern = DefaultDomainPattern
	}
	if err := CheckDomainPattern(pattern); err != nil {
		return nil, err
	}
	switch opts.PublicForm {
	case "", "path", "host":
	default:
		return nil, fmt.Errorf("oidc: public form %q: want path or host", opts.PublicForm)
	}
	h := &Handler{
		pools: opts.Pools, users: opts.Users, auth: opts.Auth, base: base, pattern: pattern, publicHost: opts.PublicForm == "host",
		proxies: opts.TrustedProxies, protect: opts.Protection, csrfKey: deriveKey(opts.Key, "hosted-ui-csrf"),
		log: opts.Logger, clock: opts.Clock, replicas: opts.Replicas,
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.clock == nil {
		h.clock = time.Now
	}
	h.domains.ttl = 10 * time.Second
	h.mux = h.routes()
	return h, nil
}

// CheckDomainPattern checks a prefix-domain host pattern: a host name with
// {prefix} as its first label and {region} at most once.
func CheckDomainPattern(p string) error {
	if !strings.HasPrefix(p, "{prefix}.") || strings.Count(p, "{prefix}") != 1 || strings.Count(p, "{region}") > 1 {
		return fmt.Errorf("domain pattern %q: must start with {prefix}. and hold {region} at most once", p)
	}
	rest := strings.NewReplacer("{region}", "us-east-1").Replace(strings.TrimPrefix(p, "{prefix}."))
	for _, l := range strings.Split(rest, ".") {
		if l == "" || strings.ContainsAny(l, "{}:/ ") {
			return fmt.Errorf("domain pattern %q: not a host name", p)
		}
	}
	return nil
}

func deriveKey(key []byte, label string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("cognate/" + label))
	return m.Sum(nil)
}

// site is the pool domain a request reached, and how its URLs look.
type site struct {
	domain *userpool.Domain
	poolID string
	region string
	// base is the path the domain's endpoints are under ("" on a domain's
	// own host, "/_domain/<prefix>" in the path form): redirects within
	// the domain and the pages' links are relative to the request's own
	// origin, never built from its Host header. cookiePath is the path its
	// cookies are scoped to.
	base       string
	cookiePath string
	// secure is true when the request came over TLS (or a trusted proxy
	// says it did): cookies are then Secure.
	secure bool
	// addr is the client's address.
	addr netip.Addr
}

type siteKey struct{}

func siteOf(ctx context.Context) *site { s, _ := ctx.Value(siteKey{}).(*site); return s }

// Wrap returns a handler that serves a request for a pool domain (by its
// Host, or under DomainPathPrefix) and hands every other to next.
func (h *Handler) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st, path, err := h.resolve(r)
		if err != nil {
			h.log.ErrorContext(r.Context(), "resolve pool domain", "err", err)
			http.Error(w, "Internal error", http.StatusInternalServerError)
			return
		}
		if st == nil {
			if r.URL.Path == "/confirmUser" {
				h.confirmRedirect(w, r)
				return
			}
			if r.URL.Path == feedbackPath {
				h.feedbackPage(w, r)
				return
			}
			if strings.HasPrefix(r.URL.Path, DomainPathPrefix) {
				h.notFound(w, r)
				return
			}
			next.ServeHTTP(w, r)
			return
		}
		ctx := context.WithValue(r.Context(), siteKey{}, st)
		ctx = ratelimit.WithClientAddr(ctx, st.addr)
		// A path with dot segments is served as its clean form rather than
		// redirected to it, which under /_domain/<prefix>/ would leave the
		// domain.
		clean := pathpkg.Clean("/" + path)
		// What a page or endpoint writes, the change log says the hosted
		// UI wrote, at that path.
		ctx = storage.WithActor(ctx, storage.Actor{Kind: storage.ActorHostedUI, Action: clean})
		r2 := r.Clone(ctx)
		r2.URL.Path, r2.URL.RawPath = clean, ""
		setSecurityHeaders(w)
		if !h.servesEndUsers(w, r2) {
			return
		}
		h.mux.ServeHTTP(w, r2)
	})
}

// resolve finds the pool domain a request is for: the path form first,
// then the Host as a prefix domain by the pattern, then as a custom
// domain. It returns nil when the request is for no domain, and the path
// inside the domain.
func (h *Handler) resolve(r *http.Request) (*site, string, error) {
	ctx := r.Context()
	secure := r.TLS != nil
	addr := h.proxies.ClientAddr(r.RemoteAddr, r.Header)
	if peer := remoteIP(r.RemoteAddr); peer.IsValid() && h.proxies.Trusts(peer) {
		if p := r.Header.Get("X-Forwarded-Proto"); p != "" {
			secure = strings.EqualFold(strings.TrimSpace(strings.Split(p, ",")[0]), "https")
		}
	}
	if rest, ok := strings.CutPrefix(r.URL.Path, DomainPathPrefix); ok {
		prefix, sub, _ := strings.Cut(rest, "/")
		d, err := h.domain(ctx, prefix)
		if err != nil || d == nil || d.Custom {
			return nil, "", err
		}
		base := DomainPathPrefix + prefix
		return &site{domain: d, poolID: d.PoolID, region: cognito.RegionOfPoolID(d.PoolID), base: base,
			cookiePath: DomainPathPrefix + prefix + "/", secure: secure, addr: addr}, "/" + sub, nil
	}
	host := strings.ToLower(hostOnly(r.Host))
	if host == "" || host == "localhost" || host == strings.ToLower(h.base.Hostname()) {
		return nil, "", nil
	}
	if _, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		return nil, "", nil
	}
	var d *userpool.Domain
	if prefix, region, ok := h.matchPattern(host); ok {
		found, err := h.domain(ctx, prefix)
		if err != nil {
			return nil, "", err
		}
		if found != nil && !found.Custom && (region == "" || cognito.RegionOfPoolID(found.PoolID) == region) {
			d = found
		}
	} else {
		found, err := h.domain(ctx, host)
		if err != nil {
			return nil, "", err
		}
		if found != nil && found.Custom {
			d = found
		}
	}
	if d == nil {
		return nil, "", nil
	}
	return &site{domain: d, poolID: d.PoolID, region: cognito.RegionOfPoolID(d.PoolID), base: "",
		cookiePath: "/", secure: secure, addr: addr}, r.URL.Path, nil
}

// matchPattern matches a host against the prefix-domain pattern.
func (h *Handler) matchPattern(host string) (prefix, region string, ok bool) {
	prefix, rest, ok := strings.Cut(host, ".")
	if !ok || prefix == "" {
		return "", "", false
	}
	tail := strings.TrimPrefix(h.pattern, "{prefix}.")
	before, after, hasRegion := strings.Cut(tail, "{region}")
	if !hasRegion {
		return prefix, "", rest == tail
	}
	if !strings.HasPrefix(rest, before) || !strings.HasSuffix(rest, after) || len(rest) <= len(before)+len(after) {
		return "", "", false
	}
	region = rest[len(before) : len(rest)-len(after)]
	if strings.Contains(region, ".") {
		return "", "", false
	}
	return prefix, region, true
}

// PublicBase returns the URL a pool domain's endpoints are announced at
// (discovery documents): the path form under IssuerBaseURL, or the host
// form, as PublicForm says; a custom domain by its own name, with the
// scheme of IssuerBaseURL.
func (h *Handler) PublicBase(d *userpool.Domain) string {
	switch {
	case d.Custom:
		return h.base.Scheme + "://" + d.Name
	case h.publicHost:
		host := strings.NewReplacer("{prefix}", d.Name, "{region}", cognito.RegionOfPoolID(d.PoolID)).Replace(h.pattern)
		if p := h.base.Port(); p != "" {
			host += ":" + p
		}
		return h.base.Scheme + "://" + host
	}
	return h.base.String() + DomainPathPrefix + d.Name
}

// PoolBase returns the public base URL of poolID's domain (its prefix
// domain, else its custom domain), or "" when it has none.
func (h *Handler) PoolBase(ctx context.Context, poolID string) (string, error) {
	prefix, custom, err := h.pools.PoolDomains(ctx, poolID)
	if err != nil {
		return "", err
	}
	name := prefix
	if name == "" {
		name = custom
	}
	if name == "" {
		return "", nil
	}
	d, err := h.pools.DomainByName(ctx, name)
	if err != nil || d == nil {
		return "", err
	}
	return h.PublicBase(d), nil
}

func hostOnly(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return hostport
}

func remoteIP(remote string) netip.Addr {
	ap, err := netip.ParseAddrPort(remote)
	if err != nil {
		a, _ := netip.ParseAddr(remote)
		return a
	}
	return ap.Addr().Unmap()
}

// domain reads a domain through a short-lived cache: the Host of every
// request that is not cognate's own is looked up, and most are no domain.
func (h *Handler) domain(ctx context.Context, name string) (*userpool.Domain, error) {
	name = strings.ToLower(name)
	if d, ok := h.domains.get(name, h.clock()); ok {
		return d, nil
	}
	d, err := h.pools.DomainByName(ctx, name)
	if err != nil {
		return nil, err
	}
	h.domains.put(name, d, h.clock())
	return d, nil
}

// domainCache remembers domain lookups, found or not, for ttl; at most
// maxCachedDomains names.
type domainCache struct {
	ttl time.Duration
	// mu guards byName.
	mu     sync.Mutex
	byName map[string]cachedDomain
}

type cachedDomain struct {
	d  *userpool.Domain
	at time.Time
}

const maxCachedDomains = 4096

func (c *domainCache) get(name string, now time.Time) (*userpool.Domain, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.byName[name]
	if !ok || now.Sub(e.at) > c.ttl || now.Before(e.at) {
		return nil, false
	}
	return e.d, true
}

func (c *domainCache) put(name string, d *userpool.Domain, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byName == nil || len(c.byName) >= maxCachedDomains {
		c.byName = make(map[string]cachedDomain)
	}
	c.byName[name] = cachedDomain{d: d, at: now}
}

// setSecurityHeaders sets what every answer of a pool domain carries:
// pages are framed by no one, and nothing is cached or sniffed.
func setSecurityHeaders(w http.ResponseWriter) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("Cache-Control", "no-store")
}

// servesEndUsers answers a request of a pool whose replica in this region
// does not accept end users' requests (CREATING or INACTIVE), and reports
// whether the request may go on. The OAuth endpoints that answer JSON
// (token, revoke, userInfo) answer invalid_request with the reason; the
// pages, authorize and logout show the error page, status 403. The
// domain's style sheets are served whatever the replica's status, for
// that page.
func (h *Handler) servesEndUsers(w http.ResponseWriter, r *http.Request) bool {
	if h.replicas == nil || strings.HasPrefix(r.URL.Path, "/static/") || r.URL.Path == "/branding.css" {
		return true
	}
	err := h.replicas.ServesEndUsers(r.Context(), siteOf(r.Context()).poolID)
	if err == nil {
		return true
	}
	var ce *cognito.Error
	if !errors.As(err, &ce) || ce.Status >= 500 {
		h.serverError(w, r, err)
		return false
	}
	switch r.URL.Path {
	case "/oauth2/token", "/oauth2/revoke", "/oauth2/userInfo":
		writeJSONNoStore(w, http.StatusBadRequest, map[string]string{"error": "invalid_request", "error_description": ce.Message})
	default:
		h.errorPage(w, r, http.StatusForbidden, "invalid_request", ce.Message)
	}
	return false
}
