package api

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/ratelimit"
	"github.com/cognate-dev/cognate/internal/sts"
	"github.com/cognate-dev/cognate/internal/sts/local"
)

// The STS query protocol: a form-encoded POST (or a GET) with Action and
// Version parameters, answered in XML in STS's namespace, errors as an
// ErrorResponse. It is served at the same URL as the Cognito JSON API, so
// that one endpoint URL serves the three services; a request is STS's when
// it names no X-Amz-Target and carries an Action parameter or a form body.
const (
	stsVersion     = "2011-06-15"
	stsNamespace   = "https://sts.amazonaws.com/doc/2011-06-15/"
	serviceSTS     = "sts"
	formURLEncoded = "application/x-www-form-urlencoded"
)

// stsActions are STS's actions, in the order of its API reference, with
// what authorizes each: cognate's STS serves AssumeRoleWithWebIdentity
// and GetCallerIdentity and refuses the others as not implemented rather
// than as unknown.
var stsActions = []struct {
	name, auth  string
	implemented bool
}{
	{"AssumeRole", "IAM", false},
	{"AssumeRoleWithSAML", "public", false},
	{"AssumeRoleWithWebIdentity", "public (the web identity token)", true},
	{"AssumeRoot", "IAM", false},
	{"DecodeAuthorizationMessage", "IAM", false},
	{"GetAccessKeyInfo", "IAM", false},
	{"GetCallerIdentity", "IAM (the admin key, or temporary credentials with their session token)", true},
	{"GetDelegatedAccessToken", "IAM", false},
	{"GetFederationToken", "IAM", false},
	{"GetSessionToken", "IAM", false},
	{"GetWebIdentityToken", "IAM", false},
}

func knownSTSAction(name string) bool {
	for _, a := range stsActions {
		if a.name == name {
			return true
		}
	}
	return false
}

// isSTSRequest reports whether r is an STS query-protocol request.
func isSTSRequest(r *http.Request) bool {
	if r.Header.Get("X-Amz-Target") != "" || r.URL.Path != "/" {
		return false
	}
	if r.URL.Query().Has("Action") {
		return true
	}
	if r.Method != http.MethodPost {
		return false
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == formURLEncoded
}

// stsHandler serves the STS query protocol with cognate's own STS.
type stsHandler struct {
	h   *Handler
	svc *local.Service
	sig *SigV4Verifier
}

// stsSessionKey holds, in a request's context, the temporary credentials
// the signature check looked up, so that they are read once.
type stsSessionKey struct{}

type stsSessionHolder struct {
	sess *local.Session
	err  error
}

func newSTSHandler(h *Handler, svc *local.Service) *stsHandler {
	s := &stsHandler{h: h, svc: svc}
	s.sig = &SigV4Verifier{
		LookupContext: func(ctx context.Context, id string) (string, bool) {
			if secret, ok := h.opts.Credentials[id]; ok {
				return secret, true
			}
			sess, err := svc.Session(ctx, id)
			if hold, ok := ctx.Value(stsSessionKey{}).(*stsSessionHolder); ok {
				hold.sess, hold.err = sess, err
			}
			if err != nil {
				return "", false
			}
			return sess.Secret(), true
		},
		Services:           []string{serviceSTS},
		Now:                h.clock,
		AcceptAnySignature: h.opts.AcceptAnySignature,
	}
	return s
}

// serve answers one STS request; requestID is already in the response
// headers.
func (s *stsHandler) serve(w http.ResponseWriter, r *http.Request, requestID string, start time.Time) {
	action, outcome := "unknown", ""
	defer func() {
		if p := recover(); p != nil {
			s.h.log.Error("panic serving request", "request_id", requestID, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			outcome = writeSTSError(w, s.h.log, requestID, errors.New("panic")).Code
		}
		elapsed := s.h.clock().Sub(start)
		if s.h.observer != nil {
			s.h.observer.ObserveRequest(serviceSTS, action, outcome, elapsed)
		}
		level := slog.LevelInfo
		if outcome != "success" && outcome == sts.CodeInternalFailure {
			level = slog.LevelError
		}
		if s.h.log.Enabled(r.Context(), level) {
			s.h.log.Log(r.Context(), level, "request", "request_id", requestID, "service", serviceSTS, "operation", action,
				"outcome", outcome, "duration_ms", float64(elapsed.Microseconds())/1000)
		}
	}()
	out, err := s.run(r, &action)
	if err != nil {
		outcome = writeSTSError(w, s.h.log, requestID, err).Code
		return
	}
	writeSTSOutput(w, action, out, requestID)
	outcome = "success"
}

// run reads the parameters, finds the action and serves it.
func (s *stsHandler) run(r *http.Request, action *string) (any, error) {
	if r.Method != http.MethodPost && r.Method != http.MethodGet {
		return nil, sts.NewError(sts.CodeInvalidAction, "Only GET and POST requests are accepted.")
	}
	if r.ContentLength > s.h.maxBody {
		return nil, sts.Errorf(sts.CodeRequestEntityTooLarge, "Request body is larger than %d bytes.", s.h.maxBody)
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, s.h.maxBody+1))
	if err != nil {
		return nil, sts.NewError(sts.CodeMalformedQueryString, "The request body could not be read.")
	}
	if int64(len(body)) > s.h.maxBody {
		return nil, sts.Errorf(sts.CodeRequestEntityTooLarge, "Request body is larger than %d bytes.", s.h.maxBody)
	}
	params, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, sts.NewError(sts.CodeMalformedQueryString, "The query string is malformed.")
	}
	if len(body) > 0 {
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, sts.NewError(sts.CodeMalformedQueryString, "The request body is not a valid form.")
		}
		for k, v := range form {
			params[k] = append(params[k], v...)
		}
	}
	for k, v := range params {
		if len(v) > 1 {
			return nil, sts.Errorf(sts.CodeMalformedQueryString, "The parameter %s is given more than once.", sigV4Echo(k))
		}
	}
	name := params.Get("Action")
	if name == "" {
		return nil, sts.NewError(sts.CodeMissingAction, "The request must contain the parameter Action.")
	}
	if v := params.Get("Version"); v != "" && v != stsVersion {
		return nil, sts.Errorf(sts.CodeInvalidAction, "Could not find operation %s for version %s", sigV4Echo(name), sigV4Echo(v))
	}
	switch name {
	case "AssumeRoleWithWebIdentity":
		*action = name
		return s.assumeRoleWithWebIdentity(r, params)
	case "GetCallerIdentity":
		*action = name
		return s.getCallerIdentity(r, body)
	}
	if knownSTSAction(name) {
		*action = name
		return nil, sts.Errorf(sts.CodeInvalidAction, "cognate's STS does not implement %s.", name)
	}
	return nil, sts.Errorf(sts.CodeInvalidAction, "Could not find operation %s for version %s", sigV4Echo(name), stsVersion)
}

