package console

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/identity"
)

// This file is an identity pool's principal tags (the attribute map of
// each identity provider: SetPrincipalTagAttributeMap,
// GetPrincipalTagAttributeMap) and its developer identities
// (LookupDeveloperIdentity, UnlinkDeveloperIdentity,
// MergeDeveloperIdentities), through the identity pools' engine, as the
// API calls them.

// principalTagRow is one identity provider of the pool with its map.
type principalTagRow struct {
	// Provider is the provider's name as the API takes it.
	Provider string
	// Kind says what the provider is (user pool, OpenID Connect, SAML,
	// public provider).
	Kind        string
	UseDefaults bool
	// Tags are the map's "tag=claim" lines.
	Tags string
}

// developerData is the developer identities section: the look-up asked
// for and its answer.
type developerData struct {
	IdentityID, UserIdentifier string
	// Found is the look-up's identity, with its developer user
	// identifiers; Looked says a look-up ran.
	Found       string
	Identifiers []string
	Next        string
	Looked      bool
	// Merged is the identity a merge answered.
	Merged string
}

// identityPoolAccessData is the page's data.
type identityPoolAccessData struct {
	ID, Name, Developer string
	Providers           []principalTagRow
	Dev                 developerData
}

// poolProviders are the identity providers of an identity pool, as
// SetPrincipalTagAttributeMap names them.
func poolProviders(p *identity.IdentityPool) []principalTagRow {
	var rows []principalTagRow
	for _, cp := range p.CognitoIdentityProviders {
		name := cognito.Deref(cp.ProviderName)
		if !slices.ContainsFunc(rows, func(r principalTagRow) bool { return r.Provider == name }) {
			rows = append(rows, principalTagRow{Provider: name, Kind: "user pool"})
		}
	}
	for _, arn := range p.OpenIdConnectProviderARNs {
		// The map is kept under the provider's name, the ARN's part
		// after oidc-provider/.
		_, name, ok := strings.Cut(arn, ":oidc-provider/")
		if !ok {
			name = arn
		}
		rows = append(rows, principalTagRow{Provider: name, Kind: "OpenID Connect"})
	}
	for _, arn := range p.SamlProviderARNs {
		rows = append(rows, principalTagRow{Provider: arn, Kind: "SAML"})
	}
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range p.SupportedLoginProviders {
			if !yield(k) {
				return
			}
		}
	}) {
		rows = append(rows, principalTagRow{Provider: name, Kind: "public provider"})
	}
	return rows
}

