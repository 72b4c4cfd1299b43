package userpool

import (
	"context"
	"errors"
	"runtime"
	"sync/atomic"

	"golang.org/x/crypto/argon2"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/ratelimit"
)

// argonLimit schedules the expensive computations of the process: argon2id
// hashes and verifications (including the verifications against the dummy
// hash that hide unknown users) and, through Expensive, SRP's modular
// exponentiations. Each argon2id computation holds its memory cost (19 MiB
// by default) for as long as it runs and keeps a core busy per lane, so
// more computations than cores only add memory and cache contention
// without finishing any sooner; the rest wait. At most
// runtime.GOMAXPROCS(0) run at once, taken when SetPasswordHashing runs
// or, if it never does, at the first computation. Waiting computations are
// served fairly between client addresses (ratelimit.FairQueue, keyed by
// the address the API edge puts in the context): a client that asks for
// little is served ahead of the clients that flood. Known and unknown
// users queue alike, so the wait tells nothing about whether a user
// exists.
var argonLimit atomic.Pointer[ratelimit.FairQueue]

// setArgonConcurrency replaces the scheduler by one that runs n
// computations at once. Computations already running or waiting finish on
// the scheduler they started with.
func setArgonConcurrency(n int) {
	argonLimit.Store(ratelimit.NewFairQueue(ratelimit.FairQueueConfig{Slots: n}))
}

// currentArgonLimiter returns the scheduler, sizing it to GOMAXPROCS on
// first use when SetPasswordHashing has not.
func currentArgonLimiter() *ratelimit.FairQueue {
	if l := argonLimit.Load(); l != nil {
		return l
	}
	argonLimit.CompareAndSwap(nil, ratelimit.NewFairQueue(ratelimit.FairQueueConfig{Slots: runtime.GOMAXPROCS(0)}))
	return argonLimit.Load()
}

// argonEvent is what argonTestHook is told.
type argonEvent int

const (
	argonWaiting argonEvent = iota // a computation asks for a slot
	argonStarted                   // it holds one and is about to compute
	argonDone                      // it has computed and gives the slot back
)

// argonTestHook, when a test sets it, observes every computation's
// progress through the scheduler. It is nil outside tests.
var argonTestHook func(argonEvent)

// Expensive runs f, a computation that keeps a core busy for milliseconds
// (SRP's modular exponentiations), once the scheduler of argonLimit gives
// it a slot, fairly between the client addresses of ctx's requests. It
// returns TooManyRequestsException when the client already has as many
// computations waiting as it may (unless ctx is an authenticated caller's,
// see ratelimit.WithAuthenticated), and ctx's error when ctx ends first; f
// has then not run.
func Expensive(ctx context.Context, f func()) error {
	hook := argonTestHook
	if hook != nil {
		hook(argonWaiting)
	}
	acquire := currentArgonLimiter().Acquire
	if ratelimit.Authenticated(ctx) {
		acquire = currentArgonLimiter().AcquireUnbounded
	}
	release, err := acquire(ctx, clientKey(ctx))
	if err != nil {
		if errors.Is(err, ratelimit.ErrBusy) {
			return cognito.TooManyRequestsException("Rate exceeded").WithCause(err)
		}
		return internal(err)
	}
	defer release()
	if hook != nil {
		hook(argonStarted)
		defer hook(argonDone)
	}
	f()
	return nil
}

// ExpensiveBusy returns TooManyRequestsException when ctx's client already
// has as many computations waiting as it may, so that a sign-in can be
// refused before it reads and writes the store on its way to a hash that
// Expensive would refuse anyway. An authenticated caller's computations
// wait their turn without that bound (see Expensive), so it is never
// refused here.
func ExpensiveBusy(ctx context.Context) error {
	if !ratelimit.Authenticated(ctx) && currentArgonLimiter().Full(clientKey(ctx)) {
		return cognito.TooManyRequestsException("Rate exceeded").WithCause(ratelimit.ErrBusy)
	}
	return nil
}

// clientKey names the client of ctx's request for the scheduler: its
// address (an IPv6 client by its /64), or "" for work no client address
// came with.
func clientKey(ctx context.Context) string {
	if a := ratelimit.ClientAddrFrom(ctx); a.IsValid() {
		return ratelimit.AddressKey(a)
	}
	return ""
}

// argon2IDKey is argon2.IDKey with p's parameters, run through Expensive.
// It is the only place the server computes argon2id.
func argon2IDKey(ctx context.Context, password, salt []byte, p argonParams, keyLen uint32) ([]byte, error) {
	var key []byte
	err := Expensive(ctx, func() { key = argon2.IDKey(password, salt, p.time, p.memory, p.threads, keyLen) })
	return key, err
}
