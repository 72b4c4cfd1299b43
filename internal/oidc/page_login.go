package oidc

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/cognate-dev/cognate/internal/authflow"
	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
)

// loginPage is /login, the sign-in page: a username (or an alias the pool
// signs in with) and a password, checked by the sign-in engine as
// USER_PASSWORD_AUTH is (lockout, existence errors as the client says,
// events). It is opened with an authorize request, which it continues once
// the user is signed in.
var loginPage = Page{Path: "/login", Template: "login.html", Get: loginGet, Post: loginPost}

// loginView is the sign-in form's data.
type loginView struct {
	Username string
	// Label names what users sign in with (usernameLabel).
	Label string
	// Notice is shown above the form, not as an error (after a sign-up
	// or a password reset).
	Notice string
	// Choice says the sign-in is choice-based (page_passkey.go): the
	// form asks for the username alone, and the choices follow.
	Choice bool
	// Providers are the buttons of the client's identity providers.
	Providers []providerButton
	// Corporate shows the field that routes a corporate email address to
	// its identity provider by the address's domain (IdpIdentifiers).
	Corporate bool
}

func loginGet(p *PageRequest) {
	if p.Authorize == nil {
		p.h.errorPage(p.W, p.R, http.StatusBadRequest, "invalid_request", "client_id is missing.")
		return
	}
	v := loginView{Username: p.Authorize.loginHint, Label: p.usernameLabel(), Choice: p.choiceBased(), Providers: p.providerButtons(), Corporate: p.corporateRouting()}
	if !slices.Contains(p.Authorize.client.OAuth().IdentityProviders, "COGNITO") {
		// The client signs in only through its providers: their buttons.
		p.Render("login_providers.html", "Sign in", v)
		return
	}
	p.Render("login.html", "Sign in", v)
}

func loginPost(p *PageRequest) {
	if p.Authorize == nil {
		p.h.errorPage(p.W, p.R, http.StatusBadRequest, "invalid_request", "client_id is missing.")
		return
	}
	if p.R.PostForm.Has("idp_email") {
		p.routeCorporateEmail(strings.TrimSpace(p.R.PostForm.Get("idp_email")))
		return
	}
	username, password := strings.TrimSpace(p.R.PostForm.Get("username")), p.R.PostForm.Get("password")
	if !slices.Contains(p.Authorize.client.OAuth().IdentityProviders, "COGNITO") {
		p.h.errorPage(p.W, p.R, http.StatusBadRequest, "unauthorized_client", "The app client does not sign in users of the user pool.")
		return
	}
	view := loginView{Username: username, Label: p.usernameLabel(), Providers: p.providerButtons(), Corporate: p.corporateRouting()}
	if !p.R.PostForm.Has("password") && p.choiceBased() {
		// Choice-based sign-in: the username first, then its choices.
		if username == "" {
			view.Choice = true
			p.RenderStatus(http.StatusBadRequest, "login.html", "Sign in", "Enter your username.", view)
			return
		}
		if !p.h.protect.AllowUser(p.Site.poolID, username) {
			view.Choice = true
			p.RenderStatus(http.StatusTooManyRequests, "login.html", "Sign in", "Too many attempts. Wait a moment and try again.", view)
			return
		}
		p.startChoice(username, http.StatusOK, "")
		return
	}
	if username == "" || password == "" {
		p.RenderStatus(http.StatusBadRequest, "login.html", "Sign in", "Enter your username and password.", view)
		return
	}
	if !p.h.protect.AllowUser(p.Site.poolID, username) {
		p.RenderStatus(http.StatusTooManyRequests, "login.html", "Sign in", "Too many attempts. Wait a moment and try again.", view)
		return
	}
	step, err := p.h.auth.StartHostedSignIn(p.R.Context(), cognito.Caller{Region: p.Site.region},
		authflow.HostedSignIn{ClientID: p.Authorize.client.ClientID, Username: username, Password: password})
	if err != nil {
		p.signInError(err, "login.html", "Sign in", view)
		return
	}
	p.continueSignIn(step)
}

