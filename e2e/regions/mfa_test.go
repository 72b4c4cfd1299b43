package regions

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/pquerna/otp/totp"

	"github.com/cognate-dev/cognate/internal/srp/srpclient"
)

// This file checks the second factors across regions: a software token
// associated in one region answers SOFTWARE_TOKEN_MFA in the others, a
// code accepted in one region is refused in another once replicated, and
// a device remembered in one region signs in with its own SRP, without
// MFA, in the others.

const totpPeriod = 30 * time.Second

// totpCodeAt returns the code of secret for the TOTP step offset steps
// (-1, 0 or 1) from the current one. The server accepts a code within one
// step of its own. A code of the previous step is refused once the
// server's step has moved on before it checks the code: when the current
// step ends in less than ten seconds it waits for the next, so that a
// slow request on a loaded machine still lands in the step the code was
// made for. The current and next steps' codes stay good one step later.
func totpCodeAt(t *testing.T, secret string, offset int) (code string, step int64) {
	t.Helper()
	margin := time.Second
	if offset < 0 {
		margin = 10 * time.Second
	}
	now := time.Now()
	if left := totpPeriod - time.Duration(now.UnixNano()%int64(totpPeriod)); left < margin {
		time.Sleep(left + 100*time.Millisecond)
		now = time.Now()
	}
	step = now.Unix()/int64(totpPeriod/time.Second) + int64(offset)
	code, err := totp.GenerateCode(secret, time.Unix(step*int64(totpPeriod/time.Second), 0))
	if err != nil {
		t.Fatal(err)
	}
	return code, step
}

// regionDevice is a device's client side: its key, group key and secret.
type regionDevice struct {
	key, groupKey, secret string
}

// verifierConfig makes DeviceSecretVerifierConfig for d as
// amazon-cognito-identity-js does (AuthenticationHelper.generateHashDevice):
// a random salt, x = H(pad(salt) || H(groupKey || key || ":" || secret)),
// v = g^x mod N, both sent base64 of their padded bytes.
func (d *regionDevice) verifierConfig() *types.DeviceSecretVerifierConfigType {
	salt, verifier := srpclient.DeviceVerifier(d.groupKey, d.key, d.secret)
	return &types.DeviceSecretVerifierConfigType{Salt: aws.String(salt), PasswordVerifier: aws.String(verifier)}
}

// srpFirstFactor answers USER_SRP_AUTH's PASSWORD_VERIFIER in r, naming
// deviceKey when it is not empty, and returns the next step.
func srpFirstFactor(t *testing.T, ctx context.Context, r *region, poolID, clientID, user, password, deviceKey string) *cip.RespondToAuthChallengeOutput {
	t.Helper()
	srp := srpclient.New()
	params := map[string]string{"USERNAME": user, "SRP_A": srp.SRPA()}
	if deviceKey != "" {
		params["DEVICE_KEY"] = deviceKey
	}
	start, err := r.c.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: aws.String(clientID), AuthFlow: types.AuthFlowTypeUserSrpAuth, AuthParameters: params})
	if err != nil {
		t.Fatalf("SRP in %s: %v", r.name, err)
	}
	ts, sig, err := srp.Claim(poolID, password, start.ChallengeParameters, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	answer := map[string]string{"USERNAME": start.ChallengeParameters["USER_ID_FOR_SRP"],
		"TIMESTAMP": ts, "PASSWORD_CLAIM_SIGNATURE": sig, "PASSWORD_CLAIM_SECRET_BLOCK": start.ChallengeParameters["SECRET_BLOCK"]}
	if deviceKey != "" {
		answer["DEVICE_KEY"] = deviceKey
	}
	out, err := r.c.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{ClientId: aws.String(clientID),
		ChallengeName: start.ChallengeName, Session: start.Session, ChallengeResponses: answer})
	if err != nil {
		t.Fatalf("PASSWORD_VERIFIER in %s: %v", r.name, err)
	}
	return out
}

