package console

import (
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/userpool"
)

// idpField is one ProviderDetails key as the provider forms show it.
type idpField struct {
	Key, Label, Hint string
	// Kind is text, secret (never shown back), textarea, bool (a
	// "true"/"false" checkbox), signing (RequestSigningAlgorithm), select
	// (Options) or metadata (a file or pasted XML).
	Kind    string
	Options []string
	// Value is what the form shows: the provider's current value, or what
	// was typed. Secrets have none.
	Value string
}

// idpTypes are the provider types the console creates, in the order the
// identity providers' page offers them.
var idpTypes = []string{userpool.ProviderSAML, userpool.ProviderOIDC, userpool.ProviderGoogle, userpool.ProviderFacebook, userpool.ProviderAmazon, userpool.ProviderApple}

// idpTypeLabels are the providers' names as people know them.
var idpTypeLabels = map[string]string{
	userpool.ProviderSAML: "SAML 2.0", userpool.ProviderOIDC: "OpenID Connect", userpool.ProviderGoogle: "Google",
	userpool.ProviderFacebook: "Facebook", userpool.ProviderAmazon: "Login with Amazon", userpool.ProviderApple: "Sign in with Apple",
}

// idpFields returns the ProviderDetails keys a provider of type typ takes,
// as the forms show them (docs/federation.md, "Provider details per type").
func idpFields(typ string) []idpField {
	social := []idpField{
		{Key: "client_id", Label: "Client ID (app ID)", Kind: "text"},
		{Key: "client_secret", Label: "Client secret (app secret)", Kind: "secret"},
		{Key: "authorize_scopes", Label: "Authorized scopes, separated by spaces", Kind: "text"},
	}
	switch typ {
	case userpool.ProviderGoogle:
		social[2].Hint = "for example: profile email openid"
		return social
	case userpool.ProviderAmazon:
		social[2].Hint = "for example: profile postal_code"
		return social
	case userpool.ProviderFacebook:
		social[2].Hint = "for example: public_profile,email"
		return append(social, idpField{Key: "api_version", Label: "Graph API version (optional)", Kind: "text", Hint: "for example: v17.0"})
	case userpool.ProviderApple:
		return []idpField{
			{Key: "client_id", Label: "Services ID", Kind: "text"},
			{Key: "team_id", Label: "Team ID", Kind: "text"},
			{Key: "key_id", Label: "Key ID", Kind: "text"},
			{Key: "private_key", Label: "Private key (the .p8 file's contents)", Kind: "secret-textarea"},
			{Key: "authorize_scopes", Label: "Authorized scopes: email, name or both, separated by spaces", Kind: "text"},
		}
	case userpool.ProviderOIDC:
		return []idpField{
			{Key: "client_id", Label: "Client ID", Kind: "text"},
			{Key: "client_secret", Label: "Client secret (optional for a public client)", Kind: "secret"},
			{Key: "oidc_issuer", Label: "Issuer URL", Kind: "text", Hint: "HTTPS (plain HTTP only to localhost); its /.well-known/openid-configuration gives the endpoints left empty below"},
			{Key: "authorize_scopes", Label: "Authorized scopes, separated by spaces (with openid)", Kind: "text"},
			{Key: "attributes_request_method", Label: "Attributes request method", Kind: "select", Options: []string{"GET", "POST"}},
			{Key: "authorize_url", Label: "Authorization endpoint (optional)", Kind: "text"},
			{Key: "token_url", Label: "Token endpoint (optional)", Kind: "text"},
			{Key: "attributes_url", Label: "UserInfo endpoint (optional)", Kind: "text"},
			{Key: "jwks_uri", Label: "JWKS URI (optional)", Kind: "text"},
		}
	case userpool.ProviderSAML:
		return []idpField{
			{Key: "MetadataURL", Label: "Metadata document URL", Kind: "text", Hint: "read now and at each sign-in; or give the document below instead"},
			{Key: "MetadataFile", Label: "Metadata document", Kind: "metadata"},
			{Key: "IDPSignout", Label: "Sign users out of the IdP too when they sign out (IDPSignout)", Kind: "bool"},
			{Key: "IDPInit", Label: "Accept IdP-initiated sign-in (IDPInit)", Kind: "bool"},
			{Key: "EncryptedResponses", Label: "The IdP encrypts its assertions (EncryptedResponses)", Kind: "bool"},
			{Key: "RequestSigningAlgorithm", Label: "Sign the requests sent to the IdP (rsa-sha256)", Kind: "signing"},
		}
	}
	return nil
}

