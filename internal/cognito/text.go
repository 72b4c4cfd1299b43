package cognito

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// ValidText reports whether s is valid UTF-8 without a NUL character (U+0000):
// a string both stores keep as text, compare and index. PostgreSQL refuses a
// NUL in a text column, and invalid UTF-8 in any; the engines check every
// string that becomes a unique key, an index entry or a lookup with it, at
// their edge, so that a bad one is InvalidParameterException and never
// reaches a store.
func ValidText(s string) bool {
	return strings.IndexByte(s, 0) < 0 && utf8.ValidString(s)
}

// RuleValidText is the constraint ValidText checks, worded as the model's
// rules are ("Member must ..."), for members the model gives no pattern.
const RuleValidText = "not contain null characters or invalid UTF-8"

// InvalidText returns the InvalidParameterException for the member at path
// whose value breaks rule, in the model's words: "1 validation error
// detected: Value at 'path' failed to satisfy constraint: Member must
// <rule>". The value is left out of the message: it may be a secret, and
// it holds characters a message should not carry.
func InvalidText(path, rule string) *Error {
	var v Violations
	v.Add(path, nil, true, rule)
	return InvalidParameterException("1 validation error detected: " + v.msgs[0])
}

// MaxRequestEntries bounds how many entries a request's attribute lists and
// string maps may hold (UserAttributes, ValidationData, UserAttributeNames,
// AttributesToGet, AuthParameters, ChallengeResponses and ClientMetadata),
// where the model sets no bound. A pool has at most 50 custom attributes
// besides the 20 standard ones and a sign-in flow fewer than 20 parameters,
// so a valid request names well under 100; ClientMetadata and
// ValidationData, which only Lambda triggers read, get the same generous
// room. The generated Validate methods check it with the model's length
// message, and the engines again where they take these members.
const MaxRequestEntries = 1024

// TooManyEntries returns the InvalidParameterException for a list or map
// at path with more than MaxRequestEntries entries, in the words the
// generated checks use for a model length bound.
func TooManyEntries(path string) *Error {
	var v Violations
	v.Add(path, nil, true, "have length less than or equal to "+strconv.Itoa(MaxRequestEntries))
	return InvalidParameterException("1 validation error detected: " + v.msgs[0])
}
