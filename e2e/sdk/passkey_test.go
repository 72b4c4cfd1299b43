package sdk

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/document"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/descope/virtualwebauthn"
	"github.com/google/go-cmp/cmp"

	"github.com/cognate-dev/cognate/internal/storage"
)

// The passwordless tests sign in through USER_AUTH with codes read from
// the outbox, and with passkeys of a software authenticator
// (github.com/descope/virtualwebauthn) that makes real attestation and
// assertion signatures, the way a browser's navigator.credentials would
// answer the options cognate hands out.

const (
	passkeyRPID   = "example.com"
	passkeyOrigin = "https://example.com"
)

var userAuthFlows = append([]types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserAuth}, signInFlows...)

// passwordlessApp is a pool whose choice-based sign-in allows every first
// factor, with passkeys for passkeyRPID, and an app client with USER_AUTH.
func (e *userEnv) passwordlessApp(t *testing.T) *selfService {
	t.Helper()
	s := e.selfServicePool(t, &cip.CreateUserPoolInput{
		Policies: &types.UserPoolPolicyType{SignInPolicy: &types.SignInPolicyType{
			AllowedFirstAuthFactors: []types.AuthFactorType{"PASSWORD", "EMAIL_OTP", "SMS_OTP", "WEB_AUTHN"},
		}},
		SmsConfiguration: &types.SmsConfigurationType{SnsCallerArn: aws.String(snsRole)},
	}, &cip.CreateUserPoolClientInput{ExplicitAuthFlows: userAuthFlows})
	if _, err := e.c.SetUserPoolMfaConfig(context.Background(), &cip.SetUserPoolMfaConfigInput{
		UserPoolId: s.pool, MfaConfiguration: types.UserPoolMfaTypeOff,
		WebAuthnConfiguration: &types.WebAuthnConfigurationType{RelyingPartyId: aws.String(passkeyRPID), UserVerification: types.UserVerificationTypePreferred},
	}); err != nil {
		t.Fatal(err)
	}
	return s
}

// passwordlessUser creates a confirmed user with a verified phone number
// and email address.
func (s *selfService) passwordlessUser(t testing.TB, name string) (phone, email string) {
	t.Helper()
	phone, email = fmt.Sprintf("+1555%07d", len(name)*1000+int(name[0])), name+"@example.com"
	s.signInUser(t, name, signInPassword, "phone_number", phone, "phone_number_verified", "true", "email", email, "email_verified", "true")
	return phone, email
}

func (s *selfService) userAuth(params map[string]string) (*cip.InitiateAuthOutput, error) {
	return s.e.c.InitiateAuth(context.Background(), &cip.InitiateAuthInput{
		ClientId: s.client.ClientId, AuthFlow: types.AuthFlowTypeUserAuth, AuthParameters: params,
	}, noRetry)
}

// passkeyDevice is a user's software authenticator with one credential.
type passkeyDevice struct {
	auth virtualwebauthn.Authenticator
	cred virtualwebauthn.Credential
}

func party(id, origin string) virtualwebauthn.RelyingParty {
	return virtualwebauthn.RelyingParty{Name: "passkeys", ID: id, Origin: origin}
}

// startRegistration runs StartWebAuthnRegistration and returns the
// options as the authenticator reads them.
func (s *selfService) startRegistration(t testing.TB, token *string) *virtualwebauthn.AttestationOptions {
	t.Helper()
	out, err := s.e.c.StartWebAuthnRegistration(context.Background(), &cip.StartWebAuthnRegistrationInput{AccessToken: token})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := out.CredentialCreationOptions.MarshalSmithyDocument()
	if err != nil {
		t.Fatal(err)
	}
	opts, err := virtualwebauthn.ParseAttestationOptions(string(raw))
	if err != nil {
		t.Fatalf("CredentialCreationOptions %s: %v", raw, err)
	}
	return opts
}

func credentialDocument(t testing.TB, response string) document.Interface {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal([]byte(response), &v); err != nil {
		t.Fatal(err)
	}
	return document.NewLazyDocument(v)
}

func (s *selfService) completeRegistration(token *string, credential document.Interface) error {
	_, err := s.e.c.CompleteWebAuthnRegistration(context.Background(), &cip.CompleteWebAuthnRegistrationInput{AccessToken: token, Credential: credential}, noRetry)
	return err
}

// registerPasskey registers a new passkey for the user of token, made at
// rp.
func (s *selfService) registerPasskey(t testing.TB, token *string) *passkeyDevice {
	t.Helper()
	opts := s.startRegistration(t, token)
	d := &passkeyDevice{auth: virtualwebauthn.NewAuthenticatorWithOptions(virtualwebauthn.AuthenticatorOptions{UserHandle: []byte(opts.UserID)})}
	d.cred = newPasskeyKey(t)
	d.auth.AddCredential(d.cred)
	if err := s.completeRegistration(token, credentialDocument(t, virtualwebauthn.CreateAttestationResponse(party(passkeyRPID, passkeyOrigin), d.auth, d.cred, *opts))); err != nil {
		t.Fatalf("CompleteWebAuthnRegistration: %v", err)
	}
	return d
}

