package authflow

import (
	"context"
	"fmt"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/directory"
	"github.com/cognate-dev/cognate/internal/mfa"
	"github.com/cognate-dev/cognate/internal/srp"
	"github.com/cognate-dev/cognate/internal/storage/sqlite"
)

// benchSignInUsers is how many users a sign-in benchmark takes turns
// with: a TOTP code is accepted once, so each user signs in once per
// 30-second step of the test's clock, which moves on a step after every
// round.
const benchSignInUsers = 32

// newBenchEnv is a flowEnv on SQLite with benchSignInUsers more users,
// bench-00 and on, each with the flow's password and, when totp is set,
// a software token preferred for MFA (their secrets returned, by user).
func newBenchEnv(b *testing.B, totp bool) (*flowEnv, []string, map[string]string) {
	b.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "cognate.db"), sqlite.Options{Region: flowRegion})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	e := newFlowEnv(b, db)
	c := cognito.Caller{Region: flowRegion}
	users := make([]string, benchSignInUsers)
	secrets := map[string]string{}
	for i := range users {
		users[i] = fmt.Sprintf("bench-%02d", i)
		if _, err := e.users.AdminCreateUser(ctx, c, &idp.AdminCreateUserRequest{
			UserPoolId: cognito.Ptr(e.pool), Username: cognito.Ptr(users[i]), MessageAction: cognito.Ptr(idp.MessageActionTypeSuppress),
		}); err != nil {
			b.Fatal(err)
		}
		if _, err := e.users.AdminSetUserPassword(ctx, c, &idp.AdminSetUserPasswordRequest{
			UserPoolId: cognito.Ptr(e.pool), Username: cognito.Ptr(users[i]), Password: cognito.Ptr(flowPassword), Permanent: cognito.Ptr(true),
		}); err != nil {
			b.Fatal(err)
		}
		if totp {
			secrets[users[i]] = e.mfaUser(b, users[i], directory.MFASoftwareToken)
		}
	}
	return e, users, secrets
}

// benchSRP runs USER_SRP_AUTH and its PASSWORD_VERIFIER answer for user,
// with the timer stopped while the test's client computes A and its
// proof (work a real client does on the user's device).
func (e *flowEnv) benchSRP(b *testing.B, cpu *cpuClock, user string) *idp.RespondToAuthChallengeResponse {
	ctx := context.Background()
	cpu.stop(b)
	c := newSRPTestClient(b)
	cpu.start(b)
	out, err := e.s.InitiateAuth(ctx, cognito.Caller{}, &idp.InitiateAuthRequest{
		ClientId: cognito.Ptr(e.client), AuthFlow: cognito.Ptr(idp.AuthFlowTypeUserSrpAuth),
		AuthParameters: map[string]string{"USERNAME": user, "SRP_A": c.A.Text(16)},
	})
	if err != nil {
		b.Fatal(err)
	}
	params := out.ChallengeParameters
	cpu.stop(b)
	ts, sig := c.respond(b, srp.PoolName(e.pool), params["USER_ID_FOR_SRP"], flowPassword, params["SALT"], params["SRP_B"], params["SECRET_BLOCK"], e.clock.Now())
	cpu.start(b)
	res, err := e.s.RespondToAuthChallenge(ctx, cognito.Caller{}, &idp.RespondToAuthChallengeRequest{
		ClientId: cognito.Ptr(e.client), ChallengeName: cognito.Ptr(idp.ChallengeNameTypePasswordVerifier),
		ChallengeResponses: map[string]string{
			"USERNAME": params["USER_ID_FOR_SRP"], "PASSWORD_CLAIM_SECRET_BLOCK": params["SECRET_BLOCK"],
			"PASSWORD_CLAIM_SIGNATURE": sig, "TIMESTAMP": ts,
		},
	})
	if err != nil {
		b.Fatal(err)
	}
	return res
}

