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
	// FirstFactor says the code signs in without a password (EMAIL_OTP
	// or SMS_OTP chosen at choice-based sign-in).
	FirstFactor bool
}

// title is the title of the code page.
func (v mfaView) title() string {
	if v.FirstFactor {
		return "Sign in with a code"
	}
	return "Multi-factor authentication"
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
	// Username labels the key in the app (with the pool ID).
	Username string
	// QR is the otpauth URI as a PNG data URI.
	QR template.URL
}

// maxSecretLen bounds the key the set-up page shows again after a wrong
// code: a software token's key is 52 base32 characters.
const maxSecretLen = 64

// mfaPrompt is what the code page of challenge asks for.
func mfaPrompt(challenge idp.ChallengeNameType) string {
	switch challenge {
	case idp.ChallengeNameTypeSmsMfa, idp.ChallengeNameTypeEmailOtp, idp.ChallengeNameTypeSmsOtp:
		return "Enter the code we sent to"
	case idp.ChallengeNameTypeSoftwareTokenMfa:
		return "Enter the code from your authenticator app."
	}
	return "Enter the code."
}

// mfaOptions are the factors of SELECT_MFA_TYPE named in names, with their
// labels; names the page does not know are left out.
func mfaOptions(names []string) []mfaOption {
	var out []mfaOption
	for _, n := range names {
		if l, ok := mfaLabels[n]; ok {
			out = append(out, mfaOption{Value: n, Label: l})
		}
	}
	return out
}

// qrDataURI is the QR code of the otpauth URI of secret, labelled with the
// pool ID and username, as a PNG data URI.
func qrDataURI(pool, username, secret string) (template.URL, error) {
	png, err := mfa.QRCodePNG(mfa.URI(pool, username, secret), 200)
	if err != nil {
		return "", err
	}
	return template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png)), nil
}

// mfaStep shows the page of the MFA challenge step opened; false when
// step is none of them.
func (p *PageRequest) mfaStep(step *authflow.Step) bool {
	v := mfaView{Session: step.Session, Challenge: string(step.Challenge), Prompt: mfaPrompt(step.Challenge), FirstFactor: p.firstFactor}
	switch step.Challenge {
	case idp.ChallengeNameTypeSmsMfa, idp.ChallengeNameTypeEmailOtp, idp.ChallengeNameTypeSmsOtp:
		v.Destination = step.Params["CODE_DELIVERY_DESTINATION"]
	case idp.ChallengeNameTypeSoftwareTokenMfa:
	case idp.ChallengeNameTypeSelectMfaType:
		var names []string
		_ = json.Unmarshal([]byte(step.Params["MFAS_CAN_CHOOSE"]), &names)
		v.Options = mfaOptions(names)
	case idp.ChallengeNameTypeMfaSetup:
		p.showMFASetup(step.Session, step.Params["USER_ID_FOR_SRP"])
		return true
	default:
		return false
	}
	p.Render("mfa.html", v.title(), v)
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
	qr, err := qrDataURI(p.Site.poolID, username, r.SecretCode)
	if err != nil {
		p.h.serverError(p.W, p.R, err)
		return
	}
	p.Render("mfa_setup.html", "Set up an authenticator app", mfaSetupView{
		Session: r.Session, Secret: r.SecretCode, Username: username, QR: qr,
	})
}

func mfaPost(p *PageRequest) {
	if p.Authorize == nil {
		p.h.errorPage(p.W, p.R, http.StatusBadRequest, "invalid_request", "client_id is missing.")
		return
	}
	f := p.R.PostForm
	// The page again, after a wrong answer, as it was: the prompt, where
	// the code went, the factors to choose from.
	v := mfaView{Session: f.Get("session"), Challenge: f.Get("challenge"), Prompt: mfaPrompt(idp.ChallengeNameType(f.Get("challenge"))),
		Destination: f.Get("destination"), Options: mfaOptions(f["option"]), FirstFactor: f.Get("first") == "1"}
	if v.Destination == "" && (v.Challenge == string(idp.ChallengeNameTypeSmsMfa) || v.Challenge == string(idp.ChallengeNameTypeEmailOtp) || v.Challenge == string(idp.ChallengeNameTypeSmsOtp)) {
		v.Prompt = "Enter the code we sent you."
	}
	step, err := p.h.auth.AnswerHostedMFA(p.R.Context(), cognito.Caller{Region: p.Site.region}, authflow.HostedMFA{
		ClientID: p.Authorize.client.ClientID, Session: v.Session, Challenge: idp.ChallengeNameType(v.Challenge),
		Code: f.Get("code"), Answer: f.Get("factor"),
	})
	if err != nil {
		p.signInError(err, "mfa.html", v.title(), v)
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
		// The page again with the key and its QR code, so that a user who
		// has not added it to the app yet still can.
		// The key and username come back from the form: a key that is not
		// one the page could have shown gets no QR code.
		v := mfaSetupView{Session: f.Get("session"), Secret: f.Get("secret"), Username: f.Get("username")}
		if len(v.Secret) > 0 && len(v.Secret) <= maxSecretLen && len(v.Username) <= 128 {
			if qr, qerr := qrDataURI(p.Site.poolID, v.Username, v.Secret); qerr == nil {
				v.QR = qr
			}
		}
		p.signInError(err, "mfa_setup.html", "Set up an authenticator app", v)
		return
	}
	p.continueSignIn(step)
}
