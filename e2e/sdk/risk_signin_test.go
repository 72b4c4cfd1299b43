package sdk

import (
	"context"
	"log/slog"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/internal/api"
	"github.com/cognate-dev/cognate/internal/authflow"
	"github.com/cognate-dev/cognate/internal/directory"
	"github.com/cognate-dev/cognate/internal/geoip"
	"github.com/cognate-dev/cognate/internal/messaging"
	"github.com/cognate-dev/cognate/internal/ratelimit"
	"github.com/cognate-dev/cognate/internal/userpool"
)

// forwardedFor is an http.RoundTripper that sends the address it holds as
// X-Forwarded-For, so that a test signs in "from" any address through a
// server that trusts the loopback proxy.
type forwardedFor struct {
	addr atomic.Value
	next http.RoundTripper
}

func (f *forwardedFor) RoundTrip(r *http.Request) (*http.Response, error) {
	if a, _ := f.addr.Load().(string); a != "" {
		r = r.Clone(r.Context())
		r.Header.Set("X-Forwarded-For", a)
	}
	return f.next.RoundTrip(r)
}

// riskEnv serves the API trusting the loopback address as a proxy, with
// opts (its Sender an outbox), and a client whose requests come "from" the
// address of from.
func riskEnv(t *testing.T, name string, opts directory.Options) (*userEnv, *forwardedFor) {
	t.Helper()
	outbox := messaging.NewOutbox(messaging.OutboxOptions{Logger: slog.New(slog.DiscardHandler)})
	opts.Sender = outbox
	return riskEnvOn(t, name, opts, outbox, nil)
}

// riskEnvOn is riskEnv with opts.Sender the engine's sender (which may
// hand some messages to outbox, served at messaging.OutboxPath), and geo,
// when not nil, the sign-in engine's GeoIP database.
func riskEnvOn(t *testing.T, name string, opts directory.Options, outbox *messaging.Outbox, geo *geoip.DB) (*userEnv, *forwardedFor) {
	t.Helper()
	db := migrated(t, openBackend(t, name))
	proxies, err := ratelimit.ParseTrustedProxies([]string{"127.0.0.1", "::1"})
	if err != nil {
		t.Fatal(err)
	}
	url := serveWithAuth(t, db, opts, func(mux *http.ServeMux) {
		mux.Handle(messaging.OutboxPath, outbox.Handler(messaging.OutboxAccess{Loopback: true}))
	}, ratelimit.Off(), ratelimit.Unprotected(), func(_ string, o *api.Options) { o.TrustedProxies = proxies }, userpool.Options{},
		func(o *authflow.Options) { o.GeoIP = geo })
	from := &forwardedFor{next: http.DefaultTransport}
	c := cip.New(cip.Options{
		BaseEndpoint: aws.String(url), Region: "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider(keyID, secret, ""),
		HTTPClient:  &http.Client{Transport: from}, RetryMaxAttempts: 8,
	})
	return &userEnv{env: &env{URL: url, Store: db}, outbox: outbox, c: c}, from
}

