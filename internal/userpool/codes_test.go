package userpool

import (
	"regexp"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/messaging"
)

func TestMaskDestination(t *testing.T) {
	tests := []struct {
		attr, value, want string
	}{
		// Cognito's own answer for test@test.com.
		{"email", "test@test.com", "t***@t***"},
		{"email", "alice@example.com", "a***@e***"},
		{"email", "Bob.Smith@Mail.Example.co.uk", "B***@M***"},
		{"email", "x@localhost", "x***@l***"},
		{"email", "émile@été.fr", "é***@é***"},
		{"phone_number", "+15555551234", "+*******1234"},
		{"phone_number", "+447700900123", "+********0123"},
		{"phone_number", "+12345", "+*2345"},
		{"phone_number", "+1234", "+****"},
	}
	for _, tc := range tests {
		t.Run(tc.value, func(t *testing.T) {
			if got := maskDestination(tc.attr, tc.value); got != tc.want {
				t.Errorf("maskDestination(%q, %q) = %q, want %q", tc.attr, tc.value, got, tc.want)
			}
		})
	}
}

func TestSpendCode(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	fresh := func() *userRecord {
		u := &userRecord{Sub: "s-1"}
		addCode(u, codePurposeSignUp, "email", "123456", now.Add(time.Hour), now)
		addCode(u, messaging.PurposeVerification, "phone_number", "654321", now.Add(time.Hour), now)
		return u
	}
	type want struct {
		sentTo   string
		changed  bool
		code     string // exception code, "" for success
		codes    int    // codes left on the user
		failures int    // failures on the sign-up code, when it is left
	}
	tests := []struct {
		name    string
		prepare func(u *userRecord)
		purpose string
		attr    string
		code    string
		at      time.Time
		want    want
	}{
		{"right code is spent", nil, codePurposeSignUp, "", "123456", now, want{"email", true, "", 1, 0}},
		{"right code for the attribute", nil, codePurposeSignUp, "email", "123456", now, want{"email", true, "", 1, 0}},
		{"another attribute's code", nil, codePurposeSignUp, "phone_number", "123456", now, want{"", false, "ExpiredCodeException", 2, 0}},
		{"wrong code counts", nil, codePurposeSignUp, "", "000000", now, want{"", true, "CodeMismatchException", 2, 1}},
		{"another purpose's code is wrong", nil, codePurposeSignUp, "", "654321", now, want{"", true, "CodeMismatchException", 2, 1}},
		{"no code of the purpose", nil, messaging.PurposeForgotPassword, "", "123456", now, want{"", false, "ExpiredCodeException", 2, 0}},
		{"expired", nil, codePurposeSignUp, "", "123456", now.Add(time.Hour), want{"", false, "ExpiredCodeException", 2, 0}},
		{"fifth failure still mismatches", func(u *userRecord) { u.Codes[0].Failures = maxCodeFailures - 1 },
			codePurposeSignUp, "", "000000", now, want{"", true, "CodeMismatchException", 2, maxCodeFailures}},
		{"right code after the limit", func(u *userRecord) { u.Codes[0].Failures = maxCodeFailures },
			codePurposeSignUp, "", "123456", now, want{"", false, "LimitExceededException", 2, maxCodeFailures}},
		{"wrong code after the limit", func(u *userRecord) { u.Codes[0].Failures = maxCodeFailures },
			codePurposeSignUp, "", "000000", now, want{"", false, "LimitExceededException", 2, maxCodeFailures}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u := fresh()
			if tc.prepare != nil {
				tc.prepare(u)
			}
			spent, changed, err := spendCode(u, tc.purpose, tc.attr, tc.code, tc.at)
			got := want{sentTo: spent.Attribute, changed: changed, codes: len(u.Codes)}
			if err != nil {
				got.code = err.(*cognito.Error).Code
			}
			for _, c := range u.Codes {
				if c.Purpose == codePurposeSignUp {
					got.failures = c.Failures
				}
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(want{})); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestCodeExceptionMessages(t *testing.T) {
	tests := []struct {
		err        error
		code, text string
	}{
		{codeMismatch(), "CodeMismatchException", "Invalid verification code provided, please try again."},
		{codeExpired(), "ExpiredCodeException", "Invalid code provided, please request a code again."},
		{codeAttemptsExceeded(), "LimitExceededException", "Attempt limit exceeded, please try after some time."},
	}
	for _, tc := range tests {
		ce := tc.err.(*cognito.Error)
		if ce.Code != tc.code || ce.Message != tc.text || ce.Status != 400 {
			t.Errorf("%v, want %s %q", ce, tc.code, tc.text)
		}
	}
}

func TestReplaceCodeResetsFailures(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	u := &userRecord{Sub: "s-1"}
	addCode(u, codePurposeSignUp, "phone_number", "111111", now.Add(time.Hour), now)
	u.Codes[0].Failures = maxCodeFailures
	addCode(u, messaging.PurposeForgotPassword, "email", "222222", now.Add(time.Hour), now)
	replaceCode(u, codePurposeSignUp, "email", "u@example.com", "333333", now.Add(time.Hour), now)
	if len(u.Codes) != 2 {
		t.Fatalf("codes = %+v, want the reset code and one sign-up code", u.Codes)
	}
	if _, _, err := spendCode(u, codePurposeSignUp, "", "111111", now); err == nil || err.(*cognito.Error).Code != "CodeMismatchException" {
		t.Errorf("the replaced code: %v, want CodeMismatchException", err)
	}
	if spent, _, err := spendCode(u, codePurposeSignUp, "", "333333", now); err != nil || spent.Attribute != "email" {
		t.Errorf("the new code: %+v %v", spent, err)
	}
	if !checkCode(u, messaging.PurposeForgotPassword, "email", "222222", now) {
		t.Error("replacing the sign-up code dropped the reset code")
	}
}

func TestSimulatedDelivery(t *testing.T) {
	s := newUTService(t)
	p := &idp.UserPoolType{Id: cognito.Ptr("us-east-1_abc")}
	other := &idp.UserPoolType{Id: cognito.Ptr("us-east-1_xyz")}
	emailLike := regexp.MustCompile(`^[a-z]\*\*\*@[a-z]\*\*\*$`)
	phoneLike := regexp.MustCompile(`^\+\*{7}[0-9]{4}$`)
	tests := []struct {
		name, username string
		prefer         []string
		medium, attr   string
		dest           *regexp.Regexp
	}{
		{"an email username is masked", "zoe@example.org", []string{"email"}, "EMAIL", "email", regexp.MustCompile(`^z\*\*\*@e\*\*\*$`)},
		{"a phone username is masked", "+15555550199", []string{"phone_number", "email"}, "SMS", "phone_number", regexp.MustCompile(`^\+\*{7}0199$`)},
		// The pool, not the username's format, decides the medium: a real
		// user of a pool that recovers by SMS is sent an SMS whatever its
		// username looks like.
		{"an email username in an SMS pool", "zoe@example.org", []string{"phone_number"}, "SMS", "phone_number", phoneLike},
		{"a phone username in an email pool", "+15555550199", []string{"email"}, "EMAIL", "email", emailLike},
		{"other usernames follow the pool", "ghost", []string{"email"}, "EMAIL", "email", emailLike},
		{"phone first", "ghost", []string{"phone_number", "email"}, "SMS", "phone_number", phoneLike},
		{"email without a preference", "ghost", nil, "EMAIL", "email", emailLike},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := s.simulatedDelivery(p, tc.username, tc.prefer)
			if string(cognito.Deref(d.DeliveryMedium)) != tc.medium || cognito.Deref(d.AttributeName) != tc.attr || !tc.dest.MatchString(cognito.Deref(d.Destination)) {
				t.Errorf("details = %s %s %s", cognito.Deref(d.DeliveryMedium), cognito.Deref(d.AttributeName), cognito.Deref(d.Destination))
			}
			if again := s.simulatedDelivery(p, tc.username, tc.prefer); cmp.Diff(d, again) != "" {
				t.Errorf("a second answer differs: %s", cmp.Diff(d, again))
			}
		})
	}
	// The fake destinations depend on the pool and username, so that they do
	// not all look alike.
	seen := map[string]bool{}
	for _, pool := range []*idp.UserPoolType{p, other} {
		for _, name := range []string{"ghost", "phantom", "spectre", "wraith"} {
			seen[cognito.Deref(s.simulatedDelivery(pool, name, []string{"phone_number"}).Destination)] = true
		}
	}
	if len(seen) < 6 {
		t.Errorf("only %d distinct simulated destinations of 8", len(seen))
	}
}
