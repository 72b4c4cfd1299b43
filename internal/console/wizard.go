package console

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
)

// draft is the pool being set up, step by step: what the forms hold,
// carried from step to step in the page (it is the operator's own
// input, checked again in full when the pool is created).
type draft struct {
	PoolName string

	// SignIn is how users sign in: username, email, phone or
	// email_phone (UsernameAttributes); Aliases apply to username.
	SignIn        string
	Aliases       []string
	CaseSensitive bool

	Required      []string
	CustomName    string
	CustomType    string
	CustomMutable bool

	MinLength                      int
	Upper, Lower, Numbers, Symbols bool
	TempDays                       int
	SelfSignUp                     bool
	MFA                            string
	TOTP                           bool
	// SMSMFA and EmailMFA turn those factors on; SMS needs the pool's
	// SmsConfiguration (SNSRole, SNSExternalID).
	SMSMFA, EmailMFA                bool
	SNSRole, SNSExternalID          string
	AutoVerify                      []string
	EmailFrom, ReplyTo              string
	EmailSubject, EmailMessage, SMS string
	InviteSubject, InviteEmail      string
	InviteSMS                       string
	Tags                            string
	Devices                         string
	DeviceChallenge                 bool
	ClientName                      string
	ClientSecret                    bool
	ReadAttrs, WriteAttrs           string
	Triggers                        map[string]string
}

func newDraft() draft {
	return draft{SignIn: "username", CustomType: "String", CustomMutable: true, MinLength: 8,
		Upper: true, Lower: true, Numbers: true, Symbols: true, TempDays: 7, SelfSignUp: true, MFA: "OFF", TOTP: true,
		AutoVerify: []string{"email"}, Devices: "off", ClientName: "app", Triggers: map[string]string{}}
}

// step is one screen of the walk-through, in the order of Cognito's
// console. fields are the request members its messages may name.
type step struct {
	Name, Title string
	fields      []string
	parse       func(f formValues, d *draft)
}

type formValues struct{ r *http.Request }

func (f formValues) s(name string) string      { return strings.TrimSpace(f.r.PostForm.Get(name)) }
func (f formValues) raw(name string) string    { return f.r.PostForm.Get(name) }
func (f formValues) b(name string) bool        { return f.r.PostForm.Get(name) != "" }
func (f formValues) list(name string) []string { return f.r.PostForm[name] }
func (f formValues) i(name string) int {
	n, _ := strconv.Atoi(f.s(name))
	return n
}

// triggerNames are the LambdaConfig members the triggers step sets.
var triggerNames = []string{"PreSignUp", "CustomMessage", "PostConfirmation", "PreAuthentication", "PostAuthentication",
	"DefineAuthChallenge", "CreateAuthChallenge", "VerifyAuthChallengeResponse", "PreTokenGeneration", "UserMigration"}

// standardAttributes are the attributes a pool may require.
var standardAttributes = []string{"email", "phone_number", "name", "given_name", "family_name", "middle_name", "nickname",
	"preferred_username", "profile", "picture", "website", "gender", "birthdate", "zoneinfo", "locale", "address"}

