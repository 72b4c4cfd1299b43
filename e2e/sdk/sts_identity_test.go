package sdk

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ci "github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// TestOwnSTSTrustsIdentityPoolRoles checks what cognate's own STS does
// with the identity pools' OpenID tokens beyond the three steps: the
// principal tags become session tags, an unauthenticated identity that
// takes its token to the STS itself assumes its pool's unauthenticated
// role and no other (the authenticated one above all), and once the pool
// is deleted, nothing.
func TestOwnSTSTrustsIdentityPoolRoles(t *testing.T) {
	identityBackends(t, idOptions{ownSTS: true}, func(t *testing.T, e *idEnv) {
		ctx := context.Background()
		app := newUserPoolApp(t, e, "sts-trust")
		sub := app.newUser(t, e, "ada")
		in := poolFor(app, true)
		in.AllowClassicFlow = aws.Bool(true)
		pool := createIdentityPool(t, e, in)
		if _, err := e.ids.SetPrincipalTagAttributeMap(ctx, &ci.SetPrincipalTagAttributeMapInput{IdentityPoolId: &pool,
			IdentityProviderName: aws.String(app.Provider), UseDefaults: aws.Bool(true)}); err != nil {
			t.Fatal(err)
		}

		// The principal tags are the session's tags.
		logins := map[string]string{app.Provider: app.signIn(t, e, "ada")}
		id, err := e.pub.GetId(ctx, &ci.GetIdInput{IdentityPoolId: &pool, Logins: logins})
		if err != nil {
			t.Fatal(err)
		}
		out, err := e.pub.GetCredentialsForIdentity(ctx, &ci.GetCredentialsForIdentityInput{IdentityId: id.IdentityId, Logins: logins})
		if err != nil {
			t.Fatal(err)
		}
		if d := time.Until(aws.ToTime(out.Credentials.Expiration)); d < 59*time.Minute || d > 61*time.Minute {
			t.Errorf("credentials expire in %v, want an hour", d)
		}
		sess, err := e.ownSTS.Session(ctx, aws.ToString(out.Credentials.AccessKeyId))
		if err != nil {
			t.Fatal(err)
		}
		if sess.Tags["username"] != sub || sess.Tags["client"] != app.ClientID || len(sess.Tags) != 2 ||
			sess.Subject != aws.ToString(id.IdentityId) || sess.Audience != pool || sess.RoleARN != authRole {
			t.Errorf("session: tags %v, subject %q, audience %q, role %q", sess.Tags, sess.Subject, sess.Audience, sess.RoleARN)
		}

		// An unauthenticated identity's token: its pool's guest role only.
		guest, err := e.pub.GetId(ctx, &ci.GetIdInput{IdentityPoolId: &pool})
		if err != nil {
			t.Fatal(err)
		}
		tok, err := e.pub.GetOpenIdToken(ctx, &ci.GetOpenIdTokenInput{IdentityId: guest.IdentityId})
		if err != nil {
			t.Fatal(err)
		}
		sc := sts.New(sts.Options{BaseEndpoint: aws.String(e.URL), Region: "us-east-1", Credentials: aws.AnonymousCredentials{}, RetryMaxAttempts: 8})
		assume := func(role string) error {
			_, err := sc.AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{
				RoleArn: aws.String(role), RoleSessionName: aws.String("basic"), WebIdentityToken: tok.Token,
			})
			return err
		}
		if err := assume(unauthRole); err != nil {
			t.Errorf("guest token, guest role: %v", err)
		}
		for _, role := range []string{authRole, adminRole} {
			wantSTSError(t, assume(role), "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity")
		}

		// Once the pool is gone, its guest tokens assume nothing.
		if _, err := e.ids.DeleteIdentityPool(ctx, &ci.DeleteIdentityPoolInput{IdentityPoolId: &pool}); err != nil {
			t.Fatal(err)
		}
		wantSTSError(t, assume(unauthRole), "AccessDenied", "Not authorized")
	})
}
