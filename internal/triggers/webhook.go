package triggers

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// The webhook contract. cognate POSTs the event's JSON, exactly what the
// Invoke API would carry, with these headers:
//
//	Content-Type: application/json
//	X-Cognate-Trigger: PreAuthentication            (the LambdaConfig member)
//	X-Cognate-Function-Arn: arn:aws:lambda:…        (the ARN the pool names)
//	X-Cognate-Signature: t=<unix seconds>,sha256=<hex HMAC-SHA256 of "<t>.<body>">
//
// and the receiver answers 200 with the answer's JSON (the event with its
// response filled in). A function error is answered 200 with the header
// X-Amz-Function-Error: Unhandled and Lambda's error shape
// {"errorMessage": "…", "errorType": "…"}, as the Invoke API does. 429 and
// 5xx are retried; any other status is an unreachable function.
const (
	WebhookSignatureHeader     = "X-Cognate-Signature"
	WebhookTriggerHeader       = "X-Cognate-Trigger"
	WebhookFunctionARNHeader   = "X-Cognate-Function-Arn"
	WebhookFunctionErrorHeader = "X-Amz-Function-Error"
)

// DefaultSignatureTolerance is how old (or how far in the future) a
// signature's timestamp may be for VerifyWebhookSignature.
const DefaultSignatureTolerance = 5 * time.Minute

// WebhookTransport invokes functions by POSTing the event to a URL.
type WebhookTransport struct {
	url    string
	secret []byte
	client *http.Client
	now    func() time.Time
}

// WebhookConfig configures a WebhookTransport.
type WebhookConfig struct {
	// URL receives the events: https, or http toward a loopback address.
	URL string
	// Secret keys the signature (at least 16 bytes).
	Secret string
	// Client, when not nil, is the HTTP client to copy (its transport, TLS
	// settings); redirects are never followed.
	Client *http.Client
}

// NewWebhook checks cfg and returns a transport for it.
func NewWebhook(cfg WebhookConfig) (*WebhookTransport, error) {
	if err := checkWebhookURL(cfg.URL); err != nil {
		return nil, fmt.Errorf("triggers: webhook: %w", err)
	}
	if len(cfg.Secret) < 16 {
		return nil, errors.New("triggers: webhook: secret must be at least 16 bytes")
	}
	client := &http.Client{}
	if cfg.Client != nil {
		c := *cfg.Client
		client = &c
	}
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &WebhookTransport{url: cfg.URL, secret: []byte(cfg.Secret), client: client, now: time.Now}, nil
}

func checkWebhookURL(u string) error {
	p, err := url.Parse(u)
	if err != nil || p.Host == "" {
		return fmt.Errorf("url %q is not an absolute URL", u)
	}
	switch p.Scheme {
	case "https":
		return nil
	case "http":
		h := p.Hostname()
		if ip := net.ParseIP(h); strings.EqualFold(h, "localhost") || (ip != nil && ip.IsLoopback()) {
			return nil
		}
		return fmt.Errorf("url %q must be https (http is allowed only toward localhost)", u)
	}
	return fmt.Errorf("url %q must be https", u)
}

// SignWebhook returns the WebhookSignatureHeader value for body sent at t.
func SignWebhook(secret []byte, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",sha256=" + hex.EncodeToString(webhookMAC(secret, ts, body))
}

func webhookMAC(secret []byte, ts string, body []byte) []byte {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(ts))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return mac.Sum(nil)
}

