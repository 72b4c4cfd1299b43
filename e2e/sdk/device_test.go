package sdk

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"math/big"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/internal/srp/srpclient"
	"github.com/cognate-dev/cognate/internal/storage/sqlite"
)

// This file tests remembered devices through the SDK: the device key a
// sign-in hands out, ConfirmDevice with a verifier made on the client side
// as amazon-cognito-identity-js makes it (AuthenticationHelper.
// generateHashDevice), the device's own SRP sign-in, the device
// operations, and the device rows of the bypass table.

// device is a device's client side: its key, group key and secret.
type device struct {
	key, groupKey, secret string
}

// verifierConfig makes DeviceSecretVerifierConfig for d as the client
// library does: a random salt, x = H(pad(salt) || H(groupKey || key ||
// ":" || secret)), v = g^x mod N, both sent base64 of their padded bytes.
func (d *device) verifierConfig() *types.DeviceSecretVerifierConfigType {
	salt, verifier := srpclient.DeviceVerifier(d.groupKey, d.key, d.secret)
	return &types.DeviceSecretVerifierConfigType{Salt: aws.String(salt), PasswordVerifier: aws.String(verifier)}
}

// newDeviceSecret is a device secret as the client library makes one (40
// random bytes, base64).
func newDeviceSecret(t *testing.T) string {
	t.Helper()
	b := make([]byte, 40)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(b)
}

