package authflow

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/descope/virtualwebauthn"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
)

// The passwordless first factors of choice-based sign-in join the table of
// challenges here: SMS_OTP with a code read from the outbox, WEB_AUTHN
// with a software authenticator (github.com/descope/virtualwebauthn) that
// signs real attestations and assertions.

// passkeyRPID is the flow pool's relying party, and passkeyOrigin the
// origin its pages are served at.
const (
	passkeyRPID   = "example.com"
	passkeyOrigin = "https://example.com"
)

func init() {
	challengeCases[idp.ChallengeNameTypeSmsOtp] = challengeCase{mfa: true, open: func(t *testing.T, e *flowEnv, client, user string) func(string) (*Step, error) {
		e.verifiedContacts(t, user)
		o := e.start(t, client, idp.AuthFlowTypeUserAuth, map[string]string{"USERNAME": user, "PREFERRED_CHALLENGE": "SMS_OTP"})
		if o.Challenge != idp.ChallengeNameTypeSmsOtp || o.Params["CODE_DELIVERY_DELIVERY_MEDIUM"] != "SMS" {
			t.Fatalf("USER_AUTH preferring SMS_OTP = %+v", o)
		}
		code := e.sentCode(t, e.phone(user))
		return e.codeAnswer(client, user, idp.ChallengeNameTypeSmsOtp, "SMS_OTP_CODE", o.Session, func() string { return code })
	}}
	// WEB_AUTHN: the user registers a passkey; the answer is an assertion
	// of it (right) or of a key the user never registered (wrong).
	challengeCases[idp.ChallengeNameTypeWebAuthn] = challengeCase{mfa: true, open: func(t *testing.T, e *flowEnv, client, user string) func(string) (*Step, error) {
		auth, cred := e.registerPasskey(t, user)
		o := e.start(t, client, idp.AuthFlowTypeUserAuth, map[string]string{"USERNAME": user, "PREFERRED_CHALLENGE": "WEB_AUTHN"})
		if o.Challenge != idp.ChallengeNameTypeWebAuthn {
			t.Fatalf("USER_AUTH preferring WEB_AUTHN = %+v", o)
		}
		return func(secret string) (*Step, error) {
			c := cred
			if secret != flowPassword {
				c = newPasskeyKey(t)
			}
			return e.answer(client, idp.ChallengeNameTypeWebAuthn, o.Session, map[string]string{
				"USERNAME": user, "CREDENTIAL": assertion(t, passkeyParty(), auth, &c, o.Params["CREDENTIAL_REQUEST_OPTIONS"]),
			})
		}
	}}
}

// verifiedContacts gives user a verified phone number and email address.
func (e *flowEnv) verifiedContacts(t *testing.T, user string) {
	t.Helper()
	if _, err := e.users.AdminUpdateUserAttributes(context.Background(), cognito.Caller{Region: flowRegion}, &idp.AdminUpdateUserAttributesRequest{
		UserPoolId: cognito.Ptr(e.pool), Username: cognito.Ptr(user),
		UserAttributes: []idp.AttributeType{
			{Name: cognito.Ptr("phone_number"), Value: cognito.Ptr(e.phone(user))},
			{Name: cognito.Ptr("phone_number_verified"), Value: cognito.Ptr("true")},
			{Name: cognito.Ptr("email"), Value: cognito.Ptr(e.email(user))},
			{Name: cognito.Ptr("email_verified"), Value: cognito.Ptr("true")},
		},
	}); err != nil {
		t.Fatal(err)
	}
}

func passkeyParty() virtualwebauthn.RelyingParty {
	return virtualwebauthn.RelyingParty{Name: "flows", ID: passkeyRPID, Origin: passkeyOrigin}
}

// accessToken signs user in with its password and returns its access
// token.
func (e *flowEnv) accessToken(t *testing.T, user string) string {
	t.Helper()
	o, err := e.s.initiate(context.Background(), cognito.Caller{}, "", e.client, idp.AuthFlowTypeUserPasswordAuth,
		map[string]string{"USERNAME": user, "PASSWORD": flowPassword}, false)
	wantTokensOutcome(t, o, err)
	return o.Tokens.AccessToken
}

