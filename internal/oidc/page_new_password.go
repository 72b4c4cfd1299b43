package oidc

import (
	"net/http"
	"strings"

	"github.com/cognate-dev/cognate/internal/authflow"
	"github.com/cognate-dev/cognate/internal/cognito"
)

// newPasswordPage is /forceChangePassword, where an invited user replaces
// the temporary password (NEW_PASSWORD_REQUIRED) and gives the required
// attributes the pool lacks; the sign-in page shows its form, which posts
// here.
var newPasswordPage = Page{Path: "/forceChangePassword", Template: "new_password.html", Post: newPasswordPost}

type attributeField struct {
	Name, Label, Value string
}

type newPasswordView struct {
	Session  string
	Required []attributeField
}

func newPasswordPost(p *PageRequest) {
	if p.Authorize == nil {
		p.h.errorPage(p.W, p.R, http.StatusBadRequest, "invalid_request", "client_id is missing.")
		return
	}
	f := p.R.PostForm
	v := newPasswordView{Session: f.Get("session")}
	attrs := map[string]string{}
	for name, vals := range f {
		if a, ok := strings.CutPrefix(name, "attr_"); ok && a != "" && len(vals) == 1 {
			attrs[a] = vals[0]
			v.Required = append(v.Required, attributeField{Name: a, Label: attributeLabel(a), Value: vals[0]})
		}
	}
	pw, confirm := f.Get("new_password"), f.Get("confirm_password")
	if pw == "" || pw != confirm {
		p.RenderStatus(http.StatusBadRequest, "new_password.html", "Change your password", "Enter the same new password twice.", v)
		return
	}
	step, err := p.h.auth.AnswerHostedNewPassword(p.R.Context(), cognito.Caller{Region: p.Site.region},
		authflow.HostedNewPassword{ClientID: p.Authorize.client.ClientID, Session: v.Session, NewPassword: pw, Attributes: attrs})
	if err != nil {
		p.signInError(err, "new_password.html", "Change your password", v)
		return
	}
	p.continueSignIn(step)
}
