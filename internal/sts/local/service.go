package local

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/cognate-dev/cognate/internal/seal"
	"github.com/cognate-dev/cognate/internal/storage"
	"github.com/cognate-dev/cognate/internal/sts"
)

// Key labels: the keys derived from the encryption key for the secrets
// (sealed) and the session tokens (keyed hashes) of temporary credentials.
const (
	KeyLabelSecrets       = "sts-secret-access-keys"
	KeyLabelSessionTokens = "sts-session-tokens"
)

// Session durations: STS's bounds on DurationSeconds, and the default.
const (
	MinDuration        = 15 * time.Minute
	MaxDuration        = 12 * time.Hour
	DefaultDuration    = time.Hour
	defaultHTTPTimeout = 10 * time.Second
)

// TrustedIssuer is an issuer of web identity tokens that the STS accepts,
// with what its tokens may do.
type TrustedIssuer struct {
	// URL is the issuer exactly as the tokens' iss claim names it.
	URL string
	// Audiences are the aud values accepted; empty accepts any.
	Audiences []string
	// Roles are the role ARNs the issuer's tokens may assume, where '*'
	// matches any run of characters; empty allows any role of the
	// account (arn:aws:iam::<AccountID>:role/*).
	Roles []string
	// KeySet checks signatures in process (cognate's own identity issuer);
	// nil fetches the issuer's discovery document and then its JWKS.
	KeySet oidc.KeySet
	// Trusts, when set, is asked after the checks above whether the
	// token's holder may assume roleARN, as a role's trust policy would
	// (cognate's identity issuer: an unauthenticated identity only its
	// pool's unauthenticated role). false refuses with AccessDenied.
	Trusts func(ctx context.Context, t Token, roleARN string) (bool, error)
}

// Token is what a verified web identity token says, for Trusts.
type Token struct {
	Issuer, Subject, Audience string
	// AMR is the token's amr claim (authentication methods references).
	AMR []string
}

// Options configures the STS.
type Options struct {
	// Store keeps the temporary credentials.
	Store storage.Store
	// Key is the master encryption key; PreviousKeys are earlier ones,
	// which still open credentials minted before a key rotation.
	Key          []byte
	PreviousKeys [][]byte
	// AccountID is the account of assumed-role ARNs when a role ARN names
	// none, and of the default role pattern.
	AccountID string
	// Issuers are the trusted issuers.
	Issuers []TrustedIssuer
	// MaxSessionDuration bounds DurationSeconds; zero means MaxDuration.
	MaxSessionDuration time.Duration
	// HTTPClient fetches discovery documents and JWKS; nil means a client
	// with a ten-second timeout.
	HTTPClient *http.Client
	// Clock returns the current time; nil means time.Now.
	Clock func() time.Time
	// Logger receives the sweep's failures; nil discards them.
	Logger *slog.Logger
}

// Service is cognate's own STS. It implements sts.Issuer.
type Service struct {
	store      storage.Store
	sealer     *seal.Sealer
	macKeys    [][]byte
	account    string
	issuers    map[string]*issuer
	maxSession time.Duration
	clock      func() time.Time
	log        *slog.Logger
	client     *http.Client

	// sweepMu guards lastSweep.
	sweepMu   sync.Mutex
	lastSweep time.Time
}

var _ sts.Issuer = (*Service)(nil)

// New returns the STS.
func New(opts Options) (*Service, error) {
	if opts.Store == nil {
		return nil, errors.New("sts: a store is required")
	}
	keys := seal.Keys{Current: opts.Key, Previous: opts.PreviousKeys}
	if err := keys.Validate(); err != nil {
		return nil, fmt.Errorf("sts: %w", err)
	}
	sealer, err := keys.Derive(KeyLabelSecrets).Sealer()
	if err != nil {
		return nil, fmt.Errorf("sts: %w", err)
	}
	macs := keys.Derive(KeyLabelSessionTokens)
	s := &Service{
		store:      opts.Store,
		sealer:     sealer,
		macKeys:    append([][]byte{macs.Current}, macs.Previous...),
		account:    opts.AccountID,
		issuers:    map[string]*issuer{},
		maxSession: opts.MaxSessionDuration,
		clock:      opts.Clock,
		log:        opts.Logger,
		client:     opts.HTTPClient,
	}
	if s.maxSession <= 0 {
		s.maxSession = MaxDuration
	}
	if s.maxSession < MinDuration || s.maxSession > MaxDuration {
		return nil, fmt.Errorf("sts: the longest session must be between %s and %s, not %s", MinDuration, MaxDuration, s.maxSession)
	}
	if s.clock == nil {
		s.clock = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.client == nil {
		s.client = &http.Client{Timeout: defaultHTTPTimeout}
	}
	for _, ti := range opts.Issuers {
		if ti.URL == "" {
			return nil, errors.New("sts: a trusted issuer needs a URL")
		}
		if _, dup := s.issuers[ti.URL]; dup {
			return nil, fmt.Errorf("sts: issuer %s is trusted twice", ti.URL)
		}
		roles := ti.Roles
		if len(roles) == 0 {
			roles = []string{"arn:aws:iam::" + s.account + ":role/*"}
		}
		s.issuers[ti.URL] = &issuer{TrustedIssuer: ti, roles: roles, svc: s}
	}
	return s, nil
}

// Issuers returns the URLs of the trusted issuers.
func (s *Service) Issuers() []string {
	out := make([]string, 0, len(s.issuers))
	for u := range s.issuers {
		out = append(out, u)
	}
	return out
}

// tokenMAC is the keyed hash of a session token under the i-th key.
func (s *Service) tokenMAC(i int, token string) []byte {
	m := hmac.New(sha256.New, s.macKeys[i])
	m.Write([]byte(token))
	return m.Sum(nil)
}

// internal wraps an unexpected failure as STS's InternalFailure, keeping
// the cause for the log.
func internal(err error) error {
	return sts.NewError(sts.CodeInternalFailure, "An internal error occurred.").WithCause(err)
}

// matchPattern reports whether s matches pattern, where '*' matches any
// run of characters (IAM's StringLike without '?').
func matchPattern(pattern, s string) bool {
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return pattern == s
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	last := parts[len(parts)-1]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return strings.HasSuffix(s, last)
}
