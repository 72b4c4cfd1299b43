package authflow

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/directory"
	"github.com/cognate-dev/cognate/internal/federation"
	"github.com/cognate-dev/cognate/internal/geoip"
	"github.com/cognate-dev/cognate/internal/mfa"
	"github.com/cognate-dev/cognate/internal/password"
	"github.com/cognate-dev/cognate/internal/seal"
	"github.com/cognate-dev/cognate/internal/srp"
	"github.com/cognate-dev/cognate/internal/storage"
	"github.com/cognate-dev/cognate/internal/tokens"
	"github.com/cognate-dev/cognate/internal/triggers"
	"github.com/cognate-dev/cognate/internal/userpool"
)

// Item kinds the engine stores. They are the names internal/userpool lists
// among a pool's kinds, so that DeleteUserPool removes them with the pool.
const (
	// kindAuthSession holds the single-use marker of each open flow step
	// (ID "<pool>/<state ID>") and each user's failed-password counter
	// (ID "<pool>/lockout/<sub>").
	kindAuthSession = "auth_session"
	// kindTokenFamily is one sign-in session: the refresh tokens, and the
	// access and ID tokens minted from them, that share an origin_jti (ID
	// "<pool>/<origin_jti>").
	kindTokenFamily = "token_family"
	// kindRefreshToken is one refresh token, stored by the hex SHA-256 of
	// the token (ID "<pool>/<hash>"); the token itself is never stored.
	kindRefreshToken = "refresh_token"
)

// The flow markers, lockout counters, hosted-UI sessions and authorization
// codes (auth_session) stay in the store of the region that writes them,
// out of the change log: they live minutes, are used once, and another
// region has no use for them. Token families and refresh tokens replicate,
// so that a refresh token works in every region and a revocation holds in
// every region.
func init() {
	storage.DeclareKind(kindAuthSession, storage.Local)
	storage.DeclareKind(kindTokenFamily, storage.Replicated)
	storage.DeclareKind(kindRefreshToken, storage.Replicated)
}

// Key labels: each use of the master key gets its own subkey
// (seal.DeriveKey), so a value made for one use is worthless for another.
const (
	keyLabelFlowState = "authflow-state"
	keyLabelFakeSRP   = "authflow-fake-srp"
)

// FakeKeyOf is the key of the details made up for users that do not
// exist that servers derived from the master key before the store kept
// one (Options.FakeKey).
func FakeKeyOf(master []byte) []byte { return seal.DeriveKey(master, keyLabelFakeSRP) }

// Options configures a Service.
type Options struct {
	// Pools is the user-pool engine: pools and app clients.
	Pools *userpool.Service
	// Users is the directory: users, their groups and events.
	Users *directory.Service
	// Tokens mints and verifies ID and access tokens.
	Tokens *tokens.Service
	// Store keeps flow state markers, lockout counters and refresh tokens.
	Store engineStore
	// Key is the master encryption key (seal.KeySize bytes), the one the
	// user-pool service's SRP verifiers are sealed under: the engine
	// derives its subkeys from it. Every node serving the store needs the
	// same key.
	Key []byte
	// PreviousKeys are earlier master keys, during a rotation of the
	// encryption key: SRP verifiers and flow state sealed with them still
	// open, and new values are sealed with Key.
	PreviousKeys [][]byte
	// Clock returns the current time; nil means time.Now.
	Clock func() time.Time
	// Logger receives engine logs; nil discards them.
	Logger *slog.Logger
	// Passwords verifies passwords and schedules the SRP computations of
	// a sign-in between client addresses; nil means the user-pool
	// service's (userpool.Service.Passwords), so that one cap holds for
	// both engines.
	Passwords *password.Hasher
	// DomainPattern is the host of a pool's prefix domain, with {prefix}
	// and {region} (the hosted UI's hosted_ui.domain_pattern): a pool's
	// passkeys belong to it when neither WebAuthnConfiguration nor a
	// custom domain names their relying party. Empty means
	// DefaultDomainPattern.
	DomainPattern string
	// Triggers invokes the pools' Lambda triggers (triggers.go); nil
	// invokes none, whatever a pool's LambdaConfig says.
	Triggers *triggers.Invoker
	// Federation reaches the pools' identity providers; nil means a
	// client with its defaults.
	Federation *federation.Client
	// Region, when not empty, shares the users' failure counters with the
	// other regions of a replicated topology under this region's name
	// (lockout_share.go); empty (no replication) keeps them local.
	Region string
	// FakeKey keys the details made up for users that do not exist (the
	// SRP salt and USER_ID_FOR_SRP, passwordless destinations, passkey
	// IDs): the SignIn key the store keeps (cluster.LoadExistenceKeys),
	// the same on every node and across encryption-key rotations. nil
	// means FakeKeyOf(Key).
	FakeKey []byte
	// GeoIP, when not nil, places client addresses for threat
	// protection: the impossible-travel signal, and the city and country
	// of sign-in events and notification emails. nil turns both off.
	GeoIP *geoip.DB
}

// engineStore is what the engine needs of a store: items, transactions,
// and the use markers of flow states (storage.Marker), read and swept.
type engineStore interface {
	storage.ItemReader
	storage.Transactor
	storage.MarkerReader
	storage.MarkerSweeper
}

