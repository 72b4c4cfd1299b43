package oidc

import (
	"log/slog"
	"net/http"

	"github.com/cognate-dev/cognate/internal/identitypool"
)

// NewIdentityWellKnownHandler returns the handler of the identity issuer's
// documents, GET identitypool.IdentityIssuerPath +
// "/.well-known/openid-configuration" and "/.well-known/jwks_uri" (the
// paths Cognito serves them at under https://cognito-identity.amazonaws.com):
// what an STS, AWS's included, reads to verify the OpenID tokens of
// identity pools.
func NewIdentityWellKnownHandler(ids *identitypool.Service) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+identitypool.IdentityIssuerPath+"/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		body, err := ids.Discovery()
		if err != nil {
			slog.ErrorContext(r.Context(), "serve identity discovery", "err", err)
			writeJSON(w, http.StatusInternalServerError, map[string]string{"message": "Internal error"})
			return
		}
		writeBody(w, http.StatusOK, body)
	})
	mux.HandleFunc("GET "+identitypool.IdentityIssuerPath+"/.well-known/jwks_uri", func(w http.ResponseWriter, r *http.Request) {
		body, err := ids.JWKS(r.Context())
		if err != nil {
			slog.ErrorContext(r.Context(), "serve identity JWKS", "err", err)
			writeJSON(w, http.StatusInternalServerError, map[string]string{"message": "Internal error"})
			return
		}
		writeBody(w, http.StatusOK, body)
	})
	return mux
}
