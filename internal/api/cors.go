package api

import (
	"net/http"
	"strings"

	"github.com/cognate-dev/cognate/internal/weborigin"
)

// The CORS answers, as Cognito's endpoints give them: a preflight of
// POST / from any origin is allowed, with the request headers the browser
// asks for, the response headers a client reads, and a two-day cache.
const (
	corsAllowMethods   = "POST"
	corsExposeHeaders  = "x-amzn-RequestId,x-amzn-ErrorType,x-amzn-ErrorMessage,Date"
	corsMaxAge         = "172800"
	corsDefaultHeaders = "content-type,x-amz-target,x-amz-user-agent,x-amz-date,x-amz-security-token,authorization,amz-sdk-invocation-id,amz-sdk-request,cache-control"
)

// corsPolicy lets browser applications on other origins call the API, the
// way Cognito does for Amplify and amazon-cognito-identity-js: it answers
// the preflight (OPTIONS with Origin and Access-Control-Request-Method) and
// puts Access-Control-Allow-Origin and Access-Control-Expose-Headers on
// every answer to a request from an allowed origin, successes and errors
// alike, so that a page can read an error's __type.
//
// Every operation gets the same headers, IAM-authorized ones included:
// Cognito answers the preflight before it knows the operation, the AWS SDK
// for JavaScript calls every cognito-idp operation from browsers (with
// credentials from an identity pool), and nothing rides on the browser's
// ambient credentials: requests carry a signature or a token in their
// body, never a cookie, so Access-Control-Allow-Credentials is never sent.
type corsPolicy struct {
	// any allows every origin, answering with "*".
	any bool
	// origins are the allowed origins, normalized by weborigin.Canonical.
	origins map[string]bool
}

// newCORSPolicy returns the policy for the allowed origins: empty, or one
// "*", allows any origin.
func newCORSPolicy(allowed []string) corsPolicy {
	p := corsPolicy{origins: map[string]bool{}}
	for _, o := range allowed {
		if o == "*" {
			p.any = true
			continue
		}
		if n, ok := weborigin.Canonical(o); ok {
			p.origins[n] = true
		}
	}
	p.any = p.any || len(allowed) == 0
	return p
}

// allowOrigin returns the Access-Control-Allow-Origin value for a request
// from origin, or "" when that origin may not read the answer.
func (p corsPolicy) allowOrigin(origin string) string {
	switch {
	case origin == "":
		return ""
	case p.any:
		return "*"
	}
	if n, ok := weborigin.Canonical(origin); ok && p.origins[n] {
		return origin
	}
	return ""
}

// isPreflight reports whether r is a CORS preflight request.
func isPreflight(r *http.Request) bool {
	return r.Method == http.MethodOptions && r.Header.Get("Origin") != "" && r.Header.Get("Access-Control-Request-Method") != ""
}

// apply puts the CORS headers for r on w's header. For a preflight it also
// writes the answer, 200 with an empty body from an allowed origin and 403
// without CORS headers from any other, and reports true: the request is
// done.
func (p corsPolicy) apply(w http.ResponseWriter, r *http.Request) (done bool) {
	preflight := isPreflight(r)
	h := w.Header()
	allow := p.allowOrigin(r.Header.Get("Origin"))
	if !p.any {
		// The answer depends on the origin: caches must not hand one
		// origin's answer to another.
		h.Add("Vary", "Origin")
	}
	if preflight {
		h.Add("Vary", "Access-Control-Request-Headers")
	}
	if allow == "" {
		if preflight {
			h.Set("Content-Length", "0")
			w.WriteHeader(http.StatusForbidden)
		}
		return preflight
	}
	h.Set("Access-Control-Allow-Origin", allow)
	h.Set("Access-Control-Expose-Headers", corsExposeHeaders)
	if !preflight {
		return false
	}
	h.Set("Access-Control-Allow-Methods", corsAllowMethods)
	h.Set("Access-Control-Allow-Headers", allowHeaders(r.Header.Values("Access-Control-Request-Headers")))
	h.Set("Access-Control-Max-Age", corsMaxAge)
	h.Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
	return true
}

// allowHeaders returns the Access-Control-Allow-Headers value for the
// headers a preflight asks for. Like Cognito, it allows what is asked: the
// API authenticates by signature or token, never by a header the browser
// adds on its own. A list that is not a list of header names gets the
// headers Cognito's clients send instead.
func allowHeaders(requested []string) string {
	v := strings.Join(requested, ",")
	if v == "" || len(v) > 4096 {
		return corsDefaultHeaders
	}
	for _, c := range []byte(v) {
		if !headerListByte(c) {
			return corsDefaultHeaders
		}
	}
	return v
}

// headerListByte reports whether c may appear in a comma-separated list of
// header names (RFC 9110 tokens, with spaces around the commas).
func headerListByte(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~, \t", c) >= 0
}
