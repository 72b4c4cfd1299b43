package console

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
)

// authFlows are the ExplicitAuthFlows the app client screens offer (the
// ALLOW_ names; the legacy ones are kept when a client has them).
var authFlows = []string{"ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_PASSWORD_AUTH",
	"ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_CUSTOM_AUTH", "ALLOW_USER_AUTH"}

// timeUnits are TimeUnitsType's values.
var timeUnits = []string{"seconds", "minutes", "hours", "days"}

// clientForm is an app client's settings as the form holds them: what
// was entered is shown back as typed when a request is refused.
type clientForm struct {
	Name                                  string
	GenerateSecret                        bool
	AuthFlows                             []string
	Access, ID, Refresh, AuthSession      string
	AccessUnit, IDUnit, RefreshUnit       string
	ReadAttrs, WriteAttrs                 string
	Callbacks, Logouts, DefaultRedirect   string
	OAuthFlows, Scopes, Providers         []string
	PreventUserExistence                  string
	TokenRevocation                       bool
	AllAuthFlows, AllUnits, AllOAuthFlows []string
	AllProviders                          []string
}

func newClientForm() clientForm {
	return clientForm{AuthFlows: []string{"ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"},
		Access: "60", ID: "60", Refresh: "30", AuthSession: "3", AccessUnit: "minutes", IDUnit: "minutes", RefreshUnit: "days",
		PreventUserExistence: "ENABLED", TokenRevocation: true}
}

// formOf is the form of an app client's settings.
func formOf(cl *idp.UserPoolClientType) clientForm {
	f := clientForm{Name: cognito.Deref(cl.ClientName),
		Access: itoa(cl.AccessTokenValidity), ID: itoa(cl.IdTokenValidity), Refresh: itoa(cl.RefreshTokenValidity),
		AuthSession: itoa(cl.AuthSessionValidity), AccessUnit: "hours", IDUnit: "hours", RefreshUnit: "days",
		ReadAttrs: strings.Join(cl.ReadAttributes, ", "), WriteAttrs: strings.Join(cl.WriteAttributes, ", "),
		Callbacks: strings.Join(cl.CallbackURLs, "\n"), Logouts: strings.Join(cl.LogoutURLs, "\n"),
		DefaultRedirect: cognito.Deref(cl.DefaultRedirectURI), Scopes: cl.AllowedOAuthScopes,
		Providers: cl.SupportedIdentityProviders, TokenRevocation: cognito.Deref(cl.EnableTokenRevocation)}
	if u := cl.TokenValidityUnits; u != nil {
		f.AccessUnit = unitOr(u.AccessToken, "hours")
		f.IDUnit = unitOr(u.IdToken, "hours")
		f.RefreshUnit = unitOr(u.RefreshToken, "days")
	}
	for _, a := range cl.ExplicitAuthFlows {
		f.AuthFlows = append(f.AuthFlows, string(a))
	}
	for _, a := range cl.AllowedOAuthFlows {
		f.OAuthFlows = append(f.OAuthFlows, string(a))
	}
	if cl.PreventUserExistenceErrors != nil {
		f.PreventUserExistence = string(*cl.PreventUserExistenceErrors)
	}
	return f
}

func itoa(p *int32) string {
	if p == nil {
		return ""
	}
	return strconv.Itoa(int(*p))
}

func unitOr(u *idp.TimeUnitsType, def string) string {
	if u == nil {
		return def
	}
	return string(*u)
}

// parseClientForm reads the app client form of r.
func parseClientForm(r *http.Request) clientForm {
	f := formValues{r}
	return clientForm{Name: f.s("client_name"), GenerateSecret: f.b("generate_secret"), AuthFlows: f.list("auth_flow"),
		Access: f.s("access_validity"), ID: f.s("id_validity"), Refresh: f.s("refresh_validity"), AuthSession: f.s("auth_session_validity"),
		AccessUnit: f.s("access_unit"), IDUnit: f.s("id_unit"), RefreshUnit: f.s("refresh_unit"),
		ReadAttrs: f.raw("read_attrs"), WriteAttrs: f.raw("write_attrs"),
		Callbacks: f.raw("callback_urls"), Logouts: f.raw("logout_urls"), DefaultRedirect: f.s("default_redirect"),
		OAuthFlows: f.list("oauth_flow"), Scopes: splitScopes(f.raw("scopes")), Providers: f.list("provider"),
		PreventUserExistence: f.s("prevent_user_existence"), TokenRevocation: f.b("token_revocation")}
}

