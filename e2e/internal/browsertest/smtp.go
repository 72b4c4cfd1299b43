package browsertest

import (
	"bytes"
	"io"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-smtp"
)

// SMTPCatcher is a real SMTP server (github.com/emersion/go-smtp) in the
// test process that keeps the body of every message cognate sends it.
type SMTPCatcher struct {
	// mu guards bodies.
	mu     sync.Mutex
	bodies []string
}

type catcherSession struct{ c *SMTPCatcher }

func (s catcherSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s catcherSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s catcherSession) Reset()                               {}
func (s catcherSession) Logout() error                        { return nil }
func (s catcherSession) Data(r io.Reader) error {
	m, err := mail.ReadMessage(r)
	if err != nil {
		return err
	}
	body, err := io.ReadAll(m.Body)
	if err != nil {
		return err
	}
	if strings.EqualFold(m.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
		if body, err = io.ReadAll(quotedprintable.NewReader(bytes.NewReader(body))); err != nil {
			return err
		}
	}
	s.c.mu.Lock()
	defer s.c.mu.Unlock()
	s.c.bodies = append(s.c.bodies, string(body))
	return nil
}

// StartSMTPCatcher starts the server and returns the environment that
// sends cognate's email to it.
func StartSMTPCatcher(t TB) (*SMTPCatcher, []string) {
	t.Helper()
	c := &SMTPCatcher{}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return catcherSession{c}, nil }))
	srv.Domain = "localhost"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	port := ln.Addr().(*net.TCPAddr).Port
	return c, []string{"COGNATE_SMTP_HOST=127.0.0.1", "COGNATE_SMTP_PORT=" + strconv.Itoa(port),
		"COGNATE_SMTP_FROM=no-reply@example.com", "COGNATE_SMTP_TLS=none"}
}

// Count is how many messages the server has received.
func (c *SMTPCatcher) Count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.bodies)
}

var sixDigits = regexp.MustCompile(`\b[0-9]{6}\b`)

// Code waits for a message newer than the first after and returns the
// six-digit code in it.
func (c *SMTPCatcher) Code(t TB, after int) string {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		c.mu.Lock()
		var body string
		if len(c.bodies) > after {
			body = c.bodies[len(c.bodies)-1]
		}
		c.mu.Unlock()
		if code := sixDigits.FindString(body); code != "" {
			return code
		}
		if time.Now().After(deadline) {
			t.Fatal("no code reached the SMTP server")
		}
	}
}

// Last waits up to ten seconds for a message newer than the first after
// and returns the body of the newest, or "" when none arrived.
func (c *SMTPCatcher) Last(after int) string {
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		c.mu.Lock()
		var body string
		if len(c.bodies) > after {
			body = c.bodies[len(c.bodies)-1]
		}
		c.mu.Unlock()
		if body != "" || time.Now().After(deadline) {
			return body
		}
	}
}
