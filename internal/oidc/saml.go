package oidc

import (
	"errors"
	"net/http"

	"github.com/cognate-dev/cognate/internal/authflow"
	"github.com/cognate-dev/cognate/internal/userpool"
)

// samlACSPath is where SAML providers post their responses (the assertion
// consumer service, HTTP-POST binding); samlLogoutPath is the pool's
// single logout service.
const (
	samlACSPath    = "/saml2/idpresponse"
	samlLogoutPath = "/saml2/logout"
)

// logoutCookie binds a LogoutRequest sent to a SAML provider to the
// browser that left: /saml2/logout takes the answer only with it.
const logoutCookie = "cognito-slo"

// maxSAMLFormBytes bounds the form posted to /saml2/idpresponse: Cognito
// takes SAML responses of up to 100,000 characters.
const maxSAMLFormBytes = 256 << 10

// SAMLACSURL is the ACS URL a pool domain gives SAML providers: the
// domain's public URL and /saml2/idpresponse.
func (h *Handler) SAMLACSURL(d *userpool.Domain) string { return h.PublicBase(d) + samlACSPath }

// SAMLLogoutURL is the domain's single logout URL: its public URL and
// /saml2/logout.
func (h *Handler) SAMLLogoutURL(d *userpool.Domain) string { return h.PublicBase(d) + samlLogoutPath }

// samlResponse is /saml2/idpresponse: a SAML provider's response, posted
// with SAMLResponse and RelayState (HTTP-POST binding). It ends the
// sign-in as /oauth2/idpresponse does.
func (h *Handler) samlResponse(w http.ResponseWriter, r *http.Request) {
	st := siteOf(r.Context())
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		h.errorPage(w, r, http.StatusMethodNotAllowed, "invalid_request", "This endpoint takes POST.")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxSAMLFormBytes)
	if err := r.ParseForm(); err != nil {
		h.errorPage(w, r, http.StatusBadRequest, "invalid_request", "The form could not be read.")
		return
	}
	q := r.PostForm
	for _, name := range []string{"SAMLResponse", "RelayState"} {
		if len(q[name]) > 1 {
			h.errorPage(w, r, http.StatusBadRequest, "invalid_request", "The request repeats "+name+".")
			return
		}
	}
	binding := ""
	if c, err := r.Cookie(federationCookie); err == nil {
		binding = c.Value
	}
	http.SetCookie(w, &http.Cookie{Name: federationCookie, Value: "", Path: st.cookiePath, HttpOnly: true,
		Secure: st.secure, SameSite: http.SameSiteLaxMode, MaxAge: -1})
	res, err := h.auth.FinishSAML(r.Context(), authflow.SAMLAnswer{
		PoolID: st.poolID, SAMLResponse: q.Get("SAMLResponse"), RelayState: q.Get("RelayState"), Binding: binding,
		ACSURL: h.SAMLACSURL(st.domain), SLOURL: h.SAMLLogoutURL(st.domain),
	})
	h.federated(w, r, st, res, err)
}

// samlLogout is /saml2/logout: a SAML provider's LogoutResponse to the
// pool's LogoutRequest (HTTP-Redirect, or HTTP-POST). A good one continues
// the logout (the app's logout_uri); one that does not verify, or whose
// state is unknown, used, expired or from another browser, shows the error
// page.
func (h *Handler) samlLogout(w http.ResponseWriter, r *http.Request) {
	st := siteOf(r.Context())
	relay := ""
	switch r.Method {
	case http.MethodGet:
		relay = r.URL.Query().Get("RelayState")
	case http.MethodPost:
		r.Body = http.MaxBytesReader(w, r.Body, maxSAMLFormBytes)
		if err := r.ParseForm(); err != nil {
			h.errorPage(w, r, http.StatusBadRequest, "invalid_request", "The form could not be read.")
			return
		}
		relay = r.PostForm.Get("RelayState")
	default:
		w.Header().Set("Allow", "GET, POST")
		h.errorPage(w, r, http.StatusMethodNotAllowed, "invalid_request", "This endpoint takes GET and POST.")
		return
	}
	binding := ""
	if c, err := r.Cookie(logoutCookie); err == nil {
		binding = c.Value
	}
	http.SetCookie(w, &http.Cookie{Name: logoutCookie, Value: "", Path: st.cookiePath, HttpOnly: true,
		Secure: st.secure, SameSite: http.SameSiteLaxMode, MaxAge: -1})
	target, err := h.auth.FinishSAMLLogout(r.Context(), st.poolID, relay, binding, r, h.SAMLACSURL(st.domain), h.SAMLLogoutURL(st.domain))
	switch {
	case errors.Is(err, authflow.ErrFederationState):
		h.errorPage(w, r, http.StatusBadRequest, "invalid_request", "This sign-out is unknown, expired or already used.")
		return
	case errors.Is(err, authflow.ErrSAMLLogout):
		h.errorPage(w, r, http.StatusBadRequest, "invalid_request", "The identity provider's sign-out answer is not valid.")
		return
	case err != nil:
		h.serverError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, target, http.StatusFound)
}
