package regions

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ci "github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	citypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentity/types"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

// identities is the Cognito identity client of r.
func identities(r *region) *ci.Client {
	return ci.New(ci.Options{BaseEndpoint: aws.String(r.srv.URL), Region: "us-east-1", Credentials: r.c.Options().Credentials, RetryMaxAttempts: 5})
}

// inactiveIdentityPool is an identity pool that takes the ID tokens of a
// user pool's app client, with an identity of one of its users.
type inactiveIdentityPool struct {
	id, identityID string
	logins         map[string]string
}

// newIdentityPool makes, in a, an identity pool for poolID's app client
// and, for idToken's user, an identity, and waits until b gives that
// identity credentials: the logins work in b before its replica changes.
func newIdentityPool(t *testing.T, ctx context.Context, a, b *region, poolID, clientID, idToken string) inactiveIdentityPool {
	t.Helper()
	provider := "cognito-idp.us-east-1.amazonaws.com/" + poolID
	ip, err := identities(a).CreateIdentityPool(ctx, &ci.CreateIdentityPoolInput{IdentityPoolName: aws.String("replica identities"),
		CognitoIdentityProviders: []citypes.CognitoIdentityProvider{{ProviderName: aws.String(provider), ClientId: aws.String(clientID)}}})
	if err != nil {
		t.Fatalf("CreateIdentityPool: %v", err)
	}
	// The role is of the server's account, which cognate's own STS lets
	// its identity tokens assume.
	if _, err := identities(a).SetIdentityPoolRoles(ctx, &ci.SetIdentityPoolRolesInput{IdentityPoolId: ip.IdentityPoolId,
		Roles: map[string]string{"authenticated": "arn:aws:iam::000000000000:role/Cognito_Auth"}}); err != nil {
		t.Fatalf("SetIdentityPoolRoles: %v", err)
	}
	p := inactiveIdentityPool{id: aws.ToString(ip.IdentityPoolId), logins: map[string]string{provider: idToken}}
	got, err := identities(a).GetId(ctx, &ci.GetIdInput{IdentityPoolId: ip.IdentityPoolId, Logins: p.logins})
	if err != nil {
		t.Fatalf("GetId in A: %v", err)
	}
	p.identityID = aws.ToString(got.IdentityId)
	eventually(t, "credentials for A's identity in B", func() error { return p.credentials(ctx, b) })
	return p
}

// credentials asks r for the identity's credentials with its login.
func (p inactiveIdentityPool) credentials(ctx context.Context, r *region) error {
	out, err := identities(r).GetCredentialsForIdentity(ctx, &ci.GetCredentialsForIdentityInput{IdentityId: aws.String(p.identityID), Logins: p.logins})
	if err != nil {
		return err
	}
	if out.Credentials == nil || aws.ToString(out.Credentials.AccessKeyId) == "" {
		return fmt.Errorf("GetCredentialsForIdentity in %s = %+v", r.name, out)
	}
	return nil
}

// refused checks that r refuses the identity's login, as the user pool's
// INACTIVE replica there refuses its end users: GetId and
// GetCredentialsForIdentity answer ResourceNotFoundException saying so.
func (p inactiveIdentityPool) refused(ctx context.Context, r *region) error {
	_, err := identities(r).GetId(ctx, &ci.GetIdInput{IdentityPoolId: aws.String(p.id), Logins: p.logins})
	var nf *citypes.ResourceNotFoundException
	if !errors.As(err, &nf) || !strings.Contains(nf.ErrorMessage(), "INACTIVE") {
		return fmt.Errorf("GetId in %s: %v, want ResourceNotFoundException saying INACTIVE", r.name, err)
	}
	err = p.credentials(ctx, r)
	if !errors.As(err, &nf) || !strings.Contains(nf.ErrorMessage(), "INACTIVE") {
		return fmt.Errorf("GetCredentialsForIdentity in %s: %v, want ResourceNotFoundException saying INACTIVE", r.name, err)
	}
	return nil
}

