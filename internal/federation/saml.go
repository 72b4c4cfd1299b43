package federation

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/beevik/etree"
	"github.com/crewjam/saml"
)

// SAMLProvider is a SAML 2.0 identity provider as a pool stores it, with
// the pool's side of the exchange: the service provider the pool is to it.
type SAMLProvider struct {
	// Name is the provider's name in the pool, for errors and logs.
	Name string
	// Metadata is the IdP's metadata document (MetadataFile); when it is
	// empty, MetadataURL is fetched.
	Metadata    []byte
	MetadataURL string
	// EntityID is the pool's entity ID, urn:amazon:cognito:sp:<pool ID>:
	// the Issuer of its requests and the audience its assertions must name.
	EntityID string
	// ACSURL is the pool domain's /saml2/idpresponse: the Destination and
	// Recipient the assertions must name. SLOURL is its /saml2/logout.
	ACSURL, SLOURL string
	// Key and Certificate are the pool's SAML key pair: they sign requests
	// (when SignRequests is set) and decrypt encrypted assertions.
	Key         *rsa.PrivateKey
	Certificate *x509.Certificate
	// SignRequests is RequestSigningAlgorithm rsa-sha256.
	SignRequests bool
	// IDPInit accepts responses that answer no request of the pool's.
	IDPInit bool
	// RequireEncryption is EncryptedResponses: an assertion in the clear is
	// refused.
	RequireEncryption bool
	// Replay records each accepted assertion's ID until it expires and
	// refuses an ID it has seen: it must be shared by every server of the
	// pool.
	Replay saml.AssertionReplayCache
}

// Errors of a SAML sign-in; the cause is wrapped for the log.
var (
	// ErrSAMLMetadata is an IdP whose metadata cannot be read.
	ErrSAMLMetadata = errors.New("the SAML provider's metadata is not usable")
	// ErrSAMLResponse is a SAML response that is not valid: its
	// signature, audience, recipient, time window, request, replay or
	// encryption.
	ErrSAMLResponse = errors.New("the SAML response is not valid")
)

// maxMetadata bounds a metadata document fetched at sign-in.
const maxMetadata = 1 << 20

// serviceProvider is crewjam/saml's service provider for p: its checks
// (the signature against the IdP's certificates in the metadata, audience,
// destination and recipient, time window, InResponseTo, replay) are the
// ones the pool makes.
func (c *Client) serviceProvider(ctx context.Context, p *SAMLProvider) (*saml.ServiceProvider, error) {
	raw := p.Metadata
	if len(raw) == 0 {
		if p.MetadataURL == "" {
			return nil, fmt.Errorf("%w: %s: no metadata", ErrSAMLMetadata, p.Name)
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.MetadataURL, nil)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrSAMLMetadata, p.Name, err)
		}
		resp, err := c.http().Do(req)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrSAMLMetadata, p.Name, err)
		}
		defer resp.Body.Close()
		raw, err = io.ReadAll(io.LimitReader(resp.Body, maxMetadata))
		if err != nil || resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("%w: %s: status %s", ErrSAMLMetadata, p.Name, resp.Status)
		}
	}
	ed, err := ParseSAMLMetadata(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrSAMLMetadata, p.Name, err)
	}
	acs, err := url.Parse(p.ACSURL)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: ACS URL: %w", ErrSAMLMetadata, p.Name, err)
	}
	slo, err := url.Parse(p.SLOURL)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: SLO URL: %w", ErrSAMLMetadata, p.Name, err)
	}
	sp := &saml.ServiceProvider{
		EntityID: p.EntityID, AcsURL: *acs, SloURL: *slo, IDPMetadata: ed,
		AuthnNameIDFormat:                saml.UnspecifiedNameIDFormat,
		AssertionConsumerServiceBindings: []string{saml.HTTPPostBinding},
		LogoutBindings:                   []string{saml.HTTPRedirectBinding},
		AllowIDPInitiated:                p.IDPInit,
		ReplayCache:                      p.Replay,
		HTTPClient:                       c.http(),
	}
	if p.Key != nil {
		// A nil key stays a nil interface: without one, an encrypted
		// assertion is refused rather than decrypted with nothing.
		sp.Key, sp.Certificate = p.Key, p.Certificate
	}
	if p.SignRequests {
		sp.SignatureMethod = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
	}
	return sp, nil
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
	return nil, errors.New("saml metadata: no IDPSSODescriptor")
}

