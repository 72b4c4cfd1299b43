package triggers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/google/go-cmp/cmp"

	"github.com/cognate-dev/cognate/e2e/lambdafn/fn"
	"github.com/cognate-dev/cognate/e2e/localkms"
	"github.com/cognate-dev/cognate/internal/storage"
	"github.com/cognate-dev/cognate/internal/triggers"
)

// The custom senders of the tests: one function of e2e/lambdafn, which
// records each event and answers nothing useful (Cognito reads nothing of
// it); a user whose name starts with "deny" makes it fail.
const (
	emailSenderARN = functionARN + "email-sender"
	smsSenderARN   = functionARN + "sms-sender"
	// The keys local-kms is seeded with: the pools' key, and one the
	// failure test disables.
	senderKey   = "0b9f6a66-3c57-4d4e-9f3e-5a0d1c2b7e11"
	disabledKey = "5d2c8e44-7a1b-4f0e-8c3d-9e6f0a1b2c33"
	missingKey  = "9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d"
	// suiteCommitSign is AES-256-GCM, HKDF-SHA512, key commitment and
	// ECDSA P-384 (0x0578), the suite Cognito's codes come in.
	suiteCommitSign = 0x0578
)

// senderEvent is a custom sender event as the function received it,
// decoded as Cognito documents it (aws-lambda-go has no type for it).
type senderEvent struct {
	Version       string `json:"version"`
	TriggerSource string `json:"triggerSource"`
	Region        string `json:"region"`
	UserPoolID    string `json:"userPoolId"`
	UserName      string `json:"userName"`
	CallerContext struct {
		AWSSDKVersion string `json:"awsSdkVersion"`
		ClientID      string `json:"clientId"`
	} `json:"callerContext"`
	Request struct {
		Type           string            `json:"type"`
		Code           *string           `json:"code"`
		ClientMetadata map[string]string `json:"clientMetadata"`
		UserAttributes map[string]string `json:"userAttributes"`
	} `json:"request"`
}

// senderEnv is a cognate whose custom senders run under the Lambda runtime
// emulator, its codes encrypted by local-kms.
type senderEnv struct {
	*env
	kms *localkms.Server
}

func kmsClient(url string) *triggers.KMS {
	return mustKMS(triggers.NewKMS(context.Background(), triggers.KMSConfig{
		Region: localkms.Region, Endpoint: url, Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
	}))
}

func mustKMS(k *triggers.KMS, err error) *triggers.KMS {
	if err != nil {
		panic(err)
	}
	return k
}

// senderPool creates a pool that verifies email addresses, with both custom
// senders and KMSKeyID key, SMS MFA OPTIONAL, and an app client for
// password sign-in.
func (e *env) senderPool(t *testing.T, keyARN string) (string, string) {
	t.Helper()
	ctx := context.Background()
	c := e.client()
	p, err := c.CreateUserPool(ctx, &cip.CreateUserPoolInput{
		PoolName: aws.String("senders"),
		LambdaConfig: &types.LambdaConfigType{
			CustomEmailSender: &types.CustomEmailLambdaVersionConfigType{LambdaArn: aws.String(emailSenderARN), LambdaVersion: types.CustomEmailSenderLambdaVersionTypeV10},
			CustomSMSSender:   &types.CustomSMSLambdaVersionConfigType{LambdaArn: aws.String(smsSenderARN), LambdaVersion: types.CustomSMSSenderLambdaVersionTypeV10},
			KMSKeyID:          aws.String(keyARN),
		},
		AutoVerifiedAttributes: []types.VerifiedAttributeType{types.VerifiedAttributeTypeEmail},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.SetUserPoolMfaConfig(ctx, &cip.SetUserPoolMfaConfigInput{
		UserPoolId: p.UserPool.Id, MfaConfiguration: types.UserPoolMfaTypeOptional,
		SmsMfaConfiguration: &types.SmsMfaConfigType{
			SmsAuthenticationMessage: aws.String("Your code is {####}"),
			SmsConfiguration:         &types.SmsConfigurationType{SnsCallerArn: aws.String("arn:aws:iam::123456789012:role/cognito-sns")},
		},
	}); err != nil {
		t.Fatal(err)
	}
	cl, err := c.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{
		UserPoolId: p.UserPool.Id, ClientName: aws.String("app"),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserPasswordAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth},
	})
	if err != nil {
		t.Fatal(err)
	}
	return *p.UserPool.Id, *cl.UserPoolClient.ClientId
}

