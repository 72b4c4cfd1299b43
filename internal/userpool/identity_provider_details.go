package userpool

import (
	"context"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"encoding/xml"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/crewjam/saml"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
)

// DefaultProviderEndpoints are the endpoints of the social providers as
// Cognito's DescribeIdentityProvider shows them (and the provider documents
// them). Options.ProviderEndpoints overrides them per provider type, so
// that tests and private deployments can point elsewhere. Facebook's URLs
// carry the provider's api_version; "{v}" stands for it.
var DefaultProviderEndpoints = map[string]map[string]string{
	ProviderGoogle: {
		"authorize_url":  "https://accounts.google.com/o/oauth2/v2/auth",
		"token_url":      "https://www.googleapis.com/oauth2/v4/token",
		"attributes_url": "https://people.googleapis.com/v1/people/me?personFields=",
		"oidc_issuer":    "https://accounts.google.com",
		"jwks_uri":       "https://www.googleapis.com/oauth2/v3/certs",
	},
	ProviderFacebook: {
		"authorize_url":  "https://www.facebook.com/{v}/dialog/oauth",
		"token_url":      "https://graph.facebook.com/{v}/oauth/access_token",
		"attributes_url": "https://graph.facebook.com/{v}/me?fields=",
	},
	ProviderAmazon: {
		"authorize_url":  "https://www.amazon.com/ap/oa",
		"token_url":      "https://api.amazon.com/auth/o2/token",
		"attributes_url": "https://api.amazon.com/user/profile",
	},
	ProviderApple: {
		"authorize_url": "https://appleid.apple.com/auth/authorize",
		"token_url":     "https://appleid.apple.com/auth/token",
		"oidc_issuer":   "https://appleid.apple.com",
		"jwks_uri":      "https://appleid.apple.com/auth/keys",
	},
}

// providerKeys are, per provider type, the ProviderDetails keys a request
// may set (required ones first, as listed in required) and the keys
// cognate computes, which a request may send back as Describe returned
// them and which are then computed again.
var providerKeys = map[string]struct{ required, optional, computed []string }{
	ProviderGoogle: {
		required: []string{"client_id", "client_secret", "authorize_scopes"},
		computed: []string{"authorize_url", "token_url", "attributes_url", "attributes_url_add_attributes", "oidc_issuer", "token_request_method"},
	},
	ProviderAmazon: {
		required: []string{"client_id", "client_secret", "authorize_scopes"},
		computed: []string{"authorize_url", "token_url", "attributes_url", "attributes_url_add_attributes", "token_request_method"},
	},
	ProviderFacebook: {
		required: []string{"client_id", "client_secret", "authorize_scopes"},
		optional: []string{"api_version"},
		computed: []string{"authorize_url", "token_url", "attributes_url", "attributes_url_add_attributes", "token_request_method"},
	},
	ProviderApple: {
		required: []string{"client_id", "team_id", "key_id", "private_key", "authorize_scopes"},
		computed: []string{"authorize_url", "token_url", "attributes_url_add_attributes", "oidc_issuer", "token_request_method"},
	},
	ProviderOIDC: {
		required: []string{"client_id", "oidc_issuer", "authorize_scopes"},
		optional: []string{"client_secret", "attributes_request_method", "authorize_url", "token_url", "attributes_url", "jwks_uri"},
		computed: []string{"attributes_url_add_attributes"},
	},
	ProviderSAML: {
		optional: []string{"MetadataURL", "MetadataFile", "IDPSignout", "IDPInit", "EncryptedResponses", "RequestSigningAlgorithm"},
		computed: []string{"SSORedirectBindingURI", "SLORedirectBindingURI", "ActiveEncryptionCertificate"},
	},
}

// socialProviders are the provider types whose ProviderName is the type.
var socialProviders = []string{ProviderGoogle, ProviderFacebook, ProviderAmazon, ProviderApple}

// defaultUsernameMapping is, per provider type, the provider attribute
// Cognito maps to username (the federated user's subject).
var defaultUsernameMapping = map[string]string{
	ProviderGoogle: "sub", ProviderFacebook: "id", ProviderAmazon: "user_id", ProviderApple: "sub", ProviderOIDC: "sub",
}

// checkProviderName checks an identity provider's name against its type:
// a social provider is named after its type, and no provider is named
// Cognito, the name of the pool's own users.
func checkProviderName(name, typ string) error {
	if strings.EqualFold(name, "cognito") {
		return cognito.InvalidParameterException(fmt.Sprintf("%s is a reserved provider name.", name))
	}
	if slices.Contains(socialProviders, typ) && name != typ {
		return cognito.InvalidParameterException(fmt.Sprintf("Provider name %s is not valid for provider type %s: it must be %s.", name, typ, typ))
	}
	if _, ok := providerKeys[typ]; !ok {
		return cognito.InvalidParameterException(fmt.Sprintf("Unsupported provider type %s.", typ))
	}
	return nil
}

