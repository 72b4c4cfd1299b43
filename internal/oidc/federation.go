package oidc

import (
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/cognate-dev/cognate/internal/authflow"
	"github.com/cognate-dev/cognate/internal/userpool"
)

// federationCookie binds a redirect to an identity provider to the browser
// that left: /oauth2/idpresponse takes the provider's answer only with it.
const federationCookie = "cognito-fed"

// idpResponsePath is where identity providers send users back.
const idpResponsePath = "/oauth2/idpresponse"

// IDPResponseURL is the redirect URI a pool domain gives identity
// providers (the one to register with them): the domain's public URL and
// /oauth2/idpresponse.
func (h *Handler) IDPResponseURL(d *userpool.Domain) string { return h.PublicBase(d) + idpResponsePath }

// federate sends the browser to the authorize request's identity
// provider, with the state the engine keeps and the binding cookie.
func (h *Handler) federate(w http.ResponseWriter, r *http.Request, st *site, ar *authRequest) {
	q := url.Values{}
	for k, v := range ar.query {
		if k != "identity_provider" && k != "idp_identifier" {
			q[k] = v
		}
	}
	start := authflow.FederationStart{
		PoolID: st.poolID, Provider: ar.provider, Authorize: q.Encode(), RedirectURI: h.IDPResponseURL(st.domain),
	}
	if ar.provider.Type == userpool.ProviderSAML {
		start.RedirectURI, start.LogoutURI = h.SAMLACSURL(st.domain), h.SAMLLogoutURL(st.domain)
	}
	red, err := h.auth.StartFederation(r.Context(), start)
	if err != nil {
		h.redirectError(w, r, ar, "invalid_request", "The identity provider cannot be used.")
		return
	}
	// A provider that answers with a form post (Sign in with Apple, a SAML
	// provider's HTTP-POST binding) posts from its own site: the cookie
	// must go with a cross-site POST, which takes SameSite=None, and that
	// Secure (HTTPS).
	same := http.SameSiteLaxMode
	if (ar.provider.Type == userpool.ProviderApple || ar.provider.Type == userpool.ProviderSAML) && st.secure {
		same = http.SameSiteNoneMode
	}
	http.SetCookie(w, &http.Cookie{Name: federationCookie, Value: red.Binding, Path: st.cookiePath, HttpOnly: true,
		Secure: st.secure, SameSite: same, MaxAge: int(authflow.FederationValidity.Seconds())})
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, red.URL, http.StatusFound)
}