// senderEvents returns the custom sender events recorded since the last
// call, decoded.
func (e *env) senderEvents(t *testing.T) []senderEvent {
	t.Helper()
	var out []senderEvent
	for _, r := range e.events(t) {
		var ev senderEvent
		if err := json.Unmarshal(r.raw, &ev); err != nil {
			t.Fatal(err)
		}
		out = append(out, ev)
	}
	return out
}

// decrypted is what the AWS Encryption SDK for JavaScript returns for a
// code.
type decrypted struct {
	Plaintext         string            `json:"plaintext"`
	SuiteID           int               `json:"suiteId"`
	EncryptionContext map[string]string `json:"encryptionContext"`
}

// decrypt decrypts codes with the AWS Encryption SDK for JavaScript and its
// KMS keyring pointed at local-kms, under the default commitment policy.
func (s *senderEnv) decrypt(t *testing.T, keyARN string, codes ...string) []decrypted {
	t.Helper()
	node := requireNode(t)
	in, err := json.Marshal(map[string]any{"endpoint": s.kms.URL, "keyArn": keyARN, "codes": codes})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "decrypt.js")
	cmd.Stdin = bytes.NewReader(in)
	cmd.Env = append(os.Environ(), "AWS_REGION="+localkms.Region)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node decrypt.js: %v\n%s", err, stderr.String())
	}
	var got []decrypted
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("decrypt.js answered %q: %v", out, err)
	}
	return got
}

// requireNode finds node and installs the pinned AWS Encryption SDK for
// JavaScript next to decrypt.js. Where CI runs, a missing node or npm
// fails the test; elsewhere the test skips with one loud line.
func requireNode(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("node is required for the custom sender test")
		}
		t.Skip("custom sender test SKIPPED: node is not installed")
	}
	var pkg struct {
		Dependencies map[string]string `json:"dependencies"`
	}
	raw, err := os.ReadFile("package.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &pkg); err != nil {
		t.Fatal(err)
	}
	for name, version := range pkg.Dependencies {
		var dep struct {
			Version string `json:"version"`
		}
		raw, err := os.ReadFile("node_modules/" + name + "/package.json")
		if err == nil && json.Unmarshal(raw, &dep) == nil && dep.Version == version {
			continue
		}
		npm, err := exec.LookPath("npm")
		if err != nil {
			t.Fatal("npm is required to install the AWS Encryption SDK for JavaScript")
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		if out, err := exec.CommandContext(ctx, npm, "install", "--no-audit", "--no-fund", "--no-package-lock").CombinedOutput(); err != nil {
			t.Fatalf("npm install: %v\n%s", err, out)
		}
		break
	}
	return node
}

