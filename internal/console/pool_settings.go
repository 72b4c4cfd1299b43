package console

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
)

// This file is a pool's "more settings" screen: the UpdateUserPool
// members the main settings form keeps as they are (the SMS
// configuration, account recovery, threat protection, the sign-in
// policy, the custom senders and the pre token generation trigger's
// version). Each section is its own form; each saves with UpdateUserPool,
// its request made from DescribeUserPool's answer with only the section's
// members changed, so that the rest of the pool stays as it is.

// poolSettingsData is what the screen shows: the pool and the section a
// refused request came from.
type poolSettingsData struct {
	PoolID string
	Pool   *idp.UserPoolType
	// Recovery are the pool's recovery mechanisms in priority order.
	Recovery []string
	// Factors are the first factors choice-based sign-in may offer.
	Factors []string
	// Section is the section of a refused form, whose error is shown
	// next to it.
	Section string
	// Form holds what a refused form sent, shown again in its section.
	Form url.Values
}

// firstFactors are the AllowedFirstAuthFactors the sign-in policy may
// name, in the order the form shows them.
var firstFactors = []string{"PASSWORD", "EMAIL_OTP", "SMS_OTP", "WEB_AUTHN"}

// poolSettingsSections are the sections of the screen.
var poolSettingsSections = map[string]bool{"sms": true, "recovery": true, "threat": true, "sign-in": true, "senders": true}

// poolSettings shows the screen and saves one of its sections.
func (c *Console) poolSettings(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	poolID := r.PathValue("pool")
	desc, err := c.opts.Pools.DescribeUserPool(ctx, c.caller(), &idp.DescribeUserPoolRequest{UserPoolId: &poolID})
	if err != nil {
		c.fail(w, r, "error", page{Title: "User pool"}, err)
		return
	}
	d := settingsData(poolID, desc.UserPool)
	p := page{Title: "More settings of " + cognito.Deref(desc.UserPool.Name), Data: d}
	if r.Method == http.MethodGet {
		if poolSettingsSections[r.URL.Query().Get("saved")] {
			p.Notice = "The settings were saved."
		}
		c.render(w, r, http.StatusOK, "poolsettings", p)
		return
	}
	section := formValues{r}.s("section")
	if _, ok := poolSettingsSections[section]; !ok {
		http.NotFound(w, r)
		return
	}
	up, err := poolUpdateRequest(desc.UserPool)
	if err == nil {
		err = applySettings(section, formValues{r}, up)
	}
	if err == nil {
		err = up.Validate()
	}
	if err == nil {
		_, err = c.opts.Pools.UpdateUserPool(as(ctx, "UpdateUserPool"), c.caller(), up)
	}
	if err != nil {
		d.Section, d.Form = section, r.PostForm
		c.failSection(w, r, "poolsettings", p, err, section)
		return
	}
	c.audit(r, "UpdateUserPool", "pool", poolID, "section", section)
	http.Redirect(w, r, "/console/pools/"+url.PathEscape(poolID)+"/settings?saved="+url.QueryEscape(section)+"#"+section+"-section", http.StatusSeeOther)
}

// settingsData is the screen's data for pool p.
func settingsData(poolID string, p *idp.UserPoolType) *poolSettingsData {
	d := &poolSettingsData{PoolID: poolID, Pool: p, Factors: firstFactors}
	if a := p.AccountRecoverySetting; a != nil {
		ms := append([]idp.RecoveryOptionType{}, a.RecoveryMechanisms...)
		// In priority order.
		for i := 1; i < len(ms); i++ {
			for j := i; j > 0 && cognito.Deref(ms[j].Priority) < cognito.Deref(ms[j-1].Priority); j-- {
				ms[j], ms[j-1] = ms[j-1], ms[j]
			}
		}
		for _, m := range ms {
			d.Recovery = append(d.Recovery, string(cognito.Deref(m.Name)))
		}
	}
	return d
}

