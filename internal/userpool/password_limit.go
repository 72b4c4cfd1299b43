package userpool

import (
	"runtime"
	"sync/atomic"

	"golang.org/x/crypto/argon2"
)

// argonLimiter is a counting semaphore on argon2id computations.
type argonLimiter struct {
	slots chan struct{}
}

func newArgonLimiter(n int) *argonLimiter {
	return &argonLimiter{slots: make(chan struct{}, max(n, 1))}
}

// argonLimit bounds how many argon2id computations run at once in the
// process: hashes, verifications, and the verifications against the dummy
// hash that hide unknown users. Each holds its memory cost (19 MiB by
// default) for as long as it runs and keeps a core busy per lane, so more
// computations than cores only add memory and cache contention without
// finishing any sooner; the rest queue for a slot. The cap is
// runtime.GOMAXPROCS(0), taken when SetPasswordHashing runs or, if it never
// does, at the first computation. Known and unknown users queue alike, so
// the wait tells nothing about whether a user exists.
var argonLimit atomic.Pointer[argonLimiter]

// setArgonConcurrency replaces the cap on concurrent argon2id computations
// by n. Computations already running give their slots back to the
// semaphore they took them from.
func setArgonConcurrency(n int) { argonLimit.Store(newArgonLimiter(n)) }

// currentArgonLimiter returns the semaphore, sizing it to GOMAXPROCS on
// first use when SetPasswordHashing has not.
func currentArgonLimiter() *argonLimiter {
	if l := argonLimit.Load(); l != nil {
		return l
	}
	argonLimit.CompareAndSwap(nil, newArgonLimiter(runtime.GOMAXPROCS(0)))
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
// progress through the semaphore. It is nil outside tests.
var argonTestHook func(argonEvent)

// argon2IDKey is argon2.IDKey with p's parameters, run once a slot of
// argonLimit is free. It is the only place the server computes argon2id.
// The callers' signatures (VerifyPassword among them) carry no context, so
// the wait cannot be abandoned; it lasts at most the queue of computations
// ahead, each tens of milliseconds.
func argon2IDKey(password, salt []byte, p argonParams, keyLen uint32) []byte {
	l := currentArgonLimiter()
	hook := argonTestHook
	if hook != nil {
		hook(argonWaiting)
	}
	l.slots <- struct{}{}
	defer func() { <-l.slots }()
	if hook != nil {
		hook(argonStarted)
		defer hook(argonDone)
	}
	return argon2.IDKey(password, salt, p.time, p.memory, p.threads, keyLen)
}
