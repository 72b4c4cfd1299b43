// Package oauth holds cognate's black-box tests of the hosted UI and the
// OAuth 2.0 / OpenID Connect endpoints of a pool's domain: a real listening
// cognate (httptest) on SQLite and on PostgreSQL, wired as cmd/cognate
// wires it, set up through the AWS SDK for Go v2 and signed in to by a
// relying party built on golang.org/x/oauth2 and github.com/coreos/go-oidc
// (which discovers the endpoints through the pool's discovery document).
//
// The sign-in page is driven here by a plain HTTP client with a cookie jar
// that reads the form as a browser would (its hidden fields and CSRF
// token); e2e/browser drives the same page in a real Chromium. The tests
// named after an OpenID Foundation conformance check (oidf_test.go) mirror
// the checks of its Basic and Config OP test plans that apply to a
// Cognito-style provider.
package oauth
