package browser

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/document"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"
)

// The passkey scenario registers a passkey and signs in with it in
// Chromium, whose virtual authenticator (the DevTools protocol's WebAuthn
// domain) answers navigator.credentials.create and .get as a platform
// authenticator would: the options cognate hands out go to the browser's
// own parsers (PublicKeyCredential.parseCreationOptionsFromJSON,
// parseRequestOptionsFromJSON) and the credentials the browser makes come
// back as their toJSON(), which the app sends on through the SDK.

// passkeyPage is the app's page: two functions the test calls with the
// options cognate gave, each answering the browser's credential as JSON.
const passkeyPage = `<!doctype html>
<html><head><meta charset="utf-8"><title>passkeys</title></head><body>
<p id="ready">ready</p>
<script>
async function createPasskey(options) {
  const publicKey = PublicKeyCredential.parseCreationOptionsFromJSON(JSON.parse(options));
  const cred = await navigator.credentials.create({publicKey});
  return JSON.stringify(cred.toJSON());
}
async function getPasskey(options) {
  const publicKey = PublicKeyCredential.parseRequestOptionsFromJSON(JSON.parse(options));
  const cred = await navigator.credentials.get({publicKey});
  return JSON.stringify(cred.toJSON());
}
</script></body></html>`

// servePasskeyPage serves the page at http://localhost:<port>: localhost
// is a secure context for WebAuthn, and the relying party of the test's
// pool.
func servePasskeyPage(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/":
		case "/favicon.ico":
			w.WriteHeader(http.StatusNoContent)
			return
		default:
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(passkeyPage))
	}))
	t.Cleanup(srv.Close)
	_, port, err := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	return "http://localhost:" + port + "/"
}

// browserCredential calls fn (createPasskey or getPasskey) in the page
// with options and returns the credential the browser made.
func browserCredential(t *testing.T, tab context.Context, fn, options string) string {
	t.Helper()
	out, err := chromedp.Run(tab, chromedp.Evaluate[string](fn+"("+jsString(options)+")", chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("%s in the browser: %v", fn, err)
	}
	return out
}

func TestPasskeyInBrowser(t *testing.T) {
	chromium := requireChromium(t)
	c := startCognate(t)
	ctx := context.Background()

	pool, err := c.admin.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("passkeys"), Policies: &types.UserPoolPolicyType{
		SignInPolicy: &types.SignInPolicyType{AllowedFirstAuthFactors: []types.AuthFactorType{"PASSWORD", "WEB_AUTHN"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.admin.SetUserPoolMfaConfig(ctx, &cip.SetUserPoolMfaConfigInput{
		UserPoolId: pool.UserPool.Id, MfaConfiguration: types.UserPoolMfaTypeOff,
		WebAuthnConfiguration: &types.WebAuthnConfigurationType{RelyingPartyId: aws.String("localhost"), UserVerification: types.UserVerificationTypeRequired},
	}); err != nil {
		t.Fatal(err)
	}
	client, err := c.admin.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{
		UserPoolId: pool.UserPool.Id, ClientName: aws.String("spa"),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{
			types.ExplicitAuthFlowsTypeAllowUserAuth, types.ExplicitAuthFlowsTypeAllowUserPasswordAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth,
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	u := c.newUserIn(t, aws.ToString(pool.UserPool.Id), "ada", "Passkey-Passw0rd", "ada@example.com", true)
	clientID := client.UserPoolClient.ClientId
	signedIn, err := c.admin.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: clientID, AuthFlow: types.AuthFlowTypeUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": u.Username, "PASSWORD": u.Password}})
	if err != nil || signedIn.AuthenticationResult == nil {
		t.Fatalf("password sign-in: %v", err)
	}
	token := signedIn.AuthenticationResult.AccessToken

	tab := newBrowser(t, chromium)
	if _, err := chromedp.Call(tab, webauthn.Enable, webauthn.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(tab, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{Options: &webauthn.VirtualAuthenticatorOptions{
		Protocol: webauthn.AuthenticatorProtocolCtap2, Ctap2version: webauthn.Ctap2versionCtap21, Transport: webauthn.AuthenticatorTransportInternal,
		HasResidentKey: true, HasUserVerification: true, IsUserVerified: true, AutomaticPresenceSimulation: true,
	}}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(tab, chromedp.Navigate(servePasskeyPage(t)), chromedp.WaitVisible(chromedp.ID("ready"))); err != nil {
		t.Fatal(err)
	}

	// Registration: the options go to navigator.credentials.create.
	start, err := c.admin.StartWebAuthnRegistration(ctx, &cip.StartWebAuthnRegistrationInput{AccessToken: token})
	if err != nil {
		t.Fatal(err)
	}
	options, err := start.CredentialCreationOptions.MarshalSmithyDocument()
	if err != nil {
		t.Fatal(err)
	}
	created := browserCredential(t, tab, "createPasskey", string(options))
	var doc map[string]any
	if err := json.Unmarshal([]byte(created), &doc); err != nil {
		t.Fatal(err)
	}
	if _, err := c.admin.CompleteWebAuthnRegistration(ctx, &cip.CompleteWebAuthnRegistrationInput{AccessToken: token, Credential: document.NewLazyDocument(doc)}); err != nil {
		t.Fatalf("CompleteWebAuthnRegistration with the browser's credential: %v", err)
	}
	list, err := c.admin.ListWebAuthnCredentials(ctx, &cip.ListWebAuthnCredentialsInput{AccessToken: token})
	if err != nil || len(list.Credentials) != 1 {
		t.Fatalf("ListWebAuthnCredentials = %+v, %v", list, err)
	}
	if got := list.Credentials[0]; aws.ToString(got.AuthenticatorAttachment) != "platform" || aws.ToString(got.RelyingPartyId) != "localhost" {
		t.Errorf("passkey %+v", got)
	}

	// Sign-in, twice: each assertion advances the authenticator's counter.
	for i := range 2 {
		init, err := c.admin.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: clientID, AuthFlow: types.AuthFlowTypeUserAuth,
			AuthParameters: map[string]string{"USERNAME": u.Username, "PREFERRED_CHALLENGE": "WEB_AUTHN"}})
		if err != nil || init.ChallengeName != types.ChallengeNameTypeWebAuthn {
			t.Fatalf("USER_AUTH preferring WEB_AUTHN = %+v, %v", init, err)
		}
		asserted := browserCredential(t, tab, "getPasskey", init.ChallengeParameters["CREDENTIAL_REQUEST_OPTIONS"])
		done, err := c.admin.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{ClientId: clientID, ChallengeName: types.ChallengeNameTypeWebAuthn,
			Session: init.Session, ChallengeResponses: map[string]string{"USERNAME": u.Username, "CREDENTIAL": asserted}})
		if err != nil || done.AuthenticationResult == nil || aws.ToString(done.AuthenticationResult.AccessToken) == "" {
			t.Fatalf("sign-in %d with the browser's passkey: %+v, %v", i+1, done, err)
		}
	}
}
