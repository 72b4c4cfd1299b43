package oauth

import (
	"context"
	"html"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/pquerna/otp/totp"
	"golang.org/x/oauth2"
)

var (
	totpSecretOnPage = regexp.MustCompile(`<code id="totp-secret">([A-Z2-7]+)</code>`)
	totpQROnPage     = regexp.MustCompile(`<img id="totp-qr" src="data:image/png;base64,`)
)

// TestHostedMFA signs alice in on the hosted UI's pages in a pool where
// MFA is ON with authenticator apps: the first sign-in sets an app up
// (MFA_SETUP: the page shows the key and its QR code, and takes the app's
// first code), the next asks for a code (SOFTWARE_TOKEN_MFA: a wrong one
// is refused on the page, a right one signs in), and no sign-in reaches the
// app without the second factor; the hosted flow's Session does not answer
// through the API.
func TestHostedMFA(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		a := newApp(t, e, "mfa", clientSpec{})
		if _, err := e.IDP.SetUserPoolMfaConfig(ctx, &cip.SetUserPoolMfaConfigInput{UserPoolId: aws.String(a.Pool), MfaConfiguration: types.UserPoolMfaTypeOn,
			SoftwareTokenMfaConfiguration: &types.SoftwareTokenMfaConfigType{Enabled: true}}); err != nil {
			t.Fatal(err)
		}
		cfg := oauth2.Config{ClientID: a.ClientID, Endpoint: oauth2.Endpoint{AuthURL: a.Domain + "/oauth2/authorize"}, RedirectURL: callback, Scopes: []string{"openid"}}
		code := func(secret string) string {
			c, err := totp.GenerateCode(secret, e.Clock.Now())
			if err != nil {
				t.Fatal(err)
			}
			return c
		}

		b := newBrowser(t, e)
		setup := b.submit(t, b.get(t, cfg.AuthCodeURL("s")), map[string]string{"username": username, "password": password})
		m := totpSecretOnPage.FindStringSubmatch(setup.Body)
		if setup.Location != "" || m == nil || !totpQROnPage.MatchString(setup.Body) || !strings.Contains(setup.Body, `id="mfa-setup-form"`) {
			t.Fatalf("after the password: %d %s, want the set-up page with the key and its QR code:\n%s", setup.Status, setup.Location, setup.Body)
		}
		secret := m[1]
		wrong := b.submit(t, setup, map[string]string{"code": "000000"})
		if wrong.Location != "" || pageError.FindStringSubmatch(wrong.Body) == nil {
			t.Fatalf("a wrong first code: %d %s", wrong.Status, wrong.Location)
		}
		back := callbackOf(t, b.submit(t, setup, map[string]string{"code": code(secret)}))
		if back.Query().Get("code") == "" {
			t.Fatalf("after setting up the app: %s", back)
		}

		e.Clock.advance(30 * time.Second)
		b2 := newBrowser(t, e)
		ask := b2.submit(t, b2.get(t, cfg.AuthCodeURL("s")), map[string]string{"username": username, "password": password})
		if ask.Location != "" || !strings.Contains(ask.Body, `id="mfa-form"`) || !strings.Contains(ask.Body, `value="SOFTWARE_TOKEN_MFA"`) {
			t.Fatalf("second sign-in: %d %s, want the code page:\n%s", ask.Status, ask.Location, ask.Body)
		}
		session := regexp.MustCompile(`name="session" value="([^"]+)"`).FindStringSubmatch(ask.Body)
		if session == nil {
			t.Fatal("no session on the code page")
		}
		// The hosted flow's Session does not answer through the API.
		_, err := e.IDP.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{ClientId: aws.String(a.ClientID),
			ChallengeName: types.ChallengeNameTypeSoftwareTokenMfa, Session: aws.String(htmlUnescape(session[1])),
			ChallengeResponses: map[string]string{"USERNAME": username, "SOFTWARE_TOKEN_MFA_CODE": code(secret)}})
		if err == nil {
			t.Fatal("the hosted flow's Session answered through the API")
		}
		bad := b2.submit(t, ask, map[string]string{"code": "000000"})
		if me := pageError.FindStringSubmatch(bad.Body); bad.Location != "" || me == nil || me[1] != "Invalid code received for user" {
			t.Fatalf("a wrong code: %d %s %v", bad.Status, bad.Location, me)
		}
		back = callbackOf(t, b2.submit(t, ask, map[string]string{"code": code(secret)}))
		if back.Query().Get("code") == "" {
			t.Fatalf("after the code: %s", back)
		}
	})
}

func htmlUnescape(s string) string { return html.UnescapeString(s) }
