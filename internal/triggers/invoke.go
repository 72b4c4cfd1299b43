package triggers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path"
	"reflect"
	"time"

	"github.com/cognate-dev/cognate/internal/cognito"
)

// Defaults are Cognito's: each attempt has 5 seconds, and a call that can
// be retried is tried three times in all. Cognito documents that it invokes
// triggers synchronously, waits 5 seconds for an answer, and retries a call
// that can be retried until three attempts have failed.
const (
	DefaultTimeout  = 5 * time.Second
	DefaultAttempts = 3
	// DefaultMaxResponseBytes is the largest answer read: the limit of a
	// synchronous Lambda invocation's response payload (6 MB).
	DefaultMaxResponseBytes = 6 << 20
)

// Outcomes of an invocation, as Observe and the log name them.
const (
	OutcomeSuccess         = "success"
	OutcomeFunctionError   = "function_error"
	OutcomeInvalidResponse = "invalid_response"
	OutcomeTimeout         = "timeout"
	OutcomeUnreachable     = "unreachable"
)

// Options configures an Invoker.
type Options struct {
	// Lambda invokes the functions no Route names, through the Lambda
	// Invoke API (NewLambda); nil leaves them unreachable.
	Lambda Transport
	// Routes reach the functions whose ARN they match, the first match
	// winning, before Lambda.
	Routes []Route
	// Timeout bounds each attempt; zero means DefaultTimeout.
	Timeout time.Duration
	// Attempts is how many times a call that times out or cannot reach the
	// function is tried; zero means DefaultAttempts.
	Attempts int
	// MaxResponseBytes bounds the answer; zero means
	// DefaultMaxResponseBytes.
	MaxResponseBytes int
	// Logger receives one line per invocation; nil discards them.
	Logger *slog.Logger
	// Observe, when not nil, is told of every invocation: the trigger,
	// one of the Outcome values, and the time taken over all attempts.
	Observe func(trigger, outcome string, elapsed time.Duration)
	// KMS generates the data keys of the codes custom sender functions
	// receive (EncryptCode); nil leaves those functions uncallable.
	KMS *KMS
}

// Route reaches the functions whose ARN matches Pattern (path.Match
// syntax: "arn:aws:lambda:*:*:function:orders-*"; an ARN without wildcards
// matches only itself) through Transport.
type Route struct {
	Pattern   string
	Transport Transport
}

// Transport carries one attempt of an invocation to a function.
type Transport interface {
	// Invoke sends payload to the function arn and returns its answer. A
	// function that ran and returned an error gives a *FunctionError; a
	// function that could not be reached, or did not answer, any other
	// error (Retryable says whether to try again).
	Invoke(ctx context.Context, arn string, payload []byte) ([]byte, error)
}

// FunctionError is an error the function itself returned: the
// errorMessage and errorType of Lambda's error shape.
type FunctionError struct {
	Message, Type string
}

func (e *FunctionError) Error() string { return "function error: " + e.Type + ": " + e.Message }

// unreachableError is a failure to reach a function or to get its answer:
// Reason is what Cognito's message names ("<Trigger> invocation failed due
// to error <Reason>."), Retry whether another attempt may succeed.
type unreachableError struct {
	Reason string
	Retry  bool
	cause  error
}

func (e *unreachableError) Error() string {
	if e.cause != nil {
		return e.Reason + ": " + e.cause.Error()
	}
	return e.Reason
}

func (e *unreachableError) Unwrap() error { return e.cause }

// reasonTimeout is Cognito's reason for a function that did not answer in
// time.
const reasonTimeout = "Socket timeout while invoking Lambda function"

// Invoker invokes trigger functions. It is safe for concurrent use.
type Invoker struct {
	lambda   Transport
	routes   []Route
	timeout  time.Duration
	attempts int
	maxResp  int
	log      *slog.Logger
	observe  func(trigger, outcome string, elapsed time.Duration)
	kms      *KMS
}

// New returns an Invoker, or an error when a route's pattern is malformed.
func New(opts Options) (*Invoker, error) {
	for i, r := range opts.Routes {
		if _, err := path.Match(r.Pattern, ""); err != nil {
			return nil, fmt.Errorf("triggers: route %d: pattern %q: %w", i, r.Pattern, err)
		}
		if r.Transport == nil {
			return nil, fmt.Errorf("triggers: route %d (%s): no transport", i, r.Pattern)
		}
	}
	iv := &Invoker{
		lambda: opts.Lambda, routes: opts.Routes, timeout: opts.Timeout, attempts: opts.Attempts,
		maxResp: opts.MaxResponseBytes, log: opts.Logger, observe: opts.Observe, kms: opts.KMS,
	}
	if iv.timeout <= 0 {
		iv.timeout = DefaultTimeout
	}
	if iv.attempts <= 0 {
		iv.attempts = DefaultAttempts
	}
	if iv.maxResp <= 0 {
		iv.maxResp = DefaultMaxResponseBytes
	}
	if iv.log == nil {
		iv.log = slog.New(slog.DiscardHandler)
	}
	return iv, nil
}

// transport is the transport that reaches arn, nil when none does.
func (iv *Invoker) transport(arn string) Transport {
	for _, r := range iv.routes {
		if ok, _ := path.Match(r.Pattern, arn); ok {
			return r.Transport
		}
	}
	return iv.lambda
}

// Invoke sends event (one of the events types, filled in) to the function
// arn as trigger (the LambdaConfig member's name: "PreAuthentication",
// "PreTokenGeneration", …) and decodes the function's answer into out
// (usually event itself: functions answer with the event they were given,
// its response filled in). out is written only when the answer decodes
// whole; the error is a Cognito exception.
func (iv *Invoker) Invoke(ctx context.Context, trigger, arn string, event, out any) error {
	return iv.invoke(ctx, trigger, arn, event, out, false)
}

