package identitypool

import (
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/directory"
	"github.com/cognate-dev/cognate/internal/federation"
	"github.com/cognate-dev/cognate/internal/storage"
	"github.com/cognate-dev/cognate/internal/sts"
	"github.com/cognate-dev/cognate/internal/tokens"
	"github.com/cognate-dev/cognate/internal/userpool"
)

// Options configures a Service.
type Options struct {
	// AccountID is the AWS account ID that ARNs carry.
	AccountID string
	// Clock returns the current time; nil means time.Now.
	Clock func() time.Time
	// Logger receives engine logs; nil discards them.
	Logger *slog.Logger
	// Tokens verifies user-pool ID tokens and signs the identity pools'
	// OpenID tokens (with tokens.IdentityKeySet).
	Tokens *tokens.Service
	// Pools reads user pools, and runs this engine's eraser when a user
	// pool is deleted.
	Pools *userpool.Service
	// Users reads users, and runs this engine's eraser when a user is
	// deleted.
	Users *directory.Service
	// IssuerBaseURL is the public URL of this server, the base of every
	// issuer it signs for; the identity issuer is IssuerBaseURL +
	// IdentityIssuerPath. A trailing slash is dropped.
	IssuerBaseURL string
	// Credentials mints the temporary credentials of
	// GetCredentialsForIdentity; nil answers that operation with
	// InvalidIdentityPoolConfigurationException.
	Credentials sts.Issuer
	// Revocation tells whether a user-pool token was revoked, for the
	// providers configured with ServerSideTokenCheck; nil treats every
	// such login as revoked.
	Revocation TokenChecker
	// OpenIDConnectProviders says which issuer and audiences stand for each
	// OpenID Connect provider an identity pool may name, by provider name
	// (the ARN's part after "oidc-provider/", which is also the Logins
	// key). See OIDCProvider.
	OpenIDConnectProviders map[string]OIDCProvider
	// SAMLProviders says what each SAML provider an identity pool may name
	// stands for, by provider name (the ARN's part after
	// "saml-provider/"). See SAMLProvider.
	SAMLProviders map[string]SAMLProvider
	// HTTPClient fetches OpenID Connect discovery documents and key sets;
	// nil means http.DefaultClient.
	HTTPClient *http.Client
	// EndUsers tells whether this region serves the end users of a user
	// pool (replication.Replicas.ServesEndUsers): a login of a pool whose
	// replica here is CREATING or INACTIVE is refused with the error it
	// returns, as the pool's own end-user operations are. nil serves
	// every pool.
	EndUsers func(ctx context.Context, userPoolID string) error
	// PaginationKey signs pagination tokens. Nodes that serve the same
	// store must share it; nil means a random key per process.
	PaginationKey []byte
}

// OIDCProvider is what IAM knows of an OpenID Connect provider: the issuer
// its tokens carry (discovery at Issuer + "/.well-known/openid-configuration")
// and the client IDs (aud) it issues tokens for that an identity pool
// accepts.
type OIDCProvider struct {
	// Issuer is the issuer URL; empty means "https://" + the provider
	// name, what IAM derives from the ARN.
	Issuer string
	// ClientIDs are the accepted audiences; a token for any other is
	// refused. IAM calls this the provider's client ID list.
	ClientIDs []string
}

// TokenChecker is the port through which the engine asks the user pool
// whether one of its tokens still stands: the user exists and is enabled
// and the sign-in session the token came from (its origin_jti) was not
// revoked (RevokeToken, GlobalSignOut). It answers a Cognito exception
// when the token does not stand.
type TokenChecker interface {
	CheckIDToken(ctx context.Context, poolID, sub, originJTI string) error
}

// IdentityIssuerPath is the path of the identity issuer under the server's
// URL: its discovery document is at IdentityIssuerPath +
// "/.well-known/openid-configuration" and its keys at IdentityIssuerPath +
// "/.well-known/jwks_uri", the path Cognito publishes them at.
const IdentityIssuerPath = "/cognito-identity"

// Service implements the identity-pool operations.
type Service struct {
	store     storage.Store
	account   string
	clock     func() time.Time
	log       *slog.Logger
	tokens    *tokens.Service
	pools     *userpool.Service
	users     *directory.Service
	issuer    string
	issuerURL string
	creds     sts.Issuer
	revoked   TokenChecker
	endUsers  func(ctx context.Context, userPoolID string) error
	oidcConf  map[string]OIDCProvider
	samlConf  map[string]SAMLProvider
	saml      *federation.Client
	http      *http.Client
	pageKey   []byte

	// oidcMu guards verifiers.
	oidcMu sync.Mutex
	// verifiers caches an OpenID Connect verifier per issuer URL.
	verifiers map[string]*oidcVerifier
}

// New returns a Service on store and wires its erasers into opts.Pools.
func New(store storage.Store, opts Options) *Service {
	s := &Service{
		store: store, account: opts.AccountID, clock: opts.Clock, log: opts.Logger, tokens: opts.Tokens,
		pools: opts.Pools, users: opts.Users, creds: opts.Credentials, revoked: opts.Revocation, endUsers: opts.EndUsers, oidcConf: opts.OpenIDConnectProviders, samlConf: opts.SAMLProviders,
		http: opts.HTTPClient, pageKey: opts.PaginationKey, verifiers: map[string]*oidcVerifier{},
	}
	if s.clock == nil {
		s.clock = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.http == nil {
		s.http = http.DefaultClient
	}
	s.saml = &federation.Client{HTTP: s.http}
	if len(s.pageKey) == 0 {
		s.pageKey = make([]byte, 32)
		rand.Read(s.pageKey) // crypto/rand.Read never fails; it crashes the program instead
	}
	s.issuer = IssuerURL(opts.IssuerBaseURL)
	s.issuerURL = strings.TrimSuffix(s.issuer, IdentityIssuerPath)
	if s.users != nil {
		s.users.OnDeleteUser(s.eraseUserLogins)
	}
	if s.pools != nil {
		s.pools.OnDeleteUserPool(s.eraseUserPoolLogins)
	}
	return s
}

// Issuer returns the iss of the OpenID tokens this service signs.
func (s *Service) Issuer() string { return s.issuer }

// now returns the current time truncated to milliseconds, the precision the
// stores keep and the wire carries.
func (s *Service) now() time.Time { return s.clock().UTC().Truncate(time.Millisecond) }

// internal wraps an unexpected error as InternalErrorException; the cause is
// logged by the edge and never sent.
func internal(err error) error {
	var ce *cognito.Error
	if errors.As(err, &ce) {
		return err
	}
	return cognito.InternalErrorException("Internal error").WithCause(err)
}

// runTx runs fn in one transaction, retrying it a few times when it loses a
// race, and turns any error that is not a Cognito exception into
// InternalErrorException.
func (s *Service) runTx(ctx context.Context, fn func(tx storage.Tx) error) error {
	var err error
	for range 5 {
		err = s.store.Tx(ctx, fn)
		if !errors.Is(err, storage.ErrConflict) {
			if err != nil {
				return internal(err)
			}
			return nil
		}
		if ctx.Err() != nil {
			return internal(ctx.Err())
		}
	}
	return cognito.ResourceConflictException("The resource was modified by another request. Try again.").WithCause(err)
}
