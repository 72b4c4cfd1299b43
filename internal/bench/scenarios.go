package bench

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/internal/srp/srpclient"
)

// Scenario names, as --scenarios takes them.
const (
	ScenarioAdminCreateUser  = "admin-create-user"
	ScenarioSignUp           = "sign-up"
	ScenarioUserPasswordAuth = "user-password-auth"
	ScenarioUserSRPAuth      = "user-srp-auth"
	ScenarioDeviceSRPAuth    = "device-srp-auth"
	ScenarioUserSRPTOTPAuth  = "user-srp-totp-auth"
	ScenarioRefreshTokenAuth = "refresh-token-auth"
	ScenarioClientCreds      = "client-credentials"
	ScenarioCodeFlow         = "code-flow"
	ScenarioGetUser          = "get-user"
	ScenarioAdminGetUser     = "admin-get-user"
	ScenarioListUsers        = "list-users"
	ScenarioListUsersPrefix  = "list-users-prefix"
	ScenarioMix              = "mix"
)

// Password is the password of every user the bench creates or loads.
const Password = "Bench-Passw0rd!"

// SRPUsers is how many of the pool's first users the USER_SRP_AUTH
// scenario signs in (LoadUsers gives only these an SRP verifier).
const SRPUsers = 1000

// UserName is the username of the pool's i-th preloaded user, and
// UserEmail its email.
func UserName(i int) string  { return fmt.Sprintf("bench-user-%07d", i) }
func UserEmail(i int) string { return UserName(i) + "@bench.example.com" }

// call is how an iteration makes one API call: it times it under op.
type call func(op string, f func() error) error

// iteration is one worker's loop body: one operation of the scenario.
type iteration func(ctx context.Context, c call) error

// scenario is one kind of load.
type scenario struct {
	name string
	// about says what one iteration does, for --help and the docs.
	about string
	// bound is the work one iteration costs the server at least, nil when
	// none applies; boundNote qualifies it.
	bound     boundTerms
	boundNote string
	// worker prepares one worker (untimed: sign-ins for tokens) and
	// returns its iteration.
	worker func(ctx context.Context, t *target, rng *rand.Rand) (iteration, error)
	// optIn says the scenario runs only when --scenarios names it: its
	// users' codes bound its rate over long runs (user-srp-totp-auth).
	optIn bool
	// serverTimeNote says why the server's handling times of the
	// scenario's requests are missing from its metrics, where they are.
	serverTimeNote string
}

// oauthTimeNote is the server-time note of the OAuth scenarios.
const oauthTimeNote = "the hosted UI's and OAuth endpoints are not in the server's request-duration histogram"

