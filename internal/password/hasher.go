package password

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/crypto/argon2"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/ratelimit"
)

// Params are the argon2id cost parameters of a password hash.
type Params struct {
	// MemoryKiB is the memory per hash, in KiB (default 19456, 19 MiB).
	MemoryKiB uint32
	// Iterations is the number of passes (default 2).
	Iterations uint32
	// Parallelism is the number of lanes (default 1).
	Parallelism uint8
}

// DefaultParams returns OWASP's minimum recommendation for argon2id
// (19 MiB of memory, 2 iterations, 1 lane), cognate's default.
func DefaultParams() Params { return Params{MemoryKiB: 19 * 1024, Iterations: 2, Parallelism: 1} }

// Validate reports parameters argon2id cannot use or that are unsafe.
func (p Params) Validate() error {
	switch {
	case p.Parallelism < 1:
		return errors.New("parallelism must be at least 1")
	case p.Iterations < 1:
		return errors.New("iterations must be at least 1")
	case p.MemoryKiB < 8*uint32(p.Parallelism) || p.MemoryKiB < 1024:
		return errors.New("memory must be at least 1024 KiB and 8 KiB per lane")
	case p.MemoryKiB > 4<<20:
		return errors.New("memory must be at most 4 GiB")
	}
	return nil
}

// String writes p as a PHC hash records it: m=<KiB>,t=<iterations>,p=<lanes>.
func (p Params) String() string {
	return fmt.Sprintf("m=%d,t=%d,p=%d", p.MemoryKiB, p.Iterations, p.Parallelism)
}

// Config configures a Hasher.
type Config struct {
	// Params are the cost of new hashes; the zero value means
	// DefaultParams.
	Params Params
	// Slots is how many computations run at once; zero means
	// runtime.GOMAXPROCS(0). Each argon2id computation holds its memory
	// cost for as long as it runs and keeps a core busy per lane, so more
	// computations than cores only add memory and cache contention without
	// finishing any sooner.
	Slots int
	// MaxWaiting is how many computations one client address may have
	// waiting; zero means ratelimit.DefaultMaxWaiting.
	MaxWaiting int
	// Observe, when set, is told of every computation's progress through
	// the queue, on the computation's goroutine: a computation that is
	// told EventStarted holds its slot until Observe returns. Tests count
	// and hold computations with it.
	Observe func(Event)
}

// Hasher hashes and verifies passwords with argon2id and schedules every
// expensive computation of the process (argon2id, and through Run the SRP
// exponentiations) between client addresses. It is safe for concurrent use;
// engines that serve the same process share one, so that the cap holds for
// all of them together.
type Hasher struct {
	params Params
	queue  *ratelimit.FairQueue

	dummyOnce sync.Once
	dummy     string

	// observe is Config.Observe.
	observe func(Event)
}

// Event is what Config.Observe is told of a computation.
type Event int

const (
	EventWaiting Event = iota // a computation asks for a slot
	EventStarted              // it holds one and is about to compute
	EventDone                 // it has computed and gives the slot back
)

// New returns a Hasher, or an error when c.Params are unusable.
func New(c Config) (*Hasher, error) {
	if c.Params == (Params{}) {
		c.Params = DefaultParams()
	}
	if err := c.Params.Validate(); err != nil {
		return nil, err
	}
	if c.Slots < 1 {
		c.Slots = runtime.GOMAXPROCS(0)
	}
	return &Hasher{
		params:  c.Params,
		queue:   ratelimit.NewFairQueue(ratelimit.FairQueueConfig{Slots: c.Slots, MaxWaiting: c.MaxWaiting}),
		observe: c.Observe,
	}, nil
}

// Default returns a new Hasher with DefaultParams and GOMAXPROCS slots.
func Default() *Hasher {
	h, err := New(Config{})
	if err != nil {
		panic("password: the default parameters are invalid: " + err.Error())
	}
	return h
}

// Params returns the cost of the hashes h makes.
func (h *Hasher) Params() Params { return h.params }

// Slots returns how many computations h runs at once.
func (h *Hasher) Slots() int { return h.queue.Slots() }

const (
	saltLen = 16
	keyLen  = 32
)

var phcEncoding = base64.RawStdEncoding

// Hash returns the PHC string of an argon2id hash of password,
// $argon2id$v=19$m=<KiB>,t=<iterations>,p=<lanes>$<salt>$<hash>, with a
// fresh random salt. It takes tens of milliseconds, plus its turn among the
// computations of other clients: call it before a storage transaction,
// never inside one. The error is Run's.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	salt := make([]byte, saltLen)
	rand.Read(salt) // crypto/rand.Read never fails; it crashes the program instead
	p := h.params
	var key []byte
	if err := h.Run(ctx, func() { key = argon2.IDKey([]byte(password), salt, p.Iterations, p.MemoryKiB, p.Parallelism, keyLen) }); err != nil {
		return "", err
	}
	return fmt.Sprintf("$argon2id$v=%d$%s$%s$%s", argon2.Version, p, phcEncoding.EncodeToString(salt), phcEncoding.EncodeToString(key)), nil
}