// assumeRoleWithWebIdentityResult is the answer's Result element.
type assumeRoleWithWebIdentityResult struct {
	XMLName                     xml.Name        `xml:"AssumeRoleWithWebIdentityResult"`
	SubjectFromWebIdentityToken string          `xml:"SubjectFromWebIdentityToken"`
	Audience                    string          `xml:"Audience"`
	AssumedRoleUser             assumedRoleUser `xml:"AssumedRoleUser"`
	Credentials                 xmlCredentials  `xml:"Credentials"`
	Provider                    string          `xml:"Provider"`
	PackedPolicySize            *int32          `xml:"PackedPolicySize,omitempty"`
}

type assumedRoleUser struct {
	Arn           string `xml:"Arn"`
	AssumedRoleID string `xml:"AssumedRoleId"`
}

type xmlCredentials struct {
	AccessKeyID     string `xml:"AccessKeyId"`
	SecretAccessKey string `xml:"SecretAccessKey"`
	SessionToken    string `xml:"SessionToken"`
	Expiration      string `xml:"Expiration"`
}

// AssumeRoleWithWebIdentity is authorized by its token, not a signature
// (any Authorization header is ignored, as STS does), so anyone may call
// it: the per-address protective limit applies.
func (s *stsHandler) assumeRoleWithWebIdentity(r *http.Request, p url.Values) (any, error) {
	addr := s.h.opts.TrustedProxies.ClientAddr(r.RemoteAddr, r.Header)
	if !s.h.protect.AllowAddress(addr) {
		return nil, sts.NewError(sts.CodeThrottling, "Rate exceeded")
	}
	for _, unsupported := range []string{"Policy", "PolicyArns.member.1", "ProviderId"} {
		if p.Get(unsupported) != "" {
			return nil, sts.Errorf(sts.CodeValidationError, "cognate's STS does not support the parameter %s.", unsupported)
		}
	}
	in := local.AssumeRoleInput{
		RoleARN:          p.Get("RoleArn"),
		RoleSessionName:  p.Get("RoleSessionName"),
		WebIdentityToken: p.Get("WebIdentityToken"),
	}
	if d := p.Get("DurationSeconds"); d != "" {
		n, err := strconv.ParseInt(d, 10, 32)
		if err != nil {
			return nil, sts.Errorf(sts.CodeValidationError,
				"1 validation error detected: Value '%s' at 'durationSeconds' failed to satisfy constraint: Member must be a number", sigV4Echo(d))
		}
		if n == 0 {
			n = -1 // an explicit 0 is below the minimum, not "none"
		}
		in.DurationSeconds = n
	}
	res, err := s.svc.AssumeRole(ratelimit.WithClientAddr(r.Context(), addr), in)
	if err != nil {
		return nil, err
	}
	out := assumeRoleWithWebIdentityResult{
		SubjectFromWebIdentityToken: res.Subject,
		Audience:                    res.Audience,
		AssumedRoleUser:             assumedRoleUser{Arn: res.AssumedRoleARN, AssumedRoleID: res.AssumedRoleID},
		Credentials: xmlCredentials{
			AccessKeyID: res.Credentials.AccessKeyID, SecretAccessKey: res.Credentials.SecretAccessKey,
			SessionToken: res.Credentials.SessionToken, Expiration: res.Credentials.Expiration.UTC().Format(time.RFC3339),
		},
		Provider: res.Provider,
	}
	if res.PackedPolicySize > 0 {
		out.PackedPolicySize = &res.PackedPolicySize
	}
	return out, nil
}