// Scenarios lists every scenario in the order Run runs them.
var scenarios = []scenario{
	{
		name: ScenarioAdminCreateUser, about: "AdminCreateUser of a new user with a temporary password, invitation suppressed",
		bound: boundTerms{BoundArgon2id: 1}, worker: adminCreateUserWorker,
	},
	{
		name: ScenarioSignUp, about: "SignUp of a new user, then AdminConfirmSignUp",
		bound: boundTerms{BoundArgon2id: 1}, worker: signUpWorker,
	},
	{
		name: ScenarioUserPasswordAuth, about: "InitiateAuth USER_PASSWORD_AUTH of a random preloaded user",
		bound: boundTerms{BoundArgon2id: 1, BoundRS256Sign: 2}, worker: passwordAuthWorker,
	},
	{
		name: ScenarioUserSRPAuth, about: "InitiateAuth USER_SRP_AUTH and RespondToAuthChallenge PASSWORD_VERIFIER of one of the first 1,000 users",
		bound: boundTerms{BoundSRPServerStep: 1, BoundRS256Sign: 2}, worker: srpAuthWorker,
	},
	{
		name: ScenarioDeviceSRPAuth, about: "a sign-in on a remembered device: USER_SRP_AUTH, PASSWORD_VERIFIER with DEVICE_KEY, DEVICE_SRP_AUTH, DEVICE_PASSWORD_VERIFIER (a pool of its own)",
		bound: boundTerms{BoundSRPServerStep: 2, BoundRS256Sign: 2}, worker: deviceAuthWorker,
	},
	{
		name: ScenarioUserSRPTOTPAuth, about: "USER_SRP_AUTH, PASSWORD_VERIFIER and SOFTWARE_TOKEN_MFA of one of the worker's users with a software token (each code is accepted once: see TOTPUsersPerWorker)",
		bound: boundTerms{BoundSRPServerStep: 1, BoundRS256Sign: 2}, worker: totpAuthWorker, optIn: true,
	},
	{
		name: ScenarioRefreshTokenAuth, about: "InitiateAuth REFRESH_TOKEN_AUTH with the worker's refresh token",
		bound: boundTerms{BoundRS256Sign: 2}, worker: refreshWorker,
	},
	{
		name: ScenarioClientCreds, about: "POST /oauth2/token, grant_type client_credentials with HTTP Basic client authentication, one custom scope (golang.org/x/oauth2)",
		bound: boundTerms{BoundRS256Sign: 1}, worker: clientCredentialsWorker, serverTimeNote: oauthTimeNote,
	},
	{
		name: ScenarioCodeFlow, about: "hosted UI sign-in of a random preloaded user with no session: GET /oauth2/authorize with PKCE (to the sign-in page), POST the sign-in form (to the callback with a code), exchange the code (golang.org/x/oauth2)",
		bound: boundTerms{BoundArgon2id: 1, BoundRS256Sign: 2}, worker: codeFlowWorker, serverTimeNote: oauthTimeNote,
	},
	{
		name: ScenarioGetUser, about: "GetUser with the worker's access token",
		bound: boundTerms{BoundRS256Verify: 1}, boundNote: "loose: GetUser is mostly not cryptography", worker: getUserWorker,
	},
	{
		name: ScenarioAdminGetUser, about: "AdminGetUser of a random preloaded user",
		worker: adminGetUserWorker,
	},
	{
		name: ScenarioListUsers, about: "ListUsers, first page of 60, no filter",
		worker: listUsersWorker(false),
	},
	{
		name: ScenarioListUsersPrefix, about: `ListUsers with a prefix filter (email ^= "bench-user-00001"), up to 60 of the 100 users it selects`,
		worker: listUsersWorker(true),
	},
	{
		name: ScenarioMix, about: "a mix: 40% get-user, 20% refresh-token-auth, 15% admin-get-user, 10% user-srp-auth, 5% user-password-auth, 5% list-users-prefix, 3% sign-up, 2% admin-create-user",
		worker: mixWorker,
	},
}

// ScenarioNames lists the scenarios Run runs when none are named, in
// order: every scenario but the opt-in ones, which run only when named.
func ScenarioNames() []string {
	var names []string
	for _, s := range scenarios {
		if !s.optIn {
			names = append(names, s.name)
		}
	}
	return names
}

// ScenarioHelp is one line per scenario: its name and what an iteration
// does.
func ScenarioHelp() string {
	var b []byte
	for _, s := range scenarios {
		about := s.about
		if s.optIn {
			about += "; runs only when --scenarios names it"
		}
		b = fmt.Appendf(b, "  %-20s %s\n", s.name, about)
	}
	return string(b)
}

func scenarioByName(name string) (scenario, bool) {
	for _, s := range scenarios {
		if s.name == name {
			return s, true
		}
	}
	return scenario{}, false
}

// randomUser is the index of a random preloaded user.
func (t *target) randomUser(rng *rand.Rand) int { return rng.IntN(max(t.users, 1)) }

