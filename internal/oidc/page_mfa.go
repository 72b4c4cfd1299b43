package oidc

import (
	"encoding/base64"
	"encoding/json"
	"html/template"
	"net/http"

	"github.com/cognate-dev/cognate/internal/authflow"
	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/mfa"
)

// The MFA steps of a hosted sign-in. The sign-in page (continueSignIn)
// shows the step the engine opened; each form posts to its page here:
//
//	/mfa       a code (SMS_MFA, EMAIL_OTP, SOFTWARE_TOKEN_MFA), or the
//	           factor chosen (SELECT_MFA_TYPE)
//	/mfaSetup  the first code of a new authenticator app (MFA_SETUP),
//	           whose secret and QR code the page showed
var (
	mfaPage      = Page{Path: "/mfa", Template: "mfa.html", Post: mfaPost}
	mfaSetupPage = Page{Path: "/mfaSetup", Template: "mfa_setup.html", Post: mfaSetupPost}
)

// mfaView is the page of a code challenge or of SELECT_MFA_TYPE.
type mfaView struct {
	Session   string
	Challenge string
	// Prompt says where the code is; Destination is the masked address
	// or number it went to.
	Prompt, Destination string
	// Options are SELECT_MFA_TYPE's factors.
	Options []mfaOption
}

type mfaOption struct {
	Value, Label string
}

var mfaLabels = map[string]string{
	"SMS_MFA":            "Text message (SMS)",
	"EMAIL_OTP":          "Email",
	"SOFTWARE_TOKEN_MFA": "Authenticator app",
}

// mfaSetupView is the page that sets up an authenticator app.
type mfaSetupView struct {
	Session, Secret string
	// QR is the otpauth URI as a PNG data URI.
	QR template.URL
}

// mfaStep shows the page of the MFA challenge step opened; false when
// step is none of them.
func (p *PageRequest) mfaStep(step *authflow.Step) bool {
	v := mfaView{Session: step.Session, Challenge: string(step.Challenge)}
	switch step.Challenge {
	case idp.ChallengeNameTypeSmsMfa, idp.ChallengeNameTypeEmailOtp:
		v.Prompt, v.Destination = "Enter the code we sent to", step.Params["CODE_DELIVERY_DESTINATION"]
	case idp.ChallengeNameTypeSoftwareTokenMfa:
		v.Prompt = "Enter the code from your authenticator app."
	case idp.ChallengeNameTypeSelectMfaType:
		var names []string
		_ = json.Unmarshal([]byte(step.Params["MFAS_CAN_CHOOSE"]), &names)
		for _, n := range names {
			v.Options = append(v.Options, mfaOption{Value: n, Label: mfaLabels[n]})
		}
	case idp.ChallengeNameTypeMfaSetup:
		p.showMFASetup(step.Session, step.Params["USER_ID_FOR_SRP"])
		return true
	default:
		return false
	}
	p.Render("mfa.html", "Multi-factor authentication", v)
	return true
}

// showMFASetup associates a new authenticator app with the MFA_SETUP
// challenge's Session and shows its secret and QR code (labelled with the
// pool ID and the username).
func (p *PageRequest) showMFASetup(session, username string) {
	r, err := p.h.auth.AssociateHostedSoftwareToken(p.R.Context(), cognito.Caller{Region: p.Site.region},
		authflow.SoftwareToken{ClientID: p.Authorize.client.ClientID, Session: session})
	if err != nil {
		p.signInError(err, "mfa_setup.html", "Set up an authenticator app", mfaSetupView{})
		return
	}
	png, err := mfa.QRCodePNG(mfa.URI(p.Site.poolID, username, r.SecretCode), 200)
	if err != nil {
		p.h.serverError(p.W, p.R, err)
		return
	}
	p.Render("mfa_setup.html", "Set up an authenticator app", mfaSetupView{
		Session: r.Session, Secret: r.SecretCode,
		QR: template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png)),
	})
}

func mfaPost(p *PageRequest) {
	if p.Authorize == nil {
		p.h.errorPage(p.W, p.R, http.StatusBadRequest, "invalid_request", "client_id is missing.")
		return
	}
	f := p.R.PostForm
	v := mfaView{Session: f.Get("session"), Challenge: f.Get("challenge"), Prompt: "Enter the code."}
	step, err := p.h.auth.AnswerHostedMFA(p.R.Context(), cognito.Caller{Region: p.Site.region}, authflow.HostedMFA{
		ClientID: p.Authorize.client.ClientID, Session: v.Session, Challenge: idp.ChallengeNameType(v.Challenge),
		Code: f.Get("code"), Answer: f.Get("factor"),
	})
	if err != nil {
		p.signInError(err, "mfa.html", "Multi-factor authentication", v)
		return
	}
	p.continueSignIn(step)
}

func mfaSetupPost(p *PageRequest) {
	if p.Authorize == nil {
		p.h.errorPage(p.W, p.R, http.StatusBadRequest, "invalid_request", "client_id is missing.")
		return
	}
	f := p.R.PostForm
	step, err := p.h.auth.VerifyHostedSoftwareToken(p.R.Context(), cognito.Caller{Region: p.Site.region}, authflow.SoftwareToken{
		ClientID: p.Authorize.client.ClientID, Session: f.Get("session"), UserCode: f.Get("code"),
	})
	if err != nil {
		p.signInError(err, "mfa_setup.html", "Set up an authenticator app", mfaSetupView{Session: f.Get("session"), Secret: f.Get("secret")})
		return
	}
	p.continueSignIn(step)
}
