package oauth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"golang.org/x/oauth2"
)

// poolKinds are the item kinds a pool holds once it has been used: its
// configuration, its directory and what signing in keeps.
var poolKinds = []string{
	"client", "resource_server", "domain", "ui_customization", "managed_login_branding", "terms",
	"user", "group", "group_member", "auth_event",
	"signing_key", "token_family", "refresh_token", "auth_session",
}

// TestDeleteUserPoolLeavesNothing fills a pool with one of every kind of
// thing a pool holds, through the API and the hosted UI (users with a code
// outstanding, groups and members, app clients and their secrets, a domain,
// a resource server, the classic customization, a managed login style,
// terms, sign-in sessions, a failed-attempt counter, an unredeemed
// authorization code, refresh tokens, signing keys, auth events), deletes
// it (and a group deleted before it, whose tombstone names it), and then
// reads every row of every table of the store: nothing
// mentions the pool, its app client or its user but the tombstones the
// change log keeps for the other regions (the pool's, and a purge entry a
// kind), while another pool is untouched.
func TestDeleteUserPoolLeavesNothing(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		kept := newApp(t, e, "kept", clientSpec{})
		a := newApp(t, e, "doomed", clientSpec{})
		pool := aws.String(a.Pool)
		if _, err := e.IDP.UpdateUserPool(ctx, &cip.UpdateUserPoolInput{UserPoolId: pool, UserPoolTier: types.UserPoolTierTypePlus,
			UserPoolAddOns: &types.UserPoolAddOnsType{AdvancedSecurityMode: types.AdvancedSecurityModeTypeAudit}}); err != nil {
			t.Fatal(err)
		}
		user, err := e.IDP.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: pool, Username: aws.String(username)})
		if err != nil {
			t.Fatal(err)
		}
		var sub string
		for _, at := range user.UserAttributes {
			if aws.ToString(at.Name) == "sub" {
				sub = aws.ToString(at.Value)
			}
		}
		steps := []struct {
			name string
			run  func() error
		}{
			{"CreateGroup", func() error {
				_, err := e.IDP.CreateGroup(ctx, &cip.CreateGroupInput{UserPoolId: pool, GroupName: aws.String("admins")})
				return err
			}},
			{"CreateGroup and DeleteGroup (a tombstone)", func() error {
				if _, err := e.IDP.CreateGroup(ctx, &cip.CreateGroupInput{UserPoolId: pool, GroupName: aws.String("former")}); err != nil {
					return err
				}
				_, err := e.IDP.DeleteGroup(ctx, &cip.DeleteGroupInput{UserPoolId: pool, GroupName: aws.String("former")})
				return err
			}},
			{"AdminAddUserToGroup", func() error {
				_, err := e.IDP.AdminAddUserToGroup(ctx, &cip.AdminAddUserToGroupInput{UserPoolId: pool, GroupName: aws.String("admins"), Username: aws.String(username)})
				return err
			}},
			{"CreateResourceServer", func() error {
				_, err := e.IDP.CreateResourceServer(ctx, &cip.CreateResourceServerInput{UserPoolId: pool, Identifier: aws.String("https://api.example.com"),
					Name: aws.String("api"), Scopes: []types.ResourceServerScopeType{{ScopeName: aws.String("read"), ScopeDescription: aws.String("read")}}})
				return err
			}},
			{"SetUICustomization", func() error {
				_, err := e.IDP.SetUICustomization(ctx, &cip.SetUICustomizationInput{UserPoolId: pool, CSS: aws.String(".banner-customizable { background-color: #123456; }")})
				return err
			}},
			{"CreateManagedLoginBranding", func() error {
				_, err := e.IDP.CreateManagedLoginBranding(ctx, &cip.CreateManagedLoginBrandingInput{UserPoolId: pool, ClientId: aws.String(a.ClientID), UseCognitoProvidedValues: true})
				return err
			}},
			{"CreateTerms", func() error {
				_, err := e.IDP.CreateTerms(ctx, &cip.CreateTermsInput{UserPoolId: pool, ClientId: aws.String(a.ClientID), TermsName: aws.String("terms-of-use"),
					TermsSource: types.TermsSourceTypeLink, Enforcement: types.TermsEnforcementTypeNone,
					Links: map[string]string{"cognito:default": "https://example.com/terms"}})
				return err
			}},
			{"CreateIdentityProvider", func() error {
				_, err := e.IDP.CreateIdentityProvider(ctx, &cip.CreateIdentityProviderInput{UserPoolId: pool, ProviderName: aws.String("Google"),
					ProviderType: types.IdentityProviderTypeTypeGoogle, IdpIdentifiers: []string{"google.example.com"},
					ProviderDetails: map[string]string{"client_id": "g", "client_secret": "google-secret", "authorize_scopes": "openid"}})
				return err
			}},
			{"AdminLinkProviderForUser", func() error {
				_, err := e.IDP.AdminLinkProviderForUser(ctx, &cip.AdminLinkProviderForUserInput{UserPoolId: pool,
					DestinationUser: &types.ProviderUserIdentifierType{ProviderName: aws.String("Cognito"), ProviderAttributeValue: aws.String(username)},
					SourceUser: &types.ProviderUserIdentifierType{ProviderName: aws.String("Google"), ProviderAttributeName: aws.String("Cognito_Subject"),
						ProviderAttributeValue: aws.String("google-subject-1")}})
				return err
			}},
			{"GetSigningCertificate", func() error {
				_, err := e.IDP.GetSigningCertificate(ctx, &cip.GetSigningCertificateInput{UserPoolId: pool})
				return err
			}},
			{"AddUserPoolClientSecret", func() error {
				_, err := e.IDP.AddUserPoolClientSecret(ctx, &cip.AddUserPoolClientSecretInput{UserPoolId: pool, ClientId: aws.String(a.ClientID),
					ClientSecret: aws.String("chosen0client0secret0value0for0the0delete0test0abcd")})
				return err
			}},
			{"ForgotPassword", func() error {
				m := hmac.New(sha256.New, []byte(a.ClientSecret))
				m.Write([]byte(username + a.ClientID))
				_, err := e.IDP.ForgotPassword(ctx, &cip.ForgotPasswordInput{ClientId: aws.String(a.ClientID), Username: aws.String(username),
					SecretHash: aws.String(base64.StdEncoding.EncodeToString(m.Sum(nil)))})
				return err
			}},
		}
		for _, s := range steps {
			if err := s.run(); err != nil {
				t.Fatalf("%s: %v", s.name, err)
			}
		}

		// The hosted UI: a wrong password (a failed-attempt counter), a
		// sign-in (a session), a code redeemed for tokens (a token family,
		// a refresh token, a signing key, an event) and one left unredeemed.
		r := newRP(t, a)
		b := newBrowser(t, e)
		verifier := oauth2.GenerateVerifier()
		authURL := r.config.AuthCodeURL("st", oauth2.S256ChallengeOption(verifier))
		if wrong := b.submit(t, b.get(t, authURL), map[string]string{"username": username, "password": "Wrong-Password-1"}); wrong.Location != "" {
			t.Fatalf("a wrong password signed in: %s", wrong.Location)
		}
		back := b.signIn(t, authURL, username, password)
		if _, err := r.config.Exchange(ctx, back.Query().Get("code"), oauth2.VerifierOption(verifier)); err != nil {
			t.Fatalf("exchange: %v", err)
		}
		codeFor(t, b, &r.config, oauth2.GenerateVerifier())

		for _, kind := range poolKinds {
			if n, err := e.Store.CountItems(ctx, kind, a.Pool); err != nil || n == 0 {
				t.Errorf("before the deletion the pool has %d %s items (%v), want some", n, kind, err)
			}
		}
		before, err := e.Dump()
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{a.Pool, a.ClientID, sub} {
			if !strings.Contains(before, s) {
				t.Fatalf("the store holds no %q before the deletion", s)
			}
		}

		if _, err := e.IDP.DeleteUserPoolDomain(ctx, &cip.DeleteUserPoolDomainInput{UserPoolId: pool, Domain: aws.String(a.Prefix)}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.IDP.DeleteUserPool(ctx, &cip.DeleteUserPoolInput{UserPoolId: pool}); err != nil {
			t.Fatal(err)
		}

		for _, kind := range poolKinds {
			if n, err := e.Store.CountItems(ctx, kind, a.Pool); err != nil || n != 0 {
				t.Errorf("after the deletion the pool has %d %s items (%v), want none", n, kind, err)
			}
		}
		after, err := e.Dump()
		if err != nil {
			t.Fatal(err)
		}
		tombstones := 0
		for line := range strings.Lines(after) {
			mentions := strings.Contains(line, a.Pool) || strings.Contains(line, a.ClientID) || strings.Contains(line, sub)
			if !mentions {
				continue
			}
			// change_log seq region hlc kind entity key state pool actor
			f := strings.Split(strings.TrimRight(line, "\n"), "\t")
			if len(f) == 10 && f[0] == "change_log" && (f[4] == "delete" || f[4] == "purge") && f[6] == a.Pool && f[7] == "<nil>" && f[8] == a.Pool {
				tombstones++
				continue
			}
			t.Errorf("after the deletion the store still holds: %q", line)
		}
		if tombstones == 0 {
			t.Error("the change log holds no tombstone of the deleted pool")
		}
		if !strings.Contains(after, kept.Pool) || !strings.Contains(after, kept.ClientID) {
			t.Error("the deletion took the other pool's rows too")
		}
		if _, err := e.IDP.DescribeUserPoolClient(ctx, &cip.DescribeUserPoolClientInput{UserPoolId: aws.String(kept.Pool), ClientId: aws.String(kept.ClientID)}); err != nil {
			t.Errorf("the other pool's client: %v", err)
		}
	})
}
