package oidc

import (
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/directory"
)

// signUpPage is /signup: a username (or the email address or phone number
// the pool takes as one), a password with the pool's policy stated, the
// attributes the pool requires or verifies, and the client's terms
// documents linked. It runs SignUp through the engine, then shows the
// confirmation form when the user has a code to enter.
var signUpPage = Page{Path: "/signup", Template: "signup.html", Get: signUpGet, Post: signUpPost}

// confirmPage is /confirmSignUp, where the confirmation form posts the
// code; resendPage is /resendCode, which sends a new one. Cognito's
// /confirmUser link, which carries the code itself, is confirmLink.
var (
	confirmPage = Page{Path: "/confirmSignUp", Template: "confirm.html", Post: confirmPost}
	resendPage  = Page{Path: "/resendCode", Template: "confirm.html", Post: resendPost}
)

// formField is an attribute's field on the sign-up page.
type formField struct {
	Name, Label, Type, Value string
	Required                 bool
}

// signUpView is the sign-up form's data.
type signUpView struct {
	// UsernameLabel and UsernameType name the username field: "Username",
	// or the email address or phone number the pool takes as one.
	UsernameLabel, UsernameType string
	Username                    string
	Fields                      []formField
	Rules                       []string
	TermsOfUse, PrivacyPolicy   string
}

// confirmView is the confirmation form's data.
type confirmView struct {
	Username string
	// Sent says where the code went ("" when unknown).
	Sent string
	// Notice is shown above the form, not as an error.
	Notice string
}

// fieldType is the input type of an attribute's field.
func fieldType(name string) string {
	switch name {
	case "email":
		return "email"
	case "phone_number":
		return "tel"
	case "birthdate":
		return "date"
	}
	return "text"
}

// ruleTexts states a password policy, one rule a line.
func ruleTexts(r directory.PasswordRules) []string {
	out := []string{plural(r.MinimumLength, "character") + " or more"}
	if r.RequireUppercase {
		out = append(out, "an upper-case letter")
	}
	if r.RequireLowercase {
		out = append(out, "a lower-case letter")
	}
	if r.RequireNumbers {
		out = append(out, "a number")
	}
	if r.RequireSymbols {
		out = append(out, "a special character, such as ! @ # $ %")
	}
	return out
}

func plural(n int, word string) string {
	s := strconv.Itoa(n) + " " + word
	if n != 1 {
		s += "s"
	}
	return s
}

// signUpForm returns the form of the page's app client, or writes the
// error page and returns nil.
func (p *PageRequest) signUpForm() (*directory.SignUpForm, *signUpView) {
	if p.Authorize == nil {
		p.h.errorPage(p.W, p.R, http.StatusBadRequest, "invalid_request", "client_id is missing.")
		return nil, nil
	}
	f, err := p.h.users.HostedSignUpForm(p.R.Context(), cognito.Caller{Region: p.Site.region}, p.Authorize.client.ClientID, termsLanguage(p.Authorize.lang))
	if err != nil {
		p.h.serverError(p.W, p.R, err)
		return nil, nil
	}
	if !f.Allowed {
		p.h.errorPage(p.W, p.R, http.StatusBadRequest, "invalid_request", "Sign-up is not permitted for this user pool. Ask your administrator for an account.")
		return nil, nil
	}
	v := &signUpView{UsernameLabel: "Username", UsernameType: "text", Rules: ruleTexts(f.Password),
		TermsOfUse: f.TermsOfUse, PrivacyPolicy: f.PrivacyPolicy}
	switch {
	case len(f.UsernameAttributes) == 2:
		v.UsernameLabel = "Email address or phone number"
	case len(f.UsernameAttributes) == 1 && f.UsernameAttributes[0] == "email":
		v.UsernameLabel, v.UsernameType = "Email address", "email"
	case len(f.UsernameAttributes) == 1:
		v.UsernameLabel, v.UsernameType = "Phone number", "tel"
	}
	for _, fd := range f.Fields {
		v.Fields = append(v.Fields, formField{Name: fd.Name, Label: attributeLabel(fd.Name), Type: fieldType(fd.Name), Required: fd.Required})
	}
	return f, v
}

