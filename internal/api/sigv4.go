package api

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/textproto"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/cognate-dev/cognate/internal/cognito"
)

// SigV4Scope is what a verified signature tells about the caller.
type SigV4Scope struct {
	AccessKeyID string
	Region      string
	Service     string
	// Date is the request's signing time (X-Amz-Date, or Date), in UTC.
	Date time.Time
}

// SigV4Verifier checks the AWS Signature Version 4 Authorization header of
// requests. Signatures in the query string (presigned URLs) are not
// supported: such a request has no Authorization header and is refused as
// unsigned. It verifies a signature by signing a copy of the request again
// with the AWS SDK's own v4 signer and comparing the results.
//
// One value may serve many goroutines at once. Its only state is a bounded
// cache of signers (sigV4Signers); do not copy a SigV4Verifier once used.
type SigV4Verifier struct {
	// Lookup returns the secret access key of accessKeyID. A nil Lookup
	// knows no key.
	Lookup func(accessKeyID string) (secret string, ok bool)
	// LookupContext, when set, is used instead of Lookup, with the
	// request's context.
	LookupContext func(ctx context.Context, accessKeyID string) (secret string, ok bool)
	// Services lists the credential-scope services accepted, e.g.
	// "cognito-idp", "cognito-identity". An empty list accepts none.
	Services []string
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// MaxSkew is how far the request time may be from Now; zero (or
	// less) means five minutes.
	MaxSkew time.Duration
	// AcceptAnySignature is a development mode: the header must still be
	// well formed and its credential scope valid, but the clock skew, the
	// signed-header list, the access key and the signature are not checked.
	AcceptAnySignature bool

	signers sigV4Signers
}

// maxSigV4Signers bounds the signers a SigV4Verifier keeps; one arbitrary
// signer goes when the cache is full.
const maxSigV4Signers = 256

// sigV4SignerKey names the one signing key a signer derives each day.
type sigV4SignerKey struct{ accessKeyID, secret, region, service string }

// sigV4Signers keeps one SDK signer for each access key, secret, region
// and service that signed a verified request. A signer derives the day's
// signing key from the secret (four HMACs) and keeps it until the date
// changes; its cache is keyed by access key, region and service, not by
// secret, which is why the secret is part of this key: a rotated secret
// gets a signer of its own, and never a key derived from the old one. The
// key only saves deriving; every request is still signed again and the
// signatures compared in constant time. The zero value is ready to use.
type sigV4Signers struct {
	// mu guards byKey.
	mu    sync.Mutex
	byKey map[sigV4SignerKey]*v4.Signer
}

// get returns the signer for k, making it when there is none.
func (c *sigV4Signers) get(k sigV4SignerKey) *v4.Signer {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s := c.byKey[k]; s != nil {
		return s
	}
	if c.byKey == nil {
		c.byKey = map[sigV4SignerKey]*v4.Signer{}
	}
	if len(c.byKey) >= maxSigV4Signers {
		for old := range c.byKey {
			delete(c.byKey, old)
			break
		}
	}
	// Non-S3 services, Cognito among them, escape the path a second time,
	// as the SDK clients do, so DisableURIPathEscaping stays false.
	s := v4.NewSigner(func(o *v4.SignerOptions) {
		o.DisableURIPathEscaping = false
		o.DisableHeaderHoisting = true
	})
	c.byKey[k] = s
	return s
}

const (
	sigV4Algorithm    = "AWS4-HMAC-SHA256"
	sigV4Terminator   = "aws4_request"
	sigV4TimeFormat   = "20060102T150405Z"
	sigV4DateFormat   = "20060102"
	sigV4DefaultSkew  = 5 * time.Minute
	sigV4EchoMaxBytes = 512
)

// The messages AWS's front end sends with these exceptions.
const (
	sigV4MsgMissingToken       = "Missing Authentication Token"
	sigV4MsgUnrecognizedClient = "The security token included in the request is invalid."
	sigV4MsgMismatch           = "The request signature we calculated does not match the signature you provided. " +
		"Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	sigV4MsgHostNotSigned = "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
	sigV4MsgDateNotSigned = "'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization."
	sigV4MsgNotSigned     = "There were headers present in the request which were not signed: "
)

