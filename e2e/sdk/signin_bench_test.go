package sdk

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/internal/password"
	"github.com/cognate-dev/cognate/internal/srp"
)

// The sign-in benchmarks measure whole round trips through the AWS SDK
// (BenchmarkSignIn*) and, in the same run, the cryptography that bounds
// each of them (BenchmarkBound*). Each scenario reports, beside ns/op, the
// cost of its bound (bound-ns/op) and its rate as a fraction of the
// bound's rate (of-bound: bound ns/op over scenario ns/op; 1 would mean the
// server did nothing but the bounding cryptography). The bounds are
// declared first so that `-bench 'SignIn|Bound'` measures them before the
// scenarios; a scenario run without its bounds reports neither metric.
// Nothing here asserts a speed.
//
//	COGNATE_TEST_POSTGRES_DSN=... go test ./e2e/sdk -run '^$' -bench 'SignIn|Bound' -benchtime 3s -count 3

// Names of the bounds, as measured by the BenchmarkBound functions.
const (
	boundArgon2id      = "argon2id"
	boundSRPServerStep = "srp-server-step"
	boundSRPSignIn     = "srp-sign-in"
	boundRS256Sign     = "rs256-sign"
	boundRS256Verify   = "rs256-verify"
)

// boundRuns holds the ns/op of every run of each bound in this process.
var boundRuns = struct {
	sync.Mutex
	ns map[string][]float64
}{ns: map[string][]float64{}}

// recordBound records a finished bound benchmark's ns/op.
func recordBound(b *testing.B, name string) {
	if b.N == 0 {
		return
	}
	boundRuns.Lock()
	defer boundRuns.Unlock()
	boundRuns.ns[name] = append(boundRuns.ns[name], float64(b.Elapsed().Nanoseconds())/float64(b.N))
}

// boundNs is the median ns/op of the runs of the named bound so far; ok is
// false when it has not run.
func boundNs(name string) (ns float64, ok bool) {
	boundRuns.Lock()
	runs := slices.Clone(boundRuns.ns[name])
	boundRuns.Unlock()
	if len(runs) == 0 {
		return 0, false
	}
	slices.Sort(runs)
	return runs[len(runs)/2], true
}

// reportBound reports the scenario's rate as a fraction of a bound's rate,
// as the metric "of-"+name, where the bound is the sum of count times each
// term's ns/op; for the main bound (name "bound") it reports the bound's
// cost too, as bound-ns/op. It reports nothing when a term has not run.
func reportBound(b *testing.B, name string, terms map[string]int) {
	if b.N == 0 {
		return
	}
	var bound float64
	for term, n := range terms {
		ns, ok := boundNs(term)
		if !ok {
			b.Logf("%s not measured in this run: run the Bound benchmarks too for of-%s", term, name)
			return
		}
		bound += float64(n) * ns
	}
	scenario := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	if name == "bound" {
		b.ReportMetric(bound, "bound-ns/op")
	}
	b.ReportMetric(bound/scenario, "of-"+name)
}

// BenchmarkBoundArgon2id is one password verification as the sign-in
// engine runs it (password.Hasher.Verify): argon2id at the parameters new
// hashes use (m=19456 KiB, t=2, p=1, 16-byte salt, 32-byte key) and a
// constant-time comparison.
func BenchmarkBoundArgon2id(b *testing.B) {
	h := password.Default()
	hash := h.Dummy()
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=19456,t=2,p=1$") {
		b.Fatalf("password hash %q is not at the server's parameters", hash)
	}
	b.ReportAllocs()
	for b.Loop() {
		h.Verify(context.Background(), hash, "Sign-in-Passw0rd")
	}
	recordBound(b, boundArgon2id)
}

// benchSRPClaim is a fixed PASSWORD_VERIFIER answer for the SRP bounds:
// its signature does not match, which costs the server what a matching one
// does, the comparison being the last step.
type benchSRPClaim struct {
	v         srp.Verifier
	A         string
	block     []byte
	timestamp string
	signature string
	now       func() time.Time
}

func newBenchSRPClaim(b *testing.B) benchSRPClaim {
	v, err := srp.NewVerifier("bench", "bench-user", "Sign-in-Passw0rd")
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	return benchSRPClaim{
		v: v, A: newSRPClient(b).srpA(), block: make([]byte, 512),
		timestamp: srp.FormatTimestamp(now),
		signature: base64.StdEncoding.EncodeToString(make([]byte, 32)),
		now:       func() time.Time { return now },
	}
}

// BenchmarkBoundSRPServerStep is the SRP server step: a new attempt (b and
// B = k*v + g^b) and the check of a claim (u, S = (A*v^u)^b, HKDF, HMAC),
// as internal/srp's BenchmarkSRPServerStep measures it.
func BenchmarkBoundSRPServerStep(b *testing.B) {
	c := newBenchSRPClaim(b)
	b.ReportAllocs()
	for b.Loop() {
		s, err := srp.NewServer(c.v)
		if err != nil {
			b.Fatal(err)
		}
		s.Now = c.now
		if ok, err := s.VerifyClaim("bench", "bench-user", c.A, c.block, c.timestamp, c.signature); ok || err != nil {
			b.Fatalf("VerifyClaim = %v, %v", ok, err)
		}
	}
	recordBound(b, boundSRPServerStep)
}