// TestCustomSenders runs every message cognate sends through a pool's
// CustomEmailSender and CustomSMSSender, under the Lambda runtime and
// behind the webhook: each
// event is compared field by field with what Cognito sends, each code is
// decrypted by the AWS Encryption SDK for JavaScript through local-kms and
// then used (it confirms, resets, verifies, signs in), and cognate itself
// sends nothing.
func TestCustomSenders(t *testing.T) {
	requireNode(t)
	for _, backend := range backends(t) {
		for _, tr := range []transport{viaLambda, viaWebhook} {
			t.Run(backend+"/"+string(tr), func(t *testing.T) {
				ctx := context.Background()
				ks := localkms.Start(t, senderKey, disabledKey)
				s := &senderEnv{env: startWith(t, backend, tr, 5*time.Second, kmsClient(ks.URL)), kms: ks}
				keyARN := ks.KeyARN(senderKey)
				poolID, clientID := s.senderPool(t, keyARN)
				c := s.client()
				meta := map[string]string{"app": "orders"}

				// want checks the one event since the last call against
				// source, user and attributes, and returns its code
				// decrypted.
				want := func(t *testing.T, source, clientID, user string, attrs map[string]string, metadata map[string]string) string {
					t.Helper()
					evs := s.senderEvents(t)
					if len(evs) != 1 {
						t.Fatalf("%d sender events, want one %s: %+v", len(evs), source, evs)
					}
					ev := evs[0]
					if ev.Request.Code == nil || *ev.Request.Code == "" {
						t.Fatalf("%s: no code", source)
					}
					code := *ev.Request.Code
					ev.Request.Code = nil
					w := senderEvent{Version: "1", TriggerSource: source, Region: "us-east-1", UserPoolID: poolID, UserName: user}
					w.CallerContext.AWSSDKVersion = triggers.SDKVersionUnknown
					w.CallerContext.ClientID = clientID
					w.Request.Type = triggers.CustomEmailSenderRequestV1
					if strings.HasPrefix(source, "CustomSMSSender_") {
						w.Request.Type = triggers.CustomSMSSenderRequestV1
					}
					w.Request.ClientMetadata, w.Request.UserAttributes = metadata, attrs
					if diff := cmp.Diff(w, ev); diff != "" {
						t.Errorf("%s event (-want +got):\n%s", source, diff)
					}
					d := s.decrypt(t, keyARN, code)[0]
					if d.SuiteID != suiteCommitSign {
						t.Errorf("suite %#x, want %#x", d.SuiteID, suiteCommitSign)
					}
					if d.EncryptionContext["userpool-id"] != poolID || len(d.EncryptionContext) != 2 || d.EncryptionContext["aws-crypto-public-key"] == "" {
						t.Errorf("encryption context %v, want userpool-id %s and the verification key", d.EncryptionContext, poolID)
					}
					return d.Plaintext
				}

				// SignUp: CustomEmailSender_SignUp; the code confirms.
				out, err := c.SignUp(ctx, &cip.SignUpInput{
					ClientId: aws.String(clientID), Username: aws.String("alice"), Password: aws.String(password),
					UserAttributes: []types.AttributeType{{Name: aws.String("email"), Value: aws.String("alice@example.com")}}, ClientMetadata: meta,
				})
				if err != nil {
					t.Fatal(err)
				}
				code := want(t, "CustomEmailSender_SignUp", clientID, "alice", map[string]string{
					"email": "alice@example.com", "sub": *out.UserSub, "cognito:user_status": "UNCONFIRMED",
				}, meta)
				// ResendConfirmationCode: CustomEmailSender_ResendCode; the
				// new code confirms.
				if _, err := c.ResendConfirmationCode(ctx, &cip.ResendConfirmationCodeInput{ClientId: aws.String(clientID), Username: aws.String("alice"), ClientMetadata: meta}); err != nil {
					t.Fatal(err)
				}
				code = want(t, "CustomEmailSender_ResendCode", clientID, "alice", map[string]string{
					"email": "alice@example.com", "sub": *out.UserSub, "cognito:user_status": "UNCONFIRMED",
				}, meta)
				if _, err := c.ConfirmSignUp(ctx, &cip.ConfirmSignUpInput{ClientId: aws.String(clientID), Username: aws.String("alice"), ConfirmationCode: aws.String(code)}); err != nil {
					t.Fatalf("ConfirmSignUp with the decrypted code %q: %v", code, err)
				}

				// ForgotPassword: CustomEmailSender_ForgotPassword; the code
				// sets a new password.
				if _, err := c.ForgotPassword(ctx, &cip.ForgotPasswordInput{ClientId: aws.String(clientID), Username: aws.String("alice"), ClientMetadata: meta}); err != nil {
					t.Fatal(err)
				}
				code = want(t, "CustomEmailSender_ForgotPassword", clientID, "alice", map[string]string{
					"email": "alice@example.com", "email_verified": "true", "sub": *out.UserSub, "cognito:user_status": "CONFIRMED",
				}, meta)
				if _, err := c.ConfirmForgotPassword(ctx, &cip.ConfirmForgotPasswordInput{
					ClientId: aws.String(clientID), Username: aws.String("alice"), ConfirmationCode: aws.String(code), Password: aws.String(password + "x"),
				}); err != nil {
					t.Fatalf("ConfirmForgotPassword with the decrypted code: %v", err)
				}
				s.events(t) // PostConfirmation is not configured; nothing else

				// UpdateUserAttributes: CustomEmailSender_UpdateUserAttribute;
				// GetUserAttributeVerificationCode:
				// CustomEmailSender_VerifyUserAttribute; its code verifies.
				auth, err := c.InitiateAuth(ctx, &cip.InitiateAuthInput{
					ClientId: aws.String(clientID), AuthFlow: types.AuthFlowTypeUserPasswordAuth,
					AuthParameters: map[string]string{"USERNAME": "alice", "PASSWORD": password + "x"},
				})
				if err != nil || auth.AuthenticationResult == nil {
					t.Fatalf("InitiateAuth: %v %v", auth, err)
				}
				token := auth.AuthenticationResult.AccessToken
				if _, err := c.UpdateUserAttributes(ctx, &cip.UpdateUserAttributesInput{
					AccessToken: token, ClientMetadata: meta,
					UserAttributes: []types.AttributeType{{Name: aws.String("email"), Value: aws.String("alice2@example.com")}},
				}); err != nil {
					t.Fatal(err)
				}
				updated := map[string]string{"email": "alice2@example.com", "email_verified": "false", "sub": *out.UserSub, "cognito:user_status": "CONFIRMED"}
				want(t, "CustomEmailSender_UpdateUserAttribute", clientID, "alice", updated, meta)
				if _, err := c.GetUserAttributeVerificationCode(ctx, &cip.GetUserAttributeVerificationCodeInput{
					AccessToken: token, AttributeName: aws.String("email"), ClientMetadata: meta,
				}); err != nil {
					t.Fatal(err)
				}
				code = want(t, "CustomEmailSender_VerifyUserAttribute", clientID, "alice", updated, meta)
				if _, err := c.VerifyUserAttribute(ctx, &cip.VerifyUserAttributeInput{AccessToken: token, AttributeName: aws.String("email"), Code: aws.String(code)}); err != nil {
					t.Fatalf("VerifyUserAttribute with the decrypted code: %v", err)
				}

				// AdminCreateUser by email and SMS: CustomEmailSender_ and
				// CustomSMSSender_AdminCreateUser, each with the temporary
				// password, which signs in.
				created, err := c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{
					UserPoolId: aws.String(poolID), Username: aws.String("bob"), ClientMetadata: meta,
					DesiredDeliveryMediums: []types.DeliveryMediumType{types.DeliveryMediumTypeEmail, types.DeliveryMediumTypeSms},
					UserAttributes: []types.AttributeType{
						{Name: aws.String("email"), Value: aws.String("bob@example.com")},
						{Name: aws.String("phone_number"), Value: aws.String("+15555550142")},
					},
				})
				if err != nil {
					t.Fatal(err)
				}
				var bobSub string
				for _, a := range created.User.Attributes {
					if *a.Name == "sub" {
						bobSub = *a.Value
					}
				}
				bobAttrs := map[string]string{"email": "bob@example.com", "phone_number": "+15555550142", "sub": bobSub, "cognito:user_status": "FORCE_CHANGE_PASSWORD"}
				evs := s.senderEvents(t)
				if len(evs) != 2 {
					t.Fatalf("%d sender events for an invitation by email and SMS, want 2", len(evs))
				}
				var codes []string
				for i, source := range []string{"CustomEmailSender_AdminCreateUser", "CustomSMSSender_AdminCreateUser"} {
					ev := evs[i]
					if ev.TriggerSource != source || ev.CallerContext.ClientID != "CLIENT_ID_NOT_APPLICABLE" || ev.UserName != "bob" ||
						!cmp.Equal(ev.Request.UserAttributes, bobAttrs) || !cmp.Equal(ev.Request.ClientMetadata, meta) || ev.Request.Code == nil {
						t.Errorf("event %d: %+v, want %s for bob", i, ev, source)
						continue
					}
					codes = append(codes, *ev.Request.Code)
				}
				if len(codes) == 2 {
					if evs[1].Request.Type != triggers.CustomSMSSenderRequestV1 || evs[0].Request.Type != triggers.CustomEmailSenderRequestV1 {
						t.Errorf("request types %q, %q", evs[0].Request.Type, evs[1].Request.Type)
					}
					d := s.decrypt(t, keyARN, codes...)
					if d[0].Plaintext != d[1].Plaintext || d[0].Plaintext == "" {
						t.Errorf("temporary passwords %q and %q, want one", d[0].Plaintext, d[1].Plaintext)
					}
					ch, err := c.InitiateAuth(ctx, &cip.InitiateAuthInput{
						ClientId: aws.String(clientID), AuthFlow: types.AuthFlowTypeUserPasswordAuth,
						AuthParameters: map[string]string{"USERNAME": "bob", "PASSWORD": d[0].Plaintext},
					})
					if err != nil || ch.ChallengeName != types.ChallengeNameTypeNewPasswordRequired {
						t.Errorf("sign-in with the decrypted temporary password: %v %v, want NEW_PASSWORD_REQUIRED", ch, err)
					}
				}

				// An SMS MFA code: CustomSMSSender_Authentication; its code
				// signs in.
				erinSub := s.smsMFAUser(t, poolID, "erin", "+15555550199")
				ch, err := c.InitiateAuth(ctx, &cip.InitiateAuthInput{
					ClientId: aws.String(clientID), AuthFlow: types.AuthFlowTypeUserPasswordAuth,
					AuthParameters: map[string]string{"USERNAME": "erin", "PASSWORD": password}, ClientMetadata: meta,
				})
				if err != nil || ch.ChallengeName != types.ChallengeNameTypeSmsMfa {
					t.Fatalf("InitiateAuth: %v %v, want SMS_MFA", ch, err)
				}
				code = want(t, "CustomSMSSender_Authentication", clientID, "erin", map[string]string{
					"email": "erin@example.com", "phone_number": "+15555550199", "phone_number_verified": "true",
					"sub": erinSub, "cognito:user_status": "CONFIRMED",
				}, meta)
				if _, err := c.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{
					ClientId: aws.String(clientID), ChallengeName: types.ChallengeNameTypeSmsMfa, Session: ch.Session,
					ChallengeResponses: map[string]string{"USERNAME": "erin", "SMS_MFA_CODE": code},
				}); err != nil {
					t.Fatalf("SMS_MFA with the decrypted code: %v", err)
				}

				// cognate sent nothing itself.
				if msgs := s.outbox.Messages(""); len(msgs) != 0 {
					t.Errorf("cognate sent %d messages itself, want none: %+v", len(msgs), msgs)
				}
			})
		}
	}
}