type getCallerIdentityResult struct {
	XMLName xml.Name `xml:"GetCallerIdentityResult"`
	Arn     string   `xml:"Arn"`
	UserID  string   `xml:"UserId"`
	Account string   `xml:"Account"`
}

// getCallerIdentity answers who signed the request: the assumed role of
// temporary credentials (whose session token must be the one minted with
// them, and which must not have expired), or the account's root for the
// admin key.
func (s *stsHandler) getCallerIdentity(r *http.Request, body []byte) (any, error) {
	hold := &stsSessionHolder{}
	r = r.WithContext(context.WithValue(r.Context(), stsSessionKey{}, hold))
	scope, cerr := s.sig.Verify(r, body)
	if cerr != nil {
		if hold.err != nil && !errors.Is(hold.err, sts.NewError(sts.CodeInvalidClientTokenID, "")) {
			return nil, hold.err // the store failed
		}
		return nil, stsSignatureError(cerr)
	}
	if !s.h.regionAllowed(scope.Region) {
		return nil, sts.NewError(sts.CodeSignatureDoesNotMatch, "Credential should be scoped to a valid region.")
	}
	if _, admin := s.h.opts.Credentials[scope.AccessKeyID]; admin || (s.h.opts.AcceptAnySignature && !local.IsTemporaryAccessKey(scope.AccessKeyID)) {
		return getCallerIdentityResult{
			Arn: "arn:aws:iam::" + s.h.opts.AccountID + ":root", UserID: s.h.opts.AccountID, Account: s.h.opts.AccountID,
		}, nil
	}
	sess := hold.sess
	if sess == nil {
		// Only when any signature is accepted: the lookup was skipped.
		var err error
		if sess, err = s.svc.Session(r.Context(), scope.AccessKeyID); err != nil {
			return nil, err
		}
	}
	if err := s.svc.Authenticate(sess, r.Header.Get("X-Amz-Security-Token")); err != nil {
		return nil, err
	}
	return getCallerIdentityResult{Arn: sess.AssumedRoleARN, UserID: sess.AssumedRoleID, Account: sess.Account}, nil
}

// stsSignatureError maps the signature check's error onto STS's code for
// it, keeping the message.
func stsSignatureError(ce *cognito.Error) error {
	code := sts.CodeSignatureDoesNotMatch
	switch ce.Code {
	case cognito.CodeMissingAuthenticationTokenException:
		code = sts.CodeMissingAuthenticationToken
	case cognito.CodeIncompleteSignatureException:
		code = sts.CodeIncompleteSignature
	case cognito.CodeUnrecognizedClientException:
		code = sts.CodeInvalidClientTokenID
	}
	return sts.NewError(code, ce.Message)
}

// stsErrorResponse is STS's XML error body.
type stsErrorResponse struct {
	XMLName xml.Name `xml:"ErrorResponse"`
	Xmlns   string   `xml:"xmlns,attr"`
	Error   struct {
		Type    string `xml:"Type"`
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	} `xml:"Error"`
	RequestID string `xml:"RequestId"`
}

// writeSTSError writes err as STS does. Anything but an *sts.Error
// becomes InternalFailure; its cause is logged and never sent.
func writeSTSError(w http.ResponseWriter, log *slog.Logger, requestID string, err error) *sts.Error {
	var se *sts.Error
	if !errors.As(err, &se) {
		se = sts.NewError(sts.CodeInternalFailure, "An internal error occurred.").WithCause(err)
	}
	if se.Status >= 500 {
		log.Error("request failed", "request_id", requestID, "error_type", se.Code, "error", err)
	}
	var body stsErrorResponse
	body.Xmlns = stsNamespace
	body.Error.Type = "Sender"
	if !se.Sender() {
		body.Error.Type = "Receiver"
	}
	body.Error.Code, body.Error.Message, body.RequestID = se.Code, se.Message, requestID
	out, _ := xml.Marshal(body)
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(se.Status)
	_, _ = w.Write(append([]byte(xml.Header), out...))
	return se
}

// writeSTSOutput writes <Action>Response with the result and the request
// ID.
func writeSTSOutput(w http.ResponseWriter, action string, result any, requestID string) {
	res, err := xml.Marshal(result)
	if err != nil {
		res = nil
	}
	var b strings.Builder
	b.WriteString(xml.Header)
	fmt.Fprintf(&b, `<%sResponse xmlns="%s">`, action, stsNamespace)
	b.Write(res)
	b.WriteString("<ResponseMetadata><RequestId>")
	_ = xml.EscapeText(&b, []byte(requestID))
	fmt.Fprintf(&b, "</RequestId></ResponseMetadata></%sResponse>", action)
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, b.String())
}
