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

// TestPoolSettings saves each section of a pool's "more settings" screen
// and its risk configuration on both stores and reads the result back
// through the engines; a value the API refuses is shown next to its
// section with the pool unchanged, and markup sent in a field is shown
// back escaped.
func TestPoolSettings(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		c := cognito.Caller{Region: testRegion}
		pool, err := e.pools.CreateUserPool(ctx, c, &idp.CreateUserPoolRequest{PoolName: cognito.Ptr("settings"),
			LambdaConfig: &idp.LambdaConfigType{PreSignUp: cognito.Ptr("arn:aws:lambda:us-east-1:123456789012:function:pre")}})
		if err != nil {
			t.Fatal(err)
		}
		poolID := cognito.Deref(pool.UserPool.Id)
		path := "/console/pools/" + poolID + "/settings"
		describe := func() *idp.UserPoolType {
			t.Helper()
			d, err := e.pools.DescribeUserPool(ctx, c, &idp.DescribeUserPoolRequest{UserPoolId: &poolID})
			if err != nil {
				t.Fatal(err)
			}
			return d.UserPool
		}
		save := func(form url.Values) {
			t.Helper()
			if rec := e.do(t, http.MethodPost, path, form); rec.Code != http.StatusSeeOther {
				t.Fatalf("save %v: %d\n%s", form, rec.Code, rec.Body)
			}
		}
		if rec := e.do(t, http.MethodGet, path, nil); rec.Code != http.StatusOK {
			t.Fatalf("GET: %d\n%s", rec.Code, rec.Body)
		}
		save(url.Values{"section": {"sms"}, "sns_caller_arn": {"arn:aws:iam::123456789012:role/sns"}, "external_id": {"ext"}, "sns_region": {"us-west-2"}})
		save(url.Values{"section": {"recovery"}, "recovery_1": {"verified_phone_number"}, "recovery_2": {"verified_email"}})
		save(url.Values{"section": {"sign-in"}, "factor": {"PASSWORD", "EMAIL_OTP"}})
		save(url.Values{"section": {"senders"}, "email_sender_arn": {"arn:aws:lambda:us-east-1:123456789012:function:mail"}, "email_sender_version": {"V1_0"},
			"kms_key_id": {"arn:aws:kms:us-east-1:123456789012:key/k"}, "pre_token_arn": {"arn:aws:lambda:us-east-1:123456789012:function:pt"}, "pre_token_version": {"V2_0"}})
		p := describe()
		want := &idp.UserPoolType{
			SmsConfiguration: &idp.SmsConfigurationType{SnsCallerArn: cognito.Ptr("arn:aws:iam::123456789012:role/sns"), ExternalId: cognito.Ptr("ext"), SnsRegion: cognito.Ptr("us-west-2")},
			AccountRecoverySetting: &idp.AccountRecoverySettingType{RecoveryMechanisms: []idp.RecoveryOptionType{
				{Priority: cognito.Ptr(int32(1)), Name: cognito.Ptr(idp.RecoveryOptionNameType("verified_phone_number"))},
				{Priority: cognito.Ptr(int32(2)), Name: cognito.Ptr(idp.RecoveryOptionNameType("verified_email"))}}},
			LambdaConfig: &idp.LambdaConfigType{PreSignUp: cognito.Ptr("arn:aws:lambda:us-east-1:123456789012:function:pre"),
				PreTokenGeneration: cognito.Ptr("arn:aws:lambda:us-east-1:123456789012:function:pt"),
				PreTokenGenerationConfig: &idp.PreTokenGenerationVersionConfigType{LambdaArn: cognito.Ptr("arn:aws:lambda:us-east-1:123456789012:function:pt"),
					LambdaVersion: cognito.Ptr(idp.PreTokenGenerationLambdaVersionType("V2_0"))},
				CustomEmailSender: &idp.CustomEmailLambdaVersionConfigType{LambdaArn: cognito.Ptr("arn:aws:lambda:us-east-1:123456789012:function:mail"),
					LambdaVersion: cognito.Ptr(idp.CustomEmailSenderLambdaVersionType("V1_0"))},
				KMSKeyID: cognito.Ptr("arn:aws:kms:us-east-1:123456789012:key/k")},
		}
		got := &idp.UserPoolType{SmsConfiguration: p.SmsConfiguration, AccountRecoverySetting: p.AccountRecoverySetting, LambdaConfig: p.LambdaConfig}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("the pool after the sections (-want +got):\n%s", diff)
		}
		if p.Policies == nil || p.Policies.SignInPolicy == nil || !cmp.Equal(p.Policies.SignInPolicy.AllowedFirstAuthFactors, []idp.AuthFactorType{"PASSWORD", "EMAIL_OTP"}) {
			t.Errorf("the sign-in policy: %+v", p.Policies)
		}

		// Refused: recovery by administrators and by email at once; the
		// message next to its section, the pool as it was.
		for _, tc := range []struct {
			form    url.Values
			section string
		}{
			{url.Values{"section": {"recovery"}, "recovery_1": {"admin_only"}, "recovery_2": {"verified_email"}}, "recovery"},
			{url.Values{"section": {"sign-in"}, "factor": {"EMAIL_OTP"}}, "sign-in"},
			{url.Values{"section": {"threat"}, "security_mode": {"ENFORCED"}}, "threat"},
			{url.Values{"section": {"sms"}, "sns_caller_arn": {"not an arn"}, "external_id": {`<script>alert(1)</script>`}}, "sms"},
		} {
			rec := e.do(t, http.MethodPost, path, tc.form)
			body := rec.Body.String()
			if rec.Code != http.StatusBadRequest || !strings.Contains(body, `id="error-`+tc.section+`"`) {
				t.Errorf("%v: %d, want its error next to the section\n%s", tc.form, rec.Code, body)
			}
			if i := strings.Index(body, `id="error-`+tc.section+`">`); i > 0 {
				t.Logf("%s refused: %.200s", tc.section, body[i:])
			}
			if strings.Contains(body, "<script>alert(1)") {
				t.Errorf("%v: markup shown as is", tc.form)
			}
		}
		if diff := cmp.Diff(p, describe()); diff != "" {
			t.Errorf("a refused section changed the pool (-before +after):\n%s", diff)
		}
		if rec := e.do(t, http.MethodPost, path, url.Values{"section": {"nonsense"}}); rec.Code != http.StatusNotFound {
			t.Errorf("an unknown section: %d", rec.Code)
		}

		// Threat protection on the Plus tier, then the risk configuration
		// of the pool.
		if _, err := e.pools.UpdateUserPool(ctx, c, func() *idp.UpdateUserPoolRequest {
			up, _ := poolUpdateRequest(describe())
			up.UserPoolTier = cognito.Ptr(idp.UserPoolTierType("PLUS"))
			return up
		}()); err != nil {
			t.Fatal(err)
		}
		risk := "/console/pools/" + poolID + "/risk"
		if body := e.do(t, http.MethodGet, risk, nil).Body.String(); !strings.Contains(body, `id="risk-error"`) || !strings.Contains(body, "UserPoolAddOnNotEnabledException") {
			t.Errorf("the risk screen without threat protection:\n%s", body)
		}
		save(url.Values{"section": {"threat"}, "security_mode": {"ENFORCED"}})
		if a := describe().UserPoolAddOns; a == nil || cognito.Deref(a.AdvancedSecurityMode) != "ENFORCED" {
			t.Errorf("UserPoolAddOns after saving: %+v", a)
		}
		rec := e.do(t, http.MethodPost, risk, url.Values{"cc_enabled": {"1"}, "cc_event": {"SIGN_IN", "SIGN_UP"}, "cc_action": {"BLOCK"},
			"ato_enabled": {"1"}, "ato_low_action": {"NO_ACTION"}, "ato_medium_action": {"MFA_IF_CONFIGURED"}, "ato_high_action": {"BLOCK"},
			"ip_blocked": {"192.0.2.0/24\n"}, "ip_skipped": {"198.51.100.7/32"}})
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("save the risk configuration: %d\n%s", rec.Code, rec.Body)
		}
		rc, err := e.pools.DescribeRiskConfiguration(ctx, c, &idp.DescribeRiskConfigurationRequest{UserPoolId: &poolID})
		if err != nil {
			t.Fatal(err)
		}
		action := func(a string) *idp.AccountTakeoverActionType {
			return &idp.AccountTakeoverActionType{EventAction: cognito.Ptr(idp.AccountTakeoverEventActionType(a)), Notify: cognito.Ptr(false)}
		}
		wantRC := &idp.RiskConfigurationType{UserPoolId: &poolID,
			CompromisedCredentialsRiskConfiguration: &idp.CompromisedCredentialsRiskConfigurationType{EventFilter: []idp.EventFilterType{"SIGN_IN", "SIGN_UP"},
				Actions: &idp.CompromisedCredentialsActionsType{EventAction: cognito.Ptr(idp.CompromisedCredentialsEventActionType("BLOCK"))}},
			AccountTakeoverRiskConfiguration: &idp.AccountTakeoverRiskConfigurationType{Actions: &idp.AccountTakeoverActionsType{
				LowAction: action("NO_ACTION"), MediumAction: action("MFA_IF_CONFIGURED"), HighAction: action("BLOCK")}},
			RiskExceptionConfiguration: &idp.RiskExceptionConfigurationType{BlockedIPRangeList: []string{"192.0.2.0/24"}, SkippedIPRangeList: []string{"198.51.100.7/32"}}}
		rc.RiskConfiguration.LastModifiedDate = nil
		if diff := cmp.Diff(wantRC, rc.RiskConfiguration); diff != "" {
			t.Errorf("DescribeRiskConfiguration after the form (-want +got):\n%s", diff)
		}
		// A range that is not one, and a notification without its sender.
		for _, form := range []url.Values{
			{"ip_blocked": {"<b>not a range</b>"}},
			{"ato_enabled": {"1"}, "ato_high_action": {"BLOCK"}, "ato_high_notify": {"1"}, "ato_low_action": {"NO_ACTION"}, "ato_medium_action": {"NO_ACTION"}},
		} {
			rec := e.do(t, http.MethodPost, risk, form)
			if body := rec.Body.String(); rec.Code != http.StatusBadRequest || strings.Contains(body, "<b>not") || !strings.Contains(body, `class="field-error"`) && !strings.Contains(body, `id="error"`) {
				t.Errorf("%v: %d\n%s", form, rec.Code, body)
			}
		}
		after, _ := e.pools.DescribeRiskConfiguration(ctx, c, &idp.DescribeRiskConfigurationRequest{UserPoolId: &poolID})
		after.RiskConfiguration.LastModifiedDate = nil
		if diff := cmp.Diff(wantRC, after.RiskConfiguration); diff != "" {
			t.Errorf("a refused form changed the risk configuration (-want +got):\n%s", diff)
		}
	})
}