func adminCreateUserWorker(ctx context.Context, t *target, rng *rand.Rand) (iteration, error) {
	return func(ctx context.Context, c call) error {
		name := t.newUserName("new")
		return c("AdminCreateUser", func() error {
			_, err := t.c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{
				UserPoolId: &t.poolID, Username: &name, TemporaryPassword: aws.String(Password),
				MessageAction:  types.MessageActionTypeSuppress,
				UserAttributes: []types.AttributeType{{Name: aws.String("email"), Value: aws.String(name + "@bench.example.com")}},
			})
			return err
		})
	}, nil
}

func signUpWorker(ctx context.Context, t *target, rng *rand.Rand) (iteration, error) {
	return func(ctx context.Context, c call) error {
		name := t.newUserName("signup")
		if err := c("SignUp", func() error {
			_, err := t.c.SignUp(ctx, &cip.SignUpInput{
				ClientId: &t.clientID, Username: &name, Password: aws.String(Password),
				UserAttributes: []types.AttributeType{{Name: aws.String("email"), Value: aws.String(name + "@bench.example.com")}},
			})
			return err
		}); err != nil {
			return err
		}
		return c("AdminConfirmSignUp", func() error {
			_, err := t.c.AdminConfirmSignUp(ctx, &cip.AdminConfirmSignUpInput{UserPoolId: &t.poolID, Username: &name})
			return err
		})
	}, nil
}

// passwordAuth signs user i in with USER_PASSWORD_AUTH.
func (t *target) passwordAuth(ctx context.Context, i int) (*types.AuthenticationResultType, error) {
	out, err := t.c.InitiateAuth(ctx, &cip.InitiateAuthInput{
		ClientId: &t.clientID, AuthFlow: types.AuthFlowTypeUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": UserName(i), "PASSWORD": Password},
	})
	if err != nil {
		return nil, err
	}
	if out.AuthenticationResult == nil || out.AuthenticationResult.AccessToken == nil {
		return nil, fmt.Errorf("USER_PASSWORD_AUTH answered challenge %q, want tokens", out.ChallengeName)
	}
	return out.AuthenticationResult, nil
}

func passwordAuthWorker(ctx context.Context, t *target, rng *rand.Rand) (iteration, error) {
	return func(ctx context.Context, c call) error {
		i := t.randomUser(rng)
		return c("InitiateAuth", func() error {
			_, err := t.passwordAuth(ctx, i)
			return err
		})
	}, nil
}

// benchABytes is the size in bytes of a worker's private SRP a. A real
// client picks a fresh 1024-bit a for every sign-in (srpclient.New). The
// load generator shares the machine with the server, so it keeps its own
// work small: each worker picks one 256-bit a (the server cannot tell and
// checks only that A is not 0 mod N), and the run's srpclient.Cache keeps
// k*g^x per user. What is left per sign-in is one exponentiation, S = (B -
// k*g^x)^(a + u*x), whose time Run reports as the client's cost. The
// client side is internal/srp/srpclient, written apart from the server's
// code in internal/srp so that the scenarios check the server against an
// independent implementation.
const benchABytes = 32

func srpAuthWorker(ctx context.Context, t *target, rng *rand.Rand) (iteration, error) {
	client := srpclient.NewSized(benchABytes, t.srp)
	return func(ctx context.Context, c call) error {
		name := UserName(rng.IntN(min(max(t.users, 1), SRPUsers)))
		params, ts, sig, err := t.srpProof(ctx, c, client, name)
		if err != nil {
			return err
		}
		return c("RespondToAuthChallenge", func() error {
			out, err := t.c.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{
				ClientId: &t.clientID, ChallengeName: types.ChallengeNameTypePasswordVerifier,
				ChallengeResponses: map[string]string{
					"USERNAME": params["USER_ID_FOR_SRP"], "PASSWORD_CLAIM_SECRET_BLOCK": params["SECRET_BLOCK"],
					"PASSWORD_CLAIM_SIGNATURE": sig, "TIMESTAMP": ts,
				},
			})
			if err == nil && (out.AuthenticationResult == nil || out.AuthenticationResult.AccessToken == nil) {
				err = fmt.Errorf("PASSWORD_VERIFIER answered challenge %q, want tokens", out.ChallengeName)
			}
			return err
		})
	}, nil
}

