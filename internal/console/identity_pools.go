package console

import (
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/identity"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
)

// userPoolProviderRow is one user pool and app client an identity pool
// accepts the ID tokens of (CognitoIdentityProviders).
type userPoolProviderRow struct {
	Pool, Client string
	Check        bool
}

// roleMappingRow is one provider's role mapping (RoleMappings): by the
// token's cognito:roles and cognito:preferred_role, or by rules, one a
// line ("claim MatchType value role-ARN").
type roleMappingRow struct {
	Provider, Type, Ambiguous, Rules string
}

// identityPoolForm is the identity pool forms' content.
type identityPoolForm struct {
	Name                    string
	Unauthenticated, Basic  bool
	UserPools               []userPoolProviderRow
	Logins, OIDC, SAML, Dev string
	Tags                    string
	AuthRole, UnauthRole    string
	Mappings                []roleMappingRow
}

// identityPoolsData is what the identity pools' pages get.
type identityPoolsData struct {
	Region string
	Pools  []identity.IdentityPoolShortDescription
	Next   string
	ID     string
	// Form is the create form, or the pool's settings and roles.
	Form identityPoolForm
	// UserPoolChoices are the region's user pools the form offers.
	UserPoolChoices []idp.UserPoolDescriptionType
	MatchTypes      []string
	// Identities is a page of the pool's identities.
	Identities []identity.IdentityDescription
	Editing    bool
}

// identityPoolFields are the request members the engine's messages may
// name, placed next to their fields.
var identityPoolFields = []string{"confirm", "IdentityPoolName", "CognitoIdentityProviders", "ClientId", "SupportedLoginProviders",
	"OpenIdConnectProviderARNs", "SamlProviderARNs", "DeveloperProviderName", "IdentityPoolTags", "RoleMappings", "Rules", "Roles", "role"}

var matchTypes = []string{"Equals", "Contains", "StartsWith", "NotEqual"}

// userPoolProviderName is the provider name of a user pool, as Amplify and
// the AWS SDKs build the Logins key.
func userPoolProviderName(pool string) string {
	return "cognito-idp." + cognito.RegionOfPoolID(pool) + ".amazonaws.com/" + pool
}

// poolOfProviderName is the user pool ID a provider name of
// CognitoIdentityProviders names (its part after the last slash).
func poolOfProviderName(name string) string {
	return name[strings.LastIndex(name, "/")+1:]
}

// identityPoolFormOf is the form showing pool p and its roles.
func identityPoolFormOf(p *identity.IdentityPool, roles *identity.GetIdentityPoolRolesResponse) identityPoolForm {
	f := identityPoolForm{Name: cognito.Deref(p.IdentityPoolName), Unauthenticated: cognito.Deref(p.AllowUnauthenticatedIdentities),
		Basic: cognito.Deref(p.AllowClassicFlow), OIDC: strings.Join(p.OpenIdConnectProviderARNs, "\n"), SAML: strings.Join(p.SamlProviderARNs, "\n"),
		Dev: cognito.Deref(p.DeveloperProviderName), Tags: tagLines(p.IdentityPoolTags)}
	for _, cp := range p.CognitoIdentityProviders {
		f.UserPools = append(f.UserPools, userPoolProviderRow{Pool: poolOfProviderName(cognito.Deref(cp.ProviderName)), Client: cognito.Deref(cp.ClientId), Check: cognito.Deref(cp.ServerSideTokenCheck)})
	}
	var logins []string
	for _, k := range slices.Sorted(maps.Keys(p.SupportedLoginProviders)) {
		logins = append(logins, k+"="+p.SupportedLoginProviders[k])
	}
	f.Logins = strings.Join(logins, "\n")
	if roles != nil {
		f.AuthRole, f.UnauthRole = roles.Roles["authenticated"], roles.Roles["unauthenticated"]
		for _, k := range slices.Sorted(maps.Keys(roles.RoleMappings)) {
			m := roles.RoleMappings[k]
			row := roleMappingRow{Provider: k, Type: string(cognito.Deref(m.Type)), Ambiguous: string(cognito.Deref(m.AmbiguousRoleResolution))}
			if m.RulesConfiguration != nil {
				var lines []string
				for _, r := range m.RulesConfiguration.Rules {
					lines = append(lines, strings.Join([]string{cognito.Deref(r.Claim), string(cognito.Deref(r.MatchType)), cognito.Deref(r.Value), cognito.Deref(r.RoleARN)}, " "))
				}
				row.Rules = strings.Join(lines, "\n")
			}
			f.Mappings = append(f.Mappings, row)
		}
	}
	return f
}

