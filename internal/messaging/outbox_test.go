package messaging

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func msg(to, body string) Message {
	return Message{Pool: "us-east-1_abc", Channel: ChannelEmail, To: to, Body: body, Purpose: PurposeInvitation, Username: "u", At: time.Unix(1, 0).UTC()}
}

func bodies(ms []Message) []string {
	out := []string{}
	for _, m := range ms {
		out = append(out, m.Body)
	}
	return out
}

func TestOutboxKeeps(t *testing.T) {
	tests := []struct {
		name  string
		opts  OutboxOptions
		sends []Message
		query string
		want  []string
	}{
		{
			name:  "newest first per recipient",
			sends: []Message{msg("a@example.com", "1"), msg("b@example.com", "2"), msg("a@example.com", "3")},
			query: "a@example.com",
			want:  []string{"3", "1"},
		},
		{
			name:  "recipient folded to lower case",
			sends: []Message{msg("Alice@Example.com", "1")},
			query: "alice@example.COM",
			want:  []string{"1"},
		},
		{
			name:  "unknown recipient",
			sends: []Message{msg("a@example.com", "1")},
			query: "b@example.com",
			want:  []string{},
		},
		{
			name:  "last N per recipient",
			opts:  OutboxOptions{PerRecipient: 2},
			sends: []Message{msg("a@x", "1"), msg("a@x", "2"), msg("a@x", "3")},
			query: "a@x",
			want:  []string{"3", "2"},
		},
		{
			name:  "recent overall",
			opts:  OutboxOptions{Recent: 2},
			sends: []Message{msg("a@x", "1"), msg("b@x", "2"), msg("c@x", "3")},
			want:  []string{"3", "2"},
		},
		{
			name:  "least recently written recipient forgotten",
			opts:  OutboxOptions{MaxRecipients: 2},
			sends: []Message{msg("a@x", "1"), msg("b@x", "2"), msg("a@x", "3"), msg("c@x", "4")},
			query: "b@x",
			want:  []string{},
		},
		{
			name:  "recently written recipient kept",
			opts:  OutboxOptions{MaxRecipients: 2},
			sends: []Message{msg("a@x", "1"), msg("b@x", "2"), msg("a@x", "3"), msg("c@x", "4")},
			query: "a@x",
			want:  []string{"3", "1"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.Logger = slog.New(slog.DiscardHandler)
			o := NewOutbox(tc.opts)
			for _, m := range tc.sends {
				if err := o.Send(context.Background(), m); err != nil {
					t.Fatal(err)
				}
			}
			if diff := cmp.Diff(tc.want, bodies(o.Messages(tc.query))); diff != "" {
				t.Errorf("messages (-want +got):\n%s", diff)
			}
		})
	}
}

func TestOutboxDefaults(t *testing.T) {
	o := NewOutbox(OutboxOptions{Logger: slog.New(slog.DiscardHandler)})
	for i := range DefaultPerRecipient + 5 {
		_ = o.Send(context.Background(), msg("a@x", fmt.Sprint(i)))
	}
	got := o.Messages("a@x")
	if len(got) != DefaultPerRecipient || got[0].Body != fmt.Sprint(DefaultPerRecipient+4) {
		t.Fatalf("kept %d messages, newest %q; want %d, newest %d", len(got), got[0].Body, DefaultPerRecipient, DefaultPerRecipient+4)
	}
}

func TestOutboxSetsTime(t *testing.T) {
	o := NewOutbox(OutboxOptions{Logger: slog.New(slog.DiscardHandler)})
	before := time.Now()
	_ = o.Send(context.Background(), Message{To: "a@x"})
	if at := o.Messages("a@x")[0].At; at.Before(before.Add(-time.Second)) || at.After(time.Now().Add(time.Second)) {
		t.Errorf("At = %v, want about now", at)
	}
}

func TestOutboxLogs(t *testing.T) {
	var buf bytes.Buffer
	o := NewOutbox(OutboxOptions{Logger: slog.New(slog.NewJSONHandler(&buf, nil))})
	m := msg("a@example.com", "Your code is 123456")
	_ = o.Send(context.Background(), m)
	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatalf("log record %q: %v", buf.String(), err)
	}
	for k, want := range map[string]string{"to": m.To, "purpose": m.Purpose, "body": m.Body, "pool": m.Pool, "channel": m.Channel} {
		if rec[k] != want {
			t.Errorf("log %s = %v, want %q", k, rec[k], want)
		}
	}
}

