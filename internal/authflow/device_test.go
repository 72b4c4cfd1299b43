package authflow

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/seal"
	"github.com/cognate-dev/cognate/internal/srp"
	"github.com/cognate-dev/cognate/internal/storage"
)

// The device challenges join the dispatcher's tests (dispatch_test.go)
// with the device's secret as the secret: the case gives the user a
// device whose secret is flowPassword and opens DEVICE_SRP_AUTH for it as
// a right password would, so that the secret the shared tests pass is the
// device's. For a user that does not exist (the existence-shadow test) the
// flow is opened for a user deleted after the device step began, the one
// way a device proof can answer for a user that is gone.
func init() {
	challengeCases[idp.ChallengeNameTypeDeviceSrpAuth] = challengeCase{secret: true, open: func(t *testing.T, e *flowEnv, client, user string) func(string) (*Step, error) {
		f := e.openDeviceFlow(t, client, user)
		if f.gone {
			return f.prove
		}
		return func(secret string) (*Step, error) {
			if err := f.begin(); err != nil {
				return nil, err
			}
			return f.prove(secret)
		}
	}}
	challengeCases[idp.ChallengeNameTypeDevicePasswordVerifier] = challengeCase{secret: true, open: func(t *testing.T, e *flowEnv, client, user string) func(string) (*Step, error) {
		f := e.openDeviceFlow(t, client, user)
		if !f.gone {
			if err := f.begin(); err != nil {
				t.Fatalf("DEVICE_SRP_AUTH: %v", err)
			}
		}
		return f.prove
	}}
}

// deviceFlow is a device sign-in opened at DEVICE_SRP_AUTH.
type deviceFlow struct {
	t                *testing.T
	e                *flowEnv
	client, username string
	key, groupKey    string
	session          string
	c                *srpTestClient
	params           map[string]string
	next             string
	gone             bool
}