// tagLines is tags as "key=value" lines, sorted.
func tagLines(tags map[string]string) string {
	var lines []string
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		lines = append(lines, k+"="+tags[k])
	}
	return strings.Join(lines, "\n")
}

// withBlankRows adds empty rows to the form, for a provider and a role
// mapping more.
func (f *identityPoolForm) withBlankRows() {
	f.UserPools = append(f.UserPools, userPoolProviderRow{}, userPoolProviderRow{})
	f.Mappings = append(f.Mappings, roleMappingRow{})
}

// readIdentityPoolForm reads the settings part of the form (rows named
// up_pool_<i>, up_client_<i>, up_check_<i>).
func readIdentityPoolForm(r *http.Request) identityPoolForm {
	f := formValues{r}
	out := identityPoolForm{Name: f.s("name"), Unauthenticated: f.b("unauthenticated"), Basic: f.b("basic"),
		Logins: f.raw("logins"), OIDC: f.raw("oidc"), SAML: f.raw("saml"), Dev: f.s("developer"), Tags: f.raw("tags")}
	for i := 0; i < 50; i++ {
		n := strconv.Itoa(i)
		if _, ok := r.PostForm["up_pool_"+n]; !ok {
			break
		}
		row := userPoolProviderRow{Pool: f.s("up_pool_" + n), Client: f.s("up_client_" + n), Check: f.b("up_check_" + n)}
		if row.Pool != "" || row.Client != "" {
			out.UserPools = append(out.UserPools, row)
		}
	}
	return out
}

// readRolesForm reads the roles part of the form (rows rm_provider_<i>,
// rm_type_<i>, rm_ambiguous_<i>, rm_rules_<i>).
func readRolesForm(r *http.Request, out *identityPoolForm) {
	f := formValues{r}
	out.AuthRole, out.UnauthRole = f.s("auth_role"), f.s("unauth_role")
	out.Mappings = nil
	for i := 0; i < 50; i++ {
		n := strconv.Itoa(i)
		if _, ok := r.PostForm["rm_provider_"+n]; !ok {
			break
		}
		row := roleMappingRow{Provider: f.s("rm_provider_" + n), Type: f.s("rm_type_" + n), Ambiguous: f.s("rm_ambiguous_" + n), Rules: f.raw("rm_rules_" + n)}
		if row.Provider != "" || row.Type != "" {
			out.Mappings = append(out.Mappings, row)
		}
	}
}