// answerTOTP answers the SOFTWARE_TOKEN_MFA challenge out with code.
func answerTOTP(ctx context.Context, r *region, clientID, user string, out *cip.RespondToAuthChallengeOutput, code string) (*types.AuthenticationResultType, error) {
	if out.ChallengeName != types.ChallengeNameTypeSoftwareTokenMfa || out.Session == nil {
		return nil, fmt.Errorf("challenge %s, want SOFTWARE_TOKEN_MFA", out.ChallengeName)
	}
	done, err := r.c.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{ClientId: aws.String(clientID),
		ChallengeName: types.ChallengeNameTypeSoftwareTokenMfa, Session: out.Session,
		ChallengeResponses: map[string]string{"USERNAME": user, "SOFTWARE_TOKEN_MFA_CODE": code}})
	if err != nil {
		return nil, err
	}
	if done.AuthenticationResult == nil || done.AuthenticationResult.AccessToken == nil {
		return nil, fmt.Errorf("challenge %s, want tokens", done.ChallengeName)
	}
	return done.AuthenticationResult, nil
}

// deviceSignIn signs user in in r on the remembered device d: USER_SRP_AUTH
// with DEVICE_KEY, then DEVICE_SRP_AUTH and DEVICE_PASSWORD_VERIFIER with
// the device's secret, as amazon-cognito-identity-js does. No second
// factor is asked.
func deviceSignIn(t *testing.T, ctx context.Context, r *region, poolID, clientID, user, password string, d *regionDevice) *types.AuthenticationResultType {
	t.Helper()
	out := srpFirstFactor(t, ctx, r, poolID, clientID, user, password, d.key)
	if out.ChallengeName != types.ChallengeNameTypeDeviceSrpAuth || out.Session == nil {
		t.Fatalf("remembered device in %s: challenge %s, want DEVICE_SRP_AUTH without MFA", r.name, out.ChallengeName)
	}
	userID := out.ChallengeParameters["USERNAME"]
	if userID == "" {
		userID = user
	}
	dc := srpclient.New()
	srpOut, err := r.c.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{ClientId: aws.String(clientID),
		ChallengeName: types.ChallengeNameTypeDeviceSrpAuth, Session: out.Session,
		ChallengeResponses: map[string]string{"USERNAME": userID, "DEVICE_KEY": d.key, "SRP_A": dc.SRPA()}})
	if err != nil {
		t.Fatalf("DEVICE_SRP_AUTH in %s: %v", r.name, err)
	}
	p := srpOut.ChallengeParameters
	if srpOut.ChallengeName != types.ChallengeNameTypeDevicePasswordVerifier || p["SRP_B"] == "" || p["SALT"] == "" || p["SECRET_BLOCK"] == "" {
		t.Fatalf("DEVICE_SRP_AUTH in %s = %s %v, want DEVICE_PASSWORD_VERIFIER", r.name, srpOut.ChallengeName, p)
	}
	ts, sig, err := dc.ClaimAs(d.groupKey, d.key, d.secret, p, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	done, err := r.c.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{ClientId: aws.String(clientID),
		ChallengeName: types.ChallengeNameTypeDevicePasswordVerifier, Session: srpOut.Session,
		ChallengeResponses: map[string]string{"USERNAME": userID, "DEVICE_KEY": d.key,
			"PASSWORD_CLAIM_SECRET_BLOCK": p["SECRET_BLOCK"], "PASSWORD_CLAIM_SIGNATURE": sig, "TIMESTAMP": ts}})
	if err != nil {
		t.Fatalf("DEVICE_PASSWORD_VERIFIER in %s: %v", r.name, err)
	}
	if done.AuthenticationResult == nil || done.AuthenticationResult.AccessToken == nil {
		t.Fatalf("DEVICE_PASSWORD_VERIFIER in %s: challenge %s, want tokens", r.name, done.ChallengeName)
	}
	if done.AuthenticationResult.NewDeviceMetadata != nil {
		t.Errorf("remembered device sign-in in %s handed out a new device %+v", r.name, done.AuthenticationResult.NewDeviceMetadata)
	}
	return done.AuthenticationResult
}