// addDevice gives the user sub a confirmed device whose secret is
// secret, as ConfirmDevice stores it.
func (e *flowEnv) addDevice(t testing.TB, sub, secret string, remembered bool) (key, groupKey string) {
	t.Helper()
	key, groupKey = flowRegion+"_"+strings.ToLower(newStateID()[:8])+"-0000-4000-8000-"+newStateID()[:12], newDeviceGroupKey()
	v, err := srp.NewVerifier(groupKey, key, secret)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := e.s.verifiers.SealDevice(e.pool, sub, key, v)
	if err != nil {
		t.Fatal(err)
	}
	now := e.clock.Now()
	it, err := deviceItem(e.pool, &deviceRecord{Sub: sub, Key: key, GroupKey: groupKey, Verifier: sealed, Remembered: remembered, CreatedAt: now, ModifiedAt: now}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.store.Tx(context.Background(), func(tx storage.Tx) error { return tx.CreateItem(context.Background(), it) }); err != nil {
		t.Fatal(err)
	}
	return key, groupKey
}

// openDeviceFlow gives user (created first when it does not exist, and
// then deleted once the device step has begun) a device and opens
// DEVICE_SRP_AUTH for it.
func (e *flowEnv) openDeviceFlow(t *testing.T, client, user string) *deviceFlow {
	t.Helper()
	ctx := context.Background()
	pool, err := e.pools.SignInPool(ctx, cognito.Caller{Region: flowRegion}, e.pool)
	if err != nil {
		t.Fatal(err)
	}
	f := &deviceFlow{t: t, e: e, client: client}
	u, err := e.users.LookupUser(ctx, pool, user)
	if err != nil {
		f.gone = true
		e.addUser(t, user, false)
		if u, err = e.users.LookupUser(ctx, pool, user); err != nil {
			t.Fatal(err)
		}
	}
	f.username = u.Username
	f.key, f.groupKey = e.addDevice(t, u.Sub, flowPassword, true)
	st := &flowState{
		Pool: e.pool, Client: client, Flow: idp.AuthFlowTypeUserSrpAuth, Challenge: idp.ChallengeNameTypeDeviceSrpAuth,
		Sub: u.Sub, Username: u.Username, Given: pool.FoldUsername(user), DeviceKey: f.key,
	}
	if f.session, err = e.s.openFlow(ctx, st, 5*time.Minute, purposeSession, nil); err != nil {
		t.Fatal(err)
	}
	if f.gone {
		if err := f.begin(); err != nil {
			t.Fatalf("DEVICE_SRP_AUTH: %v", err)
		}
		if _, err := e.users.AdminDeleteUser(ctx, cognito.Caller{Region: flowRegion}, &idp.AdminDeleteUserRequest{
			UserPoolId: cognito.Ptr(e.pool), Username: cognito.Ptr(user),
		}); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// begin answers DEVICE_SRP_AUTH with a fresh SRP_A.
func (f *deviceFlow) begin() error {
	f.c = newSRPTestClient(f.t)
	o, err := f.e.answer(f.client, idp.ChallengeNameTypeDeviceSrpAuth, f.session, map[string]string{
		"USERNAME": f.username, "DEVICE_KEY": f.key, "SRP_A": f.c.A.Text(16),
	})
	if err != nil {
		return err
	}
	if o.Challenge != idp.ChallengeNameTypeDevicePasswordVerifier || o.Params["SECRET_BLOCK"] == "" {
		f.t.Fatalf("DEVICE_SRP_AUTH = %+v, want DEVICE_PASSWORD_VERIFIER with a SECRET_BLOCK", o)
	}
	f.params = o.Params
	return nil
}

// prove answers DEVICE_PASSWORD_VERIFIER with the device's claim for
// secret.
func (f *deviceFlow) prove(secret string) (*Step, error) {
	p := f.params
	ts, sig := f.c.respond(f.t, f.groupKey, f.key, secret, p["SALT"], p["SRP_B"], p["SECRET_BLOCK"], f.e.clock.Now())
	return f.e.answer(f.client, idp.ChallengeNameTypeDevicePasswordVerifier, "", map[string]string{
		"USERNAME": f.username, "DEVICE_KEY": f.key, "PASSWORD_CLAIM_SECRET_BLOCK": p["SECRET_BLOCK"],
		"PASSWORD_CLAIM_SIGNATURE": sig, "TIMESTAMP": ts,
	})
}

// TestResealDeviceVerifier checks the re-sealer of device items during a
// key rotation: a verifier sealed with the previous key comes back sealed
// with the current one (and opens with it alone), one already sealed with
// the current key is left alone, and the rest of the record is kept.
func TestResealDeviceVerifier(t *testing.T) {
	flowBackends(t, func(t *testing.T, e *flowEnv) {
		ctx := context.Background()
		pool, err := e.pools.SignInPool(ctx, cognito.Caller{Region: flowRegion}, e.pool)
		if err != nil {
			t.Fatal(err)
		}
		u, err := e.users.LookupUser(ctx, pool, flowUser)
		if err != nil {
			t.Fatal(err)
		}
		key, _ := e.addDevice(t, u.Sub, flowPassword, true)
		it, err := e.store.GetItem(ctx, kindDevice, deviceID(e.pool, key))
		if err != nil {
			t.Fatal(err)
		}
		if _, changed, err := e.s.ResealDeviceVerifier(it); err != nil || changed {
			t.Fatalf("re-seal with the key it was sealed with: changed %v, %v", changed, err)
		}
		old := bytes.Repeat([]byte{3}, seal.KeySize)
		next := bytes.Repeat([]byte{4}, seal.KeySize)
		rotated, err := srp.NewVerifiers(next, old)
		if err != nil {
			t.Fatal(err)
		}
		s2 := &Service{verifiers: rotated}
		data, changed, err := s2.ResealDeviceVerifier(it)
		if err != nil || !changed {
			t.Fatalf("re-seal after a rotation: changed %v, %v", changed, err)
		}
		was, err := decodeDevice(it)
		if err != nil {
			t.Fatal(err)
		}
		now, err := decodeDevice(&storage.Item{ID: it.ID, Data: data})
		if err != nil {
			t.Fatal(err)
		}
		if now.Verifier == was.Verifier || now.Key != was.Key || now.Sub != was.Sub || now.GroupKey != was.GroupKey {
			t.Fatalf("re-sealed record = %+v, was %+v", now, was)
		}
		only, err := srp.NewVerifiers(next)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := only.OpenDevice(e.pool, u.Sub, key, now.Verifier); err != nil {
			t.Errorf("the re-sealed verifier does not open with the current key alone: %v", err)
		}
		if _, err := only.OpenDevice(e.pool, u.Sub, key, was.Verifier); err == nil {
			t.Error("the verifier sealed with the previous key opens with the current key alone; the test checks nothing")
		}
	})
}

// TestDeviceSignInBudget holds a sign-in on a remembered device to its
// budget, as TestSignInBudget does the other flows: PASSWORD_VERIFIER with
// DEVICE_KEY reads the device and, in one transaction, uses the block up
// and opens DEVICE_SRP_AUTH; DEVICE_SRP_AUTH uses its Session up in one;
// DEVICE_PASSWORD_VERIFIER checks the proof first, then uses the block up,
// issues the tokens and records the device's sign-in in one. A sign-in
// that hands out a new device writes no more than one in a pool without
// devices (the new key is kept in the token family), and a refresh on the
// device reads the device and writes nothing.
func TestDeviceSignInBudget(t *testing.T) {
	flowBackends(t, func(t *testing.T, e *flowEnv) {
		ctx := context.Background()
		if _, err := e.pools.UpdateUserPool(ctx, cognito.Caller{Region: flowRegion}, &idp.UpdateUserPoolRequest{
			UserPoolId: cognito.Ptr(e.pool), DeviceConfiguration: &idp.DeviceConfigurationType{ChallengeRequiredOnNewDevice: cognito.Ptr(true)},
		}); err != nil {
			t.Fatal(err)
		}
		out, err := e.passwordAuth(flowPassword)
		wantTokens(t, out.AuthenticationResult, err)
		warm, err := e.srpSignIn(t, flowPassword)
		wantTokens(t, warm.AuthenticationResult, err)
		pool, err := e.pools.SignInPool(ctx, cognito.Caller{Region: flowRegion}, e.pool)
		if err != nil {
			t.Fatal(err)
		}
		u, err := e.users.LookupUser(ctx, pool, flowUser)
		if err != nil {
			t.Fatal(err)
		}
		key, groupKey := e.addDevice(t, u.Sub, flowPassword, true)
		_, seq := e.changeLog(t, 0)

		var (
			c      *srpTestClient
			params map[string]string
			step   *Step
			dc     *srpTestClient
			dev    map[string]string
			tokens *Tokens
		)
		tokenWrites := map[string]int{"create use_marker": 1, "create token_family": 1, "create refresh_token": 1}
		steps := []budgetStep{
			{"USER_SRP_AUTH InitiateAuth", func() error { c, params = e.srpStart(t); return nil }, nil},
			{"PASSWORD_VERIFIER with DEVICE_KEY", func() error {
				user := params["USER_ID_FOR_SRP"]
				ts, sig := c.respond(t, srp.PoolName(e.pool), user, flowPassword, params["SALT"], params["SRP_B"], params["SECRET_BLOCK"], e.clock.Now())
				step, err = e.answer(e.client, idp.ChallengeNameTypePasswordVerifier, "", map[string]string{
					"USERNAME": user, "PASSWORD_CLAIM_SECRET_BLOCK": params["SECRET_BLOCK"], "PASSWORD_CLAIM_SIGNATURE": sig, "TIMESTAMP": ts, "DEVICE_KEY": key,
				})
				if err == nil && step.Challenge != idp.ChallengeNameTypeDeviceSrpAuth {
					t.Fatalf("PASSWORD_VERIFIER with DEVICE_KEY = %+v, want DEVICE_SRP_AUTH", step)
				}
				return err
			}, func() signInBudget {
				// The user and the SECRET_BLOCK's use marker in one store
				// call (readTogether).
				return signInBudget{Calls: 7, Txs: 1, Writes: map[string]int{"create use_marker": 1}, Changes: map[string]int{}}
			}},
			{"DEVICE_SRP_AUTH", func() error {
				dc = newSRPTestClient(t)
				next, err := e.answer(e.client, idp.ChallengeNameTypeDeviceSrpAuth, step.Session, map[string]string{
					"USERNAME": flowUser, "DEVICE_KEY": key, "SRP_A": dc.A.Text(16),
				})
				if err == nil {
					dev = next.Params
				}
				return err
			}, func() signInBudget {
				return signInBudget{Calls: 5, Txs: 1, Writes: map[string]int{"create use_marker": 1}, Changes: map[string]int{}}
			}},
			{"DEVICE_PASSWORD_VERIFIER", func() error {
				ts, sig := dc.respond(t, groupKey, key, flowPassword, dev["SALT"], dev["SRP_B"], dev["SECRET_BLOCK"], e.clock.Now())
				o, err := e.answer(e.client, idp.ChallengeNameTypeDevicePasswordVerifier, "", map[string]string{
					"USERNAME": flowUser, "DEVICE_KEY": key, "PASSWORD_CLAIM_SECRET_BLOCK": dev["SECRET_BLOCK"], "PASSWORD_CLAIM_SIGNATURE": sig, "TIMESTAMP": ts,
				})
				if err == nil {
					tokens = o.Tokens
				}
				return err
			}, func() signInBudget {
				// The device is read in the transaction (a device forgotten
				// since ends the sign-in) but not rewritten: the time and
				// address of the sign-in go to its device_signin item, a
				// few dozen bytes, read there to be created or updated.
				// Before the transaction, the user, the device and the
				// SECRET_BLOCK's use marker are read in one store call
				// (readTogether).
				w := map[string]int{"create device_signin": 1}
				for k, v := range tokenWrites {
					w[k] = v
				}
				return signInBudget{Calls: 11, Txs: 1, Writes: w, Changes: map[string]int{"token_family": 1, "refresh_token": 1, "device_signin": 1}}
			}},
			{"REFRESH_TOKEN_AUTH on the device", func() error {
				_, err := e.s.initiate(ctx, cognito.Caller{}, "", e.client, idp.AuthFlowTypeRefreshTokenAuth,
					map[string]string{"REFRESH_TOKEN": tokens.RefreshToken, "DEVICE_KEY": key}, false)
				return err
			}, func() signInBudget {
				// The user and the token's family in one store call, with
				// the user's groups.
				return signInBudget{Calls: 4, Writes: map[string]int{}, Changes: map[string]int{}}
			}},
			{"USER_SRP_AUTH handing out a new device", func() error {
				o, err := e.srpSignIn(t, flowPassword)
				if err == nil && o.AuthenticationResult.NewDeviceMetadata == nil {
					t.Fatal("no NewDeviceMetadata")
				}
				return err
			}, func() signInBudget {
				return signInBudget{Calls: 11, Txs: 1, Writes: tokenWrites, Changes: map[string]int{"token_family": 1, "refresh_token": 1}}
			}},
		}
		e.checkBudgets(t, seq, steps)
	})
}
