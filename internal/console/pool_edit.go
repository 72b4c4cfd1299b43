package console

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
)

// poolForm is a pool's editable settings as the form holds them.
type poolForm struct {
	PoolName                               string
	MinLength, HistorySize, TempDays       string
	Upper, Lower, Numbers, Symbols         bool
	AdminOnly                              bool
	InviteSubject, InviteEmail, InviteSMS  string
	MFA                                    string
	AutoVerify, VerifyBeforeUpdate         []string
	EmailOption                            string
	EmailSubject, EmailMessage, SMSMessage string
	LinkSubject, LinkMessage               string
	SMSAuthMessage                         string
	EmailFrom, ReplyTo                     string
	Devices                                string
	DeviceChallenge                        bool
	DeletionProtection                     bool
	Tags                                   string
	Triggers                               map[string]string
	TriggerNames                           []string
}

// poolEditFields are the request members UpdateUserPool's messages may
// name, each next to its part of the form.
var poolEditFields = []string{"PoolName", "MinimumLength", "PasswordHistorySize", "TemporaryPasswordValidityDays", "PasswordPolicy",
	"InviteMessageTemplate", "AdminCreateUserConfig", "MfaConfiguration", "AttributesRequireVerificationBeforeUpdate", "AutoVerifiedAttributes",
	"EmailMessageByLink", "EmailSubjectByLink", "VerificationMessageTemplate", "DefaultEmailOption", "EmailMessage", "EmailSubject", "SmsMessage",
	"SmsAuthenticationMessage", "ReplyToEmailAddress", "EmailConfiguration", "DeviceConfiguration", "DeletionProtection", "UserPoolTags", "LambdaConfig"}

