package bench

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/internal/mfa"
	"github.com/cognate-dev/cognate/internal/srp/srpclient"
)

// TOTPUsersPerWorker is how many users each worker of the TOTP sign-in
// scenario enrols (untimed) with a software token. A TOTP code is
// accepted once, for a time step after the last one accepted, and the
// server takes the steps one before and one after the current one: a user
// signs in at most twice right after enrolling (its enrolment used the
// step before), then once per 30 seconds. A worker whose users have
// used every step they may waits for the next step, and that wait counts
// in the scenario's rate: run it for a few seconds per 2×TOTPUsersPerWorker
// sign-ins a worker makes (a short --duration), or the rate measures the
// users, not the server.
const TOTPUsersPerWorker = 32

// totpUser is one enrolled user of a TOTP worker.
type totpUser struct {
	name, secret string
	// last is the last time step a code of the user was accepted for.
	last int64
}

// totpAuthWorker enrols the worker's users (a pool the bench created gets
// software-token MFA turned on, OPTIONAL; another pool must have it on
// already), and signs one in per iteration: USER_SRP_AUTH,
// PASSWORD_VERIFIER, then SOFTWARE_TOKEN_MFA with the next code of its
// authenticator.
func totpAuthWorker(ctx context.Context, t *target, rng *rand.Rand) (iteration, error) {
	if err := t.totpPool(ctx); err != nil {
		return nil, err
	}
	users := make([]*totpUser, 0, TOTPUsersPerWorker)
	for range TOTPUsersPerWorker {
		u, err := t.enrolTOTP(ctx)
		if err != nil {
			return nil, err
		}
		users = append(users, u)
	}
	client := srpclient.NewSized(benchABytes, t.srp)
	next := 0
	return func(ctx context.Context, c call) error {
		// The first user with a step left, in turn; none: wait for the
		// next step.
		var u *totpUser
		for u == nil {
			now := time.Now()
			cur := mfa.Step(now)
			for range users {
				cand := users[next]
				next = (next + 1) % len(users)
				if codeStep(cand.last, now) <= cur+mfa.Skew {
					u = cand
					break
				}
			}
			if u == nil {
				wait := time.Until(time.Unix((cur+1)*int64(mfa.Period/time.Second), 0))
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-time.After(wait):
				}
			}
		}
		params, ts, sig, err := t.srpProof(ctx, c, client, u.name)
		if err != nil {
			return err
		}
		var mfaStep *cip.RespondToAuthChallengeOutput
		if err := c("RespondToAuthChallenge PASSWORD_VERIFIER", func() error {
			var err error
			mfaStep, err = t.c.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{
				ClientId: &t.clientID, ChallengeName: types.ChallengeNameTypePasswordVerifier,
				ChallengeResponses: map[string]string{
					"USERNAME": params["USER_ID_FOR_SRP"], "PASSWORD_CLAIM_SECRET_BLOCK": params["SECRET_BLOCK"],
					"PASSWORD_CLAIM_SIGNATURE": sig, "TIMESTAMP": ts,
				},
			})
			if err == nil && mfaStep.ChallengeName != types.ChallengeNameTypeSoftwareTokenMfa {
				err = fmt.Errorf("PASSWORD_VERIFIER answered challenge %q, want SOFTWARE_TOKEN_MFA", mfaStep.ChallengeName)
			}
			return err
		}); err != nil {
			return err
		}
		// The step is chosen now, not when the user was: a sign-in that
		// crossed a step's end meanwhile would answer with a code the
		// server no longer takes.
		step := codeStep(u.last, time.Now())
		code, err := mfa.Code(u.secret, time.Unix(step*int64(mfa.Period/time.Second), 0))
		if err != nil {
			return err
		}
		u.last = step
		return c("RespondToAuthChallenge SOFTWARE_TOKEN_MFA", func() error {
			out, err := t.c.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{
				ClientId: &t.clientID, ChallengeName: types.ChallengeNameTypeSoftwareTokenMfa, Session: mfaStep.Session,
				ChallengeResponses: map[string]string{"USERNAME": params["USER_ID_FOR_SRP"], "SOFTWARE_TOKEN_MFA_CODE": code},
			})
			if err == nil && (out.AuthenticationResult == nil || out.AuthenticationResult.AccessToken == nil) {
				err = fmt.Errorf("SOFTWARE_TOKEN_MFA answered challenge %q, want tokens", out.ChallengeName)
			}
			return err
		})
	}, nil
}