// continueSignIn shows the page of the challenge a step opened, or ends
// the sign-in.
func (p *PageRequest) continueSignIn(step *authflow.Step) {
	switch {
	case step.UISession != "":
		p.SignedIn(step)
	case step.Challenge == idp.ChallengeNameTypeNewPasswordRequired:
		var required []string
		_ = json.Unmarshal([]byte(step.Params["requiredAttributes"]), &required)
		v := newPasswordView{Session: step.Session}
		for _, r := range required {
			name := strings.TrimPrefix(r, "userAttributes.")
			v.Required = append(v.Required, attributeField{Name: name, Label: attributeLabel(name)})
		}
		p.Render("new_password.html", "Change your password", v)
	case step.Challenge == idp.ChallengeNameTypeWebAuthn:
		p.passkeyStep(step)
	case p.mfaStep(step):
	default:
		p.h.errorPage(p.W, p.R, http.StatusBadRequest, "unsupported_challenge", "This sign-in needs a step the hosted UI does not offer yet.")
	}
}

// signInError shows the engine's answer to a failed step on the page's
// form: Cognito's own message for the user's mistakes (which, when the
// client prevents user-existence errors, is the same for an unknown user
// and a wrong password), the error page for anything else.
func (p *PageRequest) signInError(err error, tmpl, title string, data any) {
	var ce *cognito.Error
	if !errors.As(err, &ce) || ce.Status >= 500 {
		p.h.serverError(p.W, p.R, err)
		return
	}
	status := http.StatusBadRequest
	if ce.Code == cognito.CodeTooManyRequestsException {
		status = http.StatusTooManyRequests
	}
	p.RenderStatus(status, tmpl, title, ce.Message, data)
}

// attributeLabel is the label of a standard attribute's field.
func attributeLabel(name string) string {
	if l, ok := attributeLabels[name]; ok {
		return l
	}
	return strings.ReplaceAll(strings.TrimPrefix(name, "custom:"), "_", " ")
}

var attributeLabels = map[string]string{
	"email": "Email address", "phone_number": "Phone number", "name": "Name", "given_name": "Given name",
	"family_name": "Family name", "middle_name": "Middle name", "nickname": "Nickname",
	"preferred_username": "Preferred username", "birthdate": "Birth date", "address": "Address",
	"gender": "Gender", "locale": "Locale", "picture": "Picture URL", "profile": "Profile URL",
	"website": "Website", "zoneinfo": "Time zone", "updated_at": "Updated at",
}

// usernameLabel is the label of the field the sign-in and forgot-password
// pages take a user by, named after what the pool signs users in with:
// its UsernameAttributes (email, phone number) in place of a username, or
// a username and the aliases its AliasAttributes allow.
func (p *PageRequest) usernameLabel() string {
	pool, err := p.h.pools.SignInPool(p.R.Context(), cognito.Caller{Region: p.Site.region}, p.Site.poolID)
	if err != nil {
		return "Username"
	}
	return usernameLabel(pool.Config())
}

func usernameLabel(cfg *idp.UserPoolType) string {
	email := slices.Contains(cfg.UsernameAttributes, idp.UsernameAttributeTypeEmail)
	phone := slices.Contains(cfg.UsernameAttributes, idp.UsernameAttributeTypePhoneNumber)
	switch {
	case email && phone:
		return "Email address or phone number"
	case email:
		return "Email address"
	case phone:
		return "Phone number"
	}
	names := []string{"Username"}
	for _, a := range []struct {
		alias idp.AliasAttributeType
		name  string
	}{
		{idp.AliasAttributeTypeEmail, "email address"},
		{idp.AliasAttributeTypePhoneNumber, "phone number"},
		{idp.AliasAttributeTypePreferredUsername, "preferred username"},
	} {
		if slices.Contains(cfg.AliasAttributes, a.alias) {
			names = append(names, a.name)
		}
	}
	if len(names) == 1 {
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}
