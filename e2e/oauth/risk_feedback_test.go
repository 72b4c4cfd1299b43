package oauth

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"golang.org/x/oauth2"
)

var feedbackLinkIn = regexp.MustCompile(`https?://\S+/authEventFeedback\?\S+`)

// TestRiskFeedbackPage signs a user in through the hosted UI of a pool
// whose threat protection notifies of Low risk (a sign-in names no known
// device): the sign-in's email carries the one-click links. Opening one
// only shows a page with a button (a mail scanner that follows links
// answers nothing); the button records the feedback, which
// AdminListUserAuthEvents then shows on the hosted sign-in's event; the
// same link a second time is refused. The link works on the pool's domain
// too.
func TestRiskFeedbackPage(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		a := newApp(t, e, "feedback", clientSpec{threat: true})
		if _, err := e.IDP.SetRiskConfiguration(ctx, &cip.SetRiskConfigurationInput{UserPoolId: aws.String(a.Pool),
			AccountTakeoverRiskConfiguration: &types.AccountTakeoverRiskConfigurationType{
				Actions: &types.AccountTakeoverActionsType{
					LowAction: &types.AccountTakeoverActionType{EventAction: types.AccountTakeoverEventActionTypeNoAction, Notify: true},
				},
				NotifyConfiguration: &types.NotifyConfigurationType{SourceArn: aws.String("arn:aws:ses:us-east-1:123456789012:identity/example.com")},
			},
		}); err != nil {
			t.Fatal(err)
		}
		r := newRP(t, a)
		verifier := oauth2.GenerateVerifier()
		b := newBrowser(t, e)
		back := b.signIn(t, r.config.AuthCodeURL("st", oauth2.S256ChallengeOption(verifier)), username, password)
		if back.Query().Get("code") == "" {
			t.Fatalf("no code: %s", back)
		}
		msgs := e.Outbox.Messages(email)
		if len(msgs) == 0 || !strings.Contains(msgs[0].Subject, "New sign-in") {
			t.Fatalf("messages to %s = %+v, want the notification", email, msgs)
		}
		links := feedbackLinkIn.FindAllString(msgs[0].Body, -1)
		if len(links) != 2 || !strings.Contains(links[0], "feedback_value=Valid") || !strings.Contains(links[1], "feedback_value=Invalid") {
			t.Fatalf("links of %q = %q", msgs[0].Body, links)
		}
		events := func() []types.AuthEventType {
			t.Helper()
			out, err := e.IDP.AdminListUserAuthEvents(ctx, &cip.AdminListUserAuthEventsInput{UserPoolId: aws.String(a.Pool), Username: aws.String(username)})
			if err != nil {
				t.Fatal(err)
			}
			return out.AuthEvents
		}
		link, err := url.Parse(links[1])
		if err != nil {
			t.Fatal(err)
		}
		if ev := events(); len(ev) != 1 || aws.ToString(ev[0].EventId) != link.Query().Get("event_id") || ev[0].EventRisk == nil || ev[0].EventRisk.RiskLevel != types.RiskLevelTypeLow {
			t.Fatalf("events = %+v, want the hosted sign-in's, Low, named by the link", ev)
		}

		// On the pool's domain, the same page.
		onDomain := b.get(t, a.Domain+"/authEventFeedback?"+link.RawQuery)
		if onDomain.Status != http.StatusOK || !strings.Contains(onDomain.Body, `id="feedback-submit"`) {
			t.Fatalf("the link on the domain: %d\n%s", onDomain.Status, onDomain.Body)
		}
		page := b.get(t, links[1])
		if page.Status != http.StatusOK || !strings.Contains(page.Body, "No, it was not me") {
			t.Fatalf("the link: %d\n%s", page.Status, page.Body)
		}
		if fb := events()[0].EventFeedback; fb != nil {
			t.Fatalf("opening the link gave feedback %+v; only the button may", fb)
		}
		done := b.submit(t, page, nil)
		if done.Status != http.StatusOK || !strings.Contains(done.Body, "your answer is recorded") {
			t.Fatalf("the button: %d\n%s", done.Status, done.Body)
		}
		if fb := events()[0].EventFeedback; fb == nil || fb.FeedbackValue != types.FeedbackValueTypeInvalid || aws.ToString(fb.Provider) != "User" {
			t.Errorf("EventFeedback = %+v, want Invalid from User", fb)
		}
		again := b.submit(t, b.get(t, links[0]), nil)
		if again.Status != http.StatusBadRequest || !strings.Contains(html.UnescapeString(again.Body), "Invalid feedback token.") {
			t.Errorf("the token a second time: %d\n%s", again.Status, again.Body)
		}
		if fb := events()[0].EventFeedback; fb == nil || fb.FeedbackValue != types.FeedbackValueTypeInvalid {
			t.Errorf("EventFeedback after the refused second use = %+v", fb)
		}
	})
}
