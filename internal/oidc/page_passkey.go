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

// Choice-based sign-in and passkeys on the pages, as managed login offers
// them (a domain whose ManagedLoginVersion is 2; the classic hosted UI has
// neither), for an app client that allows USER_AUTH in a pool whose
// SignInPolicy allows a first factor other than the password:
//
//	/login            the username first (choiceBased); then the choices of
//	                  SELECT_CHALLENGE on select_challenge.html
//	/selectChallenge  the choice: the password (with it), a code by email
//	                  or SMS (then the code page, /mfa), or a passkey
//	/passkey          the passkey's answer to WEB_AUTHN, which the page's
//	                  script (static/passkey.js) gets from the browser
//	/passkeys/add     a passkey registered for the user of the hosted-UI
//	                  session, then back to the app
//
// Everything but the passkey works without JavaScript. The sign-in runs
// the engine's USER_AUTH (StartHostedUserAuth, AnswerHostedChoice,
// AnswerHostedMFA): the same lockout, existence errors, events and
// WebAuthn checks as InitiateAuth's; the relying party is the one the
// engine picks for the pool.
var (
	selectChallengePage = Page{Path: "/selectChallenge", Template: "select_challenge.html", Post: selectChallengePost}
	passkeyPage         = Page{Path: "/passkey", Template: "passkey.html", Post: passkeyPost}
	passkeyAddPage      = Page{Path: "/passkeys/add", Template: "passkey_add.html", Get: passkeyAddGet, Post: passkeyAddPost}
)

// maxPasskeyJSON bounds the WebAuthn options and credentials the passkey
// pages take back from a form.
const maxPasskeyJSON = 16 << 10

// choiceBased says whether the page's sign-in is choice-based: managed
// login (ManagedLoginVersion 2), and an app client and pool that offer
// more than a password (authflow.Service.HostedChoices).
func (p *PageRequest) choiceBased() bool {
	if p.Authorize == nil || p.Site.domain.ManagedLoginVersion != 2 {
		return false
	}
	choices, err := p.h.auth.HostedChoices(p.R.Context(), cognito.Caller{Region: p.Site.region}, p.Authorize.client.ClientID)
	return err == nil && len(choices) > 0
}

// choiceView is the page of SELECT_CHALLENGE's choices.
type choiceView struct {
	Session, Username string
	// Password, Email, SMS and Passkey are the choices offered.
	Password, Email, SMS, Passkey bool
}

func newChoiceView(step *authflow.Step, username string) choiceView {
	return choiceView{
		Session: step.Session, Username: username,
		Password: slices.Contains(step.Available, idp.ChallengeNameTypePassword),
		Email:    slices.Contains(step.Available, idp.ChallengeNameTypeEmailOtp),
		SMS:      slices.Contains(step.Available, idp.ChallengeNameTypeSmsOtp),
		Passkey:  slices.Contains(step.Available, idp.ChallengeNameTypeWebAuthn),
	}
}

// startChoice runs the username of the choice-based sign-in page through
// USER_AUTH and shows its choices; errMsg, when not empty, is shown above
// them (a failed choice, started again).
func (p *PageRequest) startChoice(username string, status int, errMsg string) {
	view := loginView{Username: username, Label: p.usernameLabel(), Choice: true}
	step, err := p.h.auth.StartHostedUserAuth(p.R.Context(), cognito.Caller{Region: p.Site.region},
		authflow.HostedUserAuth{ClientID: p.Authorize.client.ClientID, Username: username})
	if err != nil {
		p.signInError(err, "login.html", "Sign in", view)
		return
	}
	if step.Challenge != idp.ChallengeNameTypeSelectChallenge {
		p.continueSignIn(step)
		return
	}
	p.RenderStatus(status, "select_challenge.html", "Choose how to sign in", errMsg, newChoiceView(step, username))
}

func selectChallengePost(p *PageRequest) {
	if p.Authorize == nil {
		p.h.errorPage(p.W, p.R, http.StatusBadRequest, "invalid_request", "client_id is missing.")
		return
	}
	f := p.R.PostForm
	username := strings.TrimSpace(f.Get("username"))
	if username == "" || !p.choiceBased() {
		p.RenderStatus(http.StatusBadRequest, "login.html", "Sign in", "Enter your username.",
			loginView{Label: p.usernameLabel(), Choice: p.choiceBased()})
		return
	}
	answer := idp.ChallengeNameType(f.Get("answer"))
	password := f.Get("password")
	if answer == idp.ChallengeNameTypePassword && password == "" {
		p.startChoice(username, http.StatusBadRequest, "Enter your password.")
		return
	}
	if !p.h.protect.AllowUser(p.Site.poolID, username) {
		p.startChoice(username, http.StatusTooManyRequests, "Too many attempts. Wait a moment and try again.")
		return
	}
	step, err := p.h.auth.AnswerHostedChoice(p.R.Context(), cognito.Caller{Region: p.Site.region}, authflow.HostedChoice{
		ClientID: p.Authorize.client.ClientID, Session: f.Get("session"), Answer: answer, Password: password,
	})
	if err != nil {
		// The choice's Session is used up by a wrong password: the
		// choices come again, with a new one, and the engine's message.
		var ce *cognito.Error
		if !errors.As(err, &ce) || ce.Status >= 500 {
			p.h.serverError(p.W, p.R, err)
			return
		}
		status := http.StatusBadRequest
		if ce.Code == cognito.CodeTooManyRequestsException {
			status = http.StatusTooManyRequests
		}
		p.startChoice(username, status, ce.Message)
		return
	}
	p.firstFactor = answer != idp.ChallengeNameTypePassword
	p.continueSignIn(step)
}