// Notify sends event to the function arn as trigger, as Invoke does, and
// ignores whatever the function answers, as Cognito ignores the answers of
// the custom sender functions (whose handlers usually return nothing). Its
// error is the function's error or a failure to reach it.
func (iv *Invoker) Notify(ctx context.Context, trigger, arn string, event any) error {
	return iv.invoke(ctx, trigger, arn, event, nil, true)
}

func (iv *Invoker) invoke(ctx context.Context, trigger, arn string, event, out any, ignoreAnswer bool) error {
	payload, err := json.Marshal(event)
	if err != nil {
		return cognito.InternalErrorException("Internal error").WithCause(fmt.Errorf("encode %s event: %w", trigger, err))
	}
	start := time.Now()
	tctx := context.WithValue(context.WithValue(ctx, triggerKey{}, trigger), maxAnswerKey{}, iv.maxResp)
	answer, attempts, err := iv.call(tctx, arn, payload)
	outcome := OutcomeSuccess
	var result error
	var fe *FunctionError
	var ue *unreachableError
	switch {
	case errors.As(err, &fe):
		outcome = OutcomeFunctionError
		result = cognito.UserLambdaValidationException(fmt.Sprintf("%s failed with error %s.", trigger, fe.Message)).WithCause(err)
	case errors.As(err, &ue):
		outcome = OutcomeUnreachable
		if ue.Reason == reasonTimeout {
			outcome = OutcomeTimeout
		}
		result = cognito.UnexpectedLambdaException(fmt.Sprintf("%s invocation failed due to error %s.", trigger, ue.Reason)).WithCause(err)
	case err != nil:
		outcome = OutcomeUnreachable
		result = cognito.UnexpectedLambdaException(fmt.Sprintf("%s invocation failed due to error %s.", trigger, "Unknown")).WithCause(err)
	case ignoreAnswer:
	case len(answer) > iv.maxResp:
		outcome = OutcomeInvalidResponse
		result = invalidResponse(fmt.Errorf("answer of %d bytes exceeds %d", len(answer), iv.maxResp))
	default:
		if derr := decodeAnswer(answer, out); derr != nil {
			outcome = OutcomeInvalidResponse
			result = invalidResponse(derr)
		}
	}
	elapsed := time.Since(start)
	level := slog.LevelInfo
	if result != nil {
		level = slog.LevelWarn
	}
	attrs := []any{"trigger", trigger, "arn", arn, "outcome", outcome, "attempts", attempts, "duration", elapsed}
	if err != nil {
		attrs = append(attrs, "err", err)
	}
	iv.log.Log(ctx, level, "trigger invoked", attrs...)
	if iv.observe != nil {
		iv.observe(trigger, outcome, elapsed)
	}
	return result
}

func invalidResponse(cause error) error {
	return cognito.InvalidLambdaResponseException("Unrecognizable lambda output").WithCause(cause)
}

// decodeAnswer decodes a function's answer into out: a JSON object whose
// members have the event type's types. Members the type does not have are
// ignored, as Cognito ignores them.
func decodeAnswer(answer []byte, out any) error {
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(answer, &probe); err != nil {
		return fmt.Errorf("decode answer: %w", err)
	}
	if probe == nil {
		return errors.New("decode answer: null")
	}
	if out == nil {
		return nil
	}
	// Decode into a fresh value, so that out is written only when the
	// whole answer decodes.
	dst := reflect.ValueOf(out)
	if dst.Kind() != reflect.Pointer || dst.IsNil() {
		return fmt.Errorf("decode answer: out is %T, not a pointer", out)
	}
	fresh := reflect.New(dst.Elem().Type())
	if err := json.Unmarshal(answer, fresh.Interface()); err != nil {
		return fmt.Errorf("decode answer: %w", err)
	}
	dst.Elem().Set(fresh.Elem())
	return nil
}

// call runs the attempts of one invocation: it returns the answer, the
// number of attempts made, and the last attempt's error.
func (iv *Invoker) call(ctx context.Context, arn string, payload []byte) ([]byte, int, error) {
	t := iv.transport(arn)
	if t == nil {
		return nil, 0, &unreachableError{Reason: "ResourceNotFoundException", cause: fmt.Errorf("no transport reaches %s", arn)}
	}
	var err error
	for i := 1; i <= iv.attempts; i++ {
		var answer []byte
		answer, err = iv.attempt(ctx, t, arn, payload)
		if err == nil {
			return answer, i, nil
		}
		var ue *unreachableError
		if !errors.As(err, &ue) || !ue.Retry || ctx.Err() != nil {
			return nil, i, err
		}
	}
	return nil, iv.attempts, err
}

// attempt runs one attempt under the per-attempt timeout, and turns a
// timeout or a network failure into an unreachableError.
func (iv *Invoker) attempt(ctx context.Context, t Transport, arn string, payload []byte) ([]byte, error) {
	actx, cancel := context.WithTimeout(ctx, iv.timeout)
	defer cancel()
	answer, err := t.Invoke(actx, arn, payload)
	if err == nil {
		return answer, nil
	}
	var fe *FunctionError
	var ue *unreachableError
	switch {
	case errors.As(err, &fe), errors.As(err, &ue):
		return nil, err
	case errors.Is(err, context.DeadlineExceeded) || actx.Err() != nil:
		return nil, &unreachableError{Reason: reasonTimeout, Retry: true, cause: err}
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return nil, &unreachableError{Reason: reasonTimeout, Retry: true, cause: err}
	}
	return nil, &unreachableError{Reason: "ServiceException", Retry: true, cause: err}
}
