package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"go.yaml.in/yaml/v3"
)

// exampleFile is the example configuration shipped at the repository's root.
var exampleFile = filepath.Join("..", "..", "cognate.example.yaml")

// lookupKey finds the value node of the key path in the mapping n, and the
// key node that names it.
func lookupKey(n *yaml.Node, path string) (key, val *yaml.Node) {
	for part := range strings.SplitSeq(path, ".") {
		if n == nil || n.Kind != yaml.MappingNode {
			return nil, nil
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == part {
				key, next = n.Content[i], n.Content[i+1]
			}
		}
		n = next
	}
	return key, n
}

// TestExampleConfig checks cognate.example.yaml against Config: every key
// of the struct is in the file with a comment saying what it does, and the
// file loads through Load into exactly the defaults, so it can neither
// miss a key added later nor show a default that is not one.
func TestExampleConfig(t *testing.T) {
	data, err := os.ReadFile(exampleFile)
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("cognate.example.yaml: %v", err)
	}
	root := doc.Content[0]

	keys := Keys()
	if len(keys) < 50 {
		t.Fatalf("found only %d keys in Config: the walk of its yaml tags is broken", len(keys))
	}
	for _, path := range keys {
		k, v := lookupKey(root, path)
		if v == nil {
			t.Errorf("cognate.example.yaml has no %s: add it, set to its default (as Default and applyDefaults give it, or the zero value that stands for it), under a comment line saying what it does", path)
			continue
		}
		if strings.TrimSpace(k.HeadComment) == "" && strings.TrimSpace(k.LineComment) == "" {
			t.Errorf("cognate.example.yaml: %s (line %d) has no comment: add one line above it saying what it does", path, k.Line)
		}
	}
	if t.Failed() {
		return
	}

	got, warnings, err := Load(Sources{File: exampleFile})
	if err != nil {
		t.Fatalf("cognate.example.yaml does not load: %v", err)
	}
	if len(warnings) > 0 {
		t.Errorf("cognate.example.yaml uses deprecated keys: %v", warnings)
	}
	want, _, err := Load(Sources{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("cognate.example.yaml is not the defaults: set each key it shows to its default (-default +example):\n%s", diff)
	}
}

// TestExampleConfigCatchesMissingKey checks the walk on a struct with a
// key the example cannot have, so that a key added to Config later without
// an example line fails TestExampleConfig.
func TestExampleConfigCatchesMissingKey(t *testing.T) {
	type block struct {
		Known   string `yaml:"listen"`
		Missing string `yaml:"not_in_the_example"`
	}
	type cfg struct {
		Log   LogConfig `yaml:"log"`
		Block block     `yaml:"sqlite"`
		Dur   Duration  `yaml:"shutdown_timeout"`
	}
	data, err := os.ReadFile(exampleFile)
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	var missing []string
	for _, path := range keysOf(reflect.TypeFor[cfg](), "") {
		if _, v := lookupKey(doc.Content[0], path); v == nil {
			missing = append(missing, path)
		}
	}
	want := []string{"sqlite.listen", "sqlite.not_in_the_example"}
	if diff := cmp.Diff(want, missing); diff != "" {
		t.Errorf("missing keys (-want +got):\n%s", diff)
	}
}
