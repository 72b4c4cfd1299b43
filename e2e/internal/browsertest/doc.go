// Package browsertest is the harness the browser test packages share:
// e2e/browser (the hosted UI, federation, MFA, passkeys, CORS and the
// single-page app's library) and e2e/console (the admin console). It finds
// Chromium and starts it with a fresh profile for chromedp, builds the
// cognate binary once per test binary and runs it on a free loopback port
// (through e2e/proc), and holds the steps and the stand-in services both
// drive: a sign-in on the hosted UI, a SAML identity provider
// (crewjam/saml's samlidp) and an SMTP server (emersion/go-smtp) that
// keeps what cognate sends.
//
// A step that loads another page (a click on a form's submit button or on
// a link) goes through NextPage, which waits for the page the click loads
// and not for the one it leaves, though that one may show the same
// element; its wait is bounded by PageTimeout, so that a page that never
// comes fails while the tab can still say what it shows. A JavaScript
// dialog, which would block every command after it, fails the test and is
// dismissed.
//
// It is a package of its own, not a _test.go file, so that both packages
// can import it; like e2e/proc it imports none of cognate's packages and
// not the testing package (only _test.go files do). Its helpers take a TB,
// the part of testing.TB they use, which *testing.T satisfies. Each test
// package keeps its unexported names for them in its harness_test.go.
package browsertest
