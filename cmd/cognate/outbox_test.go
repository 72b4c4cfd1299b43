package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

// nonLoopbackIP returns an IPv4 address of this machine that is not
// loopback, or skips the test when it has none: TestOutboxAccess in
// internal/messaging covers the same rules with a simulated client address.
func nonLoopbackIP(t *testing.T) string {
	t.Helper()
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && !n.IP.IsLoopback() && !n.IP.IsLinkLocalUnicast() {
			if ln, err := net.Listen("tcp", net.JoinHostPort(n.IP.String(), "0")); err == nil {
				ln.Close()
				return n.IP.String()
			}
		}
	}
	t.Skip("this machine has no non-loopback IPv4 address to listen on")
	return ""
}

// outboxGet reads the outbox at u with the given headers, signed with the
// key pair when keyID is set, as `curl --aws-sigv4
// "aws:amz:us-east-1:cognito-idp" --user KEY:SECRET` does.
func outboxGet(t *testing.T, u string, header http.Header, keyID, secret string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if keyID != "" {
		empty := sha256.Sum256(nil)
		err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: keyID, SecretAccessKey: secret}, req,
			hex.EncodeToString(empty[:]), "cognito-idp", "us-east-1", time.Now())
		if err != nil {
			t.Fatal(err)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

var resetCode = regexp.MustCompile(`reset code is ([0-9]{6})`)

// victim makes a pool, an app client for password sign-in and a confirmed
// user with a verified email address, and starts a password reset for
// them (ForgotPassword, unauthenticated, as an attacker can). It returns
// the client and the SDK client.
func victim(t *testing.T, s *serveProc) (c *cip.Client, clientID string) {
	t.Helper()
	ctx := context.Background()
	c = cip.New(cip.Options{
		BaseEndpoint: aws.String(s.url),
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider(s.keyID, s.secret, ""),
	})
	pool, err := c.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("victims")})
	if err != nil {
		t.Fatal(err)
	}
	client, err := c.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: pool.UserPool.Id, ClientName: aws.String("app"),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserPasswordAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: pool.UserPool.Id, Username: aws.String("victim"),
		MessageAction: types.MessageActionTypeSuppress,
		UserAttributes: []types.AttributeType{{Name: aws.String("email"), Value: aws.String("victim@example.com")},
			{Name: aws.String("email_verified"), Value: aws.String("true")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: pool.UserPool.Id, Username: aws.String("victim"),
		Password: aws.String("Victim-passw0rd"), Permanent: true}); err != nil {
		t.Fatal(err)
	}
	anon := cip.New(cip.Options{BaseEndpoint: aws.String(s.url), Region: "us-east-1", Credentials: aws.AnonymousCredentials{}})
	if _, err := anon.ForgotPassword(ctx, &cip.ForgotPasswordInput{ClientId: client.UserPoolClient.ClientId, Username: aws.String("victim")}); err != nil {
		t.Fatal(err)
	}
	return anon, aws.ToString(client.UserPoolClient.ClientId)
}