// sigV4UnsignedAllowed lists the x-amz- headers a request may carry
// without signing them. X-Amz-Cf-Id is added by CloudFront on its way to
// the origin, after the client signed, and changes nothing the operation
// does. Nothing else is exempt: the AWS SDKs and the AWS CLI sign every
// header they send except Authorization, User-Agent, Expect,
// Transfer-Encoding and X-Amzn-Trace-Id, so X-Amz-Content-Sha256 and
// X-Amz-Security-Token are signed whenever they are sent. Headers of the
// x-amzn- family (X-Amzn-Trace-Id above all, which X-Ray and load
// balancers add in transit) are not required.
var sigV4UnsignedAllowed = map[string]bool{"x-amz-cf-id": true}

// sigV4Auth is a parsed Authorization header.
type sigV4Auth struct {
	raw           string
	algorithm     string
	credential    string
	signedHeaders string
	signature     string
	missing       []string // messages for the parameters that are absent or empty
}

// parseSigV4Authorization splits header into its algorithm and its
// comma-separated key=value parameters; whitespace around the separators is
// optional, and a repeated key keeps its last value.
func parseSigV4Authorization(header string) (sigV4Auth, *cognito.Error) {
	a := sigV4Auth{raw: header}
	h := strings.TrimSpace(header)
	rest := ""
	if i := strings.IndexAny(h, " \t"); i >= 0 {
		a.algorithm, rest = h[:i], h[i+1:]
	} else {
		a.algorithm = h
	}
	for more := true; more; {
		var p string
		p, rest, more = strings.Cut(rest, ",")
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		k, v, ok := strings.Cut(p, "=")
		if !ok {
			return a, cognito.Errorf(cognito.CodeIncompleteSignatureException,
				"'%s' not a valid key=value pair (missing equal-sign) in Authorization header: '%s'.",
				sigV4Echo(p), sigV4Echo(header))
		}
		switch v = strings.TrimSpace(v); strings.TrimSpace(k) {
		case "Credential":
			a.credential = v
		case "Signature":
			a.signature = v
		case "SignedHeaders":
			a.signedHeaders = v
		}
	}
	for _, m := range []struct{ name, value string }{
		{"Credential", a.credential},
		{"Signature", a.signature},
		{"SignedHeaders", a.signedHeaders},
	} {
		if m.value == "" {
			a.missing = append(a.missing, "Authorization header requires '"+m.name+"' parameter.")
		}
	}
	return a, nil
}

// sigV4Echo bounds a client-supplied string quoted back in a message.
func sigV4Echo(s string) string {
	if len(s) <= sigV4EchoMaxBytes {
		return s
	}
	return s[:sigV4EchoMaxBytes] + "..."
}

// sigV4RequestTime reads the signing time from X-Amz-Date or, failing that,
// Date (which may also be in RFC 1123 form). found is false when neither
// header is present.
func sigV4RequestTime(h http.Header) (t time.Time, found bool, err *cognito.Error) {
	raw := h.Get("X-Amz-Date")
	fromDateHeader := false
	if raw == "" {
		raw = h.Get("Date")
		fromDateHeader = true
	}
	if raw == "" {
		return time.Time{}, false, nil
	}
	if t, perr := time.Parse(sigV4TimeFormat, raw); perr == nil {
		return t.UTC(), true, nil
	}
	if fromDateHeader {
		if t, perr := http.ParseTime(raw); perr == nil {
			return t.UTC(), true, nil
		}
	}
	return time.Time{}, true, cognito.Errorf(cognito.CodeIncompleteSignatureException,
		"Date must be in ISO-8601 'basic format'. Got '%s'. See http://en.wikipedia.org/wiki/ISO_8601", sigV4Echo(raw))
}

