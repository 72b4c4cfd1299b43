package config

import (
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Annotated returns the redacted configuration c as YAML, in the shape of
// a config file, with a comment after each value saying where it came
// from: "default", "file (line N)", "environment COGNATE_…" or "flag".
func (c Config) Annotated(origins Origins) (string, error) {
	var doc yaml.Node
	if err := doc.Encode(c.Redacted()); err != nil {
		return "", fmt.Errorf("config: %w", err)
	}
	annotate(&doc, "", origins)
	var b strings.Builder
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return "", fmt.Errorf("config: %w", err)
	}
	if err := enc.Close(); err != nil {
		return "", fmt.Errorf("config: %w", err)
	}
	return b.String(), nil
}

// annotate puts the origin of each scalar, and of each empty mapping or
// list, in its line comment; path is the key path of n.
func annotate(n *yaml.Node, path string, origins Origins) {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			annotate(c, path, origins)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := k.Value
			if path != "" {
				p = path + "." + k.Value
			}
			if (v.Kind == yaml.MappingNode || v.Kind == yaml.SequenceNode) && len(v.Content) > 0 {
				if _, whole := origins[p]; whole {
					// Set whole (a map or a list): one comment on its key.
					k.LineComment = origins.Of(p)
					continue
				}
				annotate(v, p, origins)
				continue
			}
			v.LineComment = origins.Of(p)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			annotate(c, path+"["+strconv.Itoa(i)+"]", origins)
		}
	default:
		n.LineComment = origins.Of(path)
	}
}
