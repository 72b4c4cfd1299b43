package oidc

import (
	"net/http"
	"net/url"
	"slices"

	"github.com/cognate-dev/cognate/internal/authflow"
	"github.com/cognate-dev/cognate/internal/cognito"
)

// logout is GET /logout: it ends the hosted-UI session (the cookie, and
// the session it names) and then either redirects to logout_uri, which
// must be one of the client's LogoutURLs exactly, or with redirect_uri and
// response_type sends the user to sign in again, as /oauth2/authorize
// would (the redirect_uri then must be a callback URL of the client). A
// request that names no registered URL is redirected nowhere: it gets the
// error page.
func (h *Handler) logout(w http.ResponseWriter, r *http.Request) {
	st := siteOf(r.Context())
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		h.errorPage(w, r, http.StatusMethodNotAllowed, "invalid_request", "The logout endpoint takes GET.")
		return
	}
	q := r.URL.Query()
	for _, vs := range q {
		if len(vs) > 1 {
			h.errorPage(w, r, http.StatusBadRequest, "invalid_request", "The request repeats a parameter.")
			return
		}
	}
	clientID := q.Get("client_id")
	if clientID == "" {
		h.errorPage(w, r, http.StatusBadRequest, "invalid_request", "client_id is missing.")
		return
	}
	_, client, err := h.pools.SignInClient(r.Context(), cognito.Caller{Region: st.region}, st.poolID, clientID)
	if err != nil {
		h.errorPage(w, r, http.StatusBadRequest, "invalid_request", "Invalid client_id.")
		return
	}
	oa := client.OAuth()
	target := ""
	switch lo := q.Get("logout_uri"); {
	case lo != "":
		if !slices.Contains(oa.LogoutURLs, lo) {
			h.errorPage(w, r, http.StatusBadRequest, "redirect_mismatch", "logout_uri is not one of the app client's sign-out URLs.")
			return
		}
		target = lo
	case q.Get("redirect_uri") != "" && q.Get("response_type") != "":
		if !slices.Contains(oa.CallbackURLs, q.Get("redirect_uri")) {
			h.errorPage(w, r, http.StatusBadRequest, "redirect_mismatch", "redirect_uri is not one of the app client's callback URLs.")
			return
		}
		again := url.Values{}
		for _, name := range authorizeParams {
			if v := q.Get(name); v != "" {
				again.Set(name, v)
			}
		}
		target = st.base + "/login?" + again.Encode()
	default:
		h.errorPage(w, r, http.StatusBadRequest, "invalid_request", "logout_uri, or redirect_uri with response_type, is required.")
		return
	}
	if c, err := r.Cookie(sessionCookie); err == nil {
		// A session that came from a SAML provider with IDPSignout signs
		// out there too: the browser goes to the provider, whose answer at
		// /saml2/logout continues to target.
		slo, err := h.auth.StartSAMLLogout(r.Context(), authflow.SAMLLogout{PoolID: st.poolID, UISession: c.Value, Continue: target,
			ACSURL: h.SAMLACSURL(st.domain), SLOURL: h.SAMLLogoutURL(st.domain)})
		if err != nil {
			h.serverError(w, r, err)
			return
		}
		if err := h.auth.EndUISession(r.Context(), st.poolID, c.Value); err != nil {
			h.serverError(w, r, err)
			return
		}
		if slo != nil {
			target = slo.URL
			same := http.SameSiteLaxMode
			if st.secure {
				same = http.SameSiteNoneMode
			}
			http.SetCookie(w, &http.Cookie{Name: logoutCookie, Value: slo.Binding, Path: st.cookiePath, HttpOnly: true,
				Secure: st.secure, SameSite: same, MaxAge: int(authflow.FederationValidity.Seconds())})
		}
	}
	h.clearSessionCookie(w, st)
	w.Header().Set("Location", target)
	w.WriteHeader(http.StatusFound)
}