// inactiveRefusesSessions checks that an INACTIVE replica refuses the
// operations a sign-in's Session alone authorizes: a pool of A that
// requires MFA by software token, replicated to B, where a user's sign-in
// reaches MFA_SETUP (two Sessions: one for AssociateSoftwareToken, one
// that AssociateSoftwareToken answered, for VerifySoftwareToken); with B's
// replica INACTIVE, B refuses both with ResourceNotFoundException, as it
// refuses InitiateAuth; ACTIVE again, the same Sessions set up the token,
// the sign-in ends with tokens, and the other Session is answered, in B.
func inactiveRefusesSessions(t *testing.T, ctx context.Context, a, b *region) {
	t.Helper()
	pool, err := a.c.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("mfa-required")})
	if err != nil {
		t.Fatal(err)
	}
	poolID := aws.ToString(pool.UserPool.Id)
	if _, err := a.c.SetUserPoolMfaConfig(ctx, &cip.SetUserPoolMfaConfigInput{UserPoolId: aws.String(poolID),
		MfaConfiguration:              types.UserPoolMfaTypeOn,
		SoftwareTokenMfaConfiguration: &types.SoftwareTokenMfaConfigType{Enabled: true}}); err != nil {
		t.Fatal(err)
	}
	client, err := a.c.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: aws.String(poolID), ClientName: aws.String("app"),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserPasswordAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth}})
	if err != nil {
		t.Fatal(err)
	}
	clientID := aws.ToString(client.UserPoolClient.ClientId)
	const user, password = "mia", "Correct-Horse-2"
	if _, err := a.c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(poolID), Username: aws.String(user),
		MessageAction: types.MessageActionTypeSuppress}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.c.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: aws.String(poolID), Username: aws.String(user),
		Password: aws.String(password), Permanent: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.c.CreateUserPoolReplica(ctx, &cip.CreateUserPoolReplicaInput{UserPoolId: aws.String(poolID),
		RegionName: aws.String(b.name)}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the MFA pool's replica ACTIVE in B", func() error {
		got, err := replicas(ctx, b, poolID)
		if err != nil {
			return err
		}
		if got[b.name] != "SECONDARY ACTIVE" {
			return fmt.Errorf("replicas %v", got)
		}
		return nil
	})
	setup := func() string {
		t.Helper()
		out, err := b.c.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: aws.String(clientID), AuthFlow: types.AuthFlowTypeUserPasswordAuth,
			AuthParameters: map[string]string{"USERNAME": user, "PASSWORD": password}})
		if err != nil || out.ChallengeName != types.ChallengeNameTypeMfaSetup {
			t.Fatalf("InitiateAuth in B: %+v, %v, want MFA_SETUP", out, err)
		}
		return aws.ToString(out.Session)
	}
	associateSession := setup()
	assoc, err := b.c.AssociateSoftwareToken(ctx, &cip.AssociateSoftwareTokenInput{Session: aws.String(setup())})
	if err != nil {
		t.Fatalf("AssociateSoftwareToken in B: %v", err)
	}
	verifySession, secret := assoc.Session, aws.ToString(assoc.SecretCode)

	if _, err := b.c.UpdateUserPoolReplica(ctx, &cip.UpdateUserPoolReplicaInput{UserPoolId: aws.String(poolID),
		RegionName: aws.String(b.name), Status: types.UpdateReplicaStatusTypeInactive}); err != nil {
		t.Fatal(err)
	}
	var nf *types.ResourceNotFoundException
	_, err = b.c.AssociateSoftwareToken(ctx, &cip.AssociateSoftwareTokenInput{Session: aws.String(associateSession)})
	if !errors.As(err, &nf) || !strings.Contains(nf.ErrorMessage(), "INACTIVE") {
		t.Errorf("AssociateSoftwareToken with a Session in B, its replica INACTIVE: %v, want ResourceNotFoundException saying INACTIVE", err)
	}
	code, _ := totpCodeAt(t, secret, 0)
	_, err = b.c.VerifySoftwareToken(ctx, &cip.VerifySoftwareTokenInput{Session: verifySession, UserCode: aws.String(code)})
	if !errors.As(err, &nf) || !strings.Contains(nf.ErrorMessage(), "INACTIVE") {
		t.Errorf("VerifySoftwareToken with a Session in B, its replica INACTIVE: %v, want ResourceNotFoundException saying INACTIVE", err)
	}
	// A Session that names no pool is the operation's to refuse.
	var na *types.NotAuthorizedException
	if _, err := b.c.AssociateSoftwareToken(ctx, &cip.AssociateSoftwareTokenInput{Session: aws.String(strings.Repeat("x", 40))}); !errors.As(err, &na) {
		t.Errorf("AssociateSoftwareToken with a forged Session in B: %v, want NotAuthorizedException", err)
	}

	// ACTIVE again: the same Sessions go on, in B.
	if _, err := b.c.UpdateUserPoolReplica(ctx, &cip.UpdateUserPoolReplicaInput{UserPoolId: aws.String(poolID),
		RegionName: aws.String(b.name), Status: types.UpdateReplicaStatusTypeActive}); err != nil {
		t.Fatal(err)
	}
	code, _ = totpCodeAt(t, secret, 0)
	v, err := b.c.VerifySoftwareToken(ctx, &cip.VerifySoftwareTokenInput{Session: verifySession, UserCode: aws.String(code)})
	if err != nil || v.Status != types.VerifySoftwareTokenResponseTypeSuccess {
		t.Fatalf("VerifySoftwareToken with a Session in B, its replica ACTIVE again: %+v, %v", v, err)
	}
	done, err := b.c.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{ClientId: aws.String(clientID),
		ChallengeName: types.ChallengeNameTypeMfaSetup, Session: v.Session, ChallengeResponses: map[string]string{"USERNAME": user}})
	if err != nil || done.AuthenticationResult == nil {
		t.Fatalf("RespondToAuthChallenge MFA_SETUP in B: %+v, %v", done, err)
	}
	// The other Session too (it hands out a new secret, pending until
	// verified: the token set up above stays).
	if _, err := b.c.AssociateSoftwareToken(ctx, &cip.AssociateSoftwareTokenInput{Session: aws.String(associateSession)}); err != nil {
		t.Errorf("AssociateSoftwareToken with a Session in B, its replica ACTIVE again: %v", err)
	}
}
