package oidc

import (
	"errors"
	"mime"
	"net/http"
	"strings"

	"github.com/cognate-dev/cognate/internal/cognito"
)

// Cognito's WWW-Authenticate answers of the userInfo endpoint.
const (
	userInfoInvalidToken   = `Bearer error="invalid_token", error_description="Access token is expired, disabled, or deleted, or the user has globally signed out."`
	userInfoInvalidRequest = `Bearer error="invalid_request", error_description="Bad OAuth2 request at UserInfo Endpoint"`
)

// userInfo is GET and POST /oauth2/userInfo (OpenID Connect Core 1.0
// §5.3): the claims the access token's scopes release. The token comes in
// the Authorization header, or for POST in the access_token form
// parameter (RFC 6750 §2.2).
func (h *Handler) userInfo(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Access-Control-Allow-Origin", "*")
	token := ""
	switch r.Method {
	case http.MethodGet, http.MethodHead:
	case http.MethodPost:
		if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "application/x-www-form-urlencoded" {
			r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
			if err := r.ParseForm(); err != nil {
				h.userInfoError(w, http.StatusBadRequest, userInfoInvalidRequest)
				return
			}
			token = r.PostForm.Get("access_token")
		}
	default:
		w.Header().Set("Allow", "GET, HEAD, POST")
		h.userInfoError(w, http.StatusMethodNotAllowed, userInfoInvalidRequest)
		return
	}
	if raw := r.Header.Get("Authorization"); raw != "" {
		scheme, cred, _ := strings.Cut(raw, " ")
		if !strings.EqualFold(scheme, "Bearer") || token != "" {
			h.userInfoError(w, http.StatusBadRequest, userInfoInvalidRequest)
			return
		}
		token = strings.TrimSpace(cred)
	}
	if token == "" {
		h.userInfoError(w, http.StatusUnauthorized, userInfoInvalidRequest)
		return
	}
	claims, err := h.auth.UserInfo(r.Context(), token)
	var ce *cognito.Error
	switch {
	case err == nil:
		writeJSONNoStore(w, http.StatusOK, claims)
	case errors.As(err, &ce) && ce.Status < 500:
		h.userInfoError(w, http.StatusUnauthorized, userInfoInvalidToken)
	default:
		h.log.ErrorContext(r.Context(), "userInfo", "err", err)
		writeJSONNoStore(w, http.StatusInternalServerError, map[string]string{"error": "server_error"})
	}
}

func (h *Handler) userInfoError(w http.ResponseWriter, status int, challenge string) {
	w.Header().Set("WWW-Authenticate", challenge)
	writeJSONNoStore(w, status, map[string]string{"error": strings.TrimSuffix(strings.TrimPrefix(strings.Split(challenge, ",")[0], `Bearer error="`), `"`)})
}
