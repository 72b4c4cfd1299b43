package main

import (
	"strings"
	"testing"
)

// TestServeWarnsOfItsOwnKeyPairOnPostgres starts servers without and with a
// configured admin key pair: on PostgreSQL, whose nodes must share one
// pair, a node that generated its own says so at start; on SQLite, which
// has one server, and with a configured pair, nothing is said.
func TestServeWarnsOfItsOwnKeyPairOnPostgres(t *testing.T) {
	const warning = "the admin key pair is this node's own, kept in its data directory"
	for _, tc := range []struct {
		backend    string
		configured bool
		warn       bool
	}{
		{"postgres", false, true},
		{"postgres", true, false},
		{"sqlite", false, false},
	} {
		name := tc.backend + "/generated"
		if tc.configured {
			name = tc.backend + "/configured"
		}
		t.Run(name, func(t *testing.T) {
			ts := newTestStore(t, tc.backend)
			if !tc.configured {
				delete(ts.env, "COGNATE_ACCESS_KEY_ID")
				delete(ts.env, "COGNATE_SECRET_ACCESS_KEY")
			}
			s := startServe(t, ts.env, ts.args()...)
			stderr := s.stderr.String()
			if code := s.shutdown(); code != 0 {
				t.Fatalf("serve exited %d", code)
			}
			if got := strings.Contains(stderr, warning); got != tc.warn {
				t.Errorf("the warning logged: %v, want %v; log:\n%s", got, tc.warn, stderr)
			}
		})
	}
}