// splitScopes splits scopes typed with spaces, commas or new lines.
func splitScopes(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' || r == '\n' || r == '\r' || r == '\t' })
}

// number reads a validity field: empty is nil (Cognito's default), and
// anything else must be a whole number.
func number(s, member string) (*int32, error) {
	if s == "" {
		return nil, nil
	}
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil {
		return nil, cognito.InvalidParameterException("1 validation error detected: Value '" + s + "' at '" + member + "' failed to satisfy constraint: Member must be a whole number")
	}
	v := int32(n)
	return &v, nil
}

// apply sets up's members to the form's settings; the members the form
// does not show (analytics, refresh token rotation, …) are kept.
func (f clientForm) apply(up *idp.UpdateUserPoolClientRequest) error {
	up.ClientName = &f.Name
	var err error
	for _, v := range []struct {
		s, member string
		to        **int32
	}{
		{f.Access, "accessTokenValidity", &up.AccessTokenValidity}, {f.ID, "idTokenValidity", &up.IdTokenValidity},
		{f.Refresh, "refreshTokenValidity", &up.RefreshTokenValidity}, {f.AuthSession, "authSessionValidity", &up.AuthSessionValidity},
	} {
		if *v.to, err = number(v.s, v.member); err != nil {
			return err
		}
	}
	unit := func(s string) *idp.TimeUnitsType {
		if s == "" {
			return nil
		}
		u := idp.TimeUnitsType(s)
		return &u
	}
	up.TokenValidityUnits = &idp.TokenValidityUnitsType{AccessToken: unit(f.AccessUnit), IdToken: unit(f.IDUnit), RefreshToken: unit(f.RefreshUnit)}
	up.ExplicitAuthFlows = nil
	for _, a := range f.AuthFlows {
		up.ExplicitAuthFlows = append(up.ExplicitAuthFlows, idp.ExplicitAuthFlowsType(a))
	}
	up.ReadAttributes, up.WriteAttributes = splitList(f.ReadAttrs), splitList(f.WriteAttrs)
	up.CallbackURLs, up.LogoutURLs = splitList(f.Callbacks), splitList(f.Logouts)
	up.DefaultRedirectURI = nonEmpty(f.DefaultRedirect)
	up.AllowedOAuthFlows = nil
	for _, a := range f.OAuthFlows {
		up.AllowedOAuthFlows = append(up.AllowedOAuthFlows, idp.OAuthFlowType(a))
	}
	up.AllowedOAuthScopes, up.SupportedIdentityProviders = f.Scopes, f.Providers
	up.AllowedOAuthFlowsUserPoolClient = cognito.Ptr(len(f.OAuthFlows) > 0)
	up.PreventUserExistenceErrors = nil
	if f.PreventUserExistence != "" {
		p := idp.PreventUserExistenceErrorTypes(f.PreventUserExistence)
		up.PreventUserExistenceErrors = &p
	}
	up.EnableTokenRevocation = &f.TokenRevocation
	return nil
}

// clientFields are the request members an app client's messages may name,
// each next to its field.
var clientFields = []string{"ClientName", "ExplicitAuthFlows", "AccessTokenValidity", "IdTokenValidity", "RefreshTokenValidity",
	"AuthSessionValidity", "TokenValidityUnits", "ReadAttributes", "WriteAttributes", "CallbackURLs", "LogoutURLs",
	"DefaultRedirectURI", "AllowedOAuthFlows", "AllowedOAuthScopes", "SupportedIdentityProviders", "PreventUserExistenceErrors"}

type clientsData struct {
	PoolID, PoolName string
	Clients          []idp.UserPoolClientDescription
	Next             string
	Form             clientForm
}

type clientData struct {
	PoolID, ClientID string
	Client           *idp.UserPoolClientType
	// HasSecret says whether the client is confidential; its secrets'
	// values are never shown but once (NewSecret, on the page that
	// answers the request that made it).
	HasSecret bool
	Secrets   []idp.ClientSecretDescriptorType
	NewSecret string
	Form      clientForm
}