// VerifyWebhookSignature reports whether header signs body under secret
// with a timestamp within tolerance of now. It compares in constant time.
func VerifyWebhookSignature(secret, body []byte, header string, now time.Time, tolerance time.Duration) bool {
	var ts, sig string
	for part := range strings.SplitSeq(header, ",") {
		k, v, _ := strings.Cut(part, "=")
		switch k {
		case "t":
			ts = v
		case "sha256":
			sig = v
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return false
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return false
	}
	got, err := hex.DecodeString(sig)
	if err != nil {
		return false
	}
	return hmac.Equal(got, webhookMAC(secret, ts, body))
}

// maxErrorBody bounds what is read of an answer that is not 200.
const maxErrorBody = 64 << 10

// Invoke POSTs payload once. The answer is read up to one byte more than
// the invoker's limit would let through, so that a larger one is seen as
// too large rather than cut.
func (w *WebhookTransport) Invoke(ctx context.Context, arn string, payload []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(payload))
	if err != nil {
		return nil, &unreachableError{Reason: "InvalidRequestContentException", cause: err}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(WebhookFunctionARNHeader, arn)
	if trigger, ok := ctx.Value(triggerKey{}).(string); ok {
		req.Header.Set(WebhookTriggerHeader, trigger)
	}
	req.Header.Set(WebhookSignatureHeader, SignWebhook(w.secret, w.now(), payload))
	resp, err := w.client.Do(req)
	if err != nil {
		return nil, err // the invoker tells a timeout from a failure
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody))
		retry := resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500
		reason := "ServiceException"
		switch {
		case resp.StatusCode == http.StatusTooManyRequests:
			reason = "TooManyRequestsException"
		case resp.StatusCode == http.StatusNotFound:
			reason = "ResourceNotFoundException"
		case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
			reason = "AccessDeniedException"
		}
		return nil, &unreachableError{Reason: reason, Retry: retry, cause: fmt.Errorf("webhook answered %s", resp.Status)}
	}
	limit := maxAnswer(ctx)
	body, err := io.ReadAll(io.LimitReader(resp.Body, int64(limit)+1))
	if err != nil {
		return nil, err
	}
	if resp.Header.Get(WebhookFunctionErrorHeader) != "" {
		return nil, functionError(body)
	}
	return body, nil
}

// triggerKey and maxAnswerKey carry the trigger's name and the answer's
// limit from the invoker to a transport that uses them.
type (
	triggerKey   struct{}
	maxAnswerKey struct{}
)

func maxAnswer(ctx context.Context) int {
	if n, ok := ctx.Value(maxAnswerKey{}).(int); ok {
		return n
	}
	return DefaultMaxResponseBytes
}

// Handler is a function as a webhook receiver runs it: the Invoke method
// of github.com/aws/aws-lambda-go/lambda's Handler, which lambda.NewHandler
// makes of any handler function.
type Handler interface {
	Invoke(ctx context.Context, payload []byte) ([]byte, error)
}

// WebhookHandler serves h as a webhook receiver: it refuses a request
// whose signature does not verify under secret (401), runs h on the body,
// and answers as the webhook contract says. A function written for Lambda
// with aws-lambda-go runs behind it unchanged:
//
//	http.Handle("/cognito", triggers.WebhookHandler(secret, lambda.NewHandler(handle)))
func WebhookHandler(secret []byte, h Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, DefaultMaxResponseBytes+1))
		if err != nil || len(body) > DefaultMaxResponseBytes {
			http.Error(w, "request too large", http.StatusRequestEntityTooLarge)
			return
		}
		if !VerifyWebhookSignature(secret, body, r.Header.Get(WebhookSignatureHeader), time.Now(), DefaultSignatureTolerance) {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		out, err := h.Invoke(r.Context(), body)
		w.Header().Set("Content-Type", "application/json")
		if err != nil {
			w.Header().Set(WebhookFunctionErrorHeader, "Unhandled")
			msg := lambdaErrorShape{ErrorMessage: err.Error(), ErrorType: errorType(err)}
			_ = json.NewEncoder(w).Encode(msg)
			return
		}
		_, _ = w.Write(out)
	})
}

// errorType names err's type as the Lambda runtimes do: the Go type's
// name without its package.
func errorType(err error) string {
	t := fmt.Sprintf("%T", err)
	if i := strings.LastIndexByte(t, '.'); i >= 0 {
		t = t[i+1:]
	}
	return strings.TrimLeft(t, "*")
}