// assert is the CREDENTIAL d answers the WEB_AUTHN challenge with, made
// at rp; the credential's sign counter advances as an authenticator's
// does.
func (d *passkeyDevice) assert(t testing.TB, rp virtualwebauthn.RelyingParty, params map[string]string) string {
	t.Helper()
	opts, err := virtualwebauthn.ParseAssertionOptions(params["CREDENTIAL_REQUEST_OPTIONS"])
	if err != nil {
		t.Fatalf("CREDENTIAL_REQUEST_OPTIONS %q: %v", params["CREDENTIAL_REQUEST_OPTIONS"], err)
	}
	d.cred.Counter++
	return virtualwebauthn.CreateAssertionResponse(rp, d.auth, d.cred, *opts)
}

// webAuthnSignIn opens WEB_AUTHN for name.
func (s *selfService) webAuthnSignIn(t *testing.T, name string) *cip.InitiateAuthOutput {
	t.Helper()
	out, err := s.userAuth(map[string]string{"USERNAME": name, "PREFERRED_CHALLENGE": "WEB_AUTHN"})
	wantChallenge(t, out.ChallengeName, out.Session, err, types.ChallengeNameTypeWebAuthn)
	return out
}

func (s *selfService) answerWebAuthn(name string, session *string, credential string) (*cip.RespondToAuthChallengeOutput, error) {
	return s.respond(types.ChallengeNameTypeWebAuthn, session, map[string]string{"USERNAME": name, "CREDENTIAL": credential})
}

func wantTokens(t *testing.T, out *cip.RespondToAuthChallengeOutput, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("answer: %v", err)
	}
	if out.AuthenticationResult == nil || aws.ToString(out.AuthenticationResult.AccessToken) == "" {
		t.Fatalf("answer = %+v, want tokens", out)
	}
}

// badSignature flips a bit of the signature of an assertion.
func badSignature(t *testing.T, credential string) string {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal([]byte(credential), &v); err != nil {
		t.Fatal(err)
	}
	resp := v["response"].(map[string]any)
	sig, err := base64.RawURLEncoding.DecodeString(resp["signature"].(string))
	if err != nil {
		t.Fatal(err)
	}
	sig[len(sig)/2] ^= 0x01
	resp["signature"] = base64.RawURLEncoding.EncodeToString(sig)
	b, _ := json.Marshal(v)
	return string(b)
}

// authFactorsAnswer is AdminGetUserAuthFactors's answer.
type authFactorsAnswer struct {
	Username                  string
	PreferredMfaSetting       string
	UserMFASettingList        []string
	ConfiguredUserAuthFactors []types.AuthFactorType
}

// adminGetUserAuthFactors calls AdminGetUserAuthFactors, which the AWS
// SDK for Go v2 served here does not have yet: the request is signed with
// the SDK's own SigV4 signer, with the admin key, as the SDK signs.
func (e *userEnv) adminGetUserAuthFactors(t *testing.T, pool, user string) *authFactorsAnswer {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"UserPoolId": pool, "Username": user})
	req, err := http.NewRequest(http.MethodPost, e.URL+"/", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "AWSCognitoIdentityProviderService.AdminGetUserAuthFactors")
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: keyID, SecretAccessKey: secret},
		req, hex.EncodeToString(sum[:]), "cognito-idp", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("AdminGetUserAuthFactors: %d %s", resp.StatusCode, raw)
	}
	var out authFactorsAnswer
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	return &out
}