// identityPoolAccess shows an identity pool's principal tag maps and
// developer identities, and saves a provider's map, looks up, unlinks and
// merges developer identities.
func (c *Console) identityPoolAccess(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id := r.PathValue("id")
	desc, err := c.opts.Identities.DescribeIdentityPool(ctx, c.opts.Region, &identity.DescribeIdentityPoolInput{IdentityPoolId: &id})
	if err != nil {
		c.fail(w, r, "error", page{Title: "Principal tags and developer identities"}, err)
		return
	}
	d := &identityPoolAccessData{ID: id, Name: cognito.Deref(desc.IdentityPoolName), Developer: cognito.Deref(desc.DeveloperProviderName), Providers: poolProviders(desc)}
	for i := range d.Providers {
		m, err := c.opts.Identities.GetPrincipalTagAttributeMap(ctx, c.opts.Region, &identity.GetPrincipalTagAttributeMapInput{IdentityPoolId: &id, IdentityProviderName: &d.Providers[i].Provider})
		if err != nil {
			c.fail(w, r, "error", page{Title: "Principal tags and developer identities"}, err)
			return
		}
		d.Providers[i].UseDefaults = cognito.Deref(m.UseDefaults)
		if !d.Providers[i].UseDefaults {
			d.Providers[i].Tags = tagLines(m.PrincipalTags)
		}
	}
	p := page{Title: "Principal tags and developer identities: " + d.Name, Data: d}
	back := "/console/identity-pools/" + url.PathEscape(id) + "/access"
	q := r.URL.Query()
	if r.Method == http.MethodGet {
		switch q.Get("done") {
		case "tags":
			p.Notice = "The principal tags of " + q.Get("provider") + " were saved."
		case "unlinked":
			p.Notice = "The developer user identifier was unlinked from its identity."
		}
		if q.Get("identity_id") != "" || q.Get("user_identifier") != "" {
			d.Dev.IdentityID, d.Dev.UserIdentifier = q.Get("identity_id"), q.Get("user_identifier")
			if err := c.lookupDeveloper(r, id, d, q.Get("token")); err != nil {
				c.fail(w, r, "identitypoolaccess", p, err, "IdentityId", "DeveloperUserIdentifier", "NextToken")
				return
			}
		}
		c.render(w, r, http.StatusOK, "identitypoolaccess", p)
		return
	}
	f := formValues{r}
	var op string
	var fields []string
	switch f.s("action") {
	case "tags":
		op, fields = "SetPrincipalTagAttributeMap", []string{"PrincipalTags", "UseDefaults", "tags"}
		provider := f.s("provider")
		i := slices.IndexFunc(d.Providers, func(r principalTagRow) bool { return r.Provider == provider })
		if i < 0 {
			err = cognito.InvalidParameterException(fmt.Sprintf("The identity provider %s is not configured on the identity pool.", provider))
			break
		}
		row := &d.Providers[i]
		row.UseDefaults, row.Tags = f.b("use_defaults"), f.raw("tags")
		in := &identity.SetPrincipalTagAttributeMapInput{IdentityPoolId: &id, IdentityProviderName: &provider, UseDefaults: cognito.Ptr(row.UseDefaults)}
		if !row.UseDefaults {
			in.PrincipalTags = map[string]string{}
			for _, l := range lines(row.Tags) {
				k, v, ok := strings.Cut(l, "=")
				if !ok || strings.TrimSpace(k) == "" || strings.TrimSpace(v) == "" {
					err = cognito.InvalidParameterException(fmt.Sprintf("tags: %q is not tag=claim.", l))
					break
				}
				in.PrincipalTags[strings.TrimSpace(k)] = strings.TrimSpace(v)
			}
		}
		if err == nil {
			err = in.Validate()
		}
		if err == nil {
			_, err = c.opts.Identities.SetPrincipalTagAttributeMap(as(ctx, op), c.opts.Region, in)
		}
		if err != nil {
			// The message goes next to the provider's form.
			p.FieldErrors = map[string]string{}
			code, msg := message(err)
			p.FieldErrors["tags:"+provider] = code + ": " + msg
			c.render(w, r, http.StatusBadRequest, "identitypoolaccess", p)
			return
		}
		back += "?" + url.Values{"done": {"tags"}, "provider": {provider}}.Encode()
	case "unlink":
		op, fields = "UnlinkDeveloperIdentity", []string{"confirm", "IdentityId", "DeveloperUserIdentifier", "DeveloperProviderName"}
		if !f.b("confirm") {
			err = cognito.InvalidParameterException("confirm: tick the box to unlink the developer user identifier: the identity no longer signs in with it.")
			break
		}
		in := &identity.UnlinkDeveloperIdentityInput{IdentityId: nonEmpty(f.s("identity_id")), IdentityPoolId: &id,
			DeveloperProviderName: nonEmpty(d.Developer), DeveloperUserIdentifier: nonEmpty(f.s("user_identifier"))}
		if err = in.Validate(); err == nil {
			_, err = c.opts.Identities.UnlinkDeveloperIdentity(as(ctx, op), c.opts.Region, in)
		}
		back += "?done=unlinked"
	case "merge":
		op, fields = "MergeDeveloperIdentities", []string{"merge_confirm", "SourceUserIdentifier", "DestinationUserIdentifier", "DeveloperProviderName"}
		if !f.b("confirm") {
			err = cognito.InvalidParameterException("merge_confirm: tick the box to merge: the source's identity gives way to the destination's, and its logins move there.")
			break
		}
		in := &identity.MergeDeveloperIdentitiesInput{SourceUserIdentifier: nonEmpty(f.s("source")), DestinationUserIdentifier: nonEmpty(f.s("destination")),
			DeveloperProviderName: nonEmpty(d.Developer), IdentityPoolId: &id}
		var out *identity.MergeDeveloperIdentitiesResponse
		if err = in.Validate(); err == nil {
			out, err = c.opts.Identities.MergeDeveloperIdentities(as(ctx, op), c.opts.Region, in)
		}
		if err == nil {
			c.audit(r, op, "identity_pool", id)
			d.Dev.Merged = cognito.Deref(out.IdentityId)
			p.Notice = "The developer identities were merged into the identity " + d.Dev.Merged + "."
			d.Dev.UserIdentifier = f.s("destination")
			if lerr := c.lookupDeveloper(r, id, d, ""); lerr != nil {
				c.log.WarnContext(ctx, "console: look up the merged identity", "err", lerr)
			}
			c.render(w, r, http.StatusOK, "identitypoolaccess", p)
			return
		}
	default:
		http.NotFound(w, r)
		return
	}
	if err != nil {
		c.fail(w, r, "identitypoolaccess", p, err, fields...)
		return
	}
	c.audit(r, op, "identity_pool", id)
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// lookupDeveloper runs LookupDeveloperIdentity for the page's identity ID
// or developer user identifier (60 identifiers a page).
func (c *Console) lookupDeveloper(r *http.Request, poolID string, d *identityPoolAccessData, token string) error {
	in := &identity.LookupDeveloperIdentityInput{IdentityPoolId: &poolID, IdentityId: nonEmpty(d.Dev.IdentityID),
		DeveloperUserIdentifier: nonEmpty(d.Dev.UserIdentifier), MaxResults: cognito.Ptr(int32(60)), NextToken: nonEmpty(token)}
	if err := in.Validate(); err != nil {
		return err
	}
	out, err := c.opts.Identities.LookupDeveloperIdentity(r.Context(), c.opts.Region, in)
	if err != nil {
		return err
	}
	d.Dev.Looked, d.Dev.Found, d.Dev.Identifiers, d.Dev.Next = true, cognito.Deref(out.IdentityId), out.DeveloperUserIdentifierList, cognito.Deref(out.NextToken)
	return nil
}

// TagsErr is the message of a provider's refused map.
func (p page) TagsErr(provider string) string { return p.FieldErrors["tags:"+provider] }

// LookupNext is the address of the look-up's next page.
func (d *identityPoolAccessData) LookupNext() string {
	return "/console/identity-pools/" + url.PathEscape(d.ID) + "/access?" + url.Values{"identity_id": {d.Dev.IdentityID}, "user_identifier": {d.Dev.UserIdentifier}, "token": {d.Dev.Next}}.Encode() + "#developer"
}
