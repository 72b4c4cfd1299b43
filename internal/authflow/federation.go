package authflow

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"golang.org/x/oauth2"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/directory"
	"github.com/cognate-dev/cognate/internal/federation"
	"github.com/cognate-dev/cognate/internal/storage"
	"github.com/cognate-dev/cognate/internal/tokens"
	"github.com/cognate-dev/cognate/internal/userpool"
)

// FederationValidity is how long a user has to come back from an identity
// provider: the state of the redirect lives that long.
const FederationValidity = 10 * time.Minute

// federationRecord is the state of a redirect to an identity provider
// (kind auth_session, ID "<pool>/fed/<hex SHA-256 of the state>"), sealed:
// what the provider's answer is checked against and the authorize request
// it continues.
type federationRecord struct {
	Provider string `json:"provider"`
	Nonce    string `json:"nonce"`
	Verifier string `json:"verifier"`
	// Binding is the SHA-256 of the browser cookie the redirect set: the
	// answer must come back to the browser that left.
	Binding     string `json:"binding"`
	Authorize   string `json:"authorize"`
	RedirectURI string `json:"redirect_uri"`
	// SAMLRequest is the ID of the AuthnRequest sent to a SAML provider:
	// the response's InResponseTo must name it.
	SAMLRequest string    `json:"saml_request,omitempty"`
	ExpiresAt   time.Time `json:"expires_at"`
}

// federationStored is the stored form of a federationRecord.
type federationStored struct {
	Sealed    string    `json:"sealed"`
	ExpiresAt time.Time `json:"expires_at"`
}

func federationID(pool, hash string) string { return pool + "/fed/" + hash }

func federationPurpose(id string) string { return "federation\x00" + id }

// FederationStart is a sign-in the hosted UI sends to an identity
// provider.
type FederationStart struct {
	PoolID   string
	Provider *userpool.FederationProvider
	// Authorize is the authorize request (its encoded query) that the
	// sign-in continues when the user comes back.
	Authorize string
	// RedirectURI is the pool domain's /oauth2/idpresponse, or, for a
	// SAML provider, its /saml2/idpresponse (the ACS URL).
	RedirectURI string
	// LogoutURI is the pool domain's /saml2/logout (SAML providers).
	LogoutURI string
}

// FederationRedirect is where to send the browser, and the value of the
// cookie that binds the answer to it.
type FederationRedirect struct {
	URL, Binding string
}

// federationProvider is the federation view of a pool's provider: an OIDC
// provider as stored; a social provider with its endpoints as configured
// (userpool.Service.SocialEndpoints) and its quirks: Google as an OpenID
// Connect provider (openid always asked), Sign in with Apple with its
// client-secret JWT and form_post answer, Facebook's Graph API profile with
// the mapped fields, Login with Amazon's profile.
func (s *Service) federationProvider(p *userpool.FederationProvider) (*federation.Provider, error) {
	d := p.Details
	scopes := strings.FieldsFunc(d["authorize_scopes"], func(r rune) bool { return r == ' ' || r == ',' })
	switch p.Type {
	case userpool.ProviderOIDC:
		return &federation.Provider{
			Name: p.Name, ClientID: d["client_id"], ClientSecret: d["client_secret"], Scopes: scopes,
			Issuer: d["oidc_issuer"], AuthURL: d["authorize_url"], TokenURL: d["token_url"], UserInfoURL: d["attributes_url"],
			JWKSURL: d["jwks_uri"], UserInfoMethod: d["attributes_request_method"],
		}, nil
	}
	eps := s.pools.SocialEndpoints(p)
	fp := &federation.Provider{
		Name: p.Name, ClientID: d["client_id"], ClientSecret: d["client_secret"], Scopes: scopes,
		AuthURL: eps["authorize_url"], TokenURL: eps["token_url"],
	}
	switch p.Type {
	case userpool.ProviderGoogle:
		if !slices.Contains(fp.Scopes, "openid") {
			fp.Scopes = append([]string{"openid"}, fp.Scopes...)
		}
		fp.Issuer, fp.JWKSURL = eps["oidc_issuer"], eps["jwks_uri"]
	case userpool.ProviderApple:
		key, err := userpool.ParseApplePrivateKey(d["private_key"])
		if err != nil {
			return nil, internal(fmt.Errorf("apple private key of %s: %w", p.Name, err))
		}
		secret, err := federation.AppleClientSecret(d["team_id"], d["client_id"], d["key_id"], eps["oidc_issuer"], key, s.now(), appleSecretValidity)
		if err != nil {
			return nil, internal(err)
		}
		fp.ClientSecret, fp.Issuer, fp.JWKSURL = secret, eps["oidc_issuer"], eps["jwks_uri"]
		if len(fp.Scopes) > 0 {
			// Apple answers a request for the name or email with a form
			// post only.
			fp.ResponseMode = "form_post"
		}
	case userpool.ProviderFacebook:
		fp.ProfileURL, fp.SubjectClaim = eps["attributes_url"], "id"
		fields := []string{"id"}
		for attr, claim := range p.AttributeMapping {
			if attr != "username" && !slices.Contains(fields, claim) {
				fields = append(fields, claim)
			}
		}
		slices.Sort(fields[1:])
		fp.ProfileFields = fields
	case userpool.ProviderAmazon:
		fp.ProfileURL, fp.SubjectClaim = eps["attributes_url"], "user_id"
	default:
		return nil, cognito.InvalidParameterException(fmt.Sprintf("Sign-in through %s providers is not supported yet.", p.Type))
	}
	return fp, nil
}

