package tokens

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/seal"
	"github.com/cognate-dev/cognate/internal/storage"
)

// MaxTokenValidity is the longest an ID or access token may live; Cognito
// allows from five minutes to one day per app client. Retired keys are
// published for at least this long after they stop signing.
const MaxTokenValidity = 24 * time.Hour

// DefaultRotationPeriod is how long a key generation signs new tokens when
// Options.RotationPeriod is zero.
const DefaultRotationPeriod = 30 * 24 * time.Hour

// KeyEncryptionKeySize is the length of Options.KeyEncryptionKey: an
// AES-256 key.
const KeyEncryptionKeySize = 32

// Options configures a Service.
type Options struct {
	// Store holds the signing keys, as items of kind KeyItemKind whose Pool
	// is the pool ID.
	Store interface {
		storage.ItemReader
		storage.Transactor
	}
	// IssuerBaseURL is the URL that tokens' iss claims start with, e.g.
	// "http://localhost:9229"; a pool's issuer is IssuerBaseURL + "/" +
	// poolID. A trailing slash is dropped.
	IssuerBaseURL string
	// Clock returns the current time; nil means time.Now.
	Clock func() time.Time
	// KeyEncryptionKey (KeyEncryptionKeySize bytes) seals the private keys
	// at rest with AES-256-GCM, the additional data bound to each key's pool
	// and kid. It is not stored in the database: every node that serves the
	// store needs the same key.
	KeyEncryptionKey []byte
	// PreviousKeyEncryptionKeys are earlier key encryption keys: private
	// keys sealed with them still open, during a rotation of the
	// encryption key, until Reseal seals them with KeyEncryptionKey.
	PreviousKeyEncryptionKeys [][]byte
	// RotationPeriod is how long a pool's keys sign new tokens before the
	// next mint replaces them; zero means DefaultRotationPeriod. Retired keys
	// stay published until every token they signed has expired.
	RotationPeriod time.Duration
}

// Service mints and verifies a user pool's ID and access tokens. It is safe
// for concurrent use.
type Service struct {
	store interface {
		storage.ItemReader
		storage.Transactor
	}
	issuerBase string
	clock      func() time.Time
	sealer     *seal.Sealer
	rotation   time.Duration

	// mu guards pools.
	mu sync.Mutex
	// pools caches each pool's keys, by pool ID.
	pools map[string]*poolKeys
	// rotations runs one rotation of a pool's keys at a time in this
	// process, by pool ID; the mints that need it share its result.
	rotations singleflight.Group
	// verified remembers the access tokens verified.
	verified verifiedTokens
}

// New returns a Service, or an error when opts are unusable.
func New(opts Options) (*Service, error) {
	if opts.Store == nil {
		return nil, errors.New("tokens: no store")
	}
	base, err := issuerBaseURL(opts.IssuerBaseURL)
	if err != nil {
		return nil, err
	}
	if len(opts.KeyEncryptionKey) != KeyEncryptionKeySize {
		return nil, fmt.Errorf("tokens: key encryption key is %d bytes, want %d", len(opts.KeyEncryptionKey), KeyEncryptionKeySize)
	}
	sealer, err := seal.New(opts.KeyEncryptionKey, opts.PreviousKeyEncryptionKeys...)
	if err != nil {
		return nil, fmt.Errorf("tokens: key encryption key: %w", err)
	}
	rotation := opts.RotationPeriod
	switch {
	case rotation == 0:
		rotation = DefaultRotationPeriod
	case rotation < 0:
		return nil, fmt.Errorf("tokens: negative rotation period %s", rotation)
	}
	clock := opts.Clock
	if clock == nil {
		clock = time.Now
	}
	return &Service{
		store:      opts.Store,
		issuerBase: base,
		clock:      clock,
		sealer:     sealer,
		rotation:   rotation,
		pools:      make(map[string]*poolKeys),
	}, nil
}

// issuerBaseURL checks and normalizes Options.IssuerBaseURL.
func issuerBaseURL(raw string) (string, error) {
	base := strings.TrimRight(raw, "/")
	u, err := url.Parse(base)
	switch {
	case raw == "":
		return "", errors.New("tokens: no issuer base URL")
	case err != nil:
		return "", fmt.Errorf("tokens: issuer base URL: %w", err)
	case u.Scheme != "http" && u.Scheme != "https":
		return "", fmt.Errorf("tokens: issuer base URL %q: scheme must be http or https", raw)
	case u.Host == "":
		return "", fmt.Errorf("tokens: issuer base URL %q: no host", raw)
	case u.RawQuery != "" || u.Fragment != "" || u.User != nil:
		return "", fmt.Errorf("tokens: issuer base URL %q: must not have user info, a query or a fragment", raw)
	}
	return base, nil
}

// Issuer returns the iss claim of poolID's tokens.
func (s *Service) Issuer(poolID string) string { return s.issuerBase + "/" + poolID }

// poolFromIssuer returns the pool ID of an issuer this service minted for.
func (s *Service) poolFromIssuer(iss string) (string, bool) {
	pool, ok := strings.CutPrefix(iss, s.issuerBase+"/")
	if !ok || !validPoolID(pool) {
		return "", false
	}
	return pool, true
}

// validPoolID reports whether id has the shape of a user pool ID:
// <region>_<letters and digits>, at most 55 characters.
func validPoolID(id string) bool {
	if len(id) == 0 || len(id) > 55 {
		return false
	}
	region, rest, ok := strings.Cut(id, "_")
	if !ok || region == "" || rest == "" {
		return false
	}
	for _, c := range region {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	for _, c := range rest {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// internal wraps an unexpected error as InternalErrorException; the cause
// is for the log only.
func internal(err error) error {
	var ce *cognito.Error
	if errors.As(err, &ce) {
		return err
	}
	return cognito.InternalErrorException("Internal error").WithCause(err)
}
