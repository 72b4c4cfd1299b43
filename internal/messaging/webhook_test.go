package messaging

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const webhookSecret = "a-webhook-secret-of-some-length"

// webhookReceiver is an HTTPS endpoint that checks signatures the way an
// operator's receiver would, and keeps the messages it accepted.
type webhookReceiver struct {
	status int

	mu       sync.Mutex
	msgs     []Message
	requests int
	lastHead http.Header
}

func startWebhookReceiver(t *testing.T, status int) (*webhookReceiver, *httptest.Server) {
	t.Helper()
	wr := &webhookReceiver{status: status}
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		wr.mu.Lock()
		defer wr.mu.Unlock()
		wr.requests++
		wr.lastHead = r.Header.Clone()
		if r.Method != http.MethodPost || !VerifyWebhookSignature(webhookSecret, body, r.Header.Get(WebhookSignatureHeader)) {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		var m Message
		if err := json.Unmarshal(body, &m); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		wr.msgs = append(wr.msgs, m)
		if wr.status >= 300 && wr.status < 400 {
			w.Header().Set("Location", "/elsewhere")
		}
		w.WriteHeader(wr.status)
	}))
	t.Cleanup(srv.Close)
	return wr, srv
}

// seen returns the accepted messages, the number of requests and the
// headers of the last one.
func (wr *webhookReceiver) seen() ([]Message, int, http.Header) {
	wr.mu.Lock()
	defer wr.mu.Unlock()
	return append([]Message(nil), wr.msgs...), wr.requests, wr.lastHead
}

func smsMessage() Message {
	return Message{
		Pool: "us-east-1_abc", Channel: ChannelSMS, To: "+15555550100", Body: "Your code is 123456",
		Purpose: PurposeForgotPassword, Username: "jane", At: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		SMS: SMSSettings{SNSCallerARN: "arn:aws:iam::123456789012:role/sns"},
	}
}

func TestWebhookSenderPosts(t *testing.T) {
	wr, srv := startWebhookReceiver(t, http.StatusNoContent)
	s, err := NewWebhookSender(WebhookConfig{URL: srv.URL + "/sms", Secret: webhookSecret, Client: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	m := smsMessage()
	if err := s.Send(context.Background(), m); err != nil {
		t.Fatalf("Send: %v", err)
	}
	want := m
	want.SMS = SMSSettings{} // pool settings stay out of the payload
	msgs, _, head := wr.seen()
	if diff := cmp.Diff([]Message{want}, msgs); diff != "" {
		t.Errorf("received (-want +got):\n%s", diff)
	}
	if ct := head.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
}

func TestWebhookSenderFailures(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		secret  string
		wantErr string
	}{
		{"receiver fails", http.StatusInternalServerError, webhookSecret, "answered 500 Internal Server Error"},
		{"receiver refuses", http.StatusBadRequest, webhookSecret, "answered 400 Bad Request"},
		{"redirect not followed", http.StatusFound, webhookSecret, "answered 302 Found"},
		{"signature with another secret", http.StatusOK, "another-secret-entirely", "answered 401 Unauthorized"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wr, srv := startWebhookReceiver(t, tc.status)
			s, err := NewWebhookSender(WebhookConfig{URL: srv.URL, Secret: tc.secret, Client: srv.Client()})
			if err != nil {
				t.Fatal(err)
			}
			err = s.Send(context.Background(), smsMessage())
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Send error = %v, want one mentioning %q", err, tc.wantErr)
			}
			if strings.Contains(err.Error(), "123456") {
				t.Errorf("error %q carries the code", err)
			}
			if _, n, _ := wr.seen(); n != 1 {
				t.Errorf("receiver saw %d requests, want 1", n)
			}
		})
	}
}

func TestWebhookSenderUntrustedCertificate(t *testing.T) {
	_, srv := startWebhookReceiver(t, http.StatusOK)
	s, err := NewWebhookSender(WebhookConfig{URL: srv.URL, Secret: webhookSecret}) // system roots only
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(context.Background(), smsMessage()); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("Send error = %v, want a certificate error", err)
	}
}

func TestWebhookURL(t *testing.T) {
	tests := []struct {
		url     string
		wantErr string
	}{
		{"https://sms.example.com/hook", ""},
		{"http://localhost:8080/hook", ""},
		{"http://127.0.0.1:8080/hook", ""},
		{"http://[::1]:8080/hook", ""},
		{"http://sms.example.com/hook", `url "http://sms.example.com/hook" must be https (http is allowed only toward localhost)`},
		{"http://10.0.0.1/hook", `url "http://10.0.0.1/hook" must be https (http is allowed only toward localhost)`},
		{"ftp://sms.example.com/", `url "ftp://sms.example.com/" must be https`},
		{"/relative", `url "/relative" is not an absolute URL`},
		{"", `url "" is not an absolute URL`},
	}
	for _, tc := range tests {
		err := CheckWebhookURL(tc.url)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tc.wantErr {
			t.Errorf("CheckWebhookURL(%q) = %q, want %q", tc.url, got, tc.wantErr)
		}
	}
	if _, err := NewWebhookSender(WebhookConfig{URL: "https://h.example.com"}); err == nil || err.Error() != "webhook: secret required" {
		t.Errorf("no secret: %v", err)
	}
}

func TestWebhookSignature(t *testing.T) {
	body := []byte(`{"to":"+15555550100"}`)
	sig := SignWebhook("k", body)
	if !strings.HasPrefix(sig, "sha256=") || len(sig) != len("sha256=")+64 {
		t.Fatalf("signature %q", sig)
	}
	for name, tc := range map[string]struct {
		secret, header string
		body           []byte
		want           bool
	}{
		"valid":          {"k", sig, body, true},
		"other secret":   {"k2", sig, body, false},
		"other body":     {"k", sig, []byte(`{"to":"+15555550101"}`), false},
		"no prefix":      {"k", strings.TrimPrefix(sig, "sha256="), body, false},
		"not hex":        {"k", "sha256=zz", body, false},
		"truncated":      {"k", sig[:len(sig)-2], body, false},
		"empty":          {"k", "", body, false},
		"upper-case hex": {"k", "sha256=" + strings.ToUpper(strings.TrimPrefix(sig, "sha256=")), body, true},
	} {
		if got := VerifyWebhookSignature(tc.secret, tc.body, tc.header); got != tc.want {
			t.Errorf("%s: VerifyWebhookSignature = %v, want %v", name, got, tc.want)
		}
	}
}