// appleSecretValidity is how long the client-secret JWT made for one
// token request to Apple is valid.
const appleSecretValidity = 5 * time.Minute

// StartFederation begins a sign-in at an identity provider: it stores the
// state of the redirect (use-once, bound to the browser by a cookie,
// expiring) with a nonce and a PKCE verifier, and returns the provider's
// authorization URL.
func (s *Service) StartFederation(ctx context.Context, in FederationStart) (*FederationRedirect, error) {
	state, binding := opaqueToken(32), opaqueToken(32)
	now := s.now()
	rec := federationRecord{
		Provider: in.Provider.Name, Binding: hashOf(binding), Authorize: in.Authorize, RedirectURI: in.RedirectURI,
		ExpiresAt: now.Add(FederationValidity),
	}
	var redirect string
	if in.Provider.Type == userpool.ProviderSAML {
		// The state travels as the RelayState; the AuthnRequest's ID is
		// kept for the response's InResponseTo.
		sp, err := s.samlProvider(ctx, in.Provider, in.RedirectURI, in.LogoutURI)
		if err != nil {
			return nil, err
		}
		if redirect, rec.SAMLRequest, err = s.federation.SAMLAuthnRequest(ctx, sp, state); err != nil {
			return nil, cognito.InvalidParameterException("The SAML identity provider cannot be used: " + err.Error())
		}
	} else {
		fp, err := s.federationProvider(in.Provider)
		if err != nil {
			return nil, err
		}
		rec.Nonce, rec.Verifier = opaqueToken(32), oauth2.GenerateVerifier()
		redirect = s.federation.AuthCodeURL(fp, in.RedirectURI, state, rec.Nonce, rec.Verifier)
	}
	raw, err := json.Marshal(rec)
	if err != nil {
		return nil, internal(err)
	}
	id := federationID(in.PoolID, hashOf(state))
	data, err := json.Marshal(federationStored{Sealed: s.state.SealString(federationPurpose(id), raw), ExpiresAt: rec.ExpiresAt})
	if err != nil {
		return nil, internal(err)
	}
	it := &storage.Item{Kind: kindAuthSession, ID: id, Pool: in.PoolID, Data: data,
		Index: []string{expiringKey(rec.ExpiresAt)}, CreatedAt: now, UpdatedAt: now}
	if err := s.runTx(ctx, func(tx storage.Tx) error { return tx.CreateItem(ctx, it) }); err != nil {
		return nil, err
	}
	s.maybeSweep(ctx, kindAuthSession)
	return &FederationRedirect{URL: redirect, Binding: binding}, nil
}

