package api

import (
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cognate-dev/cognate/internal/ratelimit"
)

// protectedHandler returns a handler with the given protective rates on a
// clock that stands still, trusting the given proxies.
func protectedHandler(t *testing.T, c ratelimit.GuardConfig, proxies ...string) (*Handler, string) {
	t.Helper()
	frozen := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	c.Clock = func() time.Time { return frozen }
	g, err := ratelimit.NewGuard(c)
	if err != nil {
		t.Fatal(err)
	}
	trusted, err := ratelimit.ParseTrustedProxies(proxies)
	if err != nil {
		t.Fatal(err)
	}
	h := newTestHandler(t, func(o *Options) { o.Protection, o.TrustedProxies = g, trusted })
	pool := createPool(t, h, "p")
	code, _, body := send(t, h, signedRequest(t, idpTarget+"CreateUserPoolClient", `{"UserPoolId":"`+pool+`","ClientName":"c"}`))
	if code != 200 {
		t.Fatalf("CreateUserPoolClient: %d %v", code, body)
	}
	return h, body["UserPoolClient"].(map[string]any)["ClientId"].(string)
}

// from sets the peer address of r.
func from(r *http.Request, addr string) *http.Request {
	r.RemoteAddr = addr
	return r
}

// TestPerUserLimit signs up one name over and over: the per-user bucket
// (two requests) refuses the third, whatever the letter case, while
// another name, and a name that does not exist (counted alike, so that the
// answer tells nothing about existence), each have a bucket of their own.
func TestPerUserLimit(t *testing.T) {
	h, client := protectedHandler(t, ratelimit.GuardConfig{PerUser: ratelimit.Rate{PerSecond: 1, Burst: 2}})
	signUp := func(name string) string {
		_, typ, _ := send(t, h, unsignedRequest(t, idpTarget+"SignUp", `{"ClientId":"`+client+`","Username":"`+name+`","Password":"Passw0rd!Passw0rd"}`))
		return typ
	}
	confirm := func(name string) string {
		_, typ, _ := send(t, h, unsignedRequest(t, idpTarget+"ConfirmForgotPassword",
			`{"ClientId":"`+client+`","Username":"`+name+`","ConfirmationCode":"123456","Password":"Passw0rd!Passw0rd"}`))
		return typ
	}
	got := []string{signUp("alice"), signUp("ALICE"), signUp("Alice"), signUp("bob"), confirm("nobody"), confirm("nobody"), confirm("nobody")}
	// The pool is case sensitive, so ALICE is another user; the limit
	// counts the name in any case as one, so that case does not multiply
	// a user's rate where the pool folds it.
	want := []string{"", "", "TooManyRequestsException", "", "UserNotFoundException", "UserNotFoundException", "TooManyRequestsException"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("error types (-want +got):\n%s", diff)
	}
	// The throttled answer is Cognito's.
	if diff := cmp.Diff(throttled, outcomeOf(send(t, h, unsignedRequest(t, idpTarget+"SignUp",
		`{"ClientId":"`+client+`","Username":"alice","Password":"Passw0rd!Passw0rd"}`)))); diff != "" {
		t.Errorf("throttled sign-up (-want +got):\n%s", diff)
	}
}

// TestPerAddressLimit floods from one address: the third unauthenticated
// request is refused before anything else is checked (a junk access token
// is refused for the rate, not the token), while another address, a
// signed admin request and a token-authorized read from the flooding
// address are answered.
func TestPerAddressLimit(t *testing.T) {
	h, client := protectedHandler(t, ratelimit.GuardConfig{PerAddress: ratelimit.Rate{PerSecond: 1, Burst: 2}})
	signUp := func(addr, name string) string {
		_, typ, _ := send(t, h, from(unsignedRequest(t, idpTarget+"SignUp",
			`{"ClientId":"`+client+`","Username":"`+name+`","Password":"Passw0rd!Passw0rd"}`), addr))
		return typ
	}
	changePassword := func(addr string) string {
		_, typ, _ := send(t, h, from(unsignedRequest(t, idpTarget+"ChangePassword",
			`{"AccessToken":"junk","PreviousPassword":"Passw0rd!Passw0rd","ProposedPassword":"Passw0rd!Passw0rd2"}`), addr))
		return typ
	}
	getUser := func(addr string) string {
		_, typ, _ := send(t, h, from(unsignedRequest(t, idpTarget+"GetUser", `{"AccessToken":"junk"}`), addr))
		return typ
	}
	admin := func(addr string) string {
		_, typ, _ := send(t, h, from(signedRequest(t, idpTarget+"ListUserPools", `{"MaxResults":10}`), addr))
		return typ
	}
	got := []string{
		signUp("198.51.100.1:1000", "a"), changePassword("198.51.100.1:1001"), changePassword("198.51.100.1:1002"),
		signUp("198.51.100.1:1003", "b"), signUp("198.51.100.2:1000", "c"), admin("198.51.100.1:1004"), getUser("198.51.100.1:1005"),
	}
	want := []string{"", "NotAuthorizedException", "TooManyRequestsException", "TooManyRequestsException", "", "", "NotAuthorizedException"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("error types (-want +got):\n%s", diff)
	}
}

// TestPerAddressBehindTrustedProxy checks which address is counted: behind
// a trusted proxy, each X-Forwarded-For client has its own bucket; an
// untrusted peer's header is ignored, so rotating it does not help.
func TestPerAddressBehindTrustedProxy(t *testing.T) {
	h, client := protectedHandler(t, ratelimit.GuardConfig{PerAddress: ratelimit.Rate{PerSecond: 1, Burst: 1}}, "127.0.0.1")
	signUp := func(peer, forwarded, name string) string {
		r := from(unsignedRequest(t, idpTarget+"SignUp", `{"ClientId":"`+client+`","Username":"`+name+`","Password":"Passw0rd!Passw0rd"}`), peer)
		r.Header.Set("X-Forwarded-For", forwarded)
		_, typ, _ := send(t, h, r)
		return typ
	}
	got := []string{
		signUp("127.0.0.1:1", "203.0.113.1", "a"), signUp("127.0.0.1:2", "203.0.113.2", "b"), signUp("127.0.0.1:3", "203.0.113.1", "c"),
		signUp("198.51.100.9:1", "203.0.113.3", "d"), signUp("198.51.100.9:2", "203.0.113.4", "e"),
	}
	want := []string{"", "", "TooManyRequestsException", "", "TooManyRequestsException"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("error types (-want +got):\n%s", diff)
	}
}
