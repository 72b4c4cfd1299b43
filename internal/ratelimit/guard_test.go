package ratelimit

import (
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func newGuard(t *testing.T, c GuardConfig) (*Guard, *fakeClock) {
	t.Helper()
	clock := newFakeClock()
	c.Clock = clock.Now
	g, err := NewGuard(c)
	if err != nil {
		t.Fatal(err)
	}
	return g, clock
}

// TestGuardPerUser checks the per-user bucket: a burst, then the rate,
// one bucket for every spelling of a name, one per pool, and none for a
// request that names no user.
func TestGuardPerUser(t *testing.T) {
	g, clock := newGuard(t, GuardConfig{PerUser: Rate{PerSecond: 2, Burst: 3}})
	var got []bool
	for _, name := range []string{"alice", "Alice", "ALICE", "alice"} {
		got = append(got, g.AllowUser("us-east-1_a", name))
	}
	if diff := cmp.Diff([]bool{true, true, true, false}, got); diff != "" {
		t.Errorf("alice (-want +got):\n%s", diff)
	}
	if !g.AllowUser("us-east-1_b", "alice") || !g.AllowUser("us-east-1_a", "bob") {
		t.Error("another pool's alice, or bob, was refused")
	}
	if !g.AllowUser("us-east-1_a", "") {
		t.Error("a request that names no user was refused")
	}
	clock.Advance(500 * time.Millisecond)
	if got := []bool{g.AllowUser("us-east-1_a", "alice"), g.AllowUser("us-east-1_a", "alice")}; !cmp.Equal(got, []bool{true, false}) {
		t.Errorf("half a second later: %v, want [true false]", got)
	}
}

// TestGuardPerAddress checks the per-address bucket, with IPv6 addresses
// counted by /64 and IPv4-mapped addresses as IPv4.
func TestGuardPerAddress(t *testing.T) {
	g, _ := newGuard(t, GuardConfig{PerAddress: Rate{PerSecond: 1, Burst: 2}})
	steps := []struct {
		addr string
		want bool
	}{
		{"192.0.2.1", true},
		{"::ffff:192.0.2.1", true},
		{"192.0.2.1", false},
		{"192.0.2.2", true},
		{"2001:db8:1:2::1", true},
		{"2001:db8:1:2::ffff", true},
		{"2001:db8:1:2:aaaa::1", false},
		{"2001:db8:1:3::1", true},
	}
	for _, s := range steps {
		if got := g.AllowAddress(netip.MustParseAddr(s.addr)); got != s.want {
			t.Errorf("%s: %v, want %v", s.addr, got, s.want)
		}
	}
	if !g.AllowAddress(netip.Addr{}) {
		t.Error("the invalid address was refused")
	}
}

// TestGuardOff checks that a zero Rate and a nil Guard limit nothing.
func TestGuardOff(t *testing.T) {
	g, _ := newGuard(t, GuardConfig{})
	var nilGuard *Guard
	for range 100 {
		if !g.AllowUser("p", "u") || !g.AllowAddress(netip.MustParseAddr("192.0.2.1")) ||
			!nilGuard.AllowUser("p", "u") || !nilGuard.AllowAddress(netip.MustParseAddr("192.0.2.1")) {
			t.Fatal("refused with the limits off")
		}
	}
}

func TestNewGuardRefusesBadRates(t *testing.T) {
	cases := []struct {
		c    GuardConfig
		want string
	}{
		{GuardConfig{PerUser: Rate{PerSecond: -1, Burst: 1}}, "per user: rate -1: must be a positive number"},
		{GuardConfig{PerUser: Rate{PerSecond: 1, Burst: 0.5}}, "per user: burst 0.5: must be a number of at least 1"},
		{GuardConfig{PerAddress: Rate{Burst: 3}}, "per address: rate 0: must be a positive number"},
	}
	for _, tc := range cases {
		_, err := NewGuard(tc.c)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%+v: %v, want %q", tc.c, err, tc.want)
		}
	}
}
