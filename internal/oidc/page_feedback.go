package oidc

import (
	"errors"
	"html/template"
	"net/http"
	"net/url"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/directory"
)

// feedbackView is the data of the feedback page.
type feedbackView struct {
	Question, Button                        string
	Action                                  string
	PoolID, Username, EventID, Token, Value string
}

// feedbackPage serves the one-click links of threat protection's
// notification emails (directory.FeedbackPath), on cognate's own host and
// on every pool domain.
//
// GET shows what the link will say (this sign-in was the user, or was
// not) and a button; only the POST the button sends records the feedback,
// through UpdateAuthEventFeedback's engine method. The two steps keep a
// mail scanner that opens every link of a message from answering for the
// user. The POST needs no CSRF cookie: it carries the feedback token,
// the secret only the email's reader has, and a token serves once.
func (h *Handler) feedbackPage(w http.ResponseWriter, r *http.Request) {
	setSecurityHeaders(w)
	var q url.Values
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		q = r.URL.Query()
	case http.MethodPost:
		r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
		if err := r.ParseForm(); err != nil {
			h.errorPage(w, r, http.StatusBadRequest, "invalid_request", "The form could not be read.")
			return
		}
		q = r.PostForm
	default:
		w.Header().Set("Allow", "GET, HEAD, POST")
		h.errorPage(w, r, http.StatusMethodNotAllowed, "invalid_request", "This page does not take a "+r.Method+" request.")
		return
	}
	v := feedbackView{Action: r.URL.Path}
	fields := []struct {
		name string
		to   *string
	}{{"user_pool_id", &v.PoolID}, {"username", &v.Username}, {"event_id", &v.EventID}, {"feedback_token", &v.Token}, {"feedback_value", &v.Value}}
	for _, f := range fields {
		if len(q[f.name]) != 1 || q[f.name][0] == "" {
			h.errorPage(w, r, http.StatusBadRequest, "invalid_request", "The link is incomplete.")
			return
		}
		*f.to = q[f.name][0]
	}
	value := idp.FeedbackValueType(v.Value)
	switch value {
	case idp.FeedbackValueTypeValid:
		v.Question, v.Button = "Was the sign-in this email told you about yours? Confirm it, and we will trust sign-ins like it.", "Yes, it was me"
	case idp.FeedbackValueTypeInvalid:
		v.Question, v.Button = "Report the sign-in this email told you about as not yours. Change your password as well.", "No, it was not me"
	default:
		h.errorPage(w, r, http.StatusBadRequest, "invalid_request", "The link is incomplete.")
		return
	}
	if r.Method != http.MethodPost {
		h.render(w, r, http.StatusOK, "feedback.html", "Sign-in notification", v)
		return
	}
	addr := h.proxies.ClientAddr(r.RemoteAddr, r.Header)
	if !h.protect.AllowAddress(addr) || !h.protect.AllowUser(v.PoolID, v.Username) {
		h.errorPage(w, r, http.StatusTooManyRequests, "slow_down", "Too many requests. Wait a moment and try again.")
		return
	}
	_, err := h.users.UpdateAuthEventFeedback(r.Context(), cognito.Caller{Region: cognito.RegionOfPoolID(v.PoolID)}, &idp.UpdateAuthEventFeedbackRequest{
		UserPoolId: cognito.Ptr(v.PoolID), Username: cognito.Ptr(v.Username), EventId: cognito.Ptr(v.EventID),
		FeedbackToken: cognito.Ptr(v.Token), FeedbackValue: cognito.Ptr(value),
	})
	if err != nil {
		var ce *cognito.Error
		if !errors.As(err, &ce) || ce.Status >= 500 {
			h.serverError(w, r, err)
			return
		}
		h.errorPage(w, r, http.StatusBadRequest, "feedback_failed", ce.Message)
		return
	}
	h.render(w, r, http.StatusOK, "message.html", "Thank you", messageView{Message: "Thank you: your answer is recorded."})
}

// render writes a page that stands outside the page shell (no app client,
// no authorize request).
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name, title string, data any) {
	base := ""
	if st := siteOf(r.Context()); st != nil {
		base = st.base
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := templates.ExecuteTemplate(w, name, pageData{Title: title, Base: base, Authorize: template.URL(""), Data: data}); err != nil {
		h.log.ErrorContext(r.Context(), "render page", "template", name, "err", err)
	}
}

// The feedback page's path is the one the directory's links name.
const feedbackPath = directory.FeedbackPath
