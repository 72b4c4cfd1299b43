package console

import (
	"context"
	"net/http"
	"net/url"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
)

// This file is the user page's paginated sections (groups, devices,
// passkeys, sign-in events, each paged with its operation's own token)
// and the actions on passkeys and sign-in events.

// passkeysPage is how many passkeys the user page shows at once, the most
// ListWebAuthnCredentials returns in a page.
const passkeysPage = 20

// pagerKeys are the query keys of the user page's paginated sections,
// each with key+"_back" for the tokens of the pages before.
var pagerKeys = []string{"groups", "devices", "passkeys", "events"}

// pager is one paginated section of the user page. Its operation's
// tokens only go forward, so the page's query carries the tokens of the
// pages before the shown one (key_back, oldest first; "" is the first
// page) for the Previous link.
type pager struct {
	// Token is the token the shown page began at ("" for the first).
	Token string
	back  []string
	// Next is the next page's token, "" on the last page.
	Next string
	key  string
	q    url.Values
}

// newPager reads section key's position from the page's query q.
func newPager(q url.Values, key string) *pager {
	return &pager{key: key, q: q, Token: q.Get(key), back: q[key+"_back"]}
}

// with returns the page's query with this section at token after back;
// the other sections stay where they are.
func (p *pager) with(token string, back []string) string {
	v := url.Values{}
	for _, k := range pagerKeys {
		if k == p.key {
			continue
		}
		if t := p.q.Get(k); t != "" {
			v[k], v[k+"_back"] = []string{t}, p.q[k+"_back"]
		}
	}
	if token != "" {
		v.Set(p.key, token)
		v[p.key+"_back"] = back
	}
	return v.Encode()
}

// NextQuery is the page's query with this section one page further, ""
// on the last page.
func (p *pager) NextQuery() string {
	if p.Next == "" {
		return ""
	}
	return p.with(p.Next, append(append([]string{}, p.back...), p.Token))
}

// PrevQuery is the page's query with this section one page back; "" for
// the first page (HasPrev tells).
func (p *pager) PrevQuery() string {
	if len(p.back) == 0 {
		return p.with("", nil)
	}
	return p.with(p.back[len(p.back)-1], p.back[:len(p.back)-1])
}

// HasPrev says a page comes before the shown one.
func (p *pager) HasPrev() bool { return p.Token != "" }

// loadPasskeys fills the passkeys section: the user's passkeys
// (AdminListWebAuthnCredentials, ListWebAuthnCredentials' pages).
func (c *Console) loadPasskeys(ctx context.Context, d *userData, poolID, username string) {
	out, err := c.opts.Auth.AdminListWebAuthnCredentials(ctx, c.caller(), poolID, username,
		&idp.ListWebAuthnCredentialsRequest{MaxResults: cognito.Ptr(int32(passkeysPage)), NextToken: nonEmpty(d.PasskeysPage.Token)})
	if err != nil {
		d.PasskeysErr = sectionError(err)
		return
	}
	d.Passkeys, d.PasskeysPage.Next = out.Credentials, cognito.Deref(out.NextToken)
}

// eventFeedback records the operator's verdict on one of the user's
// sign-in events (AdminUpdateAuthEventFeedback).
func (c *Console) eventFeedback(ctx context.Context, r *http.Request, poolID, username string) error {
	f := formValues{r}
	in := &idp.AdminUpdateAuthEventFeedbackRequest{UserPoolId: &poolID, Username: &username,
		EventId: cognito.Ptr(f.s("event")), FeedbackValue: cognito.Ptr(idp.FeedbackValueType(f.s("feedback")))}
	if err := in.Validate(); err != nil {
		return err
	}
	_, err := c.opts.Users.AdminUpdateAuthEventFeedback(as(ctx, "AdminUpdateAuthEventFeedback"), c.caller(), in)
	return err
}

// deletePasskey deletes one of the user's passkeys, once the operator
// ticked the box that says the user no longer signs in with it.
func (c *Console) deletePasskey(ctx context.Context, r *http.Request, poolID, username string) error {
	f := formValues{r}
	if f.s("confirm") != "yes" {
		return notConfirmed()
	}
	return c.opts.Auth.AdminDeleteWebAuthnCredential(as(ctx, "DeleteWebAuthnCredential"), c.caller(), poolID, username, f.raw("credential"))
}
