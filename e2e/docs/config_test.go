package docs

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cognate-dev/cognate/internal/config"
)

// configPage is the page that documents every configuration key.
const configPage = "docs/configuration.md"

// docRow is one row of a table of configuration keys: the keys its first
// cell names and the environment variables its environment cell names.
type docRow struct {
	line int
	keys []string
	env  []string
}

var codeSpan = regexp.MustCompile("`([^`]+)`")

// configRows reads the tables of a page whose first column is "key": the
// key cell holds code spans, each a key path (`log.level`), a path
// relative to the block of the span before it (`.burst` after
// `rate_limits.per_user.rate`), or a path with a placeholder segment
// (`rate_limits.categories.<category>`); an "environment" column, when
// the table has one, holds the variables that set the row's key.
func configRows(data string) []docRow {
	var (
		rows   []docRow
		envCol = -1
		inKeys bool
	)
	for i, line := range strings.Split(data, "\n") {
		if !strings.HasPrefix(line, "|") {
			inKeys = false
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		for j := range cells {
			cells[j] = strings.TrimSpace(cells[j])
		}
		switch {
		case cells[0] == "key":
			inKeys, envCol = true, slices.Index(cells, "environment")
			continue
		case !inKeys || strings.HasPrefix(cells[0], "---"):
			continue
		}
		r := docRow{line: i + 1}
		block := ""
		for _, m := range codeSpan.FindAllStringSubmatch(cells[0], -1) {
			k := m[1]
			if strings.HasPrefix(k, ".") {
				k = block + k
			}
			if i := strings.LastIndex(k, "."); i >= 0 {
				block = k[:i]
			}
			r.keys = append(r.keys, k)
		}
		if envCol >= 0 && envCol < len(cells) {
			for _, m := range codeSpan.FindAllStringSubmatch(cells[envCol], -1) {
				r.env = append(r.env, m[1])
			}
		}
		rows = append(rows, r)
	}
	return rows
}

// keyMatches reports whether the documented key doc (which may hold
// <placeholder> segments) names the key path key.
func keyMatches(doc, key string) bool {
	d, k := strings.Split(doc, "."), strings.Split(key, ".")
	if len(d) != len(k) {
		return false
	}
	for i := range d {
		if d[i] != k[i] && !(strings.HasPrefix(d[i], "<") && strings.HasSuffix(d[i], ">")) {
			return false
		}
	}
	return true
}

// TestConfigurationDocumented checks docs/configuration.md against the
// configuration loader: every key Config accepts is in one of the page's
// key tables, every key the tables name is one Config accepts (or an
// entry of a map or list key, or a block of keys), and the environment
// variable a row gives for its key is the one Load reads, with every
// variable Load reads documented.
func TestConfigurationDocumented(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(repoRoot(), configPage))
	if err != nil {
		t.Fatal(err)
	}
	rows := configRows(string(data))
	keys := config.Keys()
	if len(rows) < 50 || len(keys) < 50 {
		t.Fatalf("%d rows in the page's key tables, %d keys in Config: the parsing is broken", len(rows), len(keys))
	}
	documented := func(key string) bool {
		for _, r := range rows {
			for _, d := range r.keys {
				// A key, or an entry of a map or list key (rate_limits.categories.<category>).
				if keyMatches(d, key) || strings.HasPrefix(d, key+".") {
					return true
				}
			}
		}
		return false
	}
	for _, k := range keys {
		if !documented(k) {
			t.Errorf("%s: the key %s is not in a key table: add a row saying what it does, its default and its environment variable", configPage, k)
		}
	}
	envs := config.EnvVars()
	var docEnv []string
	for _, r := range rows {
		for _, d := range r.keys {
			known := slices.ContainsFunc(keys, func(k string) bool {
				return keyMatches(d, k) || strings.HasPrefix(d, k+".") || strings.HasPrefix(k, d+".")
			})
			if !known {
				t.Errorf("%s:%d: `%s` is not a key the configuration accepts", configPage, r.line, d)
			}
		}
		docEnv = append(docEnv, r.env...)
		var want []string
		for _, d := range r.keys {
			if v, ok := envs[d]; ok {
				want = append(want, v)
			}
		}
		if diff := cmp.Diff(want, r.env); diff != "" {
			t.Errorf("%s:%d: the environment variables of %s (-Load reads +documented):\n%s", configPage, r.line, strings.Join(r.keys, ", "), diff)
		}
	}
	for k, v := range envs {
		if !slices.Contains(docEnv, v) {
			t.Errorf("%s: %s, which sets %s, is not documented", configPage, v, k)
		}
	}
}

// TestConfigRows checks the parsing of a key table.
func TestConfigRows(t *testing.T) {
	page := "| key | environment | meaning |\n|---|---|---|\n" +
		"| `log.level` | `COGNATE_LOG_LEVEL` | level |\n" +
		"| `rate_limits.per_user.rate`, `.burst` | | rate |\n" +
		"| `rate_limits.categories.<category>` | | quota |\n" +
		"\ntext\n\n| path | what |\n|---|---|\n| `GET /health` | ok |\n"
	want := []docRow{
		{line: 3, keys: []string{"log.level"}, env: []string{"COGNATE_LOG_LEVEL"}},
		{line: 4, keys: []string{"rate_limits.per_user.rate", "rate_limits.per_user.burst"}},
		{line: 5, keys: []string{"rate_limits.categories.<category>"}},
	}
	if diff := cmp.Diff(want, configRows(page), cmp.AllowUnexported(docRow{})); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	if !keyMatches("log_delivery.<service>.region", "log_delivery.s3.region") || keyMatches("log.level", "log.format") {
		t.Error("keyMatches")
	}
}