// registerPasskey registers a new passkey of a software authenticator for
// user, through StartWebAuthnRegistration and
// CompleteWebAuthnRegistration, and returns the authenticator and the
// credential.
func (e *flowEnv) registerPasskey(t *testing.T, user string) (virtualwebauthn.Authenticator, virtualwebauthn.Credential) {
	t.Helper()
	ctx := context.Background()
	// The sign-in that registers is not the one a test watches the hooks
	// of.
	h := e.s.hooks
	e.s.hooks = hooks{}
	token := e.accessToken(t, user)
	e.s.hooks = h
	start, err := e.s.StartWebAuthnRegistration(ctx, cognito.Caller{}, &idp.StartWebAuthnRegistrationRequest{AccessToken: cognito.Ptr(token)})
	if err != nil {
		t.Fatal(err)
	}
	opts, err := virtualwebauthn.ParseAttestationOptions(string(start.CredentialCreationOptions))
	if err != nil {
		t.Fatal(err)
	}
	auth := virtualwebauthn.NewAuthenticatorWithOptions(virtualwebauthn.AuthenticatorOptions{UserHandle: []byte(opts.UserID)})
	cred := newPasskeyKey(t)
	auth.AddCredential(cred)
	resp := virtualwebauthn.CreateAttestationResponse(passkeyParty(), auth, cred, *opts)
	if _, err := e.s.CompleteWebAuthnRegistration(ctx, cognito.Caller{}, &idp.CompleteWebAuthnRegistrationRequest{
		AccessToken: cognito.Ptr(token), Credential: json.RawMessage(resp),
	}); err != nil {
		t.Fatal(err)
	}
	return auth, cred
}

// assertion is the AuthenticationResponseJSON auth makes with cred for
// the CREDENTIAL_REQUEST_OPTIONS options, at rp; the credential's counter
// advances as an authenticator's does.
func assertion(t *testing.T, rp virtualwebauthn.RelyingParty, auth virtualwebauthn.Authenticator, cred *virtualwebauthn.Credential, options string) string {
	t.Helper()
	opts, err := virtualwebauthn.ParseAssertionOptions(options)
	if err != nil {
		t.Fatalf("CREDENTIAL_REQUEST_OPTIONS %s: %v", options, err)
	}
	cred.Counter++
	return virtualwebauthn.CreateAssertionResponse(rp, auth, *cred, *opts)
}