// srpProof runs USER_SRP_AUTH's first round trip for the user name
// (timed as InitiateAuth) and the client's SRP math (timed as "client SRP
// math"): the PASSWORD_VERIFIER parameters, and the TIMESTAMP and
// PASSWORD_CLAIM_SIGNATURE that answer them.
func (t *target) srpProof(ctx context.Context, c call, client *srpclient.Client, name string) (params map[string]string, ts, sig string, err error) {
	var challenge *cip.InitiateAuthOutput
	if err := c("InitiateAuth", func() error {
		var err error
		challenge, err = t.c.InitiateAuth(ctx, &cip.InitiateAuthInput{
			ClientId: &t.clientID, AuthFlow: types.AuthFlowTypeUserSrpAuth,
			AuthParameters: map[string]string{"USERNAME": name, "SRP_A": client.SRPA()},
		})
		if err == nil && challenge.ChallengeName != types.ChallengeNameTypePasswordVerifier {
			err = fmt.Errorf("USER_SRP_AUTH answered challenge %q, want PASSWORD_VERIFIER", challenge.ChallengeName)
		}
		return err
	}); err != nil {
		return nil, "", "", err
	}
	params = challenge.ChallengeParameters
	err = c("client SRP math", func() error {
		var err error
		ts, sig, err = client.Claim(t.poolID, Password, params, time.Now())
		return err
	})
	return params, ts, sig, err
}

func refreshWorker(ctx context.Context, t *target, rng *rand.Rand) (iteration, error) {
	auth, err := t.passwordAuth(ctx, t.randomUser(rng))
	if err != nil {
		return nil, fmt.Errorf("sign in for a refresh token: %w", err)
	}
	token := aws.ToString(auth.RefreshToken)
	if token == "" {
		return nil, errors.New("sign-in answered no refresh token")
	}
	return func(ctx context.Context, c call) error {
		return c("InitiateAuth", func() error {
			out, err := t.c.InitiateAuth(ctx, &cip.InitiateAuthInput{
				ClientId: &t.clientID, AuthFlow: types.AuthFlowTypeRefreshTokenAuth,
				AuthParameters: map[string]string{"REFRESH_TOKEN": token},
			})
			if err != nil {
				return err
			}
			if out.AuthenticationResult == nil || out.AuthenticationResult.AccessToken == nil {
				return errors.New("REFRESH_TOKEN_AUTH answered no tokens")
			}
			if rt := aws.ToString(out.AuthenticationResult.RefreshToken); rt != "" {
				token = rt // a pool that rotates refresh tokens
			}
			return nil
		})
	}, nil
}

func getUserWorker(ctx context.Context, t *target, rng *rand.Rand) (iteration, error) {
	auth, err := t.passwordAuth(ctx, t.randomUser(rng))
	if err != nil {
		return nil, fmt.Errorf("sign in for an access token: %w", err)
	}
	in := &cip.GetUserInput{AccessToken: auth.AccessToken}
	return func(ctx context.Context, c call) error {
		return c("GetUser", func() error {
			_, err := t.c.GetUser(ctx, in)
			return err
		})
	}, nil
}

func adminGetUserWorker(ctx context.Context, t *target, rng *rand.Rand) (iteration, error) {
	return func(ctx context.Context, c call) error {
		name := UserName(t.randomUser(rng))
		return c("AdminGetUser", func() error {
			out, err := t.c.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: &t.poolID, Username: &name})
			if err == nil && aws.ToString(out.Username) != name {
				err = fmt.Errorf("AdminGetUser answered user %q, want %q", aws.ToString(out.Username), name)
			}
			return err
		})
	}, nil
}

