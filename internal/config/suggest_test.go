package config

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestUnknownKeySuggestion guards that a misspelt key in the file names
// the nearest known key at the same level.
func TestUnknownKeySuggestion(t *testing.T) {
	tests := []struct {
		name, file string
		want       ValidationErrors
	}{
		{"missing letter", "lisen: localhost:1\n", ValidationErrors{`lisen: unknown key (line 1); did you mean "listen"?`}},
		{"swapped letters", "data_dri: /tmp/x\n", ValidationErrors{`data_dri: unknown key (line 1); did you mean "data_dir"?`}},
		{"nested", "log:\n  levle: debug\n", ValidationErrors{`log.levle: unknown key (line 2); did you mean "log.level"?`}},
		{"deeper", "rate_limits:\n  per_usr: {rate: 1}\n", ValidationErrors{`rate_limits.per_usr: unknown key (line 2); did you mean "rate_limits.per_user"?`}},
		{"issuer", "issuer_base_uri: https://a.example\n", ValidationErrors{`issuer_base_uri: unknown key (line 1); did you mean "issuer_base_url"?`}},
		{"nothing near", "colour: red\n", ValidationErrors{"colour: unknown key (line 1)"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := Load(Sources{File: writeFile(t, "cognate.yaml", tc.file)})
			if diff := cmp.Diff(tc.want, problems(t, err)); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNearest(t *testing.T) {
	keys := []string{"listen", "data-dir", "database", "pprof-listen", "config"}
	for in, want := range map[string]string{
		"lsiten":   "listen",
		"datadir":  "data-dir",
		"databse":  "database",
		"conifg":   "config",
		"port":     "",
		"x":        "",
		"database": "database",
	} {
		if got := Nearest(in, keys); got != want {
			t.Errorf("Nearest(%q) = %q, want %q", in, got, want)
		}
	}
}