// BenchmarkBoundSRPSignIn is the SRP arithmetic the flow engine does across
// both round trips: NewSRPServer at InitiateAuth, then
// RestoreSRPServerWithB (b and B as the sealed SECRET_BLOCK keeps them,
// with no exponentiation) and VerifyClaim at RespondToAuthChallenge. It is
// the server step plus carrying b and B across the round trip, which costs
// next to nothing; a block sealed before B was kept would cost one more
// g^b (RestoreSRPServer), which this leaves out.
func BenchmarkBoundSRPSignIn(b *testing.B) {
	c := newBenchSRPClaim(b)
	b.ReportAllocs()
	for b.Loop() {
		first, err := srp.NewServer(c.v)
		if err != nil {
			b.Fatal(err)
		}
		s, err := srp.RestoreServerWithB(c.v, first.Secret(), first.Public())
		if err != nil {
			b.Fatal(err)
		}
		s.Now = c.now
		if ok, err := s.VerifyClaim("bench", "bench-user", c.A, c.block, c.timestamp, c.signature); ok || err != nil {
			b.Fatalf("VerifyClaim = %v, %v", ok, err)
		}
	}
	recordBound(b, boundSRPSignIn)
}

// benchRSAKey is a 2048-bit RSA key, the size of cognate's (and Cognito's)
// signing keys.
var benchRSAKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

// BenchmarkBoundRS256Sign is one RS256 signature: RSA 2048 PKCS #1 v1.5
// over a SHA-256 digest of a token-sized input.
func BenchmarkBoundRS256Sign(b *testing.B) {
	key := benchRSAKey()
	input := []byte(strings.Repeat("x", 1200))
	b.ReportAllocs()
	for b.Loop() {
		digest := sha256.Sum256(input)
		if _, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, digest[:]); err != nil {
			b.Fatal(err)
		}
	}
	recordBound(b, boundRS256Sign)
}

// BenchmarkBoundRS256Verify is one RS256 verification, what checking an
// access token costs at least.
func BenchmarkBoundRS256Verify(b *testing.B) {
	key := benchRSAKey()
	input := []byte(strings.Repeat("x", 1200))
	digest := sha256.Sum256(input)
	sig, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, digest[:])
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		digest := sha256.Sum256(input)
		if err := rsa.VerifyPKCS1v15(&key.PublicKey, crypto.SHA256, digest[:], sig); err != nil {
			b.Fatal(err)
		}
	}
	recordBound(b, boundRS256Verify)
}

// signInBench is a pool with an app client that allows the password, SRP
// and refresh flows (no secret), and one confirmed user.
type signInBench struct {
	c        *cip.Client
	pool     string
	clientID *string
}

const (
	benchUsername = "bench-user"
	benchPassword = "Sign-in-Passw0rd"
)

func newSignInBench(b *testing.B, backend string) *signInBench {
	c := start(b, openBackend(b, backend)).client("us-east-1")
	ctx := context.Background()
	pool, err := c.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("bench")})
	if err != nil {
		b.Fatal(err)
	}
	client, err := c.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{
		UserPoolId: pool.UserPool.Id, ClientName: aws.String("app"),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{
			types.ExplicitAuthFlowsTypeAllowUserPasswordAuth, types.ExplicitAuthFlowsTypeAllowUserSrpAuth,
			types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth,
		},
	})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{
		UserPoolId: pool.UserPool.Id, Username: aws.String(benchUsername),
		UserAttributes: sdkAttrs("email", "bench@example.com", "name", "Bench"),
		MessageAction:  types.MessageActionTypeSuppress,
	}); err != nil {
		b.Fatal(err)
	}
	if _, err := c.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{
		UserPoolId: pool.UserPool.Id, Username: aws.String(benchUsername),
		Password: aws.String(benchPassword), Permanent: true,
	}); err != nil {
		b.Fatal(err)
	}
	return &signInBench{c: c, pool: aws.ToString(pool.UserPool.Id), clientID: client.UserPoolClient.ClientId}
}

// passwordAuth signs the user in with USER_PASSWORD_AUTH.
func (s *signInBench) passwordAuth(b *testing.B) *types.AuthenticationResultType {
	out, err := s.c.InitiateAuth(context.Background(), &cip.InitiateAuthInput{
		ClientId: s.clientID, AuthFlow: types.AuthFlowTypeUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": benchUsername, "PASSWORD": benchPassword},
	})
	if err != nil {
		b.Fatal(err)
	}
	if out.AuthenticationResult == nil || out.AuthenticationResult.AccessToken == nil {
		b.Fatalf("USER_PASSWORD_AUTH answered %+v, want tokens", out)
	}
	return out.AuthenticationResult
}