// poolRequest is the IdentityPool the settings form stands for.
func (f identityPoolForm) poolRequest() (*identity.IdentityPool, error) {
	p := &identity.IdentityPool{IdentityPoolName: cognito.Ptr(f.Name), AllowUnauthenticatedIdentities: cognito.Ptr(f.Unauthenticated),
		AllowClassicFlow: cognito.Ptr(f.Basic), OpenIdConnectProviderARNs: splitList(f.OIDC), SamlProviderARNs: splitList(f.SAML),
		DeveloperProviderName: nonEmpty(f.Dev), IdentityPoolTags: parseTags(f.Tags)}
	for _, row := range f.UserPools {
		p.CognitoIdentityProviders = append(p.CognitoIdentityProviders, identity.CognitoIdentityProvider{
			ProviderName: cognito.Ptr(userPoolProviderName(row.Pool)), ClientId: cognito.Ptr(row.Client), ServerSideTokenCheck: cognito.Ptr(row.Check)})
	}
	if strings.TrimSpace(f.Logins) != "" {
		p.SupportedLoginProviders = map[string]string{}
		for _, line := range strings.Split(f.Logins, "\n") {
			line = strings.TrimSpace(line)
			if line == "" {
				continue
			}
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				return nil, cognito.InvalidParameterException("Each SupportedLoginProviders line is a provider name, =, and its app ID: " + line)
			}
			p.SupportedLoginProviders[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return p, nil
}

// rolesRequest is the SetIdentityPoolRoles request the roles form stands
// for.
func (f identityPoolForm) rolesRequest(id string) (*identity.SetIdentityPoolRolesInput, error) {
	in := &identity.SetIdentityPoolRolesInput{IdentityPoolId: &id, Roles: map[string]string{}}
	if f.AuthRole != "" {
		in.Roles["authenticated"] = f.AuthRole
	}
	if f.UnauthRole != "" {
		in.Roles["unauthenticated"] = f.UnauthRole
	}
	for _, row := range f.Mappings {
		if in.RoleMappings == nil {
			in.RoleMappings = map[string]identity.RoleMapping{}
		}
		typ := identity.RoleMappingType(row.Type)
		m := identity.RoleMapping{Type: &typ}
		if row.Ambiguous != "" {
			a := identity.AmbiguousRoleResolutionType(row.Ambiguous)
			m.AmbiguousRoleResolution = &a
		}
		if row.Type == "Rules" {
			m.RulesConfiguration = &identity.RulesConfigurationType{}
			for _, line := range strings.Split(row.Rules, "\n") {
				fs := strings.Fields(line)
				if len(fs) == 0 {
					continue
				}
				if len(fs) != 4 {
					return nil, cognito.InvalidParameterException(fmt.Sprintf("Each rule of RoleMappings is a claim, a match type, a value and a role ARN, separated by spaces: %s", strings.TrimSpace(line)))
				}
				mt := identity.MappingRuleMatchType(fs[1])
				m.RulesConfiguration.Rules = append(m.RulesConfiguration.Rules, identity.MappingRule{Claim: &fs[0], MatchType: &mt, Value: &fs[2], RoleARN: &fs[3]})
			}
		}
		in.RoleMappings[row.Provider] = m
	}
	return in, nil
}

// identityPoolsData returns the data of the identity pool pages with the
// region's user pools (the first 60) to choose from.
func (c *Console) newIdentityPoolsData(r *http.Request) (*identityPoolsData, error) {
	d := &identityPoolsData{Region: c.opts.Region, MatchTypes: matchTypes}
	out, err := c.opts.Pools.ListUserPools(r.Context(), c.caller(), &idp.ListUserPoolsRequest{MaxResults: cognito.Ptr(int32(60))})
	if err != nil {
		return nil, err
	}
	d.UserPoolChoices = out.UserPools
	return d, nil
}

// identityPools lists the region's identity pools (ListIdentityPools, 60 a
// page) with the form that creates one (CreateIdentityPool, then
// SetIdentityPoolRoles when roles are given; a refused roles request
// deletes the pool again, so a refused form leaves nothing behind).
func (c *Console) identityPools(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	d, err := c.newIdentityPoolsData(r)
	if err != nil {
		c.fail(w, r, "error", page{Title: "Identity pools"}, err)
		return
	}
	p := page{Title: "Identity pools", Data: d}
	token := r.URL.Query().Get("token")
	if r.Method == http.MethodPost {
		token = ""
	}
	list, err := c.opts.Identities.ListIdentityPools(ctx, c.opts.Region, &identity.ListIdentityPoolsInput{MaxResults: cognito.Ptr(int32(60)), NextToken: nonEmpty(token)})
	if err != nil {
		c.fail(w, r, "error", page{Title: "Identity pools"}, err)
		return
	}
	d.Pools, d.Next = list.IdentityPools, cognito.Deref(list.NextToken)
	if r.Method == http.MethodGet {
		if r.URL.Query().Get("deleted") != "" {
			p.Notice = "The identity pool was deleted."
		}
		d.Form.withBlankRows()
		c.render(w, r, http.StatusOK, "identitypools", p)
		return
	}
	d.Form = readIdentityPoolForm(r)
	readRolesForm(r, &d.Form)
	refuse := func(err error) {
		d.Form.withBlankRows()
		c.fail(w, r, "identitypools", p, err, identityPoolFields...)
	}
	pool, err := d.Form.poolRequest()
	if err != nil {
		refuse(err)
		return
	}
	in := &identity.CreateIdentityPoolInput{IdentityPoolName: pool.IdentityPoolName, AllowUnauthenticatedIdentities: pool.AllowUnauthenticatedIdentities,
		AllowClassicFlow: pool.AllowClassicFlow, SupportedLoginProviders: pool.SupportedLoginProviders, DeveloperProviderName: pool.DeveloperProviderName,
		OpenIdConnectProviderARNs: pool.OpenIdConnectProviderARNs, CognitoIdentityProviders: pool.CognitoIdentityProviders,
		SamlProviderARNs: pool.SamlProviderARNs, IdentityPoolTags: pool.IdentityPoolTags}
	roles, err := d.Form.rolesRequest("")
	if err != nil {
		refuse(err)
		return
	}
	if err := in.Validate(); err != nil {
		refuse(err)
		return
	}
	made, err := c.opts.Identities.CreateIdentityPool(as(ctx, "CreateIdentityPool"), c.opts.Region, in)
	if err != nil {
		refuse(err)
		return
	}
	id := cognito.Deref(made.IdentityPoolId)
	if len(roles.Roles) > 0 || len(roles.RoleMappings) > 0 {
		roles.IdentityPoolId = &id
		err = roles.Validate()
		if err == nil {
			_, err = c.opts.Identities.SetIdentityPoolRoles(as(ctx, "SetIdentityPoolRoles"), c.opts.Region, roles)
		}
		if err != nil {
			if _, derr := c.opts.Identities.DeleteIdentityPool(as(ctx, "DeleteIdentityPool"), c.opts.Region, &identity.DeleteIdentityPoolInput{IdentityPoolId: &id}); derr != nil {
				c.log.ErrorContext(ctx, "console: delete the identity pool whose roles were refused", "identity_pool", id, "err", derr)
			}
			refuse(err)
			return
		}
	}
	c.audit(r, "CreateIdentityPool", "identity_pool", id)
	http.Redirect(w, r, "/console/identity-pools/"+url.PathEscape(id)+"?done=created", http.StatusSeeOther)
}

// identityPool shows an identity pool (DescribeIdentityPool,
// GetIdentityPoolRoles) and saves its settings (UpdateIdentityPool), its
// roles and role mappings (SetIdentityPoolRoles), or deletes it after its
// name is typed (DeleteIdentityPool).
func (c *Console) identityPool(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id := r.PathValue("id")
	d, err := c.newIdentityPoolsData(r)
	if err != nil {
		c.fail(w, r, "error", page{Title: "Identity pool"}, err)
		return
	}
	desc, err := c.opts.Identities.DescribeIdentityPool(ctx, c.opts.Region, &identity.DescribeIdentityPoolInput{IdentityPoolId: &id})
	if err != nil {
		c.fail(w, r, "error", page{Title: "Identity pool"}, err)
		return
	}
	roles, err := c.opts.Identities.GetIdentityPoolRoles(ctx, c.opts.Region, &identity.GetIdentityPoolRolesInput{IdentityPoolId: &id})
	if err != nil {
		c.fail(w, r, "error", page{Title: "Identity pool"}, err)
		return
	}
	d.ID, d.Editing, d.Form = id, true, identityPoolFormOf(desc, roles)
	p := page{Title: "Identity pool " + cognito.Deref(desc.IdentityPoolName), Data: d}
	back := "/console/identity-pools/" + url.PathEscape(id)
	if r.Method == http.MethodGet {
		switch r.URL.Query().Get("done") {
		case "created":
			p.Notice = "The identity pool was created."
		case "saved":
			p.Notice = "The identity pool was saved."
		case "roles":
			p.Notice = "The roles were saved."
		}
		d.Form.withBlankRows()
		c.render(w, r, http.StatusOK, "identitypool", p)
		return
	}
	var op string
	f := formValues{r}
	switch f.s("action") {
	case "save":
		op = "UpdateIdentityPool"
		kept := d.Form
		d.Form = readIdentityPoolForm(r)
		d.Form.AuthRole, d.Form.UnauthRole, d.Form.Mappings = kept.AuthRole, kept.UnauthRole, kept.Mappings
		var in *identity.IdentityPool
		if in, err = d.Form.poolRequest(); err != nil {
			break
		}
		in.IdentityPoolId = &id
		// UpdateIdentityPool keeps the tags only when it is not sent them;
		// the form shows them, so it sends them (none is none).
		if in.IdentityPoolTags == nil {
			in.IdentityPoolTags = map[string]string{}
		}
		if err = in.Validate(); err == nil {
			_, err = c.opts.Identities.UpdateIdentityPool(as(ctx, op), c.opts.Region, in)
		}
		back += "?done=saved"
	case "roles":
		op = "SetIdentityPoolRoles"
		readRolesForm(r, &d.Form)
		var in *identity.SetIdentityPoolRolesInput
		if in, err = d.Form.rolesRequest(id); err != nil {
			break
		}
		if err = in.Validate(); err == nil {
			_, err = c.opts.Identities.SetIdentityPoolRoles(as(ctx, op), c.opts.Region, in)
		}
		back += "?done=roles"
	case "delete":
		op = "DeleteIdentityPool"
		if r.PostForm.Get("confirm") != cognito.Deref(desc.IdentityPoolName) {
			err = cognito.InvalidParameterException("Type the identity pool's name to confirm the deletion.")
			break
		}
		_, err = c.opts.Identities.DeleteIdentityPool(as(ctx, op), c.opts.Region, &identity.DeleteIdentityPoolInput{IdentityPoolId: &id})
		back = "/console/identity-pools?deleted=1"
	default:
		http.NotFound(w, r)
		return
	}
	if err != nil {
		d.Form.withBlankRows()
		c.fail(w, r, "identitypool", p, err, identityPoolFields...)
		return
	}
	c.audit(r, op, "identity_pool", id)
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// identityPoolIdentities lists an identity pool's identities 60 at a time
// (ListIdentities; Next page follows the API's token).
func (c *Console) identityPoolIdentities(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id := r.PathValue("id")
	desc, err := c.opts.Identities.DescribeIdentityPool(ctx, c.opts.Region, &identity.DescribeIdentityPoolInput{IdentityPoolId: &id})
	if err != nil {
		c.fail(w, r, "error", page{Title: "Identities"}, err)
		return
	}
	in := &identity.ListIdentitiesInput{IdentityPoolId: &id, MaxResults: cognito.Ptr(int32(60)), NextToken: nonEmpty(r.URL.Query().Get("token"))}
	out, err := c.opts.Identities.ListIdentities(ctx, c.opts.Region, in)
	if err != nil {
		c.fail(w, r, "error", page{Title: "Identities"}, err)
		return
	}
	d := &identityPoolsData{Region: c.opts.Region, ID: id, Identities: out.Identities, Next: cognito.Deref(out.NextToken)}
	d.Form.Name = cognito.Deref(desc.IdentityPoolName)
	c.render(w, r, http.StatusOK, "identities", page{Title: "Identities of " + d.Form.Name, Data: d})
}
