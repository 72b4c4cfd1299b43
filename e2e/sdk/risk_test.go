package sdk

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/cognate-dev/cognate/internal/directory"
	"github.com/cognate-dev/cognate/internal/password"
	"github.com/cognate-dev/cognate/internal/ratelimit"
	"github.com/cognate-dev/cognate/internal/storage"
)

const (
	// breachedPassword is on the test's list by its full SHA-1 digest,
	// prefixedPassword by the first 5 digits of its digest.
	breachedPassword = "Breached-passw0rd"
	prefixedPassword = "Prefixed-passw0rd"
	cleanPassword    = "Clean-passw0rd-4711"
)

// breachedList is a breached-password list in the file format: a comment,
// a full digest with a count, and a 5-digit prefix.
func breachedList(t *testing.T) *password.FileList {
	t.Helper()
	digest := func(pw string) string {
		s := sha1.Sum([]byte(pw))
		return strings.ToUpper(hex.EncodeToString(s[:]))
	}
	l, err := password.ReadFileList(strings.NewReader("# test list\n" + digest(breachedPassword) + ":42\n" + digest(prefixedPassword)[:5] + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasPrefix(digest(cleanPassword), digest(prefixedPassword)[:5]) {
		t.Fatal("the clean password shares the listed prefix")
	}
	return l
}

// TestRiskConfigurationThroughSDK sets and describes threat protection's
// configuration per pool and per app client, refuses it where threat
// protection is off and with a bad IP range, refuses a breached password
// at SignUp and ChangePassword in ENFORCED mode with BLOCK (a listed digest
// and a listed prefix alike), lets it through in AUDIT mode, and records an
// administrator's feedback on a sign-in event.
func TestRiskConfigurationThroughSDK(t *testing.T) {
	for _, name := range backendNames {
		t.Run(name, func(t *testing.T) {
			db := migrated(t, openBackend(t, name))
			url := serveLimited(t, db, directory.Options{Breached: breachedList(t)}, nil, ratelimit.Off(), ratelimit.Unprotected())
			c := (&env{URL: url, Store: db}).client("us-east-1")
			ctx := context.Background()
			newPool := func(name string, mode types.AdvancedSecurityModeType) (*types.UserPoolType, string) {
				in := &cip.CreateUserPoolInput{PoolName: aws.String(name), UserPoolTier: types.UserPoolTierTypePlus}
				if mode != "" {
					in.UserPoolAddOns = &types.UserPoolAddOnsType{AdvancedSecurityMode: mode}
				}
				p := createPool(t, c, in)
				cl := appClient(t, c, &cip.CreateUserPoolClientInput{UserPoolId: p.Id, ClientName: aws.String("app"), ExplicitAuthFlows: signInFlows})
				return p, *cl.ClientId
			}
			enforced, client := newPool("enforced", types.AdvancedSecurityModeTypeEnforced)
			audit, auditClient := newPool("audit", types.AdvancedSecurityModeTypeAudit)
			off, _ := newPool("off", "")

			_, err := c.SetRiskConfiguration(ctx, &cip.SetRiskConfigurationInput{UserPoolId: off.Id})
			wantAPIError(t, err, "UserPoolAddOnNotEnabledException", "")
			_, err = c.DescribeRiskConfiguration(ctx, &cip.DescribeRiskConfigurationInput{UserPoolId: off.Id})
			wantAPIError(t, err, "UserPoolAddOnNotEnabledException", "")
			_, err = c.SetRiskConfiguration(ctx, &cip.SetRiskConfigurationInput{UserPoolId: enforced.Id,
				RiskExceptionConfiguration: &types.RiskExceptionConfigurationType{BlockedIPRangeList: []string{"192.0.2.0/33"}}})
			wantAPIError(t, err, "InvalidParameterException", "")
			_, err = c.SetRiskConfiguration(ctx, &cip.SetRiskConfigurationInput{UserPoolId: enforced.Id, ClientId: aws.String("nosuchclient0000000000000")})
			wantAPIError(t, err, "ResourceNotFoundException", "")

			block := &types.CompromisedCredentialsRiskConfigurationType{
				EventFilter: []types.EventFilterType{types.EventFilterTypeSignUp, types.EventFilterTypePasswordChange},
				Actions:     &types.CompromisedCredentialsActionsType{EventAction: types.CompromisedCredentialsEventActionTypeBlock},
			}
			takeover := &types.AccountTakeoverRiskConfigurationType{Actions: &types.AccountTakeoverActionsType{
				LowAction:    &types.AccountTakeoverActionType{EventAction: types.AccountTakeoverEventActionTypeNoAction, Notify: false},
				MediumAction: &types.AccountTakeoverActionType{EventAction: types.AccountTakeoverEventActionTypeMfaIfConfigured, Notify: false},
				HighAction:   &types.AccountTakeoverActionType{EventAction: types.AccountTakeoverEventActionTypeBlock, Notify: false},
			}}
			exceptions := &types.RiskExceptionConfigurationType{BlockedIPRangeList: []string{"198.51.100.0/24"}, SkippedIPRangeList: []string{"2001:db8::/32", "203.0.113.7"}}
			set, err := c.SetRiskConfiguration(ctx, &cip.SetRiskConfigurationInput{UserPoolId: enforced.Id,
				CompromisedCredentialsRiskConfiguration: block, AccountTakeoverRiskConfiguration: takeover, RiskExceptionConfiguration: exceptions})
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.DescribeRiskConfiguration(ctx, &cip.DescribeRiskConfigurationInput{UserPoolId: enforced.Id})
			if err != nil {
				t.Fatal(err)
			}
			riskOpts := cmp.Options{cmpOpts, cmpopts.IgnoreFields(types.RiskConfigurationType{}, "LastModifiedDate")}
			if diff := cmp.Diff(set.RiskConfiguration, got.RiskConfiguration, riskOpts); diff != "" {
				t.Errorf("Describe after Set (-set +described):\n%s", diff)
			}
			if diff := cmp.Diff(exceptions, got.RiskConfiguration.RiskExceptionConfiguration, cmpOpts); diff != "" {
				t.Errorf("RiskExceptionConfiguration (-want +got):\n%s", diff)
			}
			// A client of its own: described by its ID; the pool's
			// configuration still answers for the pool.
			if _, err := c.SetRiskConfiguration(ctx, &cip.SetRiskConfigurationInput{UserPoolId: enforced.Id, ClientId: aws.String(client),
				RiskExceptionConfiguration: &types.RiskExceptionConfigurationType{SkippedIPRangeList: []string{"10.0.0.0/8"}}}); err != nil {
				t.Fatal(err)
			}
			byClient, err := c.DescribeRiskConfiguration(ctx, &cip.DescribeRiskConfigurationInput{UserPoolId: enforced.Id, ClientId: aws.String(client)})
			if err != nil {
				t.Fatal(err)
			}
			if aws.ToString(byClient.RiskConfiguration.ClientId) != client || byClient.RiskConfiguration.CompromisedCredentialsRiskConfiguration != nil {
				t.Errorf("client's configuration = %+v", byClient.RiskConfiguration)
			}
			// The client's own configuration has no compromised-credentials
			// check; the pool's, which the next sign-ups go through without
			// a client of their own, does. Put the pool's back on the client.
			if _, err := c.SetRiskConfiguration(ctx, &cip.SetRiskConfigurationInput{UserPoolId: enforced.Id, ClientId: aws.String(client),
				CompromisedCredentialsRiskConfiguration: block}); err != nil {
				t.Fatal(err)
			}

			signUp := func(clientID, user, pw string) error {
				_, err := c.SignUp(ctx, &cip.SignUpInput{ClientId: aws.String(clientID), Username: aws.String(user), Password: aws.String(pw)})
				return err
			}
			err = signUp(client, "breached", breachedPassword)
			wantAPIError(t, err, "InvalidPasswordException", "The password given has been compromised. Please choose another password.")
			err = signUp(client, "prefixed", prefixedPassword)
			wantAPIError(t, err, "InvalidPasswordException", "")
			if err := signUp(client, "clean", cleanPassword); err != nil {
				t.Fatalf("SignUp with a clean password: %v", err)
			}

			// AUDIT records, never acts.
			if _, err := c.SetRiskConfiguration(ctx, &cip.SetRiskConfigurationInput{UserPoolId: audit.Id, CompromisedCredentialsRiskConfiguration: block}); err != nil {
				t.Fatal(err)
			}
			if err := signUp(auditClient, "breached", breachedPassword); err != nil {
				t.Errorf("SignUp with a breached password in AUDIT mode: %v, want it accepted", err)
			}

			// ChangePassword (PASSWORD_CHANGE) in the enforced pool, then
			// feedback on the sign-in event.
			if _, err := c.AdminConfirmSignUp(ctx, &cip.AdminConfirmSignUpInput{UserPoolId: enforced.Id, Username: aws.String("clean")}); err != nil {
				t.Fatal(err)
			}
			out, err := c.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: aws.String(client), AuthFlow: types.AuthFlowTypeUserPasswordAuth,
				AuthParameters: map[string]string{"USERNAME": "clean", "PASSWORD": cleanPassword}})
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.ChangePassword(ctx, &cip.ChangePasswordInput{AccessToken: out.AuthenticationResult.AccessToken,
				PreviousPassword: aws.String(cleanPassword), ProposedPassword: aws.String(breachedPassword)})
			wantAPIError(t, err, "InvalidPasswordException", "")

			events, err := c.AdminListUserAuthEvents(ctx, &cip.AdminListUserAuthEventsInput{UserPoolId: enforced.Id, Username: aws.String("clean")})
			if err != nil {
				t.Fatal(err)
			}
			if len(events.AuthEvents) != 1 || events.AuthEvents[0].EventFeedback != nil {
				t.Fatalf("auth events before feedback = %+v", events.AuthEvents)
			}
			eventID := events.AuthEvents[0].EventId
			_, err = c.AdminUpdateAuthEventFeedback(ctx, &cip.AdminUpdateAuthEventFeedbackInput{UserPoolId: enforced.Id, Username: aws.String("clean"),
				EventId: aws.String("no-such-event"), FeedbackValue: types.FeedbackValueTypeValid})
			wantAPIError(t, err, "ResourceNotFoundException", "")
			_, err = c.AdminUpdateAuthEventFeedback(ctx, &cip.AdminUpdateAuthEventFeedbackInput{UserPoolId: off.Id, Username: aws.String("clean"),
				EventId: eventID, FeedbackValue: types.FeedbackValueTypeValid})
			wantAPIError(t, err, "UserPoolAddOnNotEnabledException", "")
			if _, err := c.AdminUpdateAuthEventFeedback(ctx, &cip.AdminUpdateAuthEventFeedbackInput{UserPoolId: enforced.Id, Username: aws.String("clean"),
				EventId: eventID, FeedbackValue: types.FeedbackValueTypeInvalid}); err != nil {
				t.Fatal(err)
			}
			events, err = c.AdminListUserAuthEvents(ctx, &cip.AdminListUserAuthEventsInput{UserPoolId: enforced.Id, Username: aws.String("clean")})
			if err != nil {
				t.Fatal(err)
			}
			fb := events.AuthEvents[0].EventFeedback
			if fb == nil || fb.FeedbackValue != types.FeedbackValueTypeInvalid || aws.ToString(fb.Provider) != "Admin" || fb.FeedbackDate == nil {
				t.Errorf("EventFeedback after AdminUpdateAuthEventFeedback = %+v", fb)
			}

			// Deleting the app client deletes its own configuration, and
			// takes it off the pool's list of clients with one, in changes
			// that replicate; the pool's configuration stays.
			if _, err := c.DeleteUserPoolClient(ctx, &cip.DeleteUserPoolClientInput{UserPoolId: enforced.Id, ClientId: aws.String(client)}); err != nil {
				t.Fatal(err)
			}
			ownID := aws.ToString(enforced.Id) + "/" + client
			if _, err := db.GetItem(ctx, "risk_configuration", ownID); !errors.Is(err, storage.ErrNotFound) {
				t.Errorf("the deleted client's risk configuration: %v, want ErrNotFound", err)
			}
			poolItem, err := db.GetItem(ctx, "risk_configuration", aws.ToString(enforced.Id)+"/")
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(poolItem.Data), client) {
				t.Errorf("the pool's risk configuration still names the deleted client: %s", poolItem.Data)
			}
			changes, err := db.PoolChanges(ctx, aws.ToString(enforced.Id), 0, 20)
			if err != nil {
				t.Fatal(err)
			}
			deleted := false
			for _, ch := range changes {
				if ch.Entity == "risk_configuration" && ch.Key == ownID && ch.Kind == storage.ChangeDelete {
					deleted = true
				}
			}
			if !deleted {
				t.Errorf("no replicated deletion of %s in the change log", ownID)
			}
			if pool, err := c.DescribeRiskConfiguration(ctx, &cip.DescribeRiskConfigurationInput{UserPoolId: enforced.Id}); err != nil || pool.RiskConfiguration.AccountTakeoverRiskConfiguration == nil {
				t.Errorf("the pool's configuration after the client's deletion: %+v, %v", pool, err)
			}
		})
	}
}
