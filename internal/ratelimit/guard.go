package ratelimit

import (
	"fmt"
	"math"
	"net/netip"
	"strings"
	"time"
)

// Default protective limits. Cognito's per-user quota (the reference for
// PerUser) is ten requests a second for each user; a sign-in is two or
// three requests (InitiateAuth, then one RespondToAuthChallenge or two),
// so a user can still sign in several times a second. PerAddress is far
// above what one browser or app instance sends, and below what one
// address could make the password hashing spend.
var (
	DefaultPerUser    = Rate{PerSecond: 10, Burst: 10}
	DefaultPerAddress = Rate{PerSecond: 100, Burst: 200}
)

// Rate is a token bucket's size: PerSecond tokens come back every second,
// and a full bucket holds Burst. The zero Rate limits nothing.
type Rate struct {
	PerSecond float64
	Burst     float64
}

// Off reports whether r limits nothing.
func (r Rate) Off() bool { return r.PerSecond == 0 }

func (r Rate) check(name string) error {
	if r.Off() && r.Burst == 0 {
		return nil
	}
	if !(r.PerSecond > 0) || math.IsInf(r.PerSecond, 0) {
		return fmt.Errorf("%s: rate %v: must be a positive number", name, r.PerSecond)
	}
	if !(r.Burst >= 1) || math.IsInf(r.Burst, 0) {
		return fmt.Errorf("%s: burst %v: must be a number of at least 1", name, r.Burst)
	}
	return nil
}

// Protection is what an edge asks before it does the work of a request
// that anyone may send (a sign-in, a sign-up, a recovery): whether the
// client address, and then the user the request is about, are within
// their rates. The JSON API asks it for its unauthenticated and
// token-authorized operations; the hosted UI's pages can ask the same
// questions, with the same keys, so that a user is limited alike whichever
// way the requests come. A refused request is answered with Cognito's
// TooManyRequestsException ("Rate exceeded").
type Protection interface {
	// AllowAddress takes a token for the client address a.
	AllowAddress(a netip.Addr) bool
	// AllowUser takes a token for the user named user (as the client sent
	// it; letter case is ignored) in scope (a user pool ID).
	AllowUser(scope, user string) bool
}

// GuardConfig configures a Guard.
type GuardConfig struct {
	// PerAddress is the rate of each client address (each IPv6 /64); the
	// zero Rate turns it off.
	PerAddress Rate
	// PerUser is the rate of each user; the zero Rate turns it off.
	PerUser Rate
	// MaxKeys caps the number of buckets; DefaultMaxKeys when zero.
	MaxKeys int
	// Clock returns the current time; nil means time.Now.
	Clock func() time.Time
}

// Guard is the protective limits: a token bucket per client address and
// one per user. It implements Protection, and is safe for concurrent use.
// A nil *Guard admits everything.
type Guard struct {
	addr, user Rate
	buckets    *bucketSet
}

var _ Protection = (*Guard)(nil)

// Bucket classes of a Guard.
const (
	classAddress = "address"
	classUser    = "user"
)

// NewGuard returns a Guard for c, or an error for a rate that is not
// positive or a burst below one.
func NewGuard(c GuardConfig) (*Guard, error) {
	if err := c.PerAddress.check("per address"); err != nil {
		return nil, err
	}
	if err := c.PerUser.check("per user"); err != nil {
		return nil, err
	}
	g := &Guard{addr: c.PerAddress, user: c.PerUser}
	g.buckets = newBucketSet(c.MaxKeys, c.Clock, func(class string) (rate, burst float64) {
		r := g.user
		if class == classAddress {
			r = g.addr
		}
		return r.PerSecond, r.Burst
	})
	return g, nil
}

// AllowAddress takes a token for the client address a: an IPv4 address,
// or the /64 network of an IPv6 one, since one host commonly holds a
// whole /64. An invalid address (a request that came through no network)
// is admitted.
func (g *Guard) AllowAddress(a netip.Addr) bool {
	if g == nil || g.addr.Off() || !a.IsValid() {
		return true
	}
	return g.buckets.take([]string{classAddress}, AddressKey(a))
}

// AllowUser takes a token for user in scope. An empty user is admitted:
// the request names no user, and its address was counted.
func (g *Guard) AllowUser(scope, user string) bool {
	if g == nil || g.user.Off() || user == "" {
		return true
	}
	return g.buckets.take([]string{classUser}, scope+"\x00"+strings.ToLower(user))
}

// AddressKey names the client a is: an IPv4 address (IPv4-mapped IPv6
// addresses unmapped), or the /64 network of an IPv6 address.
func AddressKey(a netip.Addr) string {
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}

// Unprotected returns a Protection that admits everything.
func Unprotected() Protection { return (*Guard)(nil) }
