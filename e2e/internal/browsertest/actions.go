package browsertest

import (
	"context"
	"fmt"

	"github.com/chromedp/chromedp"
)

// SignInHosted fills the hosted UI's sign-in page in tab ctx and submits
// it, and waits for the next page to load.
func SignInHosted(ctx context.Context, username, password string) error {
	err := chromedp.Do(ctx,
		chromedp.WaitVisible(chromedp.ID("signin-form")),
		chromedp.Clear(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), username),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.ID("signin")),
		chromedp.WaitReady(chromedp.CSS("body")),
	)
	if err != nil {
		return fmt.Errorf("sign in on the hosted UI: %w", err)
	}
	return nil
}

// EnterCode types code into the page's #code field, clicks #submit and
// waits for #next.
func EnterCode(t TB, tab context.Context, code, submit, next string) {
	t.Helper()
	if err := chromedp.Do(tab,
		chromedp.Clear(chromedp.ID("code")),
		chromedp.SendKeys(chromedp.ID("code"), code),
		chromedp.Click(chromedp.ID(submit)),
		chromedp.WaitVisible(chromedp.ID(next)),
	); err != nil {
		t.Fatalf("enter code %s, to #%s: %v", code, next, err)
	}
}

// Text returns the text of the element with id.
func Text(t TB, tab context.Context, id string) string {
	t.Helper()
	v, err := chromedp.Run(tab, chromedp.Text(chromedp.ID(id)))
	if err != nil {
		t.Fatalf("text of #%s: %v", id, err)
	}
	return v
}