func TestOutboxHandler(t *testing.T) {
	o := NewOutbox(OutboxOptions{Logger: slog.New(slog.DiscardHandler)})
	_ = o.Send(context.Background(), msg("a@example.com", "one"))
	_ = o.Send(context.Background(), msg("+15555550100", "two"))
	srv := httptest.NewServer(o.Handler(OutboxAccess{Loopback: true}))
	defer srv.Close()

	tests := []struct {
		name, method, query string
		status              int
		want                []string
	}{
		{"one recipient", http.MethodGet, "?to=a%40example.com", http.StatusOK, []string{"one"}},
		{"phone number", http.MethodGet, "?to=%2B15555550100", http.StatusOK, []string{"two"}},
		{"all", http.MethodGet, "", http.StatusOK, []string{"two", "one"}},
		{"nobody", http.MethodGet, "?to=b%40example.com", http.StatusOK, []string{}},
		{"post refused", http.MethodPost, "", http.StatusMethodNotAllowed, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, srv.URL+OutboxPath+tc.query, nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Fatalf("status = %d, want %d", resp.StatusCode, tc.status)
			}
			if tc.want == nil {
				return
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
			var body struct{ Messages []Message }
			if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, bodies(body.Messages)); diff != "" {
				t.Errorf("messages (-want +got):\n%s", diff)
			}
		})
	}
}

