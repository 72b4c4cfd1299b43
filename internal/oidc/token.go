package oidc

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/cognate-dev/cognate/internal/authflow"
	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/userpool"
)

// oauthError is an error of the token and revocation endpoints (RFC 6749
// §5.2): Cognito's JSON body {"error": "<code>"}.
type oauthError struct {
	status int
	code   string
}

func (e *oauthError) Error() string { return e.code }

var (
	errInvalidRequest       = &oauthError{http.StatusBadRequest, "invalid_request"}
	errInvalidClient        = &oauthError{http.StatusUnauthorized, "invalid_client"}
	errInvalidGrant         = &oauthError{http.StatusBadRequest, "invalid_grant"}
	errUnauthorizedClient   = &oauthError{http.StatusBadRequest, "unauthorized_client"}
	errUnsupportedGrantType = &oauthError{http.StatusBadRequest, "unsupported_grant_type"}
	errInvalidScope         = &oauthError{http.StatusBadRequest, "invalid_scope"}
	errUnsupportedTokenType = &oauthError{http.StatusBadRequest, "unsupported_token_type"}
	errSlowDown             = &oauthError{http.StatusTooManyRequests, "slow_down"}
)

// writeOAuthError is the edge's one mapping of errors to the JSON errors
// of RFC 6749 §5.2: an *oauthError as it is, authflow.ErrInvalidGrant as
// invalid_grant, Cognito's throttling as slow_down, anything else a logged
// 500 whose cause never reaches the body.
func (h *Handler) writeOAuthError(w http.ResponseWriter, r *http.Request, err error) {
	var oe *oauthError
	var ce *cognito.Error
	switch {
	case errors.As(err, &oe):
	case errors.Is(err, authflow.ErrInvalidGrant):
		oe = errInvalidGrant
	case errors.As(err, &ce) && ce.Code == cognito.CodeTooManyRequestsException:
		oe = errSlowDown
	case errors.As(err, &ce) && (ce.Code == cognito.CodeUserLambdaValidationException ||
		ce.Code == cognito.CodeInvalidLambdaResponseException || ce.Code == cognito.CodeUnexpectedLambdaException):
		// A trigger function refused the tokens or failed: the request
		// gets nothing, and it is no fault of the server's.
		h.log.InfoContext(r.Context(), "oauth endpoint: trigger failed", "path", r.URL.Path, "err", err)
		oe = errInvalidRequest
	default:
		h.log.ErrorContext(r.Context(), "oauth endpoint", "path", r.URL.Path, "err", err)
		oe = &oauthError{http.StatusInternalServerError, "server_error"}
	}
	if oe == errInvalidClient && r.Header.Get("Authorization") != "" {
		w.Header().Set("WWW-Authenticate", `Basic realm="cognate"`)
	}
	writeJSONNoStore(w, oe.status, map[string]string{"error": oe.code})
}

func writeJSONNoStore(w http.ResponseWriter, status int, v any) {
	body, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// readForm reads the x-www-form-urlencoded body of a POST to an endpoint
// that takes one, refusing a repeated parameter (RFC 6749 §3.2).
func readForm(w http.ResponseWriter, r *http.Request) (url.Values, error) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		return nil, &oauthError{http.StatusMethodNotAllowed, "invalid_request"}
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return nil, errInvalidRequest
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		return nil, errInvalidRequest
	}
	for _, vs := range r.PostForm {
		if len(vs) > 1 {
			return nil, errInvalidRequest
		}
	}
	return r.PostForm, nil
}

// authenticateClient authenticates the client of a token or revocation
// request: HTTP Basic (client_id:client_secret, each form-encoded, RFC
// 6749 §2.3.1) or client_id and client_secret in the body, never both. A
// client with a secret must present it; one without presents none.
func (h *Handler) authenticateClient(r *http.Request, st *site, form url.Values) (*userpool.SignInClient, string, error) {
	id, secret := form.Get("client_id"), form.Get("client_secret")
	if raw := r.Header.Get("Authorization"); raw != "" {
		scheme, cred, _ := strings.Cut(raw, " ")
		if !strings.EqualFold(scheme, "Basic") {
			return nil, "", errInvalidClient
		}
		dec, err := base64.StdEncoding.DecodeString(strings.TrimSpace(cred))
		if err != nil {
			return nil, "", errInvalidClient
		}
		u, p, ok := strings.Cut(string(dec), ":")
		if !ok {
			return nil, "", errInvalidClient
		}
		bu, err1 := url.QueryUnescape(u)
		bp, err2 := url.QueryUnescape(p)
		if err1 != nil || err2 != nil || secret != "" || (id != "" && id != bu) {
			return nil, "", errInvalidClient
		}
		id, secret = bu, bp
	}
	if id == "" {
		return nil, "", errInvalidClient
	}
	_, client, err := h.pools.SignInClient(r.Context(), cognito.Caller{Region: st.region}, st.poolID, id)
	if errors.Is(err, cognito.ResourceNotFoundException("")) || errors.Is(err, cognito.InvalidParameterException("")) {
		return nil, "", errInvalidClient
	}
	if err != nil {
		return nil, "", err
	}
	switch {
	case client.HasSecret && !client.CheckClientSecret(secret):
		return nil, "", errInvalidClient
	case !client.HasSecret && secret != "":
		return nil, "", errInvalidClient
	}
	return client, secret, nil
}

