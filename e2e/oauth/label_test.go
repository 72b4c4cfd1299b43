package oauth

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"golang.org/x/oauth2"
)

// TestSignInPageLabel checks that the sign-in and forgot-password pages
// name the field users are found by after what the pool signs them in with:
// an email address or phone number in place of a username, or a username
// and the aliases the pool allows.
func TestSignInPageLabel(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		for _, tc := range []struct {
			prefix string
			pool   cip.CreateUserPoolInput
			want   string
		}{
			{"label-plain", cip.CreateUserPoolInput{}, "Username"},
			{"label-alias", cip.CreateUserPoolInput{AliasAttributes: []types.AliasAttributeType{types.AliasAttributeTypeEmail}}, "Username or email address"},
			{"label-aliases", cip.CreateUserPoolInput{AliasAttributes: []types.AliasAttributeType{types.AliasAttributeTypePhoneNumber,
				types.AliasAttributeTypeEmail, types.AliasAttributeTypePreferredUsername}}, "Username, email address, phone number or preferred username"},
			{"label-email", cip.CreateUserPoolInput{UsernameAttributes: []types.UsernameAttributeType{types.UsernameAttributeTypeEmail}}, "Email address"},
			{"label-phone", cip.CreateUserPoolInput{UsernameAttributes: []types.UsernameAttributeType{types.UsernameAttributeTypePhoneNumber}}, "Phone number"},
			{"label-both", cip.CreateUserPoolInput{UsernameAttributes: []types.UsernameAttributeType{types.UsernameAttributeTypePhoneNumber,
				types.UsernameAttributeTypeEmail}}, "Email address or phone number"},
		} {
			t.Run(tc.prefix, func(t *testing.T) {
				in := tc.pool
				in.PoolName = aws.String(tc.prefix)
				pool, err := e.IDP.CreateUserPool(ctx, &in)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := e.IDP.CreateUserPoolDomain(ctx, &cip.CreateUserPoolDomainInput{UserPoolId: pool.UserPool.Id, Domain: aws.String(tc.prefix)}); err != nil {
					t.Fatal(err)
				}
				cl, err := e.IDP.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: pool.UserPool.Id, ClientName: aws.String("web"),
					AllowedOAuthFlowsUserPoolClient: true, AllowedOAuthFlows: []types.OAuthFlowType{types.OAuthFlowTypeCode},
					AllowedOAuthScopes: []string{"openid"}, SupportedIdentityProviders: []string{"COGNITO"}, CallbackURLs: []string{callback}})
				if err != nil {
					t.Fatal(err)
				}
				domain := e.URL + "/_domain/" + tc.prefix
				cfg := oauth2.Config{ClientID: aws.ToString(cl.UserPoolClient.ClientId), RedirectURL: callback, Scopes: []string{"openid"},
					Endpoint: oauth2.Endpoint{AuthURL: domain + "/oauth2/authorize", TokenURL: domain + "/oauth2/token"}}
				b := newBrowser(t, e)
				login := b.get(t, cfg.AuthCodeURL("st", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
				want := `<label for="username" class="label-customizable">` + tc.want + `</label>`
				if !strings.Contains(login.Body, want) {
					t.Errorf("sign-in page (%d at %s) lacks %s:\n%s", login.Status, login.URL, want, login.Body)
				}
				forgot := b.get(t, domain+"/forgotPassword?"+login.URL.RawQuery)
				if !strings.Contains(forgot.Body, want) {
					t.Errorf("forgot-password page (%d) lacks %s:\n%s", forgot.Status, want, forgot.Body)
				}
			})
		}
	})
}