// TestAccountTakeoverThroughSDK signs a user in from addresses the test
// picks (X-Forwarded-For through a trusted proxy) in a pool whose threat
// protection takes Medium risk to MFA_IF_CONFIGURED and blocks a range:
// the first sign-in (no device, no baseline: Low, NO_ACTION) gets tokens;
// one from a new address without a device (Medium) is answered with the
// user's email code although the pool's MFA is OPTIONAL and the user has
// none turned on; one from a blocked range gets Cognito's refusal; each
// event records its risk and address. In AUDIT mode the same Medium risk
// is recorded and the sign-in gets tokens.
func TestAccountTakeoverThroughSDK(t *testing.T) {
	for _, name := range backendNames {
		t.Run(name, func(t *testing.T) {
			e, from := riskEnv(t, name, directory.Options{})
			ctx := context.Background()
			newApp := func(mode types.AdvancedSecurityModeType) *selfService {
				s := e.selfServicePool(t, &cip.CreateUserPoolInput{
					UserPoolTier:   types.UserPoolTierTypePlus,
					UserPoolAddOns: &types.UserPoolAddOnsType{AdvancedSecurityMode: mode},
				}, &cip.CreateUserPoolClientInput{ExplicitAuthFlows: signInFlows})
				if _, err := e.c.SetUserPoolMfaConfig(ctx, mfaConfig(s.pool, types.UserPoolMfaTypeOptional)); err != nil {
					t.Fatal(err)
				}
				if _, err := e.c.SetRiskConfiguration(ctx, &cip.SetRiskConfigurationInput{UserPoolId: s.pool,
					AccountTakeoverRiskConfiguration: &types.AccountTakeoverRiskConfigurationType{Actions: &types.AccountTakeoverActionsType{
						LowAction:    &types.AccountTakeoverActionType{EventAction: types.AccountTakeoverEventActionTypeNoAction},
						MediumAction: &types.AccountTakeoverActionType{EventAction: types.AccountTakeoverEventActionTypeMfaIfConfigured},
						HighAction:   &types.AccountTakeoverActionType{EventAction: types.AccountTakeoverEventActionTypeBlock},
					}},
					RiskExceptionConfiguration: &types.RiskExceptionConfigurationType{BlockedIPRangeList: []string{"203.0.113.0/24"}},
				}); err != nil {
					t.Fatal(err)
				}
				s.signInUser(t, "rita", signInPassword, "email", "rita@example.com", "email_verified", "true")
				return s
			}
			events := func(s *selfService) []types.AuthEventType {
				t.Helper()
				out, err := e.c.AdminListUserAuthEvents(ctx, &cip.AdminListUserAuthEventsInput{UserPoolId: s.pool, Username: aws.String("rita")})
				if err != nil {
					t.Fatal(err)
				}
				return out.AuthEvents
			}
			wantEvent := func(ev types.AuthEventType, response types.EventResponseType, decision types.RiskDecisionType, level types.RiskLevelType, ip string) {
				t.Helper()
				if ev.EventResponse != response || ev.EventRisk == nil || ev.EventRisk.RiskDecision != decision || ev.EventRisk.RiskLevel != level ||
					ev.EventContextData == nil || aws.ToString(ev.EventContextData.IpAddress) != ip {
					t.Errorf("event = response %s, risk %+v, context %+v; want %s, %s/%s, %s", ev.EventResponse, ev.EventRisk, ev.EventContextData, response, decision, level, ip)
				}
			}

			s := newApp(types.AdvancedSecurityModeTypeEnforced)
			from.addr.Store("192.0.2.10")
			out, err := s.passwordAuth("rita", signInPassword)
			mustTokens(t, out.AuthenticationResult, err, true)
			wantEvent(events(s)[0], types.EventResponseTypePass, types.RiskDecisionTypeAccountTakeover, types.RiskLevelTypeLow, "192.0.2.10")

			// A new address and no device: Medium, MFA_IF_CONFIGURED.
			from.addr.Store("198.51.100.20")
			out, err = s.passwordAuth("rita", signInPassword)
			wantChallenge(t, out.ChallengeName, out.Session, err, types.ChallengeNameTypeEmailOtp)
			code := e.sentCode(t, "rita@example.com")
			res, err := s.respond(types.ChallengeNameTypeEmailOtp, out.Session, map[string]string{"USERNAME": "rita", "EMAIL_OTP_CODE": code})
			if err != nil {
				t.Fatal(err)
			}
			mustTokens(t, res.AuthenticationResult, nil, true)
			ev := events(s)[0]
			wantEvent(ev, types.EventResponseTypePass, types.RiskDecisionTypeAccountTakeover, types.RiskLevelTypeMedium, "198.51.100.20")
			if len(ev.ChallengeResponses) != 2 || ev.ChallengeResponses[1].ChallengeName != types.ChallengeNameMfa {
				t.Errorf("ChallengeResponses = %+v, want Password and Mfa", ev.ChallengeResponses)
			}

			// A blocked range: Cognito's refusal, a failed event.
			from.addr.Store("203.0.113.5")
			_, err = s.passwordAuth("rita", signInPassword)
			wantAPIError(t, err, "NotAuthorizedException", "Unable to login because of security reasons.")
			wantEvent(events(s)[0], types.EventResponseTypeFail, types.RiskDecisionTypeBlock, types.RiskLevelTypeHigh, "203.0.113.5")

			// AUDIT: the same risk recorded, no action taken.
			a := newApp(types.AdvancedSecurityModeTypeAudit)
			from.addr.Store("192.0.2.10")
			out, err = a.passwordAuth("rita", signInPassword)
			mustTokens(t, out.AuthenticationResult, err, true)
			from.addr.Store("198.51.100.20")
			out, err = a.passwordAuth("rita", signInPassword)
			mustTokens(t, out.AuthenticationResult, err, true)
			wantEvent(events(a)[0], types.EventResponseTypePass, types.RiskDecisionTypeAccountTakeover, types.RiskLevelTypeMedium, "198.51.100.20")
			from.addr.Store("203.0.113.5")
			out, err = a.passwordAuth("rita", signInPassword)
			mustTokens(t, out.AuthenticationResult, err, true)
		})
	}
}