// tokenResponse is the token endpoint's answer (RFC 6749 §5.1), members
// in Cognito's order.
type tokenResponse struct {
	IDToken      string `json:"id_token,omitempty"`
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token,omitempty"`
	ExpiresIn    int    `json:"expires_in"`
	TokenType    string `json:"token_type"`
}

// token is POST /oauth2/token: grant types authorization_code (with the
// PKCE code_verifier), refresh_token and client_credentials.
func (h *Handler) token(w http.ResponseWriter, r *http.Request) {
	st := siteOf(r.Context())
	form, err := readForm(w, r)
	if err != nil {
		h.writeOAuthError(w, r, err)
		return
	}
	if !h.protect.AllowAddress(st.addr) {
		h.writeOAuthError(w, r, errSlowDown)
		return
	}
	grant := form.Get("grant_type")
	if grant == "" {
		h.writeOAuthError(w, r, errInvalidRequest)
		return
	}
	client, _, err := h.authenticateClient(r, st, form)
	if err != nil {
		h.writeOAuthError(w, r, err)
		return
	}
	oa := client.OAuth()
	var t *authflow.Tokens
	switch grant {
	case "authorization_code":
		if !oa.AllowsFlow("code") {
			err = errUnauthorizedClient
			break
		}
		if form.Get("code") == "" || form.Get("redirect_uri") == "" {
			err = errInvalidRequest
			break
		}
		t, err = h.auth.RedeemCode(r.Context(), authflow.Redemption{Client: client, Code: form.Get("code"),
			RedirectURI: form.Get("redirect_uri"), CodeVerifier: form.Get("code_verifier")})
	case "refresh_token":
		if form.Get("refresh_token") == "" {
			err = errInvalidRequest
			break
		}
		t, err = h.auth.RefreshOAuth(r.Context(), client, form.Get("refresh_token"))
	case "client_credentials":
		if !oa.AllowsFlow("client_credentials") {
			err = errUnauthorizedClient
			break
		}
		var scopes []string
		var metadata map[string]string
		if scopes, err = clientScopes(oa, form.Get("scope")); err == nil {
			metadata, err = clientMetadataParam(form.Get("aws_client_metadata"))
		}
		if err == nil {
			t, err = h.auth.IssueClientCredentials(r.Context(), client, scopes, metadata)
		}
	default:
		err = errUnsupportedGrantType
	}
	if err != nil {
		h.writeOAuthError(w, r, err)
		return
	}
	writeJSONNoStore(w, http.StatusOK, tokenResponse{IDToken: t.IDToken, AccessToken: t.AccessToken,
		RefreshToken: t.RefreshToken, ExpiresIn: int(t.ExpiresIn / time.Second), TokenType: "Bearer"})
}

// clientMetadataParam decodes the aws_client_metadata parameter of a
// client_credentials request: a JSON object of strings, the ClientMetadata
// the pre-token-generation function receives. Absent, it is nil;
// anything else is invalid_request.
func clientMetadataParam(raw string) (map[string]string, error) {
	if raw == "" {
		return nil, nil
	}
	var m map[string]string
	if err := json.Unmarshal([]byte(raw), &m); err != nil || m == nil {
		return nil, errInvalidRequest
	}
	return m, nil
}

// clientScopes are the scopes of a client_credentials request: those
// asked for, each one the client may have, or all the client's custom
// scopes when none is asked for.
func clientScopes(oa userpool.OAuthClient, raw string) ([]string, error) {
	var out []string
	if raw == "" {
		for _, sc := range oa.Scopes {
			if strings.Contains(sc, "/") {
				out = append(out, sc)
			}
		}
	}
	for _, sc := range strings.Fields(raw) {
		if !slices.Contains(oa.Scopes, sc) || !strings.Contains(sc, "/") {
			return nil, errInvalidScope
		}
		if !slices.Contains(out, sc) {
			out = append(out, sc)
		}
	}
	if len(out) == 0 {
		return nil, errInvalidScope
	}
	return out, nil
}

// revoke is POST /oauth2/revoke (RFC 7009): the refresh token and every
// token minted from it are revoked, as with RevokeToken.
func (h *Handler) revoke(w http.ResponseWriter, r *http.Request) {
	st := siteOf(r.Context())
	form, err := readForm(w, r)
	if err != nil {
		h.writeOAuthError(w, r, err)
		return
	}
	if form.Get("token") == "" {
		h.writeOAuthError(w, r, errInvalidRequest)
		return
	}
	client, secret, err := h.authenticateClient(r, st, form)
	if err != nil {
		h.writeOAuthError(w, r, err)
		return
	}
	err = h.auth.RevokeToken(r.Context(), cognito.Caller{}, authflow.Revocation{ClientID: client.ClientID,
		ClientSecret: secret, Token: form.Get("token")})
	var ce *cognito.Error
	switch {
	case err == nil:
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusOK)
	case errors.As(err, &ce) && ce.Code == cognito.CodeUnsupportedTokenTypeException:
		h.writeOAuthError(w, r, errUnsupportedTokenType)
	case errors.As(err, &ce) && ce.Code == cognito.CodeUnsupportedOperationException:
		h.writeOAuthError(w, r, &oauthError{http.StatusBadRequest, "unsupported_operation"})
	case errors.As(err, &ce) && (ce.Code == cognito.CodeUnauthorizedException || ce.Code == cognito.CodeNotAuthorizedException):
		h.writeOAuthError(w, r, errInvalidClient)
	default:
		h.writeOAuthError(w, r, err)
	}
}
