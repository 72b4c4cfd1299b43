package console

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
)

// riskData is the risk configuration screen: the configuration of the
// pool or of one app client (DescribeRiskConfiguration), and the form
// that replaces it (SetRiskConfiguration).
type riskData struct {
	PoolID   string
	ClientID string
	Clients  []idp.UserPoolClientDescription
	// Own says the configuration shown is the client's own; a client
	// without one is shown the pool's, which it follows.
	Own    bool
	Config *idp.RiskConfigurationType
	// Levels are the account takeover risk levels, low to high.
	Levels []string
	// Err is DescribeRiskConfiguration's refusal (a pool without threat
	// protection), shown instead of the form.
	Err string
}

// Compromised is the compromised-credentials configuration, or nil.
func (d *riskData) Compromised() *idp.CompromisedCredentialsRiskConfigurationType {
	if d.Config == nil {
		return nil
	}
	return d.Config.CompromisedCredentialsRiskConfiguration
}

// HasEvent says the compromised-credentials check runs on event.
func (d *riskData) HasEvent(event string) bool {
	cc := d.Compromised()
	if cc == nil {
		return false
	}
	for _, e := range cc.EventFilter {
		if string(e) == event {
			return true
		}
	}
	return false
}

// CompromisedAction is the action on compromised credentials.
func (d *riskData) CompromisedAction() string {
	if cc := d.Compromised(); cc != nil && cc.Actions != nil && cc.Actions.EventAction != nil {
		return string(*cc.Actions.EventAction)
	}
	return "BLOCK"
}

// Takeover is the account takeover configuration, or nil.
func (d *riskData) Takeover() *idp.AccountTakeoverRiskConfigurationType {
	if d.Config == nil {
		return nil
	}
	return d.Config.AccountTakeoverRiskConfiguration
}

// level is the account takeover action of level (low, medium, high).
func (d *riskData) level(level string) *idp.AccountTakeoverActionType {
	at := d.Takeover()
	if at == nil || at.Actions == nil {
		return nil
	}
	switch level {
	case "low":
		return at.Actions.LowAction
	case "medium":
		return at.Actions.MediumAction
	default:
		return at.Actions.HighAction
	}
}

// LevelAction is the event action at level ("" when none is set).
func (d *riskData) LevelAction(level string) string {
	if a := d.level(level); a != nil && a.EventAction != nil {
		return string(*a.EventAction)
	}
	return ""
}

// LevelNotify says users are notified at level.
func (d *riskData) LevelNotify(level string) bool {
	a := d.level(level)
	return a != nil && cognito.Deref(a.Notify)
}

// Notify is the notification configuration, never nil.
func (d *riskData) Notify() *idp.NotifyConfigurationType {
	if at := d.Takeover(); at != nil && at.NotifyConfiguration != nil {
		return at.NotifyConfiguration
	}
	return &idp.NotifyConfigurationType{}
}

// NotifyEmails are the notification emails the form edits, in its order:
// the form's field prefix, the NotifyConfiguration member, and what the
// email is sent for.
var notifyEmails = []struct{ Kind, Member, Label string }{
	{"block", "BlockEmail", "Sign-in blocked"},
	{"mfa", "MfaEmail", "Second factor asked for"},
	{"no_action", "NoActionEmail", "Sign-in allowed"},
}

// NotifyEmails are the notification emails the form edits.
func (d *riskData) NotifyEmails() []struct{ Kind, Member, Label string } { return notifyEmails }

// NotifyEmail is the configuration's email of kind (block, mfa,
// no_action), never nil.
func (d *riskData) NotifyEmail(kind string) *idp.NotifyEmailType {
	n := d.Notify()
	var e *idp.NotifyEmailType
	switch kind {
	case "block":
		e = n.BlockEmail
	case "mfa":
		e = n.MfaEmail
	default:
		e = n.NoActionEmail
	}
	if e == nil {
		return &idp.NotifyEmailType{}
	}
	return e
}

// IPRanges are the exception ranges of kind (blocked, skipped), one a
// line.
func (d *riskData) IPRanges(kind string) string {
	if d.Config == nil || d.Config.RiskExceptionConfiguration == nil {
		return ""
	}
	if kind == "blocked" {
		return strings.Join(d.Config.RiskExceptionConfiguration.BlockedIPRangeList, "\n")
	}
	return strings.Join(d.Config.RiskExceptionConfiguration.SkippedIPRangeList, "\n")
}

// riskLevels are the account takeover levels the form shows.
var riskLevels = []string{"low", "medium", "high"}

