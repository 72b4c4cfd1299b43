package console

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
)

// oauthScopes are the scopes the hosted-UI screen offers.
var oauthScopes = []string{"openid", "email", "phone", "profile", "aws.cognito.signin.user.admin"}

// hostedUIData is what the hosted-UI screen's template gets.
type hostedUIData struct {
	PoolID, ClientID, ClientName string
	Callbacks, Logouts           string
	Flows, Scopes, Providers     []string
	AllScopes, AllProviders      []string
	// Domain is the pool's prefix domain, empty when it has none;
	// Prefix is the one typed in.
	Domain, Prefix string
	// Available is the answer of the availability check.
	Available, Checked bool
	SignInURL          string
	Created            bool
}

// hostedUI serves the hosted UI set-up of an app client: callback and
// sign-out URLs, OAuth flows and scopes, identity providers, and the
// pool's domain prefix (with an availability check); then the sign-in URL.
func (c *Console) hostedUI(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	poolID, clientID := r.PathValue("pool"), r.PathValue("client")
	d, err := c.loadHostedUI(r, poolID, clientID)
	if err != nil {
		c.fail(w, r, "error", page{Title: "App client"}, err)
		return
	}
	p := page{Title: "Hosted UI: " + d.ClientName, Data: d}
	if r.Method == http.MethodGet {
		d.Created = r.URL.Query().Get("created") != ""
		c.render(w, r, http.StatusOK, "hostedui", p)
		return
	}
	f := formValues{r}
	d.Callbacks, d.Logouts = f.raw("callback_urls"), f.raw("logout_urls")
	d.Flows, d.Scopes, d.Providers = f.list("flow"), f.list("scope"), f.list("provider")
	d.Prefix = f.s("prefix")
	if f.s("nav") == "check" {
		if err := c.checkPrefix(r, d); err != nil {
			c.fail(w, r, "hostedui", p, err, "Domain")
			return
		}
		c.render(w, r, http.StatusOK, "hostedui", p)
		return
	}
	createdDomain := false
	if d.Domain == "" && d.Prefix != "" {
		if _, err := c.opts.Pools.CreateUserPoolDomain(as(ctx, "CreateUserPoolDomain"), c.caller(), &idp.CreateUserPoolDomainRequest{UserPoolId: &poolID, Domain: &d.Prefix}); err != nil {
			c.fail(w, r, "hostedui", p, err, "Domain")
			return
		}
		createdDomain = true
		c.audit(r, "CreateUserPoolDomain", "pool", poolID, "domain", d.Prefix)
	}
	desc, err := c.opts.Pools.DescribeUserPoolClient(ctx, c.caller(), &idp.DescribeUserPoolClientRequest{UserPoolId: &poolID, ClientId: &clientID})
	if err != nil {
		c.fail(w, r, "hostedui", p, err)
		return
	}
	up, err := updateRequest(desc.UserPoolClient)
	if err != nil {
		c.fail(w, r, "hostedui", p, err)
		return
	}
	up.CallbackURLs, up.LogoutURLs = splitList(d.Callbacks), splitList(d.Logouts)
	up.AllowedOAuthFlows = nil
	for _, fl := range d.Flows {
		up.AllowedOAuthFlows = append(up.AllowedOAuthFlows, idp.OAuthFlowType(fl))
	}
	up.AllowedOAuthScopes, up.SupportedIdentityProviders = d.Scopes, d.Providers
	up.AllowedOAuthFlowsUserPoolClient = cognito.Ptr(len(d.Flows) > 0)
	if up.DefaultRedirectURI != nil && !contains(up.CallbackURLs, *up.DefaultRedirectURI) {
		up.DefaultRedirectURI = nil
	}
	err = up.Validate()
	if err == nil {
		_, err = c.opts.Pools.UpdateUserPoolClient(as(ctx, "UpdateUserPoolClient"), c.caller(), up)
	}
	if err != nil {
		if createdDomain {
			_, _ = c.opts.Pools.DeleteUserPoolDomain(as(ctx, "DeleteUserPoolDomain"), c.caller(), &idp.DeleteUserPoolDomainRequest{UserPoolId: &poolID, Domain: &d.Prefix})
		}
		c.fail(w, r, "hostedui", p, err, "CallbackURLs", "LogoutURLs", "AllowedOAuthFlows", "AllowedOAuthScopes", "SupportedIdentityProviders")
		return
	}
	c.audit(r, "UpdateUserPoolClient", "pool", poolID, "client", clientID)
	http.Redirect(w, r, "/console/pools/"+url.PathEscape(poolID)+"/clients/"+url.PathEscape(clientID)+"/hosted-ui", http.StatusSeeOther)
}