// FederationAnswer is what came back to /oauth2/idpresponse.
type FederationAnswer struct {
	PoolID string
	// State and Code are the provider's answer; Error its error, when it
	// sent one instead of a code.
	State, Code, Error string
	// Binding is the browser's binding cookie.
	Binding string
	// User is the user member of Sign in with Apple's form post: at the
	// first sign-in, the name the user gave ({"name":{"firstName",
	// "lastName"},"email"}); its names become the claims firstName and
	// lastName.
	User string
}

// FederationResult ends a sign-in at a provider: the hosted-UI session
// of the user, and the authorize request to continue.
type FederationResult struct {
	UISession, Authorize string
}

// ErrFederationState is an answer whose state is unknown, used, expired
// or from another browser: nothing says where to send the user back.
var ErrFederationState = errors.New("unknown or used state")

// FederationError is a sign-in at a provider that failed after its state
// was good: the error goes back to the app client's redirect URI of the
// authorize request (Authorize), as an RFC 6749 error code.
type FederationError struct {
	Authorize   string
	Code        string
	Description string
	cause       error
}

func (e *FederationError) Error() string {
	return "federation: " + e.Code + ": " + e.Description + ": " + fmt.Sprint(e.cause)
}
func (e *FederationError) Unwrap() error { return e.cause }

// FinishFederation takes an identity provider's answer: the state is used
// up (once, in its own transaction, before the code is redeemed), checked
// against the browser's binding cookie and its expiry; the code is
// redeemed and the ID token verified (federation.Client.Exchange); and the
// user found or made (directory.FederatedSignIn) and signed in with a
// hosted-UI session.
func (s *Service) FinishFederation(ctx context.Context, in FederationAnswer) (*FederationResult, error) {
	if in.State == "" || len(in.State) > 128 || in.Binding == "" || len(in.Binding) > 128 {
		return nil, ErrFederationState
	}
	rec, err := s.useFederationState(ctx, in.PoolID, in.State, in.Binding)
	if err != nil {
		return nil, err
	}
	fail := func(code, desc string, cause error) error {
		return &FederationError{Authorize: rec.Authorize, Code: code, Description: desc, cause: cause}
	}
	if in.Error != "" {
		code := in.Error
		switch code {
		case "access_denied", "invalid_request", "unauthorized_client", "invalid_scope", "server_error", "temporarily_unavailable":
		default:
			code = "server_error"
		}
		return nil, fail(code, "The identity provider answered "+code+".", nil)
	}
	if in.Code == "" {
		return nil, fail("invalid_request", "The identity provider sent no code.", nil)
	}
	caller := cognito.Caller{Region: cognito.RegionOfPoolID(in.PoolID)}
	pool, err := s.pools.SignInPool(ctx, caller, in.PoolID)
	if err != nil {
		return nil, err
	}
	prov, err := s.pools.FederationProvider(ctx, nil, in.PoolID, rec.Provider)
	if errors.Is(err, cognito.ResourceNotFoundException("")) {
		return nil, fail("invalid_request", "The identity provider no longer exists.", err)
	}
	if err != nil {
		return nil, err
	}
	fp, err := s.federationProvider(prov)
	if err != nil {
		return nil, fail("invalid_request", "The identity provider is not supported.", err)
	}
	ident, err := s.federation.Exchange(ctx, fp, rec.RedirectURI, in.Code, rec.Verifier, rec.Nonce)
	if err != nil {
		s.log.Info("federated sign-in refused", "pool", in.PoolID, "provider", prov.Name, "err", err)
		return nil, fail("invalid_request", "The identity provider's answer is not valid.", err)
	}
	if prov.Type == userpool.ProviderApple && in.User != "" {
		var user struct {
			Name struct {
				FirstName string `json:"firstName"`
				LastName  string `json:"lastName"`
			} `json:"name"`
		}
		if json.Unmarshal([]byte(in.User), &user) == nil {
			if user.Name.FirstName != "" {
				ident.Claims["firstName"] = user.Name.FirstName
			}
			if user.Name.LastName != "" {
				ident.Claims["lastName"] = user.Name.LastName
			}
		}
	}
	return s.federatedSession(ctx, pool, prov, ident.Subject, ident.Claims, rec.Authorize, events.CognitoEventUserPoolsInboundFederationAttributes{
		TokenResponse: stringMap(ident.TokenResponse), IDToken: stringMap(ident.IDToken), UserInfo: stringMap(ident.UserInfo),
	}, nil, fail)
}