// secretDetails are the ProviderDetails keys the console never shows
// back: the engine keeps them when an update leaves them out.
var secretDetails = []string{"client_secret", "private_key"}

// identityProvidersData is what the identity providers' pages get.
type identityProvidersData struct {
	PoolID    string
	Providers []idp.ProviderDescription
	Next      string
	Types     []string
	Labels    map[string]string
	// The form: a new provider's (Type chosen on the list page), or the
	// provider being edited.
	Type, Name           string
	Social, Editing      bool
	Fields               []idpField
	Mapping, Identifiers string
	// Provider is the provider described (its page), with Details the
	// ProviderDetails shown (secrets only said to be set).
	Provider *idp.IdentityProviderType
	Details  []keyValue
	// Clients are the pool's app clients that list the provider.
	Clients []idp.UserPoolClientDescription
}

type keyValue struct{ Key, Value string }

// mappingLines is an AttributeMapping as the form shows it:
// "pool_attribute=provider_attribute" lines, sorted.
func mappingLines(m map[string]string) string {
	var lines []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		lines = append(lines, k+"="+m[k])
	}
	return strings.Join(lines, "\n")
}

// parseMapping reads "pool_attribute=provider_attribute" lines.
func parseMapping(s string) (map[string]string, error) {
	out := map[string]string{}
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, cognito.InvalidParameterException("Each AttributeMapping line is a pool attribute, =, and the provider's attribute: " + line)
		}
		out[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	return out, nil
}

// idpFormFields are the request members and details keys the engine's
// messages may name, the longer first where one holds another.
func idpFormFields(typ string) []string {
	out := []string{"confirm", "AttributeMapping", "IdpIdentifiers", "ProviderName"}
	for _, f := range idpFields(typ) {
		out = append(out, f.Key)
	}
	// A message about the metadata names both MetadataFile and
	// MetadataURL; it goes next to the document.
	if typ == userpool.ProviderSAML {
		out = append(out, "metadata", "SAML")
	}
	return out
}

// readDetails reads the provider form's details for typ. A secret left
// empty is left out (the engine keeps the current one on update); the
// metadata document is an uploaded file or pasted XML.
func readDetails(r *http.Request, typ string) (map[string]string, []idpField, error) {
	f := formValues{r}
	out := map[string]string{}
	fields := idpFields(typ)
	for i := range fields {
		fd := &fields[i]
		switch fd.Kind {
		case "secret", "secret-textarea":
			if v := f.s(fd.Key); v != "" {
				out[fd.Key] = v
			}
		case "bool":
			v := "false"
			if f.b(fd.Key) {
				v = "true"
			}
			out[fd.Key], fd.Value = v, v
		case "signing":
			if f.b(fd.Key) {
				out[fd.Key], fd.Value = "rsa-sha256", "rsa-sha256"
			}
		case "metadata":
			v := f.s(fd.Key)
			if r.MultipartForm != nil {
				if file, _, err := r.FormFile("metadata_upload"); err == nil {
					raw, err := io.ReadAll(io.LimitReader(file, 1<<20))
					file.Close()
					if err != nil {
						return nil, fields, cognito.InvalidParameterException("The metadata document could not be read.")
					}
					if len(strings.TrimSpace(string(raw))) > 0 {
						v = strings.TrimSpace(string(raw))
					}
				}
			}
			if v != "" {
				out[fd.Key] = v
			}
			fd.Value = v
		default:
			if v := f.s(fd.Key); v != "" {
				out[fd.Key] = v
			}
			fd.Value = f.s(fd.Key)
		}
	}
	return out, fields, nil
}

// shownDetails are a provider's details as its page lists them: secrets
// are said to be set, the metadata document by its size.
func shownDetails(d map[string]string) []keyValue {
	var out []keyValue
	for _, k := range slices.Sorted(maps.Keys(d)) {
		v := d[k]
		switch {
		case slices.Contains(secretDetails, k):
			v = "set (not shown)"
		case k == "MetadataFile":
			v = "a document of " + strconv.Itoa(len(v)) + " bytes"
		}
		out = append(out, keyValue{k, v})
	}
	return out
}

