package oidc

import (
	"net/http"
	"strings"

	"github.com/cognate-dev/cognate/internal/cognito"
)

// forgotPage is /forgotPassword: the user names their account and gets a
// code (ForgotPassword through the engine: the pool's recovery settings,
// and when the client prevents user-existence errors the same answer for
// an unknown user). resetPage is /confirmForgotPassword, where the code
// and a new password are posted (ConfirmForgotPassword).
var (
	forgotPage = Page{Path: "/forgotPassword", Template: "forgot.html", Get: forgotGet, Post: forgotPost}
	resetPage  = Page{Path: "/confirmForgotPassword", Template: "reset.html", Post: resetPost}
)

// forgotView is the forgot-password form's data.
type forgotView struct {
	Username string
	// Label names what users sign in with (usernameLabel).
	Label string
}

// resetView is the reset form's data.
type resetView struct {
	Username string
	Sent     string
	Rules    []string
}

func forgotGet(p *PageRequest) {
	if p.Authorize == nil {
		p.h.errorPage(p.W, p.R, http.StatusBadRequest, "invalid_request", "client_id is missing.")
		return
	}
	p.Render("forgot.html", "Forgot your password?", forgotView{Username: p.Authorize.loginHint, Label: p.usernameLabel()})
}

func forgotPost(p *PageRequest) {
	if p.Authorize == nil {
		p.h.errorPage(p.W, p.R, http.StatusBadRequest, "invalid_request", "client_id is missing.")
		return
	}
	v := forgotView{Username: strings.TrimSpace(p.R.PostForm.Get("username")), Label: p.usernameLabel()}
	if v.Username == "" {
		p.RenderStatus(http.StatusBadRequest, "forgot.html", "Forgot your password?", "Enter your username.", v)
		return
	}
	if !p.h.protect.AllowUser(p.Site.poolID, v.Username) {
		p.RenderStatus(http.StatusTooManyRequests, "forgot.html", "Forgot your password?", "Too many attempts. Wait a moment and try again.", v)
		return
	}
	c := cognito.Caller{Region: p.Site.region}
	clientID := p.Authorize.client.ClientID
	d, err := p.h.users.HostedForgotPassword(p.R.Context(), c, clientID, v.Username)
	if err != nil {
		p.signInError(err, "forgot.html", "Forgot your password?", v)
		return
	}
	rules, err := p.h.users.HostedPasswordRules(p.R.Context(), c, clientID)
	if err != nil {
		p.h.serverError(p.W, p.R, err)
		return
	}
	p.Render("reset.html", "Reset your password", resetView{Username: v.Username, Sent: sentTo(d), Rules: ruleTexts(rules)})
}

func resetPost(p *PageRequest) {
	if p.Authorize == nil {
		p.h.errorPage(p.W, p.R, http.StatusBadRequest, "invalid_request", "client_id is missing.")
		return
	}
	f := p.R.PostForm
	c := cognito.Caller{Region: p.Site.region}
	clientID := p.Authorize.client.ClientID
	rules, err := p.h.users.HostedPasswordRules(p.R.Context(), c, clientID)
	if err != nil {
		p.h.serverError(p.W, p.R, err)
		return
	}
	v := resetView{Username: strings.TrimSpace(f.Get("username")), Rules: ruleTexts(rules)}
	code, pw, confirm := strings.TrimSpace(f.Get("code")), f.Get("password"), f.Get("confirm_password")
	switch {
	case v.Username == "" || code == "" || pw == "":
		p.RenderStatus(http.StatusBadRequest, "reset.html", "Reset your password", "Enter the code you were sent and a new password.", v)
		return
	case pw != confirm:
		p.RenderStatus(http.StatusBadRequest, "reset.html", "Reset your password", "Enter the same new password twice.", v)
		return
	}
	if !p.h.protect.AllowUser(p.Site.poolID, v.Username) {
		p.RenderStatus(http.StatusTooManyRequests, "reset.html", "Reset your password", "Too many attempts. Wait a moment and try again.", v)
		return
	}
	if err := p.h.users.HostedConfirmForgotPassword(p.R.Context(), c, clientID, v.Username, code, pw); err != nil {
		p.signInError(err, "reset.html", "Reset your password", v)
		return
	}
	p.Render("login.html", "Sign in", loginView{Username: v.Username, Label: p.usernameLabel(), Notice: "Your password has been reset. Sign in with the new password."})
}