func (c *Console) withChoices(r *http.Request, poolID string, f *clientForm) error {
	f.AllAuthFlows, f.AllUnits, f.AllOAuthFlows = authFlows, timeUnits, []string{"code", "implicit", "client_credentials"}
	// Legacy flows a client has stay visible so that a save keeps them.
	for _, a := range f.AuthFlows {
		if !contains(f.AllAuthFlows, a) {
			f.AllAuthFlows = append(append([]string(nil), f.AllAuthFlows...), a)
		}
	}
	f.AllProviders = []string{"COGNITO"}
	var next *string
	for {
		out, err := c.opts.Pools.ListIdentityProviders(r.Context(), c.caller(), &idp.ListIdentityProvidersRequest{UserPoolId: &poolID, MaxResults: cognito.Ptr(int32(60)), NextToken: next})
		if err != nil {
			return err
		}
		for _, p := range out.Providers {
			f.AllProviders = append(f.AllProviders, cognito.Deref(p.ProviderName))
		}
		if cognito.Deref(out.NextToken) == "" {
			return nil
		}
		next = out.NextToken
	}
}

// clientsList lists a pool's app clients (ListUserPoolClients, 60 a page)
// with the form that creates one.
func (c *Console) clientsList(w http.ResponseWriter, r *http.Request) {
	d, err := c.loadClients(r, r.PathValue("pool"), r.URL.Query().Get("token"), newClientForm())
	if err != nil {
		c.fail(w, r, "error", page{Title: "App clients"}, err)
		return
	}
	p := page{Title: "App clients of " + d.PoolName, Data: d}
	if r.URL.Query().Get("deleted") != "" {
		p.Notice = "The app client was deleted."
	}
	c.render(w, r, http.StatusOK, "clients", p)
}

func (c *Console) loadClients(r *http.Request, poolID, token string, f clientForm) (*clientsData, error) {
	ctx := r.Context()
	pool, err := c.opts.Pools.DescribeUserPool(ctx, c.caller(), &idp.DescribeUserPoolRequest{UserPoolId: &poolID})
	if err != nil {
		return nil, err
	}
	out, err := c.opts.Pools.ListUserPoolClients(ctx, c.caller(), &idp.ListUserPoolClientsRequest{UserPoolId: &poolID, MaxResults: cognito.Ptr(int32(60)), NextToken: nonEmpty(token)})
	if err != nil {
		return nil, err
	}
	d := &clientsData{PoolID: poolID, PoolName: cognito.Deref(pool.UserPool.Name), Clients: out.UserPoolClients, Next: cognito.Deref(out.NextToken), Form: f}
	return d, c.withChoices(r, poolID, &d.Form)
}

// createClient creates an app client with CreateUserPoolClient. A
// generated secret is shown on the page that answers, once: the client's
// page never shows it again.
func (c *Console) createClient(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	poolID := r.PathValue("pool")
	f := parseClientForm(r)
	d, err := c.loadClients(r, poolID, "", f)
	if err != nil {
		c.fail(w, r, "error", page{Title: "App clients"}, err)
		return
	}
	p := page{Title: "App clients of " + d.PoolName, Data: d}
	var up idp.UpdateUserPoolClientRequest
	if err := f.apply(&up); err != nil {
		c.failClient(w, r, "clients", p, err, f)
		return
	}
	in, err := createRequest(poolID, &up, f.GenerateSecret)
	if err == nil {
		err = in.Validate()
	}
	var out *idp.CreateUserPoolClientResponse
	if err == nil {
		out, err = c.opts.Pools.CreateUserPoolClient(as(ctx, "CreateUserPoolClient"), c.caller(), in)
	}
	if err != nil {
		c.failClient(w, r, "clients", p, err, f)
		return
	}
	clientID := cognito.Deref(out.UserPoolClient.ClientId)
	c.audit(r, "CreateUserPoolClient", "pool", poolID, "client", clientID)
	cd, err := c.loadClient(r, poolID, clientID)
	if err != nil {
		c.fail(w, r, "error", page{Title: "App client"}, err)
		return
	}
	cd.NewSecret = cognito.Deref(out.UserPoolClient.ClientSecret)
	c.render(w, r, http.StatusCreated, "client", page{Title: "App client " + cd.Form.Name, Notice: "The app client was created.", Data: cd})
}