// Service runs sign-in flows, refreshes and revokes tokens, and
// authenticates access tokens for the API edge. It is safe for concurrent
// use.
type Service struct {
	pools  *userpool.Service
	users  *directory.Service
	tokens *tokens.Service
	store  engineStore
	// federation reaches identity providers (federation.go).
	federation *federation.Client
	// region is Options.Region.
	region string
	// geo is Options.GeoIP (nil for none).
	geo *geoip.DB
	// state seals Session strings and SECRET_BLOCKs; verifiers opens SRP
	// verifiers; fakeKey derives the stable salt of users that do not
	// exist.
	state     *seal.Sealer
	verifiers *srp.Verifiers
	fakeKey   []byte
	// totp seals and opens the users' TOTP secrets; codes makes the keyed
	// MACs of the SMS and email MFA codes the flow states keep.
	totp  *mfa.Secrets
	codes mfa.CodeHasher
	clock func() time.Time
	log   *slog.Logger

	// hooks are the trigger points of a sign-in (hooks.go); triggers
	// invokes the functions that fill them (triggers.go).
	hooks    hooks
	triggers *triggers.Invoker

	// sweepers pace the sweeps of expired items, by kind (sweep.go).
	sweepers map[string]*sweeper

	// domainPattern is Options.DomainPattern.
	domainPattern string

	// passwords verifies passwords and schedules the SRP computations
	// (Options.Passwords).
	passwords *password.Hasher
	// verifyPassword checks a password against a stored hash; it is
	// passwords.Verify, and tests count hash evaluations through it.
	verifyPassword func(ctx context.Context, hash, password string) (bool, error)
}

// New returns a Service, or an error when opts are unusable.
func New(opts Options) (*Service, error) {
	switch {
	case opts.Pools == nil:
		return nil, errors.New("authflow: no user-pool service")
	case opts.Users == nil:
		return nil, errors.New("authflow: no directory")
	case opts.Tokens == nil:
		return nil, errors.New("authflow: no token service")
	case opts.Store == nil:
		return nil, errors.New("authflow: no store")
	case len(opts.Key) != seal.KeySize:
		return nil, fmt.Errorf("authflow: key is %d bytes, want %d", len(opts.Key), seal.KeySize)
	}
	keys := seal.Keys{Current: opts.Key, Previous: opts.PreviousKeys}
	state, err := keys.Derive(keyLabelFlowState).Sealer()
	if err != nil {
		return nil, fmt.Errorf("authflow: %w", err)
	}
	verifiers, err := srp.NewVerifiers(opts.Key, opts.PreviousKeys...)
	if err != nil {
		return nil, fmt.Errorf("authflow: %w", err)
	}
	totp, err := mfa.NewSecrets(opts.Key, opts.PreviousKeys...)
	if err != nil {
		return nil, fmt.Errorf("authflow: %w", err)
	}
	s := &Service{
		pools: opts.Pools, users: opts.Users, tokens: opts.Tokens, store: opts.Store, region: opts.Region,
		state: state, verifiers: verifiers, fakeKey: opts.FakeKey,
		clock: opts.Clock, log: opts.Logger, passwords: opts.Passwords, domainPattern: opts.DomainPattern,
		sweepers: newSweepers(), federation: opts.Federation, geo: opts.GeoIP,
		totp: totp, codes: mfa.NewCodeHasher(seal.DeriveKey(opts.Key, mfa.KeyLabelCodes)),
	}
	if len(s.fakeKey) == 0 {
		s.fakeKey = FakeKeyOf(opts.Key)
	}
	if s.passwords == nil {
		s.passwords = opts.Users.Passwords()
	}
	s.verifyPassword = s.passwords.Verify
	if opts.Triggers != nil {
		s.installTriggers(opts.Triggers)
	}
	if s.clock == nil {
		s.clock = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	// Deleting a user deletes what sign-in keeps of it, in the same
	// transaction.
	opts.Users.OnDeleteUser(eraseUser)
	return s, nil
}

// now returns the current time truncated to milliseconds, the precision
// the stores keep.
func (s *Service) now() time.Time { return s.clock().UTC().Truncate(time.Millisecond) }

// internal wraps an unexpected error as InternalErrorException; the cause
// is logged by the edge and never sent.
func internal(err error) error {
	var ce *cognito.Error
	if errors.As(err, &ce) {
		return err
	}
	return cognito.InternalErrorException("Internal error").WithCause(err)
}

// runTx runs fn in one transaction, retrying it when it loses a race, and
// turns any error that is not a Cognito exception into
// InternalErrorException.
func (s *Service) runTx(ctx context.Context, fn func(tx storage.Tx) error) error {
	var err error
	for range maxTxAttempts {
		err = s.store.Tx(ctx, fn)
		if !errors.Is(err, storage.ErrConflict) && !errors.Is(err, errRetry) {
			break
		}
		if ctx.Err() != nil {
			return internal(ctx.Err())
		}
	}
	if err == nil {
		return nil
	}
	if errors.Is(err, storage.ErrConflict) || errors.Is(err, errRetry) {
		return cognito.ConcurrentModificationException("The resource was modified by another request. Try again.").WithCause(err)
	}
	return internal(err)
}

// maxTxAttempts bounds runTx's retries. Many concurrent sign-ins of one
// user race to create the same lockout record; every loser retries once
// and then queues on the record's row lock, so a few attempts suffice.
const maxTxAttempts = 10

// errRetry asks runTx to run the transaction again: a record another
// transaction created after this one looked for it.
var errRetry = errors.New("authflow: retry transaction")
