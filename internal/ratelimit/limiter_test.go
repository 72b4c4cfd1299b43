package ratelimit

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fakeClock is a clock that moves only when the test says so.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func newLimiter(t *testing.T, c Config) (*Limiter, *fakeClock) {
	t.Helper()
	clock := newFakeClock()
	c.Clock = clock.Now
	l, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	return l, clock
}

// admitted sends n requests for op under key at the current instant and
// returns which were admitted, in order.
func admitted(l *Limiter, op, key string, n int) []bool {
	out := make([]bool, n)
	for i := range out {
		out[i] = l.Allow(op, key)
	}
	return out
}

// firstN is n trues followed by m falses.
func firstN(n, m int) []bool {
	out := make([]bool, n+m)
	for i := range n {
		out[i] = true
	}
	return out
}

// TestBurstOfRatePlusOne sends rate+1 requests of one operation of each
// category at one instant: all but the last are admitted.
func TestBurstOfRatePlusOne(t *testing.T) {
	cases := []struct {
		op   string
		rate int
	}{
		{"InitiateAuth", 120},
		{"SignUp", 50},
		{"ForgotPassword", 30},
		{"GetUser", 120},
		{"AdminUpdateUserAttributes", 25},
		{"RevokeToken", 120},
		{"AdminListGroupsForUser", 50},
		{"AdminAddUserToGroup", 25},
		{"ListUsers", 30},
		{"DescribeUserPool", 15},
		{"CreateUserPool", 15},
		{"ListGroups", 20},
		{"CreateGroup", 15},
		{"DescribeUserPoolClient", 15},
		{"CreateUserPoolClient", 15},
	}
	for _, tc := range cases {
		t.Run(tc.op, func(t *testing.T) {
			l, _ := newLimiter(t, Config{})
			got := admitted(l, tc.op, "us-east-1_pool", tc.rate+1)
			if diff := cmp.Diff(firstN(tc.rate, 1), got); diff != "" {
				t.Errorf("admitted (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAllowCategory(t *testing.T) {
	for _, tc := range []struct {
		c    Category
		rate int
	}{{UserFederation, 25}, {ClientAuthentication, 150}} {
		l, _ := newLimiter(t, Config{})
		n := 0
		for range tc.rate + 1 {
			if l.AllowCategory(tc.c, "us-east-1_pool") {
				n++
			}
		}
		if n != tc.rate {
			t.Errorf("%s: admitted %d of %d, want %d", tc.c, n, tc.rate+1, tc.rate)
		}
	}
	l, _ := newLimiter(t, Config{Rates: map[Category]float64{UserList: 1}})
	for i := range 5 {
		if !l.AllowCategory("NotACategory", "k") {
			t.Fatalf("request %d of an unknown category refused", i)
		}
	}
}

func TestRefill(t *testing.T) {
	l, clock := newLimiter(t, Config{Rates: map[Category]float64{UserList: 4}})
	const key = "us-east-1_pool"
	if diff := cmp.Diff(firstN(4, 1), admitted(l, "ListUsers", key, 5)); diff != "" {
		t.Fatalf("first burst (-want +got):\n%s", diff)
	}
	steps := []struct {
		name    string
		advance time.Duration
		want    []bool
	}{
		{"a quarter second refills one", 250 * time.Millisecond, firstN(1, 1)},
		{"less than a request's worth refills none", 200 * time.Millisecond, firstN(0, 1)},
		{"the rest of it refills one", 50 * time.Millisecond, firstN(1, 1)},
		{"a second refills the bucket", time.Second, firstN(4, 1)},
		{"a minute refills no more than the bucket holds", time.Minute, firstN(4, 1)},
		{"time going back refills nothing", -time.Hour, firstN(0, 1)},
	}
	for _, s := range steps {
		clock.Advance(s.advance)
		if diff := cmp.Diff(s.want, admitted(l, "ListUsersInGroup", key, len(s.want))); diff != "" {
			t.Errorf("%s (-want +got):\n%s", s.name, diff)
		}
	}
}

// TestIndependentBuckets drains one category for one pool and checks that
// the same category of another pool and another category of the same pool
// still admit.
func TestIndependentBuckets(t *testing.T) {
	l, _ := newLimiter(t, Config{Rates: map[Category]float64{UserList: 2, UserRead: 2}})
	admitted(l, "ListUsers", "us-east-1_a", 2)
	cases := []struct {
		name, op, key string
		want          bool
	}{
		{"drained category and pool", "ListUsers", "us-east-1_a", false},
		{"same category, other operation", "ListUsersInGroup", "us-east-1_a", false},
		{"same category, other pool", "ListUsers", "us-east-1_b", true},
		{"other category, same pool", "AdminGetUser", "us-east-1_a", true},
		{"operation in no category", "NotAnOperation", "us-east-1_a", true},
	}
	for _, tc := range cases {
		if got := l.Allow(tc.op, tc.key); got != tc.want {
			t.Errorf("%s: Allow(%s, %s) = %v, want %v", tc.name, tc.op, tc.key, got, tc.want)
		}
	}
}

func TestDisabledNeverRefuses(t *testing.T) {
	for name, l := range map[string]*Limiter{"Off": Off(), "Config.Disabled": mustNew(t, Config{Disabled: true, Rates: map[Category]float64{UserList: 1}})} {
		for i := range 10000 {
			if !l.Allow("ListUsers", "us-east-1_pool") || !l.Allow("RespondToAuthChallenge", "") || !l.AllowCategory(ClientAuthentication, "") {
				t.Fatalf("%s: request %d refused", name, i)
			}
		}
		if l.Enabled() || l.Rate(UserList) != 0 {
			t.Errorf("%s: Enabled() = %v, Rate(UserList) = %v; want false, 0", name, l.Enabled(), l.Rate(UserList))
		}
	}
}

func mustNew(t *testing.T, c Config) *Limiter {
	t.Helper()
	l, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestChallengeAllowance checks the guide's special handling: challenge
// responses have three times the UserAuthentication rate of their own,
// then draw on UserAuthentication; InitiateAuth never draws on theirs.
func TestChallengeAllowance(t *testing.T) {
	l, _ := newLimiter(t, Config{Rates: map[Category]float64{UserAuthentication: 2}})
	const a, b = "us-east-1_a", "us-east-1_b"
	steps := []struct {
		name, op, key string
		want          []bool
	}{
		{"challenge responses use their allowance, then UserAuthentication's", "RespondToAuthChallenge", a, firstN(8, 1)},
		{"UserAuthentication is drained for InitiateAuth", "InitiateAuth", a, firstN(0, 1)},
		{"InitiateAuth has the plain rate", "AdminInitiateAuth", b, firstN(2, 1)},
		{"which leaves the challenge allowance whole", "AdminRespondToAuthChallenge", b, firstN(6, 1)},
	}
	for _, s := range steps {
		if diff := cmp.Diff(s.want, admitted(l, s.op, s.key, len(s.want))); diff != "" {
			t.Errorf("%s (-want +got):\n%s", s.name, diff)
		}
	}
	if got := l.Rate(UserAuthentication); got != 2 {
		t.Errorf("Rate(UserAuthentication) = %v, want 2", got)
	}
}

func TestScaleAndRates(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
		op   string
		want int
	}{
		{"defaults", Config{}, "ListUsers", 30},
		{"scale halves a default", Config{Scale: 0.5}, "ListUsers", 15},
		{"scale multiplies a default", Config{Scale: 10}, "DescribeUserPool", 150},
		{"a set rate ignores scale", Config{Scale: 0.5, Rates: map[Category]float64{UserRead: 10}}, "GetUser", 10},
		{"a rate below one admits one", Config{Scale: 0.01}, "DescribeUserPool", 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l, _ := newLimiter(t, tc.cfg)
			n := 0
			for _, ok := range admitted(l, tc.op, "us-east-1_pool", 1000) {
				if ok {
					n++
				}
			}
			if n != tc.want {
				t.Errorf("admitted %d, want %d", n, tc.want)
			}
		})
	}

	// 0.15 requests a second: the next one is admitted after 1/0.15 s.
	l, clock := newLimiter(t, Config{Scale: 0.01})
	admitted(l, "DescribeUserPool", "k", 1)
	clock.Advance(6 * time.Second)
	if l.Allow("DescribeUserPool", "k") {
		t.Error("admitted after 6s at 0.15 requests a second")
	}
	clock.Advance(700 * time.Millisecond)
	if !l.Allow("DescribeUserPool", "k") {
		t.Error("refused after 6.7s at 0.15 requests a second")
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
		want string
	}{
		{"negative scale", Config{Scale: -1}, "scale -1: must be a positive number"},
		{"unknown category", Config{Rates: map[Category]float64{"UserSomething": 5}}, `rate of "UserSomething": not a quota category`},
		{"zero rate", Config{Rates: map[Category]float64{UserList: 0}}, "rate of UserList: 0: must be a positive number"},
		{"negative rate", Config{Rates: map[Category]float64{UserList: -2}}, "rate of UserList: -2: must be a positive number"},
	}
	for _, tc := range cases {
		_, err := New(tc.cfg)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s: New() error = %v, want %q", tc.name, err, tc.want)
		}
	}
}

// TestIdleBucketsDropped checks that the sweep forgets refilled buckets
// and keeps a drained one, which stays drained.
func TestIdleBucketsDropped(t *testing.T) {
	l, clock := newLimiter(t, Config{Rates: map[Category]float64{UserList: 10, UserPoolRead: 0.05}})
	for i := range 100 {
		l.Allow("ListUsers", "us-east-1_pool"+string(rune('A'+i%26))+string(rune('a'+i/26)))
	}
	l.Allow("DescribeUserPool", "slow") // 0.05 a second: refills in 20s
	if got := l.size(); got != 101 {
		t.Fatalf("%d buckets, want 101", got)
	}
	clock.Advance(sweepEvery)
	l.Allow("ListUsers", "us-east-1_fresh")
	if got := l.size(); got != 2 {
		t.Errorf("%d buckets after the sweep, want 2 (the drained one and the fresh one)", got)
	}
	if l.Allow("DescribeUserPool", "slow") {
		t.Error("the sweep forgot a bucket that had not refilled")
	}
}

// TestMaxKeys checks that keys beyond the cap share an overflow bucket per
// category, and get their own once refilled buckets can be dropped.
func TestMaxKeys(t *testing.T) {
	l, clock := newLimiter(t, Config{MaxKeys: 3, Rates: map[Category]float64{UserList: 1}})
	for _, k := range []string{"a", "b", "c"} {
		if !l.Allow("ListUsers", k) {
			t.Fatalf("first request of %s refused", k)
		}
	}
	if !l.Allow("ListUsers", "d") {
		t.Error("first key past the cap refused: the overflow bucket should admit it")
	}
	if l.Allow("ListUsers", "e") {
		t.Error("second key past the cap admitted: it shares the drained overflow bucket")
	}
	if got := l.size(); got != 4 {
		t.Errorf("%d buckets, want 3 and the overflow bucket", got)
	}
	clock.Advance(time.Second)
	if !l.Allow("ListUsers", "f") || l.Allow("ListUsers", "f") {
		t.Error("after the buckets refilled, a new key should get its own bucket of one")
	}
	if got := l.size(); got != 1 {
		t.Errorf("%d buckets, want 1 after the refilled ones were dropped", got)
	}
}

// TestConcurrentRequests checks that parallel requests at one instant
// admit exactly the burst.
func TestConcurrentRequests(t *testing.T) {
	l, _ := newLimiter(t, Config{})
	var n atomic.Int64
	var wg sync.WaitGroup
	for range 200 {
		wg.Go(func() {
			if l.Allow("SignUp", "us-east-1_pool") {
				n.Add(1)
			}
		})
	}
	wg.Wait()
	if n.Load() != 50 {
		t.Errorf("admitted %d of 200 parallel SignUp requests, want 50", n.Load())
	}
}

// TestProvision raises a category's rate as UpdateProvisionedLimit does:
// the new rate holds at once (the challenge allowance follows
// UserAuthentication), other categories keep theirs, a bad category or
// rate changes nothing, and a Limiter that is off stays off.
func TestProvision(t *testing.T) {
	l, _ := newLimiter(t, Config{Rates: map[Category]float64{UserPoolRead: 2}})
	if err := l.Provision(map[Category]float64{UserPoolRead: 4, UserAuthentication: 200}); err != nil {
		t.Fatal(err)
	}
	got := map[Category]float64{UserPoolRead: l.Rate(UserPoolRead), UserAuthentication: l.Rate(UserAuthentication), UserCreation: l.Rate(UserCreation)}
	want := map[Category]float64{UserPoolRead: 4, UserAuthentication: 200, UserCreation: 50}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rates (-want +got):\n%s", diff)
	}
	if r := (*l.rates.Load())[challengeClass]; r != 600 {
		t.Errorf("challenge allowance = %v, want 600", r)
	}
	for i := range 4 {
		if !l.Allow("ListUserPools", "k") {
			t.Fatalf("request %d refused under the provisioned rate of 4", i+1)
		}
	}
	if l.Allow("ListUserPools", "k") {
		t.Error("fifth request admitted beyond the provisioned rate of 4")
	}
	for _, bad := range []map[Category]float64{{"Nope": 5}, {UserPoolRead: 0}, {UserPoolRead: -1}} {
		if err := l.Provision(bad); err == nil {
			t.Errorf("Provision(%v) accepted", bad)
		}
	}
	if r := l.Rate(UserPoolRead); r != 4 {
		t.Errorf("rate after refused provisions = %v, want 4", r)
	}
	off := Off()
	if err := off.Provision(map[Category]float64{UserPoolRead: 4}); err != nil || off.Enabled() || off.Rate(UserPoolRead) != 0 {
		t.Errorf("Off().Provision: err %v, enabled %v, rate %v", err, off.Enabled(), off.Rate(UserPoolRead))
	}
}
