// Package browser runs browser applications against cognate in a real
// headless Chromium driven from Go with chromedp. A page served from an
// origin of its own (an httptest server on another port) loads
// amazon-cognito-identity-js's browser bundle, the library Amplify and most
// single-page apps sign in with, and calls cognate's API across origins, as
// such an app calls Cognito's.
//
// The tests are built as the style guide describes: harness_test.go starts
// cognate (the real binary, through e2e/proc), the app's origin and the
// browser, with the harness it shares with e2e/console (the admin
// console's scenarios) in e2e/internal/browsertest; actions_test.go holds the reusable steps a user takes in the
// app (sign in) and reads back what the page reports; the *_test.go
// scenarios compose them and assert on the tokens and attributes the page
// saw. The page, app.html, gives its elements stable ids and reports each
// outcome in the data-state attribute of #result, which the actions wait
// for: no sleeps.
//
// The hosted UI's scenarios (scenario_hosted_ui_test.go) sign users in on
// cognate's own pages instead: an app origin with a /callback page, a pool
// with a domain, and Chromium at the pool's prefix-host domain
// (<prefix>.auth.<region>.localhost, which Chromium resolves to loopback)
// or its /_domain/<prefix>/ path. With COGNATE_SCREENSHOTS set to a
// directory they save the main pages there as PNG files.
//
// The passkey scenario (scenario_passkey_test.go) registers a passkey and
// signs in with it through Chromium's virtual authenticator (the DevTools
// protocol's WebAuthn domain): the options cognate hands out go through
// the browser's own parsers and navigator.credentials, on a page at
// http://localhost:<port>, the pool's relying party.
//
// Chromium (Debian's chromium package; scripts/install-test-deps.sh
// installs it) and, for the library's scenarios, npm (which installs the
// pinned library from package.json) must be on the PATH. Without them the tests skip with one
// loud line, and under CI=true they fail instead. They skip under -short.
package browser