func TestPasswordlessSignIn(t *testing.T) {
	userBackends(t, func(t *testing.T, e *userEnv) {
		ctx := context.Background()
		s := e.passwordlessApp(t)
		pool, err := e.c.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: s.pool})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]types.AuthFactorType{"PASSWORD", "EMAIL_OTP", "SMS_OTP", "WEB_AUTHN"}, pool.UserPool.Policies.SignInPolicy.AllowedFirstAuthFactors); diff != "" {
			t.Errorf("AllowedFirstAuthFactors (-want +got):\n%s", diff)
		}
		_, err = e.c.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("bad-factors"), Policies: &types.UserPoolPolicyType{
			SignInPolicy: &types.SignInPolicyType{AllowedFirstAuthFactors: []types.AuthFactorType{"PASSWORD", "SOFTWARE_TOKEN"}},
		}})
		wantErrorCode(t, err, "InvalidParameterException")

		phone, email := s.passwordlessUser(t, "otp")
		sel, err := s.userAuth(map[string]string{"USERNAME": "otp"})
		wantChallenge(t, sel.ChallengeName, sel.Session, err, types.ChallengeNameTypeSelectChallenge)
		if diff := cmp.Diff([]types.ChallengeNameType{"PASSWORD", "PASSWORD_SRP", "EMAIL_OTP", "SMS_OTP"}, sel.AvailableChallenges); diff != "" {
			t.Errorf("AvailableChallenges (-want +got):\n%s", diff)
		}

		t.Run("EMAIL_OTP chosen", func(t *testing.T) {
			out, err := s.respond(types.ChallengeNameTypeSelectChallenge, sel.Session, map[string]string{"USERNAME": "otp", "ANSWER": "EMAIL_OTP"})
			wantChallenge(t, out.ChallengeName, out.Session, err, types.ChallengeNameTypeEmailOtp)
			if out.ChallengeParameters["CODE_DELIVERY_DELIVERY_MEDIUM"] != "EMAIL" || out.ChallengeParameters["CODE_DELIVERY_DESTINATION"] == "" {
				t.Errorf("EMAIL_OTP parameters %v", out.ChallengeParameters)
			}
			_, err = s.respond(types.ChallengeNameTypeEmailOtp, out.Session, map[string]string{"USERNAME": "otp", "EMAIL_OTP_CODE": "000000"})
			wantErrorCode(t, err, "CodeMismatchException")
			tokens, err := s.respond(types.ChallengeNameTypeEmailOtp, out.Session, map[string]string{"USERNAME": "otp", "EMAIL_OTP_CODE": e.sentCode(t, email)})
			wantTokens(t, tokens, err)
			_, err = s.respond(types.ChallengeNameTypeEmailOtp, out.Session, map[string]string{"USERNAME": "otp", "EMAIL_OTP_CODE": e.sentCode(t, email)})
			wantErrorCode(t, err, "NotAuthorizedException")
			_, err = s.respond(types.ChallengeNameTypeSelectChallenge, sel.Session, map[string]string{"USERNAME": "otp", "ANSWER": "EMAIL_OTP"})
			wantErrorCode(t, err, "NotAuthorizedException")
		})
		t.Run("SMS_OTP preferred", func(t *testing.T) {
			out, err := s.userAuth(map[string]string{"USERNAME": "otp", "PREFERRED_CHALLENGE": "SMS_OTP"})
			wantChallenge(t, out.ChallengeName, out.Session, err, types.ChallengeNameTypeSmsOtp)
			if out.ChallengeParameters["CODE_DELIVERY_DELIVERY_MEDIUM"] != "SMS" {
				t.Errorf("SMS_OTP parameters %v", out.ChallengeParameters)
			}
			// The code of another challenge's Session does not answer it.
			tokens, err := s.respond(types.ChallengeNameTypeSmsOtp, out.Session, map[string]string{"USERNAME": "otp", "SMS_OTP_CODE": e.sentCode(t, phone)})
			wantTokens(t, tokens, err)
			// Three wrong codes end a Session.
			out, err = s.userAuth(map[string]string{"USERNAME": "otp", "PREFERRED_CHALLENGE": "SMS_OTP"})
			wantChallenge(t, out.ChallengeName, out.Session, err, types.ChallengeNameTypeSmsOtp)
			for range 3 {
				_, err = s.respond(types.ChallengeNameTypeSmsOtp, out.Session, map[string]string{"USERNAME": "otp", "SMS_OTP_CODE": "000000"})
				wantErrorCode(t, err, "CodeMismatchException")
			}
			_, err = s.respond(types.ChallengeNameTypeSmsOtp, out.Session, map[string]string{"USERNAME": "otp", "SMS_OTP_CODE": e.sentCode(t, phone)})
			wantErrorCode(t, err, "NotAuthorizedException")
		})

		token := s.accessToken(t, "otp", signInPassword)
		t.Run("auth factors", func(t *testing.T) {
			got, err := e.c.GetUserAuthFactors(ctx, &cip.GetUserAuthFactorsInput{AccessToken: token})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]types.AuthFactorType{"PASSWORD", "EMAIL_OTP", "SMS_OTP"}, got.ConfiguredUserAuthFactors); diff != "" {
				t.Errorf("ConfiguredUserAuthFactors (-want +got):\n%s", diff)
			}
			if aws.ToString(got.Username) != "otp" {
				t.Errorf("Username = %q", aws.ToString(got.Username))
			}
		})

		var dev *passkeyDevice
		t.Run("registration", func(t *testing.T) {
			dev = s.registerPasskey(t, token)
			admin := e.adminGetUserAuthFactors(t, aws.ToString(s.pool), "otp")
			if diff := cmp.Diff([]types.AuthFactorType{"PASSWORD", "EMAIL_OTP", "SMS_OTP", "WEB_AUTHN"}, admin.ConfiguredUserAuthFactors); diff != "" {
				t.Errorf("ConfiguredUserAuthFactors (-want +got):\n%s", diff)
			}
			refused := 0
			refuse := func(name string, err error, code string) {
				t.Helper()
				wantErrorCode(t, err, code)
				refused++
				t.Logf("refused: %s (%s)", name, code)
			}
			// The challenge is used once: the same response again finds
			// none.
			opts := s.startRegistration(t, token)
			cred := newPasskeyKey(t)
			resp := virtualwebauthn.CreateAttestationResponse(party(passkeyRPID, passkeyOrigin), dev.auth, cred, *opts)
			if err := s.completeRegistration(token, credentialDocument(t, resp)); err != nil {
				t.Fatal(err)
			}
			refuse("registration replayed", s.completeRegistration(token, credentialDocument(t, resp)), "WebAuthnChallengeNotFoundException")
			opts = s.startRegistration(t, token)
			refuse("registration at another origin", s.completeRegistration(token, credentialDocument(t,
				virtualwebauthn.CreateAttestationResponse(party(passkeyRPID, "https://example.net"), dev.auth, newPasskeyKey(t), *opts))), "WebAuthnOriginNotAllowedException")
			opts = s.startRegistration(t, token)
			refuse("registration for another relying party", s.completeRegistration(token, credentialDocument(t,
				virtualwebauthn.CreateAttestationResponse(party("example.org", passkeyOrigin), dev.auth, newPasskeyKey(t), *opts))), "WebAuthnRelyingPartyMismatchException")
			refuse("registration without a start", s.completeRegistration(token, credentialDocument(t, resp)), "WebAuthnChallengeNotFoundException")
			// Started with one app client's token, completed with
			// another's.
			second := &selfService{e: e, pool: s.pool, client: appClient(t, e.c, &cip.CreateUserPoolClientInput{
				UserPoolId: s.pool, ClientName: aws.String("second"), ExplicitAuthFlows: userAuthFlows,
			})}
			opts = s.startRegistration(t, token)
			refuse("registration completed through another app client", second.completeRegistration(second.accessToken(t, "otp", signInPassword), credentialDocument(t,
				virtualwebauthn.CreateAttestationResponse(party(passkeyRPID, passkeyOrigin), dev.auth, newPasskeyKey(t), *opts))), "WebAuthnClientMismatchException")
			t.Logf("%d registrations refused", refused)

			// Two passkeys, listed a page of one at a time.
			var ids []string
			var next *string
			for {
				page, err := e.c.ListWebAuthnCredentials(ctx, &cip.ListWebAuthnCredentialsInput{AccessToken: token, MaxResults: aws.Int32(1), NextToken: next})
				if err != nil {
					t.Fatal(err)
				}
				for _, c := range page.Credentials {
					ids = append(ids, aws.ToString(c.CredentialId))
					if aws.ToString(c.RelyingPartyId) != passkeyRPID || c.CreatedAt == nil || aws.ToString(c.FriendlyCredentialName) == "" {
						t.Errorf("credential %+v", c)
					}
				}
				if next = page.NextToken; next == nil {
					break
				}
			}
			want := base64.RawURLEncoding.EncodeToString(cred.ID)
			if len(ids) != 2 || (ids[0] != want && ids[1] != want) || ids[0] == ids[1] {
				t.Fatalf("listed %v, want two with %s", ids, want)
			}
			_, err = e.c.ListWebAuthnCredentials(ctx, &cip.ListWebAuthnCredentialsInput{AccessToken: token, MaxResults: aws.Int32(21)})
			wantErrorCode(t, err, "InvalidParameterException")
			if _, err := e.c.DeleteWebAuthnCredential(ctx, &cip.DeleteWebAuthnCredentialInput{AccessToken: token, CredentialId: aws.String(want)}); err != nil {
				t.Fatal(err)
			}
			_, err = e.c.DeleteWebAuthnCredential(ctx, &cip.DeleteWebAuthnCredentialInput{AccessToken: token, CredentialId: aws.String(want)})
			wantErrorCode(t, err, "ResourceNotFoundException")
		})

		t.Run("sign-in", func(t *testing.T) {
			s.passwordlessUser(t, "other")
			otherToken := s.accessToken(t, "other", signInPassword)
			other := s.registerPasskey(t, otherToken)

			out := s.webAuthnSignIn(t, "otp")
			if !json.Valid([]byte(out.ChallengeParameters["CREDENTIAL_REQUEST_OPTIONS"])) {
				t.Fatalf("CREDENTIAL_REQUEST_OPTIONS %q", out.ChallengeParameters["CREDENTIAL_REQUEST_OPTIONS"])
			}
			first := dev.assert(t, party(passkeyRPID, passkeyOrigin), out.ChallengeParameters)
			tokens, err := s.answerWebAuthn("otp", out.Session, first)
			wantTokens(t, tokens, err)
			stored := dev.cred.Counter

			refused := 0
			refuse := func(name string, err error, code string) {
				t.Helper()
				wantErrorCode(t, err, code)
				refused++
				t.Logf("refused: %s (%s)", name, code)
			}
			refuse("Session used again", func() error {
				_, err := s.answerWebAuthn("otp", out.Session, dev.assert(t, party(passkeyRPID, passkeyOrigin), out.ChallengeParameters))
				return err
			}(), "NotAuthorizedException")
			try := func(credential func(params map[string]string) string) error {
				o := s.webAuthnSignIn(t, "otp")
				_, err := s.answerWebAuthn("otp", o.Session, credential(o.ChallengeParameters))
				return err
			}
			refuse("an assertion of an earlier challenge", try(func(map[string]string) string { return first }), "WebAuthnChallengeNotFoundException")
			refuse("another origin", try(func(p map[string]string) string { return dev.assert(t, party(passkeyRPID, "https://example.net"), p) }), "WebAuthnOriginNotAllowedException")
			refuse("another relying party", try(func(p map[string]string) string { return dev.assert(t, party("example.org", passkeyOrigin), p) }), "WebAuthnRelyingPartyMismatchException")
			refuse("another user's passkey", try(func(p map[string]string) string {
				opts, err := virtualwebauthn.ParseAssertionOptions(p["CREDENTIAL_REQUEST_OPTIONS"])
				if err != nil {
					t.Fatal(err)
				}
				other.cred.Counter++
				return virtualwebauthn.CreateAssertionResponse(party(passkeyRPID, passkeyOrigin), other.auth, other.cred, *opts)
			}), "NotAuthorizedException")
			refuse("a bad signature", try(func(p map[string]string) string {
				return badSignature(t, dev.assert(t, party(passkeyRPID, passkeyOrigin), p))
			}), "NotAuthorizedException")
			refuse("a lowered sign counter", try(func(p map[string]string) string {
				// The authenticator signs with the counter the last
				// sign-in stored: not past it.
				dev.cred.Counter = stored - 1
				return dev.assert(t, party(passkeyRPID, passkeyOrigin), p)
			}), "NotAuthorizedException")
			refuse("a CREDENTIAL that is no WebAuthn response", try(func(map[string]string) string { return `{"id":"x"}` }), "InvalidParameterException")
			t.Logf("%d passkey sign-ins refused", refused)

			// The counter moves on: the next sign-in passes.
			dev.cred.Counter += 5
			o := s.webAuthnSignIn(t, "otp")
			tokens, err = s.answerWebAuthn("otp", o.Session, dev.assert(t, party(passkeyRPID, passkeyOrigin), o.ChallengeParameters))
			wantTokens(t, tokens, err)

			// Another user's passkey cannot be deleted by this one.
			page, err := e.c.ListWebAuthnCredentials(ctx, &cip.ListWebAuthnCredentialsInput{AccessToken: otherToken})
			if err != nil || len(page.Credentials) != 1 {
				t.Fatalf("other's passkeys %+v, %v", page, err)
			}
			_, err = e.c.DeleteWebAuthnCredential(ctx, &cip.DeleteWebAuthnCredentialInput{AccessToken: token, CredentialId: page.Credentials[0].CredentialId})
			wantErrorCode(t, err, "ResourceNotFoundException")
		})

		t.Run("pool settings", func(t *testing.T) {
			plain := e.selfServicePool(t, nil, &cip.CreateUserPoolClientInput{ExplicitAuthFlows: userAuthFlows})
			plain.signInUser(t, "plain", signInPassword)
			_, err := e.c.StartWebAuthnRegistration(ctx, &cip.StartWebAuthnRegistrationInput{AccessToken: plain.accessToken(t, "plain", signInPassword)})
			wantErrorCode(t, err, "WebAuthnNotEnabledException")
			noRP := e.selfServicePool(t, &cip.CreateUserPoolInput{Policies: &types.UserPoolPolicyType{SignInPolicy: &types.SignInPolicyType{
				AllowedFirstAuthFactors: []types.AuthFactorType{"PASSWORD", "WEB_AUTHN"},
			}}}, &cip.CreateUserPoolClientInput{ExplicitAuthFlows: userAuthFlows})
			noRP.signInUser(t, "plain", signInPassword)
			token := noRP.accessToken(t, "plain", signInPassword)
			_, err = e.c.StartWebAuthnRegistration(ctx, &cip.StartWebAuthnRegistrationInput{AccessToken: token})
			wantErrorCode(t, err, "WebAuthnConfigurationMissingException")

			// With a prefix domain, passkeys belong to its host; with a
			// custom domain too, to the custom domain.
			prefix := "passkeys-" + strings.ToLower(strings.ReplaceAll(aws.ToString(noRP.pool), "_", "-"))
			if _, err := e.c.CreateUserPoolDomain(ctx, &cip.CreateUserPoolDomainInput{UserPoolId: noRP.pool, Domain: aws.String(prefix)}); err != nil {
				t.Fatal(err)
			}
			host := prefix + ".auth.us-east-1.localhost"
			opts := noRP.startRegistration(t, token)
			if opts.RelyingPartyID != host {
				t.Errorf("relying party of a prefix domain = %q, want %q", opts.RelyingPartyID, host)
			}
			auth := virtualwebauthn.NewAuthenticatorWithOptions(virtualwebauthn.AuthenticatorOptions{UserHandle: []byte(opts.UserID)})
			if err := noRP.completeRegistration(token, credentialDocument(t, virtualwebauthn.CreateAttestationResponse(party(host, "https://"+host), auth, newPasskeyKey(t), *opts))); err != nil {
				t.Fatalf("registration at the prefix domain: %v", err)
			}
			cert := &types.CustomDomainConfigType{CertificateArn: aws.String("arn:aws:acm:us-east-1:" + accountID + ":certificate/0e5b2c4e-1111-2222-3333-444455556666")}
			if _, err := e.c.CreateUserPoolDomain(ctx, &cip.CreateUserPoolDomainInput{UserPoolId: noRP.pool, Domain: aws.String("login.passkeys.example"), CustomDomainConfig: cert}); err != nil {
				t.Fatal(err)
			}
			if opts := noRP.startRegistration(t, token); opts.RelyingPartyID != "login.passkeys.example" {
				t.Errorf("relying party of a custom domain = %q", opts.RelyingPartyID)
			}
		})

		t.Run("passkeys as MFA", func(t *testing.T) {
			// A pool with threat protection, whose events show each factor.
			m := e.selfServicePool(t, &cip.CreateUserPoolInput{
				UserPoolTier:   types.UserPoolTierTypePlus,
				UserPoolAddOns: &types.UserPoolAddOnsType{AdvancedSecurityMode: types.AdvancedSecurityModeTypeAudit},
				Policies: &types.UserPoolPolicyType{SignInPolicy: &types.SignInPolicyType{
					AllowedFirstAuthFactors: []types.AuthFactorType{"PASSWORD", "EMAIL_OTP", "SMS_OTP", "WEB_AUTHN"},
				}},
				SmsConfiguration: &types.SmsConfigurationType{SnsCallerArn: aws.String(snsRole)},
			}, &cip.CreateUserPoolClientInput{ExplicitAuthFlows: userAuthFlows})
			poolMFA := func(mode types.UserPoolMfaType, factor types.WebAuthnFactorConfigurationType) {
				t.Helper()
				in := mfaConfig(m.pool, mode)
				in.WebAuthnConfiguration = &types.WebAuthnConfigurationType{RelyingPartyId: aws.String(passkeyRPID),
					UserVerification: types.UserVerificationTypePreferred, FactorConfiguration: factor}
				if _, err := e.c.SetUserPoolMfaConfig(ctx, in); err != nil {
					t.Fatal(err)
				}
			}
			poolMFA(types.UserPoolMfaTypeOff, types.WebAuthnFactorConfigurationTypeSingleFactor)
			phone, email := m.passwordlessUser(t, "strong")
			dev := m.registerPasskey(t, m.accessToken(t, "strong", signInPassword))

			// Passwordless sign-ins are recorded by the factor answered.
			em, err := m.userAuth(map[string]string{"USERNAME": "strong", "PREFERRED_CHALLENGE": "EMAIL_OTP"})
			wantChallenge(t, em.ChallengeName, em.Session, err, types.ChallengeNameTypeEmailOtp)
			_, err = m.respond(types.ChallengeNameTypeEmailOtp, em.Session, map[string]string{"USERNAME": "strong", "EMAIL_OTP_CODE": "000000"})
			wantErrorCode(t, err, "CodeMismatchException")
			done, err := m.respond(types.ChallengeNameTypeEmailOtp, em.Session, map[string]string{"USERNAME": "strong", "EMAIL_OTP_CODE": e.sentCode(t, email)})
			wantTokens(t, done, err)
			sms, err := m.userAuth(map[string]string{"USERNAME": "strong", "PREFERRED_CHALLENGE": "SMS_OTP"})
			wantChallenge(t, sms.ChallengeName, sms.Session, err, types.ChallengeNameTypeSmsOtp)
			done, err = m.respond(types.ChallengeNameTypeSmsOtp, sms.Session, map[string]string{"USERNAME": "strong", "SMS_OTP_CODE": e.sentCode(t, phone)})
			wantTokens(t, done, err)
			o := m.webAuthnSignIn(t, "strong")
			done, err = m.answerWebAuthn("strong", o.Session, dev.assert(t, party(passkeyRPID, passkeyOrigin), o.ChallengeParameters))
			wantTokens(t, done, err)

			setMFA := func(factor types.WebAuthnFactorConfigurationType) { poolMFA(types.UserPoolMfaTypeOn, factor) }
			passkeyMFA := func(settings *cip.AdminSetUserMFAPreferenceInput) error {
				settings.UserPoolId, settings.Username = m.pool, aws.String("strong")
				_, err := e.c.AdminSetUserMFAPreference(ctx, settings, noRetry)
				return err
			}
			on := &types.WebAuthnMfaSettingsType{Enabled: true}
			offered := func(want ...types.ChallengeNameType) {
				t.Helper()
				out, err := m.userAuth(map[string]string{"USERNAME": "strong", "PREFERRED_CHALLENGE": "WEB_AUTHN"})
				if len(want) == 0 {
					wantChallenge(t, out.ChallengeName, out.Session, err, types.ChallengeNameTypeWebAuthn)
					return
				}
				wantChallenge(t, out.ChallengeName, out.Session, err, types.ChallengeNameTypeSelectChallenge)
				if diff := cmp.Diff(want, out.AvailableChallenges); diff != "" {
					t.Errorf("AvailableChallenges (-want +got):\n%s", diff)
				}
			}

			// A pool that requires MFA and counts passkeys as one factor
			// offers none, and its users cannot turn passkey MFA on.
			setMFA(types.WebAuthnFactorConfigurationTypeSingleFactor)
			offered("PASSWORD", "PASSWORD_SRP")
			wantErrorCode(t, passkeyMFA(&cip.AdminSetUserMFAPreferenceInput{
				EmailMfaSettings: &types.EmailMfaSettingsType{Enabled: true}, WebAuthnMfaSettings: on,
			}), "InvalidParameterException")

			// Counting passkeys as MFA, the pool offers one to the users
			// who turn passkey MFA on, which takes another factor.
			setMFA(types.WebAuthnFactorConfigurationTypeMultiFactorWithUserVerification)
			offered("PASSWORD", "PASSWORD_SRP")
			wantErrorCode(t, passkeyMFA(&cip.AdminSetUserMFAPreferenceInput{WebAuthnMfaSettings: on}), "InvalidParameterException")
			if err := passkeyMFA(&cip.AdminSetUserMFAPreferenceInput{
				EmailMfaSettings: &types.EmailMfaSettingsType{Enabled: true, PreferredMfa: true}, WebAuthnMfaSettings: on,
			}); err != nil {
				t.Fatal(err)
			}
			// UserMFASettingList lists the second factors, as the API
			// reference names them: not the passkey.
			user := e.getUser(t, m.pool, "strong")
			if diff := cmp.Diff([]string{"EMAIL_OTP"}, user.UserMFASettingList); diff != "" || aws.ToString(user.PreferredMfaSetting) != "EMAIL_OTP" {
				t.Errorf("UserMFASettingList (-want +got):\n%s, PreferredMfaSetting %q", diff, aws.ToString(user.PreferredMfaSetting))
			}
			offered()
			// The authenticator must verify the user.
			o = m.webAuthnSignIn(t, "strong")
			dev.auth.Options.UserNotVerified = true
			_, err = m.answerWebAuthn("strong", o.Session, dev.assert(t, party(passkeyRPID, passkeyOrigin), o.ChallengeParameters))
			wantErrorCode(t, err, "NotAuthorizedException")
			dev.auth.Options.UserNotVerified = false
			tokens, err := m.answerWebAuthn("strong", o.Session, dev.assert(t, party(passkeyRPID, passkeyOrigin), o.ChallengeParameters))
			wantTokens(t, tokens, err)
			// A password sign-in still asks for the second factor.
			pw, err := m.passwordAuth("strong", signInPassword)
			wantChallenge(t, pw.ChallengeName, pw.Session, err, types.ChallengeNameTypeEmailOtp)

			// The user's last other factor stays on while passkey MFA is on;
			// turned off, passkey MFA takes the passkey away where MFA is
			// required.
			token := tokens.AuthenticationResult.AccessToken
			_, err = e.c.SetUserMFAPreference(ctx, &cip.SetUserMFAPreferenceInput{AccessToken: token,
				EmailMfaSettings: &types.EmailMfaSettingsType{Enabled: false}}, noRetry)
			wantErrorCode(t, err, "InvalidParameterException")
			if _, err := e.c.SetUserMFAPreference(ctx, &cip.SetUserMFAPreferenceInput{AccessToken: token,
				WebAuthnMfaSettings: &types.WebAuthnMfaSettingsType{Enabled: false}}); err != nil {
				t.Fatal(err)
			}
			offered("PASSWORD", "PASSWORD_SRP")

			events, err := e.c.AdminListUserAuthEvents(ctx, &cip.AdminListUserAuthEventsInput{UserPoolId: m.pool, Username: aws.String("strong")})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, ev := range events.AuthEvents {
				line := string(ev.EventResponse)
				for _, c := range ev.ChallengeResponses {
					line += " " + string(c.ChallengeName) + ":" + string(c.ChallengeResponse)
				}
				got = append(got, line)
			}
			want := []string{
				"Pass WEB_AUTHN:Success Mfa:Success", "Fail WEB_AUTHN:Failure",
				"Pass WEB_AUTHN:Success", "Pass SMS_OTP:Success", "Pass EMAIL_OTP:Success", "Fail EMAIL_OTP:Failure",
				"Pass Password:Success",
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("events, newest first (-want +got):\n%s", diff)
			}
		})

		t.Run("user verification required", func(t *testing.T) {
			uv := e.passwordlessApp(t)
			if _, err := e.c.SetUserPoolMfaConfig(ctx, &cip.SetUserPoolMfaConfigInput{
				UserPoolId: uv.pool, MfaConfiguration: types.UserPoolMfaTypeOff,
				WebAuthnConfiguration: &types.WebAuthnConfigurationType{RelyingPartyId: aws.String(passkeyRPID), UserVerification: types.UserVerificationTypeRequired},
			}); err != nil {
				t.Fatal(err)
			}
			uv.passwordlessUser(t, "verified")
			token := uv.accessToken(t, "verified", signInPassword)
			opts := uv.startRegistration(t, token)
			unverified := virtualwebauthn.NewAuthenticatorWithOptions(virtualwebauthn.AuthenticatorOptions{UserHandle: []byte(opts.UserID), UserNotVerified: true})
			err := uv.completeRegistration(token, credentialDocument(t, virtualwebauthn.CreateAttestationResponse(party(passkeyRPID, passkeyOrigin), unverified, newPasskeyKey(t), *opts)))
			wantErrorCode(t, err, "WebAuthnCredentialNotSupportedException")
			dev := uv.registerPasskey(t, token)
			// The same passkey, its user not verified this time.
			dev.auth.Options.UserNotVerified = true
			o := uv.webAuthnSignIn(t, "verified")
			_, err = uv.answerWebAuthn("verified", o.Session, dev.assert(t, party(passkeyRPID, passkeyOrigin), o.ChallengeParameters))
			wantErrorCode(t, err, "NotAuthorizedException")
			dev.auth.Options.UserNotVerified = false
			tokens, err := uv.answerWebAuthn("verified", o.Session, dev.assert(t, party(passkeyRPID, passkeyOrigin), o.ChallengeParameters))
			wantTokens(t, tokens, err)

			// Deleting the user deletes its passkeys.
			page, err := e.c.ListWebAuthnCredentials(ctx, &cip.ListWebAuthnCredentialsInput{AccessToken: token})
			if err != nil || len(page.Credentials) != 1 {
				t.Fatalf("passkeys %+v, %v", page, err)
			}
			if _, err := e.c.AdminDeleteUser(ctx, &cip.AdminDeleteUserInput{UserPoolId: uv.pool, Username: aws.String("verified")}); err != nil {
				t.Fatal(err)
			}
			id := aws.ToString(uv.pool) + "/" + aws.ToString(page.Credentials[0].CredentialId)
			if _, err := e.Store.GetItem(ctx, "webauthn_credential", id); !errors.Is(err, storage.ErrNotFound) {
				t.Errorf("the passkey of a deleted user: %v, want not found", err)
			}
		})
	})
}

// newPasskeyKey is a new credential of the software authenticator. The
// authenticator writes the key's coordinates without their leading zero
// bytes, which a relying party rightly refuses (COSE wants 32 bytes each),
// so the key is drawn again until both are full length.
func newPasskeyKey(t testing.TB) virtualwebauthn.Credential {
	t.Helper()
	for {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		pub, err := k.PublicKey.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		// pub is 0x04 || X || Y, each padded to 32 bytes.
		if pub[1] == 0 || pub[33] == 0 {
			continue
		}
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return virtualwebauthn.NewCredentialWithImportedKey(virtualwebauthn.KeyTypeEC2, der)
	}
}
