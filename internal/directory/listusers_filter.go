package directory

import (
	"slices"
	"strings"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/storage"
)

// userFilter is a parsed ListUsers Filter: one condition on one searchable
// attribute, as Cognito allows (there is no AND or OR).
type userFilter struct {
	// Attr is one of searchableAttributes.
	Attr string
	// Prefix is true for ^= (starts with) and false for = (equals).
	Prefix bool
	// Value is the attribute value with its escapes resolved.
	Value string
}

// errFilterSyntax is the exception for a filter that does not parse.
func errFilterSyntax() error {
	return cognito.InvalidParameterException("Error while parsing filter.")
}

// isFilterSpace reports whether c separates the tokens of a filter.
func isFilterSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

// parseUserFilter parses a ListUsers Filter. It returns nil for an empty
// (or blank) filter, which lists every user.
//
// The grammar is Cognito's: an attribute name, optionally in double quotes,
// then = or ^=, then the value in double quotes, with optional whitespace
// around each part:
//
//	email = "jane@example.com"
//	"given_name"^="Ja"
//
// Inside the value, \" stands for a double quote and \\ for a backslash; a
// backslash before any other character is itself, so values with
// backslashes need no escaping unless the backslash ends the value. Every
// other character, SQL and LIKE wildcards included, is literal. An unknown
// or unsearchable attribute is reported as "Invalid search attribute".
func parseUserFilter(s string) (*userFilter, error) {
	i, n := 0, len(s)
	skip := func() {
		for i < n && isFilterSpace(s[i]) {
			i++
		}
	}
	skip()
	if i == n {
		return nil, nil
	}

	// Attribute name: bare, or in double quotes.
	var name string
	if s[i] == '"' {
		end := strings.IndexByte(s[i+1:], '"')
		if end < 0 {
			return nil, errFilterSyntax()
		}
		name = s[i+1 : i+1+end]
		i += end + 2
	} else {
		start := i
		for i < n && !isFilterSpace(s[i]) && s[i] != '=' && s[i] != '^' && s[i] != '"' {
			i++
		}
		name = s[start:i]
	}
	if name == "" {
		return nil, errFilterSyntax()
	}
	skip()

	// Operator.
	var prefix bool
	switch {
	case strings.HasPrefix(s[i:], "^="):
		prefix = true
		i += 2
	case strings.HasPrefix(s[i:], "="):
		i++
	default:
		return nil, errFilterSyntax()
	}
	skip()

	// Value, in double quotes.
	if i == n || s[i] != '"' {
		return nil, errFilterSyntax()
	}
	i++
	var b strings.Builder
	closed := false
	for i < n {
		c := s[i]
		if c == '\\' && i+1 < n && (s[i+1] == '"' || s[i+1] == '\\') {
			b.WriteByte(s[i+1])
			i += 2
			continue
		}
		i++
		if c == '"' {
			closed = true
			break
		}
		b.WriteByte(c)
	}
	if !closed {
		return nil, errFilterSyntax()
	}
	skip()
	if i != n {
		return nil, errFilterSyntax()
	}
	if !slices.Contains(searchableAttributes, name) {
		return nil, cognito.InvalidParameterException("Invalid search attribute: " + name)
	}
	value := b.String()
	if !cognito.ValidText(value) {
		// The value becomes the bound of an index scan, and no store
		// keeps a NUL or invalid UTF-8 as text.
		return nil, cognito.InvalidText("filter", cognito.RuleValidText)
	}
	return &userFilter{Attr: name, Prefix: prefix, Value: value}, nil
}

// scan returns the index scan that answers f in pool p: the entries of the
// attribute whose search form equals, or starts with, the search form of
// the value. Nothing in the value is a wildcard: the store matches the
// bytes of the prefix literally.
func (f *userFilter) scan(p *idp.UserPoolType) storage.ScanInput {
	return storage.ScanInput{
		Kind:   kindUser,
		Prefix: userIndexKey(p, f.Attr, f.Value),
		Exact:  !f.Prefix,
		// ListUsers reads the users' data alone.
		DataOnly: true,
	}
}

// scope names the listing f selects in pool, for pagination tokens: a token
// made for one filter is refused for another. It uses the search form of
// the value, so spellings that select the same users share tokens.
func (f *userFilter) scope(p *idp.UserPoolType) string {
	op := "="
	if f.Prefix {
		op = "^="
	}
	return "ListUsers/" + cognito.Deref(p.Id) + "/" + op + "/" + userIndexKey(p, f.Attr, f.Value)
}
