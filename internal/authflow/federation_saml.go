package authflow

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/crewjam/saml"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/federation"
	"github.com/cognate-dev/cognate/internal/storage"
	"github.com/cognate-dev/cognate/internal/userpool"
)

// SAMLEntityID is a pool's entity ID as a SAML service provider, as
// Cognito names it: the audience its assertions must name.
func SAMLEntityID(poolID string) string { return "urn:amazon:cognito:sp:" + poolID }

// samlProvider is the federation view of a pool's SAML provider: its
// metadata, the pool's entity ID and key pair, the ACS and SLO URLs of the
// domain the sign-in runs on, its settings (IDPInit, EncryptedResponses,
// RequestSigningAlgorithm) and the store-backed replay cache.
func (s *Service) samlProvider(ctx context.Context, p *userpool.FederationProvider, acsURL, sloURL string) (*federation.SAMLProvider, error) {
	key, cert, err := s.pools.SAMLSigningKey(ctx, p.PoolID)
	if err != nil {
		return nil, err
	}
	d := p.Details
	return &federation.SAMLProvider{
		Name: p.Name, Metadata: []byte(d["MetadataFile"]), MetadataURL: d["MetadataURL"],
		EntityID: SAMLEntityID(p.PoolID), ACSURL: acsURL, SLOURL: sloURL, Key: key, Certificate: cert,
		SignRequests: d["RequestSigningAlgorithm"] == "rsa-sha256", IDPInit: d["IDPInit"] == "true",
		RequireEncryption: d["EncryptedResponses"] == "true",
		Replay:            &assertionReplay{s: s, ctx: ctx, pool: p.PoolID, provider: p.Name},
	}, nil
}

// assertionReplay is the replay cache of a pool's SAML provider: each
// accepted assertion's ID is an item (kind auth_session, ID
// "<pool>/saml-assertion/<hex SHA-256 of provider and ID>") until the
// assertion expires, so that every server sharing the store refuses it
// again; expired ones are swept.
type assertionReplay struct {
	s              *Service
	ctx            context.Context
	pool, provider string
}

// Consume records id until expiresAt, or answers saml.ErrAssertionReplayed
// when it is recorded already.
func (a *assertionReplay) Consume(id string, expiresAt time.Time) error {
	now := a.s.now()
	if !expiresAt.After(now) {
		expiresAt = now.Add(time.Minute)
	}
	it := &storage.Item{
		Kind: kindAuthSession, ID: a.pool + "/saml-assertion/" + hashOf(a.provider+"\x00"+id), Pool: a.pool,
		Data: []byte(`{}`), Index: []string{expiringKey(expiresAt)}, CreatedAt: now, UpdatedAt: now,
	}
	err := a.s.store.Tx(a.ctx, func(tx storage.Tx) error { return tx.CreateItem(a.ctx, it) })
	if errors.Is(err, storage.ErrAlreadyExists) || errors.Is(err, storage.ErrConflict) {
		return saml.ErrAssertionReplayed
	}
	if err != nil {
		return fmt.Errorf("record assertion: %w", err)
	}
	a.s.maybeSweep(a.ctx, kindAuthSession)
	return nil
}

// SAMLAnswer is what a SAML provider posted to /saml2/idpresponse.
type SAMLAnswer struct {
	PoolID string
	// SAMLResponse is the base64 response; RelayState the state of an
	// SP-initiated sign-in, or, for an IdP-initiated one, the authorize
	// request's parameters (client_id, redirect_uri, response_type, scope,
	// identity_provider or idp_identifier).
	SAMLResponse, RelayState string
	// Binding is the browser's binding cookie.
	Binding string
	// ACSURL and SLOURL are the domain's /saml2/idpresponse and
	// /saml2/logout.
	ACSURL, SLOURL string
}

