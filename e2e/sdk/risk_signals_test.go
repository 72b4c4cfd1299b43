package sdk

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/internal/directory"
	"github.com/cognate-dev/cognate/internal/geoip"
	"github.com/cognate-dev/cognate/internal/geoip/geoiptest"
	"github.com/cognate-dev/cognate/internal/messaging"
)

// TestRiskSignalsThroughSDK signs users in to a pool that lets Low and
// Medium risk through and blocks High, on a server with a GeoIP database
// the test writes (Paris for 192.0.2.0/24 and 203.0.113.0/24, Sydney for
// 198.51.100.0/24):
//
//   - three wrong passwords, then the right one: many failures and a new
//     device make High, and the sign-in is blocked; two wrong passwords
//     are not many, and the right one after them gets tokens;
//   - Paris, then Sydney a moment later: impossible travel, High,
//     blocked; Paris, then another address in Paris: only a new address,
//     Medium, tokens;
//   - each event names the city and country of its address.
func TestRiskSignalsThroughSDK(t *testing.T) {
	path := filepath.Join(t.TempDir(), "city.mmdb")
	if err := geoiptest.Write(path, []geoiptest.Place{
		{Network: "192.0.2.0/24", City: "Paris", Country: "France", CountryCode: "FR", Latitude: 48.8566, Longitude: 2.3522},
		{Network: "203.0.113.0/24", City: "Paris", Country: "France", CountryCode: "FR", Latitude: 48.86, Longitude: 2.34},
		{Network: "198.51.100.0/24", City: "Sydney", Country: "Australia", CountryCode: "AU", Latitude: -33.8688, Longitude: 151.2093},
	}); err != nil {
		t.Fatal(err)
	}
	geo, err := geoip.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { geo.Close() })
	for _, name := range backendNames {
		t.Run(name, func(t *testing.T) {
			outbox := messaging.NewOutbox(messaging.OutboxOptions{Logger: slog.New(slog.DiscardHandler)})
			e, from := riskEnvOn(t, name, directory.Options{Sender: outbox}, outbox, geo)
			ctx := context.Background()
			s := e.selfServicePool(t, &cip.CreateUserPoolInput{
				UserPoolTier:   types.UserPoolTierTypePlus,
				UserPoolAddOns: &types.UserPoolAddOnsType{AdvancedSecurityMode: types.AdvancedSecurityModeTypeEnforced},
			}, &cip.CreateUserPoolClientInput{ExplicitAuthFlows: signInFlows})
			if _, err := e.c.SetRiskConfiguration(ctx, &cip.SetRiskConfigurationInput{UserPoolId: s.pool,
				AccountTakeoverRiskConfiguration: &types.AccountTakeoverRiskConfigurationType{Actions: &types.AccountTakeoverActionsType{
					LowAction:    &types.AccountTakeoverActionType{EventAction: types.AccountTakeoverEventActionTypeNoAction},
					MediumAction: &types.AccountTakeoverActionType{EventAction: types.AccountTakeoverEventActionTypeNoAction},
					HighAction:   &types.AccountTakeoverActionType{EventAction: types.AccountTakeoverEventActionTypeBlock},
				}},
			}); err != nil {
				t.Fatal(err)
			}
			latest := func(user string) types.AuthEventType {
				t.Helper()
				out, err := e.c.AdminListUserAuthEvents(ctx, &cip.AdminListUserAuthEventsInput{UserPoolId: s.pool, Username: aws.String(user)})
				if err != nil {
					t.Fatal(err)
				}
				if len(out.AuthEvents) == 0 {
					t.Fatalf("no event of %s", user)
				}
				return out.AuthEvents[0]
			}
			wantRisk := func(user string, response types.EventResponseType, level types.RiskLevelType, city, country string) {
				t.Helper()
				ev := latest(user)
				if ev.EventResponse != response || ev.EventRisk == nil || ev.EventRisk.RiskLevel != level {
					t.Errorf("%s's event: %s, risk %+v; want %s at %s", user, ev.EventResponse, ev.EventRisk, response, level)
				}
				if c := ev.EventContextData; c == nil || aws.ToString(c.City) != city || aws.ToString(c.Country) != country {
					t.Errorf("%s's event context = %+v, want %s, %s", user, c, city, country)
				}
			}
			signIn := func(user, addr, password string) error {
				from.addr.Store(addr)
				out, err := s.passwordAuth(user, password)
				if err == nil && out.AuthenticationResult == nil {
					t.Fatalf("%s from %s: a challenge (%s), want tokens or a refusal", user, addr, out.ChallengeName)
				}
				return err
			}
			blocked := func(err error) {
				t.Helper()
				wantAPIError(t, err, "NotAuthorizedException", "Unable to login because of security reasons.")
			}
			wrongPassword := func(err error) {
				t.Helper()
				wantAPIError(t, err, "NotAuthorizedException", "Incorrect username or password.")
			}
			for _, u := range []string{"fred", "gail", "ivan", "jane"} {
				s.signInUser(t, u, signInPassword)
				if err := signIn(u, "192.0.2.10", signInPassword); err != nil {
					t.Fatalf("%s's first sign-in: %v", u, err)
				}
				wantRisk(u, types.EventResponseTypePass, types.RiskLevelTypeLow, "Paris", "France")
			}

			// Many failures.
			for range 3 {
				wrongPassword(signIn("fred", "192.0.2.10", "Wrong-password-1"))
			}
			blocked(signIn("fred", "192.0.2.10", signInPassword))
			wantRisk("fred", types.EventResponseTypeFail, types.RiskLevelTypeHigh, "Paris", "France")
			for range 2 {
				wrongPassword(signIn("gail", "192.0.2.10", "Wrong-password-1"))
			}
			if err := signIn("gail", "192.0.2.10", signInPassword); err != nil {
				t.Fatalf("gail after two failures: %v", err)
			}
			wantRisk("gail", types.EventResponseTypePass, types.RiskLevelTypeLow, "Paris", "France")

			// Impossible travel.
			blocked(signIn("ivan", "198.51.100.20", signInPassword))
			wantRisk("ivan", types.EventResponseTypeFail, types.RiskLevelTypeHigh, "Sydney", "Australia")
			if err := signIn("jane", "203.0.113.9", signInPassword); err != nil {
				t.Fatalf("jane from elsewhere in Paris: %v", err)
			}
			wantRisk("jane", types.EventResponseTypePass, types.RiskLevelTypeMedium, "Paris", "France")
		})
	}
}
