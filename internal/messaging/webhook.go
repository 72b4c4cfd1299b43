package messaging

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
	"strings"
	"time"
)

// WebhookSignatureHeader carries the signature of a webhook body:
// "sha256=" and the hex HMAC-SHA256 of the body, keyed with the configured
// secret.
const WebhookSignatureHeader = "X-Cognate-Signature"

// maxWebhookResponse is how much of a webhook's answer is read (and
// discarded) so that the connection can be reused.
const maxWebhookResponse = 64 << 10

// WebhookSender delivers messages by POSTing each one as JSON (the shape
// the outbox serves: pool, channel, to, subject, body, purpose, username,
// at) to an HTTPS endpoint, signed with WebhookSignatureHeader. Any answer
// but 2xx is an error; redirects are not followed. It is safe for
// concurrent use.
type WebhookSender struct {
	url    string
	secret []byte
	client *http.Client
}

var _ Sender = (*WebhookSender)(nil)

// NewWebhookSender checks cfg and returns a sender for it.
func NewWebhookSender(cfg WebhookConfig) (*WebhookSender, error) {
	if err := CheckWebhookURL(cfg.URL); err != nil {
		return nil, fmt.Errorf("webhook: %w", err)
	}
	if cfg.Secret == "" {
		return nil, errors.New("webhook: secret required")
	}
	client := &http.Client{}
	if cfg.Client != nil {
		c := *cfg.Client
		client = &c
	}
	client.Timeout = timeoutOr(cfg.Timeout)
	// A redirect would turn the POST into a GET elsewhere, or carry the
	// code to a host nobody configured.
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &WebhookSender{url: cfg.URL, secret: []byte(cfg.Secret), client: client}, nil
}

// CheckWebhookURL reports why u cannot receive webhooks: it must be an
// absolute https URL, or http toward localhost (the name localhost or a
// loopback address), where nothing crosses a network.
func CheckWebhookURL(u string) error {
	p, err := url.Parse(u)
	if err != nil || p.Host == "" {
		return fmt.Errorf("url %q is not an absolute URL", u)
	}
	switch p.Scheme {
	case "https":
		return nil
	case "http":
		if isLoopback(p.Hostname()) {
			return nil
		}
		return fmt.Errorf("url %q must be https (http is allowed only toward localhost)", u)
	}
	return fmt.Errorf("url %q must be https", u)
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// SignWebhook returns the WebhookSignatureHeader value for body.
func SignWebhook(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// VerifyWebhookSignature reports whether header is the signature of body
// under secret. It compares in constant time; receivers written in Go can
// use it as is.
func VerifyWebhookSignature(secret string, body []byte, header string) bool {
	got, ok := strings.CutPrefix(header, "sha256=")
	if !ok {
		return false
	}
	sig, err := hex.DecodeString(got)
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return hmac.Equal(sig, mac.Sum(nil))
}

// Send POSTs m as JSON. The body includes at, the time the message was
// handed over, which a receiver can use to refuse replays.
func (w *WebhookSender) Send(ctx context.Context, m Message) error {
	if m.At.IsZero() {
		m.At = time.Now().UTC()
	}
	body, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("webhook: encode message: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	mac := hmac.New(sha256.New, w.secret)
	mac.Write(body)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "cognate")
	req.Header.Set(WebhookSignatureHeader, "sha256="+hex.EncodeToString(mac.Sum(nil)))
	resp, err := w.client.Do(req)
	if err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxWebhookResponse))
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("webhook: %s answered %s", w.url, resp.Status)
	}
	return nil
}