// federatedSession signs in the user a provider's sign-in stands for
// (signInFederated), subject being the provider's subject unless the
// mapping names another claim for username, with a hosted-UI session that
// continues the authorize request; raw is the provider's answer for the
// InboundFederation trigger, ref the SAML provider's session for single
// logout (nil for other providers).
func (s *Service) federatedSession(ctx context.Context, pool *userpool.SignInPool, prov *userpool.FederationProvider, subject string, claims map[string]any, authorize string, raw events.CognitoEventUserPoolsInboundFederationAttributes, ref *samlSessionRef, fail func(code, desc string, cause error) error) (*FederationResult, error) {
	if claim := prov.AttributeMapping["username"]; claim != "" {
		if v, ok := claims[claim].(string); ok && v != "" {
			subject = v
		}
	}
	aq, _ := url.ParseQuery(authorize)
	token, err := s.signInFederated(ctx, FederatedLogin{
		Pool: pool, Provider: prov, ClientID: aq.Get("client_id"), Subject: subject, Claims: claims, Raw: raw, SAML: ref,
	})
	if err != nil {
		if errors.Is(err, errFederatedUserBarred) {
			return nil, fail("access_denied", "The user cannot sign in.", nil)
		}
		var ce *cognito.Error
		if errors.As(err, &ce) && ce.Status < 500 {
			return nil, fail("invalid_request", ce.Message, err)
		}
		return nil, err
	}
	return &FederationResult{UISession: token, Authorize: authorize}, nil
}

// useFederationState uses up the stored state of a redirect to an identity
// provider: it must exist, be bound to the browser's cookie binding and
// not have expired. Unknown, used, expired or foreign states are
// ErrFederationState.
func (s *Service) useFederationState(ctx context.Context, poolID, state, binding string) (*federationRecord, error) {
	id := federationID(poolID, hashOf(state))
	var rec federationRecord
	// One attempt: a concurrent use of the same state conflicts, and the
	// loser is refused as a replay. The state is used up only by the
	// browser it is bound to, so that another's request cannot spend it.
	err := s.store.Tx(ctx, func(tx storage.Tx) error {
		it, err := tx.GetItem(ctx, kindAuthSession, id)
		if errors.Is(err, storage.ErrNotFound) {
			return ErrFederationState
		}
		if err != nil {
			return fmt.Errorf("get federation state: %w", err)
		}
		var st federationStored
		if err := json.Unmarshal(it.Data, &st); err != nil {
			return fmt.Errorf("decode federation state: %w", err)
		}
		raw, err := s.state.OpenString(federationPurpose(id), st.Sealed)
		if err != nil {
			return fmt.Errorf("open federation state: %w", err)
		}
		if err := json.Unmarshal(raw, &rec); err != nil {
			return fmt.Errorf("decode federation state: %w", err)
		}
		if subtle.ConstantTimeCompare([]byte(hashOf(binding)), []byte(rec.Binding)) != 1 || !s.now().Before(rec.ExpiresAt) {
			return ErrFederationState
		}
		return tx.DeleteItem(ctx, kindAuthSession, it.ID, it.Version)
	})
	if errors.Is(err, ErrFederationState) || errors.Is(err, storage.ErrNotFound) || errors.Is(err, storage.ErrConflict) {
		return nil, ErrFederationState
	}
	if err != nil {
		return nil, internal(err)
	}
	return &rec, nil
}

// FederatedLogin is a sign-in an identity provider vouched for: what the
// OIDC and social providers' answers (FinishFederation) and SAML
// assertions bring back, ready to become a user of the pool.
type FederatedLogin struct {
	Pool     *userpool.SignInPool
	Provider *userpool.FederationProvider
	// ClientID is the app client of the authorize request the sign-in
	// continues (callerContext.clientId of the triggers).
	ClientID string
	// Subject is the user's identifier at the provider (the claim mapped
	// to username, else the provider's own subject); Claims are the
	// claims or attributes the AttributeMapping reads.
	Subject string
	Claims  map[string]any
	// Raw is what the provider answered, as the InboundFederation trigger
	// receives it: tokenResponse, idToken and userInfo for OIDC and social
	// providers, samlResponse for SAML.
	Raw events.CognitoEventUserPoolsInboundFederationAttributes
	// SAML is the SAML provider's session the sign-in came from, kept with
	// the hosted-UI session for single logout; nil for other providers.
	SAML *samlSessionRef
}

