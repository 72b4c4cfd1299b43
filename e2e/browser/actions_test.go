package browser

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/chromedp/chromedp"
)

// pageResult is what app.html reports in #result.
type pageResult struct {
	// State is data-state: "signed-in" or "error".
	State string `json:"-"`
	// Origin is the page's own origin.
	Origin string `json:"origin"`
	// AccessToken is the access token the library holds after sign-in.
	AccessToken string `json:"accessToken"`
	// Access and ID are the claims of the access and ID tokens.
	Access map[string]any `json:"access"`
	ID     map[string]any `json:"id"`
	// HasRefreshToken is whether the session holds a refresh token.
	HasRefreshToken bool `json:"hasRefreshToken"`
	// Attributes are the user's attributes as GetUser answered them.
	Attributes map[string]string `json:"attributes"`
	// Step and Error name the call that failed and its error
	// ("NotAuthorizedException: Incorrect username or password.").
	Step  string `json:"step"`
	Error string `json:"error"`
}

// signIn opens the app page in the browser tab ctx, signs in through its
// form (USER_SRP_AUTH, then GetUser) and waits until the page reports the
// outcome in #result.
func signIn(ctx context.Context, page, username, password string) (pageResult, error) {
	var res pageResult
	err := chromedp.Do(ctx,
		chromedp.Navigate(page),
		chromedp.WaitVisible(chromedp.ID("sign-in")),
		chromedp.SendKeys(chromedp.ID("username"), username),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.ID("sign-in")),
		chromedp.WaitReady(chromedp.CSS("#result[data-state]")),
	)
	if err != nil {
		return res, fmt.Errorf("sign in at %s: %w", page, err)
	}
	state, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.ID("result"), "data-state"))
	if err != nil {
		return res, fmt.Errorf("read the outcome's state: %w", err)
	}
	text, err := chromedp.Run(ctx, chromedp.TextContent(chromedp.ID("result")))
	if err != nil {
		return res, fmt.Errorf("read the outcome: %w", err)
	}
	if err := json.Unmarshal([]byte(text), &res); err != nil {
		return res, fmt.Errorf("the page reported %q: %w", text, err)
	}
	res.State = state.Value
	return res, nil
}
