package sqlite

import (
	"database/sql"
	"encoding/hex"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestSplitHex checks the decoding of a group_concat of hex-encoded keys
// against encoding/hex, for keys that are empty, hold commas or bytes
// beyond ASCII, and for malformed lists.
func TestSplitHex(t *testing.T) {
	tests := []struct {
		name string
		keys []string
	}{
		{"one", []string{"us-east-1_abc/username/alice"}},
		{"several, unsorted", []string{"pool/b", "pool/a", "pool/c"}},
		{"empty key", []string{""}},
		{"empty keys among others", []string{"", "x", ""}},
		{"commas and non-ASCII", []string{"a,b", "é/ü", ",", "\x7f"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			enc := make([]string, len(tc.keys))
			for i, k := range tc.keys {
				enc[i] = strings.ToUpper(hex.EncodeToString([]byte(k)))
			}
			got, err := splitHex(sql.NullString{String: strings.Join(enc, ","), Valid: true})
			if err != nil {
				t.Fatal(err)
			}
			want := slices.Sorted(slices.Values(tc.keys))
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("splitHex (-want +got):\n%s", diff)
			}
		})
	}
	if got, err := splitHex(sql.NullString{}); got != nil || err != nil {
		t.Errorf("NULL: %q, %v; want nil, nil", got, err)
	}
	for _, bad := range []string{"A", "4G", "41,4", "41,,4", "4,1"} {
		if got, err := splitHex(sql.NullString{String: bad, Valid: true}); err == nil {
			t.Errorf("splitHex(%q) = %q, want an error", bad, got)
		}
	}
}
