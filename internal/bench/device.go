package bench

import (
	"context"
	crand "crypto/rand"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/internal/srp/srpclient"
)

// This file is the device-srp-auth scenario: a sign-in on a remembered
// device, as amazon-cognito-identity-js makes it (USER_SRP_AUTH,
// PASSWORD_VERIFIER with DEVICE_KEY, DEVICE_SRP_AUTH,
// DEVICE_PASSWORD_VERIFIER). Remembering devices is a pool setting, so
// the scenario runs in a pool of its own (made on first use, deleted with
// the run), and each worker remembers a device of a user of its own.

// devicePool is the target's pool that remembers devices.
type devicePool struct {
	once             sync.Once
	err              error
	poolID, clientID string
}

// devicePool makes, once, the pool the device scenario runs in.
func (t *target) devicePool(ctx context.Context) (*devicePool, error) {
	d := &t.devices
	d.once.Do(func() {
		out, err := t.c.CreateUserPool(ctx, &cip.CreateUserPoolInput{
			PoolName:            aws.String("cognate-bench-devices-" + t.runID),
			DeviceConfiguration: &types.DeviceConfigurationType{ChallengeRequiredOnNewDevice: true},
		})
		if err != nil {
			d.err = fmt.Errorf("create the device pool: %w", err)
			return
		}
		d.poolID = aws.ToString(out.UserPool.Id)
		client, err := t.c.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{
			UserPoolId: &d.poolID, ClientName: aws.String("cognate-bench-devices"),
			ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserSrpAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth},
		})
		if err != nil {
			d.err = fmt.Errorf("create the device pool's app client: %w", err)
			return
		}
		d.clientID = aws.ToString(client.UserPoolClient.ClientId)
	})
	return d, d.err
}

// deleteDevicePool deletes the device pool, if the run made one.
func (t *target) deleteDevicePool(ctx context.Context) error {
	if t.devices.poolID == "" {
		return nil
	}
	if _, err := t.c.DeleteUserPool(ctx, &cip.DeleteUserPoolInput{UserPoolId: &t.devices.poolID}); err != nil {
		return fmt.Errorf("delete the device pool %s: %w", t.devices.poolID, err)
	}
	return nil
}

// deviceSRPSignIn runs USER_SRP_AUTH and PASSWORD_VERIFIER for username in the
// device pool, with deviceKey when not "", timing each call under c.
func (t *target) deviceSRPSignIn(ctx context.Context, c call, d *devicePool, client *srpclient.Client, username, deviceKey string) (*cip.RespondToAuthChallengeOutput, error) {
	var challenge *cip.InitiateAuthOutput
	if err := c("InitiateAuth", func() error {
		var err error
		challenge, err = t.c.InitiateAuth(ctx, &cip.InitiateAuthInput{
			ClientId: &d.clientID, AuthFlow: types.AuthFlowTypeUserSrpAuth,
			AuthParameters: map[string]string{"USERNAME": username, "SRP_A": client.SRPA()},
		})
		if err == nil && challenge.ChallengeName != types.ChallengeNameTypePasswordVerifier {
			err = fmt.Errorf("USER_SRP_AUTH answered challenge %q, want PASSWORD_VERIFIER", challenge.ChallengeName)
		}
		return err
	}); err != nil {
		return nil, err
	}
	params := challenge.ChallengeParameters
	var ts, sig string
	if err := c("client SRP math", func() error {
		var err error
		ts, sig, err = client.Claim(d.poolID, Password, params, time.Now())
		return err
	}); err != nil {
		return nil, err
	}
	responses := map[string]string{
		"USERNAME": params["USER_ID_FOR_SRP"], "PASSWORD_CLAIM_SECRET_BLOCK": params["SECRET_BLOCK"],
		"PASSWORD_CLAIM_SIGNATURE": sig, "TIMESTAMP": ts,
	}
	if deviceKey != "" {
		responses["DEVICE_KEY"] = deviceKey
	}
	var out *cip.RespondToAuthChallengeOutput
	err := c("RespondToAuthChallenge PASSWORD_VERIFIER", func() error {
		var err error
		out, err = t.c.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{
			ClientId: &d.clientID, ChallengeName: types.ChallengeNameTypePasswordVerifier, ChallengeResponses: responses,
		})
		return err
	})
	return out, err
}

