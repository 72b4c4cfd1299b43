package browsertest

import (
	"context"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/chromedp/chromedp"
)

// PageTimeout bounds NextPage's wait for the page its actions lead to, so
// that a page that never comes fails that step while the tab can still
// say what it shows, rather than at the end of the tab's own deadline.
const PageTimeout = 30 * time.Second

// leftAttr is the attribute NextPage marks the document it leaves with;
// marks numbers the marks, so that each call's is its own.
const leftAttr = "data-browsertest-left"

var marks atomic.Int64

// NextPage runs actions that load another page in the tab (a click on a
// form's submit button or on a link) and waits until that page, not the
// one they left, has a visible element matching the CSS selector css (one
// selector, without commas).
//
// A plain wait after the click can be met by the page being left, when it
// shows the same element (a notice, an error, a field of the same form) or
// the condition already holds there (a box the click just ticked): the
// wait then returns at once, and the next command goes to a page being
// replaced. NextPage marks the root element of the current document
// first, through the DevTools protocol's DOM domain (so it works with the
// page's scripts turned off); runs the actions and waits, as Navigate
// does, until the page they load has loaded, its style sheets and images
// included; and then waits for an element under a root without the mark:
// one in a document the actions loaded. Actions that change the page
// without loading another fail after PageTimeout.
func NextPage(css string, actions ...chromedp.Action[chromedp.Void]) chromedp.Action[chromedp.Void] {
	return nextPage(css, true, actions)
}

// NextPageReady is NextPage waiting only for the element to be in the new
// page, for an element that is never visible: an option, a hidden field,
// or the body of whatever page comes next.
func NextPageReady(css string, actions ...chromedp.Action[chromedp.Void]) chromedp.Action[chromedp.Void] {
	return nextPage(css, false, actions)
}

func nextPage(css string, visible bool, actions []chromedp.Action[chromedp.Void]) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		mark := strconv.FormatInt(marks.Add(1), 10)
		if _, err := chromedp.SetAttributeValue(chromedp.CSS("html"), leftAttr, mark)(ctx, t); err != nil {
			return chromedp.Void{}, fmt.Errorf("mark the page being left: %w", err)
		}
		wctx, cancel := context.WithTimeout(ctx, PageTimeout)
		defer cancel()
		if _, err := chromedp.RunResponse(wctx, actions...); err != nil {
			return chromedp.Void{}, fmt.Errorf("load the next page: %w", err)
		}
		sel := chromedp.CSS(fmt.Sprintf(`html:not([%s="%s"]) %s`, leftAttr, mark, css))
		wait := chromedp.WaitReady(sel)
		if visible {
			wait = chromedp.WaitVisible(sel)
		}
		if _, err := wait(wctx, t); err != nil {
			return chromedp.Void{}, fmt.Errorf("wait for %s on the next page: %w", css, err)
		}
		return chromedp.Void{}, nil
	}
}

// SignInHosted fills the hosted UI's sign-in page in tab ctx and submits
// it, and waits for the next page to load.
func SignInHosted(ctx context.Context, username, password string) error {
	err := chromedp.Do(ctx,
		chromedp.WaitVisible(chromedp.ID("signin-form")),
		chromedp.Clear(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), username),
		chromedp.SendKeys(chromedp.ID("password"), password),
		NextPageReady("body", chromedp.Click(chromedp.ID("signin"))),
	)
	if err != nil {
		return fmt.Errorf("sign in on the hosted UI: %w", err)
	}
	return nil
}

// EnterCode types code into the page's #code field, clicks #submit and
// waits until the next page shows #next.
func EnterCode(t TB, tab context.Context, code, submit, next string) {
	t.Helper()
	if err := chromedp.Do(tab,
		chromedp.Clear(chromedp.ID("code")),
		chromedp.SendKeys(chromedp.ID("code"), code),
		NextPage("#"+next, chromedp.Click(chromedp.ID(submit))),
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
