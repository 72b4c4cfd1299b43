package api

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cognate-dev/cognate/internal/authflow"
	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/identity"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/directory"
	"github.com/cognate-dev/cognate/internal/identitypool"
	"github.com/cognate-dev/cognate/internal/password"
	"github.com/cognate-dev/cognate/internal/ratelimit"
	"github.com/cognate-dev/cognate/internal/replication"
	"github.com/cognate-dev/cognate/internal/storage"
	"github.com/cognate-dev/cognate/internal/sts/local"
	"github.com/cognate-dev/cognate/internal/userpool"
)

const contentType = "application/x-amz-json-1.1"

// brandingMaxBody is the body size Cognito accepts for the operations that
// carry managed login images (each up to a million bytes, base64 in the
// JSON): 2 MiB, or max_body_bytes when that is larger.
const brandingMaxBody = 2 << 20

// brandingBodyOps are the targets brandingMaxBody applies to.
var brandingBodyOps = map[string]bool{
	"AWSCognitoIdentityProviderService.CreateManagedLoginBranding": true,
	"AWSCognitoIdentityProviderService.UpdateManagedLoginBranding": true,
}

// DefaultMaxBodyBytes is the body limit when Options leaves it zero.
const DefaultMaxBodyBytes = 1 << 20

// Service names as they appear in SigV4 credential scopes.
const (
	serviceIDP      = "cognito-idp"
	serviceIdentity = "cognito-identity"
)

// Observer receives one observation per request, for metrics.
type Observer interface {
	ObserveRequest(service, operation, outcome string, elapsed time.Duration)
}

// Options configures the API handler.
type Options struct {
	// Pools is the user-pool engine: pools and their configuration.
	Pools *userpool.Service
	// Replicas is the replica API's engine (CreateUserPoolReplica and its
	// siblings).
	Replicas *replication.Replicas
	// Users is the directory: users, groups, sign-up and self-service.
	Users *directory.Service
	// Auth is the sign-in engine: it serves the sign-in and token
	// operations and authenticates access tokens.
	Auth *authflow.Service
	// Passwords is the Hasher the engines share: a protected operation
	// from a client with as many hashes and SRP computations waiting as it
	// may is refused before it is decoded. nil means Users.Passwords().
	Passwords *password.Hasher
	// Identities is the identity-pool engine (AWSCognitoIdentityService).
	Identities *identitypool.Service
	// AccountID is the AWS account ID that ARNs carry.
	AccountID string
	// Regions limits the regions requests may address; empty allows any
	// valid region name.
	Regions []string
	// Credentials maps access key IDs to secret access keys.
	Credentials map[string]string
	// AcceptAnySignature accepts any well-formed SigV4 header without
	// checking the key or signature. A development setting; off by default.
	AcceptAnySignature bool
	// MaxBodyBytes is the largest request body read; DefaultMaxBodyBytes
	// when zero.
	MaxBodyBytes int64
	// Logger receives request logs; nil discards them.
	Logger *slog.Logger
	// Observer receives per-request metrics; may be nil.
	Observer Observer
	// Clock returns the current time; nil means time.Now.
	Clock func() time.Time
	// Protection applies the protective limits, per client address and
	// per user, to the operations anyone may call: those authorized by no
	// signature (InitiateAuth, SignUp, ForgotPassword, …) and those
	// authorized by an access token. nil means a ratelimit.Guard with the
	// default rates on Clock; ratelimit.Unprotected() turns them off.
	Protection ratelimit.Protection
	// TrustedProxies are the peers whose X-Forwarded-For and Forwarded
	// headers name the client address; the zero value trusts none.
	TrustedProxies ratelimit.TrustedProxies
	// RateLimits emulates Cognito's per-category request quotas: it
	// refuses user-pool requests beyond the rate of their quota category
	// with TooManyRequestsException, counted once the caller is
	// authenticated (see ratelimit.go). nil means no quotas, the default.
	RateLimits *ratelimit.Limiter
	// STS is cognate's own Security Token Service, served with the STS
	// query protocol at the same URL (see sts.go); nil serves no STS.
	STS *local.Service
	// AllowedOrigins are the origins (scheme://host[:port]) whose browser
	// applications may call the API; empty, or "*", allows any origin, as
	// Cognito does. See cors.go.
	AllowedOrigins []string
}

