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

// TestPoolEdit saves a pool's settings through the console's form, with
// UpdateUserPool: refused values come back next to their field and
// change nothing; accepted ones read back through the engine, and the
// settings the form does not show are kept.
func TestPoolEdit(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		c := cognito.Caller{Region: testRegion}
		pool, err := e.pools.CreateUserPool(ctx, c, &idp.CreateUserPoolRequest{PoolName: cognito.Ptr("editable"),
			AccountRecoverySetting: &idp.AccountRecoverySettingType{RecoveryMechanisms: []idp.RecoveryOptionType{{Name: cognito.Ptr(idp.RecoveryOptionNameType("admin_only")), Priority: cognito.Ptr(int32(1))}}},
			AutoVerifiedAttributes: []idp.VerifiedAttributeType{"email"}})
		if err != nil {
			t.Fatal(err)
		}
		poolID := cognito.Deref(pool.UserPool.Id)
		path := "/console/pools/" + poolID + "/edit"
		if rec := e.do(t, http.MethodGet, path, nil); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `id="edit-pool"`) {
			t.Fatalf("the edit page: %d\n%s", rec.Code, rec.Body)
		}
		form := url.Values{"pool_name": {"edited"}, "min_length": {"12"}, "history_size": {"0"}, "temp_days": {"5"}, "upper": {"1"}, "numbers": {"1"},
			"admin_only": {"1"}, "invite_subject": {"Welcome"}, "invite_email": {"Hi {username}, use {####}"}, "invite_sms": {"{username} {####}"},
			"mfa": {"OFF"}, "auto_verify": {"email"}, "verify_before_update": {"email"}, "email_option": {"CONFIRM_WITH_CODE"},
			"email_subject": {"Your code"}, "email_message": {"Code {####}"}, "sms_message": {"SMS code {####}"}, "sms_auth_message": {"MFA {####}"},
			"email_from": {"Team <no-reply@example.com>"}, "reply_to": {"help@example.com"}, "devices": {"opt-in"}, "device_challenge": {"1"},
			"deletion_protection": {"1"}, "tags": {"team=identity\nenv=test"},
			"trigger_PreSignUp": {"arn:aws:lambda:us-east-1:123456789012:function:pre"}}
		bad := url.Values{}
		for k, v := range form {
			bad[k] = v
		}
		bad.Set("min_length", "3")
		if rec := e.do(t, http.MethodPost, path, bad); rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), `id="error-MinimumLength"`) {
			t.Errorf("a minimum length of 3: %d\n%s", rec.Code, rec.Body)
		}
		bad.Set("min_length", "12")
		bad.Set("email_message", "no code here")
		if rec := e.do(t, http.MethodPost, path, bad); rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), `class="field-error"`) {
			t.Errorf("a verification message without {####}: %d\n%s", rec.Code, rec.Body)
		}
		if d, _ := e.pools.DescribeUserPool(ctx, c, &idp.DescribeUserPoolRequest{UserPoolId: &poolID}); cognito.Deref(d.UserPool.Name) != "editable" {
			t.Fatalf("a refused form changed the pool: %q", cognito.Deref(d.UserPool.Name))
		}
		if rec := e.do(t, http.MethodPost, path, form); rec.Code != http.StatusSeeOther {
			t.Fatalf("save: %d\n%s", rec.Code, rec.Body)
		}
		d, err := e.pools.DescribeUserPool(ctx, c, &idp.DescribeUserPoolRequest{UserPoolId: &poolID})
		if err != nil {
			t.Fatal(err)
		}
		p := d.UserPool
		pp := p.Policies.PasswordPolicy
		got := map[string]any{"name": cognito.Deref(p.Name), "min": cognito.Deref(pp.MinimumLength), "temp": cognito.Deref(pp.TemporaryPasswordValidityDays),
			"upper": cognito.Deref(pp.RequireUppercase), "lower": cognito.Deref(pp.RequireLowercase), "numbers": cognito.Deref(pp.RequireNumbers), "symbols": cognito.Deref(pp.RequireSymbols),
			"adminOnly": cognito.Deref(p.AdminCreateUserConfig.AllowAdminCreateUserOnly), "invite": cognito.Deref(p.AdminCreateUserConfig.InviteMessageTemplate.EmailMessage),
			"verifyBefore": p.UserAttributeUpdateSettings.AttributesRequireVerificationBeforeUpdate, "subject": cognito.Deref(p.VerificationMessageTemplate.EmailSubject),
			"message": cognito.Deref(p.EmailVerificationMessage), "sms": cognito.Deref(p.VerificationMessageTemplate.SmsMessage), "mfaSMS": cognito.Deref(p.SmsAuthenticationMessage),
			"from": cognito.Deref(p.EmailConfiguration.From), "replyTo": cognito.Deref(p.EmailConfiguration.ReplyToEmailAddress),
			"prompt": cognito.Deref(p.DeviceConfiguration.DeviceOnlyRememberedOnUserPrompt), "challenge": cognito.Deref(p.DeviceConfiguration.ChallengeRequiredOnNewDevice),
			"protection": cognito.Deref(p.DeletionProtection), "tags": p.UserPoolTags, "preSignUp": cognito.Deref(p.LambdaConfig.PreSignUp),
			"recovery": cognito.Deref(p.AccountRecoverySetting.RecoveryMechanisms[0].Name)}
		want := map[string]any{"name": "edited", "min": int32(12), "temp": int32(5), "upper": true, "lower": false, "numbers": true, "symbols": false,
			"adminOnly": true, "invite": "Hi {username}, use {####}", "verifyBefore": []idp.VerifiedAttributeType{"email"}, "subject": "Your code",
			"message": "Code {####}", "sms": "SMS code {####}", "mfaSMS": "MFA {####}", "from": "Team <no-reply@example.com>", "replyTo": "help@example.com",
			"prompt": true, "challenge": true, "protection": idp.DeletionProtectionType("ACTIVE"), "tags": map[string]string{"team": "identity", "env": "test"},
			"preSignUp": "arn:aws:lambda:us-east-1:123456789012:function:pre", "recovery": idp.RecoveryOptionNameType("admin_only")}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("after save (-want +got):\n%s", diff)
		}
		// The page shows what was saved, and saving it again unchanged
		// changes nothing.
		rec := e.do(t, http.MethodGet, path, nil)
		if body := rec.Body.String(); !strings.Contains(body, `value="Team &lt;no-reply@example.com&gt;"`) || !strings.Contains(body, "team=identity") {
			t.Errorf("the edit page after save:\n%s", body)
		}
		if _, err := e.pools.DeleteUserPool(ctx, c, &idp.DeleteUserPoolRequest{UserPoolId: &poolID}); err == nil {
			t.Error("deletion protection is not on")
		}
	})
}