// applySettings sets the members of section from the form f on up.
func applySettings(section string, f formValues, up *idp.UpdateUserPoolRequest) error {
	switch section {
	case "sms":
		if f.s("sns_caller_arn") == "" && f.s("external_id") == "" && f.s("sns_region") == "" {
			up.SmsConfiguration = nil
			break
		}
		sms := &idp.SmsConfigurationType{}
		if up.SmsConfiguration != nil {
			sms.EumsSms = up.SmsConfiguration.EumsSms
		}
		sms.SnsCallerArn, sms.ExternalId, sms.SnsRegion = cognito.Ptr(f.s("sns_caller_arn")), nonEmpty(f.s("external_id")), nonEmpty(f.s("sns_region"))
		up.SmsConfiguration = sms
	case "recovery":
		var ms []idp.RecoveryOptionType
		for i, name := range []string{f.s("recovery_1"), f.s("recovery_2")} {
			if name == "" || name == "none" {
				continue
			}
			ms = append(ms, idp.RecoveryOptionType{Priority: cognito.Ptr(int32(i + 1)), Name: cognito.Ptr(idp.RecoveryOptionNameType(name))})
		}
		if len(ms) == 0 {
			up.AccountRecoverySetting = nil
			break
		}
		up.AccountRecoverySetting = &idp.AccountRecoverySettingType{RecoveryMechanisms: ms}
	case "threat":
		addOns := &idp.UserPoolAddOnsType{AdvancedSecurityMode: cognito.Ptr(idp.AdvancedSecurityModeType(f.s("security_mode")))}
		if m := f.s("custom_auth_mode"); m != "" {
			addOns.AdvancedSecurityAdditionalFlows = &idp.AdvancedSecurityAdditionalFlowsType{
				CustomAuthMode: cognito.Ptr(idp.AdvancedSecurityEnabledModeType(m))}
		}
		up.UserPoolAddOns = addOns
	case "sign-in":
		if up.Policies == nil {
			up.Policies = &idp.UserPoolPolicyType{}
		}
		factors := []idp.AuthFactorType{}
		for _, v := range f.list("factor") {
			factors = append(factors, idp.AuthFactorType(v))
		}
		up.Policies.SignInPolicy = &idp.SignInPolicyType{AllowedFirstAuthFactors: factors}
	case "senders":
		if up.LambdaConfig == nil {
			up.LambdaConfig = &idp.LambdaConfigType{}
		}
		l := up.LambdaConfig
		l.CustomEmailSender, l.CustomSMSSender = nil, nil
		if arn := f.s("email_sender_arn"); arn != "" {
			l.CustomEmailSender = &idp.CustomEmailLambdaVersionConfigType{LambdaArn: &arn,
				LambdaVersion: cognito.Ptr(idp.CustomEmailSenderLambdaVersionType(f.s("email_sender_version")))}
		}
		if arn := f.s("sms_sender_arn"); arn != "" {
			l.CustomSMSSender = &idp.CustomSMSLambdaVersionConfigType{LambdaArn: &arn,
				LambdaVersion: cognito.Ptr(idp.CustomSMSSenderLambdaVersionType(f.s("sms_sender_version")))}
		}
		l.KMSKeyID = nonEmpty(f.s("kms_key_id"))
		l.PreTokenGeneration, l.PreTokenGenerationConfig = nil, nil
		if arn := f.s("pre_token_arn"); arn != "" {
			// The versioned member and the older one name the same
			// function.
			l.PreTokenGeneration = &arn
			l.PreTokenGenerationConfig = &idp.PreTokenGenerationVersionConfigType{LambdaArn: cognito.Ptr(arn),
				LambdaVersion: cognito.Ptr(idp.PreTokenGenerationLambdaVersionType(f.s("pre_token_version")))}
		}
	}
	return nil
}