// TestMigrationWelcomeThroughSender signs in a user UserMigration knows
// and asks to welcome (messageAction not SUPPRESS, by EMAIL), at a pool
// with a CustomEmailSender: the welcome message, the pool's invitation,
// goes to the function as CustomEmailSender_AdminCreateUser, with no code
// (the user signs in with the password it has), and cognate sends nothing
// itself.
func TestMigrationWelcomeThroughSender(t *testing.T) {
	for _, tr := range []transport{viaLambda, viaWebhook} {
		t.Run(string(tr), func(t *testing.T) {
			ctx := context.Background()
			e := start(t, "sqlite", tr, 5*time.Second)
			c := e.client()
			p, err := c.CreateUserPool(ctx, &cip.CreateUserPoolInput{
				PoolName: aws.String("welcome"),
				LambdaConfig: &types.LambdaConfigType{
					UserMigration:     aws.String(functionARN + "migrate"),
					CustomEmailSender: &types.CustomEmailLambdaVersionConfigType{LambdaArn: aws.String(emailSenderARN), LambdaVersion: types.CustomEmailSenderLambdaVersionTypeV10},
					KMSKeyID:          aws.String("arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000"),
				},
			})
			if err != nil {
				t.Fatal(err)
			}
			poolID := *p.UserPool.Id
			cl, err := c.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{
				UserPoolId: aws.String(poolID), ClientName: aws.String("app"),
				ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserPasswordAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth},
			})
			if err != nil {
				t.Fatal(err)
			}
			clientID := *cl.UserPoolClient.ClientId
			meta := map[string]string{"app": "orders"}
			if _, err := c.InitiateAuth(ctx, &cip.InitiateAuthInput{
				ClientId: aws.String(clientID), AuthFlow: types.AuthFlowTypeUserPasswordAuth, ClientMetadata: meta,
				AuthParameters: map[string]string{"USERNAME": "migwelcome1", "PASSWORD": fn.LegacyPassword},
			}); err != nil {
				t.Fatal(err)
			}
			u, err := c.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(poolID), Username: aws.String("migwelcome1")})
			if err != nil {
				t.Fatal(err)
			}
			var sub string
			for _, a := range u.UserAttributes {
				if *a.Name == "sub" {
					sub = *a.Value
				}
			}
			var senders []senderEvent
			for _, r := range e.events(t) {
				if strings.HasPrefix(r.source, "CustomEmailSender_") {
					var ev senderEvent
					if err := json.Unmarshal(r.raw, &ev); err != nil {
						t.Fatal(err)
					}
					senders = append(senders, ev)
				}
			}
			w := senderEvent{Version: "1", TriggerSource: "CustomEmailSender_AdminCreateUser", Region: "us-east-1", UserPoolID: poolID, UserName: "migwelcome1"}
			w.CallerContext.AWSSDKVersion = triggers.SDKVersionUnknown
			w.CallerContext.ClientID = clientID
			w.Request.Type = triggers.CustomEmailSenderRequestV1
			w.Request.ClientMetadata = meta
			w.Request.UserAttributes = map[string]string{
				"email": "migwelcome1@example.com", "email_verified": "true", "given_name": "Migrated", "sub": sub, "cognito:user_status": "CONFIRMED",
			}
			if d := cmp.Diff([]senderEvent{w}, senders); d != "" {
				t.Errorf("sender events (-want +got):\n%s", d)
			}
			if msgs := e.outbox.Messages(""); len(msgs) != 0 {
				t.Errorf("cognate sent %d messages itself, want none: %+v", len(msgs), msgs)
			}
		})
	}
}

