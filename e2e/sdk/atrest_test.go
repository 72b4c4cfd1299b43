package sdk

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/pquerna/otp/totp"

	"github.com/cognate-dev/cognate/e2e/dbdump"
	"github.com/cognate-dev/cognate/internal/storage/postgres"
	"github.com/cognate-dev/cognate/internal/storage/sqlite"
	"github.com/cognate-dev/cognate/internal/storage/storagetest"
)

// dumpSQLite and dumpPostgres read every row of every table of a
// database (dbdump), failing t when they cannot.
func dumpSQLite(t *testing.T, path string) string {
	t.Helper()
	out, err := dbdump.SQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func dumpPostgres(t *testing.T, dsn string) string {
	t.Helper()
	out, err := dbdump.Postgres(dsn)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestDatabaseDumpHoldsNoSecrets is the regression test of secrets and
// personal data at rest. With a confidential app client, users with codes
// outstanding, and a user that was renamed and then deleted, a dump of
// every row of every table, once the change log is compacted, holds no
// client secret, no code that was sent, and nothing of the deleted user's
// email addresses or names. On the old code the client secrets were there
// in the clear, the codes were an unkeyed hash a search reverses (and the
// digits themselves are checked too), and the change log kept every state
// of the deleted user. The deleted users had signed in and then got a
// password wrong: on the old code their refresh-token families (with the
// username), refresh tokens and failed-attempt counters (with the sub)
// stayed, in the tables and in the change log, until they expired.
func TestDatabaseDumpHoldsNoSecrets(t *testing.T) {
	for _, backend := range backendNames {
		t.Run(backend, func(t *testing.T) {
			db, dump := openDumpable(t, backend)
			e := startWithOutbox(t, db)
			checkDumpHoldsNoSecrets(t, e, dump)
		})
	}
}

// openDumpable opens a fresh, empty store of the named backend (without
// the read cache) and returns it with a function that reads every row of
// its database as a copy of it would.
func openDumpable(t *testing.T, backend string) (migratingStore, func() string) {
	t.Helper()
	ctx := context.Background()
	var (
		db   migratingStore
		dump func() string
		err  error
	)
	switch backend {
	case "sqlite":
		path := filepath.Join(t.TempDir(), "cognate.db")
		db, err = sqlite.Open(ctx, path, sqlite.Options{Region: "us-east-1"})
		dump = func() string { return dumpSQLite(t, path) }
	case "postgres":
		dsn := storagetest.PostgresSchema(t)
		db, err = postgres.Open(ctx, dsn, postgres.Options{Region: "us-east-1"})
		dump = func() string { return dumpPostgres(t, dsn) }
	default:
		t.Fatalf("unknown backend %q", backend)
	}
	if err != nil {
		t.Fatal(err)
	}
	return db, dump
}

func checkDumpHoldsNoSecrets(t *testing.T, e *userEnv, dump func() string) {
	ctx := context.Background()
	c := e.c
	pool := createPool(t, c, &cip.CreateUserPoolInput{
		PoolName:               aws.String("at-rest"),
		AutoVerifiedAttributes: []types.VerifiedAttributeType{types.VerifiedAttributeTypeEmail},
	})
	poolID := pool.Id
	client, err := c.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{
		UserPoolId: poolID, ClientName: aws.String("confidential"), GenerateSecret: true,
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserPasswordAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth},
	})
	if err != nil {
		t.Fatal(err)
	}
	clientID, secret := client.UserPoolClient.ClientId, aws.ToString(client.UserPoolClient.ClientSecret)
	const chosenSecret = "chosen0client0secret0value0for0the0dump0test0abcdefgh"
	if _, err := c.AddUserPoolClientSecret(ctx, &cip.AddUserPoolClientSecretInput{
		UserPoolId: poolID, ClientId: clientID, ClientSecret: aws.String(chosenSecret),
	}); err != nil {
		t.Fatal(err)
	}
	hash := func(username string) *string {
		m := hmac.New(sha256.New, []byte(secret))
		m.Write([]byte(username + aws.ToString(clientID)))
		return aws.String(base64.StdEncoding.EncodeToString(m.Sum(nil)))
	}

	// An unconfirmed user with its confirmation code outstanding.
	if _, err := c.SignUp(ctx, &cip.SignUpInput{
		ClientId: clientID, SecretHash: hash("pending"), Username: aws.String("pending"), Password: aws.String("Passw0rd!x"),
		UserAttributes: []types.AttributeType{{Name: aws.String("email"), Value: aws.String("pending.user@example.com")}},
	}); err != nil {
		t.Fatal(err)
	}
	signUpCode, _ := e.lastCode(t, "pending.user@example.com")

	// A user with a password-reset code outstanding.
	if _, err := c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{
		UserPoolId: poolID, Username: aws.String("forgetful"), MessageAction: types.MessageActionTypeSuppress,
		UserAttributes: []types.AttributeType{
			{Name: aws.String("email"), Value: aws.String("forgetful.user@example.com")},
			{Name: aws.String("email_verified"), Value: aws.String("true")},
		},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{
		UserPoolId: poolID, Username: aws.String("forgetful"), Password: aws.String("Passw0rd!x"), Permanent: true,
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ForgotPassword(ctx, &cip.ForgotPasswordInput{ClientId: clientID, SecretHash: hash("forgetful"), Username: aws.String("forgetful")}); err != nil {
		t.Fatal(err)
	}
	resetCode, _ := e.lastCode(t, "forgetful.user@example.com")

	// The same user has a verified software token, and a second secret
	// associated and not verified yet: both are sealed at rest.
	fin, err := c.InitiateAuth(ctx, &cip.InitiateAuthInput{
		ClientId: clientID, AuthFlow: types.AuthFlowTypeUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": "forgetful", "PASSWORD": "Passw0rd!x", "SECRET_HASH": aws.ToString(hash("forgetful"))},
	})
	if err != nil {
		t.Fatal(err)
	}
	var totpSecrets []string
	for i := range 2 {
		assoc, err := c.AssociateSoftwareToken(ctx, &cip.AssociateSoftwareTokenInput{AccessToken: fin.AuthenticationResult.AccessToken})
		if err != nil {
			t.Fatal(err)
		}
		totpSecrets = append(totpSecrets, aws.ToString(assoc.SecretCode))
		if i == 0 {
			code, err := totp.GenerateCode(totpSecrets[0], time.Now())
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.VerifySoftwareToken(ctx, &cip.VerifySoftwareTokenInput{AccessToken: fin.AuthenticationResult.AccessToken, UserCode: aws.String(code)}); err != nil {
				t.Fatal(err)
			}
		}
	}

	// A user who is renamed, given a new address (a verification code goes
	// to it), and then deleted.
	if _, err := c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{
		UserPoolId: poolID, Username: aws.String("leaver"), MessageAction: types.MessageActionTypeSuppress,
		UserAttributes: []types.AttributeType{
			{Name: aws.String("email"), Value: aws.String("first.leaver.address@example.com")},
			{Name: aws.String("email_verified"), Value: aws.String("true")},
			{Name: aws.String("name"), Value: aws.String("Firstname Leaverdottir")},
		},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AdminUpdateUserAttributes(ctx, &cip.AdminUpdateUserAttributesInput{
		UserPoolId: poolID, Username: aws.String("leaver"),
		UserAttributes: []types.AttributeType{
			{Name: aws.String("name"), Value: aws.String("Secondname Leaverdottir")},
			{Name: aws.String("email"), Value: aws.String("second.leaver.address@example.com")},
		},
	}); err != nil {
		t.Fatal(err)
	}
	verifyCode, _ := e.lastCode(t, "second.leaver.address@example.com")
	if _, err := c.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{
		UserPoolId: poolID, Username: aws.String("leaver"), Password: aws.String("Passw0rd!x"), Permanent: true,
	}); err != nil {
		t.Fatal(err)
	}
	// The leaver signs in (a refresh-token family) and then gets a
	// password wrong (a failed-attempt counter); so does a user who then
	// deletes itself.
	if _, err := c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{
		UserPoolId: poolID, Username: aws.String("selfleaver"), MessageAction: types.MessageActionTypeSuppress,
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{
		UserPoolId: poolID, Username: aws.String("selfleaver"), Password: aws.String("Passw0rd!x"), Permanent: true,
	}); err != nil {
		t.Fatal(err)
	}
	leaverSub, selfLeaverSub := userSub(t, c, poolID, "leaver"), userSub(t, c, poolID, "selfleaver")
	access := map[string]*string{}
	for _, name := range []string{"leaver", "selfleaver"} {
		out, err := c.InitiateAuth(ctx, &cip.InitiateAuthInput{
			ClientId: clientID, AuthFlow: types.AuthFlowTypeUserPasswordAuth,
			AuthParameters: map[string]string{"USERNAME": name, "PASSWORD": "Passw0rd!x", "SECRET_HASH": aws.ToString(hash(name))},
		})
		if err != nil {
			t.Fatalf("sign in %s: %v", name, err)
		}
		if out.AuthenticationResult == nil || out.AuthenticationResult.RefreshToken == nil {
			t.Fatalf("sign in %s: no refresh token", name)
		}
		access[name] = out.AuthenticationResult.AccessToken
		_, err = c.InitiateAuth(ctx, &cip.InitiateAuthInput{
			ClientId: clientID, AuthFlow: types.AuthFlowTypeUserPasswordAuth,
			AuthParameters: map[string]string{"USERNAME": name, "PASSWORD": "Wr0ng-passw0rd!", "SECRET_HASH": aws.ToString(hash(name))},
		})
		var notAuthorized *types.NotAuthorizedException
		if !errors.As(err, &notAuthorized) {
			t.Fatalf("wrong password of %s: got %v, want NotAuthorizedException", name, err)
		}
	}
	if raw := dump(); !strings.Contains(raw, `"leaver"`) || !strings.Contains(raw, "lockout/"+leaverSub) {
		t.Fatal("before the delete, the dump holds no token family or failed-attempt counter of the leaver; the test checks nothing")
	}
	if _, err := c.AdminDeleteUser(ctx, &cip.AdminDeleteUserInput{UserPoolId: poolID, Username: aws.String("leaver")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteUser(ctx, &cip.DeleteUserInput{AccessToken: access["selfleaver"]}); err != nil {
		t.Fatal(err)
	}
	// A later write, so that the deletes are not the newest entries of
	// the change log, which compaction keeps.
	if _, err := c.AdminUpdateUserAttributes(ctx, &cip.AdminUpdateUserAttributesInput{
		UserPoolId: poolID, Username: aws.String("forgetful"),
		UserAttributes: []types.AttributeType{{Name: aws.String("name"), Value: aws.String("Forgetful")}},
	}); err != nil {
		t.Fatal(err)
	}

	// Identity providers: a Google client secret and a Sign in with Apple
	// private key, both sealed at rest.
	const googleSecret = "google0provider0client0secret0for0the0dump0test"
	if _, err := c.CreateIdentityProvider(ctx, &cip.CreateIdentityProviderInput{
		UserPoolId: poolID, ProviderName: aws.String("Google"), ProviderType: types.IdentityProviderTypeTypeGoogle,
		ProviderDetails: map[string]string{"client_id": "g.apps.example", "client_secret": googleSecret, "authorize_scopes": "openid email"},
	}); err != nil {
		t.Fatal(err)
	}
	applePEM, appleBody := newAppleKey(t)
	if _, err := c.CreateIdentityProvider(ctx, &cip.CreateIdentityProviderInput{
		UserPoolId: poolID, ProviderName: aws.String("SignInWithApple"), ProviderType: types.IdentityProviderTypeTypeSignInWithApple,
		ProviderDetails: map[string]string{"client_id": "com.example.app", "team_id": "TEAM123456", "key_id": "KEY1234567", "private_key": applePEM, "authorize_scopes": "email name"},
	}); err != nil {
		t.Fatal(err)
	}

	pendingSub, forgetfulSub := userSub(t, c, poolID, "pending"), userSub(t, c, poolID, "forgetful")
	check := func(when, raw string) {
		t.Helper()
		// The dump reads real data: the remaining users are there.
		if !strings.Contains(raw, "pending.user@example.com") || !strings.Contains(raw, "forgetful.user@example.com") {
			t.Fatalf("%s: the dump does not hold the remaining users; it reads nothing", when)
		}
		for what, s := range map[string]string{
			"the generated client secret": secret, "the chosen client secret": chosenSecret,
			"the deleted user's first email": "first.leaver.address", "the deleted user's second email": "second.leaver.address",
			"the deleted user's first name": "Firstname Leaverdottir", "the deleted user's second name": "Secondname Leaverdottir",
			"the deleted user's username": "\"leaver\"", "the self-deleted user's username": "selfleaver",
			"the verified TOTP secret": totpSecrets[0], "the pending TOTP secret": totpSecrets[1],
			"the Google client secret": googleSecret, "the Apple private key": appleBody[:40],
		} {
			if strings.Contains(raw, s) {
				t.Errorf("%s: the dump holds %s (%q)", when, what, s)
			}
		}
		for what, code := range map[string]string{"sign-up code": signUpCode, "reset code": resetCode, "verification code": verifyCode} {
			if regexp.MustCompile(`(^|[^0-9])` + code + `([^0-9]|$)`).MatchString(raw) {
				t.Errorf("%s: the dump holds the %s %s", when, what, code)
			}
		}
		// Nor the unkeyed hash of a code (SHA-256 of the sub, a colon
		// and the code), which a search of the million codes reverses.
		for _, sent := range []struct{ sub, code string }{{pendingSub, signUpCode}, {forgetfulSub, resetCode}} {
			sum := sha256.Sum256([]byte(sent.sub + ":" + sent.code))
			if strings.Contains(raw, hex.EncodeToString(sum[:])) {
				t.Errorf("%s: the dump holds the unkeyed hash of code %s", when, sent.code)
			}
		}
	}
	// Right after the delete, before any compaction. The deleted users'
	// subs are still the keys of the deletes' change-log entries (the
	// tombstones replication needs), and nowhere else.
	raw := dump()
	check("after the delete", raw)
	for _, line := range strings.Split(raw, "\n") {
		for _, sub := range []string{leaverSub, selfLeaverSub} {
			if strings.Contains(line, sub) && !(strings.HasPrefix(line, "change_log\t") && strings.Contains(line, "\tdelete\t")) {
				t.Errorf("after the delete: the dump holds the sub %s of a deleted user other than in a delete's change-log entry: %s", sub, line)
			}
		}
	}
	if _, err := e.Store.CompactChanges(ctx, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	raw = dump()
	check("after compaction", raw)
	for _, sub := range []string{leaverSub, selfLeaverSub} {
		if strings.Contains(raw, sub) {
			t.Errorf("after compaction: the dump holds the sub %s of a deleted user", sub)
		}
	}
}

// userSub returns the sub of a pool's user.
func userSub(t *testing.T, c *cip.Client, poolID *string, username string) string {
	t.Helper()
	out, err := c.AdminGetUser(context.Background(), &cip.AdminGetUserInput{UserPoolId: poolID, Username: aws.String(username)})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range out.UserAttributes {
		if aws.ToString(a.Name) == "sub" {
			return aws.ToString(a.Value)
		}
	}
	t.Fatalf("user %s has no sub", username)
	return ""
}
