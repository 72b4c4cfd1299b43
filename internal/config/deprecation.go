package config

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Deprecation records a renamed key. Load moves the value of an old key
// to its new key and returns a warning, so that files written for an older
// release keep working until the old key is dropped from the table.
type Deprecation struct {
	// Key is the old dotted key path, e.g. "storage.dir".
	Key string
	// NewKey is the dotted key path that replaced it, e.g. "data_dir".
	NewKey string
	// Version is the release that renamed the key, e.g. "v0.2.0".
	Version string
}

// deprecations lists every renamed key, oldest first. No key has been
// renamed yet; add an entry here (and a case to the tests) with the commit
// that renames one.
var deprecations []Deprecation

// applyDeprecations renames, in the parsed file, every old key of table to
// its new key. Setting both an old key and its replacement is a problem,
// since it is not clear which the user meant.
func applyDeprecations(root *yaml.Node, table []Deprecation) (warnings []string, problems ValidationErrors) {
	for _, d := range table {
		chain := lookup(root, d.Key)
		if chain == nil {
			continue
		}
		last := chain[len(chain)-1]
		keyNode := last.mapping.Content[last.index]
		if lookup(root, d.NewKey) != nil {
			problems = append(problems, fmt.Sprintf("%s: renamed to %s in %s, and both are set; remove %s (line %d)",
				d.Key, d.NewKey, d.Version, d.Key, keyNode.Line))
			removeKey(chain) // reported once here, not again as unknown
			continue
		}
		valNode := last.mapping.Content[last.index+1]
		removeKey(chain)
		segs := strings.Split(d.NewKey, ".")
		m := ensureMapping(root, segs[:len(segs)-1], keyNode.Line)
		nk := *keyNode
		nk.Value = segs[len(segs)-1]
		m.Content = append(m.Content, &nk, valNode)
		warnings = append(warnings, fmt.Sprintf("%s: deprecated since %s, use %s (line %d)",
			d.Key, d.Version, d.NewKey, keyNode.Line))
	}
	return warnings, problems
}

// step is one level of a key path found in the tree: the mapping and the
// index of the key node in its Content.
type step struct {
	mapping *yaml.Node
	index   int
}

// lookup returns the steps to the dotted key path in root, or nil when
// the key is not set.
func lookup(root *yaml.Node, path string) []step {
	var chain []step
	m := root
	segs := strings.Split(path, ".")
	for i, seg := range segs {
		if m.Kind != yaml.MappingNode {
			return nil
		}
		idx := -1
		for j := 0; j+1 < len(m.Content); j += 2 {
			if m.Content[j].Value == seg {
				idx = j
				break
			}
		}
		if idx < 0 {
			return nil
		}
		chain = append(chain, step{m, idx})
		if i < len(segs)-1 {
			m = resolve(m.Content[idx+1])
		}
	}
	return chain
}

// removeKey deletes the key at the end of chain, then every mapping on the
// way that the removal left empty, so that an emptied old section does not
// show up as an unknown key.
func removeKey(chain []step) {
	for i := len(chain) - 1; i >= 0; i-- {
		s := chain[i]
		s.mapping.Content = append(s.mapping.Content[:s.index:s.index], s.mapping.Content[s.index+2:]...)
		if len(s.mapping.Content) > 0 || i == 0 {
			return
		}
	}
}

// ensureMapping returns the mapping at the key path segs under root,
// creating the missing levels.
func ensureMapping(root *yaml.Node, segs []string, line int) *yaml.Node {
	m := root
	for _, seg := range segs {
		var next *yaml.Node
		for j := 0; j+1 < len(m.Content); j += 2 {
			if m.Content[j].Value == seg {
				next = resolve(m.Content[j+1])
				break
			}
		}
		if next != nil && next.Kind == yaml.ScalarNode && next.Tag == "!!null" {
			next.Kind, next.Tag = yaml.MappingNode, "!!map"
		}
		if next == nil || next.Kind != yaml.MappingNode {
			next = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: line}
			m.Content = append(m.Content,
				&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: seg, Line: line}, next)
		}
		m = next
	}
	return m
}