// TestPasswordlessChoices runs USER_AUTH's choices: SELECT_CHALLENGE
// offers what the user can answer, EMAIL_OTP chosen there sends a code
// that signs in, and a user that does not exist is offered the pool's
// choices, as every user is where the client hides whether users exist,
// and answered as a wrong code or a bad passkey.
func TestPasswordlessChoices(t *testing.T) {
	flowBackends(t, func(t *testing.T, e *flowEnv) {
		e.addUser(t, "chooser", false)
		o := e.start(t, e.client, idp.AuthFlowTypeUserAuth, map[string]string{"USERNAME": "chooser"})
		if got := fmt.Sprint(o.Available); got != "[PASSWORD PASSWORD_SRP]" {
			t.Errorf("a user without contacts or passkeys is offered %s", got)
		}
		e.verifiedContacts(t, "chooser")
		e.registerPasskey(t, "chooser")
		o = e.start(t, e.client, idp.AuthFlowTypeUserAuth, map[string]string{"USERNAME": "chooser"})
		if got := fmt.Sprint(o.Available); got != "[PASSWORD PASSWORD_SRP EMAIL_OTP SMS_OTP WEB_AUTHN]" {
			t.Errorf("offered %s", got)
		}
		otp, err := e.answer(e.client, idp.ChallengeNameTypeSelectChallenge, o.Session, map[string]string{"USERNAME": "chooser", "ANSWER": "EMAIL_OTP"})
		if err != nil || otp.Challenge != idp.ChallengeNameTypeEmailOtp {
			t.Fatalf("ANSWER=EMAIL_OTP = %+v, %v", otp, err)
		}
		_, err = e.answer(e.client, idp.ChallengeNameTypeSelectChallenge, o.Session, map[string]string{"USERNAME": "chooser", "ANSWER": "EMAIL_OTP"})
		wantCognito(t, err, cognito.CodeNotAuthorizedException, msgSessionUsed)
		code := e.sentCode(t, e.email("chooser"))
		got, err := e.answer(e.client, idp.ChallengeNameTypeEmailOtp, otp.Session, map[string]string{"USERNAME": "chooser", "EMAIL_OTP_CODE": code})
		wantTokensOutcome(t, got, err)

		client := e.hidingClient(t)
		o = e.start(t, client, idp.AuthFlowTypeUserAuth, map[string]string{"USERNAME": "nobody@example.org"})
		if got := fmt.Sprint(o.Available); got != "[PASSWORD PASSWORD_SRP EMAIL_OTP SMS_OTP WEB_AUTHN]" {
			t.Errorf("a user that does not exist is offered %s", got)
		}
		e.addUser(t, "plain", false)
		if p := e.start(t, client, idp.AuthFlowTypeUserAuth, map[string]string{"USERNAME": "plain"}); fmt.Sprint(p.Available) != fmt.Sprint(o.Available) {
			t.Errorf("a user without contacts or passkeys is offered %v, one that does not exist %v", p.Available, o.Available)
		}
		pk, err := e.answer(client, idp.ChallengeNameTypeSelectChallenge, o.Session, map[string]string{"USERNAME": "nobody@example.org", "ANSWER": "WEB_AUTHN"})
		if err != nil || pk.Challenge != idp.ChallengeNameTypeWebAuthn || pk.Params["CREDENTIAL_REQUEST_OPTIONS"] == "" {
			t.Fatalf("ANSWER=WEB_AUTHN for nobody = %+v, %v", pk, err)
		}
		auth := virtualwebauthn.NewAuthenticator()
		cred := newPasskeyKey(t)
		auth.AddCredential(cred)
		_, err = e.answer(client, idp.ChallengeNameTypeWebAuthn, pk.Session, map[string]string{
			"USERNAME": "nobody@example.org", "CREDENTIAL": assertion(t, passkeyParty(), auth, &cred, pk.Params["CREDENTIAL_REQUEST_OPTIONS"]),
		})
		wantCognito(t, err, cognito.CodeNotAuthorizedException, msgPasskeyInvalid)
		o = e.start(t, client, idp.AuthFlowTypeUserAuth, map[string]string{"USERNAME": "nobody@example.org"})
		otp, err = e.answer(client, idp.ChallengeNameTypeSelectChallenge, o.Session, map[string]string{"USERNAME": "nobody@example.org", "ANSWER": "EMAIL_OTP"})
		if err != nil || otp.Challenge != idp.ChallengeNameTypeEmailOtp || otp.Params["CODE_DELIVERY_DESTINATION"] == "" {
			t.Fatalf("ANSWER=EMAIL_OTP for nobody = %+v, %v", otp, err)
		}
		_, err = e.answer(client, idp.ChallengeNameTypeEmailOtp, otp.Session, map[string]string{"USERNAME": "nobody@example.org", "EMAIL_OTP_CODE": "123456"})
		wantCognito(t, err, cognito.CodeCodeMismatchException, msgCodeMismatch)
	})
}

// newPasskeyKey is a new credential of the software authenticator. The
// authenticator writes the key's coordinates without their leading zero
// bytes, which a relying party rightly refuses (COSE wants 32 bytes each),
// so the key is drawn again until both are full length.
func newPasskeyKey(t *testing.T) virtualwebauthn.Credential {
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
