package browser

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/google/go-cmp/cmp"
)

const (
	initiateAuth = "AWSCognitoIdentityProviderService.InitiateAuth"
	respond      = "AWSCognitoIdentityProviderService.RespondToAuthChallenge"
	getUser      = "AWSCognitoIdentityProviderService.GetUser"
)

// TestSRPSignInFromAnotherOrigin is the single-page app of the CORS
// acceptance test: on an origin of its own, amazon-cognito-identity-js
// signs a user in with SRP against cognate on its default configuration,
// reads the user with GetUser, and gets a readable error for a wrong
// password. Before cognate answered CORS preflights (OPTIONS / was a 400),
// the browser refused every one of these calls.
func TestSRPSignInFromAnotherOrigin(t *testing.T) {
	chromium := requireBrowser(t)
	c := startCognate(t)
	api := newAPIProxy(t, c.URL)
	u := c.newUser(t, "ada", "Correct-Horse-1", "ada@example.com")
	spa := serveApp(t)
	if spa.Origin == api.URL {
		t.Fatalf("the app and the API share the origin %s", spa.Origin)
	}
	ctx := newBrowser(t, chromium)

	got, err := signIn(ctx, spa.page(api.URL, u), u.Username, u.Password)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != "signed-in" {
		t.Fatalf("the page reports %s at %s: %s", got.State, got.Step, got.Error)
	}
	if got.Origin != spa.Origin {
		t.Errorf("the page ran on %s, want %s", got.Origin, spa.Origin)
	}
	claims := []struct {
		token, claim string
		got, want    any
	}{
		{"access", "token_use", got.Access["token_use"], "access"},
		{"access", "sub", got.Access["sub"], u.Sub},
		{"access", "client_id", got.Access["client_id"], u.ClientID},
		{"access", "username", got.Access["username"], u.Username},
		{"id", "token_use", got.ID["token_use"], "id"},
		{"id", "sub", got.ID["sub"], u.Sub},
		{"id", "aud", got.ID["aud"], u.ClientID},
		{"id", "cognito:username", got.ID["cognito:username"], u.Username},
		{"id", "email", got.ID["email"], u.Email},
	}
	for _, cl := range claims {
		if cl.got != cl.want {
			t.Errorf("%s token's %s = %v, want %v", cl.token, cl.claim, cl.got, cl.want)
		}
	}
	for _, tok := range []map[string]any{got.Access, got.ID} {
		if iss, _ := tok["iss"].(string); !strings.HasSuffix(iss, "/"+u.PoolID) {
			t.Errorf("iss = %q, want the pool's issuer", iss)
		}
	}
	if !got.HasRefreshToken {
		t.Error("the session holds no refresh token")
	}
	wantAttrs := map[string]string{"sub": u.Sub, "email": u.Email, "email_verified": "true", "name": "Ada Lovelace"}
	if diff := cmp.Diff(wantAttrs, got.Attributes); diff != "" {
		t.Errorf("GetUser's attributes in the page (-want +got):\n%s", diff)
	}
	// The page's access token is one cognate itself accepts.
	me, err := c.admin.GetUser(context.Background(), &cip.GetUserInput{AccessToken: aws.String(got.AccessToken)})
	if err != nil {
		t.Fatalf("GetUser with the page's access token: %v", err)
	}
	if aws.ToString(me.Username) != u.Username {
		t.Errorf("the page's access token is %s's, want %s's", aws.ToString(me.Username), u.Username)
	}

	// The browser asked first (a preflight), and read every answer.
	var preflights int
	var calls []string
	for _, x := range api.exchanges() {
		switch {
		case x.Origin != spa.Origin:
			t.Errorf("%s %s came from %q, want the app's origin %s", x.Method, x.Target, x.Origin, spa.Origin)
		case x.Method == "OPTIONS":
			preflights++
			if x.Status != 200 || x.AllowOrigin != "*" {
				t.Errorf("preflight answered %d with Access-Control-Allow-Origin %q, want 200 and *", x.Status, x.AllowOrigin)
			}
		default:
			calls = append(calls, x.Target)
			if x.Status != 200 || x.AllowOrigin != "*" {
				t.Errorf("%s answered %d with Access-Control-Allow-Origin %q, want 200 and *", x.Target, x.Status, x.AllowOrigin)
			}
		}
	}
	if preflights == 0 {
		t.Error("the browser sent no preflight: the page and the API are not cross-origin")
	}
	if diff := cmp.Diff([]string{initiateAuth, respond, getUser}, calls); diff != "" {
		t.Errorf("API calls from the page (-want +got):\n%s", diff)
	}

	// An error answer carries the CORS headers too: the page reads its type
	// and message, not a network error.
	bad, err := signIn(ctx, spa.page(api.URL, u), u.Username, "Wrong-Horse-1")
	if err != nil {
		t.Fatal(err)
	}
	if bad.State != "error" || bad.Step != "authenticateUser" || bad.Error != "NotAuthorizedException: Incorrect username or password." {
		t.Errorf("a wrong password: the page reports %s at %s: %q, want NotAuthorizedException's message", bad.State, bad.Step, bad.Error)
	}
}

// TestAllowedOriginsInBrowser runs cognate with cors.allowed_origins
// naming one app: that app signs in, and the browser refuses another
// app's call at the preflight, before any request reaches an operation.
func TestAllowedOriginsInBrowser(t *testing.T) {
	chromium := requireBrowser(t)
	allowed, other := serveApp(t), serveApp(t)
	c := startCognate(t, "COGNATE_CORS_ALLOWED_ORIGINS="+allowed.Origin)
	api := newAPIProxy(t, c.URL)
	u := c.newUser(t, "grace", "Correct-Horse-1", "grace@example.com")
	ctx := newBrowser(t, chromium)

	refused, err := signIn(ctx, other.page(api.URL, u), u.Username, u.Password)
	if err != nil {
		t.Fatal(err)
	}
	if refused.State != "error" || refused.Error != "Error: Network error" {
		t.Errorf("from an origin not listed, the page reports %s at %s: %q, want the library's network error", refused.State, refused.Step, refused.Error)
	}
	for _, x := range api.exchanges() {
		if x.Method != "OPTIONS" || x.Status != 403 || x.AllowOrigin != "" {
			t.Errorf("from an origin not listed: %s %s answered %d (Access-Control-Allow-Origin %q), want only refused preflights",
				x.Method, x.Target, x.Status, x.AllowOrigin)
		}
	}
	if len(api.exchanges()) == 0 {
		t.Error("the browser sent nothing from the origin not listed")
	}

	got, err := signIn(ctx, allowed.page(api.URL, u), u.Username, u.Password)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != "signed-in" || got.Attributes["email"] != u.Email || got.Access["sub"] != u.Sub {
		t.Fatalf("from the listed origin, the page reports %s at %s: %s (attributes %v)", got.State, got.Step, got.Error, got.Attributes)
	}
	var calls []string
	for _, x := range api.exchanges() {
		if x.Origin != allowed.Origin {
			continue
		}
		if x.Status != 200 || x.AllowOrigin != allowed.Origin {
			t.Errorf("%s %s from the listed origin answered %d with Access-Control-Allow-Origin %q, want 200 and %s",
				x.Method, x.Target, x.Status, x.AllowOrigin, allowed.Origin)
		}
		if x.Method == "POST" {
			calls = append(calls, x.Target)
		}
	}
	if !slices.Equal(calls, []string{initiateAuth, respond, getUser}) {
		t.Errorf("API calls from the listed origin: %v", calls)
	}
}
