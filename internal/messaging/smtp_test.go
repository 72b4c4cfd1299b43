package messaging

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/google/go-cmp/cmp"
)

// received is one message an smtpServer accepted.
type received struct {
	From     string   // MAIL FROM
	To       []string // RCPT TO
	User     string   // the authenticated username, "" without AUTH
	Password string
	TLS      bool // whether the session was encrypted when the message came
	Data     []byte
}

// smtpServer is a real SMTP server (github.com/emersion/go-smtp) on
// 127.0.0.1 that keeps what it receives.
type smtpServer struct {
	addr       string
	rejectRcpt bool
	password   string // the password AUTH accepts; "" accepts any

	mu   sync.Mutex
	msgs []received
}

type smtpMode int

const (
	plainServer    smtpMode = iota // no TLS at all
	startTLSServer                 // offers STARTTLS
	implicitServer                 // TLS from the first byte
)

// startSMTPServer starts a server on 127.0.0.1; setup, when not nil,
// adjusts it before it serves.
func startSMTPServer(t *testing.T, mode smtpMode, cert tls.Certificate, setup func(*smtpServer)) *smtpServer {
	t.Helper()
	return startSMTPServerOn(t, "127.0.0.1:0", mode, cert, setup)
}

func startSMTPServerOn(t *testing.T, addr string, mode smtpMode, cert tls.Certificate, setup func(*smtpServer)) *smtpServer {
	t.Helper()
	s := &smtpServer{}
	if setup != nil {
		setup(s)
	}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &smtpSession{srv: s, conn: c}, nil
	}))
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = mode == plainServer
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	tlsConfig := &tls.Config{Certificates: []tls.Certificate{cert}}
	switch mode {
	case startTLSServer:
		srv.TLSConfig = tlsConfig
	case implicitServer:
		ln = tls.NewListener(ln, tlsConfig)
	}
	s.addr = ln.Addr().String()
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return s
}

func (s *smtpServer) port(t *testing.T) int {
	_, p, _ := net.SplitHostPort(s.addr)
	n, err := strconv.Atoi(p)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func (s *smtpServer) received() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.msgs...)
}

type smtpSession struct {
	srv  *smtpServer
	conn *smtp.Conn
	cur  received
}

func (ss *smtpSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (ss *smtpSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if ss.srv.password != "" && pass != ss.srv.password {
			return errors.New("invalid credentials")
		}
		ss.cur.User, ss.cur.Password = user, pass
		return nil
	}), nil
}

func (ss *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	ss.cur.From = from
	return nil
}

func (ss *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if ss.srv.rejectRcpt {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such mailbox"}
	}
	ss.cur.To = append(ss.cur.To, to)
	return nil
}

func (ss *smtpSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m := ss.cur
	m.Data = data
	_, m.TLS = ss.conn.TLSConnectionState()
	ss.srv.mu.Lock()
	ss.srv.msgs = append(ss.srv.msgs, m)
	ss.srv.mu.Unlock()
	return nil
}

func (ss *smtpSession) Reset()        { ss.cur = received{User: ss.cur.User, Password: ss.cur.Password} }
func (ss *smtpSession) Logout() error { return nil }

// parsedMail is the part of a received message the tests look at.
type parsedMail struct {
	From, To, ReplyTo, Subject, ContentType, Body string
}

func parseMail(t *testing.T, data []byte) parsedMail {
	t.Helper()
	msg, err := mail.ReadMessage(strings.NewReader(string(data)))
	if err != nil {
		t.Fatalf("parse message: %v\n%s", err, data)
	}
	var dec mime.WordDecoder
	subject, err := dec.DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	var body io.Reader = msg.Body
	if strings.EqualFold(msg.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
		body = quotedprintable.NewReader(body)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		t.Fatal(err)
	}
	return parsedMail{
		From:        msg.Header.Get("From"),
		To:          msg.Header.Get("To"),
		ReplyTo:     msg.Header.Get("Reply-To"),
		Subject:     subject,
		ContentType: msg.Header.Get("Content-Type"),
		Body:        strings.TrimRight(string(b), "\r\n"),
	}
}

