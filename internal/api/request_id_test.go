package api

import (
	"regexp"
	"testing"
)

// TestNewRequestID checks that request IDs are distinct version 4 UUIDs in
// the lower-case form AWS request IDs take.
func TestNewRequestID(t *testing.T) {
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]bool{}
	for range 1000 {
		id := newRequestID()
		if !uuid.MatchString(id) {
			t.Fatalf("request ID %q is not a version 4 UUID", id)
		}
		if seen[id] {
			t.Fatalf("request ID %q repeated", id)
		}
		seen[id] = true
	}
}