// checkAttributeMapping checks an AttributeMapping: each key is username or
// a mutable attribute of the pool's schema (a mapped attribute is written at
// each sign-in). The provider's subject is mapped to username when the
// mapping does not say otherwise (SAML has no default: its subject is the
// assertion's NameID).
func checkAttributeMapping(p *idp.UserPoolType, typ string, in map[string]string) (map[string]string, error) {
	out := maps.Clone(in)
	if out == nil {
		out = map[string]string{}
	}
	for k, v := range out {
		if k == "username" {
			continue
		}
		var def *idp.SchemaAttributeType
		for i := range p.SchemaAttributes {
			if cognito.Deref(p.SchemaAttributes[i].Name) == k {
				def = &p.SchemaAttributes[i]
			}
		}
		if def == nil {
			return nil, cognito.InvalidParameterException(fmt.Sprintf("Attribute %s is not in the user pool's schema.", k))
		}
		if !cognito.Deref(def.Mutable) || k == "sub" || k == "identities" {
			return nil, cognito.InvalidParameterException(fmt.Sprintf("Attribute %s cannot be mapped: it is not mutable.", k))
		}
		if v == "" {
			return nil, cognito.InvalidParameterException(fmt.Sprintf("The provider attribute mapped to %s is empty.", k))
		}
	}
	if _, ok := out["username"]; !ok {
		if d := defaultUsernameMapping[typ]; d != "" {
			out["username"] = d
		}
	}
	return out, nil
}

// providerDetails checks the ProviderDetails of a provider of type typ and
// returns them as stored, with the computed keys filled in. old are the
// current details on update (nil on create): a secret left out keeps its
// old value.
func (s *Service) providerDetails(ctx context.Context, typ string, in, old map[string]string) (map[string]string, error) {
	keys, ok := providerKeys[typ]
	if !ok {
		return nil, cognito.InvalidParameterException(fmt.Sprintf("Unsupported provider type %s.", typ))
	}
	out := map[string]string{}
	for k, v := range in {
		switch {
		case slices.Contains(keys.computed, k):
			continue
		case slices.Contains(keys.required, k), slices.Contains(keys.optional, k):
			out[k] = v
		default:
			return nil, cognito.InvalidParameterException(fmt.Sprintf("%s is not a valid provider details key for provider type %s.", k, typ))
		}
	}
	for _, k := range sealedDetails {
		if _, given := out[k]; !given && old[k] != "" {
			out[k] = old[k]
		}
	}
	for _, k := range keys.required {
		if strings.TrimSpace(out[k]) == "" {
			return nil, cognito.InvalidParameterException(fmt.Sprintf("%s is required for provider type %s.", k, typ))
		}
	}
	switch typ {
	case ProviderOIDC:
		return s.oidcDetails(ctx, out)
	case ProviderSAML:
		return s.samlDetails(ctx, out)
	case ProviderApple:
		if _, err := ParseApplePrivateKey(out["private_key"]); err != nil {
			return nil, cognito.InvalidParameterException("private_key is not a valid Sign in with Apple key: a PKCS #8 EC private key, PEM-encoded (the .p8 file).")
		}
		for _, sc := range strings.Fields(out["authorize_scopes"]) {
			if sc != "email" && sc != "name" {
				return nil, cognito.InvalidParameterException(fmt.Sprintf("Invalid authorize scope %s for Sign in with Apple: use email and name.", sc))
			}
		}
	}
	return s.socialDetails(typ, out), nil
}

// socialDetails fills in the endpoints DescribeIdentityProvider shows of a
// social provider (those Cognito shows; jwks_uri is not among them).
func (s *Service) socialDetails(typ string, d map[string]string) map[string]string {
	eps := s.socialEndpoints(typ, d)
	for k, v := range eps {
		if slices.Contains(providerKeys[typ].computed, k) {
			d[k] = v
		}
	}
	d["attributes_url_add_attributes"] = "false"
	if typ == ProviderGoogle || typ == ProviderFacebook {
		d["attributes_url_add_attributes"] = "true"
	}
	d["token_request_method"] = "POST"
	if typ == ProviderFacebook {
		d["token_request_method"] = "GET"
	}
	return d
}

// SocialEndpoints returns the endpoints a sign-in through social provider
// p uses: the configured ones (ProviderEndpoints, read now, so that a
// change of the configuration applies to providers made before it), with
// Facebook's api_version in its URLs.
func (s *Service) SocialEndpoints(p *FederationProvider) map[string]string {
	return s.socialEndpoints(p.Type, p.Details)
}