// createRequest is the CreateUserPoolClient request of the settings in up.
func createRequest(poolID string, up *idp.UpdateUserPoolClientRequest, secret bool) (*idp.CreateUserPoolClientRequest, error) {
	raw, err := json.Marshal(up)
	if err != nil {
		return nil, err
	}
	var in idp.CreateUserPoolClientRequest
	if err := json.Unmarshal(raw, &in); err != nil {
		return nil, err
	}
	in.UserPoolId, in.GenerateSecret = &poolID, &secret
	return &in, nil
}

func (c *Console) loadClient(r *http.Request, poolID, clientID string) (*clientData, error) {
	ctx := r.Context()
	desc, err := c.opts.Pools.DescribeUserPoolClient(ctx, c.caller(), &idp.DescribeUserPoolClientRequest{UserPoolId: &poolID, ClientId: &clientID})
	if err != nil {
		return nil, err
	}
	cl := desc.UserPoolClient
	d := &clientData{PoolID: poolID, ClientID: clientID, Client: cl, HasSecret: cognito.Deref(cl.ClientSecret) != "", Form: formOf(cl)}
	// The description holds the secret (DescribeUserPoolClient answers
	// it); the page must not.
	cl.ClientSecret = nil
	if d.HasSecret {
		s, err := c.opts.Pools.ListUserPoolClientSecrets(ctx, c.caller(), &idp.ListUserPoolClientSecretsRequest{UserPoolId: &poolID, ClientId: &clientID})
		if err != nil {
			return nil, err
		}
		d.Secrets = s.ClientSecrets
	}
	return d, c.withChoices(r, poolID, &d.Form)
}

// clientDetails shows an app client's settings, its secrets masked.
func (c *Console) clientDetails(w http.ResponseWriter, r *http.Request) {
	d, err := c.loadClient(r, r.PathValue("pool"), r.PathValue("client"))
	if err != nil {
		c.fail(w, r, "error", page{Title: "App client"}, err)
		return
	}
	p := page{Title: "App client " + d.Form.Name, Data: d}
	switch r.URL.Query().Get("done") {
	case "saved":
		p.Notice = "The app client was saved."
	case "secret-deleted":
		p.Notice = "The client secret was deleted; the app client no longer accepts it."
	}
	c.render(w, r, http.StatusOK, "client", p)
}

