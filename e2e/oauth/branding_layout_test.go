package oauth

import (
	"context"
	"html"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/document"
	"golang.org/x/oauth2"
)

var brandingLink = regexp.MustCompile(`<link rel="stylesheet" href="([^"]*)" id="branding-css">`)

// TestManagedLoginLayout gives an app client a managed login style whose
// settings move the form and the logo and tighten the spacing, through the
// SDK, on a managed login (version 2) domain: the sign-in page links the
// client's branding stylesheet, and the stylesheet lays the page out as the
// settings say, with their colours.
func TestManagedLoginLayout(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		a := newApp(t, e, "layout", clientSpec{})
		if _, err := e.IDP.UpdateUserPoolDomain(ctx, &cip.UpdateUserPoolDomainInput{UserPoolId: aws.String(a.Pool), Domain: aws.String(a.Prefix),
			ManagedLoginVersion: aws.Int32(2)}); err != nil {
			t.Fatal(err)
		}
		settings := map[string]any{
			"categories": map[string]any{
				"form":   map[string]any{"location": map[string]any{"horizontal": "END", "vertical": "START"}},
				"global": map[string]any{"spacingDensity": "SPACIOUS"},
			},
			"components": map[string]any{
				"form":          map[string]any{"logo": map[string]any{"location": "START"}, "borderRadius": 20},
				"primaryButton": map[string]any{"lightMode": map[string]any{"defaults": map[string]any{"backgroundColor": "123456ff"}}},
			},
		}
		if _, err := e.IDP.CreateManagedLoginBranding(ctx, &cip.CreateManagedLoginBrandingInput{UserPoolId: aws.String(a.Pool), ClientId: aws.String(a.ClientID),
			Settings: document.NewLazyDocument(settings)}); err != nil {
			t.Fatal(err)
		}
		r := newRP(t, a)
		b := newBrowser(t, e)
		login := b.get(t, r.config.AuthCodeURL("st", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
		m := brandingLink.FindStringSubmatch(login.Body)
		if m == nil {
			t.Fatalf("the sign-in page (%d) links no branding stylesheet:\n%s", login.Status, login.Body)
		}
		cssURL, err := login.URL.Parse(html.UnescapeString(m[1]))
		if err != nil {
			t.Fatal(err)
		}
		css := b.get(t, cssURL.String())
		for _, want := range []string{
			"body { min-height: 100vh; display: flex; flex-direction: column; justify-content: flex-start }",
			".panel { margin-left: auto; margin-right: 0 }",
			".panel { padding: 2.25rem }",
			"button { margin-top: 2rem; padding: 0.9rem }",
			".banner { text-align: left }",
			".panel { border-radius: 20px }",
			"button { background: #123456ff",
		} {
			if !strings.Contains(css.Body, want) {
				t.Errorf("branding stylesheet (%d) lacks %q:\n%s", css.Status, want, css.Body)
			}
		}
	})
}
