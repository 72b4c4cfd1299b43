package directory

import (
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/messaging"
	"github.com/cognate-dev/cognate/internal/password"
	"github.com/cognate-dev/cognate/internal/seal"
	"github.com/cognate-dev/cognate/internal/srp"
	"github.com/cognate-dev/cognate/internal/storage"
	"github.com/cognate-dev/cognate/internal/triggers"
	"github.com/cognate-dev/cognate/internal/userpool"
)

// Options configures a Service.
type Options struct {
	// Clock returns the current time; nil means time.Now.
	Clock func() time.Time
	// Logger receives engine logs; nil discards them.
	Logger *slog.Logger
	// Sender delivers invitations, codes and other messages; nil means a
	// development messaging.Outbox that logs them.
	Sender messaging.Sender
	// IssuerBaseURL is the public URL of this server, the same one the
	// token issuer's iss claims start with (e.g. "http://localhost:9229").
	// Confirmation links in messages point under it. A trailing slash is
	// dropped; empty means DefaultIssuerBaseURL.
	IssuerBaseURL string
	// SRPVerifiers seals the SRP verifier a user record keeps for each
	// password set, made with the master encryption key (srp.NewVerifiers);
	// nil keeps none, and such users cannot sign in with USER_SRP_AUTH.
	SRPVerifiers *srp.Verifiers
	// CodeKey keys the MACs that stand for one-time codes at rest:
	// seal.DeriveKey of the encryption key with KeyLabelCodes. Nodes that
	// serve the same store must share it, and it never goes into the
	// store. nil means a random key per process, for tests: codes sent
	// before a restart are then refused after it.
	CodeKey []byte
	// ExistenceKey keys the CodeDeliveryDetails made up for users that do
	// not exist (simulatedDelivery): the Delivery key the store keeps
	// (cluster.LoadExistenceKeys), the same on every node and across
	// encryption-key rotations. nil means the code key.
	ExistenceKey []byte
	// Passwords hashes and verifies passwords (and schedules the expensive
	// computations of every engine of the process); the engines that serve
	// one process share it. nil means a password.Default of its own.
	Passwords *password.Hasher
	// Triggers invokes the pools' Lambda triggers (triggers.go); nil
	// invokes none, whatever a pool's LambdaConfig says.
	Triggers *triggers.Invoker
	// ImportKeys are the keys of user import jobs: the master encryption
	// keys derived with KeyLabelImport. They seal imported password hashes
	// and sign the jobs' upload URLs, so the nodes of a store share them.
	// Empty means a random key per process, for tests.
	ImportKeys seal.Keys
	// ImportMaxCSVBytes is the largest CSV an import job's upload URL
	// takes; 0 means DefaultImportMaxCSVBytes.
	ImportMaxCSVBytes int64
	// ImportMaxUsers is the most users one import file may hold; 0 means
	// DefaultImportMaxUsers.
	ImportMaxUsers int64
	// ImportURLValidity is how long an upload URL is valid; 0 means
	// DefaultImportURLValidity.
	ImportURLValidity time.Duration
	// ImportObjects, when set, takes the CSV uploads of new import jobs
	// in an S3-compatible bucket instead of the server's own URL.
	ImportObjects ImportObjects
	// ImportLog, when it delivers to CloudWatch Logs, receives the rows
	// of import jobs that did not import, as Cognito logs them.
	ImportLog *messaging.LogExporter
	// Breached is the breached-password list that threat protection's
	// compromised-credentials checks consult (compromised.go); nil checks
	// nothing.
	Breached password.BreachedList
}

// DefaultIssuerBaseURL is the IssuerBaseURL of a server on the default
// listen address.
const DefaultIssuerBaseURL = "http://localhost:9229"

// Service implements the directory's operations: users, groups, sign-up,
// confirmation, recovery, self-service, listing and import.
type Service struct {
	store storage.Store
	// pools is the pool configuration the directory reads (pools, their
	// schema and password policy, app clients).
	pools *userpool.Service
	clock func() time.Time
	log   *slog.Logger
	// pages is the pools' pager, so that the directory's tokens are signed
	// with the same key.
	pages  userpool.Pages
	sender messaging.Sender
	// issuerBase is Options.IssuerBaseURL without a trailing slash.
	issuerBase string
	srp        *srp.Verifiers
	codes      codeHasher
	// existenceKey is Options.ExistenceKey, or the code key.
	existenceKey []byte
	passwords    *password.Hasher
	// userErasers run in the transaction that deletes a user
	// (OnDeleteUser).
	userErasers []UserEraser
	// triggers invokes the pools' Lambda triggers; nil invokes none.
	triggers *triggers.Invoker

	importKeys        importKeys
	importMaxBytes    int64
	importMaxUsers    int64
	importURLValidity time.Duration
	importObjects     ImportObjects
	importLog         *messaging.LogExporter
	importWG          sync.WaitGroup
	// importMu guards importCtx and importRunning (the jobs this process
	// runs).
	importMu      sync.Mutex
	importCtx     context.Context
	importRunning map[string]bool
	// breached is Options.Breached.
	breached password.BreachedList
	// readUsers keeps the users AdminGetUser reads, decoded.
	readUsers userMemo
}

