package oidc

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"

	"github.com/cognate-dev/cognate/internal/tokens"
)

// discovery is a user pool's OpenID Connect discovery document
// (OpenID Connect Discovery 1.0 §3), with the members Cognito's has, in
// its order.
type discovery struct {
	AuthorizationEndpoint             string   `json:"authorization_endpoint"`
	EndSessionEndpoint                string   `json:"end_session_endpoint,omitempty"`
	IDTokenSigningAlgValuesSupported  []string `json:"id_token_signing_alg_values_supported"`
	Issuer                            string   `json:"issuer"`
	JWKSURI                           string   `json:"jwks_uri"`
	ResponseTypesSupported            []string `json:"response_types_supported"`
	RevocationEndpoint                string   `json:"revocation_endpoint,omitempty"`
	ScopesSupported                   []string `json:"scopes_supported"`
	SubjectTypesSupported             []string `json:"subject_types_supported"`
	TokenEndpoint                     string   `json:"token_endpoint"`
	TokenEndpointAuthMethodsSupported []string `json:"token_endpoint_auth_methods_supported"`
	UserinfoEndpoint                  string   `json:"userinfo_endpoint"`
}

// wellKnown serves the well-known documents of every user pool.
type wellKnown struct {
	tokens     *tokens.Service
	baseURL    string
	poolExists func(ctx context.Context, poolID string) bool
	// domainBase returns the public base URL of a pool's domain, "" for
	// none; nil when no domain is served.
	domainBase func(ctx context.Context, poolID string) (string, error)
}

// NewWellKnownHandler returns the handler of GET (and HEAD)
// /<poolId>/.well-known/jwks.json and /<poolId>/.well-known/openid-configuration.
// issuerBaseURL is the public URL cognate is reached at, the same value as
// tokens.Options.IssuerBaseURL; the discovery document's issuer is t's
// issuer for the pool, so it always matches the tokens' iss. poolExists
// says whether a pool exists; for one that does not, both documents answer
// 404 with a JSON body. Other paths answer 404, other methods 405.
func NewWellKnownHandler(t *tokens.Service, issuerBaseURL string, poolExists func(ctx context.Context, poolID string) bool) http.Handler {
	return newWellKnown(t, issuerBaseURL, poolExists, nil)
}

// WellKnown returns the handler of the well-known documents, as
// NewWellKnownHandler does, whose discovery document names the endpoints
// of the pool's domain (Handler.PoolBase) when the pool has one.
func (h *Handler) WellKnown(t *tokens.Service, poolExists func(ctx context.Context, poolID string) bool) http.Handler {
	return newWellKnown(t, h.base.String(), poolExists, h.PoolBase)
}

func newWellKnown(t *tokens.Service, issuerBaseURL string, poolExists func(ctx context.Context, poolID string) bool, domainBase func(ctx context.Context, poolID string) (string, error)) http.Handler {
	w := &wellKnown{tokens: t, baseURL: strings.TrimRight(issuerBaseURL, "/"), poolExists: poolExists, domainBase: domainBase}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{pool}/.well-known/jwks.json", w.jwks)
	mux.HandleFunc("GET /{pool}/.well-known/openid-configuration", w.configuration)
	return mux
}

func (h *wellKnown) jwks(w http.ResponseWriter, r *http.Request) {
	pool := r.PathValue("pool")
	if !h.poolExists(r.Context(), pool) {
		writeNotFound(w, pool)
		return
	}
	body, err := h.tokens.JWKS(r.Context(), pool)
	if err != nil {
		slog.ErrorContext(r.Context(), "serve JWKS", "pool", pool, "err", err)
		writeJSON(w, http.StatusInternalServerError, map[string]string{"message": "Internal error"})
		return
	}
	writeBody(w, http.StatusOK, body)
}

func (h *wellKnown) configuration(w http.ResponseWriter, r *http.Request) {
	pool := r.PathValue("pool")
	if !h.poolExists(r.Context(), pool) {
		writeNotFound(w, pool)
		return
	}
	issuer := h.tokens.Issuer(pool)
	// Cognito names the pool's own endpoints under the issuer for a pool
	// without a domain, where nothing answers them; a pool with a domain
	// has them on its domain.
	base := h.baseURL + "/" + pool
	d := discovery{
		AuthorizationEndpoint:             base + "/authorize",
		IDTokenSigningAlgValuesSupported:  []string{"RS256"},
		Issuer:                            issuer,
		JWKSURI:                           base + "/.well-known/jwks.json",
		ResponseTypesSupported:            []string{"code", "token"},
		ScopesSupported:                   []string{"openid", "email", "phone", "profile"},
		SubjectTypesSupported:             []string{"public"},
		TokenEndpoint:                     base + "/token",
		TokenEndpointAuthMethodsSupported: []string{"client_secret_basic", "client_secret_post"},
		UserinfoEndpoint:                  base + "/userInfo",
	}
	if h.domainBase != nil {
		db, err := h.domainBase(r.Context(), pool)
		if err != nil {
			slog.ErrorContext(r.Context(), "read pool domain", "pool", pool, "err", err)
			writeJSON(w, http.StatusInternalServerError, map[string]string{"message": "Internal error"})
			return
		}
		if db != "" {
			d.AuthorizationEndpoint = db + "/oauth2/authorize"
			d.TokenEndpoint = db + "/oauth2/token"
			d.UserinfoEndpoint = db + "/oauth2/userInfo"
			d.RevocationEndpoint = db + "/oauth2/revoke"
			d.EndSessionEndpoint = db + "/logout"
		}
	}
	writeJSON(w, http.StatusOK, d)
}

func writeNotFound(w http.ResponseWriter, pool string) {
	writeJSON(w, http.StatusNotFound, map[string]string{"message": "User pool " + pool + " does not exist."})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "Internal error", http.StatusInternalServerError)
		return
	}
	writeBody(w, status, body)
}

// writeBody writes a JSON document. The documents are public, and OpenID
// Connect clients running in a browser (oidc-client-ts, Amplify) fetch
// them from another origin, so any origin may read them.
func writeBody(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