// cpuClock adds up the process's CPU time (user and system, every thread)
// while the benchmark's timer runs: on a machine shared with other work,
// the CPU a sign-in costs varies less than its wall time.
type cpuClock struct {
	at, total time.Duration
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// begin starts counting; call it right after the setup.
func (c *cpuClock) begin() { c.at, c.total = processCPU(), 0 }

func (c *cpuClock) stop(b *testing.B) {
	b.StopTimer()
	c.total += processCPU() - c.at
}

func (c *cpuClock) start(b *testing.B) {
	c.at = processCPU()
	b.StartTimer()
}

// report reports the CPU time per sign-in of n sign-ins.
func (c *cpuClock) report(b *testing.B, n int) {
	c.total += processCPU() - c.at
	b.ReportMetric(float64(c.total.Nanoseconds())/float64(n), "cpu-ns/op")
}

// lastChange returns the change log's last seq.
func (e *flowEnv) lastChange(b *testing.B) int64 {
	var seq int64
	for {
		rows, err := e.store.Changes(context.Background(), seq, 1000)
		if err != nil {
			b.Fatal(err)
		}
		if len(rows) == 0 {
			return seq
		}
		seq = rows[len(rows)-1].Seq
	}
}

// reportStore reports what the store did per sign-in since the probe was
// last taken and the change log was at seq: store calls (as
// TestSignInBudget counts them), transactions, item writes, the bytes of
// the items written and those of the change-log rows' states.
func (e *flowEnv) reportStore(b *testing.B, n int, seq int64) {
	logBytes := 0
	for {
		rows, err := e.store.Changes(context.Background(), seq, 1000)
		if err != nil {
			b.Fatal(err)
		}
		if len(rows) == 0 {
			break
		}
		for _, c := range rows {
			logBytes += len(c.Key) + len(c.State)
		}
		seq = rows[len(rows)-1].Seq
	}
	b.ReportMetric(float64(logBytes)/float64(n), "log-B/op")
	got := e.probe.take()
	writes := 0
	for _, v := range got.Writes {
		writes += v
	}
	b.ReportMetric(float64(got.calls())/float64(n), "calls/op")
	b.ReportMetric(float64(got.Txs)/float64(n), "txs/op")
	b.ReportMetric(float64(writes)/float64(n), "writes/op")
	b.ReportMetric(float64(got.Bytes)/float64(n), "item-B/op")
}

// BenchmarkSignInSRP measures a whole USER_SRP_AUTH sign-in in the engine
// on SQLite (both round trips, without HTTP), its users taking turns.
func BenchmarkSignInSRP(b *testing.B) {
	e, users, _ := newBenchEnv(b, false)
	e.probe.take()
	seq := e.lastChange(b)
	var cpu cpuClock
	n := 0
	for b.Loop() {
		if n == 0 {
			cpu.begin()
		}
		res := e.benchSRP(b, &cpu, users[n%len(users)])
		if res.AuthenticationResult == nil {
			b.Fatalf("answer %+v, want tokens", res)
		}
		n++
	}
	cpu.report(b, n)
	e.reportStore(b, n, seq)
}

// BenchmarkSignInSRPTOTP measures a whole sign-in with a TOTP second
// factor in the engine on SQLite: USER_SRP_AUTH, PASSWORD_VERIFIER and
// SOFTWARE_TOKEN_MFA with the user's current code, its users taking turns
// and the clock moving on a TOTP step after each round.
func BenchmarkSignInSRPTOTP(b *testing.B) {
	e, users, secrets := newBenchEnv(b, true)
	ctx := context.Background()
	e.clock.advance(30 * time.Second)
	e.probe.take()
	seq := e.lastChange(b)
	var cpu cpuClock
	n := 0
	for b.Loop() {
		if n == 0 {
			cpu.begin()
		}
		user := users[n%len(users)]
		res := e.benchSRP(b, &cpu, user)
		if cognito.Deref(res.ChallengeName) != idp.ChallengeNameTypeSoftwareTokenMfa {
			b.Fatalf("answer %+v, want SOFTWARE_TOKEN_MFA", res)
		}
		code, err := mfa.Code(secrets[user], e.clock.Now())
		if err != nil {
			b.Fatal(err)
		}
		out, err := e.s.RespondToAuthChallenge(ctx, cognito.Caller{}, &idp.RespondToAuthChallengeRequest{
			ClientId: cognito.Ptr(e.client), ChallengeName: cognito.Ptr(idp.ChallengeNameTypeSoftwareTokenMfa), Session: res.Session,
			ChallengeResponses: map[string]string{"USERNAME": user, "SOFTWARE_TOKEN_MFA_CODE": code},
		})
		if err != nil || out.AuthenticationResult == nil {
			b.Fatalf("SOFTWARE_TOKEN_MFA: %+v %v", out, err)
		}
		n++
		if n%len(users) == 0 {
			e.clock.advance(30 * time.Second)
		}
	}
	cpu.report(b, n)
	e.reportStore(b, n, seq)
}

// BenchmarkSignInSRPDevice measures a whole sign-in on a remembered device
// in the engine on SQLite: USER_SRP_AUTH, PASSWORD_VERIFIER with the
// DEVICE_KEY, DEVICE_SRP_AUTH and DEVICE_PASSWORD_VERIFIER, each user with
// one remembered device and the users taking turns; the timer stops while
// the test's client computes its SRP values for the user and the device.
func BenchmarkSignInSRPDevice(b *testing.B) {
	e, users, _ := newBenchEnv(b, false)
	ctx := context.Background()
	c := cognito.Caller{Region: flowRegion}
	if _, err := e.pools.UpdateUserPool(ctx, c, &idp.UpdateUserPoolRequest{
		UserPoolId: cognito.Ptr(e.pool), DeviceConfiguration: &idp.DeviceConfigurationType{ChallengeRequiredOnNewDevice: cognito.Ptr(true)},
	}); err != nil {
		b.Fatal(err)
	}
	pool, err := e.pools.SignInPool(ctx, c, e.pool)
	if err != nil {
		b.Fatal(err)
	}
	type device struct{ key, groupKey string }
	devices := map[string]device{}
	for _, name := range users {
		u, err := e.users.LookupUser(ctx, pool, name)
		if err != nil {
			b.Fatal(err)
		}
		key, groupKey := e.addDevice(b, u.Sub, flowPassword, true)
		devices[name] = device{key, groupKey}
	}
	e.probe.take()
	seq := e.lastChange(b)
	var cpu cpuClock
	n := 0
	for b.Loop() {
		if n == 0 {
			cpu.begin()
		}
		name := users[n%len(users)]
		d := devices[name]
		cpu.stop(b)
		uc := newSRPTestClient(b)
		cpu.start(b)
		out, err := e.s.InitiateAuth(ctx, cognito.Caller{}, &idp.InitiateAuthRequest{
			ClientId: cognito.Ptr(e.client), AuthFlow: cognito.Ptr(idp.AuthFlowTypeUserSrpAuth),
			AuthParameters: map[string]string{"USERNAME": name, "SRP_A": uc.A.Text(16), "DEVICE_KEY": d.key},
		})
		if err != nil {
			b.Fatal(err)
		}
		p := out.ChallengeParameters
		cpu.stop(b)
		ts, sig := uc.respond(b, srp.PoolName(e.pool), p["USER_ID_FOR_SRP"], flowPassword, p["SALT"], p["SRP_B"], p["SECRET_BLOCK"], e.clock.Now())
		cpu.start(b)
		res, err := e.s.RespondToAuthChallenge(ctx, cognito.Caller{}, &idp.RespondToAuthChallengeRequest{
			ClientId: cognito.Ptr(e.client), ChallengeName: cognito.Ptr(idp.ChallengeNameTypePasswordVerifier),
			ChallengeResponses: map[string]string{
				"USERNAME": p["USER_ID_FOR_SRP"], "PASSWORD_CLAIM_SECRET_BLOCK": p["SECRET_BLOCK"],
				"PASSWORD_CLAIM_SIGNATURE": sig, "TIMESTAMP": ts, "DEVICE_KEY": d.key,
			},
		})
		if err != nil || cognito.Deref(res.ChallengeName) != idp.ChallengeNameTypeDeviceSrpAuth {
			b.Fatalf("PASSWORD_VERIFIER with DEVICE_KEY = %+v, %v; want DEVICE_SRP_AUTH", res, err)
		}
		cpu.stop(b)
		dc := newSRPTestClient(b)
		cpu.start(b)
		res, err = e.s.RespondToAuthChallenge(ctx, cognito.Caller{}, &idp.RespondToAuthChallengeRequest{
			ClientId: cognito.Ptr(e.client), ChallengeName: cognito.Ptr(idp.ChallengeNameTypeDeviceSrpAuth), Session: res.Session,
			ChallengeResponses: map[string]string{"USERNAME": name, "DEVICE_KEY": d.key, "SRP_A": dc.A.Text(16)},
		})
		if err != nil {
			b.Fatal(err)
		}
		p = res.ChallengeParameters
		cpu.stop(b)
		ts, sig = dc.respond(b, d.groupKey, d.key, flowPassword, p["SALT"], p["SRP_B"], p["SECRET_BLOCK"], e.clock.Now())
		cpu.start(b)
		res, err = e.s.RespondToAuthChallenge(ctx, cognito.Caller{}, &idp.RespondToAuthChallengeRequest{
			ClientId: cognito.Ptr(e.client), ChallengeName: cognito.Ptr(idp.ChallengeNameTypeDevicePasswordVerifier),
			ChallengeResponses: map[string]string{
				"USERNAME": name, "DEVICE_KEY": d.key, "PASSWORD_CLAIM_SECRET_BLOCK": p["SECRET_BLOCK"],
				"PASSWORD_CLAIM_SIGNATURE": sig, "TIMESTAMP": ts,
			},
		})
		if err != nil || res.AuthenticationResult == nil {
			b.Fatalf("DEVICE_PASSWORD_VERIFIER = %+v, %v; want tokens", res, err)
		}
		n++
	}
	cpu.report(b, n)
	e.reportStore(b, n, seq)
}