// TestOutboxAccess guards against the account takeover the outbox allowed
// when it served every client: a reset code read by anyone lets anyone
// confirm a new password. Only the operator may read it: from this
// machine, not through a proxy, to a loopback listener; or with the admin
// credentials; or anyone when the server says so explicitly.
func TestOutboxAccess(t *testing.T) {
	o := NewOutbox(OutboxOptions{Logger: slog.New(slog.DiscardHandler)})
	_ = o.Send(context.Background(), msg("victim@example.com", "Your password reset code is 424242. "))
	signed := func(r *http.Request) bool { return r.Header.Get("Authorization") == "operator" }

	tests := []struct {
		name   string
		access OutboxAccess
		remote string
		host   string
		header http.Header
		want   int
	}{
		{name: "loopback listener, local client", access: OutboxAccess{Loopback: true}, remote: "127.0.0.1:5555", host: "localhost:9229", want: http.StatusOK},
		{name: "loopback listener, IPv6 local client", access: OutboxAccess{Loopback: true}, remote: "[::1]:5555", host: "[::1]:9229", want: http.StatusOK},
		{name: "loopback listener, Host 127.0.0.1", access: OutboxAccess{Loopback: true}, remote: "127.0.0.1:5555", host: "127.0.0.1:9229", want: http.StatusOK},
		{name: "public listener, remote client", access: OutboxAccess{}, remote: "203.0.113.7:5555", host: "auth.example.com", want: http.StatusForbidden},
		{name: "public listener, local client", access: OutboxAccess{}, remote: "127.0.0.1:5555", host: "localhost:9229", want: http.StatusForbidden},
		{name: "remote client on a loopback rule", access: OutboxAccess{Loopback: true}, remote: "203.0.113.7:5555", host: "localhost:9229", want: http.StatusForbidden},
		{name: "X-Forwarded-For from a local proxy", access: OutboxAccess{Loopback: true}, remote: "127.0.0.1:5555", host: "localhost:9229",
			header: http.Header{"X-Forwarded-For": {"203.0.113.7"}}, want: http.StatusForbidden},
		{name: "empty X-Forwarded-For", access: OutboxAccess{Loopback: true}, remote: "127.0.0.1:5555", host: "localhost:9229",
			header: http.Header{"X-Forwarded-For": {""}}, want: http.StatusForbidden},
		{name: "Forwarded from a local proxy", access: OutboxAccess{Loopback: true}, remote: "127.0.0.1:5555", host: "localhost:9229",
			header: http.Header{"Forwarded": {"for=203.0.113.7"}}, want: http.StatusForbidden},
		{name: "X-Real-IP from a local proxy", access: OutboxAccess{Loopback: true}, remote: "127.0.0.1:5555", host: "localhost:9229",
			header: http.Header{"X-Real-Ip": {"203.0.113.7"}}, want: http.StatusForbidden},
		{name: "X-Forwarded-Host from a local proxy", access: OutboxAccess{Loopback: true}, remote: "127.0.0.1:5555", host: "localhost:9229",
			header: http.Header{"X-Forwarded-Host": {"auth.example.com"}}, want: http.StatusForbidden},
		{name: "Via from a local proxy", access: OutboxAccess{Loopback: true}, remote: "127.0.0.1:5555", host: "localhost:9229",
			header: http.Header{"Via": {"1.1 proxy"}}, want: http.StatusForbidden},
		{name: "public Host through a local proxy", access: OutboxAccess{Loopback: true}, remote: "127.0.0.1:5555", host: "auth.example.com", want: http.StatusForbidden},
		{name: "DNS rebinding", access: OutboxAccess{Loopback: true}, remote: "127.0.0.1:5555", host: "rebind.attacker.example:9229", want: http.StatusForbidden},
		{name: "signed, remote client", access: OutboxAccess{Authorized: signed}, remote: "203.0.113.7:5555", host: "auth.example.com",
			header: http.Header{"Authorization": {"operator"}}, want: http.StatusOK},
		{name: "signed through a proxy", access: OutboxAccess{Loopback: true, Authorized: signed}, remote: "127.0.0.1:5555", host: "auth.example.com",
			header: http.Header{"Authorization": {"operator"}, "X-Forwarded-For": {"203.0.113.7"}}, want: http.StatusOK},
		{name: "badly signed, remote client", access: OutboxAccess{Authorized: signed}, remote: "203.0.113.7:5555", host: "auth.example.com",
			header: http.Header{"Authorization": {"attacker"}}, want: http.StatusForbidden},
		{name: "anyone", access: OutboxAccess{Anyone: true}, remote: "203.0.113.7:5555", host: "auth.example.com", want: http.StatusOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, OutboxPath+"?to=victim%40example.com", nil)
			req.RemoteAddr, req.Host = tc.remote, tc.host
			for k, v := range tc.header {
				req.Header[k] = v
			}
			rec := httptest.NewRecorder()
			o.Handler(tc.access).ServeHTTP(rec, req)
			if rec.Code != tc.want {
				t.Fatalf("status = %d, want %d; body %s", rec.Code, tc.want, rec.Body)
			}
			if leaked := strings.Contains(rec.Body.String(), "424242"); leaked != (tc.want == http.StatusOK) {
				t.Errorf("body shows the code: %v, want %v; body %s", leaked, tc.want == http.StatusOK, rec.Body)
			}
			if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store", cc)
			}
		})
	}
}

func TestOutboxJSONShape(t *testing.T) {
	o := NewOutbox(OutboxOptions{Logger: slog.New(slog.DiscardHandler)})
	_ = o.Send(context.Background(), Message{Pool: "p", Channel: ChannelSMS, To: "+1", Body: "b", Purpose: PurposeVerification, Username: "u", At: time.Unix(0, 0).UTC()})
	rec := httptest.NewRecorder()
	o.Handler(OutboxAccess{Anyone: true}).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, OutboxPath, nil))
	want := `{"messages":[{"pool":"p","channel":"SMS","to":"+1","body":"b","purpose":"verification","username":"u","at":"1970-01-01T00:00:00Z"}]}`
	if got := strings.TrimSpace(rec.Body.String()); got != want {
		t.Errorf("body = %s\nwant   %s", got, want)
	}
}

func TestOutboxConcurrent(t *testing.T) {
	o := NewOutbox(OutboxOptions{Logger: slog.New(slog.DiscardHandler), PerRecipient: 5, MaxRecipients: 3})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 50 {
				_ = o.Send(context.Background(), msg(fmt.Sprintf("u%d@x", (i+j)%5), "m"))
				_ = o.Messages(fmt.Sprintf("u%d@x", j%5))
			}
		})
	}
	wg.Wait()
	if n := len(o.Messages("")); n != DefaultRecent {
		t.Errorf("recent = %d, want %d", n, DefaultRecent)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.byTo) > 3 {
		t.Errorf("kept %d recipients, want at most 3", len(o.byTo))
	}
}