// identityProviders lists a pool's identity providers
// (ListIdentityProviders, 60 a page) with the form that creates one of the
// type chosen (CreateIdentityProvider).
func (c *Console) identityProviders(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	poolID := r.PathValue("pool")
	d := &identityProvidersData{PoolID: poolID, Types: idpTypes, Labels: idpTypeLabels}
	p := page{Title: "Identity providers", Data: d}
	q := r.URL.Query()
	d.Type = q.Get("type")
	if r.Method == http.MethodPost {
		d.Type = formValues{r}.s("type")
	}
	if d.Type != "" && !slices.Contains(idpTypes, d.Type) {
		d.Type = ""
	}
	out, err := c.opts.Pools.ListIdentityProviders(ctx, c.caller(), &idp.ListIdentityProvidersRequest{UserPoolId: &poolID, MaxResults: cognito.Ptr(int32(60)), NextToken: nonEmpty(q.Get("token"))})
	if err != nil {
		c.fail(w, r, "error", page{Title: "Identity providers"}, err)
		return
	}
	d.Providers, d.Next = out.Providers, cognito.Deref(out.NextToken)
	d.Social = d.Type != userpool.ProviderSAML && d.Type != userpool.ProviderOIDC
	if d.Social {
		d.Name = d.Type
	}
	d.Fields = idpFields(d.Type)
	if r.Method == http.MethodGet {
		if q.Get("deleted") != "" {
			p.Notice = "The identity provider was deleted."
		}
		if d.Type == userpool.ProviderOIDC {
			d.Fields[4].Value = "GET"
		}
		c.render(w, r, http.StatusOK, "identityproviders", p)
		return
	}
	if d.Type == "" {
		c.fail(w, r, "identityproviders", p, cognito.InvalidParameterException("Choose the type of the identity provider."))
		return
	}
	f := formValues{r}
	if !d.Social {
		d.Name = f.s("name")
	}
	d.Mapping, d.Identifiers = f.raw("mapping"), f.raw("identifiers")
	details, fields, err := readDetails(r, d.Type)
	d.Fields = fields
	if err != nil {
		c.fail(w, r, "identityproviders", p, err, idpFormFields(d.Type)...)
		return
	}
	mapping, err := parseMapping(d.Mapping)
	if err != nil {
		c.fail(w, r, "identityproviders", p, err, idpFormFields(d.Type)...)
		return
	}
	typ := idp.IdentityProviderTypeType(d.Type)
	in := &idp.CreateIdentityProviderRequest{UserPoolId: &poolID, ProviderName: &d.Name, ProviderType: &typ,
		ProviderDetails: details, AttributeMapping: mapping, IdpIdentifiers: splitList(d.Identifiers)}
	if err = in.Validate(); err == nil {
		_, err = c.opts.Pools.CreateIdentityProvider(as(ctx, "CreateIdentityProvider"), c.caller(), in)
	}
	if err != nil {
		c.fail(w, r, "identityproviders", p, err, idpFormFields(d.Type)...)
		return
	}
	c.audit(r, "CreateIdentityProvider", "pool", poolID, "provider", d.Name, "type", d.Type)
	http.Redirect(w, r, "/console/pools/"+url.PathEscape(poolID)+"/identity-providers/"+url.PathEscape(d.Name)+"?done=created", http.StatusSeeOther)
}

