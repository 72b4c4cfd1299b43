package mfa

import "testing"

func TestOriginAllowed(t *testing.T) {
	cases := []struct {
		name, rpID, origin string
		want               bool
	}{
		{"the relying party's own origin", "example.com", "https://example.com", true},
		{"a subdomain", "example.com", "https://login.example.com", true},
		{"a port", "example.com", "https://example.com:8443", true},
		{"upper case", "Example.COM", "https://EXAMPLE.com", true},
		{"plain http", "example.com", "http://example.com", false},
		{"a suffix that is not a subdomain", "example.com", "https://badexample.com", false},
		{"a parent domain", "login.example.com", "https://example.com", false},
		{"another domain", "example.com", "https://example.net", false},
		{"localhost over http", "localhost", "http://localhost:3000", true},
		{"a localhost subdomain over http", "pool.auth.us-east-1.localhost", "http://pool.auth.us-east-1.localhost:9229", true},
		{"a path", "example.com", "https://example.com/page", false},
		{"user info", "example.com", "https://a@example.com", false},
		{"an IP relying party", "127.0.0.1", "https://127.0.0.1", false},
		{"no origin", "example.com", "", false},
		{"an opaque origin", "example.com", "android:apk-key-hash:abc", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := OriginAllowed(tc.rpID, tc.origin); got != tc.want {
				t.Errorf("OriginAllowed(%q, %q) = %v, want %v", tc.rpID, tc.origin, got, tc.want)
			}
		})
	}
}