// Verify reports whether password matches the PHC hash phc, comparing in
// constant time with the parameters the hash records. A malformed hash
// matches nothing. Like Hash, it waits its turn; the error is Run's.
func (h *Hasher) Verify(ctx context.Context, phc, password string) (bool, error) {
	p, salt, key, err := parse(phc)
	if err != nil {
		return false, nil
	}
	var got []byte
	if err := h.Run(ctx, func() {
		got = argon2.IDKey([]byte(password), salt, p.Iterations, p.MemoryKiB, p.Parallelism, uint32(len(key)))
	}); err != nil {
		return false, err
	}
	return subtle.ConstantTimeCompare(got, key) == 1, nil
}

// Dummy returns a hash of a random password made with h's Params, so that
// checking a password against it costs what checking a real user's costs: a
// sign-in for a user that does not exist, or one without a password,
// verifies against it, and timing does not tell them apart. It is made at
// the first call, which waits its turn without a bound.
func (h *Hasher) Dummy() string {
	h.dummyOnce.Do(func() {
		var b [16]byte
		rand.Read(b[:]) // crypto/rand.Read never fails; it crashes the program instead
		// An authenticated context waits without a bound, and Background
		// never ends, so Hash cannot fail.
		d, err := h.Hash(ratelimit.WithAuthenticated(context.Background()), hex.EncodeToString(b[:]))
		if err != nil {
			panic("password: dummy hash: " + err.Error())
		}
		h.dummy = d
	})
	return h.dummy
}

// Run runs f, a computation that keeps a core busy for milliseconds
// (argon2id, SRP's modular exponentiations), once h gives it a slot,
// fairly between the client addresses of ctx's requests. It returns
// TooManyRequestsException when the client already has as many
// computations waiting as it may (unless ctx is an authenticated caller's,
// see ratelimit.WithAuthenticated, whose computations wait without that
// bound), and InternalErrorException with ctx's error as its cause when ctx
// ends first; f has then not run.
func (h *Hasher) Run(ctx context.Context, f func()) error {
	observe := h.observe
	if observe != nil {
		observe(EventWaiting)
	}
	acquire := h.queue.Acquire
	if ratelimit.Authenticated(ctx) {
		acquire = h.queue.AcquireUnbounded
	}
	release, err := acquire(ctx, clientKey(ctx))
	if err != nil {
		if errors.Is(err, ratelimit.ErrBusy) {
			return busy(err)
		}
		return cognito.InternalErrorException("Internal error").WithCause(err)
	}
	defer release()
	if observe != nil {
		observe(EventStarted)
		defer observe(EventDone)
	}
	f()
	return nil
}

// Busy returns TooManyRequestsException when ctx's client already has as
// many computations waiting as it may, so that a request can be refused
// before it reads and writes the store on its way to a computation that
// Run would refuse anyway. An authenticated caller's computations wait
// without that bound (see Run), so it is never refused here.
func (h *Hasher) Busy(ctx context.Context) error {
	if !ratelimit.Authenticated(ctx) && h.queue.Full(clientKey(ctx)) {
		return busy(ratelimit.ErrBusy)
	}
	return nil
}

func busy(cause error) error {
	return cognito.TooManyRequestsException("Rate exceeded").WithCause(cause)
}

// clientKey names the client of ctx's request for the queue: its address
// (an IPv6 client by its /64), or "" for work no client address came with.
func clientKey(ctx context.Context) string {
	if a := ratelimit.ClientAddrFrom(ctx); a.IsValid() {
		return ratelimit.AddressKey(a)
	}
	return ""
}

// errMalformed reports a stored hash that is not a PHC argon2id string.
var errMalformed = errors.New("malformed argon2id password hash")

// parse splits a PHC argon2id string into its parameters, salt and key.
func parse(phc string) (Params, []byte, []byte, error) {
	var p Params
	parts := strings.Split(phc, "$")
	// "", "argon2id", "v=19", "m=..,t=..,p=..", salt, key
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return p, nil, nil, errMalformed
	}
	seen := map[string]bool{}
	for kv := range strings.SplitSeq(parts[3], ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || seen[k] {
			return p, nil, nil, errMalformed
		}
		seen[k] = true
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil || n == 0 {
			return p, nil, nil, errMalformed
		}
		switch k {
		case "m":
			p.MemoryKiB = uint32(n)
		case "t":
			p.Iterations = uint32(n)
		case "p":
			if n > 255 {
				return p, nil, nil, errMalformed
			}
			p.Parallelism = uint8(n)
		default:
			return p, nil, nil, errMalformed
		}
	}
	if p.MemoryKiB == 0 || p.Iterations == 0 || p.Parallelism == 0 {
		return p, nil, nil, errMalformed
	}
	salt, err1 := phcEncoding.DecodeString(parts[4])
	key, err2 := phcEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(salt) == 0 || len(key) == 0 {
		return p, nil, nil, errMalformed
	}
	return p, salt, key, nil
}