var deviceKeyPattern = regexp.MustCompile(`^us-east-1_[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// rememberDevice signs username in with SRP, takes the NewDeviceMetadata
// of its tokens and confirms the device, and returns the device and the
// tokens.
func (s *selfService) rememberDevice(t *testing.T, username, name string) (*device, *types.AuthenticationResultType, *cip.ConfirmDeviceOutput) {
	t.Helper()
	out, err := s.srpSignIn(t, username, signInPassword)
	res := tokensOf(t, out, err)
	meta := res.NewDeviceMetadata
	if meta == nil || !deviceKeyPattern.MatchString(aws.ToString(meta.DeviceKey)) || aws.ToString(meta.DeviceGroupKey) == "" {
		t.Fatalf("NewDeviceMetadata = %+v, want a device key and group key", meta)
	}
	d := &device{key: aws.ToString(meta.DeviceKey), groupKey: aws.ToString(meta.DeviceGroupKey), secret: newDeviceSecret(t)}
	var deviceName *string
	if name != "" {
		deviceName = aws.String(name)
	}
	conf, err := s.e.c.ConfirmDevice(context.Background(), &cip.ConfirmDeviceInput{
		AccessToken: res.AccessToken, DeviceKey: meta.DeviceKey, DeviceName: deviceName,
		DeviceSecretVerifierConfig: d.verifierConfig(),
	}, noRetry)
	if err != nil {
		t.Fatalf("ConfirmDevice: %v", err)
	}
	return d, res, conf
}

// deviceSignIn signs username in with SRP on d: PASSWORD_VERIFIER with
// DEVICE_KEY, then DEVICE_SRP_AUTH and DEVICE_PASSWORD_VERIFIER with the
// device's secret, as amazon-cognito-identity-js does. It returns the
// last answer.
func (s *selfService) deviceSignIn(t *testing.T, username string, d *device) (*cip.RespondToAuthChallengeOutput, error) {
	t.Helper()
	return s.deviceSignInAfter(t, username, d, func(types.ChallengeNameType) {})
}

// deviceSignInAfter is deviceSignIn calling before with the name of each
// of the device's challenges before it answers it.
func (s *selfService) deviceSignInAfter(t *testing.T, username string, d *device, before func(types.ChallengeNameType)) (*cip.RespondToAuthChallengeOutput, error) {
	t.Helper()
	c, params := s.srpChallenge(t, username)
	ts, sig := c.claim(t, aws.ToString(s.pool), signInPassword, params, time.Now())
	user := params["USER_ID_FOR_SRP"]
	out, err := s.e.c.RespondToAuthChallenge(context.Background(), &cip.RespondToAuthChallengeInput{
		ClientId: s.client.ClientId, ChallengeName: types.ChallengeNameTypePasswordVerifier,
		ChallengeResponses: s.withSecret(user, map[string]string{
			"USERNAME": user, "PASSWORD_CLAIM_SECRET_BLOCK": params["SECRET_BLOCK"],
			"PASSWORD_CLAIM_SIGNATURE": sig, "TIMESTAMP": ts, "DEVICE_KEY": d.key,
		}),
	}, noRetry)
	if err != nil {
		return nil, err
	}
	return s.answerDeviceAfter(t, user, out.ChallengeName, out.Session, d, before)
}

// answerDevice answers DEVICE_SRP_AUTH (opened with session) and the
// DEVICE_PASSWORD_VERIFIER that follows with d's secret.
func (s *selfService) answerDevice(t *testing.T, user string, challenge types.ChallengeNameType, session *string, d *device) (*cip.RespondToAuthChallengeOutput, error) {
	t.Helper()
	return s.answerDeviceAfter(t, user, challenge, session, d, func(types.ChallengeNameType) {})
}

// answerDeviceAfter is answerDevice calling before with the name of each
// challenge before it answers it.
func (s *selfService) answerDeviceAfter(t *testing.T, user string, challenge types.ChallengeNameType, session *string, d *device, before func(types.ChallengeNameType)) (*cip.RespondToAuthChallengeOutput, error) {
	t.Helper()
	if challenge != types.ChallengeNameTypeDeviceSrpAuth || session == nil {
		t.Fatalf("answer with DEVICE_KEY = %s (session %v), want DEVICE_SRP_AUTH with a Session", challenge, session != nil)
	}
	dc := newSRPClient(t)
	before(types.ChallengeNameTypeDeviceSrpAuth)
	out, err := s.e.c.RespondToAuthChallenge(context.Background(), &cip.RespondToAuthChallengeInput{
		ClientId: s.client.ClientId, ChallengeName: types.ChallengeNameTypeDeviceSrpAuth, Session: session,
		ChallengeResponses: s.withSecret(user, map[string]string{"USERNAME": user, "DEVICE_KEY": d.key, "SRP_A": dc.srpA()}),
	}, noRetry)
	if err != nil {
		return nil, err
	}
	p := out.ChallengeParameters
	if out.ChallengeName != types.ChallengeNameTypeDevicePasswordVerifier || p["SRP_B"] == "" || p["SALT"] == "" || p["SECRET_BLOCK"] == "" {
		t.Fatalf("DEVICE_SRP_AUTH = %s %v, want DEVICE_PASSWORD_VERIFIER with SRP_B, SALT and SECRET_BLOCK", out.ChallengeName, p)
	}
	ts, sig := dc.claimAs(t, d.groupKey, d.key, d.secret, p, time.Now())
	before(types.ChallengeNameTypeDevicePasswordVerifier)
	return s.e.c.RespondToAuthChallenge(context.Background(), &cip.RespondToAuthChallengeInput{
		ClientId: s.client.ClientId, ChallengeName: types.ChallengeNameTypeDevicePasswordVerifier, Session: out.Session,
		ChallengeResponses: s.withSecret(user, map[string]string{
			"USERNAME": user, "DEVICE_KEY": d.key, "PASSWORD_CLAIM_SECRET_BLOCK": p["SECRET_BLOCK"],
			"PASSWORD_CLAIM_SIGNATURE": sig, "TIMESTAMP": ts,
		}),
	}, noRetry)
}

// tokensOf is the AuthenticationResult of a final answer, failing the
// test on an error.
func tokensOf(t *testing.T, out *cip.RespondToAuthChallengeOutput, err error) *types.AuthenticationResultType {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	return mustTokens(t, out.AuthenticationResult, nil, true)
}

func deviceAttrs(t *testing.T, d *types.DeviceType) map[string]string {
	t.Helper()
	if d == nil || d.DeviceCreateDate == nil || d.DeviceLastModifiedDate == nil || d.DeviceLastAuthenticatedDate == nil {
		t.Fatalf("device = %+v, want its dates", d)
	}
	return attrMap(d.DeviceAttributes)
}

func TestDevices(t *testing.T) {
	userBackends(t, func(t *testing.T, e *userEnv) {
		ctx := context.Background()
		s := e.selfServicePool(t, &cip.CreateUserPoolInput{
			DeviceConfiguration: &types.DeviceConfigurationType{ChallengeRequiredOnNewDevice: true},
		}, &cip.CreateUserPoolClientInput{ExplicitAuthFlows: signInFlows, GenerateSecret: true})
		s.signInUser(t, "dana", signInPassword)
		s.signInUser(t, "eve", signInPassword)

		d, first, conf := s.rememberDevice(t, "dana", "dana's phone")
		if conf.UserConfirmationNecessary {
			t.Error("UserConfirmationNecessary = true in a pool that remembers devices without asking")
		}
		_, access := verifiedClaims(t, e.URL, s.pool, s.client.ClientId, first)
		if access["device_key"] != d.key {
			t.Errorf("access token device_key = %v, want %s", access["device_key"], d.key)
		}

		// A device is confirmed once, and only by its own sign-in.
		_, err := e.c.ConfirmDevice(ctx, &cip.ConfirmDeviceInput{
			AccessToken: first.AccessToken, DeviceKey: aws.String(d.key), DeviceSecretVerifierConfig: d.verifierConfig(),
		}, noRetry)
		wantTyped[*types.DeviceKeyExistsException](t, err, "")
		_, err = e.c.ConfirmDevice(ctx, &cip.ConfirmDeviceInput{
			AccessToken: first.AccessToken, DeviceKey: aws.String("us-east-1_00000000-0000-4000-8000-000000000000"), DeviceSecretVerifierConfig: d.verifierConfig(),
		}, noRetry)
		wantTyped[*types.ResourceNotFoundException](t, err, "Device does not exist.")

		got, err := e.c.GetDevice(ctx, &cip.GetDeviceInput{AccessToken: first.AccessToken, DeviceKey: aws.String(d.key)}, noRetry)
		if err != nil {
			t.Fatal(err)
		}
		attrs := deviceAttrs(t, got.Device)
		if attrs["device_name"] != "dana's phone" || attrs["dev:device_remembered_status"] != "remembered" || attrs["device_status"] != "valid" ||
			attrs["last_ip_used"] != "127.0.0.1" {
			t.Errorf("device attributes = %v", attrs)
		}

		// The second sign-in goes through the device's SRP, hands out no
		// new device, and its tokens carry the device.
		out, err := s.deviceSignIn(t, "dana", d)
		res := tokensOf(t, out, err)
		if res.NewDeviceMetadata != nil {
			t.Errorf("a sign-in on a remembered device got NewDeviceMetadata %+v", res.NewDeviceMetadata)
		}
		_, access = verifiedClaims(t, e.URL, s.pool, s.client.ClientId, res)
		if access["device_key"] != d.key {
			t.Errorf("device sign-in's access token device_key = %v, want %s", access["device_key"], d.key)
		}
		after, err := e.c.AdminGetDevice(ctx, &cip.AdminGetDeviceInput{UserPoolId: s.pool, Username: aws.String("dana"), DeviceKey: aws.String(d.key)})
		if err != nil {
			t.Fatal(err)
		}
		deviceAttrs(t, after.Device)
		if !after.Device.DeviceLastAuthenticatedDate.After(*got.Device.DeviceLastAuthenticatedDate) {
			t.Errorf("last authenticated %v, not after %v", after.Device.DeviceLastAuthenticatedDate, got.Device.DeviceLastAuthenticatedDate)
		}

		// USER_PASSWORD_AUTH with DEVICE_KEY goes through the device too.
		pw, err := s.e.c.InitiateAuth(ctx, &cip.InitiateAuthInput{
			ClientId: s.client.ClientId, AuthFlow: types.AuthFlowTypeUserPasswordAuth,
			AuthParameters: s.withSecret("dana", map[string]string{"USERNAME": "dana", "PASSWORD": signInPassword, "DEVICE_KEY": d.key}),
		}, noRetry)
		if err != nil {
			t.Fatal(err)
		}
		out, err = s.answerDevice(t, "dana", pw.ChallengeName, pw.Session, d)
		tokensOf(t, out, err)

		// Refreshing on a confirmed device takes its DEVICE_KEY.
		refresh := func(key string) error {
			params := map[string]string{"REFRESH_TOKEN": aws.ToString(res.RefreshToken), "USERNAME": "dana"}
			if key != "" {
				params["DEVICE_KEY"] = key
			}
			_, err := e.c.InitiateAuth(ctx, &cip.InitiateAuthInput{
				ClientId: s.client.ClientId, AuthFlow: types.AuthFlowTypeRefreshTokenAuth, AuthParameters: s.withSecret("dana", params),
			}, noRetry)
			return err
		}
		if err := refresh(d.key); err != nil {
			t.Fatalf("refresh with the device key: %v", err)
		}
		wantTyped[*types.NotAuthorizedException](t, refresh(""), "Invalid Refresh Token.")

		// The bypass rows: another user's device key, and a forged device
		// verifier, are each refused.
		refused := 0
		ed, _, _ := s.rememberDevice(t, "eve", "eve's laptop")
		wantTyped[*types.NotAuthorizedException](t, refresh(ed.key), "Invalid Refresh Token.")
		refused++
		_, err = s.deviceSignIn(t, "dana", ed)
		wantTyped[*types.ResourceNotFoundException](t, err, "Device does not exist.")
		refused++
		_, err = e.c.GetDevice(ctx, &cip.GetDeviceInput{AccessToken: first.AccessToken, DeviceKey: aws.String(ed.key)}, noRetry)
		wantTyped[*types.ResourceNotFoundException](t, err, "Device does not exist.")
		refused++
		_, err = e.c.ForgetDevice(ctx, &cip.ForgetDeviceInput{AccessToken: first.AccessToken, DeviceKey: aws.String(ed.key)}, noRetry)
		wantTyped[*types.ResourceNotFoundException](t, err, "Device does not exist.")
		refused++
		_, err = e.c.UpdateDeviceStatus(ctx, &cip.UpdateDeviceStatusInput{AccessToken: first.AccessToken, DeviceKey: aws.String(ed.key), DeviceRememberedStatus: types.DeviceRememberedStatusTypeNotRemembered}, noRetry)
		wantTyped[*types.ResourceNotFoundException](t, err, "Device does not exist.")
		refused++
		// eve's device with dana's key but eve's secret, and dana's device
		// with a guessed secret: the device's proof fails.
		forged := &device{key: d.key, groupKey: d.groupKey, secret: ed.secret}
		_, err = s.deviceSignIn(t, "dana", forged)
		wantTyped[*types.NotAuthorizedException](t, err, "Incorrect username or password.")
		refused++
		forged = &device{key: d.key, groupKey: ed.groupKey, secret: d.secret}
		_, err = s.deviceSignIn(t, "dana", forged)
		wantTyped[*types.NotAuthorizedException](t, err, "Incorrect username or password.")
		refused++
		t.Logf("bypass table, device rows: %d attempts, %d refused", 7, refused)

		// A client that was told its device does not exist answers the
		// same SECRET_BLOCK again without it, and signs in.
		c, params := s.srpChallenge(t, "dana")
		ts, sig := c.claim(t, aws.ToString(s.pool), signInPassword, params, time.Now())
		user := params["USER_ID_FOR_SRP"]
		answer := map[string]string{
			"USERNAME": user, "PASSWORD_CLAIM_SECRET_BLOCK": params["SECRET_BLOCK"],
			"PASSWORD_CLAIM_SIGNATURE": sig, "TIMESTAMP": ts, "DEVICE_KEY": ed.key,
		}
		_, err = e.c.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{
			ClientId: s.client.ClientId, ChallengeName: types.ChallengeNameTypePasswordVerifier, ChallengeResponses: s.withSecret(user, answer),
		}, noRetry)
		wantTyped[*types.ResourceNotFoundException](t, err, "Device does not exist.")
		delete(answer, "DEVICE_KEY")
		pvOut, err := e.c.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{
			ClientId: s.client.ClientId, ChallengeName: types.ChallengeNameTypePasswordVerifier, ChallengeResponses: s.withSecret(user, answer),
		}, noRetry)
		if r := tokensOf(t, pvOut, err); r.NewDeviceMetadata == nil {
			t.Error("a sign-in without a device got no NewDeviceMetadata")
		}

		// Status: not remembered, then remembered again by an
		// administrator.
		if _, err := e.c.UpdateDeviceStatus(ctx, &cip.UpdateDeviceStatusInput{
			AccessToken: first.AccessToken, DeviceKey: aws.String(d.key), DeviceRememberedStatus: types.DeviceRememberedStatusTypeNotRemembered,
		}, noRetry); err != nil {
			t.Fatal(err)
		}
		got, err = e.c.GetDevice(ctx, &cip.GetDeviceInput{AccessToken: first.AccessToken, DeviceKey: aws.String(d.key)}, noRetry)
		if err != nil {
			t.Fatal(err)
		}
		if a := deviceAttrs(t, got.Device); a["dev:device_remembered_status"] != "not_remembered" {
			t.Errorf("status after UpdateDeviceStatus = %v", a)
		}
		if _, err := e.c.AdminUpdateDeviceStatus(ctx, &cip.AdminUpdateDeviceStatusInput{
			UserPoolId: s.pool, Username: aws.String("dana"), DeviceKey: aws.String(d.key), DeviceRememberedStatus: types.DeviceRememberedStatusTypeRemembered,
		}); err != nil {
			t.Fatal(err)
		}
		_, err = e.c.AdminUpdateDeviceStatus(ctx, &cip.AdminUpdateDeviceStatusInput{
			UserPoolId: s.pool, Username: aws.String("dana"), DeviceKey: aws.String(d.key), DeviceRememberedStatus: "forgotten",
		})
		wantTyped[*types.InvalidParameterException](t, err, "")

		// Listing, a page at a time.
		d2, _, _ := s.rememberDevice(t, "dana", "dana's tablet")
		d3, _, _ := s.rememberDevice(t, "dana", "dana's watch")
		var keys []string
		var token *string
		for page := 0; ; page++ {
			l, err := e.c.ListDevices(ctx, &cip.ListDevicesInput{AccessToken: first.AccessToken, Limit: aws.Int32(2), PaginationToken: token}, noRetry)
			if err != nil {
				t.Fatal(err)
			}
			if len(l.Devices) > 2 || page > 2 {
				t.Fatalf("page %d has %d devices", page, len(l.Devices))
			}
			for _, dev := range l.Devices {
				keys = append(keys, aws.ToString(dev.DeviceKey))
			}
			if token = l.PaginationToken; token == nil {
				break
			}
		}
		if len(keys) != 3 || !containsAll(keys, d.key, d2.key, d3.key) {
			t.Errorf("ListDevices = %v, want dana's three devices", keys)
		}
		al, err := e.c.AdminListDevices(ctx, &cip.AdminListDevicesInput{UserPoolId: s.pool, Username: aws.String("eve")})
		if err != nil || len(al.Devices) != 1 || aws.ToString(al.Devices[0].DeviceKey) != ed.key {
			t.Errorf("AdminListDevices eve = %+v, %v; want eve's one device", al, err)
		}

		// Forgetting a device ends its sessions: its refresh tokens and
		// the access tokens minted from them.
		if _, err := e.c.ForgetDevice(ctx, &cip.ForgetDeviceInput{AccessToken: res.AccessToken, DeviceKey: aws.String(d.key)}, noRetry); err != nil {
			t.Fatal(err)
		}
		wantTyped[*types.NotAuthorizedException](t, refresh(d.key), "Refresh Token has been revoked")
		_, err = e.c.GetUser(ctx, &cip.GetUserInput{AccessToken: res.AccessToken}, noRetry)
		wantTyped[*types.NotAuthorizedException](t, err, "Access Token has been revoked")
		_, err = e.c.AdminGetDevice(ctx, &cip.AdminGetDeviceInput{UserPoolId: s.pool, Username: aws.String("dana"), DeviceKey: aws.String(d.key)})
		wantTyped[*types.ResourceNotFoundException](t, err, "Device does not exist.")
		// A forgotten device's key is no longer taken at sign-in.
		_, err = s.deviceSignIn(t, "dana", d)
		wantTyped[*types.ResourceNotFoundException](t, err, "Device does not exist.")
		if _, err := e.c.AdminForgetDevice(ctx, &cip.AdminForgetDeviceInput{UserPoolId: s.pool, Username: aws.String("dana"), DeviceKey: aws.String(d2.key)}); err != nil {
			t.Fatal(err)
		}
		_, err = e.c.AdminForgetDevice(ctx, &cip.AdminForgetDeviceInput{UserPoolId: s.pool, Username: aws.String("dana"), DeviceKey: aws.String(d2.key)})
		wantTyped[*types.ResourceNotFoundException](t, err, "Device does not exist.")

		// Deleting the user deletes its devices.
		if _, err := e.c.AdminDeleteUser(ctx, &cip.AdminDeleteUserInput{UserPoolId: s.pool, Username: aws.String("eve")}); err != nil {
			t.Fatal(err)
		}
		s.signInUser(t, "eve", signInPassword)
		if al, err := e.c.AdminListDevices(ctx, &cip.AdminListDevicesInput{UserPoolId: s.pool, Username: aws.String("eve")}); err != nil || len(al.Devices) != 0 {
			t.Errorf("a new eve lists %+v, %v; want no devices", al, err)
		}

		// Deleting the pool deletes the devices still in it.
		if n, err := e.Store.CountItems(ctx, "device", aws.ToString(s.pool)); err != nil || n == 0 {
			t.Fatalf("before the pool is deleted it holds %d devices (%v); the check below checks nothing", n, err)
		}
		if _, err := e.c.DeleteUserPool(ctx, &cip.DeleteUserPoolInput{UserPoolId: s.pool}); err != nil {
			t.Fatal(err)
		}
		if n, err := e.Store.CountItems(ctx, "device", aws.ToString(s.pool)); err != nil || n != 0 {
			t.Errorf("after the pool is deleted it holds %d devices (%v)", n, err)
		}
	})
}

func containsAll(have []string, want ...string) bool {
	set := map[string]bool{}
	for _, h := range have {
		set[h] = true
	}
	for _, w := range want {
		if !set[w] {
			return false
		}
	}
	return true
}

// TestDevicesOnUserPrompt checks a pool that remembers a device only when
// the user says so, and a pool that tracks no devices.
func TestDevicesOnUserPrompt(t *testing.T) {
	userBackends(t, func(t *testing.T, e *userEnv) {
		ctx := context.Background()
		s := e.selfServicePool(t, &cip.CreateUserPoolInput{
			DeviceConfiguration: &types.DeviceConfigurationType{ChallengeRequiredOnNewDevice: true, DeviceOnlyRememberedOnUserPrompt: true},
		}, &cip.CreateUserPoolClientInput{ExplicitAuthFlows: signInFlows})
		s.signInUser(t, "fay", signInPassword)
		d, res, conf := s.rememberDevice(t, "fay", "")
		if !conf.UserConfirmationNecessary {
			t.Error("UserConfirmationNecessary = false in a pool that remembers devices on the user's prompt")
		}
		got, err := e.c.GetDevice(ctx, &cip.GetDeviceInput{AccessToken: res.AccessToken, DeviceKey: aws.String(d.key)}, noRetry)
		if err != nil {
			t.Fatal(err)
		}
		if a := deviceAttrs(t, got.Device); a["dev:device_remembered_status"] != "not_remembered" {
			t.Errorf("a device confirmed without the user's say = %v, want not_remembered", a)
		}
		// Not remembered, it still signs in as a device.
		out, err := s.deviceSignIn(t, "fay", d)
		tokensOf(t, out, err)

		plain := e.selfServicePool(t, nil, &cip.CreateUserPoolClientInput{ExplicitAuthFlows: signInFlows})
		plain.signInUser(t, "gus", signInPassword)
		pout, err := plain.srpSignIn(t, "gus", signInPassword)
		r := tokensOf(t, pout, err)
		if r.NewDeviceMetadata != nil {
			t.Errorf("a pool without device tracking handed out %+v", r.NewDeviceMetadata)
		}
		_, err = e.c.ConfirmDevice(ctx, &cip.ConfirmDeviceInput{
			AccessToken: r.AccessToken, DeviceKey: aws.String(d.key), DeviceSecretVerifierConfig: d.verifierConfig(),
		}, noRetry)
		var ipe *types.InvalidParameterException
		if !errors.As(err, &ipe) {
			t.Errorf("ConfirmDevice in a pool without device tracking = %v, want InvalidParameterException", err)
		}
		// A malformed verifier is refused.
		d2out, err := s.srpSignIn(t, "fay", signInPassword)
		r2 := tokensOf(t, d2out, err)
		_, err = e.c.ConfirmDevice(ctx, &cip.ConfirmDeviceInput{
			AccessToken: r2.AccessToken, DeviceKey: r2.NewDeviceMetadata.DeviceKey,
			DeviceSecretVerifierConfig: &types.DeviceSecretVerifierConfigType{Salt: aws.String("AA=="), PasswordVerifier: aws.String("AQ==")},
		}, noRetry)
		wantTyped[*types.InvalidParameterException](t, err, "Invalid device secret verifier config.")
	})
}

// TestDeviceVerifierSealedAtRest checks that a copy of the database does
// not give away a device's verifier (with which the device's secret could
// be guessed offline): neither the verifier nor the salt the client sent
// is in the file, in any encoding, while the device is there.
func TestDeviceVerifierSealedAtRest(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "cognate.db")
	db, err := sqlite.Open(ctx, path, sqlite.Options{Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	e := startWithOutbox(t, db)
	s := e.selfServicePool(t, &cip.CreateUserPoolInput{
		DeviceConfiguration: &types.DeviceConfigurationType{ChallengeRequiredOnNewDevice: true},
	}, &cip.CreateUserPoolClientInput{ExplicitAuthFlows: signInFlows})
	s.signInUser(t, "hal", signInPassword)
	out, err := s.srpSignIn(t, "hal", signInPassword)
	res := tokensOf(t, out, err)
	d := &device{key: aws.ToString(res.NewDeviceMetadata.DeviceKey), groupKey: aws.ToString(res.NewDeviceMetadata.DeviceGroupKey), secret: newDeviceSecret(t)}
	cfg := d.verifierConfig()
	if _, err := e.c.ConfirmDevice(ctx, &cip.ConfirmDeviceInput{AccessToken: res.AccessToken, DeviceKey: aws.String(d.key), DeviceSecretVerifierConfig: cfg}, noRetry); err != nil {
		t.Fatal(err)
	}
	raw := dumpSQLite(t, path)
	if !strings.Contains(raw, d.key) {
		t.Fatal("the dump does not hold the device; it reads nothing")
	}
	for what, b64 := range map[string]string{"verifier": aws.ToString(cfg.PasswordVerifier), "salt": aws.ToString(cfg.Salt)} {
		b, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			t.Fatal(err)
		}
		for _, form := range []string{b64, hex.EncodeToString(b), new(big.Int).SetBytes(b).Text(16), string(b)} {
			if strings.Contains(raw, form) {
				t.Errorf("the dump holds the device's %s", what)
			}
		}
	}
}