// operation is one dispatchable operation: its model entry and the engine
// method that serves it (nil when cognate does not implement it yet).
type operation struct {
	cognito.Operation
	scopeService string
	handler
	members inputMembers
}

// serveFunc runs one operation on a decoded, validated input.
type serveFunc func(ctx context.Context, c cognito.Caller, in cognito.Input) (any, error)

// Handler serves the Cognito JSON API.
type Handler struct {
	opts     Options
	log      *slog.Logger
	sig      *SigV4Verifier
	ops      map[string]operation
	maxBody  int64
	clock    func() time.Time
	observer Observer
	limits   *ratelimit.Limiter
	cors     corsPolicy
	protect  ratelimit.Protection
	// passwords is Options.Passwords, or the user-pool engine's.
	passwords *password.Hasher
	// clientPools maps app clients to their pools for the rate limits.
	clientPools *clientPools
	// sts serves the STS query protocol; nil when Options.STS is.
	sts *stsHandler
}

// NewHandler returns the API handler.
func NewHandler(opts Options) *Handler {
	h := &Handler{opts: opts, log: opts.Logger, maxBody: opts.MaxBodyBytes, clock: opts.Clock, observer: opts.Observer}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.maxBody <= 0 {
		h.maxBody = DefaultMaxBodyBytes
	}
	if h.clock == nil {
		h.clock = time.Now
	}
	h.limits = opts.RateLimits
	if h.limits == nil {
		h.limits = ratelimit.Off()
	}
	h.cors = newCORSPolicy(opts.AllowedOrigins)
	h.protect = opts.Protection
	if h.protect == nil {
		// The default rates cannot be refused.
		h.protect, _ = ratelimit.NewGuard(ratelimit.GuardConfig{
			PerAddress: ratelimit.DefaultPerAddress, PerUser: ratelimit.DefaultPerUser, Clock: h.clock,
		})
	}
	h.passwords = opts.Passwords
	if h.passwords == nil && opts.Users != nil {
		h.passwords = opts.Users.Passwords()
	}
	h.clientPools = &clientPools{pools: opts.Pools, byClient: map[string]string{}}
	h.sig = &SigV4Verifier{
		Lookup: func(id string) (string, bool) {
			s, ok := opts.Credentials[id]
			return s, ok
		},
		Services:           []string{serviceIDP, serviceIdentity},
		Now:                h.clock,
		AcceptAnySignature: opts.AcceptAnySignature,
	}
	h.ops = buildOperations(idpHandlers(opts.Pools, opts.Users, opts.Auth, opts.Replicas, h.limits), identityHandlers(opts.Identities))
	if opts.STS != nil {
		h.sts = newSTSHandler(h, opts.STS)
	}
	return h
}

// buildOperations joins the generated operation tables with the engine
// methods that serve them.
func buildOperations(idpServe, identityServe map[string]handler) map[string]operation {
	ops := map[string]operation{}
	for _, op := range idp.Operations {
		ops[op.Service+"."+op.Name] = operation{Operation: op, scopeService: serviceIDP, handler: idpServe[op.Name], members: membersOf(op)}
	}
	for _, op := range identity.Operations {
		ops[op.Service+"."+op.Name] = operation{Operation: op, scopeService: serviceIdentity, handler: identityServe[op.Name], members: membersOf(op)}
	}
	return ops
}

// Implemented reports whether cognate serves the operation of the given
// service target prefix.
func (h *Handler) Implemented(service, name string) bool {
	op, ok := h.ops[service+"."+name]
	return ok && op.serve != nil
}