// TestWizardMFAFactors offers SMS and email MFA in the walk-through: SMS
// without the pool's SMS configuration is refused with Cognito's rule on
// the MFA step and leaves no pool behind; with an SNS role, both factors
// are on in the pool made (GetUserPoolMfaConfig).
func TestWizardMFAFactors(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		c := cognito.Caller{Region: testRegion}
		d := newDraft()
		d.PoolName, d.MFA, d.TOTP, d.SMSMFA, d.EmailMFA = "factors", "OPTIONAL", false, true, true
		rec := e.do(t, http.MethodPost, "/console/create", draftForm(d, len(steps)-1, "create"))
		body := rec.Body.String()
		if rec.Code != http.StatusBadRequest || !strings.Contains(body, `data-step="mfa"`) || !strings.Contains(body, `id="error-SnsCallerArn"`) {
			t.Errorf("SMS MFA without an SMS configuration: %d\n%s", rec.Code, body)
		}
		if got := e.poolNames(t); len(got) != 1 {
			t.Errorf("a refused walk-through left pools: %v", got)
		}
		d.SNSRole, d.SNSExternalID = "arn:aws:iam::123456789012:role/sns", "ext"
		rec = e.do(t, http.MethodPost, "/console/create", draftForm(d, stepIndex("mfa"), "next"))
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `data-step="messages"`) {
			t.Fatalf("the MFA step with a role: %d\n%s", rec.Code, rec.Body)
		}
		rec = e.do(t, http.MethodPost, "/console/create", draftForm(d, len(steps)-1, "create"))
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("create: %d\n%s", rec.Code, rec.Body)
		}
		poolID := strings.Split(rec.Header().Get("Location"), "/")[3]
		m, err := e.pools.GetUserPoolMfaConfig(ctx, c, &idp.GetUserPoolMfaConfigRequest{UserPoolId: &poolID})
		if err != nil {
			t.Fatal(err)
		}
		if m.SmsMfaConfiguration == nil || m.SmsMfaConfiguration.SmsConfiguration == nil || cognito.Deref(m.SmsMfaConfiguration.SmsConfiguration.SnsCallerArn) != d.SNSRole ||
			m.EmailMfaConfiguration == nil || cognito.Deref(m.MfaConfiguration) != "OPTIONAL" {
			t.Errorf("GetUserPoolMfaConfig of the pool made: %+v", m)
		}
	})
}