// TestOutboxOnPublicListener guards against the account takeover the
// development outbox allowed when it served every client: ForgotPassword,
// then the code from GET /_cognate/messages, then ConfirmForgotPassword. On
// a server listening on a non-loopback address, an unsigned read is
// refused and shows no code; the operator's signed read still works.
func TestOutboxOnPublicListener(t *testing.T) {
	ip := nonLoopbackIP(t)
	s := startServe(t, nil, "--listen", net.JoinHostPort(ip, "0"), "--data-dir", t.TempDir())
	anon, clientID := victim(t, s)
	outboxURL := s.url + "/_cognate/messages?to=" + url.QueryEscape("victim@example.com")

	for name, h := range map[string]http.Header{
		"unsigned":                       {},
		"unsigned, claiming to be local": {"X-Forwarded-For": {"127.0.0.1"}, "X-Real-Ip": {"127.0.0.1"}},
		"badly signed":                   {"Authorization": {"AWS4-HMAC-SHA256 Credential=" + s.keyID + "/20260101/us-east-1/cognito-idp/aws4_request, SignedHeaders=host;x-amz-date, Signature=00"}, "X-Amz-Date": {"20260101T000000Z"}},
	} {
		code, body := outboxGet(t, outboxURL, h, "", "")
		if code != http.StatusForbidden || resetCode.MatchString(body) || strings.Contains(body, "victim") {
			t.Errorf("%s read of the outbox on %s: %d %s; want 403 without messages", name, s.url, code, body)
		}
	}
	if code, body := outboxGet(t, outboxURL, nil, "AKIAWRONGWRONGWRONG0", "wrong-secret-wrong-secret"); code != http.StatusForbidden || resetCode.MatchString(body) {
		t.Errorf("read signed with another key pair: %d %s; want 403", code, body)
	}
	// Without the code, the reset cannot be confirmed.
	_, err := anon.ConfirmForgotPassword(context.Background(), &cip.ConfirmForgotPasswordInput{ClientId: aws.String(clientID),
		Username: aws.String("victim"), ConfirmationCode: aws.String("000000"), Password: aws.String("Attacker-passw0rd")})
	var mismatch *types.CodeMismatchException
	if !errors.As(err, &mismatch) {
		t.Errorf("ConfirmForgotPassword with a guessed code: %v, want CodeMismatchException", err)
	}

	// The operator reads it with the admin key pair.
	code, body := outboxGet(t, outboxURL, nil, s.keyID, s.secret)
	m := resetCode.FindStringSubmatch(body)
	if code != http.StatusOK || m == nil {
		t.Fatalf("signed read: %d %s; want 200 with the reset code", code, body)
	}
	if _, err := anon.ConfirmForgotPassword(context.Background(), &cip.ConfirmForgotPasswordInput{ClientId: aws.String(clientID),
		Username: aws.String("victim"), ConfirmationCode: aws.String(m[1]), Password: aws.String("Operator-passw0rd")}); err != nil {
		t.Errorf("ConfirmForgotPassword with the code the operator read: %v", err)
	}
	if want := "  outbox      " + s.url + "/_cognate/messages   (no mail or SMS sender: codes readable signed with the admin key pair only (the API does not listen on loopback))"; !slicesContains(s.screen, want) {
		t.Errorf("screen lacks %q:\n%s", want, strings.Join(s.screen, "\n"))
	}
	if logs := s.stderr.String(); !strings.Contains(logs, `"level":"WARN","msg":"no mail or SMS sender is configured`) {
		t.Errorf("no start-up warning about the outbox:\n%s", logs)
	}
}

// TestOutboxOnLoopbackListener checks who reads the outbox when cognate
// listens on loopback, the default: a client on this machine, as the README
// quick start does, but not one relayed by a reverse proxy on this machine
// (which would make every client on the internet look local), unless it
// signs with the admin key pair; accept_any_signature opens nothing.
func TestOutboxOnLoopbackListener(t *testing.T) {
	s := startServe(t, map[string]string{"COGNATE_ACCEPT_ANY_SIGNATURE": "true"}, "--listen", "127.0.0.1:0", "--data-dir", t.TempDir())
	victim(t, s)
	outboxURL := s.url + "/_cognate/messages?to=" + url.QueryEscape("victim@example.com")

	tests := []struct {
		name          string
		header        http.Header
		keyID, secret string
		want          int
	}{
		{name: "local client", want: http.StatusOK},
		{name: "through a proxy (X-Forwarded-For)", header: http.Header{"X-Forwarded-For": {"203.0.113.7"}}, want: http.StatusForbidden},
		{name: "through a proxy (Forwarded)", header: http.Header{"Forwarded": {"for=203.0.113.7"}}, want: http.StatusForbidden},
		{name: "through a proxy (X-Real-IP)", header: http.Header{"X-Real-Ip": {"203.0.113.7"}}, want: http.StatusForbidden},
		{name: "through a proxy, signed", header: http.Header{"X-Forwarded-For": {"203.0.113.7"}}, keyID: s.keyID, secret: s.secret, want: http.StatusOK},
		{name: "through a proxy, made-up key", header: http.Header{"X-Forwarded-For": {"203.0.113.7"}}, keyID: "AKIAMADEUPMADEUP0000", secret: "made-up-made-up-made-up", want: http.StatusForbidden},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, body := outboxGet(t, outboxURL, tc.header, tc.keyID, tc.secret)
			if code != tc.want || resetCode.MatchString(body) != (tc.want == http.StatusOK) {
				t.Errorf("%d %s; want %d", code, body, tc.want)
			}
		})
	}
}