// newRequestID returns a random UUID in the form AWS request IDs take.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var id [36]byte
	hex.Encode(id[0:8], b[0:4])
	hex.Encode(id[9:13], b[4:6])
	hex.Encode(id[14:18], b[6:8])
	hex.Encode(id[19:23], b[8:10])
	hex.Encode(id[24:36], b[10:16])
	id[8], id[13], id[18], id[23] = '-', '-', '-', '-'
	return string(id[:])
}

// ServeHTTP handles one API request.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := h.clock()
	requestID := newRequestID()
	w.Header().Set("x-amzn-RequestId", requestID)
	if h.cors.apply(w, r) {
		return // a preflight, answered
	}
	if h.sts != nil && isSTSRequest(r) {
		h.sts.serve(w, r, requestID, start)
		return
	}
	if strings.HasPrefix(r.URL.Path, directory.ImportUploadPath) && h.opts.Users != nil {
		h.serveImport(w, r, requestID)
		return
	}
	if r.URL.Path != "/" && (r.Method != http.MethodPost || r.Header.Get("X-Amz-Target") == "") {
		// The JSON API lives at "/" (an SDK whose endpoint has a path posts
		// there with an X-Amz-Target, and is served). Anything else, such as
		// the hosted UI's and the OAuth endpoints' paths, which are not
		// served yet, is a page that does not exist, not a malformed API call.
		http.NotFound(w, r)
		return
	}
	service, name := "unknown", "unknown"
	var outcome string
	defer func() {
		if p := recover(); p != nil {
			h.log.Error("panic serving request", "request_id", requestID, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			ce := writeError(w, h.log, requestID, cognito.InternalErrorException("Internal error"))
			outcome = ce.Code
		}
		elapsed := h.clock().Sub(start)
		if h.observer != nil {
			h.observer.ObserveRequest(service, name, outcome, elapsed)
		}
		level := slog.LevelInfo
		if outcome != "success" && cognito.StatusFor(outcome) >= 500 {
			level = slog.LevelError
		}
		if h.log.Enabled(r.Context(), level) {
			h.log.LogAttrs(r.Context(), level, "request", slog.String("request_id", requestID), slog.String("service", service),
				slog.String("operation", name), slog.String("outcome", outcome),
				slog.Float64("duration_ms", float64(elapsed.Microseconds())/1000))
		}
	}()

	op, body, err := h.prepare(r, &service, &name)
	if err == nil {
		var out any
		out, err = h.run(r, op, body)
		if err == nil {
			writeOutput(w, out)
			outcome = "success"
			return
		}
	}
	outcome = writeError(w, h.log, requestID, err).Code
}

// prepare finds the operation and reads the body within the size limit.
func (h *Handler) prepare(r *http.Request, service, name *string) (operation, []byte, error) {
	if r.Method != http.MethodPost {
		return operation{}, nil, cognito.NewError(cognito.CodeUnknownOperationException, "Only POST requests are accepted.")
	}
	target := r.Header.Get("X-Amz-Target")
	op, ok := h.ops[target]
	if !ok {
		return operation{}, nil, cognito.NewError(cognito.CodeUnknownOperationException, fmt.Sprintf("Unknown operation: %q", target))
	}
	*service, *name = op.Service, op.Name
	limit := h.maxBody
	if brandingBodyOps[target] {
		limit = max(limit, brandingMaxBody)
	}
	if r.ContentLength > limit {
		return op, nil, cognito.NewError(cognito.CodeRequestEntityTooLargeException, fmt.Sprintf("Request body is larger than %d bytes.", limit))
	}
	body, err := readRequestBody(r, limit)
	if err != nil {
		return op, nil, cognito.NewError(cognito.CodeSerializationException, "The request body could not be read.")
	}
	if int64(len(body)) > limit {
		return op, nil, cognito.NewError(cognito.CodeRequestEntityTooLargeException, fmt.Sprintf("Request body is larger than %d bytes.", limit))
	}
	return op, body, nil
}

