package main

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/google/go-cmp/cmp"
)

// madeUpAnswers are the parts of the answers to requests about a user that
// does not exist which a client that prevents user existence errors makes
// up, and which must not change from one asking to the next.
type madeUpAnswers struct {
	ForgotPassword, ResendConfirmationCode types.CodeDeliveryDetailsType
	// Salt and UserIDForSRP are USER_SRP_AUTH's SALT and USER_ID_FOR_SRP;
	// its SRP_B is fresh at each asking, as for a real user.
	Salt, UserIDForSRP string
}

// askAboutNobody asks server url (with its admin key pair keyID, secret)
// the questions of madeUpAnswers about username, for client of pool.
func askAboutNobody(t *testing.T, url, keyID, secret, client, username string) madeUpAnswers {
	t.Helper()
	ctx := context.Background()
	c := cip.New(cip.Options{BaseEndpoint: aws.String(url), Region: "us-east-1", RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider(keyID, secret, "")})
	var a madeUpAnswers
	fp, err := c.ForgotPassword(ctx, &cip.ForgotPasswordInput{ClientId: aws.String(client), Username: aws.String(username)})
	if err != nil {
		t.Fatalf("ForgotPassword: %v", err)
	}
	rc, err := c.ResendConfirmationCode(ctx, &cip.ResendConfirmationCodeInput{ClientId: aws.String(client), Username: aws.String(username)})
	if err != nil {
		t.Fatalf("ResendConfirmationCode: %v", err)
	}
	if fp.CodeDeliveryDetails == nil || rc.CodeDeliveryDetails == nil {
		t.Fatalf("no CodeDeliveryDetails: %+v, %+v", fp, rc)
	}
	a.ForgotPassword, a.ResendConfirmationCode = *fp.CodeDeliveryDetails, *rc.CodeDeliveryDetails
	ia, err := c.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: aws.String(client), AuthFlow: types.AuthFlowTypeUserSrpAuth,
		AuthParameters: map[string]string{"USERNAME": username, "SRP_A": "02"}})
	if err != nil {
		t.Fatalf("InitiateAuth USER_SRP_AUTH: %v", err)
	}
	a.Salt, a.UserIDForSRP = ia.ChallengeParameters["SALT"], ia.ChallengeParameters["USER_ID_FOR_SRP"]
	if a.Salt == "" || a.UserIDForSRP == "" || aws.ToString(a.ForgotPassword.Destination) == "" {
		t.Fatalf("incomplete made-up answers: %+v", a)
	}
	return a
}

// TestMadeUpAnswersAgreeAcrossNodes asks, for a client that prevents user
// existence errors, about a user that does not exist: on PostgreSQL two
// nodes sharing the database, each with an admin key pair generated into
// its own data directory, and on SQLite one server before and after a
// restart; then across an encryption-key rotation. The made-up details
// must be the same everywhere, as a real user's are: otherwise comparing
// answers would tell who exists. They are keyed by keys the store keeps,
// sealed with the encryption key (cluster.LoadExistenceKeys), and by
// nothing of a node's own.
func TestMadeUpAnswersAgreeAcrossNodes(t *testing.T) {
	for _, backend := range []string{"postgres", "sqlite"} {
		t.Run(backend, func(t *testing.T) {
			ts := newTestStore(t, backend)
			delete(ts.env, "COGNATE_ACCESS_KEY_ID")
			delete(ts.env, "COGNATE_SECRET_ACCESS_KEY")
			ts.env["COGNATE_ENCRYPTION_KEY"] = keyEnv(7)

			first := startServe(t, ts.env, ts.args()...)
			ctx := context.Background()
			c := cip.New(cip.Options{BaseEndpoint: aws.String(first.url), Region: "us-east-1", RetryMaxAttempts: 1,
				Credentials: credentials.NewStaticCredentialsProvider(first.keyID, first.secret, "")})
			pool, err := c.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("existence"),
				AutoVerifiedAttributes: []types.VerifiedAttributeType{types.VerifiedAttributeTypeEmail}})
			if err != nil {
				t.Fatal(err)
			}
			client, err := c.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: pool.UserPool.Id,
				ClientName: aws.String("app"), PreventUserExistenceErrors: types.PreventUserExistenceErrorTypesEnabled,
				ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserSrpAuth,
					types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth}})
			if err != nil {
				t.Fatal(err)
			}
			id := aws.ToString(client.UserPoolClient.ClientId)
			const nobody = "nobody-here"
			want := askAboutNobody(t, first.url, first.keyID, first.secret, id, nobody)

			var second *serveProc
			if backend == "postgres" {
				second = startServe(t, ts.env, ts.args()...)
				if second.keyID == first.keyID {
					t.Fatalf("both nodes have the admin key pair %s: each should have generated its own", first.keyID)
				}
			} else {
				if code := first.shutdown(); code != 0 {
					t.Fatalf("serve exited %d", code)
				}
				second = startServe(t, ts.env, ts.args()...)
			}
			same := func(stage string, s *serveProc) {
				t.Helper()
				got := askAboutNobody(t, s.url, s.keyID, s.secret, id, nobody)
				if diff := cmp.Diff(want, got, cmp.AllowUnexported(types.CodeDeliveryDetailsType{})); diff != "" {
					t.Errorf("%s: made-up answers about %q differ from the first server's (-first +now):\n%s", stage, nobody, diff)
				}
			}
			same("another server", second)
			for _, s := range []*serveProc{first, second} {
				s.shutdown()
			}

			// An encryption-key rotation changes none of it: not while
			// the old key is still accepted, nor once it is dropped.
			rotating := startServe(t, ts.with(map[string]string{"COGNATE_ENCRYPTION_KEY": keyEnv(8),
				"COGNATE_ENCRYPTION_KEYS_PREVIOUS": keyEnv(7)}), ts.args()...)
			same("during a key rotation", rotating)
			waitFor(t, rotating, "re-seal complete")
			if code := rotating.shutdown(); code != 0 {
				t.Fatalf("serve exited %d", code)
			}
			rotated := startServe(t, ts.with(map[string]string{"COGNATE_ENCRYPTION_KEY": keyEnv(8)}), ts.args()...)
			same("after a key rotation", rotated)
		})
	}
}