func poolFormOf(p *idp.UserPoolType) poolForm {
	f := poolForm{PoolName: cognito.Deref(p.Name), MFA: "OFF", EmailOption: "CONFIRM_WITH_CODE", Devices: "off",
		Triggers: map[string]string{}, TriggerNames: triggerNames}
	if p.Policies != nil && p.Policies.PasswordPolicy != nil {
		pp := p.Policies.PasswordPolicy
		f.MinLength, f.HistorySize, f.TempDays = itoa(pp.MinimumLength), itoa(pp.PasswordHistorySize), itoa(pp.TemporaryPasswordValidityDays)
		f.Upper, f.Lower, f.Numbers, f.Symbols = cognito.Deref(pp.RequireUppercase), cognito.Deref(pp.RequireLowercase), cognito.Deref(pp.RequireNumbers), cognito.Deref(pp.RequireSymbols)
	}
	if a := p.AdminCreateUserConfig; a != nil {
		f.AdminOnly = cognito.Deref(a.AllowAdminCreateUserOnly)
		if t := a.InviteMessageTemplate; t != nil {
			f.InviteSubject, f.InviteEmail, f.InviteSMS = cognito.Deref(t.EmailSubject), cognito.Deref(t.EmailMessage), cognito.Deref(t.SMSMessage)
		}
	}
	if p.MfaConfiguration != nil {
		f.MFA = string(*p.MfaConfiguration)
	}
	for _, a := range p.AutoVerifiedAttributes {
		f.AutoVerify = append(f.AutoVerify, string(a))
	}
	if u := p.UserAttributeUpdateSettings; u != nil {
		for _, a := range u.AttributesRequireVerificationBeforeUpdate {
			f.VerifyBeforeUpdate = append(f.VerifyBeforeUpdate, string(a))
		}
	}
	if t := p.VerificationMessageTemplate; t != nil {
		if t.DefaultEmailOption != nil {
			f.EmailOption = string(*t.DefaultEmailOption)
		}
		f.EmailSubject, f.EmailMessage, f.SMSMessage = cognito.Deref(t.EmailSubject), cognito.Deref(t.EmailMessage), cognito.Deref(t.SmsMessage)
		f.LinkSubject, f.LinkMessage = cognito.Deref(t.EmailSubjectByLink), cognito.Deref(t.EmailMessageByLink)
	}
	f.SMSAuthMessage = cognito.Deref(p.SmsAuthenticationMessage)
	if e := p.EmailConfiguration; e != nil {
		f.EmailFrom, f.ReplyTo = cognito.Deref(e.From), cognito.Deref(e.ReplyToEmailAddress)
	}
	if d := p.DeviceConfiguration; d != nil {
		f.Devices = "always"
		if cognito.Deref(d.DeviceOnlyRememberedOnUserPrompt) {
			f.Devices = "opt-in"
		}
		f.DeviceChallenge = cognito.Deref(d.ChallengeRequiredOnNewDevice)
	}
	f.DeletionProtection = cognito.Deref(p.DeletionProtection) == "ACTIVE"
	keys := make([]string, 0, len(p.UserPoolTags))
	for k := range p.UserPoolTags {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var tags []string
	for _, k := range keys {
		tags = append(tags, k+"="+p.UserPoolTags[k])
	}
	f.Tags = strings.Join(tags, "\n")
	if p.LambdaConfig != nil {
		for _, n := range triggerNames {
			if v := lambdaMember(p.LambdaConfig, n); *v != nil {
				f.Triggers[n] = **v
			}
		}
	}
	return f
}

func parsePoolForm(r *http.Request) poolForm {
	f := formValues{r}
	out := poolForm{PoolName: f.s("pool_name"), MinLength: f.s("min_length"), HistorySize: f.s("history_size"), TempDays: f.s("temp_days"),
		Upper: f.b("upper"), Lower: f.b("lower"), Numbers: f.b("numbers"), Symbols: f.b("symbols"), AdminOnly: f.b("admin_only"),
		InviteSubject: f.raw("invite_subject"), InviteEmail: f.raw("invite_email"), InviteSMS: f.raw("invite_sms"),
		MFA: f.s("mfa"), AutoVerify: f.list("auto_verify"), VerifyBeforeUpdate: f.list("verify_before_update"),
		EmailOption: f.s("email_option"), EmailSubject: f.raw("email_subject"), EmailMessage: f.raw("email_message"), SMSMessage: f.raw("sms_message"),
		LinkSubject: f.raw("link_subject"), LinkMessage: f.raw("link_message"), SMSAuthMessage: f.raw("sms_auth_message"),
		EmailFrom: f.s("email_from"), ReplyTo: f.s("reply_to"), Devices: f.s("devices"), DeviceChallenge: f.b("device_challenge"),
		DeletionProtection: f.b("deletion_protection"), Tags: f.raw("tags"), Triggers: map[string]string{}, TriggerNames: triggerNames}
	for _, n := range triggerNames {
		if v := f.s("trigger_" + n); v != "" {
			out.Triggers[n] = v
		}
	}
	return out
}

// lambdaMember is the LambdaConfig member of trigger name.
func lambdaMember(l *idp.LambdaConfigType, name string) **string {
	switch name {
	case "PreSignUp":
		return &l.PreSignUp
	case "CustomMessage":
		return &l.CustomMessage
	case "PostConfirmation":
		return &l.PostConfirmation
	case "PreAuthentication":
		return &l.PreAuthentication
	case "PostAuthentication":
		return &l.PostAuthentication
	case "DefineAuthChallenge":
		return &l.DefineAuthChallenge
	case "CreateAuthChallenge":
		return &l.CreateAuthChallenge
	case "VerifyAuthChallengeResponse":
		return &l.VerifyAuthChallengeResponse
	case "PreTokenGeneration":
		return &l.PreTokenGeneration
	default:
		return &l.UserMigration
	}
}

// apply sets up's members to the form's settings; the members the form
// does not show (SMS configuration, account recovery, add-ons, the sign-in
// policy, the custom senders, …) keep what the pool has.
func (f poolForm) apply(up *idp.UpdateUserPoolRequest) error {
	up.PoolName = &f.PoolName
	if up.Policies == nil {
		up.Policies = &idp.UserPoolPolicyType{}
	}
	pp := &idp.PasswordPolicyType{RequireUppercase: &f.Upper, RequireLowercase: &f.Lower, RequireNumbers: &f.Numbers, RequireSymbols: &f.Symbols}
	var err error
	if pp.MinimumLength, err = number(f.MinLength, "policies.passwordPolicy.minimumLength"); err != nil {
		return err
	}
	if pp.PasswordHistorySize, err = number(f.HistorySize, "policies.passwordPolicy.passwordHistorySize"); err != nil {
		return err
	}
	if pp.TemporaryPasswordValidityDays, err = number(f.TempDays, "policies.passwordPolicy.temporaryPasswordValidityDays"); err != nil {
		return err
	}
	up.Policies.PasswordPolicy = pp
	if up.AdminCreateUserConfig == nil {
		up.AdminCreateUserConfig = &idp.AdminCreateUserConfigType{}
	}
	up.AdminCreateUserConfig.AllowAdminCreateUserOnly = &f.AdminOnly
	// DescribeUserPool answers the older member too; the policy's is the
	// one the form shows.
	up.AdminCreateUserConfig.UnusedAccountValidityDays = nil
	up.AdminCreateUserConfig.InviteMessageTemplate = &idp.MessageTemplateType{EmailSubject: nonEmpty(f.InviteSubject),
		EmailMessage: nonEmpty(f.InviteEmail), SMSMessage: nonEmpty(f.InviteSMS)}
	if f.MFA != "" {
		m := idp.UserPoolMfaType(f.MFA)
		up.MfaConfiguration = &m
	}
	up.AutoVerifiedAttributes = nil
	for _, a := range f.AutoVerify {
		up.AutoVerifiedAttributes = append(up.AutoVerifiedAttributes, idp.VerifiedAttributeType(a))
	}
	up.UserAttributeUpdateSettings = &idp.UserAttributeUpdateSettingsType{AttributesRequireVerificationBeforeUpdate: []idp.VerifiedAttributeType{}}
	for _, a := range f.VerifyBeforeUpdate {
		up.UserAttributeUpdateSettings.AttributesRequireVerificationBeforeUpdate = append(up.UserAttributeUpdateSettings.AttributesRequireVerificationBeforeUpdate, idp.VerifiedAttributeType(a))
	}
	// The template only: the older top-level members would have to agree.
	up.SmsVerificationMessage, up.EmailVerificationMessage, up.EmailVerificationSubject = nil, nil, nil
	opt := idp.DefaultEmailOptionType(f.EmailOption)
	up.VerificationMessageTemplate = &idp.VerificationMessageTemplateType{DefaultEmailOption: &opt,
		EmailSubject: nonEmpty(f.EmailSubject), EmailMessage: nonEmpty(f.EmailMessage), SmsMessage: nonEmpty(f.SMSMessage),
		EmailSubjectByLink: nonEmpty(f.LinkSubject), EmailMessageByLink: nonEmpty(f.LinkMessage)}
	if f.EmailOption == "" {
		up.VerificationMessageTemplate.DefaultEmailOption = nil
	}
	up.SmsAuthenticationMessage = nonEmpty(f.SMSAuthMessage)
	if up.EmailConfiguration == nil {
		up.EmailConfiguration = &idp.EmailConfigurationType{}
	}
	up.EmailConfiguration.From, up.EmailConfiguration.ReplyToEmailAddress = nonEmpty(f.EmailFrom), nonEmpty(f.ReplyTo)
	switch f.Devices {
	case "always", "opt-in":
		up.DeviceConfiguration = &idp.DeviceConfigurationType{ChallengeRequiredOnNewDevice: &f.DeviceChallenge,
			DeviceOnlyRememberedOnUserPrompt: cognito.Ptr(f.Devices == "opt-in")}
	default:
		up.DeviceConfiguration = nil
	}
	dp := idp.DeletionProtectionType("INACTIVE")
	if f.DeletionProtection {
		dp = "ACTIVE"
	}
	up.DeletionProtection = &dp
	up.UserPoolTags = parseTags(f.Tags)
	if up.LambdaConfig == nil {
		up.LambdaConfig = &idp.LambdaConfigType{}
	}
	for _, n := range triggerNames {
		*lambdaMember(up.LambdaConfig, n) = nonEmpty(f.Triggers[n])
	}
	if c := up.LambdaConfig.PreTokenGenerationConfig; c != nil {
		// The versioned member names the same function.
		if up.LambdaConfig.PreTokenGeneration == nil {
			up.LambdaConfig.PreTokenGenerationConfig = nil
		} else {
			c.LambdaArn = cognito.Ptr(*up.LambdaConfig.PreTokenGeneration)
		}
	}
	return nil
}

// poolUpdateRequest is an UpdateUserPool request that keeps every setting
// of p (UpdateUserPool resets what it does not name).
func poolUpdateRequest(p *idp.UserPoolType) (*idp.UpdateUserPoolRequest, error) {
	raw, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	var up idp.UpdateUserPoolRequest
	if err := json.Unmarshal(raw, &up); err != nil {
		return nil, err
	}
	up.UserPoolId = p.Id
	return &up, nil
}

type poolEditData struct {
	PoolID string
	Form   poolForm
	// Attributes are those AutoVerifiedAttributes may name.
	Attributes []string
}

// poolEdit shows and saves a pool's settings with UpdateUserPool: every
// setting Cognito lets a pool change after creation that the form shows;
// the sign-in identifiers and the schema's standard attributes cannot
// change, as in Cognito.
func (c *Console) poolEdit(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	poolID := r.PathValue("pool")
	desc, err := c.opts.Pools.DescribeUserPool(ctx, c.caller(), &idp.DescribeUserPoolRequest{UserPoolId: &poolID})
	if err != nil {
		c.fail(w, r, "error", page{Title: "User pool"}, err)
		return
	}
	d := &poolEditData{PoolID: poolID, Form: poolFormOf(desc.UserPool), Attributes: []string{"email", "phone_number"}}
	p := page{Title: "Edit " + cognito.Deref(desc.UserPool.Name), Data: d}
	if r.Method == http.MethodGet {
		c.render(w, r, http.StatusOK, "pooledit", p)
		return
	}
	d.Form = parsePoolForm(r)
	up, err := poolUpdateRequest(desc.UserPool)
	if err == nil {
		err = d.Form.apply(up)
	}
	if err == nil {
		err = up.Validate()
	}
	if err == nil {
		_, err = c.opts.Pools.UpdateUserPool(as(ctx, "UpdateUserPool"), c.caller(), up)
	}
	if err != nil {
		c.fail(w, r, "pooledit", p, err, poolEditFields...)
		return
	}
	c.audit(r, "UpdateUserPool", "pool", poolID)
	http.Redirect(w, r, "/console/pools/"+url.PathEscape(poolID)+"?saved=1", http.StatusSeeOther)
}