func (s *Service) socialEndpoints(typ string, d map[string]string) map[string]string {
	eps := s.ProviderEndpoints(typ)
	if typ == ProviderFacebook {
		for k, v := range eps {
			if ver := d["api_version"]; ver != "" {
				eps[k] = strings.ReplaceAll(v, "{v}", url.PathEscape(ver))
			} else {
				eps[k] = strings.ReplaceAll(v, "/{v}", "")
			}
		}
	}
	return eps
}

// ProviderEndpoints returns the endpoints of social provider type typ:
// DefaultProviderEndpoints with Options.ProviderEndpoints over them.
func (s *Service) ProviderEndpoints(typ string) map[string]string {
	out := maps.Clone(DefaultProviderEndpoints[typ])
	if out == nil {
		out = map[string]string{}
	}
	maps.Copy(out, s.endpoints[typ])
	return out
}

// ParseApplePrivateKey parses a Sign in with Apple private key: the .p8
// file Apple hands out (PEM, PKCS #8, an EC key), or its base64 body.
func ParseApplePrivateKey(v string) (*ecdsa.PrivateKey, error) {
	der := []byte(nil)
	if b, _ := pem.Decode([]byte(strings.TrimSpace(v))); b != nil {
		der = b.Bytes
	} else {
		var err error
		if der, err = base64.StdEncoding.DecodeString(strings.Join(strings.Fields(v), "")); err != nil {
			return nil, fmt.Errorf("apple private key: %w", err)
		}
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("apple private key: %w", err)
	}
	ec, ok := k.(*ecdsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("apple private key: not an EC key")
	}
	return ec, nil
}

// checkProviderURL checks a URL of a provider: absolute HTTPS, or plain
// HTTP to the local machine, as for redirect URIs.
func checkProviderURL(key, raw string) error {
	u, err := url.Parse(raw)
	bad := err != nil || u.Host == "" || u.User != nil
	if !bad {
		switch strings.ToLower(u.Scheme) {
		case "https":
		case "http":
			switch u.Hostname() {
			case "localhost", "127.0.0.1", "::1":
			default:
				bad = true
			}
		default:
			bad = true
		}
	}
	if bad {
		return cognito.InvalidParameterException(fmt.Sprintf("%s %s is not a valid HTTPS URL.", key, raw))
	}
	return nil
}

// oidcEndpointKeys are the endpoints of an OIDC provider, which cognate
// discovers at the issuer when the request leaves any out.
var oidcEndpointKeys = []string{"authorize_url", "token_url", "attributes_url", "jwks_uri"}

// oidcDetails checks an OIDC provider's details and discovers the
// endpoints the request leaves out at oidc_issuer's
// /.well-known/openid-configuration (the document's issuer must be
// oidc_issuer).
func (s *Service) oidcDetails(ctx context.Context, d map[string]string) (map[string]string, error) {
	if !slices.Contains(strings.Fields(d["authorize_scopes"]), "openid") {
		return nil, cognito.InvalidParameterException("authorize_scopes of an OIDC provider must include openid.")
	}
	switch m := d["attributes_request_method"]; m {
	case "":
		d["attributes_request_method"] = "GET"
	case "GET", "POST":
	default:
		return nil, cognito.InvalidParameterException(fmt.Sprintf("attributes_request_method must be GET or POST, not %s.", m))
	}
	if err := checkProviderURL("oidc_issuer", d["oidc_issuer"]); err != nil {
		return nil, err
	}
	missing := false
	for _, k := range oidcEndpointKeys {
		if d[k] == "" {
			missing = true
			continue
		}
		if err := checkProviderURL(k, d[k]); err != nil {
			return nil, err
		}
	}
	if missing {
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		p, err := oidc.NewProvider(oidc.ClientContext(ctx, s.httpClient()), d["oidc_issuer"])
		if err != nil {
			s.log.Info("oidc discovery failed", "issuer", d["oidc_issuer"], "err", err)
			return nil, cognito.InvalidParameterException(fmt.Sprintf("Unable to contact the OIDC provider at %s: no valid discovery document at its /.well-known/openid-configuration, and the request does not give every endpoint.", d["oidc_issuer"]))
		}
		var doc struct {
			Authorize string `json:"authorization_endpoint"`
			Token     string `json:"token_endpoint"`
			UserInfo  string `json:"userinfo_endpoint"`
			JWKS      string `json:"jwks_uri"`
		}
		if err := p.Claims(&doc); err != nil {
			return nil, cognito.InvalidParameterException(fmt.Sprintf("The discovery document of %s cannot be read.", d["oidc_issuer"]))
		}
		found := map[string]string{"authorize_url": doc.Authorize, "token_url": doc.Token, "attributes_url": doc.UserInfo, "jwks_uri": doc.JWKS}
		for _, k := range oidcEndpointKeys {
			if d[k] != "" || found[k] == "" {
				continue
			}
			if err := checkProviderURL(k, found[k]); err != nil {
				return nil, err
			}
			d[k] = found[k]
		}
		for _, k := range []string{"authorize_url", "token_url", "jwks_uri"} {
			if d[k] == "" {
				return nil, cognito.InvalidParameterException(fmt.Sprintf("%s is required: the provider's discovery document has none.", k))
			}
		}
	}
	d["attributes_url_add_attributes"] = "false"
	return d, nil
}