func deviceAuthWorker(ctx context.Context, t *target, _ *rand.Rand) (iteration, error) {
	d, err := t.devicePool(ctx)
	if err != nil {
		return nil, err
	}
	// The worker's user and device: made untimed.
	username := fmt.Sprintf("bench-device-%s-%d", t.runID, t.seq.Add(1))
	if _, err := t.c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{
		UserPoolId: &d.poolID, Username: &username, MessageAction: types.MessageActionTypeSuppress,
	}); err != nil {
		return nil, fmt.Errorf("create the device user: %w", err)
	}
	if _, err := t.c.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{
		UserPoolId: &d.poolID, Username: &username, Password: aws.String(Password), Permanent: true,
	}); err != nil {
		return nil, fmt.Errorf("set the device user's password: %w", err)
	}
	client := srpclient.NewSized(benchABytes, t.srp)
	untimed := func(_ string, f func() error) error { return f() }
	first, err := t.deviceSRPSignIn(ctx, untimed, d, client, username, "")
	if err != nil {
		return nil, fmt.Errorf("first sign-in of the device user: %w", err)
	}
	res := first.AuthenticationResult
	if res == nil || res.NewDeviceMetadata == nil {
		return nil, fmt.Errorf("the device pool's sign-in handed out no NewDeviceMetadata")
	}
	deviceKey, groupKey := aws.ToString(res.NewDeviceMetadata.DeviceKey), aws.ToString(res.NewDeviceMetadata.DeviceGroupKey)
	raw := make([]byte, 40)
	crand.Read(raw) // crypto/rand.Read never fails
	secret := base64.StdEncoding.EncodeToString(raw)
	salt, verifier := srpclient.DeviceVerifier(groupKey, deviceKey, secret)
	if _, err := t.c.ConfirmDevice(ctx, &cip.ConfirmDeviceInput{
		AccessToken: res.AccessToken, DeviceKey: &deviceKey,
		DeviceSecretVerifierConfig: &types.DeviceSecretVerifierConfigType{Salt: &salt, PasswordVerifier: &verifier},
	}); err != nil {
		return nil, fmt.Errorf("confirm the device: %w", err)
	}
	return func(ctx context.Context, c call) error {
		pv, err := t.deviceSRPSignIn(ctx, c, d, client, username, deviceKey)
		if err != nil {
			return err
		}
		if pv.ChallengeName != types.ChallengeNameTypeDeviceSrpAuth {
			return fmt.Errorf("PASSWORD_VERIFIER with DEVICE_KEY answered challenge %q, want DEVICE_SRP_AUTH", pv.ChallengeName)
		}
		user := pv.ChallengeParameters["USERNAME"]
		var dv *cip.RespondToAuthChallengeOutput
		if err := c("RespondToAuthChallenge DEVICE_SRP_AUTH", func() error {
			dv, err = t.c.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{
				ClientId: &d.clientID, ChallengeName: types.ChallengeNameTypeDeviceSrpAuth, Session: pv.Session,
				ChallengeResponses: map[string]string{"USERNAME": user, "DEVICE_KEY": deviceKey, "SRP_A": client.SRPA()},
			})
			if err == nil && dv.ChallengeName != types.ChallengeNameTypeDevicePasswordVerifier {
				err = fmt.Errorf("DEVICE_SRP_AUTH answered challenge %q, want DEVICE_PASSWORD_VERIFIER", dv.ChallengeName)
			}
			return err
		}); err != nil {
			return err
		}
		params := dv.ChallengeParameters
		var ts, sig string
		if err := c("client SRP math", func() error {
			var err error
			ts, sig, err = client.ClaimAs(groupKey, deviceKey, secret, params, time.Now())
			return err
		}); err != nil {
			return err
		}
		return c("RespondToAuthChallenge DEVICE_PASSWORD_VERIFIER", func() error {
			out, err := t.c.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{
				ClientId: &d.clientID, ChallengeName: types.ChallengeNameTypeDevicePasswordVerifier, Session: dv.Session,
				ChallengeResponses: map[string]string{
					"USERNAME": user, "DEVICE_KEY": deviceKey, "PASSWORD_CLAIM_SECRET_BLOCK": params["SECRET_BLOCK"],
					"PASSWORD_CLAIM_SIGNATURE": sig, "TIMESTAMP": ts,
				},
			})
			if err == nil && (out.AuthenticationResult == nil || out.AuthenticationResult.AccessToken == nil) {
				err = fmt.Errorf("DEVICE_PASSWORD_VERIFIER answered challenge %q, want tokens", out.ChallengeName)
			}
			return err
		})
	}, nil
}
