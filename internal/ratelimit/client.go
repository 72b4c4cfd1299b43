package ratelimit

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"
)

// TrustedProxies are the addresses whose X-Forwarded-For and Forwarded
// headers are believed. The zero value trusts nobody: the client address
// is the peer of the connection.
type TrustedProxies struct {
	prefixes []netip.Prefix
}

// ParseTrustedProxies reads a list of addresses and CIDR prefixes
// ("10.0.0.0/8", "127.0.0.1", "::1").
func ParseTrustedProxies(list []string) (TrustedProxies, error) {
	var t TrustedProxies
	for _, s := range list {
		p, err := parsePrefix(s)
		if err != nil {
			return TrustedProxies{}, err
		}
		t.prefixes = append(t.prefixes, p)
	}
	return t, nil
}

func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("%q is not an address or a CIDR prefix", s)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%q is not an address or a CIDR prefix", s)
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// Trusts reports whether a is one of the trusted proxies.
func (t TrustedProxies) Trusts(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range t.prefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// ClientAddr returns the address of the client that sent a request, from
// the request's RemoteAddr and its header (an http.Header, whose keys are
// canonical; the package does not import net/http). It is the
// connection's peer, unless the peer is a trusted proxy: then it is the
// nearest address in the forwarding chain that is not a trusted proxy,
// read from right to left (each proxy appends the address it got the
// request from) in the Forwarded header (RFC 7239) when there is one, and
// in X-Forwarded-For otherwise. A hop that does not parse ends the walk at
// the proxy that wrote it, since nothing to its left can be believed. It
// returns the invalid Addr when the peer is not an IP address.
func (t TrustedProxies) ClientAddr(remote string, header map[string][]string) netip.Addr {
	peer := remoteAddr(remote)
	if !peer.IsValid() || len(t.prefixes) == 0 || !t.Trusts(peer) {
		return peer
	}
	var chain []string
	if fwd := header["Forwarded"]; len(fwd) > 0 {
		chain = forwardedFor(fwd)
	} else {
		for _, v := range header["X-Forwarded-For"] {
			for hop := range strings.SplitSeq(v, ",") {
				chain = append(chain, strings.TrimSpace(hop))
			}
		}
	}
	client := peer
	for i := len(chain) - 1; i >= 0; i-- {
		a := hopAddr(chain[i])
		if !a.IsValid() {
			return client
		}
		client = a
		if !t.Trusts(a) {
			return a
		}
	}
	return client
}

// remoteAddr parses an http.Request's RemoteAddr ("ip:port").
func remoteAddr(s string) netip.Addr {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap()
	}
	a, _ := netip.ParseAddr(s)
	return a.Unmap()
}

// hopAddr parses one hop of a forwarding chain: an address, with or
// without a port, IPv6 in brackets or not, and quoted in Forwarded.
func hopAddr(s string) netip.Addr {
	s = strings.Trim(strings.TrimSpace(s), `"`)
	if a, err := netip.ParseAddr(strings.Trim(s, "[]")); err == nil {
		return a.Unmap()
	}
	if host, _, err := net.SplitHostPort(s); err == nil {
		if a, err := netip.ParseAddr(host); err == nil {
			return a.Unmap()
		}
	}
	return netip.Addr{}
}

// forwardedFor returns the for= parameters of the Forwarded header's
// elements, in order; an element without one is an unknown hop ("").
func forwardedFor(values []string) []string {
	var out []string
	for _, v := range values {
		for elem := range strings.SplitSeq(v, ",") {
			hop := ""
			for pair := range strings.SplitSeq(elem, ";") {
				k, val, ok := strings.Cut(strings.TrimSpace(pair), "=")
				if ok && strings.EqualFold(k, "for") {
					hop = val
				}
			}
			out = append(out, hop)
		}
	}
	return out
}

type clientAddrKey struct{}

type authenticatedKey struct{}

// WithAuthenticated returns ctx marked as the request of an authenticated
// caller (a verified signature): its expensive work waits for its turn
// without the bound on waiting computations (FairQueue.AcquireUnbounded).
func WithAuthenticated(ctx context.Context) context.Context {
	return context.WithValue(ctx, authenticatedKey{}, true)
}

// Authenticated reports whether ctx was marked by WithAuthenticated.
func Authenticated(ctx context.Context) bool {
	b, _ := ctx.Value(authenticatedKey{}).(bool)
	return b
}

// WithClientAddr returns ctx carrying the client address a, which the
// fair scheduling of expensive work (FairQueue) reads.
func WithClientAddr(ctx context.Context, a netip.Addr) context.Context {
	return context.WithValue(ctx, clientAddrKey{}, a)
}

// ClientAddrFrom returns the client address ctx carries, or the invalid
// Addr.
func ClientAddrFrom(ctx context.Context) netip.Addr {
	a, _ := ctx.Value(clientAddrKey{}).(netip.Addr)
	return a
}
