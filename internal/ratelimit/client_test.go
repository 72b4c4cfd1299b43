package ratelimit

import (
	"context"
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestClientAddr(t *testing.T) {
	proxies, err := ParseTrustedProxies([]string{"10.0.0.0/8", "127.0.0.1", "::1"})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		trusted TrustedProxies
		remote  string
		headers map[string][]string
		want    string
	}{
		{"no proxies configured: the peer", TrustedProxies{}, "127.0.0.1:5000",
			map[string][]string{"X-Forwarded-For": {"203.0.113.9"}}, "127.0.0.1"},
		{"untrusted peer: its header is ignored", proxies, "198.51.100.7:5000",
			map[string][]string{"X-Forwarded-For": {"203.0.113.9"}}, "198.51.100.7"},
		{"trusted peer, X-Forwarded-For", proxies, "127.0.0.1:5000",
			map[string][]string{"X-Forwarded-For": {"203.0.113.9"}}, "203.0.113.9"},
		{"the nearest untrusted hop, not a forged leftmost one", proxies, "127.0.0.1:5000",
			map[string][]string{"X-Forwarded-For": {"192.0.2.66, 203.0.113.9, 10.1.2.3"}}, "203.0.113.9"},
		{"several header lines form one chain", proxies, "10.0.0.1:5000",
			map[string][]string{"X-Forwarded-For": {"192.0.2.66", "203.0.113.9"}}, "203.0.113.9"},
		{"Forwarded wins over X-Forwarded-For", proxies, "[::1]:5000",
			map[string][]string{"Forwarded": {`for=192.0.2.60;proto=https, for="[2001:db8::7]:4711"`}, "X-Forwarded-For": {"203.0.113.9"}},
			"2001:db8::7"},
		{"a hop that does not parse stops at the proxy that wrote it", proxies, "127.0.0.1:5000",
			map[string][]string{"X-Forwarded-For": {"203.0.113.9, unknown"}}, "127.0.0.1"},
		{"Forwarded element without for=", proxies, "127.0.0.1:5000",
			map[string][]string{"Forwarded": {"proto=https"}}, "127.0.0.1"},
		{"every hop trusted: the leftmost", proxies, "127.0.0.1:5000",
			map[string][]string{"X-Forwarded-For": {"10.9.9.9, 10.1.1.1"}}, "10.9.9.9"},
		{"no header from a trusted peer", proxies, "10.0.0.1:5000", nil, "10.0.0.1"},
		{"IPv4-mapped peer", proxies, "[::ffff:127.0.0.1]:5000",
			map[string][]string{"X-Forwarded-For": {"203.0.113.9:443"}}, "203.0.113.9"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/", nil)
			r.RemoteAddr = tc.remote
			for k, vs := range tc.headers {
				for _, v := range vs {
					r.Header.Add(k, v)
				}
			}
			if got := tc.trusted.ClientAddr(r.RemoteAddr, r.Header); got != netip.MustParseAddr(tc.want) {
				t.Errorf("ClientAddr = %v, want %s", got, tc.want)
			}
		})
	}
	r := httptest.NewRequest("POST", "/", nil)
	r.RemoteAddr = "@"
	if got := proxies.ClientAddr(r.RemoteAddr, r.Header); got.IsValid() {
		t.Errorf("a peer that is not an IP address gave %v", got)
	}
}

func TestParseTrustedProxies(t *testing.T) {
	for _, bad := range []string{"10.0.0.0/33", "localhost", ""} {
		if _, err := ParseTrustedProxies([]string{bad}); err == nil {
			t.Errorf("%q was accepted", bad)
		}
	}
	p, err := ParseTrustedProxies([]string{"10.1.2.3/8"})
	if err != nil || !p.Trusts(netip.MustParseAddr("10.200.0.1")) || p.Trusts(netip.MustParseAddr("11.0.0.1")) {
		t.Errorf("10.1.2.3/8: %v %v", p, err)
	}
}

func TestClientAddrContext(t *testing.T) {
	a := netip.MustParseAddr("192.0.2.1")
	if got := ClientAddrFrom(WithClientAddr(context.Background(), a)); got != a {
		t.Errorf("got %v", got)
	}
	if got := ClientAddrFrom(context.Background()); got.IsValid() {
		t.Errorf("empty context gave %v", got)
	}
}

func TestAuthenticatedContext(t *testing.T) {
	if Authenticated(context.Background()) || !Authenticated(WithAuthenticated(context.Background())) {
		t.Error("Authenticated does not read what WithAuthenticated wrote")
	}
}