// Verify checks the Authorization header of r, whose body the caller has
// already read into body. On success it returns the credential scope; on
// failure a *cognito.Error whose code and message follow AWS:
// MissingAuthenticationTokenException (403) when there is no header,
// IncompleteSignatureException when it is malformed, InvalidSignatureException
// for a bad scope, clock skew or signature, or a signature that does not
// cover the host, X-Amz-Date and every x-amz- header sent (see
// sigV4CoversRequest), and UnrecognizedClientException
// for an unknown access key. r is not modified.
func (v *SigV4Verifier) Verify(r *http.Request, body []byte) (SigV4Scope, *cognito.Error) {
	header := strings.TrimSpace(r.Header.Get("Authorization"))
	if header == "" {
		return SigV4Scope{}, cognito.NewError(cognito.CodeMissingAuthenticationTokenException, sigV4MsgMissingToken)
	}

	auth, cerr := parseSigV4Authorization(header)
	if cerr != nil {
		return SigV4Scope{}, cerr
	}
	t, found, dateErr := sigV4RequestTime(r.Header)
	missing := auth.missing
	if !found {
		missing = append(missing, "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
	}
	if len(missing) > 0 {
		return SigV4Scope{}, cognito.NewError(cognito.CodeIncompleteSignatureException,
			strings.Join(missing, " ")+" Authorization="+sigV4Echo(header))
	}
	if auth.algorithm != sigV4Algorithm {
		return SigV4Scope{}, cognito.Errorf(cognito.CodeIncompleteSignatureException,
			"Unsupported AWS 'algorithm': '%s' (only %s for now).", sigV4Echo(auth.algorithm), sigV4Algorithm)
	}
	if dateErr != nil {
		return SigV4Scope{}, dateErr
	}

	// keyid/date/region/service/terminator; trailing slashes are ignored.
	scope := strings.Split(auth.credential, "/")
	for len(scope) > 0 && scope[len(scope)-1] == "" {
		scope = scope[:len(scope)-1]
	}
	if len(scope) != 5 {
		return SigV4Scope{}, cognito.Errorf(cognito.CodeIncompleteSignatureException,
			"Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '%s'",
			sigV4Echo(auth.credential))
	}
	akid, scopeDate, region, service, terminator := scope[0], scope[1], scope[2], scope[3], scope[4]

	if !v.AcceptAnySignature {
		if err := v.checkSkew(t); err != nil {
			return SigV4Scope{}, err
		}
		if err := sigV4CoversRequest(r.Header, auth.signedHeaders); err != nil {
			return SigV4Scope{}, err
		}
	}

	var scopeErrs []string
	if !cognito.ValidRegion(region) {
		scopeErrs = append(scopeErrs, fmt.Sprintf("Credential should be scoped to a valid region, not '%s'.", sigV4Echo(region)))
	}
	if !v.acceptsService(service) {
		scopeErrs = append(scopeErrs, "Credential should be scoped to correct service: "+v.servicesText()+".")
	}
	if terminator != sigV4Terminator {
		scopeErrs = append(scopeErrs, fmt.Sprintf("Credential should be scoped with a valid terminator: '%s', not '%s'.",
			sigV4Terminator, sigV4Echo(terminator)))
	}
	if want := t.Format(sigV4DateFormat); scopeDate != want {
		scopeErrs = append(scopeErrs, fmt.Sprintf(
			"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s', from '%s'.",
			sigV4Echo(scopeDate), want, t.Format(sigV4TimeFormat)))
	}
	if len(scopeErrs) > 0 {
		return SigV4Scope{}, cognito.NewError(cognito.CodeInvalidSignatureException, strings.Join(scopeErrs, " "))
	}

	result := SigV4Scope{AccessKeyID: akid, Region: region, Service: service, Date: t}
	if v.AcceptAnySignature {
		return result, nil
	}

	var secret string
	ok := false
	switch {
	case v.LookupContext != nil:
		secret, ok = v.LookupContext(r.Context(), akid)
	case v.Lookup != nil:
		secret, ok = v.Lookup(akid)
	}
	if !ok {
		return SigV4Scope{}, cognito.NewError(cognito.CodeUnrecognizedClientException, sigV4MsgUnrecognizedClient)
	}

	signer := v.signers.get(sigV4SignerKey{accessKeyID: akid, secret: secret, region: region, service: service})
	if !sigV4Matches(signer, r, body, auth, akid, secret, region, service, t) {
		return SigV4Scope{}, cognito.NewError(cognito.CodeInvalidSignatureException, sigV4MsgMismatch)
	}
	return result, nil
}

func (v *SigV4Verifier) checkSkew(t time.Time) *cognito.Error {
	now := time.Now()
	if v.Now != nil {
		now = v.Now()
	}
	now = now.UTC()
	skew := v.MaxSkew
	if skew <= 0 {
		skew = sigV4DefaultSkew
	}
	skewText := skew.String()
	if skew%time.Minute == 0 {
		skewText = strconv.FormatInt(int64(skew/time.Minute), 10) + " min."
	}
	if earliest := now.Add(-skew); t.Before(earliest) {
		return cognito.Errorf(cognito.CodeInvalidSignatureException,
			"Signature expired: %s is now earlier than %s (%s - %s)",
			t.Format(sigV4TimeFormat), earliest.Format(sigV4TimeFormat), now.Format(sigV4TimeFormat), skewText)
	}
	if latest := now.Add(skew); t.After(latest) {
		return cognito.Errorf(cognito.CodeInvalidSignatureException,
			"Signature not yet current: %s is still later than %s (%s + %s)",
			t.Format(sigV4TimeFormat), latest.Format(sigV4TimeFormat), now.Format(sigV4TimeFormat), skewText)
	}
	return nil
}

func (v *SigV4Verifier) acceptsService(service string) bool {
	for _, s := range v.Services {
		if s == service {
			return true
		}
	}
	return false
}

func (v *SigV4Verifier) servicesText() string {
	quoted := make([]string, len(v.Services))
	for i, s := range v.Services {
		quoted[i] = "'" + s + "'"
	}
	if len(quoted) == 0 {
		return "''"
	}
	return strings.Join(quoted, " or ")
}

// sigV4CoversRequest checks that the signature covers what names the
// request: the host, the signing time, and every x-amz- header sent (among
// them X-Amz-Target, which names the operation, and X-Amz-Security-Token),
// so that a captured signature cannot be replayed to another host, at
// another time, or as another operation. The check reads the header names
// only; the signature itself is checked later.
func sigV4CoversRequest(h http.Header, signedHeaders string) *cognito.Error {
	if !sigV4Signs(signedHeaders, "host") && !sigV4Signs(signedHeaders, ":authority") {
		return cognito.NewError(cognito.CodeInvalidSignatureException, sigV4MsgHostNotSigned)
	}
	if !sigV4Signs(signedHeaders, "x-amz-date") {
		return cognito.NewError(cognito.CodeInvalidSignatureException, sigV4MsgDateNotSigned)
	}
	var unsigned []string
	for k := range h {
		// Lower-cased only when it is an x-amz- header: most are not.
		if len(k) < len("x-amz-") || !strings.EqualFold(k[:len("x-amz-")], "x-amz-") {
			continue
		}
		lk := strings.ToLower(k)
		if !sigV4UnsignedAllowed[lk] && !sigV4Signs(signedHeaders, lk) {
			unsigned = append(unsigned, lk)
		}
	}
	if len(unsigned) > 0 {
		sort.Strings(unsigned)
		return cognito.NewError(cognito.CodeInvalidSignatureException, sigV4MsgNotSigned+sigV4Echo(strings.Join(unsigned, ", ")))
	}
	return nil
}

// sigV4Signs reports whether the SignedHeaders list names header (in any case).
func sigV4Signs(signedHeaders, header string) bool {
	for rest := signedHeaders; ; {
		h, tail, more := strings.Cut(rest, ";")
		if strings.EqualFold(strings.TrimSpace(h), header) {
			return true
		}
		if !more {
			return false
		}
		rest = tail
	}
}

// sigV4Matches signs again, with signer, a copy of r that holds
// only the headers the client listed in SignedHeaders, and reports whether
// both the signed-header list and the signature the signer computed equal the
// client's. A client that signed a header the SDK signer will not sign (such
// as User-Agent), or that did not sign one it always signs (Host,
// X-Amz-Date), produces a different list and so does not match.
func sigV4Matches(signer *v4.Signer, r *http.Request, body []byte, auth sigV4Auth, akid, secret, region, service string, t time.Time) bool {
	// The signed names, lower-cased (the SDKs send them so, and ToLower
	// then copies nothing), with whether the request holds each; a handful,
	// so a slice is searched rather than a map built.
	signed := strings.Split(auth.signedHeaders, ";")
	for i, h := range signed {
		signed[i] = strings.ToLower(h)
	}
	present := make([]bool, len(signed))
	isSigned := func(name string) bool { return slices.Contains(signed, name) }
	markPresent := func(name string) {
		for i, h := range signed {
			if h == name {
				present[i] = true
			}
		}
	}

	sum := sha256.Sum256(body)
	payloadHash := hex.EncodeToString(sum[:])
	if isSigned("x-amz-content-sha256") {
		if got := r.Header.Values("X-Amz-Content-Sha256"); len(got) > 0 && (len(got) != 1 || got[0] != payloadHash) {
			return false
		}
	}

	// Copy the signed headers, deep, under canonical keys (the signer's
	// ignore list matches canonical keys, and it writes X-Amz-Date and
	// Authorization into the slices it is given), in the order of their
	// names, so that two names of one canonical key join in a fixed order.
	// Host comes from r.Host and Content-Length from the ContentLength
	// field: the signer takes both from there, and a header of either name
	// would be signed twice.
	var names []string
	for k := range r.Header {
		i := slices.IndexFunc(signed, func(h string) bool { return strings.EqualFold(h, k) })
		if i < 0 || signed[i] == "host" {
			continue
		}
		markPresent(signed[i])
		if signed[i] != "content-length" {
			names = append(names, k)
		}
	}
	if r.Host != "" {
		markPresent("host")
	}
	sort.Strings(names)
	header := make(http.Header, len(names)+2)
	for _, k := range names {
		ck := textproto.CanonicalMIMEHeaderKey(k)
		header[ck] = append(header[ck], r.Header[k]...)
	}
	// Every header the client signed must be in the request. (The signer
	// would otherwise fill in X-Amz-Date itself.)
	for i, name := range signed {
		if !present[i] && !(name == "content-length" && r.ContentLength > 0) {
			return false
		}
	}

	// The signer signs content-length exactly when ContentLength > 0.
	var contentLength int64
	if isSigned("content-length") {
		raw := r.Header.Get("Content-Length")
		if raw == "" && r.ContentLength > 0 {
			raw = strconv.FormatInt(r.ContentLength, 10)
		}
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || n <= 0 {
			return false
		}
		contentLength = n
	}

	creds := aws.Credentials{AccessKeyID: akid, SecretAccessKey: secret}
	if isSigned("x-amz-security-token") {
		creds.SessionToken = r.Header.Get("X-Amz-Security-Token")
	}

	u := &url.URL{Path: "/"}
	if r.URL != nil {
		u = &url.URL{Path: r.URL.Path, RawPath: r.URL.RawPath, RawQuery: r.URL.RawQuery}
	}
	// No scheme: the signer then keeps any port in Host as the client sent it.
	req := &http.Request{
		Method:        r.Method,
		URL:           u,
		Host:          r.Host,
		Header:        header,
		ContentLength: contentLength,
	}
	if err := signer.SignHTTP(r.Context(), creds, req, payloadHash, service, region, t); err != nil {
		return false
	}

	computed, cerr := parseSigV4Authorization(req.Header.Get("Authorization"))
	if cerr != nil || computed.signedHeaders != auth.signedHeaders {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(computed.signature), []byte(auth.signature)) == 1
}