// clientAction runs one action on an app client: save its settings
// (UpdateUserPoolClient, the settings the form does not show kept), add a
// secret (AddUserPoolClientSecret, shown once), delete a secret
// (DeleteUserPoolClientSecret) or delete the client (DeleteUserPoolClient,
// after its name is typed).
func (c *Console) clientAction(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	poolID, clientID, action := r.PathValue("pool"), r.PathValue("client"), r.PathValue("action")
	back := "/console/pools/" + url.PathEscape(poolID) + "/clients/" + url.PathEscape(clientID)
	d, err := c.loadClient(r, poolID, clientID)
	if err != nil {
		c.fail(w, r, "error", page{Title: "App client"}, err)
		return
	}
	p := page{Title: "App client " + d.Form.Name, Data: d}
	var op string
	switch action {
	case "save":
		op = "UpdateUserPoolClient"
		f := parseClientForm(r)
		f.AllAuthFlows, f.AllUnits, f.AllOAuthFlows, f.AllProviders = d.Form.AllAuthFlows, d.Form.AllUnits, d.Form.AllOAuthFlows, d.Form.AllProviders
		d.Form = f
		var up *idp.UpdateUserPoolClientRequest
		// The stored client, not the page's copy without its secret.
		desc, derr := c.opts.Pools.DescribeUserPoolClient(ctx, c.caller(), &idp.DescribeUserPoolClientRequest{UserPoolId: &poolID, ClientId: &clientID})
		err = derr
		if err == nil {
			up, err = updateRequest(desc.UserPoolClient)
		}
		if err == nil {
			err = f.apply(up)
		}
		if err == nil {
			err = up.Validate()
		}
		if err == nil {
			_, err = c.opts.Pools.UpdateUserPoolClient(as(ctx, "UpdateUserPoolClient"), c.caller(), up)
		}
		back += "?done=saved"
	case "add-secret":
		op = "AddUserPoolClientSecret"
		var out *idp.AddUserPoolClientSecretResponse
		in := &idp.AddUserPoolClientSecretRequest{UserPoolId: &poolID, ClientId: &clientID}
		if err = in.Validate(); err == nil {
			out, err = c.opts.Pools.AddUserPoolClientSecret(as(ctx, "AddUserPoolClientSecret"), c.caller(), in)
		}
		if err == nil {
			c.audit(r, op, "pool", poolID, "client", clientID, "secret", cognito.Deref(out.ClientSecretDescriptor.ClientSecretId))
			if d, err = c.loadClient(r, poolID, clientID); err != nil {
				c.fail(w, r, "error", page{Title: "App client"}, err)
				return
			}
			d.NewSecret = cognito.Deref(out.ClientSecretDescriptor.ClientSecretValue)
			c.render(w, r, http.StatusOK, "client", page{Title: "App client " + d.Form.Name, Data: d,
				Notice: "A new client secret was added. The app client accepts both secrets until the old one is deleted."})
			return
		}
	case "delete-secret":
		op = "DeleteUserPoolClientSecret"
		if !(formValues{r}).b("confirm") {
			err = cognito.InvalidParameterException("secret_confirm: tick the box to delete the secret: applications that still send it can no longer use the client.")
			break
		}
		in := &idp.DeleteUserPoolClientSecretRequest{UserPoolId: &poolID, ClientId: &clientID, ClientSecretId: cognito.Ptr(formValues{r}.s("secret_id"))}
		if err = in.Validate(); err == nil {
			_, err = c.opts.Pools.DeleteUserPoolClientSecret(as(ctx, "DeleteUserPoolClientSecret"), c.caller(), in)
		}
		back += "?done=secret-deleted"
	case "delete":
		op = "DeleteUserPoolClient"
		if r.PostForm.Get("confirm") != cognito.Deref(d.Client.ClientName) {
			err = cognito.InvalidParameterException("Type the app client's name to confirm the deletion.")
			break
		}
		_, err = c.opts.Pools.DeleteUserPoolClient(as(ctx, "DeleteUserPoolClient"), c.caller(), &idp.DeleteUserPoolClientRequest{UserPoolId: &poolID, ClientId: &clientID})
		back = "/console/pools/" + url.PathEscape(poolID) + "/clients?deleted=1"
	default:
		http.NotFound(w, r)
		return
	}
	if err != nil {
		if action == "save" {
			c.failClient(w, r, "client", p, err, d.Form)
			return
		}
		c.fail(w, r, "client", p, err, "secret_confirm", "confirm")
		return
	}
	c.audit(r, op, "pool", poolID, "client", clientID)
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// failClient renders page name again with err's message next to the field
// it is about: the field whose request member the message names, or else
// the field holding a value the message quotes (an engine's message names
// the URL or the attribute it refuses, not the member).
func (c *Console) failClient(w http.ResponseWriter, r *http.Request, name string, p page, err error, f clientForm) {
	_, msg := message(err)
	lower := strings.ToLower(msg)
	for _, m := range clientFields {
		if strings.Contains(lower, strings.ToLower(m)) {
			c.fail(w, r, name, p, err, m)
			return
		}
	}
	values := []struct {
		member string
		values []string
	}{
		{"CallbackURLs", splitList(f.Callbacks)}, {"LogoutURLs", splitList(f.Logouts)}, {"DefaultRedirectURI", []string{f.DefaultRedirect}},
		{"AllowedOAuthScopes", f.Scopes}, {"ReadAttributes", splitList(f.ReadAttrs)}, {"WriteAttributes", splitList(f.WriteAttrs)},
		{"SupportedIdentityProviders", f.Providers}, {"ClientName", []string{f.Name}},
	}
	for _, v := range values {
		for _, s := range v.values {
			if s != "" && strings.Contains(msg, s) {
				var ce *cognito.Error
				if errors.As(err, &ce) {
					p.FieldErrors = map[string]string{v.member: ce.Code + ": " + ce.Message}
					c.render(w, r, ce.Status, name, p)
					return
				}
			}
		}
	}
	c.fail(w, r, name, p, err)
}