// termsLanguage is the terms documents' language for the lang parameter
// of an authorize request.
func termsLanguage(lang string) string {
	names := map[string]string{
		"en": "english", "fr": "french", "es": "spanish", "de": "german", "id": "bahasa-indonesia", "it": "italian",
		"ja": "japanese", "ko": "korean", "pt-BR": "portuguese-brazil", "zh-CN": "chinese-simplified",
		"zh-TW": "chinese-traditional", "nl": "dutch",
	}
	if n, ok := names[lang]; ok {
		return "cognito:" + n
	}
	return ""
}

func signUpGet(p *PageRequest) {
	if _, v := p.signUpForm(); v != nil {
		p.Render("signup.html", "Sign up", v)
	}
}

func signUpPost(p *PageRequest) {
	_, v := p.signUpForm()
	if v == nil {
		return
	}
	f := p.R.PostForm
	v.Username = strings.TrimSpace(f.Get("username"))
	attrs := map[string]string{}
	for i := range v.Fields {
		fd := &v.Fields[i]
		fd.Value = strings.TrimSpace(f.Get("attr_" + fd.Name))
		if fd.Value != "" {
			attrs[fd.Name] = fd.Value
		}
	}
	pw, confirm := f.Get("password"), f.Get("confirm_password")
	switch {
	case v.Username == "" || pw == "":
		p.RenderStatus(http.StatusBadRequest, "signup.html", "Sign up", "Enter a "+strings.ToLower(v.UsernameLabel)+" and a password.", v)
		return
	case pw != confirm:
		p.RenderStatus(http.StatusBadRequest, "signup.html", "Sign up", "Enter the same password twice.", v)
		return
	}
	for _, fd := range v.Fields {
		if fd.Required && fd.Value == "" {
			p.RenderStatus(http.StatusBadRequest, "signup.html", "Sign up", "Enter your "+strings.ToLower(fd.Label)+".", v)
			return
		}
	}
	if !p.h.protect.AllowUser(p.Site.poolID, v.Username) {
		p.RenderStatus(http.StatusTooManyRequests, "signup.html", "Sign up", "Too many attempts. Wait a moment and try again.", v)
		return
	}
	out, err := p.h.users.HostedSignUp(p.R.Context(), cognito.Caller{Region: p.Site.region}, p.Authorize.client.ClientID, v.Username, pw, attrs)
	if err != nil {
		p.signInError(err, "signup.html", "Sign up", v)
		return
	}
	if cognito.Deref(out.UserConfirmed) {
		p.Render("login.html", "Sign in", loginView{Username: v.Username, Label: p.usernameLabel(), Notice: "Your account is ready. Sign in to continue."})
		return
	}
	p.Render("confirm.html", "Confirm your account", confirmView{Username: v.Username, Sent: sentTo(out.CodeDeliveryDetails)})
}

// sentTo says where a code went, as Cognito's pages do ("We sent a code
// by email to a***@e***").
func sentTo(d *idp.CodeDeliveryDetailsType) string {
	if d == nil || d.Destination == nil {
		return ""
	}
	by := "by email"
	if cognito.Deref(d.DeliveryMedium) == "SMS" {
		by = "by text message"
	}
	return by + " to " + *d.Destination
}

func confirmPost(p *PageRequest) {
	if p.Authorize == nil {
		p.h.errorPage(p.W, p.R, http.StatusBadRequest, "invalid_request", "client_id is missing.")
		return
	}
	f := p.R.PostForm
	v := confirmView{Username: strings.TrimSpace(f.Get("username"))}
	code := strings.TrimSpace(f.Get("code"))
	if v.Username == "" || code == "" {
		p.RenderStatus(http.StatusBadRequest, "confirm.html", "Confirm your account", "Enter the code you were sent.", v)
		return
	}
	if !p.h.protect.AllowUser(p.Site.poolID, v.Username) {
		p.RenderStatus(http.StatusTooManyRequests, "confirm.html", "Confirm your account", "Too many attempts. Wait a moment and try again.", v)
		return
	}
	err := p.h.users.HostedConfirmSignUp(p.R.Context(), cognito.Caller{Region: p.Site.region}, p.Authorize.client.ClientID, v.Username, code)
	if err != nil {
		p.signInError(err, "confirm.html", "Confirm your account", v)
		return
	}
	p.Render("login.html", "Sign in", loginView{Username: v.Username, Label: p.usernameLabel(), Notice: "Your account is confirmed. Sign in to continue."})
}

