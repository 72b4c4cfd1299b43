package config

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// testDeprecations is a made-up table: the real one is empty until a key
// is renamed, and the mechanism must work before then.
var testDeprecations = []Deprecation{
	{Key: "bind", NewKey: "listen", Version: "v0.2.0"},
	{Key: "storage.dir", NewKey: "data_dir", Version: "v0.3.0"},
	{Key: "logging.verbosity", NewKey: "log.level", Version: "v0.3.0"},
}

func TestDeprecations(t *testing.T) {
	tests := []struct {
		name         string
		file         string
		want         func(*Config)
		wantWarnings []string
		wantProblems ValidationErrors
	}{
		{
			name: "no deprecated keys",
			file: "listen: a:1\n",
			want: func(c *Config) { c.Listen = "a:1" },
		},
		{
			name: "top-level rename",
			file: "bind: a:1\n",
			want: func(c *Config) { c.Listen = "a:1" },
			wantWarnings: []string{
				"bind: deprecated since v0.2.0, use listen (line 1)",
			},
		},
		{
			name: "nested key to top level, emptied section dropped",
			file: "storage:\n  dir: /srv\n",
			want: func(c *Config) { c.DataDir = "/srv" },
			wantWarnings: []string{
				"storage.dir: deprecated since v0.3.0, use data_dir (line 2)",
			},
		},
		{
			name: "into an existing section",
			file: "log:\n  format: text\nlogging:\n  verbosity: debug\n",
			want: func(c *Config) { c.Log = LogConfig{Level: "debug", Format: "text"} },
			wantWarnings: []string{
				"logging.verbosity: deprecated since v0.3.0, use log.level (line 4)",
			},
		},
		{
			name: "into an empty section",
			file: "log:\nlogging:\n  verbosity: warn\n",
			want: func(c *Config) { c.Log.Level = "warn" },
			wantWarnings: []string{
				"logging.verbosity: deprecated since v0.3.0, use log.level (line 3)",
			},
		},
		{
			name: "other keys of an old section stay unknown",
			file: "storage:\n  dir: /srv\n  kind: sqlite\n",
			wantWarnings: []string{
				"storage.dir: deprecated since v0.3.0, use data_dir (line 2)",
			},
			wantProblems: ValidationErrors{"storage: unknown key (line 1)"},
		},
		{
			name: "old and new key both set",
			file: "bind: a:1\nlisten: b:2\n",
			wantProblems: ValidationErrors{
				"bind: renamed to listen in v0.2.0, and both are set; remove bind (line 1)",
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, _, warnings, err := load(Sources{File: writeFile(t, "cognate.yaml", tc.file)}, testDeprecations)
			if diff := cmp.Diff(tc.wantWarnings, warnings); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantProblems, problems(t, err)); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
			if tc.want == nil {
				return
			}
			want := Default()
			tc.want(&want)
			if diff := cmp.Diff(&want, got); diff != "" {
				t.Errorf("config (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDeprecationTableIsWellFormed(t *testing.T) {
	keys := map[string]bool{}
	for _, s := range settings {
		keys[s.key] = true
	}
	for _, d := range deprecations {
		if d.Key == "" || d.Version == "" {
			t.Errorf("deprecation %+v: Key and Version are required", d)
		}
		if !keys[d.NewKey] {
			t.Errorf("deprecation %+v: NewKey is not a key of Config", d)
		}
	}
}