// failSection shows page name again with err's message next to the
// section whose form was refused.
func (c *Console) failSection(w http.ResponseWriter, r *http.Request, name string, p page, err error, section string) {
	code, msg := message(err)
	status := http.StatusInternalServerError
	var ce *cognito.Error
	if errors.As(err, &ce) {
		status = ce.Status
	} else {
		c.log.ErrorContext(r.Context(), "console action failed", "err", err)
	}
	p.FieldErrors = map[string]string{section: code + ": " + msg}
	c.render(w, r, status, name, p)
}

// Value is the pool's current value of the screen's field name, or what
// the refused form of section sent for it.
func (d *poolSettingsData) Value(section, name string) string {
	if d.Section == section && d.Form != nil {
		return d.Form.Get(name)
	}
	p := d.Pool
	l := p.LambdaConfig
	if l == nil {
		l = &idp.LambdaConfigType{}
	}
	sms := p.SmsConfiguration
	if sms == nil {
		sms = &idp.SmsConfigurationType{}
	}
	switch name {
	case "sns_caller_arn":
		return cognito.Deref(sms.SnsCallerArn)
	case "external_id":
		return cognito.Deref(sms.ExternalId)
	case "sns_region":
		return cognito.Deref(sms.SnsRegion)
	case "recovery_1", "recovery_2":
		i := int(name[len(name)-1] - '1')
		if i < len(d.Recovery) {
			return d.Recovery[i]
		}
		return "none"
	case "security_mode":
		if a := p.UserPoolAddOns; a != nil && a.AdvancedSecurityMode != nil {
			return string(*a.AdvancedSecurityMode)
		}
		return "OFF"
	case "custom_auth_mode":
		if a := p.UserPoolAddOns; a != nil && a.AdvancedSecurityAdditionalFlows != nil && a.AdvancedSecurityAdditionalFlows.CustomAuthMode != nil {
			return string(*a.AdvancedSecurityAdditionalFlows.CustomAuthMode)
		}
		return ""
	case "email_sender_arn":
		if l.CustomEmailSender != nil {
			return cognito.Deref(l.CustomEmailSender.LambdaArn)
		}
	case "email_sender_version":
		if l.CustomEmailSender != nil && l.CustomEmailSender.LambdaVersion != nil {
			return string(*l.CustomEmailSender.LambdaVersion)
		}
		return "V1_0"
	case "sms_sender_arn":
		if l.CustomSMSSender != nil {
			return cognito.Deref(l.CustomSMSSender.LambdaArn)
		}
	case "sms_sender_version":
		if l.CustomSMSSender != nil && l.CustomSMSSender.LambdaVersion != nil {
			return string(*l.CustomSMSSender.LambdaVersion)
		}
		return "V1_0"
	case "kms_key_id":
		return cognito.Deref(l.KMSKeyID)
	case "pre_token_arn":
		if l.PreTokenGenerationConfig != nil && l.PreTokenGenerationConfig.LambdaArn != nil {
			return *l.PreTokenGenerationConfig.LambdaArn
		}
		return cognito.Deref(l.PreTokenGeneration)
	case "pre_token_version":
		if l.PreTokenGenerationConfig != nil && l.PreTokenGenerationConfig.LambdaVersion != nil {
			return string(*l.PreTokenGenerationConfig.LambdaVersion)
		}
		return "V1_0"
	}
	return ""
}

// HasFactor says the sign-in policy allows factor first (or the refused
// form asked for it).
func (d *poolSettingsData) HasFactor(factor string) bool {
	if d.Section == "sign-in" && d.Form != nil {
		return contains(d.Form["factor"], factor)
	}
	if p := d.Pool.Policies; p != nil && p.SignInPolicy != nil {
		for _, f := range p.SignInPolicy.AllowedFirstAuthFactors {
			if string(f) == factor {
				return true
			}
		}
		return false
	}
	// A pool without a sign-in policy signs in with a password.
	return factor == "PASSWORD"
}