// SAMLAuthnRequest is the sign-in at p: the URL of the IdP's HTTP-Redirect
// single sign-on service with an AuthnRequest (signed, when p signs
// requests) asking for the answer by HTTP-POST at p's ACS URL, relayState
// as RelayState; and the request's ID, which the answer's InResponseTo
// must name.
func (c *Client) SAMLAuthnRequest(ctx context.Context, p *SAMLProvider, relayState string) (redirect, requestID string, err error) {
	sp, err := c.serviceProvider(ctx, p)
	if err != nil {
		return "", "", err
	}
	loc := sp.GetSSOBindingLocation(saml.HTTPRedirectBinding)
	if loc == "" {
		return "", "", fmt.Errorf("%w: %s: no HTTP-Redirect SingleSignOnService", ErrSAMLMetadata, p.Name)
	}
	req, err := sp.MakeAuthenticationRequest(loc, saml.HTTPRedirectBinding, saml.HTTPPostBinding)
	if err != nil {
		return "", "", fmt.Errorf("%w: %s: %w", ErrSAMLMetadata, p.Name, err)
	}
	u, err := req.Redirect(relayState, sp)
	if err != nil {
		return "", "", fmt.Errorf("%w: %s: %w", ErrSAMLMetadata, p.Name, err)
	}
	return u.String(), req.ID, nil
}

// SAMLIdentity is who a SAML response says signed in: the subject's
// NameID, its attributes as claims, and what single logout needs.
type SAMLIdentity struct {
	Identity
	// NameIDFormat and SessionIndex name the IdP's session in a
	// LogoutRequest.
	NameIDFormat, SessionIndex string
	// Issuer is the IdP's entity ID.
	Issuer string
}

// maxSAMLResponse bounds the base64 of a SAML response (Cognito takes up
// to 100,000 characters).
const maxSAMLResponse = 100000

// SAMLResponse checks a SAML response posted to p's ACS URL (the base64
// SAMLResponse) with crewjam/saml: the Response or each Assertion signed
// by a certificate of the IdP's metadata, the assertion's audience the
// pool's entity ID, Destination and Recipient the ACS URL, NotBefore and
// NotOnOrAfter around now, InResponseTo one of requestIDs (none for an
// IdP-initiated response, which p must allow), the assertion not seen
// before (p.Replay), and, when p requires it, the assertion encrypted.
func (c *Client) SAMLResponse(ctx context.Context, p *SAMLProvider, samlResponse string, requestIDs []string) (*SAMLIdentity, error) {
	if samlResponse == "" || len(samlResponse) > maxSAMLResponse {
		return nil, fmt.Errorf("%w: %s: missing or too long", ErrSAMLResponse, p.Name)
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(samlResponse))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: base64: %w", ErrSAMLResponse, p.Name, err)
	}
	sp, err := c.serviceProvider(ctx, p)
	if err != nil {
		return nil, err
	}
	if p.RequireEncryption && !hasEncryptedAssertion(raw) {
		return nil, fmt.Errorf("%w: %s: the assertion is not encrypted", ErrSAMLResponse, p.Name)
	}
	a, err := sp.ParseXMLResponse(raw, requestIDs, sp.AcsURL)
	if err != nil {
		var ire *saml.InvalidResponseError
		if errors.As(err, &ire) {
			err = ire.PrivateErr
		}
		return nil, fmt.Errorf("%w: %s: %w", ErrSAMLResponse, p.Name, err)
	}
	if a.Subject == nil || a.Subject.NameID == nil || strings.TrimSpace(a.Subject.NameID.Value) == "" {
		return nil, fmt.Errorf("%w: %s: the assertion has no NameID", ErrSAMLResponse, p.Name)
	}
	out := &SAMLIdentity{
		Identity:     Identity{Subject: a.Subject.NameID.Value, Claims: map[string]any{}},
		NameIDFormat: a.Subject.NameID.Format,
		Issuer:       a.Issuer.Value,
	}
	for _, st := range a.AuthnStatements {
		if st.SessionIndex != "" {
			out.SessionIndex = st.SessionIndex
			break
		}
	}
	for _, st := range a.AttributeStatements {
		for _, at := range st.Attributes {
			var vals []string
			for _, v := range at.Values {
				if v.Nil {
					continue
				}
				if v.NameID != nil {
					vals = append(vals, v.NameID.Value)
					continue
				}
				vals = append(vals, v.Value)
			}
			if len(vals) == 0 || at.Name == "" {
				continue
			}
			out.Claims[at.Name] = samlAttributeValue(vals)
		}
	}
	return out, nil
}

