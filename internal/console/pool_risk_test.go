package console

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
)

// TestRiskNotifyEmails edits the account takeover notification's sender
// and its three emails' texts on the risk configuration screen: what is
// saved is what DescribeRiskConfiguration answers, the texts come back in
// the form escaped, a refused email (no subject, a body too short) is
// shown next to its fieldset with the configuration unchanged, and an
// email whose fields are all emptied is removed.
func TestRiskNotifyEmails(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		c := cognito.Caller{Region: testRegion}
		pool, err := e.pools.CreateUserPool(ctx, c, &idp.CreateUserPoolRequest{PoolName: cognito.Ptr("notify"),
			UserPoolTier: cognito.Ptr(idp.UserPoolTierType("PLUS")), UserPoolAddOns: &idp.UserPoolAddOnsType{AdvancedSecurityMode: cognito.Ptr(idp.AdvancedSecurityModeType("ENFORCED"))}})
		if err != nil {
			t.Fatal(err)
		}
		poolID := cognito.Deref(pool.UserPool.Id)
		risk := "/console/pools/" + poolID + "/risk"
		describe := func() *idp.RiskConfigurationType {
			t.Helper()
			rc, err := e.pools.DescribeRiskConfiguration(ctx, c, &idp.DescribeRiskConfigurationRequest{UserPoolId: &poolID})
			if err != nil {
				t.Fatal(err)
			}
			rc.RiskConfiguration.LastModifiedDate = nil
			return rc.RiskConfiguration
		}
		arn := "arn:aws:ses:us-east-1:123456789012:identity/security@example.com"
		html := "<p>Hello {username}, we blocked a sign-in from {ip-address}. <a href=\"{one-click-link-invalid}\">Not you?</a></p>"
		form := func() url.Values {
			return url.Values{"ato_enabled": {"1"}, "ato_low_action": {"NO_ACTION"}, "ato_low_notify": {"1"},
				"ato_medium_action": {"MFA_IF_CONFIGURED"}, "ato_medium_notify": {"1"}, "ato_high_action": {"BLOCK"}, "ato_high_notify": {"1"},
				"notify_source_arn": {arn}, "notify_from": {"Security <security@example.com>"}, "notify_reply_to": {"help@example.com"},
				"notify_block_subject": {"Blocked <sign-in>"}, "notify_block_html": {html}, "notify_block_text": {"Hello {username},\r\nwe blocked a sign-in."},
				"notify_mfa_subject": {"A second factor was asked for"}, "notify_mfa_text": {"Hello {username}: {one-click-link-valid}"},
				"notify_no_action_subject": {"New sign-in"}, "notify_no_action_html": {"<p>New sign-in at {login-time}</p>"}}
		}
		if rec := e.do(t, http.MethodPost, risk, form()); rec.Code != http.StatusSeeOther {
			t.Fatalf("save: %d\n%s", rec.Code, rec.Body)
		}
		action := func(a string) *idp.AccountTakeoverActionType {
			return &idp.AccountTakeoverActionType{EventAction: cognito.Ptr(idp.AccountTakeoverEventActionType(a)), Notify: cognito.Ptr(true)}
		}
		want := &idp.RiskConfigurationType{UserPoolId: &poolID, AccountTakeoverRiskConfiguration: &idp.AccountTakeoverRiskConfigurationType{
			Actions: &idp.AccountTakeoverActionsType{LowAction: action("NO_ACTION"), MediumAction: action("MFA_IF_CONFIGURED"), HighAction: action("BLOCK")},
			NotifyConfiguration: &idp.NotifyConfigurationType{SourceArn: &arn, From: cognito.Ptr("Security <security@example.com>"), ReplyTo: cognito.Ptr("help@example.com"),
				BlockEmail:    &idp.NotifyEmailType{Subject: cognito.Ptr("Blocked <sign-in>"), HtmlBody: &html, TextBody: cognito.Ptr("Hello {username},\nwe blocked a sign-in.")},
				MfaEmail:      &idp.NotifyEmailType{Subject: cognito.Ptr("A second factor was asked for"), TextBody: cognito.Ptr("Hello {username}: {one-click-link-valid}")},
				NoActionEmail: &idp.NotifyEmailType{Subject: cognito.Ptr("New sign-in"), HtmlBody: cognito.Ptr("<p>New sign-in at {login-time}</p>")}}}}
		if diff := cmp.Diff(want, describe()); diff != "" {
			t.Fatalf("DescribeRiskConfiguration after the form (-want +got):\n%s", diff)
		}
		body := e.do(t, http.MethodGet, risk, nil).Body.String()
		for _, s := range []string{`value="Blocked &lt;sign-in&gt;"`, `&lt;p&gt;Hello {username}, we blocked a sign-in from {ip-address}. &lt;a href=&#34;{one-click-link-invalid}&#34;&gt;Not you?&lt;/a&gt;&lt;/p&gt;</textarea>`,
			`<label for="notify_mfa_text">Text body</label>`, `id="notify-no_action"`} {
			if !strings.Contains(body, s) {
				t.Errorf("the form does not show %s:\n%s", s, body)
			}
		}
		if strings.Contains(body, "<p>Hello") {
			t.Errorf("the form shows the HTML body unescaped:\n%s", body)
		}

		// Refused: a body without its subject, a body shorter than 6
		// characters; nothing changes.
		for _, tc := range []struct{ field, value, member string }{
			{"notify_mfa_subject", "", "MfaEmail"},
			{"notify_block_text", "hi", "BlockEmail"},
		} {
			f := form()
			f.Set(tc.field, tc.value)
			rec := e.do(t, http.MethodPost, risk, f)
			if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), `id="error-`+tc.member+`"`) {
				t.Errorf("%s %q: %d\n%s", tc.field, tc.value, rec.Code, rec.Body)
			}
			if diff := cmp.Diff(want, describe()); diff != "" {
				t.Errorf("a refused form changed the configuration (-want +got):\n%s", diff)
			}
		}

		// An email emptied is removed: its notification uses cognate's text.
		f := form()
		f.Set("notify_mfa_subject", "")
		f.Set("notify_mfa_text", "  ")
		if rec := e.do(t, http.MethodPost, risk, f); rec.Code != http.StatusSeeOther {
			t.Fatalf("save without the MFA email: %d\n%s", rec.Code, rec.Body)
		}
		want.AccountTakeoverRiskConfiguration.NotifyConfiguration.MfaEmail = nil
		if diff := cmp.Diff(want, describe()); diff != "" {
			t.Errorf("DescribeRiskConfiguration without the MFA email (-want +got):\n%s", diff)
		}
	})
}
