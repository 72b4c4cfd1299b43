package sdk

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

// The passwordless benchmarks measure choice-based sign-in (USER_AUTH)
// through the AWS SDK, both round trips, beside the bounds of
// signin_bench_test.go measured in the same run:
//
//	COGNATE_TEST_POSTGRES_DSN=... go test ./e2e/sdk -run '^$' -bench 'Bound|SignInEmailOTP|SignInPasskey' -benchtime 3s -count 3
//
// What a client does on the user's side (reading the code from the
// message, the authenticator's signature) runs with the timer stopped.
// Nothing here asserts a speed.

// boundES256Verify is the name of BenchmarkBoundES256Verify's bound.
const boundES256Verify = "es256-verify"

// BenchmarkBoundES256Verify is one ES256 verification (ECDSA P-256 over a
// SHA-256 digest of an assertion-sized input: authenticator data and the
// client data's hash), what checking a passkey's assertion costs at least.
func BenchmarkBoundES256Verify(b *testing.B) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	input := []byte(strings.Repeat("x", 37+32))
	digest := sha256.Sum256(input)
	sig, err := ecdsa.SignASN1(rand.Reader, key, digest[:])
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		digest := sha256.Sum256(input)
		if !ecdsa.VerifyASN1(&key.PublicKey, digest[:], sig) {
			b.Fatal("signature does not verify")
		}
	}
	recordBound(b, boundES256Verify)
}

// newPasswordlessBench is a pool whose choice-based sign-in allows
// passwords, email codes and passkeys (for passkeyRPID), MFA off, an app
// client with USER_AUTH, and one confirmed user with a verified email
// address, whose address it returns.
func newPasswordlessBench(b *testing.B, backend string) (*selfService, string) {
	e := startWithOutbox(b, openBackend(b, backend))
	s := e.selfServicePool(b, &cip.CreateUserPoolInput{
		Policies: &types.UserPoolPolicyType{SignInPolicy: &types.SignInPolicyType{
			AllowedFirstAuthFactors: []types.AuthFactorType{"PASSWORD", "EMAIL_OTP", "WEB_AUTHN"},
		}},
	}, &cip.CreateUserPoolClientInput{ExplicitAuthFlows: userAuthFlows})
	if _, err := e.c.SetUserPoolMfaConfig(context.Background(), &cip.SetUserPoolMfaConfigInput{
		UserPoolId: s.pool, MfaConfiguration: types.UserPoolMfaTypeOff,
		WebAuthnConfiguration: &types.WebAuthnConfigurationType{RelyingPartyId: aws.String(passkeyRPID), UserVerification: types.UserVerificationTypePreferred},
	}); err != nil {
		b.Fatal(err)
	}
	_, email := s.passwordlessUser(b, benchUsername)
	return s, email
}

// BenchmarkSignInEmailOTP is an EMAIL_OTP first-factor sign-in through the
// AWS SDK: InitiateAuth USER_AUTH with PREFERRED_CHALLENGE EMAIL_OTP,
// answered with the challenge once the code is sent (to the development
// outbox), then RespondToAuthChallenge with the code, answered with three
// tokens. The code is read from the outbox with the timer stopped. Its
// bound is two RS256 signatures (the code's MAC and the sealed Session
// cost microseconds).
func BenchmarkSignInEmailOTP(b *testing.B) {
	for _, name := range backendNames {
		b.Run(name, func(b *testing.B) {
			s, email := newPasswordlessBench(b, name)
			b.ReportAllocs()
			for b.Loop() {
				out, err := s.userAuth(map[string]string{"USERNAME": benchUsername, "PREFERRED_CHALLENGE": "EMAIL_OTP"})
				if err != nil {
					b.Fatal(err)
				}
				if out.ChallengeName != types.ChallengeNameTypeEmailOtp {
					b.Fatalf("USER_AUTH answered %s, want EMAIL_OTP", out.ChallengeName)
				}
				b.StopTimer()
				msgs := s.e.outbox.Messages(email)
				if len(msgs) == 0 {
					b.Fatal("no code sent")
				}
				code := sixDigits.FindString(msgs[0].Body)
				b.StartTimer()
				done, err := s.respond(types.ChallengeNameTypeEmailOtp, out.Session, map[string]string{"USERNAME": benchUsername, "EMAIL_OTP_CODE": code})
				if err != nil {
					b.Fatal(err)
				}
				if done.AuthenticationResult == nil || done.AuthenticationResult.AccessToken == nil {
					b.Fatalf("EMAIL_OTP answered %+v, want tokens", done)
				}
			}
			reportBound(b, "bound", map[string]int{boundRS256Sign: 2})
		})
	}
}

// BenchmarkSignInPasskey is a WEB_AUTHN sign-in through the AWS SDK:
// InitiateAuth USER_AUTH with PREFERRED_CHALLENGE WEB_AUTHN, answered with
// CREDENTIAL_REQUEST_OPTIONS, then RespondToAuthChallenge with the
// assertion of a software authenticator (made with the timer stopped),
// answered with three tokens and the passkey's sign counter stored. Its
// bound is one ES256 verification and two RS256 signatures.
func BenchmarkSignInPasskey(b *testing.B) {
	for _, name := range backendNames {
		b.Run(name, func(b *testing.B) {
			s, _ := newPasswordlessBench(b, name)
			dev := s.registerPasskey(b, s.accessToken(b, benchUsername, signInPassword))
			rp := party(passkeyRPID, passkeyOrigin)
			b.ReportAllocs()
			for b.Loop() {
				out, err := s.userAuth(map[string]string{"USERNAME": benchUsername, "PREFERRED_CHALLENGE": "WEB_AUTHN"})
				if err != nil {
					b.Fatal(err)
				}
				if out.ChallengeName != types.ChallengeNameTypeWebAuthn {
					b.Fatalf("USER_AUTH answered %s, want WEB_AUTHN", out.ChallengeName)
				}
				b.StopTimer()
				credential := dev.assert(b, rp, out.ChallengeParameters)
				b.StartTimer()
				done, err := s.answerWebAuthn(benchUsername, out.Session, credential)
				if err != nil {
					b.Fatal(err)
				}
				if done.AuthenticationResult == nil || done.AuthenticationResult.AccessToken == nil {
					b.Fatalf("WEB_AUTHN answered %+v, want tokens", done)
				}
			}
			reportBound(b, "bound", map[string]int{boundES256Verify: 1, boundRS256Sign: 2})
		})
	}
}