// TestCustomSenderFailures: a KMS key that is disabled or does not exist,
// a KMS that cannot be reached, and a sender function that fails each end
// the operation with Cognito's exception and write nothing: no user
// created, no code changed.
func TestCustomSenderFailures(t *testing.T) {
	ctx := context.Background()
	ks := localkms.Start(t, senderKey, disabledKey)
	s := &senderEnv{env: startWith(t, "sqlite", viaLambda, 5*time.Second, kmsClient(ks.URL)), kms: ks}
	kc := kms.New(kms.Options{
		BaseEndpoint: aws.String(ks.URL), Region: localkms.Region,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
	})
	if _, err := kc.DisableKey(ctx, &kms.DisableKeyInput{KeyId: aws.String(disabledKey)}); err != nil {
		t.Fatal(err)
	}
	// A second cognate whose KMS is a closed port.
	closed := startWith(t, "sqlite", viaLambda, 5*time.Second, kmsClient("http://127.0.0.1:1"))

	cases := []struct {
		name     string
		e        *env
		key      string
		user     string
		wantType any
		wantMsg  string
	}{
		{"key disabled", s.env, ks.KeyARN(disabledKey), "carol", &types.UnexpectedLambdaException{}, "CustomEmailSender invocation failed due to error DisabledException."},
		{"key missing", s.env, ks.KeyARN(missingKey), "carol", &types.UnexpectedLambdaException{}, "CustomEmailSender invocation failed due to error NotFoundException."},
		{"kms unreachable", closed, ks.KeyARN(senderKey), "carol", &types.UnexpectedLambdaException{}, "CustomEmailSender invocation failed due to error KMSInternalException."},
		{"function error", s.env, ks.KeyARN(senderKey), "denyme", &types.UserLambdaValidationException{}, "CustomEmailSender failed with error Denied by the test function."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			poolID, clientID := tc.e.senderPool(t, tc.key)
			c := tc.e.client()
			// SignUp creates no user.
			_, err := c.SignUp(ctx, &cip.SignUpInput{
				ClientId: aws.String(clientID), Username: aws.String(tc.user), Password: aws.String(password),
				UserAttributes: []types.AttributeType{{Name: aws.String("email"), Value: aws.String(tc.user + "@example.com")}},
			})
			checkSenderError(t, err, tc.wantType, tc.wantMsg)
			if _, err := c.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(poolID), Username: aws.String(tc.user)}); !errors.As(err, new(*types.UserNotFoundException)) {
				t.Errorf("AdminGetUser after the failed SignUp: %v, want UserNotFoundException", err)
			}
			// ForgotPassword changes nothing of an existing user.
			sub := tc.e.user(t, poolID, tc.user)
			if _, err := c.AdminUpdateUserAttributes(ctx, &cip.AdminUpdateUserAttributesInput{
				UserPoolId: aws.String(poolID), Username: aws.String(tc.user),
				UserAttributes: []types.AttributeType{{Name: aws.String("email_verified"), Value: aws.String("true")}},
			}); err != nil {
				t.Fatal(err)
			}
			tc.e.events(t)
			before := userItem(t, tc.e, sub)
			_, err = c.ForgotPassword(ctx, &cip.ForgotPasswordInput{ClientId: aws.String(clientID), Username: aws.String(tc.user)})
			checkSenderError(t, err, tc.wantType, tc.wantMsg)
			if after := userItem(t, tc.e, sub); !bytes.Equal(before.Data, after.Data) || before.Version != after.Version {
				t.Errorf("the failed ForgotPassword changed the user")
			}
			if msgs := tc.e.outbox.Messages(""); len(msgs) != 0 {
				t.Errorf("cognate sent %d messages itself", len(msgs))
			}
		})
	}
}

func checkSenderError(t *testing.T, err error, wantType any, wantMsg string) {
	t.Helper()
	var msg string
	switch w := wantType.(type) {
	case *types.UnexpectedLambdaException:
		if !errors.As(err, &w) {
			t.Fatalf("got %v, want UnexpectedLambdaException", err)
		}
		msg = aws.ToString(w.Message)
	case *types.UserLambdaValidationException:
		if !errors.As(err, &w) {
			t.Fatalf("got %v, want UserLambdaValidationException", err)
		}
		msg = aws.ToString(w.Message)
	}
	if msg != wantMsg {
		t.Errorf("message %q, want %q", msg, wantMsg)
	}
}

// userItem reads the stored record of the user sub.
func userItem(t *testing.T, e *env, sub string) *storage.Item {
	t.Helper()
	it, err := e.Store.GetItem(context.Background(), "user", sub)
	if err != nil {
		t.Fatal(err)
	}
	return it
}