// BenchmarkSignInUserPassword is USER_PASSWORD_AUTH through the AWS SDK:
// InitiateAuth with the password, answered with three tokens. Its bound is
// one argon2id verification and two RS256 signatures.
func BenchmarkSignInUserPassword(b *testing.B) {
	for _, name := range backendNames {
		b.Run(name, func(b *testing.B) {
			s := newSignInBench(b, name)
			b.ReportAllocs()
			for b.Loop() {
				s.passwordAuth(b)
			}
			reportBound(b, "bound", map[string]int{boundArgon2id: 1, boundRS256Sign: 2})
		})
	}
}

// BenchmarkSignInUserSRP is USER_SRP_AUTH through the AWS SDK, both round
// trips: InitiateAuth with SRP_A, answered with PASSWORD_VERIFIER, then
// RespondToAuthChallenge with the claim, answered with three tokens. The
// client's SRP arithmetic (a and A, then the claim), which a real client
// does on the user's device, runs with the timer stopped. Its bound is the
// SRP server step and two RS256 signatures; of-bound-engine-srp uses the
// SRP work the engine does across both round trips instead of the step.
func BenchmarkSignInUserSRP(b *testing.B) {
	for _, name := range backendNames {
		b.Run(name, func(b *testing.B) {
			s := newSignInBench(b, name)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				client := newSRPClient(b)
				b.StartTimer()
				challenge, err := s.c.InitiateAuth(ctx, &cip.InitiateAuthInput{
					ClientId: s.clientID, AuthFlow: types.AuthFlowTypeUserSrpAuth,
					AuthParameters: map[string]string{"USERNAME": benchUsername, "SRP_A": client.srpA()},
				})
				if err != nil {
					b.Fatal(err)
				}
				if challenge.ChallengeName != types.ChallengeNameTypePasswordVerifier {
					b.Fatalf("USER_SRP_AUTH answered %s, want PASSWORD_VERIFIER", challenge.ChallengeName)
				}
				b.StopTimer()
				params := challenge.ChallengeParameters
				ts, sig := client.claim(b, s.pool, benchPassword, params, time.Now())
				b.StartTimer()
				out, err := s.c.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{
					ClientId: s.clientID, ChallengeName: types.ChallengeNameTypePasswordVerifier,
					ChallengeResponses: map[string]string{
						"USERNAME": params["USER_ID_FOR_SRP"], "PASSWORD_CLAIM_SECRET_BLOCK": params["SECRET_BLOCK"],
						"PASSWORD_CLAIM_SIGNATURE": sig, "TIMESTAMP": ts,
					},
				})
				if err != nil {
					b.Fatal(err)
				}
				if out.AuthenticationResult == nil || out.AuthenticationResult.AccessToken == nil {
					b.Fatalf("PASSWORD_VERIFIER answered %+v, want tokens", out)
				}
			}
			reportBound(b, "bound", map[string]int{boundSRPServerStep: 1, boundRS256Sign: 2})
			reportBound(b, "bound-engine-srp", map[string]int{boundSRPSignIn: 1, boundRS256Sign: 2})
		})
	}
}

// BenchmarkSignInRefreshToken is REFRESH_TOKEN_AUTH through the AWS SDK:
// new ID and access tokens for a refresh token. Its bound is two RS256
// signatures.
func BenchmarkSignInRefreshToken(b *testing.B) {
	for _, name := range backendNames {
		b.Run(name, func(b *testing.B) {
			s := newSignInBench(b, name)
			ctx := context.Background()
			in := &cip.InitiateAuthInput{
				ClientId: s.clientID, AuthFlow: types.AuthFlowTypeRefreshTokenAuth,
				AuthParameters: map[string]string{"REFRESH_TOKEN": aws.ToString(s.passwordAuth(b).RefreshToken)},
			}
			b.ReportAllocs()
			for b.Loop() {
				out, err := s.c.InitiateAuth(ctx, in)
				if err != nil {
					b.Fatal(err)
				}
				if out.AuthenticationResult == nil || out.AuthenticationResult.IdToken == nil {
					b.Fatalf("REFRESH_TOKEN_AUTH answered %+v, want tokens", out)
				}
			}
			reportBound(b, "bound", map[string]int{boundRS256Sign: 2})
		})
	}
}

// BenchmarkSignInGetUser is GetUser with an access token through the AWS
// SDK: the token's signature and claims checked, its revocation looked up,
// and the user read. The bound reported is one RS256 verification, a loose
// one: GetUser is mostly not cryptography.
func BenchmarkSignInGetUser(b *testing.B) {
	for _, name := range backendNames {
		b.Run(name, func(b *testing.B) {
			s := newSignInBench(b, name)
			ctx := context.Background()
			in := &cip.GetUserInput{AccessToken: s.passwordAuth(b).AccessToken}
			b.ReportAllocs()
			for b.Loop() {
				out, err := s.c.GetUser(ctx, in)
				if err != nil {
					b.Fatal(err)
				}
				if aws.ToString(out.Username) != benchUsername {
					b.Fatalf("GetUser answered user %q, want %q", aws.ToString(out.Username), benchUsername)
				}
			}
			reportBound(b, "bound", map[string]int{boundRS256Verify: 1})
		})
	}
}
