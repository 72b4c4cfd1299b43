package main

import (
	"bytes"
	"context"
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

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/emersion/go-smtp"
)

// smtpCatcher is a real SMTP server (github.com/emersion/go-smtp) on
// 127.0.0.1 that keeps the messages it receives.
type smtpCatcher struct {
	mu   sync.Mutex
	msgs [][]byte
}

type catcherSession struct{ c *smtpCatcher }

func (s catcherSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s catcherSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s catcherSession) Reset()                               {}
func (s catcherSession) Logout() error                        { return nil }
func (s catcherSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.c.mu.Lock()
	defer s.c.mu.Unlock()
	s.c.msgs = append(s.c.msgs, b)
	return nil
}

func startSMTPCatcher(t *testing.T) (*smtpCatcher, int) {
	t.Helper()
	c := &smtpCatcher{}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return catcherSession{c}, nil }))
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return c, ln.Addr().(*net.TCPAddr).Port
}

// received returns the content type and decoded body of each message.
func (c *smtpCatcher) received(t *testing.T) (types, bodies []string) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, raw := range c.msgs {
		m, err := mail.ReadMessage(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(m.Body)
		if err != nil {
			t.Fatal(err)
		}
		if strings.EqualFold(m.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
			if body, err = io.ReadAll(quotedprintable.NewReader(bytes.NewReader(body))); err != nil {
				t.Fatal(err)
			}
		}
		ct, _, _ := mime.ParseMediaType(m.Header.Get("Content-Type"))
		types, bodies = append(types, ct), append(bodies, string(body))
	}
	return types, bodies
}

// TestInvitationEmailEscapesHTML follows a username with markup and a
// temporary password with <, > and & from AdminCreateUser, through the
// server's SMTP sender, to a real SMTP server: in an HTML template they
// arrive escaped as text/html; in a plain-text template as they are, as
// text/plain, however much they look like tags.
func TestInvitationEmailEscapesHTML(t *testing.T) {
	catcher, port := startSMTPCatcher(t)
	s := startServe(t, map[string]string{"COGNATE_SMTP_HOST": "127.0.0.1", "COGNATE_SMTP_PORT": strconv.Itoa(port),
		"COGNATE_SMTP_FROM": "no-reply@example.com", "COGNATE_SMTP_TLS": "none"},
		"--listen", "127.0.0.1:0", "--data-dir", t.TempDir())
	c := cip.New(cip.Options{BaseEndpoint: aws.String(s.url), Region: "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider(s.keyID, s.secret, "")})
	ctx := context.Background()
	const (
		user     = `<b>eve</b>`
		password = `Pa<ss>&1word`
	)
	tests := []struct {
		name, template string
		wantType       string
		wantBody       string
	}{
		{"HTML template", "<p>Username: {username}<br>Password: {####}</p>", "text/html",
			"<p>Username: &lt;b&gt;eve&lt;/b&gt;<br>Password: Pa&lt;ss&gt;&amp;1word</p>"},
		{"plain-text template", "Username: {username} Password: {####}", "text/plain",
			"Username: <b>eve</b> Password: Pa<ss>&1word"},
	}
	for i, tc := range tests {
		pool, err := c.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("html" + strconv.Itoa(i)),
			AdminCreateUserConfig: &types.AdminCreateUserConfigType{InviteMessageTemplate: &types.MessageTemplateType{
				EmailSubject: aws.String("Welcome"), EmailMessage: aws.String(tc.template), SMSMessage: aws.String("{username} {####}")}}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: pool.UserPool.Id, Username: aws.String(user),
			TemporaryPassword: aws.String(password), DesiredDeliveryMediums: []types.DeliveryMediumType{types.DeliveryMediumTypeEmail},
			UserAttributes: []types.AttributeType{{Name: aws.String("email"), Value: aws.String("eve@example.com")}}}); err != nil {
			t.Fatalf("%s: AdminCreateUser: %v", tc.name, err)
		}
	}
	gotTypes, gotBodies := catcher.received(t)
	if len(gotBodies) != len(tests) {
		t.Fatalf("the SMTP server received %d messages, want %d", len(gotBodies), len(tests))
	}
	for i, tc := range tests {
		if gotTypes[i] != tc.wantType || strings.TrimRight(gotBodies[i], "\r\n") != tc.wantBody {
			t.Errorf("%s: received %s %q, want %s %q", tc.name, gotTypes[i], gotBodies[i], tc.wantType, tc.wantBody)
		}
	}
}