// TestOutboxOwnListener serves the outbox on a loopback listener of its
// own while the API listens elsewhere, and everywhere when explicitly made
// unsafe.
func TestOutboxOwnListener(t *testing.T) {
	ip := nonLoopbackIP(t)
	t.Run("loopback", func(t *testing.T) {
		s := startServe(t, map[string]string{"COGNATE_OUTBOX_LISTEN": "127.0.0.1:0"}, "--listen", net.JoinHostPort(ip, "0"), "--data-dir", t.TempDir())
		victim(t, s)
		own := ownOutboxURL(t, s)
		if code, body := outboxGet(t, own+"?to=victim%40example.com", nil, "", ""); code != http.StatusOK || !resetCode.MatchString(body) {
			t.Errorf("own listener: %d %s; want 200 with the code", code, body)
		}
		if code, body := outboxGet(t, own, http.Header{"X-Forwarded-For": {"203.0.113.7"}}, "", ""); code != http.StatusForbidden {
			t.Errorf("own listener through a proxy: %d %s; want 403", code, body)
		}
		if code, _ := outboxGet(t, s.url+"/_cognate/messages", nil, "", ""); code != http.StatusForbidden {
			t.Errorf("API listener: %d; want 403", code)
		}
	})
	t.Run("unsafe", func(t *testing.T) {
		s := startServe(t, map[string]string{"COGNATE_OUTBOX_UNSAFE_SERVE_TO_ANYONE": "true"}, "--listen", net.JoinHostPort(ip, "0"), "--data-dir", t.TempDir())
		victim(t, s)
		if code, body := outboxGet(t, s.url+"/_cognate/messages?to=victim%40example.com", nil, "", ""); code != http.StatusOK || !resetCode.MatchString(body) {
			t.Errorf("unsafe_serve_to_anyone: %d %s; want 200", code, body)
		}
		if logs := s.stderr.String(); !strings.Contains(logs, "unsafe_serve_to_anyone is on") {
			t.Errorf("no warning about unsafe_serve_to_anyone:\n%s", logs)
		}
	})
	t.Run("public own listener refused", func(t *testing.T) {
		code, _, stderr := runCmd(t, map[string]string{"COGNATE_OUTBOX_LISTEN": net.JoinHostPort(ip, "0")}, "serve", "--data-dir", t.TempDir())
		if code != 1 || !strings.Contains(stderr, "messaging.outbox.listen: must be a loopback address") {
			t.Errorf("exit %d, stderr %s; want 1 and the loopback rule", code, stderr)
		}
	})
}

var ownOutboxLine = regexp.MustCompile(`^  outbox      (http://\S+)   \(its own listener\)$`)

func ownOutboxURL(t *testing.T, s *serveProc) string {
	t.Helper()
	for _, l := range s.screen {
		if m := ownOutboxLine.FindStringSubmatch(l); m != nil {
			return m[1]
		}
	}
	t.Fatalf("screen names no outbox listener:\n%s", strings.Join(s.screen, "\n"))
	return ""
}