// checkPrefix answers whether prefix is free, as DescribeUserPoolDomain
// tells it (an empty description for a domain nobody owns), after the
// checks CreateUserPoolDomain would make of its form.
func (c *Console) checkPrefix(r *http.Request, d *hostedUIData) error {
	in := &idp.DescribeUserPoolDomainRequest{Domain: &d.Prefix}
	if err := in.Validate(); err != nil {
		return err
	}
	out, err := c.opts.Pools.DescribeUserPoolDomain(r.Context(), c.caller(), in)
	if err != nil {
		return err
	}
	d.Checked = true
	d.Available = out.DomainDescription == nil || cognito.Deref(out.DomainDescription.UserPoolId) == ""
	return nil
}

func (c *Console) loadHostedUI(r *http.Request, poolID, clientID string) (*hostedUIData, error) {
	ctx := r.Context()
	desc, err := c.opts.Pools.DescribeUserPoolClient(ctx, c.caller(), &idp.DescribeUserPoolClientRequest{UserPoolId: &poolID, ClientId: &clientID})
	if err != nil {
		return nil, err
	}
	pool, err := c.opts.Pools.DescribeUserPool(ctx, c.caller(), &idp.DescribeUserPoolRequest{UserPoolId: &poolID})
	if err != nil {
		return nil, err
	}
	cl := desc.UserPoolClient
	d := &hostedUIData{PoolID: poolID, ClientID: clientID, ClientName: cognito.Deref(cl.ClientName),
		Callbacks: strings.Join(cl.CallbackURLs, "\n"), Logouts: strings.Join(cl.LogoutURLs, "\n"),
		Scopes: cl.AllowedOAuthScopes, Providers: cl.SupportedIdentityProviders,
		AllScopes: oauthScopes, AllProviders: []string{"COGNITO"}, Domain: cognito.Deref(pool.UserPool.Domain)}
	for _, f := range cl.AllowedOAuthFlows {
		d.Flows = append(d.Flows, string(f))
	}
	var next *string
	for {
		idps, err := c.opts.Pools.ListIdentityProviders(ctx, c.caller(), &idp.ListIdentityProvidersRequest{UserPoolId: &poolID, MaxResults: cognito.Ptr(int32(60)), NextToken: next})
		if err != nil {
			return nil, err
		}
		for _, p := range idps.Providers {
			d.AllProviders = append(d.AllProviders, cognito.Deref(p.ProviderName))
		}
		if cognito.Deref(idps.NextToken) == "" {
			break
		}
		next = idps.NextToken
	}
	base, err := c.opts.PoolBase(ctx, poolID)
	if err != nil {
		return nil, err
	}
	if base != "" && cognito.Deref(cl.AllowedOAuthFlowsUserPoolClient) && len(cl.CallbackURLs) > 0 {
		v := url.Values{"client_id": {clientID}, "redirect_uri": {cl.CallbackURLs[0]}, "scope": {strings.Join(cl.AllowedOAuthScopes, " ")}}
		rt := "code"
		if !contains(d.Flows, "code") && contains(d.Flows, "implicit") {
			rt = "token"
		}
		v.Set("response_type", rt)
		d.SignInURL = base + "/login?" + v.Encode()
	}
	return d, nil
}