// TestEmailMFACodeOverSMTP signs a user in with EMAIL_OTP as its second
// factor on a server that sends email through SMTP: the code arrives at a
// real SMTP server, in the pool's EmailMfaConfiguration text, and answers
// the challenge.
func TestEmailMFACodeOverSMTP(t *testing.T) {
	catcher, port := startSMTPCatcher(t)
	s := startServe(t, map[string]string{"COGNATE_SMTP_HOST": "127.0.0.1", "COGNATE_SMTP_PORT": strconv.Itoa(port),
		"COGNATE_SMTP_FROM": "no-reply@example.com", "COGNATE_SMTP_TLS": "none"},
		"--listen", "127.0.0.1:0", "--data-dir", t.TempDir())
	c := cip.New(cip.Options{BaseEndpoint: aws.String(s.url), Region: "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider(s.keyID, s.secret, "")})
	ctx := context.Background()
	pool, err := c.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("email-mfa")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.SetUserPoolMfaConfig(ctx, &cip.SetUserPoolMfaConfigInput{UserPoolId: pool.UserPool.Id, MfaConfiguration: types.UserPoolMfaTypeOn,
		EmailMfaConfiguration: &types.EmailMfaConfigType{Subject: aws.String("Your sign-in code"), Message: aws.String("Sign-in code: {####}")}}); err != nil {
		t.Fatal(err)
	}
	client, err := c.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: pool.UserPool.Id, ClientName: aws.String("app"),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserPasswordAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: pool.UserPool.Id, Username: aws.String("erin"),
		MessageAction:  types.MessageActionTypeSuppress,
		UserAttributes: []types.AttributeType{{Name: aws.String("email"), Value: aws.String("erin@example.com")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: pool.UserPool.Id, Username: aws.String("erin"),
		Password: aws.String("Correct-Horse-1"), Permanent: true}); err != nil {
		t.Fatal(err)
	}
	out, err := c.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: client.UserPoolClient.ClientId, AuthFlow: types.AuthFlowTypeUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": "erin", "PASSWORD": "Correct-Horse-1"}})
	if err != nil {
		t.Fatal(err)
	}
	// MFA is ON and the user has an email address: EMAIL_OTP.
	if out.ChallengeName != types.ChallengeNameTypeEmailOtp || out.ChallengeParameters["CODE_DELIVERY_DELIVERY_MEDIUM"] != "EMAIL" {
		t.Fatalf("InitiateAuth = %s %v, want EMAIL_OTP by email", out.ChallengeName, out.ChallengeParameters)
	}
	var body string
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if _, bodies := catcher.received(t); len(bodies) > 0 {
			body = strings.TrimSpace(bodies[len(bodies)-1])
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no email reached the SMTP server")
		}
	}
	code, ok := strings.CutPrefix(body, "Sign-in code: ")
	if !ok || len(code) != 6 {
		t.Fatalf("email body %q, want the pool's message with a code", body)
	}
	res, err := c.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{ClientId: client.UserPoolClient.ClientId,
		ChallengeName: types.ChallengeNameTypeEmailOtp, Session: out.Session,
		ChallengeResponses: map[string]string{"USERNAME": "erin", "EMAIL_OTP_CODE": code}})
	if err != nil {
		t.Fatal(err)
	}
	if res.AuthenticationResult == nil || res.AuthenticationResult.AccessToken == nil {
		t.Fatalf("RespondToAuthChallenge EMAIL_OTP = %+v, want tokens", res)
	}
}
