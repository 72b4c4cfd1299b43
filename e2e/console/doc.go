// Package console runs the admin console's scenarios in a real headless
// Chromium driven from Go with chromedp: an operator added with cognate
// console add-admin signs in through the administrators' pool's hosted UI
// and walks the console's screens (pools, app clients, users and groups,
// identity providers, identity pools, regions, settings, branding), and
// each scenario checks through the AWS SDK for Go v2 what the screens
// changed, and that a form without the session's CSRF token, or with
// another operator's, changes nothing.
//
// The harness (Chromium, the cognate binary run through e2e/proc, the
// SMTP server and SAML identity provider the scenarios talk to) is
// e2e/internal/browsertest, shared with e2e/browser (the hosted UI,
// federation, MFA and passkey scenarios); harness_test.go gives its
// helpers the names the scenarios use. With COGNATE_SCREENSHOTS set to a
// directory the scenarios save the main screens there as PNG files
// (scripts/console-screenshots.sh); without it they go to a temporary
// directory, so that every run checks that they can be taken.
//
// Chromium (Debian's chromium package; scripts/install-test-deps.sh
// installs it) must be on the PATH. Without it the tests skip with one
// loud line, and under CI=true they fail instead. They skip under -short.
package console