// idpResponse is /oauth2/idpresponse: an identity provider's answer. A
// good one signs the user in (a hosted-UI session) and continues the
// authorize request; a provider's error or an answer that does not verify
// goes back to the app client's redirect URI as an OAuth error; an
// unknown, used, expired or foreign state shows the error page, since
// nothing says where to send the user.
func (h *Handler) idpResponse(w http.ResponseWriter, r *http.Request) {
	st := siteOf(r.Context())
	q := r.URL.Query()
	switch r.Method {
	case http.MethodGet:
	case http.MethodPost:
		// response_mode=form_post (Sign in with Apple).
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		if err := r.ParseForm(); err != nil {
			h.errorPage(w, r, http.StatusBadRequest, "invalid_request", "The form could not be read.")
			return
		}
		q = r.PostForm
	default:
		w.Header().Set("Allow", "GET, POST")
		h.errorPage(w, r, http.StatusMethodNotAllowed, "invalid_request", "This endpoint takes GET and POST.")
		return
	}
	for _, name := range []string{"state", "code", "error", "user"} {
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
	res, err := h.auth.FinishFederation(r.Context(), authflow.FederationAnswer{
		PoolID: st.poolID, State: q.Get("state"), Code: q.Get("code"), Error: q.Get("error"), Binding: binding, User: q.Get("user"),
	})
	h.federated(w, r, st, res, err)
}

// federated ends a sign-in at an identity provider: signed in, the
// hosted-UI session is set and the authorize request continues; a
// FederationError goes back to the app client's redirect URI; an unknown
// state shows the error page.
func (h *Handler) federated(w http.ResponseWriter, r *http.Request, st *site, res *authflow.FederationResult, err error) {
	var fe *authflow.FederationError
	switch {
	case errors.Is(err, authflow.ErrFederationState):
		h.errorPage(w, r, http.StatusBadRequest, "invalid_request", "This sign-in is unknown, expired or already used. Start again from the app.")
		return
	case errors.As(err, &fe):
		h.log.InfoContext(r.Context(), "federated sign-in failed", "pool", st.poolID, "err", err)
		aq, _ := url.ParseQuery(fe.Authorize)
		if ar, ok := h.checkAuthorize(w, r, st, aq); ok {
			h.redirectError(w, r, ar, fe.Code, fe.Description)
		}
		return
	case err != nil:
		h.serverError(w, r, err)
		return
	}
	aq, _ := url.ParseQuery(res.Authorize)
	ar, ok := h.checkAuthorize(w, r, st, aq)
	if !ok {
		return
	}
	h.setSessionCookie(w, st, res.UISession)
	sess, err := h.auth.OpenUISession(r.Context(), st.poolID, res.UISession)
	if err != nil || sess == nil {
		h.serverError(w, r, err)
		return
	}
	h.grant(w, r, st, ar, sess)
}

// providerButton is a button of the sign-in page that signs in through an
// identity provider.
type providerButton struct {
	Name, URL string
	// Icon is the managed login style's IDP_BUTTON_ICON ("" for none).
	Icon template.URL
}

// providerButtons are the buttons of the app client's identity providers
// (those that exist), each the authorize request with identity_provider.
func (p *PageRequest) providerButtons() []providerButton {
	if p.Authorize == nil {
		return nil
	}
	var out []providerButton
	for _, name := range p.Authorize.client.OAuth().IdentityProviders {
		if name == "COGNITO" {
			continue
		}
		if _, err := p.h.pools.FederationProvider(p.R.Context(), nil, p.Site.poolID, name); err != nil {
			continue
		}
		q := url.Values{}
		for k, v := range p.Authorize.query {
			q[k] = slices.Clone(v)
		}
		q.Set("identity_provider", name)
		out = append(out, providerButton{Name: name, URL: p.Site.base + "/oauth2/authorize?" + q.Encode()})
	}
	return out
}

// corporateRouting reports whether the sign-in page offers the corporate
// email field: some identity provider the app client lists has
// IdpIdentifiers, as Cognito's sign-in page offers it.
func (p *PageRequest) corporateRouting() bool {
	if p.Authorize == nil {
		return false
	}
	for _, name := range p.Authorize.client.OAuth().IdentityProviders {
		if name == "COGNITO" {
			continue
		}
		if fp, err := p.h.pools.FederationProvider(p.R.Context(), nil, p.Site.poolID, name); err == nil && len(fp.IdpIdentifiers) > 0 {
			return true
		}
	}
	return false
}

// routeCorporateEmail sends the user whose corporate address is email to
// the identity provider whose IdpIdentifiers hold the address's domain
// (the authorize request with idp_identifier), or shows the sign-in page
// again with an error when no provider of the app client has it.
func (p *PageRequest) routeCorporateEmail(email string) {
	_, domain, ok := strings.Cut(email, "@")
	domain = strings.ToLower(strings.TrimSpace(domain))
	if ok && domain != "" && !strings.Contains(domain, "@") {
		fp, err := p.h.pools.FederationProviderByIdentifier(p.R.Context(), p.Site.poolID, domain)
		if err == nil && slices.Contains(p.Authorize.client.OAuth().IdentityProviders, fp.Name) {
			q := url.Values{}
			for k, v := range p.Authorize.query {
				if k != "identity_provider" && k != "idp_identifier" {
					q[k] = slices.Clone(v)
				}
			}
			q.Set("idp_identifier", domain)
			http.Redirect(p.W, p.R, p.Site.base+"/oauth2/authorize?"+q.Encode(), http.StatusFound)
			return
		}
	}
	view := loginView{Label: p.usernameLabel(), Providers: p.providerButtons(), Corporate: p.corporateRouting()}
	tmpl := "login.html"
	if !slices.Contains(p.Authorize.client.OAuth().IdentityProviders, "COGNITO") {
		tmpl = "login_providers.html"
	}
	p.RenderStatus(http.StatusBadRequest, tmpl, "Sign in", "No sign-in is set up for the domain of this email address.", view)
}