// UserEraser deletes, inside tx, what a package other than this one keeps
// about the user sub of pool (internal/authflow: the user's refresh-token
// families and failed-attempt counter). It runs in the transaction that
// deletes the user, so the user and everything kept about it go together,
// and the store erases their earlier change-log entries with them.
type UserEraser func(ctx context.Context, tx storage.Tx, pool, sub string) error

// OnDeleteUser adds f to what AdminDeleteUser and DeleteUser run in the
// transaction that deletes a user. It is called while the services are
// wired, before any request is served; it is not safe for concurrent use
// with a user's deletion.
func (s *Service) OnDeleteUser(f UserEraser) {
	s.userErasers = append(s.userErasers, f)
}

// New returns a Service on store that reads its pools from pools, and
// gives pools the count of a pool's users (DescribeUserPool's
// EstimatedNumberOfUsers).
func New(store storage.Store, pools *userpool.Service, opts Options) *Service {
	s := &Service{store: store, pools: pools, pages: pools.Pages(), clock: opts.Clock, log: opts.Logger, sender: opts.Sender, srp: opts.SRPVerifiers, triggers: opts.Triggers, breached: opts.Breached}
	if s.clock == nil {
		s.clock = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.issuerBase = strings.TrimRight(opts.IssuerBaseURL, "/")
	if s.issuerBase == "" {
		s.issuerBase = DefaultIssuerBaseURL
	}
	if s.sender == nil {
		s.sender = messaging.NewOutbox(messaging.OutboxOptions{Logger: s.log})
	}
	s.passwords = opts.Passwords
	if s.passwords == nil {
		s.passwords = password.Default()
	}
	s.codes = codeHasher{key: opts.CodeKey}
	if len(s.codes.key) == 0 {
		s.codes.key = make([]byte, seal.KeySize)
		rand.Read(s.codes.key) // crypto/rand.Read never fails; it crashes the program instead
	}
	s.existenceKey = opts.ExistenceKey
	if len(s.existenceKey) == 0 {
		s.existenceKey = s.codes.key
	}
	var err error
	if s.importKeys, err = newImportKeys(opts.ImportKeys); err != nil {
		panic("directory: import keys: " + err.Error()) // keys of the wrong size: a wiring mistake
	}
	s.importMaxBytes, s.importURLValidity, s.importObjects = opts.ImportMaxCSVBytes, opts.ImportURLValidity, opts.ImportObjects
	s.importLog = opts.ImportLog
	if s.importMaxBytes <= 0 {
		s.importMaxBytes = DefaultImportMaxCSVBytes
	}
	if s.importMaxUsers = opts.ImportMaxUsers; s.importMaxUsers <= 0 {
		s.importMaxUsers = DefaultImportMaxUsers
	}
	if s.importURLValidity <= 0 {
		s.importURLValidity = DefaultImportURLValidity
	}
	s.importCtx, s.importRunning = context.Background(), map[string]bool{}
	pools.CountUsersWith(func(ctx context.Context, poolID string) (int64, error) {
		return CountUsers(ctx, store, poolID)
	})
	return s
}

// Passwords returns the Hasher of s, which the sign-in engine and the API
// edge share when they are not given one.
func (s *Service) Passwords() *password.Hasher { return s.passwords }

// now returns the current time truncated to milliseconds, the precision the
// stores keep and the wire carries.
func (s *Service) now() time.Time { return s.clock().UTC().Truncate(time.Millisecond) }

// retry is userpool.Retry: a read-modify-write run until it does not
// conflict, a few times, then ConcurrentModificationException.
func retry(ctx context.Context, f func() error) error { return userpool.Retry(ctx, f) }

// runTx runs fn in one transaction, retrying it when it loses a race, and
// turns any error that is not a Cognito exception into
// InternalErrorException.
func (s *Service) runTx(ctx context.Context, fn func(tx storage.Tx) error) error {
	return retry(ctx, func() error {
		err := s.store.Tx(ctx, fn)
		if err == nil || errors.Is(err, storage.ErrConflict) {
			return err
		}
		return cognito.Internal(err)
	})
}