// riskConfiguration shows and replaces the risk configuration of a pool,
// or of the app client ?client= names.
func (c *Console) riskConfiguration(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	poolID := r.PathValue("pool")
	clientID := r.URL.Query().Get("client")
	if r.Method == http.MethodPost {
		clientID = formValues{r}.s("client")
	}
	d := &riskData{PoolID: poolID, ClientID: clientID, Levels: riskLevels}
	p := page{Title: "Risk configuration", Data: d}
	cl, err := c.opts.Pools.ListUserPoolClients(ctx, c.caller(), &idp.ListUserPoolClientsRequest{UserPoolId: &poolID, MaxResults: cognito.Ptr(int32(60))})
	if err != nil {
		c.fail(w, r, "error", p, err)
		return
	}
	d.Clients = cl.UserPoolClients
	desc, err := c.opts.Pools.DescribeRiskConfiguration(ctx, c.caller(), &idp.DescribeRiskConfigurationRequest{UserPoolId: &poolID, ClientId: nonEmpty(clientID)})
	if err != nil {
		if r.Method == http.MethodPost {
			c.fail(w, r, "risk", p, err)
			return
		}
		d.Err = sectionError(err)
		c.render(w, r, http.StatusOK, "risk", p)
		return
	}
	d.Config = desc.RiskConfiguration
	d.Own = clientID == "" || (d.Config != nil && cognito.Deref(d.Config.ClientId) == clientID)
	if r.Method == http.MethodGet {
		if r.URL.Query().Get("saved") != "" {
			p.Notice = "The risk configuration was saved."
		}
		c.render(w, r, http.StatusOK, "risk", p)
		return
	}
	in := riskRequest(formValues{r}, poolID, clientID)
	err = in.Validate()
	if err == nil {
		_, err = c.opts.Pools.SetRiskConfiguration(as(ctx, "SetRiskConfiguration"), c.caller(), in)
	}
	if err != nil {
		// Show what was sent, with the message.
		d.Config = &idp.RiskConfigurationType{ClientId: in.ClientId, CompromisedCredentialsRiskConfiguration: in.CompromisedCredentialsRiskConfiguration,
			AccountTakeoverRiskConfiguration: in.AccountTakeoverRiskConfiguration, RiskExceptionConfiguration: in.RiskExceptionConfiguration}
		d.Own = true
		c.fail(w, r, "risk", p, err, "BlockedIPRangeList", "SkippedIPRangeList", "BlockEmail", "MfaEmail", "NoActionEmail", "NotifyConfiguration", "EventFilter", "AccountTakeoverRiskConfiguration", "CompromisedCredentialsRiskConfiguration")
		return
	}
	c.audit(r, "SetRiskConfiguration", "pool", poolID, "client", clientID)
	q := url.Values{"saved": {"1"}}
	if clientID != "" {
		q.Set("client", clientID)
	}
	http.Redirect(w, r, "/console/pools/"+url.PathEscape(poolID)+"/risk?"+q.Encode(), http.StatusSeeOther)
}

// riskRequest is the SetRiskConfiguration request of the form f. A
// notification email whose subject and bodies are all empty is left out,
// so the notification uses cognate's default text.
func riskRequest(f formValues, poolID, clientID string) *idp.SetRiskConfigurationRequest {
	in := &idp.SetRiskConfigurationRequest{UserPoolId: &poolID, ClientId: nonEmpty(clientID)}
	if f.b("cc_enabled") {
		cc := &idp.CompromisedCredentialsRiskConfigurationType{EventFilter: []idp.EventFilterType{},
			Actions: &idp.CompromisedCredentialsActionsType{EventAction: cognito.Ptr(idp.CompromisedCredentialsEventActionType(f.s("cc_action")))}}
		for _, e := range f.list("cc_event") {
			cc.EventFilter = append(cc.EventFilter, idp.EventFilterType(e))
		}
		in.CompromisedCredentialsRiskConfiguration = cc
	}
	if f.b("ato_enabled") {
		action := func(level string) *idp.AccountTakeoverActionType {
			return &idp.AccountTakeoverActionType{EventAction: cognito.Ptr(idp.AccountTakeoverEventActionType(f.s("ato_" + level + "_action"))),
				Notify: cognito.Ptr(f.b("ato_" + level + "_notify"))}
		}
		at := &idp.AccountTakeoverRiskConfigurationType{Actions: &idp.AccountTakeoverActionsType{
			LowAction: action("low"), MediumAction: action("medium"), HighAction: action("high")}}
		n := &idp.NotifyConfigurationType{From: nonEmpty(f.s("notify_from")), ReplyTo: nonEmpty(f.s("notify_reply_to")), SourceArn: nonEmpty(f.s("notify_source_arn"))}
		email := func(kind string) *idp.NotifyEmailType {
			e := &idp.NotifyEmailType{Subject: nonEmpty(f.s("notify_" + kind + "_subject")),
				HtmlBody: body(f.raw("notify_" + kind + "_html")), TextBody: body(f.raw("notify_" + kind + "_text"))}
			if e.Subject == nil && e.HtmlBody == nil && e.TextBody == nil {
				return nil
			}
			return e
		}
		n.BlockEmail, n.MfaEmail, n.NoActionEmail = email("block"), email("mfa"), email("no_action")
		if n.From != nil || n.ReplyTo != nil || n.SourceArn != nil || n.BlockEmail != nil || n.NoActionEmail != nil || n.MfaEmail != nil {
			at.NotifyConfiguration = n
		}
		in.AccountTakeoverRiskConfiguration = at
	}
	blocked, skipped := lines(f.raw("ip_blocked")), lines(f.raw("ip_skipped"))
	if len(blocked) > 0 || len(skipped) > 0 {
		in.RiskExceptionConfiguration = &idp.RiskExceptionConfigurationType{BlockedIPRangeList: blocked, SkippedIPRangeList: skipped}
	}
	return in
}

// body is a notification email's body as typed, with a browser's CRLF
// line ends made LF, or nil when it is blank.
func body(s string) *string {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return &s
}

// lines are the non-empty lines of s, trimmed.
func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}