// FinishSAML takes a SAML provider's response. With the RelayState of a
// sign-in the pool started, the state is used up (bound to the browser,
// unexpired) and the response must answer its AuthnRequest; otherwise the
// RelayState must be an authorize request naming a SAML provider with
// IDPInit, listed by the app client, and the response must answer no
// request. Either way the response is checked (federation.Client.
// SAMLResponse) and the user signed in as after any provider.
func (s *Service) FinishSAML(ctx context.Context, in SAMLAnswer) (*FederationResult, error) {
	if in.RelayState == "" || len(in.RelayState) > 4096 {
		return nil, ErrFederationState
	}
	var (
		prov      *userpool.FederationProvider
		authorize string
		requests  []string
		fail      func(code, desc string, cause error) error
	)
	caller := cognito.Caller{Region: cognito.RegionOfPoolID(in.PoolID)}
	if len(in.RelayState) <= 128 && in.Binding != "" && len(in.Binding) <= 128 {
		rec, err := s.useFederationState(ctx, in.PoolID, in.RelayState, in.Binding)
		switch {
		case err == nil:
			authorize, requests = rec.Authorize, []string{rec.SAMLRequest}
			fail = func(code, desc string, cause error) error {
				return &FederationError{Authorize: authorize, Code: code, Description: desc, cause: cause}
			}
			if rec.SAMLRequest == "" {
				return nil, fail("invalid_request", "The sign-in was not started at a SAML provider.", nil)
			}
			prov, err = s.pools.FederationProvider(ctx, nil, in.PoolID, rec.Provider)
			if errors.Is(err, cognito.ResourceNotFoundException("")) {
				return nil, fail("invalid_request", "The identity provider no longer exists.", err)
			}
			if err != nil {
				return nil, err
			}
		case !errors.Is(err, ErrFederationState):
			return nil, err
		}
	}
	if prov == nil {
		var err error
		if prov, authorize, err = s.idpInitiated(ctx, caller, in.PoolID, in.RelayState); err != nil {
			return nil, err
		}
		fail = func(code, desc string, cause error) error {
			return &FederationError{Authorize: authorize, Code: code, Description: desc, cause: cause}
		}
	}
	if prov.Type != userpool.ProviderSAML {
		return nil, fail("invalid_request", "The identity provider is not a SAML provider.", nil)
	}
	pool, err := s.pools.SignInPool(ctx, caller, in.PoolID)
	if err != nil {
		return nil, err
	}
	sp, err := s.samlProvider(ctx, prov, in.ACSURL, in.SLOURL)
	if err != nil {
		return nil, err
	}
	ident, err := s.federation.SAMLResponse(ctx, sp, in.SAMLResponse, requests)
	if err != nil {
		s.log.Info("SAML sign-in refused", "pool", in.PoolID, "provider", prov.Name, "err", err)
		return nil, fail("invalid_request", "Invalid SAML response received.", err)
	}
	ref := &samlSessionRef{Provider: prov.Name, NameID: ident.Subject, Format: ident.NameIDFormat, SessionIndex: ident.SessionIndex}
	return s.federatedSession(ctx, pool, prov, ident.Subject, ident.Claims, authorize,
		events.CognitoEventUserPoolsInboundFederationAttributes{SAMLResponse: stringMap(ident.Claims)}, ref, fail)
}

// idpInitiated reads the RelayState of an IdP-initiated sign-in: the
// authorize request's parameters, whose identity_provider or
// idp_identifier names a SAML provider of the pool with IDPInit that the
// app client lists. Anything else is ErrFederationState: nothing says
// where to send the user back.
func (s *Service) idpInitiated(ctx context.Context, caller cognito.Caller, poolID, relayState string) (*userpool.FederationProvider, string, error) {
	q, err := url.ParseQuery(relayState)
	if err != nil || q.Get("client_id") == "" {
		return nil, "", ErrFederationState
	}
	var prov *userpool.FederationProvider
	switch {
	case q.Get("identity_provider") != "":
		prov, err = s.pools.FederationProvider(ctx, nil, poolID, q.Get("identity_provider"))
	case q.Get("idp_identifier") != "":
		prov, err = s.pools.FederationProviderByIdentifier(ctx, poolID, q.Get("idp_identifier"))
	default:
		return nil, "", ErrFederationState
	}
	if err != nil || prov.Type != userpool.ProviderSAML || prov.Details["IDPInit"] != "true" {
		return nil, "", ErrFederationState
	}
	client, _, err := s.pools.PublicClient(ctx, caller, q.Get("client_id"))
	if err != nil || client.PoolID != poolID || !slices.Contains(client.OAuth().IdentityProviders, prov.Name) {
		return nil, "", ErrFederationState
	}
	q.Del("identity_provider")
	q.Del("idp_identifier")
	return prov, q.Encode(), nil
}