// errFederatedUserBarred is a federated sign-in of a user that may not
// sign in (disabled, or in a status other than CONFIRMED and
// EXTERNAL_PROVIDER).
var errFederatedUserBarred = errors.New("the user cannot sign in")

// signInFederated signs in the user a provider vouched for, the part
// every federated sign-in shares (OIDC, social, SAML), in Cognito's order:
//
//  1. InboundFederation_ExternalProvider, whose userAttributesToMap (when
//     not empty) replace the attributes the AttributeMapping makes;
//  2. the user found or made (directory.FederatedSignIn), which at a first
//     sign-in invokes PreSignUp_ExternalProvider before the user is
//     written and PostConfirmation_ConfirmSignUp after;
//  3. PostAuthentication_Authentication;
//  4. the hosted-UI session, and the sign-in event.
//
// PreTokenGeneration runs when the token endpoint redeems the code the
// session authorizes (TokenGeneration_HostedAuth). A trigger's error ends
// the sign-in with it: nothing is written before PreSignUp answers, and a
// failure after the user is made leaves the user, as Cognito does.
func (s *Service) signInFederated(ctx context.Context, in FederatedLogin) (string, error) {
	id := directory.FederatedIdentity{Provider: in.Provider, Subject: in.Subject, Claims: in.Claims, ClientID: in.ClientID}
	attrs, err := s.inboundFederation(ctx, in)
	if err != nil {
		return "", err
	}
	id.Attributes = attrs
	u, err := s.users.FederatedSignIn(ctx, in.Pool, id)
	if err != nil {
		return "", err
	}
	if !u.Enabled || (u.Status != idp.UserStatusTypeConfirmed && u.Status != idp.UserStatusTypeExternalProvider) {
		return "", errFederatedUserBarred
	}
	client := &userpool.SignInClient{ClientID: in.ClientID}
	if err := s.hooks.runPostAuthentication(ctx, &call{flowStart: flowStart{pool: in.Pool, client: client, hosted: true}, user: u}); err != nil {
		return "", err
	}
	return s.createUISession(ctx, in.Pool, u.Sub, eventFactors{federated: true}, in.SAML)
}

// stringMap is a provider's answer as the InboundFederation event carries
// it: every value a string (numbers and booleans as JSON writes them,
// arrays and objects as their JSON); nil for none.
func stringMap(m map[string]any) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		if sv, ok := directory.ClaimString(v); ok {
			out[k] = sv
		}
	}
	return out
}

// createUISession stores a hosted-UI session for the user sub of pool
// (with the SAML provider's session it came from, if any) and records the
// sign-in event.
func (s *Service) createUISession(ctx context.Context, pool *userpool.SignInPool, sub string, factors eventFactors, ref *samlSessionRef) (string, error) {
	now := s.now()
	token := opaqueToken(32)
	rec := uiSessionRecord{Sub: sub, AuthTime: now, EventID: tokens.NewJTI(), ExpiresAt: now.Add(UISessionValidity), SAML: ref}
	data, err := json.Marshal(rec)
	if err != nil {
		return "", internal(err)
	}
	it := &storage.Item{
		Kind: kindAuthSession, ID: uiSessionID(pool.ID, hashOf(token)), Pool: pool.ID, Data: data,
		Index: []string{expiringKey(rec.ExpiresAt)}, CreatedAt: now, UpdatedAt: now,
	}
	if err := s.runTx(ctx, func(tx storage.Tx) error { return tx.CreateItem(ctx, it) }); err != nil {
		return "", err
	}
	s.recordEvent(ctx, pool, sub, rec.EventID, idp.EventResponseTypePass, factors)
	return token, nil
}