var steps = []step{
	{"name", "Name the user pool", []string{"PoolName"}, func(f formValues, d *draft) { d.PoolName = f.s("pool_name") }},
	{"sign-in", "Sign-in identifiers", []string{"UsernameAttributes", "AliasAttributes", "UsernameConfiguration"}, func(f formValues, d *draft) {
		d.SignIn, d.Aliases, d.CaseSensitive = f.s("sign_in"), f.list("alias"), f.b("case_sensitive")
	}},
	{"attributes", "Required and custom attributes", []string{"Schema", "custom"}, func(f formValues, d *draft) {
		d.Required = f.list("required")
		d.CustomName, d.CustomType, d.CustomMutable = f.s("custom_name"), f.s("custom_type"), f.b("custom_mutable")
	}},
	{"policies", "Password and sign-up policies", []string{"PasswordPolicy", "MinimumLength", "TemporaryPasswordValidityDays"}, func(f formValues, d *draft) {
		d.MinLength, d.TempDays = f.i("min_length"), f.i("temp_days")
		d.Upper, d.Lower, d.Numbers, d.Symbols = f.b("upper"), f.b("lower"), f.b("numbers"), f.b("symbols")
		d.SelfSignUp = f.b("self_signup")
	}},
	{"mfa", "MFA and verification", []string{"SnsCallerArn", "SmsConfiguration", "SmsMfaConfiguration", "EmailMfaConfiguration", "Email MFA", "SMS MFA",
		"MfaConfiguration", "AutoVerifiedAttributes", "SoftwareTokenMfaConfiguration", "MFA types"}, func(f formValues, d *draft) {
		d.MFA, d.TOTP, d.AutoVerify = f.s("mfa"), f.b("totp"), f.list("auto_verify")
		d.SMSMFA, d.EmailMFA, d.SNSRole, d.SNSExternalID = f.b("sms_mfa"), f.b("email_mfa"), f.s("sns_role"), f.s("sns_external_id")
	}},
	{"messages", "Messages", []string{"EmailConfiguration", "From", "ReplyToEmailAddress", "VerificationMessageTemplate", "EmailMessage", "EmailSubject", "SmsMessage", "InviteMessageTemplate"}, func(f formValues, d *draft) {
		d.EmailFrom, d.ReplyTo = f.s("email_from"), f.s("reply_to")
		d.EmailSubject, d.EmailMessage, d.SMS = f.raw("email_subject"), f.raw("email_message"), f.raw("sms_message")
		d.InviteSubject, d.InviteEmail, d.InviteSMS = f.raw("invite_subject"), f.raw("invite_email"), f.raw("invite_sms")
	}},
	{"tags", "Tags", []string{"UserPoolTags", "tag"}, func(f formValues, d *draft) { d.Tags = f.raw("tags") }},
	{"devices", "Devices", []string{"DeviceConfiguration"}, func(f formValues, d *draft) {
		d.Devices, d.DeviceChallenge = f.s("devices"), f.b("device_challenge")
	}},
	{"client", "App client", []string{"ClientName", "ReadAttributes", "WriteAttributes", "attribute"}, func(f formValues, d *draft) {
		d.ClientName, d.ClientSecret = f.s("client_name"), f.b("client_secret")
		d.ReadAttrs, d.WriteAttrs = f.s("read_attrs"), f.s("write_attrs")
	}},
	{"triggers", "Triggers", []string{"LambdaConfig", "lambda"}, func(f formValues, d *draft) {
		d.Triggers = map[string]string{}
		for _, n := range triggerNames {
			if v := f.s("trigger_" + n); v != "" {
				d.Triggers[n] = v
			}
		}
	}},
	{"review", "Review and create", nil, func(formValues, *draft) {}},
}

// wizardData is what the walk-through's template gets.
type wizardData struct {
	Step       step
	Index      int
	Steps      []step
	Draft      draft
	DraftJSON  string
	Attributes []string
	Triggers   []string
	Review     string
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' || r == '\t' }) {
		out = append(out, f)
	}
	return out
}