// readRequestBody reads r's body, up to limit+1 bytes (so that the caller sees
// one too many). A body whose length the request states is read into a
// buffer of that size at once rather than one grown as it is read.
func readRequestBody(r *http.Request, limit int64) ([]byte, error) {
	lr := io.LimitReader(r.Body, limit+1)
	if r.ContentLength <= 0 || r.ContentLength > limit {
		return io.ReadAll(lr)
	}
	body := make([]byte, r.ContentLength, r.ContentLength+1)
	if _, err := io.ReadFull(lr, body); err != nil {
		return nil, err
	}
	// net/http ends the body at ContentLength; the read that finds its end
	// is still made, so that a body that goes on is seen.
	n, err := lr.Read(body[len(body):cap(body)])
	body = body[:len(body)+n]
	if err != nil && err != io.EOF {
		return nil, err
	}
	if n > 0 {
		rest, err := io.ReadAll(lr)
		if err != nil {
			return nil, err
		}
		body = append(body, rest...)
	}
	return body, nil
}

// run authorizes, decodes, validates, applies the rate limits to and
// serves one request. The client address goes into the context, for the
// fair scheduling of password hashing and SRP.
func (h *Handler) run(r *http.Request, op operation, body []byte) (any, error) {
	addr := h.opts.TrustedProxies.ClientAddr(r.RemoteAddr, r.Header)
	ctx := ratelimit.WithClientAddr(r.Context(), addr)
	if err := h.protectAddress(ctx, op, addr); err != nil {
		return nil, err
	}
	caller, err := h.authorize(r, op, body)
	if err != nil {
		return nil, err
	}
	if op.Auth == cognito.AuthIAM {
		// A verified signature: its hashing waits its turn, unbounded.
		ctx = ratelimit.WithAuthenticated(ctx)
	}
	in := op.NewInput()
	if err := decode(body, in); err != nil {
		return nil, err
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	if op.Auth == cognito.AuthAccessToken {
		// The grant carries what authenticating the token read of its
		// pool and user (AccessGrant.Principal), so that the operation
		// does not read them again.
		if caller, err = h.authenticate(ctx, op.members.accessToken(in)); err != nil {
			return nil, err
		}
	}
	if caller.Region == "" {
		caller.Region = h.regionOfInput(op, in)
	}
	if err := h.checkReplica(ctx, op, in, caller); err != nil {
		return nil, err
	}
	if err := h.throttle(ctx, op, in, caller); err != nil {
		return nil, err
	}
	if err := h.protectUser(ctx, op, in, caller); err != nil {
		return nil, err
	}
	if op.serve == nil {
		return nil, cognito.UnsupportedOperationException(fmt.Sprintf("cognate does not implement %s yet.", op.Name))
	}
	// Whatever the operation writes, the change log says who asked.
	ctx = storage.WithActor(ctx, actorOf(op, caller))
	return op.serve(ctx, caller, in)
}

// checkReplica refuses an end-user request (a user-pool operation no
// signature authorizes: InitiateAuth, SignUp, GetUser, …) for a pool whose
// replica in this region does not serve end users (CREATING or INACTIVE,
// replication.Replicas.ServesEndUsers). The pool is the verified access
// token's, or the one the input names, or its app client's, or, for an
// operation a sign-in's Session alone authorizes (AssociateSoftwareToken
// and VerifySoftwareToken during MFA_SETUP), the Session's. Administrator
// operations, which a signature authorizes, are not checked.
func (h *Handler) checkReplica(ctx context.Context, op operation, in cognito.Input, caller cognito.Caller) error {
	if op.scopeService != serviceIDP || op.Auth == cognito.AuthIAM || !h.opts.Replicas.Replicated() {
		return nil
	}
	var pool string
	switch {
	case caller.Access != nil:
		pool = caller.Access.PoolID
	case validPoolID(op.members.userPoolID(in)):
		pool = op.members.userPoolID(in)
	case op.members.clientID(in) != "":
		pool = h.clientPools.poolOf(ctx, op.members.clientID(in))
	case op.members.session(in) != "" && h.opts.Auth != nil:
		pool = h.opts.Auth.SessionPool(op.members.session(in))
	}
	return h.opts.Replicas.ServesEndUsers(ctx, pool)
}

// authorize checks the caller. IAM-authorized operations need a valid SigV4
// signature whose scope names this operation's service and an allowed
// region; that region is the caller's region. Unsigned operations find
// their region later, from the input.
func (h *Handler) authorize(r *http.Request, op operation, body []byte) (cognito.Caller, error) {
	if op.Auth != cognito.AuthIAM {
		return cognito.Caller{}, nil
	}
	scope, cerr := h.sig.Verify(r, body)
	if cerr != nil {
		return cognito.Caller{}, cerr
	}
	if scope.Service != op.scopeService {
		return cognito.Caller{}, cognito.NewError(cognito.CodeInvalidSignatureException,
			fmt.Sprintf("Credential should be scoped to correct service: '%s'. ", op.scopeService))
	}
	if !h.regionAllowed(scope.Region) {
		return cognito.Caller{}, cognito.NewError(cognito.CodeInvalidSignatureException, "Credential should be scoped to a valid region. ")
	}
	return cognito.Caller{Region: scope.Region, AccessKeyID: scope.AccessKeyID}, nil
}

// authenticate checks token, the AccessToken member of an access-token
// operation's input, with the sign-in engine, which refuses a token that is
// invalid, expired or revoked, or whose user is gone or disabled. The
// caller is the token's user, in its pool's region.
func (h *Handler) authenticate(ctx context.Context, token string) (cognito.Caller, error) {
	if h.opts.Auth == nil || token == "" {
		return cognito.Caller{}, cognito.NotAuthorizedException("Invalid Access Token")
	}
	grant, err := h.opts.Auth.AuthenticateAccessToken(ctx, token)
	if err != nil {
		return cognito.Caller{}, err
	}
	region := cognito.RegionOfPoolID(grant.PoolID)
	if !h.regionAllowed(region) {
		return cognito.Caller{}, cognito.NotAuthorizedException("Invalid Access Token")
	}
	return cognito.Caller{Region: region, Access: grant}, nil
}

func (h *Handler) regionAllowed(region string) bool {
	return cognito.ValidRegion(region) && (len(h.opts.Regions) == 0 || slices.Contains(h.opts.Regions, region))
}

// regionOfInput returns the region an unsigned request addresses: the
// region part of its UserPoolId (or IdentityPoolId) member.
func (h *Handler) regionOfInput(op operation, in cognito.Input) string {
	if r := cognito.RegionOfPoolID(op.members.userPoolID(in)); r != "" && h.regionAllowed(r) {
		return r
	}
	// Identity pool IDs are <region>:<uuid>.
	if r, _, ok := strings.Cut(op.members.identityPoolID(in), ":"); ok && h.regionAllowed(r) {
		return r
	}
	return ""
}

// decode reads a JSON body into in. An empty body is an empty object.
// Malformed JSON and members of the wrong type are SerializationException,
// naming the member where the decoder knows it. So are a body that is not
// valid UTF-8 and a \u escape of half a UTF-16 surrogate pair, which
// encoding/json would otherwise quietly turn into U+FFFD: the request would
// then be served with a value other than the one sent (RFC 8259 sections 8.1
// and 8.2).
func decode(body []byte, in any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	if !utf8.Valid(body) {
		return cognito.NewError(cognito.CodeSerializationException,
			fmt.Sprintf("The request body is not valid UTF-8 (at byte %d).", invalidUTF8At(body)))
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(in); err != nil {
		return serializationError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return cognito.NewError(cognito.CodeSerializationException, "Unexpected content after the JSON object.")
	}
	if at := unpairedSurrogateAt(body); at >= 0 {
		return cognito.NewError(cognito.CodeSerializationException,
			fmt.Sprintf("The request body has an unpaired UTF-16 surrogate escape (at byte %d).", at))
	}
	return nil
}

// invalidUTF8At returns the offset of the first byte of body that does not
// start a valid UTF-8 sequence.
func invalidUTF8At(body []byte) int {
	for i := 0; i < len(body); {
		r, n := utf8.DecodeRune(body[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return len(body)
}

// unpairedSurrogateAt returns the offset of the first \u escape in body
// that is half a UTF-16 surrogate pair without its other half, or -1. body
// is JSON the decoder accepted, so every backslash starts an escape inside
// a string, and a \u escape has four hex digits.
func unpairedSurrogateAt(body []byte) int {
	hex4 := func(i int) rune {
		if i+6 > len(body) || body[i] != '\\' || body[i+1] != 'u' {
			return -1
		}
		var r rune
		for _, c := range body[i+2 : i+6] {
			switch {
			case '0' <= c && c <= '9':
				r = r<<4 | rune(c-'0')
			case 'a' <= c && c <= 'f':
				r = r<<4 | rune(c-'a'+10)
			case 'A' <= c && c <= 'F':
				r = r<<4 | rune(c-'A'+10)
			default:
				return -1
			}
		}
		return r
	}
	for i := 0; i < len(body); {
		j := bytes.IndexByte(body[i:], '\\')
		if j < 0 {
			return -1
		}
		i += j
		r := hex4(i)
		switch {
		case r < 0:
			i += 2 // another escape: \", \\, \n, ...
		case 0xD800 <= r && r < 0xDC00:
			if lo := hex4(i + 6); lo < 0xDC00 || lo > 0xDFFF {
				return i
			}
			i += 12
		case 0xDC00 <= r && r <= 0xDFFF:
			return i
		default:
			i += 6
		}
	}
	return -1
}

func serializationError(err error) error {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr) && typeErr.Field != "":
		return cognito.NewError(cognito.CodeSerializationException,
			fmt.Sprintf("Unexpected value type for member '%s': expected %s, got %s.", typeErr.Field, jsonKind(typeErr.Type.String()), typeErr.Value))
	case errors.As(err, &typeErr):
		return cognito.NewError(cognito.CodeSerializationException, fmt.Sprintf("Expected a JSON object, got %s.", typeErr.Value))
	case errors.As(err, &syntaxErr):
		return cognito.NewError(cognito.CodeSerializationException, fmt.Sprintf("The request body is not valid JSON (at byte %d).", syntaxErr.Offset))
	}
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "json: ")
	return cognito.NewError(cognito.CodeSerializationException, "The request body could not be read: "+msg)
}

// jsonKind names a Go type by the JSON kind it decodes from.
func jsonKind(goType string) string {
	t := strings.TrimLeft(goType, "*")
	switch {
	case t == "string" || strings.HasSuffix(t, "Type") && !strings.Contains(t, "."):
		return "string"
	case strings.HasPrefix(t, "int") || strings.HasPrefix(t, "float") || strings.HasPrefix(t, "uint"):
		return "number"
	case t == "bool":
		return "boolean"
	case strings.HasPrefix(t, "[]"):
		return "list"
	case strings.HasPrefix(t, "map"):
		return "map"
	case strings.HasSuffix(t, "Timestamp"):
		return "timestamp"
	}
	return "structure"
}

// writeOutput writes a successful response.
func writeOutput(w http.ResponseWriter, out any) {
	body, err := json.Marshal(out)
	if err != nil {
		body = []byte("{}")
	}
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}