// identityProvider shows an identity provider (DescribeIdentityProvider,
// its secrets never shown), edits it (UpdateIdentityProvider: details,
// attribute mapping, identifiers; a secret left empty is kept) and deletes
// it after its name is typed (DeleteIdentityProvider).
func (c *Console) identityProvider(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	poolID, name := r.PathValue("pool"), r.PathValue("provider")
	desc, err := c.opts.Pools.DescribeIdentityProvider(ctx, c.caller(), &idp.DescribeIdentityProviderRequest{UserPoolId: &poolID, ProviderName: &name})
	if err != nil {
		c.fail(w, r, "error", page{Title: "Identity provider"}, err)
		return
	}
	prov := desc.IdentityProvider
	typ := string(cognito.Deref(prov.ProviderType))
	d := &identityProvidersData{PoolID: poolID, Type: typ, Name: name, Editing: true, Labels: idpTypeLabels,
		Social: typ != userpool.ProviderSAML && typ != userpool.ProviderOIDC, Provider: prov, Details: shownDetails(prov.ProviderDetails),
		Mapping: mappingLines(prov.AttributeMapping), Identifiers: strings.Join(prov.IdpIdentifiers, "\n")}
	d.Fields = idpFields(typ)
	for i := range d.Fields {
		fd := &d.Fields[i]
		if fd.Kind != "secret" && fd.Kind != "secret-textarea" {
			fd.Value = prov.ProviderDetails[fd.Key]
		}
	}
	if d.Clients, err = c.clientsListing(r, poolID, name); err != nil {
		c.fail(w, r, "error", page{Title: "Identity provider"}, err)
		return
	}
	p := page{Title: "Identity provider " + name, Data: d}
	back := "/console/pools/" + url.PathEscape(poolID) + "/identity-providers/" + url.PathEscape(name)
	if r.Method == http.MethodGet {
		switch r.URL.Query().Get("done") {
		case "created":
			p.Notice = "The identity provider was created. Its secret is not shown again."
		case "saved":
			p.Notice = "The identity provider was saved."
		}
		c.render(w, r, http.StatusOK, "identityprovider", p)
		return
	}
	f := formValues{r}
	var op string
	switch f.s("action") {
	case "save":
		op = "UpdateIdentityProvider"
		d.Mapping, d.Identifiers = f.raw("mapping"), f.raw("identifiers")
		var details map[string]string
		details, d.Fields, err = readDetails(r, typ)
		if err != nil {
			break
		}
		// A document-based SAML provider given no new document keeps its
		// own; a URL given replaces it.
		if typ == userpool.ProviderSAML && details["MetadataURL"] == "" && details["MetadataFile"] == "" && prov.ProviderDetails["MetadataURL"] == "" {
			details["MetadataFile"] = prov.ProviderDetails["MetadataFile"]
		}
		var mapping map[string]string
		if mapping, err = parseMapping(d.Mapping); err != nil {
			break
		}
		in := &idp.UpdateIdentityProviderRequest{UserPoolId: &poolID, ProviderName: &name, ProviderDetails: details,
			AttributeMapping: mapping, IdpIdentifiers: splitList(d.Identifiers)}
		if in.IdpIdentifiers == nil {
			in.IdpIdentifiers = []string{}
		}
		if err = in.Validate(); err == nil {
			_, err = c.opts.Pools.UpdateIdentityProvider(as(ctx, op), c.caller(), in)
		}
		back += "?done=saved"
	case "delete":
		op = "DeleteIdentityProvider"
		if r.PostForm.Get("confirm") != name {
			err = cognito.InvalidParameterException("Type the identity provider's name to confirm the deletion.")
			break
		}
		_, err = c.opts.Pools.DeleteIdentityProvider(as(ctx, op), c.caller(), &idp.DeleteIdentityProviderRequest{UserPoolId: &poolID, ProviderName: &name})
		back = "/console/pools/" + url.PathEscape(poolID) + "/identity-providers?deleted=1"
	default:
		http.NotFound(w, r)
		return
	}
	if err != nil {
		c.fail(w, r, "identityprovider", p, err, idpFormFields(typ)...)
		return
	}
	c.audit(r, op, "pool", poolID, "provider", name)
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// clientsListing returns the pool's app clients (up to 60) that list the
// identity provider name among their SupportedIdentityProviders.
func (c *Console) clientsListing(r *http.Request, poolID, name string) ([]idp.UserPoolClientDescription, error) {
	ctx := r.Context()
	list, err := c.opts.Pools.ListUserPoolClients(ctx, c.caller(), &idp.ListUserPoolClientsRequest{UserPoolId: &poolID, MaxResults: cognito.Ptr(int32(60))})
	if err != nil {
		return nil, err
	}
	var out []idp.UserPoolClientDescription
	for _, cl := range list.UserPoolClients {
		desc, err := c.opts.Pools.DescribeUserPoolClient(ctx, c.caller(), &idp.DescribeUserPoolClientRequest{UserPoolId: &poolID, ClientId: cl.ClientId})
		if err != nil {
			return nil, err
		}
		if slices.Contains(desc.UserPoolClient.SupportedIdentityProviders, name) {
			out = append(out, cl)
		}
	}
	return out, nil
}
