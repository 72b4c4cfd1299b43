package oidc

import (
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