// emailMessage returns an email whose body is body, HTML when body holds
// tags, as the engine marks a message filled from such a template.
func emailMessage(body string) Message {
	return Message{
		Pool: "us-east-1_abc", Channel: ChannelEmail, To: "jane@example.com",
		Subject: "Your verification code", Body: body, HTML: IsHTMLTemplate(body),
		Purpose: PurposeVerification, Username: "jane", At: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
	}
}

func TestSMTPSenderDelivers(t *testing.T) {
	cert, roots := selfSignedCert(t)
	trust := &tls.Config{RootCAs: roots}
	const code = "Your verification code is 123456. "
	tests := []struct {
		name     string
		mode     smtpMode
		cfg      SMTPConfig
		msg      Message
		wantMail parsedMail
		wantFrom string // envelope
		wantUser string
		wantTLS  bool
	}{
		{
			name:     "clear text without auth",
			mode:     plainServer,
			cfg:      SMTPConfig{From: "no-reply@cognate.test", TLS: TLSNone},
			msg:      emailMessage(code),
			wantMail: parsedMail{From: "<no-reply@cognate.test>", To: "<jane@example.com>", Subject: "Your verification code", ContentType: "text/plain; charset=UTF-8", Body: code},
			wantFrom: "no-reply@cognate.test",
		},
		{
			name:     "clear text with AUTH PLAIN toward localhost",
			mode:     plainServer,
			cfg:      SMTPConfig{From: "no-reply@cognate.test", TLS: TLSNone, Username: "relay-user", Password: "relay-pass"},
			msg:      emailMessage(code),
			wantMail: parsedMail{From: "<no-reply@cognate.test>", To: "<jane@example.com>", Subject: "Your verification code", ContentType: "text/plain; charset=UTF-8", Body: code},
			wantFrom: "no-reply@cognate.test",
			wantUser: "relay-user",
		},
		{
			name:     "STARTTLS with AUTH",
			mode:     startTLSServer,
			cfg:      SMTPConfig{From: "no-reply@cognate.test", TLS: TLSStartTLS, Username: "relay-user", Password: "relay-pass", TLSConfig: trust},
			msg:      emailMessage(code),
			wantMail: parsedMail{From: "<no-reply@cognate.test>", To: "<jane@example.com>", Subject: "Your verification code", ContentType: "text/plain; charset=UTF-8", Body: code},
			wantFrom: "no-reply@cognate.test",
			wantUser: "relay-user",
			wantTLS:  true,
		},
		{
			name:     "implicit TLS with AUTH",
			mode:     implicitServer,
			cfg:      SMTPConfig{From: "no-reply@cognate.test", TLS: TLSImplicit, Username: "relay-user", Password: "relay-pass", TLSConfig: trust},
			msg:      emailMessage(code),
			wantMail: parsedMail{From: "<no-reply@cognate.test>", To: "<jane@example.com>", Subject: "Your verification code", ContentType: "text/plain; charset=UTF-8", Body: code},
			wantFrom: "no-reply@cognate.test",
			wantUser: "relay-user",
			wantTLS:  true,
		},
		{
			name: "HTML template goes as text/html",
			mode: plainServer,
			cfg:  SMTPConfig{From: "no-reply@cognate.test", TLS: TLSNone},
			msg:  emailMessage(`<p>Your code is <b>123456</b></p>`),
			wantMail: parsedMail{From: "<no-reply@cognate.test>", To: "<jane@example.com>", Subject: "Your verification code",
				ContentType: "text/html; charset=UTF-8", Body: `<p>Your code is <b>123456</b></p>`},
			wantFrom: "no-reply@cognate.test",
		},
		{
			name: "escaped values in an HTML body arrive escaped",
			mode: plainServer,
			cfg:  SMTPConfig{From: "no-reply@cognate.test", TLS: TLSNone},
			msg:  emailMessage(`<p>Your username is &lt;b&gt;bob&lt;/b&gt; and temporary password is a&lt;B&gt;&amp;c1</p>`),
			wantMail: parsedMail{From: "<no-reply@cognate.test>", To: "<jane@example.com>", Subject: "Your verification code",
				ContentType: "text/html; charset=UTF-8", Body: `<p>Your username is &lt;b&gt;bob&lt;/b&gt; and temporary password is a&lt;B&gt;&amp;c1</p>`},
			wantFrom: "no-reply@cognate.test",
		},
		{
			// A username with markup in a plain-text template must not make
			// the message HTML: the template decides, not the body.
			name: "tags in a plain-text message go as text/plain",
			mode: plainServer,
			cfg:  SMTPConfig{From: "no-reply@cognate.test", TLS: TLSNone},
			msg: func() Message {
				m := emailMessage(`Your username is <b>bob</b> and temporary password is a<B>&c1.`)
				m.HTML = false
				return m
			}(),
			wantMail: parsedMail{From: "<no-reply@cognate.test>", To: "<jane@example.com>", Subject: "Your verification code",
				ContentType: "text/plain; charset=UTF-8", Body: `Your username is <b>bob</b> and temporary password is a<B>&c1.`},
			wantFrom: "no-reply@cognate.test",
		},
		{
			name: "pool's From and reply-to in the headers, configured sender on the envelope",
			mode: plainServer,
			cfg:  SMTPConfig{From: "relay@cognate.test", TLS: TLSNone},
			msg: func() Message {
				m := emailMessage(code)
				m.Subject = "Vérification"
				m.Email = EmailSettings{From: "Example App <app@example.com>", ReplyTo: "help@example.com"}
				return m
			}(),
			wantMail: parsedMail{From: `"Example App" <app@example.com>`, To: "<jane@example.com>", ReplyTo: "<help@example.com>",
				Subject: "Vérification", ContentType: "text/plain; charset=UTF-8", Body: code},
			wantFrom: "relay@cognate.test",
		},
		{
			name: "sender from the pool's SourceArn",
			mode: plainServer,
			cfg:  SMTPConfig{From: "relay@cognate.test", TLS: TLSNone},
			msg: func() Message {
				m := emailMessage(code)
				m.Email = EmailSettings{SendingAccount: EmailSendingAccountDeveloper, SourceARN: "arn:aws:ses:eu-west-1:123456789012:identity/verified@example.com"}
				return m
			}(),
			wantMail: parsedMail{From: "<verified@example.com>", To: "<jane@example.com>", Subject: "Your verification code", ContentType: "text/plain; charset=UTF-8", Body: code},
			wantFrom: "relay@cognate.test",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := startSMTPServer(t, tc.mode, cert, func(s *smtpServer) { s.password = tc.cfg.Password })
			tc.cfg.Host, tc.cfg.Port = "127.0.0.1", srv.port(t)
			s, err := NewSMTPSender(tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Send(context.Background(), tc.msg); err != nil {
				t.Fatalf("Send: %v", err)
			}
			got := srv.received()
			if len(got) != 1 {
				t.Fatalf("server received %d messages, want 1", len(got))
			}
			r := got[0]
			if r.From != tc.wantFrom || !cmp.Equal(r.To, []string{"jane@example.com"}) {
				t.Errorf("envelope from %q to %q, want from %q to jane@example.com", r.From, r.To, tc.wantFrom)
			}
			if r.User != tc.wantUser || (tc.wantUser != "" && r.Password != tc.cfg.Password) {
				t.Errorf("authenticated as %q/%q, want %q/%q", r.User, r.Password, tc.wantUser, tc.cfg.Password)
			}
			if r.TLS != tc.wantTLS {
				t.Errorf("TLS = %v, want %v", r.TLS, tc.wantTLS)
			}
			if diff := cmp.Diff(tc.wantMail, parseMail(t, r.Data)); diff != "" {
				t.Errorf("message (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSMTPSenderFailures(t *testing.T) {
	cert, roots := selfSignedCert(t)
	tests := []struct {
		name    string
		mode    smtpMode
		setup   func(*smtpServer)
		cfg     SMTPConfig
		msg     Message
		wantErr string
	}{
		{
			name:    "recipient refused",
			mode:    plainServer,
			setup:   func(s *smtpServer) { s.rejectRcpt = true },
			cfg:     SMTPConfig{From: "no-reply@cognate.test", TLS: TLSNone},
			wantErr: "no such mailbox",
		},
		{
			name:    "wrong password",
			mode:    startTLSServer,
			setup:   func(s *smtpServer) { s.password = "right" },
			cfg:     SMTPConfig{From: "no-reply@cognate.test", TLS: TLSStartTLS, Username: "u", Password: "wrong", TLSConfig: &tls.Config{RootCAs: roots}},
			wantErr: "AUTH failed",
		},
		{
			name:    "STARTTLS required but not offered",
			mode:    plainServer,
			cfg:     SMTPConfig{From: "no-reply@cognate.test", TLS: TLSStartTLS},
			wantErr: "STARTTLS",
		},
		{
			name:    "certificate not trusted",
			mode:    implicitServer,
			cfg:     SMTPConfig{From: "no-reply@cognate.test", TLS: TLSImplicit},
			wantErr: "certificate",
		},
		{
			name:    "SMS refused",
			mode:    plainServer,
			cfg:     SMTPConfig{From: "no-reply@cognate.test", TLS: TLSNone},
			msg:     Message{Channel: ChannelSMS, To: "+15555550100", Body: "x"},
			wantErr: "cannot send SMS messages",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := startSMTPServer(t, tc.mode, cert, tc.setup)
			tc.cfg.Host, tc.cfg.Port = "127.0.0.1", srv.port(t)
			s, err := NewSMTPSender(tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if tc.msg.Channel == "" {
				tc.msg = emailMessage("code 123456")
			}
			err = s.Send(context.Background(), tc.msg)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Send error = %v, want one mentioning %q", err, tc.wantErr)
			}
			if got := srv.received(); len(got) != 0 {
				t.Errorf("server received %d messages, want none", len(got))
			}
		})
	}
}

func TestNewSMTPSenderRefuses(t *testing.T) {
	tests := []struct {
		name    string
		cfg     SMTPConfig
		wantErr string
	}{
		{"no host", SMTPConfig{From: "a@b.test"}, "smtp: host required"},
		{"bad from", SMTPConfig{Host: "h", From: "not an address"}, `smtp: from "not an address" is not an email address`},
		{"password alone", SMTPConfig{Host: "h", From: "a@b.test", Password: "p"}, "smtp: password set without a username"},
		{"tls mode", SMTPConfig{Host: "h", From: "a@b.test", TLS: "ssl"}, `smtp: tls must be none, starttls or tls, not "ssl"`},
		{"port", SMTPConfig{Host: "h", From: "a@b.test", Port: 70000}, "smtp: port 70000 out of range"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewSMTPSender(tc.cfg)
			if err == nil || err.Error() != tc.wantErr {
				t.Fatalf("error = %v, want %q", err, tc.wantErr)
			}
		})
	}
}

func TestSMTPSenderKeepsPasswordOffTheWireInClearText(t *testing.T) {
	// 127.0.0.2 is a loopback address, but not one go-mail takes for
	// localhost: to it, as to any remote host, PLAIN without TLS must
	// refuse to send the password.
	cert, _ := selfSignedCert(t)
	srv := startSMTPServerOn(t, "127.0.0.2:0", plainServer, cert, nil)
	s, err := NewSMTPSender(SMTPConfig{Host: "127.0.0.2", Port: srv.port(t), From: "a@cognate.test", TLS: TLSNone, Username: "u", Password: "secret"})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Send(context.Background(), emailMessage("x"))
	if err == nil || !strings.Contains(err.Error(), "unencrypted") {
		t.Fatalf("Send error = %v, want a refusal to authenticate unencrypted", err)
	}
	if got := srv.received(); len(got) != 0 {
		t.Errorf("server received %d messages, want none", len(got))
	}
}