// requests are the API requests the draft stands for: CreateUserPool,
// SetUserPoolMfaConfig (nil when MFA is off) and CreateUserPoolClient
// (its UserPoolId filled once the pool exists).
func (d draft) requests() (*idp.CreateUserPoolRequest, *idp.SetUserPoolMfaConfigRequest, *idp.CreateUserPoolClientRequest) {
	p := &idp.CreateUserPoolRequest{PoolName: cognito.Ptr(d.PoolName)}
	switch d.SignIn {
	case "email":
		p.UsernameAttributes = []idp.UsernameAttributeType{"email"}
	case "phone":
		p.UsernameAttributes = []idp.UsernameAttributeType{"phone_number"}
	case "email_phone":
		p.UsernameAttributes = []idp.UsernameAttributeType{"email", "phone_number"}
	default:
		for _, a := range d.Aliases {
			p.AliasAttributes = append(p.AliasAttributes, idp.AliasAttributeType(a))
		}
	}
	p.UsernameConfiguration = &idp.UsernameConfigurationType{CaseSensitive: cognito.Ptr(d.CaseSensitive)}
	for _, a := range d.Required {
		p.Schema = append(p.Schema, idp.SchemaAttributeType{Name: cognito.Ptr(a), AttributeDataType: cognito.Ptr(idp.AttributeDataType("String")),
			Required: cognito.Ptr(true), Mutable: cognito.Ptr(true)})
	}
	if d.CustomName != "" {
		p.Schema = append(p.Schema, idp.SchemaAttributeType{Name: cognito.Ptr(d.CustomName),
			AttributeDataType: cognito.Ptr(idp.AttributeDataType(d.CustomType)), Mutable: cognito.Ptr(d.CustomMutable)})
	}
	p.Policies = &idp.UserPoolPolicyType{PasswordPolicy: &idp.PasswordPolicyType{
		MinimumLength: cognito.Ptr(int32(d.MinLength)), RequireUppercase: cognito.Ptr(d.Upper), RequireLowercase: cognito.Ptr(d.Lower),
		RequireNumbers: cognito.Ptr(d.Numbers), RequireSymbols: cognito.Ptr(d.Symbols), TemporaryPasswordValidityDays: cognito.Ptr(int32(d.TempDays)),
	}}
	admin := &idp.AdminCreateUserConfigType{AllowAdminCreateUserOnly: cognito.Ptr(!d.SelfSignUp)}
	if d.InviteSubject != "" || d.InviteEmail != "" || d.InviteSMS != "" {
		admin.InviteMessageTemplate = &idp.MessageTemplateType{EmailSubject: nonEmpty(d.InviteSubject), EmailMessage: nonEmpty(d.InviteEmail), SMSMessage: nonEmpty(d.InviteSMS)}
	}
	p.AdminCreateUserConfig = admin
	for _, a := range d.AutoVerify {
		p.AutoVerifiedAttributes = append(p.AutoVerifiedAttributes, idp.VerifiedAttributeType(a))
	}
	if d.EmailFrom != "" || d.ReplyTo != "" {
		p.EmailConfiguration = &idp.EmailConfigurationType{EmailSendingAccount: cognito.Ptr(idp.EmailSendingAccountType("COGNITO_DEFAULT")),
			From: nonEmpty(d.EmailFrom), ReplyToEmailAddress: nonEmpty(d.ReplyTo)}
	}
	if d.EmailSubject != "" || d.EmailMessage != "" || d.SMS != "" {
		p.VerificationMessageTemplate = &idp.VerificationMessageTemplateType{EmailSubject: nonEmpty(d.EmailSubject),
			EmailMessage: nonEmpty(d.EmailMessage), SmsMessage: nonEmpty(d.SMS)}
	}
	if tags := parseTags(d.Tags); len(tags) > 0 {
		p.UserPoolTags = tags
	}
	switch d.Devices {
	case "always":
		p.DeviceConfiguration = &idp.DeviceConfigurationType{ChallengeRequiredOnNewDevice: cognito.Ptr(d.DeviceChallenge), DeviceOnlyRememberedOnUserPrompt: cognito.Ptr(false)}
	case "opt_in":
		p.DeviceConfiguration = &idp.DeviceConfigurationType{ChallengeRequiredOnNewDevice: cognito.Ptr(d.DeviceChallenge), DeviceOnlyRememberedOnUserPrompt: cognito.Ptr(true)}
	}
	if len(d.Triggers) > 0 {
		lc := &idp.LambdaConfigType{}
		raw, _ := json.Marshal(d.Triggers)
		_ = json.Unmarshal(raw, lc)
		p.LambdaConfig = lc
	}
	if d.SNSRole != "" || d.SNSExternalID != "" {
		p.SmsConfiguration = &idp.SmsConfigurationType{SnsCallerArn: cognito.Ptr(d.SNSRole), ExternalId: nonEmpty(d.SNSExternalID)}
	}
	var m *idp.SetUserPoolMfaConfigRequest
	if d.MFA != "" && d.MFA != "OFF" {
		m = &idp.SetUserPoolMfaConfigRequest{MfaConfiguration: cognito.Ptr(idp.UserPoolMfaType(d.MFA)),
			SoftwareTokenMfaConfiguration: &idp.SoftwareTokenMfaConfigType{Enabled: cognito.Ptr(d.TOTP)}}
		if d.SMSMFA {
			// SetUserPoolMfaConfig refuses SMS MFA without the pool's
			// SmsConfiguration; its message leads back to this step.
			m.SmsMfaConfiguration = &idp.SmsMfaConfigType{SmsConfiguration: p.SmsConfiguration}
		}
		if d.EmailMFA {
			m.EmailMfaConfiguration = &idp.EmailMfaConfigType{}
		}
	}
	cl := &idp.CreateUserPoolClientRequest{ClientName: cognito.Ptr(d.ClientName), GenerateSecret: cognito.Ptr(d.ClientSecret),
		ReadAttributes: splitList(d.ReadAttrs), WriteAttributes: splitList(d.WriteAttrs),
		ExplicitAuthFlows: []idp.ExplicitAuthFlowsType{"ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}}
	return p, m, cl
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// parseTags reads "key=value" lines.
func parseTags(s string) map[string]string {
	out := map[string]string{}
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		k, v, _ := strings.Cut(line, "=")
		out[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	return out
}

// placeholderPoolID stands for the pool not created yet when the client
// step's request is checked.
const placeholderPoolID = "us-east-1_placeholder"

// check validates the draft as the API validates the requests it stands
// for (the members' lengths, patterns and enums).
func (d draft) check() error {
	p, m, cl := d.requests()
	if err := p.Validate(); err != nil {
		return err
	}
	if m != nil {
		m.UserPoolId = cognito.Ptr(placeholderPoolID)
		if err := m.Validate(); err != nil {
			return err
		}
	}
	cl.UserPoolId = cognito.Ptr(placeholderPoolID)
	return cl.Validate()
}

// wizard serves the walk-through: GET starts it, each POST takes one
// step's fields, checks them and moves on (or back), and the review's
// POST creates the pool, its MFA settings and its first app client.
func (c *Console) wizard(w http.ResponseWriter, r *http.Request) {
	d := newDraft()
	idx := 0
	if r.Method == http.MethodPost {
		if raw := r.PostForm.Get("draft"); raw != "" {
			if err := json.Unmarshal([]byte(raw), &d); err != nil {
				http.Error(w, "The walk-through's state could not be read; start again.", http.StatusBadRequest)
				return
			}
		}
		idx, _ = strconv.Atoi(r.PostForm.Get("step"))
		if idx < 0 || idx >= len(steps) {
			idx = 0
		}
		steps[idx].parse(formValues{r}, &d)
		switch r.PostForm.Get("nav") {
		case "back":
			if idx > 0 {
				idx--
			}
		case "create":
			c.createPool(w, r, d)
			return
		default:
			if err := d.check(); err != nil {
				c.fail(w, r, "wizard", c.wizardPage(idx, d), err, steps[idx].fields...)
				return
			}
			if idx < len(steps)-1 {
				idx++
			}
		}
	}
	c.render(w, r, http.StatusOK, "wizard", c.wizardPage(idx, d))
}

func (c *Console) wizardPage(idx int, d draft) page {
	raw, _ := json.Marshal(d)
	data := wizardData{Step: steps[idx], Index: idx, Steps: steps, Draft: d, DraftJSON: string(raw),
		Attributes: standardAttributes, Triggers: triggerNames}
	if steps[idx].Name == "review" {
		p, m, cl := d.requests()
		review := map[string]any{"CreateUserPool": p, "CreateUserPoolClient": cl}
		if m != nil {
			review["SetUserPoolMfaConfig"] = m
		}
		out, _ := json.MarshalIndent(review, "", "  ")
		data.Review = string(out)
	}
	return page{Title: "Create a user pool: " + steps[idx].Title, Data: data}
}

// stepFor returns the step whose members msg names, or the review.
func stepFor(msg string) int {
	lower := strings.ToLower(msg)
	for i, s := range steps {
		for _, f := range s.fields {
			if strings.Contains(lower, strings.ToLower(f)) {
				return i
			}
		}
	}
	return len(steps) - 1
}

// createPool creates the pool through the same engine methods as
// CreateUserPool, SetUserPoolMfaConfig and CreateUserPoolClient. When a
// later call fails, it deletes the pool the first made, so that a refused
// walk-through leaves nothing behind.
func (c *Console) createPool(w http.ResponseWriter, r *http.Request, d draft) {
	ctx := r.Context()
	p, m, cl := d.requests()
	failAt := func(err error) {
		_, msg := message(err)
		idx := stepFor(msg)
		c.fail(w, r, "wizard", c.wizardPage(idx, d), err, steps[idx].fields...)
	}
	out, err := c.opts.Pools.CreateUserPool(as(ctx, "CreateUserPool"), c.caller(), p)
	if err != nil {
		failAt(err)
		return
	}
	poolID := cognito.Deref(out.UserPool.Id)
	undo := func() {
		if _, err := c.opts.Pools.DeleteUserPool(as(ctx, "DeleteUserPool"), c.caller(), &idp.DeleteUserPoolRequest{UserPoolId: &poolID}); err != nil {
			c.log.ErrorContext(ctx, "console: delete the half-made pool", "pool", poolID, "err", err)
		}
	}
	if m != nil {
		m.UserPoolId = &poolID
		if _, err := c.opts.Pools.SetUserPoolMfaConfig(as(ctx, "SetUserPoolMfaConfig"), c.caller(), m); err != nil {
			undo()
			failAt(err)
			return
		}
	}
	cl.UserPoolId = &poolID
	client, err := c.opts.Pools.CreateUserPoolClient(as(ctx, "CreateUserPoolClient"), c.caller(), cl)
	if err != nil {
		undo()
		c.fail(w, r, "wizard", c.wizardPage(stepIndex("client"), d), err, steps[stepIndex("client")].fields...)
		return
	}
	clientID := cognito.Deref(client.UserPoolClient.ClientId)
	c.audit(r, "CreateUserPool", "pool", poolID, "client", clientID)
	http.Redirect(w, r, "/console/pools/"+poolID+"/clients/"+clientID+"/hosted-ui?created=1", http.StatusSeeOther)
}

func stepIndex(name string) int {
	for i, s := range steps {
		if s.Name == name {
			return i
		}
	}
	return 0
}