// passkeyView is the page that asks the browser for a passkey.
type passkeyView struct {
	Session string
	// Options are the PublicKeyCredentialRequestOptions (or, to add one,
	// CreationOptions) as JSON, which the page's script hands the
	// browser.
	Options string
}

// passkeyStep shows the page of the WEB_AUTHN challenge step opened.
func (p *PageRequest) passkeyStep(step *authflow.Step) {
	p.Render("passkey.html", "Sign in with a passkey", passkeyView{Session: step.Session, Options: step.Params["CREDENTIAL_REQUEST_OPTIONS"]})
}

func passkeyPost(p *PageRequest) {
	if p.Authorize == nil {
		p.h.errorPage(p.W, p.R, http.StatusBadRequest, "invalid_request", "client_id is missing.")
		return
	}
	f := p.R.PostForm
	v := passkeyView{Session: f.Get("session"), Options: f.Get("options")}
	if len(v.Options) > maxPasskeyJSON || !json.Valid([]byte(v.Options)) {
		v.Options = ""
	}
	credential := f.Get("credential")
	if credential == "" || len(credential) > maxPasskeyJSON || !json.Valid([]byte(credential)) {
		p.RenderStatus(http.StatusBadRequest, "passkey.html", "Sign in with a passkey", "Your browser gave no passkey. Try again, or choose another way to sign in.", v)
		return
	}
	step, err := p.h.auth.AnswerHostedMFA(p.R.Context(), cognito.Caller{Region: p.Site.region}, authflow.HostedMFA{
		ClientID: p.Authorize.client.ClientID, Session: v.Session, Challenge: idp.ChallengeNameTypeWebAuthn, Credential: credential,
	})
	if err != nil {
		p.signInError(err, "passkey.html", "Sign in with a passkey", v)
		return
	}
	p.continueSignIn(step)
}

// passkeyAddView is the page that registers a passkey.
type passkeyAddView struct {
	passkeyView
	// SignIn says the user has no hosted-UI session to add a passkey to:
	// the page links to the sign-in page instead.
	SignIn bool
}

// passkeyAdd answers /passkeys/add only on managed login, as Cognito's
// managed login alone serves it.
func (p *PageRequest) passkeyAddServed() bool {
	if p.Site.domain.ManagedLoginVersion != 2 {
		p.h.notFound(p.W, p.R)
		return false
	}
	if p.Authorize == nil {
		p.h.errorPage(p.W, p.R, http.StatusBadRequest, "invalid_request", "client_id is missing.")
		return false
	}
	return true
}

func (p *PageRequest) uiSessionCookie() string {
	c, err := p.R.Cookie(sessionCookie)
	if err != nil {
		return ""
	}
	return c.Value
}

func passkeyAddGet(p *PageRequest) {
	if !p.passkeyAddServed() {
		return
	}
	options, err := p.h.auth.StartHostedPasskeyRegistration(p.R.Context(), p.Site.poolID, p.uiSessionCookie(), p.Authorize.client.ClientID)
	if err != nil {
		p.passkeyAddError(err, passkeyAddView{})
		return
	}
	p.Render("passkey_add.html", "Add a passkey", passkeyAddView{passkeyView: passkeyView{Options: string(options)}})
}

func passkeyAddPost(p *PageRequest) {
	if !p.passkeyAddServed() {
		return
	}
	credential := p.R.PostForm.Get("credential")
	if credential == "" || len(credential) > maxPasskeyJSON || !json.Valid([]byte(credential)) {
		// Nothing to register: a new challenge, for another try.
		options, err := p.h.auth.StartHostedPasskeyRegistration(p.R.Context(), p.Site.poolID, p.uiSessionCookie(), p.Authorize.client.ClientID)
		if err != nil {
			p.passkeyAddError(err, passkeyAddView{})
			return
		}
		p.RenderStatus(http.StatusBadRequest, "passkey_add.html", "Add a passkey", "Your browser made no passkey. Try again.",
			passkeyAddView{passkeyView: passkeyView{Options: string(options)}})
		return
	}
	token := p.uiSessionCookie()
	err := p.h.auth.CompleteHostedPasskeyRegistration(p.R.Context(), p.Site.poolID, token, p.Authorize.client.ClientID, json.RawMessage(credential))
	if err != nil {
		p.passkeyAddError(err, passkeyAddView{})
		return
	}
	sess, err := p.h.auth.OpenUISession(p.R.Context(), p.Site.poolID, token)
	if err != nil {
		p.h.serverError(p.W, p.R, err)
		return
	}
	if sess == nil {
		p.passkeyAddError(cognito.NotAuthorizedException("Sign in to add a passkey."), passkeyAddView{})
		return
	}
	p.h.grant(p.W, p.R, p.Site, p.Authorize, sess)
}

// passkeyAddError shows the engine's refusal on the page: without a
// session, with a link to sign in.
func (p *PageRequest) passkeyAddError(err error, v passkeyAddView) {
	var ce *cognito.Error
	if errors.As(err, &ce) && ce.Code == cognito.CodeNotAuthorizedException {
		v.SignIn = true
	}
	p.signInError(err, "passkey_add.html", "Add a passkey", v)
}
