package directory

import (
	"bytes"
	"context"
	"fmt"
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

// testCodes is the code hasher of the tests that handle codes directly.
var testCodes = codeHasher{key: []byte("one-time code test key, 32 byte")}

func TestSpendCode(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	fresh := func() *userRecord {
		u := &userRecord{Sub: "s-1"}
		testCodes.addCode(u, codePurposeSignUp, "email", "123456", now.Add(time.Hour), now)
		testCodes.addCode(u, messaging.PurposeVerification, "phone_number", "654321", now.Add(time.Hour), now)
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
			spent, changed, err := testCodes.spendCode(u, tc.purpose, tc.attr, tc.code, tc.at)
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
	testCodes.addCode(u, codePurposeSignUp, "phone_number", "111111", now.Add(time.Hour), now)
	u.Codes[0].Failures = maxCodeFailures
	testCodes.addCode(u, messaging.PurposeForgotPassword, "email", "222222", now.Add(time.Hour), now)
	testCodes.replaceCode(u, codePurposeSignUp, "email", "u@example.com", "333333", now.Add(time.Hour), now)
	if len(u.Codes) != 2 {
		t.Fatalf("codes = %+v, want the reset code and one sign-up code", u.Codes)
	}
	if _, _, err := testCodes.spendCode(u, codePurposeSignUp, "", "111111", now); err == nil || err.(*cognito.Error).Code != "CodeMismatchException" {
		t.Errorf("the replaced code: %v, want CodeMismatchException", err)
	}
	if spent, _, err := testCodes.spendCode(u, codePurposeSignUp, "", "333333", now); err != nil || spent.Attribute != "email" {
		t.Errorf("the new code: %+v %v", spent, err)
	}
	if !testCodes.checkCode(u, messaging.PurposeForgotPassword, "email", "222222", now) {
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

// TestStoredCodesNotReversible guards against one-time codes stored as an
// unkeyed hash: trying all million six-digit codes against what the store
// keeps (the user item and every change-log state) must not find the code
// that was sent. On the old code, SHA-256(sub + ":" + code) gave it away.
func TestStoredCodesNotReversible(t *testing.T) {
	s := newUTService(t)
	ctx := context.Background()
	p, client := s.signUpPool(t, &idp.CreateUserPoolRequest{AutoVerifiedAttributes: []idp.VerifiedAttributeType{"email"}})
	if _, err := s.SignUp(ctx, publicCaller, &idp.SignUpRequest{
		ClientId: cognito.Ptr(client), Username: cognito.Ptr("una"), Password: cognito.Ptr("Passw0rd!"),
		UserAttributes: attrs("email", "una@example.com"),
	}); err != nil {
		t.Fatal(err)
	}
	sent := s.lastCode(t, "una@example.com")
	u := s.record(t, p, "una")
	raw := storedBytes(t, s.store, cognito.Deref(p.Id), kindUser)
	if len(u.Codes) != 1 || !bytes.Contains(raw, []byte(u.Codes[0].Hash)) {
		t.Fatalf("stored codes %+v not found in the store", u.Codes)
	}
	// Every 64-hex-digit string the store holds is a candidate hash.
	hashes := map[string]bool{}
	for _, h := range regexp.MustCompile(`[0-9a-f]{64}`).FindAll(raw, -1) {
		hashes[string(h)] = true
	}
	if hashes[legacyDestinationHash(u.Sub, "una@example.com")] {
		t.Error("the store holds an unkeyed hash of the code's destination")
	}
	for n := range 1000000 {
		if code := fmt.Sprintf("%06d", n); hashes[legacyCodeHash(u.Sub, code)] {
			t.Fatalf("the store holds an unkeyed hash of code %q (the code sent is %q)", code, sent)
		}
	}
	// A service with another code key (a node without the shared key)
	// does not accept the code; the one that sent it does.
	other := newTestService(s.store, Options{Passwords: testPasswords, Clock: s.clock.now, CodeKey: []byte("another key")})
	if other.codes.checkCode(u, codePurposeSignUp, "email", sent, s.clock.now()) {
		t.Error("a code MAC checked out under another key")
	}
	if !s.codes.checkCode(u, codePurposeSignUp, "email", sent, s.clock.now()) {
		t.Error("the code sent does not check out")
	}
}

// TestLegacyCodesAcceptedUntilExpiry checks codes stored before codes were
// keyed: they are accepted, and verify their destination, until they
// expire, and nothing new is stored in that form.
func TestLegacyCodesAcceptedUntilExpiry(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	legacy := func() *userRecord {
		return &userRecord{Sub: "s-1", Attributes: map[string]string{"email": "a@example.com"}, Codes: []userCode{{
			Purpose: codePurposeSignUp, Attribute: "email", Hash: legacyCodeHash("s-1", "123456"),
			ExpiresAt: now.Add(time.Hour), To: legacyDestinationHash("s-1", "a@example.com"),
		}}}
	}
	u := legacy()
	if _, _, err := testCodes.spendCode(u, codePurposeSignUp, "", "654321", now); err == nil {
		t.Error("a wrong code matched a legacy code")
	}
	spent, _, err := testCodes.spendCode(u, codePurposeSignUp, "", "123456", now)
	if err != nil {
		t.Fatalf("legacy code refused: %v", err)
	}
	if !testCodes.reaches(spent, u) {
		t.Error("a legacy code does not reach the address it went to")
	}
	u.Attributes["email"] = "b@example.com"
	if testCodes.reaches(spent, u) {
		t.Error("a legacy code reaches an address it did not go to")
	}
	if _, _, err := testCodes.spendCode(legacy(), codePurposeSignUp, "", "123456", now.Add(time.Hour)); err == nil {
		t.Error("an expired legacy code was accepted")
	}
	// A new code replaces it in the keyed form only.
	u = legacy()
	testCodes.replaceCode(u, codePurposeSignUp, "email", "a@example.com", "222222", now.Add(time.Hour), now)
	if len(u.Codes) != 1 || !u.Codes[0].Keyed || u.Codes[0].Hash == legacyCodeHash("s-1", "222222") {
		t.Errorf("codes after a new one was sent: %+v", u.Codes)
	}
}