// samlBool are the SAML details that are "true" or "false".
var samlBool = []string{"IDPSignout", "IDPInit", "EncryptedResponses"}

// maxMetadataSize bounds a SAML metadata document fetched from MetadataURL.
const maxMetadataSize = 1 << 20

// samlDetails checks a SAML provider's details: metadata from exactly one
// of MetadataFile and MetadataURL (fetched now), with an IdP SSO
// descriptor, whose HTTP-Redirect sign-in and sign-out URLs are shown as
// SSORedirectBindingURI and SLORedirectBindingURI.
func (s *Service) samlDetails(ctx context.Context, d map[string]string) (map[string]string, error) {
	file, link := d["MetadataFile"], d["MetadataURL"]
	if (file == "") == (link == "") {
		return nil, cognito.InvalidParameterException("Exactly one of MetadataFile and MetadataURL is required for provider type SAML.")
	}
	for _, k := range samlBool {
		if v, ok := d[k]; ok && v != "true" && v != "false" {
			return nil, cognito.InvalidParameterException(fmt.Sprintf("%s must be true or false.", k))
		}
	}
	if v, ok := d["RequestSigningAlgorithm"]; ok && v != "rsa-sha256" {
		return nil, cognito.InvalidParameterException("RequestSigningAlgorithm must be rsa-sha256.")
	}
	raw := []byte(file)
	if link != "" {
		if err := checkProviderURL("MetadataURL", link); err != nil {
			return nil, err
		}
		var err error
		if raw, err = s.fetch(ctx, link); err != nil {
			s.log.Info("saml metadata fetch failed", "url", link, "err", err)
			return nil, cognito.InvalidParameterException(fmt.Sprintf("Could not retrieve the metadata document at %s.", link))
		}
	}
	ed, err := ParseSAMLMetadata(raw)
	if err != nil {
		return nil, cognito.InvalidParameterException("The SAML metadata document is not valid: it needs an EntityDescriptor with an IDPSSODescriptor.")
	}
	sso := ed.IDPSSODescriptors[0]
	for _, ep := range sso.SingleSignOnServices {
		if ep.Binding == saml.HTTPRedirectBinding && d["SSORedirectBindingURI"] == "" {
			d["SSORedirectBindingURI"] = ep.Location
		}
	}
	for _, ep := range sso.SingleLogoutServices {
		if ep.Binding == saml.HTTPRedirectBinding && d["SLORedirectBindingURI"] == "" {
			d["SLORedirectBindingURI"] = ep.Location
		}
	}
	if d["SSORedirectBindingURI"] == "" {
		return nil, cognito.InvalidParameterException("The SAML metadata document has no SingleSignOnService with the HTTP-Redirect binding.")
	}
	return d, nil
}

// ParseSAMLMetadata reads an IdP's metadata document: an EntityDescriptor,
// or the first of an EntitiesDescriptor's that describes an IdP.
func ParseSAMLMetadata(raw []byte) (*saml.EntityDescriptor, error) {
	var ed saml.EntityDescriptor
	if err := xml.Unmarshal(raw, &ed); err == nil && len(ed.IDPSSODescriptors) > 0 {
		return &ed, nil
	}
	var eds saml.EntitiesDescriptor
	if err := xml.Unmarshal(raw, &eds); err != nil {
		return nil, fmt.Errorf("saml metadata: %w", err)
	}
	for i := range eds.EntityDescriptors {
		if len(eds.EntityDescriptors[i].IDPSSODescriptors) > 0 {
			return &eds.EntityDescriptors[i], nil
		}
	}
	return nil, fmt.Errorf("saml metadata: no IDPSSODescriptor")
}

// fetch GETs a provider's document, bounded in time and size.
func (s *Service) fetch(ctx context.Context, link string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, link, nil)
	if err != nil {
		return nil, err
	}
	resp, err := s.httpClient().Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("status %s", resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxMetadataSize+1))
	if err != nil {
		return nil, err
	}
	if len(body) > maxMetadataSize {
		return nil, fmt.Errorf("metadata larger than %d bytes", maxMetadataSize)
	}
	return body, nil
}

// httpClient is the client that reaches providers.
func (s *Service) httpClient() *http.Client {
	if s.http != nil {
		return s.http
	}
	return http.DefaultClient
}