func listUsersWorker(prefix bool) func(ctx context.Context, t *target, rng *rand.Rand) (iteration, error) {
	return func(ctx context.Context, t *target, rng *rand.Rand) (iteration, error) {
		return func(ctx context.Context, c call) error {
			in := &cip.ListUsersInput{UserPoolId: &t.poolID, Limit: aws.Int32(60)}
			var want string
			if prefix {
				// The name without its last two digits: up to 100 users.
				name := UserName(t.randomUser(rng))
				want = name[:len(name)-2]
				in.Filter = aws.String(fmt.Sprintf("email ^= %q", want))
			}
			return c("ListUsers", func() error {
				out, err := t.c.ListUsers(ctx, in)
				if err != nil {
					return err
				}
				return checkListUsers(out.Users, want, t.users)
			})
		}, nil
	}
}

// checkListUsers checks a ListUsers page: at least one user and at most
// the limit of 60, each with an email that starts with prefix. An
// endpoint that ignores the limit or the filter answers a different
// question, faster or slower, so that is an error rather than a rate.
func checkListUsers(users []types.UserType, prefix string, poolUsers int) error {
	if len(users) == 0 && poolUsers > 0 {
		return errors.New("ListUsers answered no users")
	}
	if len(users) > 60 {
		return fmt.Errorf("ListUsers answered %d users, more than its Limit of 60", len(users))
	}
	if prefix == "" {
		return nil
	}
	for _, u := range users {
		email := ""
		for _, a := range u.Attributes {
			if aws.ToString(a.Name) == "email" {
				email = aws.ToString(a.Value)
			}
		}
		if !strings.HasPrefix(email, prefix) {
			return fmt.Errorf("ListUsers with the filter email ^= %q answered user %q with email %q", prefix, aws.ToString(u.Username), email)
		}
	}
	return nil
}

// mixWeights is the realistic mix: mostly token use and refresh, some
// sign-ins, few sign-ups.
var mixWeights = []struct {
	scenario string
	weight   int
}{
	{ScenarioGetUser, 40}, {ScenarioRefreshTokenAuth, 20}, {ScenarioAdminGetUser, 15},
	{ScenarioUserSRPAuth, 10}, {ScenarioUserPasswordAuth, 5}, {ScenarioListUsersPrefix, 5},
	{ScenarioSignUp, 3}, {ScenarioAdminCreateUser, 2},
}

// mixPart is the worker of a scenario in the mix (a switch, not a look-up
// in scenarios, which lists mixWorker).
func mixPart(name string) func(ctx context.Context, t *target, rng *rand.Rand) (iteration, error) {
	switch name {
	case ScenarioGetUser:
		return getUserWorker
	case ScenarioRefreshTokenAuth:
		return refreshWorker
	case ScenarioAdminGetUser:
		return adminGetUserWorker
	case ScenarioUserSRPAuth:
		return srpAuthWorker
	case ScenarioUserPasswordAuth:
		return passwordAuthWorker
	case ScenarioListUsersPrefix:
		return listUsersWorker(true)
	case ScenarioSignUp:
		return signUpWorker
	default:
		return adminCreateUserWorker
	}
}

func mixWorker(ctx context.Context, t *target, rng *rand.Rand) (iteration, error) {
	type part struct {
		weight int
		name   string
		it     iteration
	}
	var parts []part
	total := 0
	for _, w := range mixWeights {
		it, err := mixPart(w.scenario)(ctx, t, rng)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", w.scenario, err)
		}
		parts = append(parts, part{w.weight, w.scenario, it})
		total += w.weight
	}
	return func(ctx context.Context, c call) error {
		n := rng.IntN(total)
		for _, p := range parts {
			if n < p.weight {
				return p.it(ctx, func(op string, f func() error) error { return c(p.name+" "+op, f) })
			}
			n -= p.weight
		}
		return nil
	}, nil
}