// mfaAcrossRegions makes, in a (rs[0]), a pool with optional MFA by
// software token and device tracking, and a user with a verified software
// token preferred and a remembered device; it checks that the user signs
// in with SRP then a TOTP code in the other regions, that a code accepted
// in one region is refused in another once replicated, and that the
// remembered device signs in there without MFA and is listed. It returns
// the user's last sign-in, on the device in C.
func mfaAcrossRegions(t *testing.T, ctx context.Context, rs []*region) signedIn {
	a, b, c := rs[0], rs[1], rs[2]
	const user, password = "tom", "Totp-Device-Pass-3"
	pool, err := a.c.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("second-factors"),
		DeviceConfiguration: &types.DeviceConfigurationType{ChallengeRequiredOnNewDevice: true, DeviceOnlyRememberedOnUserPrompt: true},
		// Passkeys as a first factor, for writeEveryKind.
		Policies: &types.UserPoolPolicyType{SignInPolicy: &types.SignInPolicyType{
			AllowedFirstAuthFactors: []types.AuthFactorType{types.AuthFactorTypePassword, types.AuthFactorTypeWebAuthn}}}})
	if err != nil {
		t.Fatal(err)
	}
	poolID := aws.ToString(pool.UserPool.Id)
	if _, err := a.c.SetUserPoolMfaConfig(ctx, &cip.SetUserPoolMfaConfigInput{UserPoolId: aws.String(poolID),
		MfaConfiguration:              types.UserPoolMfaTypeOptional,
		SoftwareTokenMfaConfiguration: &types.SoftwareTokenMfaConfigType{Enabled: true},
		// Passkeys, for writeEveryKind.
		WebAuthnConfiguration: &types.WebAuthnConfigurationType{RelyingPartyId: aws.String(passkeyRPID)}}); err != nil {
		t.Fatal(err)
	}
	client, err := a.c.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{
		UserPoolId: aws.String(poolID), ClientName: aws.String("factors"),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserSrpAuth,
			types.ExplicitAuthFlowsTypeAllowUserPasswordAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth},
	})
	if err != nil {
		t.Fatal(err)
	}
	clientID := aws.ToString(client.UserPoolClient.ClientId)
	if _, err := a.c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(poolID), Username: aws.String(user),
		MessageAction: types.MessageActionTypeSuppress}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.c.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: aws.String(poolID), Username: aws.String(user),
		Password: aws.String(password), Permanent: true}); err != nil {
		t.Fatal(err)
	}

	// In A: SRP sign-in (no factor yet) on a new device, a software
	// token associated and verified with the previous step's code, and
	// preferred; the device confirmed and remembered.
	first := srpFirstFactor(t, ctx, a, poolID, clientID, user, password, "")
	res := first.AuthenticationResult
	if res == nil || res.NewDeviceMetadata == nil || aws.ToString(res.NewDeviceMetadata.DeviceKey) == "" || aws.ToString(res.NewDeviceMetadata.DeviceGroupKey) == "" {
		t.Fatalf("first sign-in in A = %+v, want tokens with NewDeviceMetadata", first)
	}
	assoc, err := a.c.AssociateSoftwareToken(ctx, &cip.AssociateSoftwareTokenInput{AccessToken: res.AccessToken})
	if err != nil {
		t.Fatal(err)
	}
	secret := aws.ToString(assoc.SecretCode)
	code, _ := totpCodeAt(t, secret, -1)
	v, err := a.c.VerifySoftwareToken(ctx, &cip.VerifySoftwareTokenInput{AccessToken: res.AccessToken, UserCode: aws.String(code), FriendlyDeviceName: aws.String("phone")})
	if err != nil || v.Status != types.VerifySoftwareTokenResponseTypeSuccess {
		t.Fatalf("VerifySoftwareToken in A = %+v, %v", v, err)
	}
	if _, err := a.c.SetUserMFAPreference(ctx, &cip.SetUserMFAPreferenceInput{AccessToken: res.AccessToken,
		SoftwareTokenMfaSettings: &types.SoftwareTokenMfaSettingsType{Enabled: true, PreferredMfa: true}}); err != nil {
		t.Fatal(err)
	}
	d := &regionDevice{key: aws.ToString(res.NewDeviceMetadata.DeviceKey), groupKey: aws.ToString(res.NewDeviceMetadata.DeviceGroupKey)}
	raw := make([]byte, 40)
	if _, err := rand.Read(raw); err != nil {
		t.Fatal(err)
	}
	d.secret = base64.StdEncoding.EncodeToString(raw)
	if _, err := a.c.ConfirmDevice(ctx, &cip.ConfirmDeviceInput{AccessToken: res.AccessToken, DeviceKey: aws.String(d.key),
		DeviceName: aws.String("tom's laptop"), DeviceSecretVerifierConfig: d.verifierConfig()}); err != nil {
		t.Fatalf("ConfirmDevice in A: %v", err)
	}
	if _, err := a.c.UpdateDeviceStatus(ctx, &cip.UpdateDeviceStatusInput{AccessToken: res.AccessToken, DeviceKey: aws.String(d.key),
		DeviceRememberedStatus: types.DeviceRememberedStatusTypeRemembered}); err != nil {
		t.Fatalf("UpdateDeviceStatus in A: %v", err)
	}

	// The factor and the remembered device reach B and C.
	for _, r := range []*region{b, c} {
		eventually(t, "tom's software token and remembered device in "+r.name, func() error {
			u, err := r.c.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(poolID), Username: aws.String(user)})
			if err != nil {
				return err
			}
			if aws.ToString(u.PreferredMfaSetting) != "SOFTWARE_TOKEN_MFA" || !slices.Contains(u.UserMFASettingList, "SOFTWARE_TOKEN_MFA") {
				return fmt.Errorf("MFA %q %v", aws.ToString(u.PreferredMfaSetting), u.UserMFASettingList)
			}
			got, err := r.c.AdminGetDevice(ctx, &cip.AdminGetDeviceInput{UserPoolId: aws.String(poolID), Username: aws.String(user), DeviceKey: aws.String(d.key)})
			if err != nil {
				return err
			}
			if s := deviceAttr(got.Device, "dev:device_remembered_status"); s != "remembered" {
				return fmt.Errorf("device remembered status %q", s)
			}
			return nil
		})
	}

	// SRP then SOFTWARE_TOKEN_MFA in B, with the current step's code.
	codeB, stepB := totpCodeAt(t, secret, 0)
	out := srpFirstFactor(t, ctx, b, poolID, clientID, user, password, "")
	tokB, err := answerTOTP(ctx, b, clientID, user, out, codeB)
	if err != nil {
		t.Fatalf("SOFTWARE_TOKEN_MFA in B: %v", err)
	}

	// B's code is refused in C once B's sign-in is there (its refresh
	// token works in C, and the step it used was recorded in the
	// transaction that issued it), while the code is still within the
	// step window C accepts.
	eventually(t, "B's refresh token in C", func() error {
		_, err := c.c.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: aws.String(clientID), AuthFlow: types.AuthFlowTypeRefreshTokenAuth,
			AuthParameters: map[string]string{"REFRESH_TOKEN": aws.ToString(tokB.RefreshToken)}})
		return err
	})
	if now := time.Now().Unix() / int64(totpPeriod/time.Second); now > stepB+1 {
		t.Fatalf("B's code of step %d left C's window (step %d) before its sign-in reached C", stepB, now)
	}
	out = srpFirstFactor(t, ctx, c, poolID, clientID, user, password, "")
	var mismatch *types.CodeMismatchException
	if _, err := answerTOTP(ctx, c, clientID, user, out, codeB); !errors.As(err, &mismatch) {
		t.Fatalf("B's code reused in C: %v, want CodeMismatchException", err)
	}

	// A password sign-in in C answered with the next step's code.
	codeC, _ := totpCodeAt(t, secret, 1)
	pw, err := c.c.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: aws.String(clientID), AuthFlow: types.AuthFlowTypeUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": user, "PASSWORD": password}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := answerTOTP(ctx, c, clientID, user, &cip.RespondToAuthChallengeOutput{ChallengeName: pw.ChallengeName, Session: pw.Session}, codeC); err != nil {
		t.Fatalf("SOFTWARE_TOKEN_MFA in C: %v", err)
	}

	// The remembered device signs in without MFA in B and C, and each
	// lists it.
	var last *types.AuthenticationResultType
	for _, r := range []*region{b, c} {
		tok := deviceSignIn(t, ctx, r, poolID, clientID, user, password, d)
		last = tok
		list, err := r.c.ListDevices(ctx, &cip.ListDevicesInput{AccessToken: tok.AccessToken})
		if err != nil {
			t.Fatalf("ListDevices in %s: %v", r.name, err)
		}
		found := false
		for _, dev := range list.Devices {
			if aws.ToString(dev.DeviceKey) == d.key {
				found = deviceAttr(&dev, "device_name") == "tom's laptop" && deviceAttr(&dev, "dev:device_remembered_status") == "remembered"
			}
		}
		if !found {
			t.Errorf("ListDevices in %s does not show the remembered device %s: %+v", r.name, d.key, list.Devices)
		}
	}
	return signedIn{poolID: poolID, clientID: clientID, tokens: last}
}

// deviceAttr is the value of the device's attribute name.
func deviceAttr(d *types.DeviceType, name string) string {
	if d == nil {
		return ""
	}
	for _, a := range d.DeviceAttributes {
		if aws.ToString(a.Name) == name {
			return aws.ToString(a.Value)
		}
	}
	return ""
}
