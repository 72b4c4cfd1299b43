package weborigin

import (
	"net"
	"net/url"
	"strconv"
	"strings"
)

// Canonical returns the web origin s (RFC 6454) as browsers
// serialize it in an Origin header: scheme and host in lower case, without
// the scheme's default port. ok is false when s is not such an origin:
// http or https, a host name or IP address, an optional port, and nothing
// else. The API edge compares request origins with it and the
// configuration checks the allowed origins with it, so both apply one rule.
func Canonical(s string) (origin string, ok bool) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		u.Path != "" || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || u.Opaque != "" || strings.HasSuffix(u.Host, ":") {
		return "", false
	}
	if !originHostname(u.Hostname()) {
		return "", false
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.ParseUint(p, 10, 16); err != nil || n == 0 {
			return "", false
		}
	}
	scheme, host := strings.ToLower(u.Scheme), strings.ToLower(u.Host)
	host = strings.TrimSuffix(host, map[string]string{"https": ":443", "http": ":80"}[scheme])
	return scheme + "://" + host, true
}

// originHostname reports whether h is a DNS name (letters, digits, hyphens
// and dots) or an IP address: what a browser puts in an Origin.
func originHostname(h string) bool {
	if net.ParseIP(h) != nil {
		return true
	}
	if h == "" || strings.Trim(h, ".") != h || strings.Contains(h, "..") {
		return false
	}
	for _, c := range []byte(h) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}