// codeMargin is how long after a code is made the server must still take
// it: the time its answer may take to arrive and be checked.
const codeMargin = 5 * time.Second

// codeStep is the step whose code a user whose last accepted step is last
// answers with at now: the first one after last that the server still
// takes codeMargin later, when the step before the current one may have
// ended. Chosen at the time of the answer, it is never past
// mfa.Step(now)+mfa.Skew when it was not at the time the user was picked.
func codeStep(last int64, now time.Time) int64 {
	return max(last+1, mfa.Step(now.Add(codeMargin))-mfa.Skew)
}

// totpPool makes sure the pool turns software-token MFA on: a pool the
// bench created gets it (OPTIONAL, so that its other users sign in without
// MFA), another must have it already.
func (t *target) totpPool(ctx context.Context) error {
	if t.ownPool {
		_, err := t.c.SetUserPoolMfaConfig(ctx, &cip.SetUserPoolMfaConfigInput{
			UserPoolId: &t.poolID, MfaConfiguration: types.UserPoolMfaTypeOptional,
			SoftwareTokenMfaConfiguration: &types.SoftwareTokenMfaConfigType{Enabled: true},
		})
		return err
	}
	out, err := t.c.GetUserPoolMfaConfig(ctx, &cip.GetUserPoolMfaConfigInput{UserPoolId: &t.poolID})
	if err != nil {
		return err
	}
	if out.MfaConfiguration == types.UserPoolMfaTypeOff || out.SoftwareTokenMfaConfiguration == nil || !out.SoftwareTokenMfaConfiguration.Enabled {
		return errors.New("the pool does not turn software-token MFA on")
	}
	return nil
}

// enrolTOTP creates a user with Password, signs it in, associates and
// verifies a software token (with the code of the step before the
// current one) and makes it the user's preferred factor.
func (t *target) enrolTOTP(ctx context.Context) (*totpUser, error) {
	name := t.newUserName("totp")
	if _, err := t.c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{
		UserPoolId: &t.poolID, Username: &name, MessageAction: types.MessageActionTypeSuppress,
	}); err != nil {
		return nil, fmt.Errorf("create TOTP user: %w", err)
	}
	if _, err := t.c.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{
		UserPoolId: &t.poolID, Username: &name, Password: aws.String(Password), Permanent: true,
	}); err != nil {
		return nil, fmt.Errorf("set TOTP user's password: %w", err)
	}
	out, err := t.c.AdminInitiateAuth(ctx, &cip.AdminInitiateAuthInput{
		UserPoolId: &t.poolID, ClientId: &t.clientID, AuthFlow: types.AuthFlowTypeAdminUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": name, "PASSWORD": Password},
	})
	if err != nil {
		return nil, fmt.Errorf("sign TOTP user in: %w", err)
	}
	if out.AuthenticationResult == nil {
		return nil, fmt.Errorf("sign TOTP user in: challenge %q", out.ChallengeName)
	}
	access := out.AuthenticationResult.AccessToken
	assoc, err := t.c.AssociateSoftwareToken(ctx, &cip.AssociateSoftwareTokenInput{AccessToken: access})
	if err != nil {
		return nil, fmt.Errorf("associate software token: %w", err)
	}
	u := &totpUser{name: name, secret: aws.ToString(assoc.SecretCode), last: mfa.Step(time.Now()) - mfa.Skew}
	code, err := mfa.Code(u.secret, time.Unix(u.last*int64(mfa.Period/time.Second), 0))
	if err != nil {
		return nil, err
	}
	if _, err := t.c.VerifySoftwareToken(ctx, &cip.VerifySoftwareTokenInput{AccessToken: access, UserCode: &code}); err != nil {
		return nil, fmt.Errorf("verify software token: %w", err)
	}
	if _, err := t.c.SetUserMFAPreference(ctx, &cip.SetUserMFAPreferenceInput{
		AccessToken: access, SoftwareTokenMfaSettings: &types.SoftwareTokenMfaSettingsType{Enabled: true, PreferredMfa: true},
	}); err != nil {
		return nil, fmt.Errorf("turn software-token MFA on: %w", err)
	}
	return u, nil
}