// samlAttributeValue is an attribute's values as one attribute value of
// the pool: a single value as it is, several in brackets, comma-separated
// ("[a, b]"), as Cognito writes them.
func samlAttributeValue(vals []string) string {
	if len(vals) == 1 {
		return vals[0]
	}
	return "[" + strings.Join(vals, ", ") + "]"
}

// hasEncryptedAssertion reports whether the response carries its
// assertion encrypted and no assertion in the clear.
func hasEncryptedAssertion(raw []byte) bool {
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(raw); err != nil || doc.Root() == nil {
		return false
	}
	enc, clear := false, false
	for _, ch := range doc.Root().ChildElements() {
		switch {
		case ch.Tag == "EncryptedAssertion" && ch.NamespaceURI() == "urn:oasis:names:tc:SAML:2.0:assertion":
			enc = true
		case ch.Tag == "Assertion":
			clear = true
		}
	}
	return enc && !clear
}

// SAMLLogoutRequest is the pool's LogoutRequest for the IdP's session of
// the user (nameID of format, sessionIndex), sent with HTTP-Redirect to the
// IdP's SingleLogoutService (signed with the pool's key), relayState as
// RelayState; and its ID, which the IdP's LogoutResponse must answer.
func (c *Client) SAMLLogoutRequest(ctx context.Context, p *SAMLProvider, nameID, format, sessionIndex, relayState string) (redirect, requestID string, err error) {
	sp, err := c.serviceProvider(ctx, p)
	if err != nil {
		return "", "", err
	}
	loc := sp.GetSLOBindingLocation(saml.HTTPRedirectBinding)
	if loc == "" {
		return "", "", fmt.Errorf("%w: %s: no HTTP-Redirect SingleLogoutService", ErrSAMLMetadata, p.Name)
	}
	sp.AuthnNameIDFormat = saml.NameIDFormat(format)
	if sp.SignatureMethod == "" {
		// The single logout profile requires logout messages sent by
		// HTTP-Redirect to be signed (saml-profiles §4.4.3.1).
		sp.LogoutSignatureMethod = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
	}
	var opts []saml.LogoutRequestOption
	if sessionIndex != "" {
		opts = append(opts, saml.WithSessionIndexes(sessionIndex))
	}
	req, err := sp.MakeLogoutRequest(loc, nameID, opts...)
	if err != nil {
		return "", "", fmt.Errorf("%w: %s: %w", ErrSAMLMetadata, p.Name, err)
	}
	u, err := sp.RedirectLogoutRequestURL(req, relayState)
	if err != nil {
		return "", "", fmt.Errorf("%w: %s: %w", ErrSAMLMetadata, p.Name, err)
	}
	return u.String(), req.ID, nil
}

// SAMLLogoutResponse checks the IdP's LogoutResponse that came back to the
// pool's SLO URL (r, by HTTP-Redirect or HTTP-POST): signed by the IdP,
// answering requestID, with a success status.
func (c *Client) SAMLLogoutResponse(ctx context.Context, p *SAMLProvider, r *http.Request, requestID string) error {
	sp, err := c.serviceProvider(ctx, p)
	if err != nil {
		return err
	}
	if _, err := sp.ParseLogoutResponse(r, []string{requestID}); err != nil {
		var ire *saml.InvalidResponseError
		if errors.As(err, &ire) {
			err = ire.PrivateErr
		}
		return fmt.Errorf("%w: %s: logout response: %w", ErrSAMLResponse, p.Name, err)
	}
	return nil
}