func resendPost(p *PageRequest) {
	if p.Authorize == nil {
		p.h.errorPage(p.W, p.R, http.StatusBadRequest, "invalid_request", "client_id is missing.")
		return
	}
	v := confirmView{Username: strings.TrimSpace(p.R.PostForm.Get("username"))}
	if v.Username == "" {
		p.RenderStatus(http.StatusBadRequest, "confirm.html", "Confirm your account", "Enter your username.", v)
		return
	}
	if !p.h.protect.AllowUser(p.Site.poolID, v.Username) {
		p.RenderStatus(http.StatusTooManyRequests, "confirm.html", "Confirm your account", "Too many attempts. Wait a moment and try again.", v)
		return
	}
	d, err := p.h.users.HostedResendConfirmationCode(p.R.Context(), cognito.Caller{Region: p.Site.region}, p.Authorize.client.ClientID, v.Username)
	if err != nil {
		p.signInError(err, "confirm.html", "Confirm your account", v)
		return
	}
	v.Sent = sentTo(d)
	v.Notice = "We sent a new code."
	p.Render("confirm.html", "Confirm your account", v)
}

// confirmLink is GET /confirmUser?client_id=…&user_name=…&confirmation_code=…,
// the link of a CONFIRM_WITH_LINK message: it confirms the sign-up and
// says so. Cognito sends the link on the pool's domain; a link to
// cognate's own host (messages sent before the pool had a domain) is
// redirected there by Wrap.
func (h *Handler) confirmLink(w http.ResponseWriter, r *http.Request) {
	st := siteOf(r.Context())
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		h.errorPage(w, r, http.StatusMethodNotAllowed, "invalid_request", "This page does not take a "+r.Method+" request.")
		return
	}
	q := r.URL.Query()
	clientID, user, code := q.Get("client_id"), q.Get("user_name"), q.Get("confirmation_code")
	if clientID == "" || user == "" || code == "" || len(q["client_id"]) > 1 || len(q["user_name"]) > 1 || len(q["confirmation_code"]) > 1 {
		h.errorPage(w, r, http.StatusBadRequest, "invalid_request", "The confirmation link is incomplete.")
		return
	}
	if !h.protect.AllowAddress(st.addr) || !h.protect.AllowUser(st.poolID, user) {
		h.errorPage(w, r, http.StatusTooManyRequests, "slow_down", "Too many requests. Wait a moment and try again.")
		return
	}
	if _, _, err := h.pools.SignInClient(r.Context(), cognito.Caller{Region: st.region}, st.poolID, clientID); err != nil {
		h.errorPage(w, r, http.StatusBadRequest, "invalid_request", "Invalid client_id.")
		return
	}
	err := h.users.HostedConfirmSignUp(r.Context(), cognito.Caller{Region: st.region}, clientID, user, code)
	if err != nil {
		var ce *cognito.Error
		if !errors.As(err, &ce) || ce.Status >= 500 {
			h.serverError(w, r, err)
			return
		}
		h.errorPage(w, r, http.StatusBadRequest, "confirmation_failed", ce.Message)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	d := pageData{Title: "Account confirmed", Base: st.base, Authorize: template.URL(""),
		Data: messageView{Message: "Your registration has been confirmed. You can now sign in to the app you signed up for."}}
	if err := templates.ExecuteTemplate(w, "message.html", d); err != nil {
		h.log.ErrorContext(r.Context(), "render page", "template", "message.html", "err", err)
	}
}

// messageView is the data of a page that only says something.
type messageView struct {
	Message string
}

// confirmRedirect answers a /confirmUser link on cognate's own host: the
// same link on the domain of the client's pool.
func (h *Handler) confirmRedirect(w http.ResponseWriter, r *http.Request) {
	clientID := r.URL.Query().Get("client_id")
	poolID, err := h.pools.PoolOfClient(r.Context(), clientID)
	if err != nil || poolID == "" {
		setSecurityHeaders(w)
		h.errorPage(w, r, http.StatusBadRequest, "invalid_request", "The confirmation link names no app client.")
		return
	}
	base, err := h.PoolBase(r.Context(), poolID)
	if err != nil || base == "" {
		setSecurityHeaders(w)
		h.errorPage(w, r, http.StatusBadRequest, "invalid_request", "The user pool of this link has no domain to confirm the account on.")
		return
	}
	http.Redirect(w, r, base+"/confirmUser?"+url.Values{
		"client_id": {clientID}, "user_name": {r.URL.Query().Get("user_name")}, "confirmation_code": {r.URL.Query().Get("confirmation_code")},
	}.Encode(), http.StatusFound)
}
