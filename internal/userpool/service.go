package userpool

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/messaging"
	"github.com/cognate-dev/cognate/internal/seal"
	"github.com/cognate-dev/cognate/internal/storage"
)

// Options configures a Service.
type Options struct {
	// AccountID is the AWS account ID that ARNs carry.
	AccountID string
	// Clock returns the current time; nil means time.Now.
	Clock func() time.Time
	// Logger receives engine logs; nil discards them.
	Logger *slog.Logger
	// PaginationKey signs pagination tokens. Nodes that serve the same store
	// must share it; nil means a random key per process.
	PaginationKey []byte
	// ClientSecretKey (seal.KeySize bytes) seals app-client secrets at
	// rest: seal.DeriveKey of the encryption key with
	// KeyLabelClientSecrets. Nodes that serve the same store must share
	// it, and it never goes into the store. nil means a random key per
	// process, for tests: secrets sealed with it do not open after a
	// restart.
	ClientSecretKey []byte
	// ClientSecretPreviousKeys are earlier ClientSecretKeys, during a
	// rotation of the encryption key: secrets sealed with them still open.
	ClientSecretPreviousKeys [][]byte
	// HTTPClient reaches identity providers when one is created or
	// updated (OpenID Connect discovery, SAML metadata URLs); nil means
	// http.DefaultClient.
	HTTPClient *http.Client
	// ProviderEndpoints override DefaultProviderEndpoints, by provider
	// type (Google, Facebook, LoginWithAmazon, SignInWithApple) and
	// ProviderDetails key.
	ProviderEndpoints map[string]map[string]string
	// LogExporter delivers the log records of SetLogDeliveryConfiguration
	// to the server's log destinations; nil means none, and every ARN is
	// refused.
	LogExporter *messaging.LogExporter
	// AssetBaseURL is the public URL the logos of SetUICustomization are
	// served under (the issuer base URL; see UICustomizationImageURL), for
	// the ImageUrl GetUICustomization answers. Empty leaves ImageUrl out.
	AssetBaseURL string
}

// Service implements the user-pool operations.
type Service struct {
	store   storage.Store
	account string
	clock   func() time.Time
	log     *slog.Logger
	pages   Pages
	secrets clientSecretBox
	// http reaches identity providers; endpoints override the social
	// providers' endpoints (Options).
	http      *http.Client
	endpoints map[string]map[string]string
	// decodedPools and decodedClients keep decoded pools and app clients
	// for readPool and readClient.
	decodedPools   decodeCache[idp.UserPoolType]
	decodedClients decodeCache[clientRecord]
	decodedPoolMFA decodeCache[poolMFA]
	// poolErasers run in the transaction that deletes a pool
	// (OnDeleteUserPool).
	poolErasers []PoolEraser
	// countUsers counts a pool's users (CountUsersWith).
	countUsers func(ctx context.Context, poolID string) (int64, error)
	// logs delivers exported log records (log_delivery.go).
	logs *messaging.LogExporter
	// assetBase is Options.AssetBaseURL without a trailing slash.
	assetBase string
}

// PoolEraser deletes, inside tx, what a package other than this one keeps
// about the user pool pool (internal/identitypool: the logins that name
// it). It runs in the transaction that deletes the pool.
type PoolEraser func(ctx context.Context, tx storage.Tx, pool string) error

// OnDeleteUserPool adds f to what DeleteUserPool runs in the transaction
// that deletes a pool. It is called while the services are wired, before
// any request is served; it is not safe for concurrent use with a pool's
// deletion.
func (s *Service) OnDeleteUserPool(f PoolEraser) {
	s.poolErasers = append(s.poolErasers, f)
}

// CountUsersWith makes f what DescribeUserPool counts a pool's users with
// (EstimatedNumberOfUsers): the directory's count, which directory.New
// hands over; without it the estimate is 0. Like OnDeleteUserPool, it is
// called while the services are wired.
func (s *Service) CountUsersWith(f func(ctx context.Context, poolID string) (int64, error)) {
	s.countUsers = f
}

// New returns a Service on store.
func New(store storage.Store, opts Options) *Service {
	s := &Service{store: store, account: opts.AccountID, clock: opts.Clock, log: opts.Logger, http: opts.HTTPClient, endpoints: opts.ProviderEndpoints, logs: opts.LogExporter,
		assetBase: strings.TrimRight(opts.AssetBaseURL, "/")}
	if s.clock == nil {
		s.clock = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	key := opts.PaginationKey
	if len(key) == 0 {
		key = make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			panic("crypto/rand: " + err.Error())
		}
	}
	s.pages = Pages{signer: pageSigner{key: key}, store: store}
	s.secrets = clientSecretBox{sealer: newSealer(opts.ClientSecretKey, opts.ClientSecretPreviousKeys...)}
	return s
}

// newSealer returns a sealer for key (opening with previous keys too), or
// for a random key when key is empty. It panics on a key of the wrong
// length, a wiring mistake.
func newSealer(key []byte, previous ...[]byte) *seal.Sealer {
	if len(key) == 0 {
		key = make([]byte, seal.KeySize)
		rand.Read(key) // crypto/rand.Read never fails; it crashes the program instead
	}
	sl, err := seal.New(key, previous...)
	if err != nil {
		panic("userpool: " + err.Error())
	}
	return sl
}

// now returns the current time truncated to milliseconds, the precision the
// stores keep and the wire carries.
func (s *Service) now() time.Time { return s.clock().UTC().Truncate(time.Millisecond) }

// Retry runs a read-modify-write until it does not conflict, a few times,
// then reports ConcurrentModificationException. The directory's writes
// retry through it too.
func Retry(ctx context.Context, f func() error) error {
	var err error
	for range 5 {
		err = f()
		if !errors.Is(err, storage.ErrConflict) {
			return err
		}
		if ctx.Err() != nil {
			return cognito.Internal(ctx.Err())
		}
	}
	return cognito.ConcurrentModificationException("The resource was modified by another request. Try again.").WithCause(err)
}

// runTx runs fn in one transaction, retrying it when it loses a race, and
// turns any error that is not a Cognito exception into
// InternalErrorException.
func (s *Service) runTx(ctx context.Context, fn func(tx storage.Tx) error) error {
	err := Retry(ctx, func() error {
		err := s.store.Tx(ctx, fn)
		if err == nil || errors.Is(err, storage.ErrConflict) {
			return err
		}
		return cognito.Internal(err)
	})
	return err
}

// NewUUID returns a random (version 4) UUID: the IDs of branding styles
// and terms documents, and the directory's user subs.
func NewUUID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("crypto/rand: " + err.Error())
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
