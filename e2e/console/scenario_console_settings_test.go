package console

import (
	"context"
	"net/url"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/chromedp/chromedp"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// TestConsolePoolSettings walks a pool's "more settings" screen and its
// risk configuration in Chromium, each section saved and read back
// through the AWS SDK (DescribeUserPool, DescribeRiskConfiguration): the
// SMS configuration, account recovery, threat protection, the sign-in
// policy, the custom email sender with its KMS key and the pre token
// generation trigger's version, and an app client's own risk
// configuration (compromised credentials, account takeover actions per
// level, IP exceptions). A refused section shows Cognito's message next
// to it. Then the new forms refused without a session, with another
// operator's CSRF token and from another site, and markup in the values
// shown back escaped, counted.
func TestConsolePoolSettings(t *testing.T) {
	c, tab := consoleOperator(t)
	ctx := context.Background()
	created, err := c.admin.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("settings"), UserPoolTier: types.UserPoolTierTypePlus})
	if err != nil {
		t.Fatal(err)
	}
	poolID := aws.ToString(created.UserPool.Id)
	client, err := c.admin.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: &poolID, ClientName: aws.String("web")})
	if err != nil {
		t.Fatal(err)
	}
	clientID := aws.ToString(client.UserPoolClient.ClientId)
	pool := "/console/pools/" + poolID
	browse(t, tab, c, pool, "more-settings-link")
	clickTo(t, tab, "more-settings-link", "settings-sms")

	const role, fn, key = "arn:aws:iam::123456789012:role/sns", "arn:aws:lambda:us-east-1:123456789012:function:", "arn:aws:kms:us-east-1:123456789012:key/1234"
	submit(t, tab, "the SMS configuration", setValue("sns_caller_arn", role), setValue("external_id", "cognate"), setValue("sns_region", "us-west-2"),
		chromedp.Click(chromedp.ID("save-sms")))
	submit(t, tab, "account recovery", setValue("recovery_1", "verified_phone_number"), setValue("recovery_2", "verified_email"), chromedp.Click(chromedp.ID("save-recovery")))
	submit(t, tab, "threat protection", setValue("security_mode", "ENFORCED"), setValue("custom_auth_mode", "AUDIT"), chromedp.Click(chromedp.ID("save-threat")))
	submit(t, tab, "the sign-in policy", chromedp.Click(chromedp.ID("factor-EMAIL_OTP")), chromedp.Click(chromedp.ID("save-sign-in")))
	submit(t, tab, "the senders", setValue("email_sender_arn", fn+"mail"), setValue("kms_key_id", key), setValue("pre_token_arn", fn+"tokens"),
		setValue("pre_token_version", "V2_0"), chromedp.Click(chromedp.ID("save-senders")))
	consoleScreenshot(t, tab, "console-pool-settings", false)
	d, err := c.admin.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: &poolID})
	if err != nil {
		t.Fatal(err)
	}
	p := d.UserPool
	got := &types.UserPoolType{SmsConfiguration: p.SmsConfiguration, AccountRecoverySetting: p.AccountRecoverySetting, UserPoolAddOns: p.UserPoolAddOns,
		Policies: &types.UserPoolPolicyType{SignInPolicy: p.Policies.SignInPolicy}, LambdaConfig: p.LambdaConfig}
	want := &types.UserPoolType{
		SmsConfiguration: &types.SmsConfigurationType{SnsCallerArn: aws.String(role), ExternalId: aws.String("cognate"), SnsRegion: aws.String("us-west-2")},
		AccountRecoverySetting: &types.AccountRecoverySettingType{RecoveryMechanisms: []types.RecoveryOptionType{
			{Priority: aws.Int32(1), Name: types.RecoveryOptionNameTypeVerifiedPhoneNumber}, {Priority: aws.Int32(2), Name: types.RecoveryOptionNameTypeVerifiedEmail}}},
		UserPoolAddOns: &types.UserPoolAddOnsType{AdvancedSecurityMode: types.AdvancedSecurityModeTypeEnforced,
			AdvancedSecurityAdditionalFlows: &types.AdvancedSecurityAdditionalFlowsType{CustomAuthMode: types.AdvancedSecurityEnabledModeTypeAudit}},
		Policies: &types.UserPoolPolicyType{SignInPolicy: &types.SignInPolicyType{AllowedFirstAuthFactors: []types.AuthFactorType{types.AuthFactorTypePassword, types.AuthFactorTypeEmailOtp}}},
		LambdaConfig: &types.LambdaConfigType{
			CustomEmailSender: &types.CustomEmailLambdaVersionConfigType{LambdaArn: aws.String(fn + "mail"), LambdaVersion: types.CustomEmailSenderLambdaVersionTypeV10},
			KMSKeyID:          aws.String(key), PreTokenGeneration: aws.String(fn + "tokens"),
			PreTokenGenerationConfig: &types.PreTokenGenerationVersionConfigType{LambdaArn: aws.String(fn + "tokens"), LambdaVersion: types.PreTokenGenerationLambdaVersionTypeV20}},
	}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreUnexported(types.UserPoolType{}, types.SmsConfigurationType{}, types.AccountRecoverySettingType{},
		types.RecoveryOptionType{}, types.UserPoolAddOnsType{}, types.AdvancedSecurityAdditionalFlowsType{}, types.UserPoolPolicyType{}, types.SignInPolicyType{},
		types.LambdaConfigType{}, types.CustomEmailLambdaVersionConfigType{}, types.PreTokenGenerationVersionConfigType{})); diff != "" {
		t.Errorf("DescribeUserPool after the screen (-want +got):\n%s", diff)
	}
	// Cognito's rule, next to the section, and nothing changed.
	if err := chromedp.Do(tab, setValue("recovery_1", "admin_only"), nextPage("#error-recovery", chromedp.Click(chromedp.ID("save-recovery")))); err != nil {
		t.Fatalf("a refused recovery setting: %v\n%s", err, pageText(tab))
	}
	if d, err := c.admin.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: &poolID}); err != nil || len(d.UserPool.AccountRecoverySetting.RecoveryMechanisms) != 2 ||
		d.UserPool.AccountRecoverySetting.RecoveryMechanisms[0].Name != types.RecoveryOptionNameTypeVerifiedPhoneNumber {
		t.Errorf("a refused recovery setting changed the pool: %v", err)
	}

	// The app client's own risk configuration.
	browse(t, tab, c, pool+"/risk", "risk-client")
	if err := chromedp.Do(tab, setValue("risk-client", clientID), nextPage("#risk-inherited", chromedp.Click(chromedp.ID("risk-client-submit")))); err != nil {
		t.Fatalf("the client's risk configuration: %v\n%s", err, pageText(tab))
	}
	submit(t, tab, "the client's risk configuration", chromedp.Click(chromedp.ID("cc_enabled")), chromedp.Click(chromedp.ID("cc_event-SIGN_IN")),
		chromedp.Click(chromedp.ID("cc_event-PASSWORD_CHANGE")), setValue("cc_action", "NO_ACTION"), chromedp.Click(chromedp.ID("ato_enabled")),
		setValue("ato_low_action", "NO_ACTION"), setValue("ato_medium_action", "MFA_IF_CONFIGURED"), setValue("ato_high_action", "BLOCK"),
		setValue("ip_blocked", "192.0.2.0/24"), setValue("ip_skipped", "198.51.100.0/24\n203.0.113.9/32"), chromedp.Click(chromedp.ID("save-risk")))
	consoleScreenshot(t, tab, "console-risk", false)
	rc, err := c.admin.DescribeRiskConfiguration(ctx, &cip.DescribeRiskConfigurationInput{UserPoolId: &poolID, ClientId: &clientID})
	if err != nil {
		t.Fatal(err)
	}
	action := func(a types.AccountTakeoverEventActionType) *types.AccountTakeoverActionType {
		return &types.AccountTakeoverActionType{EventAction: a, Notify: false}
	}
	wantRC := &types.RiskConfigurationType{UserPoolId: &poolID, ClientId: &clientID,
		CompromisedCredentialsRiskConfiguration: &types.CompromisedCredentialsRiskConfigurationType{
			EventFilter: []types.EventFilterType{types.EventFilterTypeSignIn, types.EventFilterTypePasswordChange},
			Actions:     &types.CompromisedCredentialsActionsType{EventAction: types.CompromisedCredentialsEventActionTypeNoAction}},
		AccountTakeoverRiskConfiguration: &types.AccountTakeoverRiskConfigurationType{Actions: &types.AccountTakeoverActionsType{
			LowAction: action(types.AccountTakeoverEventActionTypeNoAction), MediumAction: action(types.AccountTakeoverEventActionTypeMfaIfConfigured),
			HighAction: action(types.AccountTakeoverEventActionTypeBlock)}},
		RiskExceptionConfiguration: &types.RiskExceptionConfigurationType{BlockedIPRangeList: []string{"192.0.2.0/24"}, SkippedIPRangeList: []string{"198.51.100.0/24", "203.0.113.9/32"}}}
	if diff := cmp.Diff(wantRC, rc.RiskConfiguration, cmpopts.IgnoreFields(types.RiskConfigurationType{}, "LastModifiedDate"), cmpopts.IgnoreUnexported(
		types.RiskConfigurationType{}, types.CompromisedCredentialsRiskConfigurationType{}, types.CompromisedCredentialsActionsType{},
		types.AccountTakeoverRiskConfigurationType{}, types.AccountTakeoverActionsType{}, types.AccountTakeoverActionType{}, types.RiskExceptionConfigurationType{})); diff != "" {
		t.Errorf("DescribeRiskConfiguration of the client (-want +got):\n%s", diff)
	}

	// The forms, refused without a session, a CSRF token of this session,
	// or from another site.
	settings := pool + "/settings"
	refused := consoleRefusals(t, c, tab, settings, `#settings-sms input[name=csrf]`, []consoleForm{
		{settings, url.Values{"section": {"sms"}}},
		{settings, url.Values{"section": {"recovery"}, "recovery_1": {"admin_only"}}},
		{settings, url.Values{"section": {"threat"}, "security_mode": {"OFF"}}},
		{settings, url.Values{"section": {"sign-in"}, "factor": {"PASSWORD"}}},
		{settings, url.Values{"section": {"senders"}}},
		{pool + "/risk", url.Values{"client": {clientID}}},
	})
	if d2, err := c.admin.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: &poolID}); err != nil || d2.UserPool.SmsConfiguration == nil ||
		d2.UserPool.UserPoolAddOns.AdvancedSecurityMode != types.AdvancedSecurityModeTypeEnforced || d2.UserPool.LambdaConfig.CustomEmailSender == nil {
		t.Errorf("a refused form changed the pool: %v", err)
	}
	// Markup in the values the screens show back.
	markup := `"><img src=x onerror="document.title='pwned'"><script>document.title='pwned'</script>`
	if _, err := c.admin.UpdateUserPool(ctx, &cip.UpdateUserPoolInput{UserPoolId: &poolID, UserPoolTier: types.UserPoolTierTypePlus,
		UserPoolAddOns: p.UserPoolAddOns, SmsConfiguration: &types.SmsConfigurationType{SnsCallerArn: aws.String(role), ExternalId: aws.String(markup)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.admin.SetRiskConfiguration(ctx, &cip.SetRiskConfigurationInput{UserPoolId: &poolID, ClientId: &clientID,
		AccountTakeoverRiskConfiguration: &types.AccountTakeoverRiskConfigurationType{
			Actions: &types.AccountTakeoverActionsType{HighAction: &types.AccountTakeoverActionType{EventAction: types.AccountTakeoverEventActionTypeBlock}},
			NotifyConfiguration: &types.NotifyConfigurationType{SourceArn: aws.String("arn:aws:ses:us-east-1:123456789012:identity/example.com"),
				From: aws.String("noreply@example.com"), ReplyTo: aws.String(markup)}}}); err != nil {
		t.Logf("SetRiskConfiguration with markup in ReplyTo: %v", err)
	}
	escaped := 0
	for _, path := range []string{settings, pool + "/risk?client=" + url.QueryEscape(clientID)} {
		if markupOnPage(t, tab, c.URL+path) {
			t.Errorf("%s: markup ran or was rendered", path)
		} else {
			escaped++
		}
	}
	if v, err := chromedp.Run(tab, chromedp.Value(chromedp.ID("notify_reply_to"))); err == nil && v == markup {
		escaped++
	}
	browse(t, tab, c, settings, "settings-sms")
	if v, err := chromedp.Run(tab, chromedp.Value(chromedp.ID("external_id"))); err != nil || v != markup {
		t.Errorf("the external ID shown as %q (%v)", v, err)
	} else {
		escaped++
	}
	t.Logf("console pool settings: refused %v; %d pages and fields with markup in what they show back shown escaped", refused, escaped)
}
