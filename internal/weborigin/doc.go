// Package weborigin reads web origins (RFC 6454) as browsers write them in
// an Origin header. The API edge compares request origins with it and the
// configuration checks its allowed origins with it, so that both apply one
// rule.
//
// It may import only the standard library, and not net/http: the
// configuration, which must not depend on serving HTTP, imports it.
package weborigin
