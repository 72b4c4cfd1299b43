package directory

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/messaging"
	"github.com/cognate-dev/cognate/internal/storage"
	"github.com/cognate-dev/cognate/internal/storage/sqlite"
)

// utClock is a settable test clock.
type utClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *utClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *utClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// utService is a Service on a fresh SQLite store, with a test clock and an
// outbox.
type utService struct {
	*Service
	store  storage.Store
	clock  *utClock
	outbox *messaging.Outbox
}

var utCaller = cognito.Caller{Region: "us-east-1"}

func newUTService(t *testing.T) *utService {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "cognate.db"), sqlite.Options{Region: "us-east-1", Synchronous: "OFF"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	clock := &utClock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
	outbox := messaging.NewOutbox(messaging.OutboxOptions{Logger: slog.New(slog.DiscardHandler)})
	s := newTestService(db, Options{Passwords: testPasswords, Clock: clock.now, Sender: outbox})
	return &utService{Service: s, store: db, clock: clock, outbox: outbox}
}

func (s *utService) pool(t *testing.T, in *idp.CreateUserPoolRequest) *idp.UserPoolType {
	t.Helper()
	if in.PoolName == nil {
		in.PoolName = cognito.Ptr("p")
	}
	out, err := s.CreateUserPool(context.Background(), utCaller, in)
	if err != nil {
		t.Fatal(err)
	}
	return out.UserPool
}

func (s *utService) record(t *testing.T, p *idp.UserPoolType, username string) *userRecord {
	t.Helper()
	_, u, err := findUser(context.Background(), s.store, p, username)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	var ce *cognito.Error
	if !errors.As(err, &ce) || ce.Code != code {
		t.Fatalf("error = %v, want %s", err, code)
	}
}

func TestAdminCreateUserStoresHashAndExpiry(t *testing.T) {
	s := newUTService(t)
	ctx := context.Background()
	p := s.pool(t, &idp.CreateUserPoolRequest{Policies: &idp.UserPoolPolicyType{PasswordPolicy: &idp.PasswordPolicyType{
		MinimumLength: cognito.Ptr(int32(16)), TemporaryPasswordValidityDays: cognito.Ptr(int32(3)),
	}}})
	_, err := s.AdminCreateUser(ctx, utCaller, &idp.AdminCreateUserRequest{
		UserPoolId: p.Id, Username: cognito.Ptr("ann"), UserAttributes: attrs("email", "ann@example.com"),
		DesiredDeliveryMediums: []idp.DeliveryMediumType{"EMAIL"},
	})
	if err != nil {
		t.Fatal(err)
	}
	msgs := s.outbox.Messages("ann@example.com")
	if len(msgs) != 1 {
		t.Fatalf("%d messages", len(msgs))
	}
	pw := regexp.MustCompile(`temporary password is (.+)\.$`).FindStringSubmatch(msgs[0].Body)[1]
	if len(pw) != 16 {
		t.Errorf("generated password %q is not the policy's minimum length 16", pw)
	}
	if !msgs[0].At.Equal(s.clock.now()) {
		t.Errorf("message time %v, want the service clock", msgs[0].At)
	}
	u := s.record(t, p, "ann")
	if u.PasswordHash == pw || !verifies(u.PasswordHash, pw) {
		t.Errorf("stored %q does not hash the temporary password", u.PasswordHash)
	}
	if want := s.clock.now().Add(3 * 24 * time.Hour); u.TemporaryPasswordExpiresAt == nil || !u.TemporaryPasswordExpiresAt.Equal(want) {
		t.Errorf("TemporaryPasswordExpiresAt = %v, want %v", u.TemporaryPasswordExpiresAt, want)
	}

	// RESEND a day later starts a new validity period.
	s.clock.advance(24 * time.Hour)
	if _, err := s.AdminCreateUser(ctx, utCaller, &idp.AdminCreateUserRequest{
		UserPoolId: p.Id, Username: cognito.Ptr("ann"), MessageAction: cognito.Ptr(idp.MessageActionTypeResend),
		DesiredDeliveryMediums: []idp.DeliveryMediumType{"EMAIL"},
	}); err != nil {
		t.Fatal(err)
	}
	u2 := s.record(t, p, "ann")
	if want := s.clock.now().Add(3 * 24 * time.Hour); !u2.TemporaryPasswordExpiresAt.Equal(want) {
		t.Errorf("after RESEND TemporaryPasswordExpiresAt = %v, want %v", u2.TemporaryPasswordExpiresAt, want)
	}
	if verifies(u2.PasswordHash, pw) {
		t.Error("RESEND kept the old temporary password")
	}
	if !u2.UpdatedAt.Equal(s.clock.now()) || !u2.CreatedAt.Equal(u.CreatedAt) {
		t.Errorf("dates after RESEND: created %v updated %v", u2.CreatedAt, u2.UpdatedAt)
	}
}

func TestAdminSetUserPasswordExpiry(t *testing.T) {
	s := newUTService(t)
	ctx := context.Background()
	p := s.pool(t, &idp.CreateUserPoolRequest{})
	if _, err := s.AdminCreateUser(ctx, utCaller, &idp.AdminCreateUserRequest{UserPoolId: p.Id, Username: cognito.Ptr("bo")}); err != nil {
		t.Fatal(err)
	}
	set := func(permanent bool) *userRecord {
		s.clock.advance(time.Hour)
		if _, err := s.AdminSetUserPassword(ctx, utCaller, &idp.AdminSetUserPasswordRequest{
			UserPoolId: p.Id, Username: cognito.Ptr("bo"), Password: cognito.Ptr("Perm-Pass1"), Permanent: cognito.Ptr(permanent),
		}); err != nil {
			t.Fatal(err)
		}
		return s.record(t, p, "bo")
	}
	u := set(true)
	if u.Status != idp.UserStatusTypeConfirmed || u.TemporaryPasswordExpiresAt != nil || !verifies(u.PasswordHash, "Perm-Pass1") {
		t.Errorf("after a permanent password: %s, expiry %v", u.Status, u.TemporaryPasswordExpiresAt)
	}
	u = set(false)
	if want := s.clock.now().Add(7 * 24 * time.Hour); u.Status != idp.UserStatusTypeForceChangePassword || u.TemporaryPasswordExpiresAt == nil || !u.TemporaryPasswordExpiresAt.Equal(want) {
		t.Errorf("after a temporary password: %s, expiry %v, want %v", u.Status, u.TemporaryPasswordExpiresAt, want)
	}
}

func TestForceAliasCreationIsAtomic(t *testing.T) {
	s := newUTService(t)
	ctx := context.Background()
	p := s.pool(t, &idp.CreateUserPoolRequest{AliasAttributes: []idp.AliasAttributeType{"email", "preferred_username"}})
	create := func(name string, force bool, kv ...string) error {
		_, err := s.AdminCreateUser(ctx, utCaller, &idp.AdminCreateUserRequest{
			UserPoolId: p.Id, Username: cognito.Ptr(name), UserAttributes: attrs(kv...), ForceAliasCreation: cognito.Ptr(force),
		})
		return err
	}
	if err := create("a", false, "email", "x@example.com", "email_verified", "true", "preferred_username", "pa"); err != nil {
		t.Fatal(err)
	}
	// The email could move, but the preferred_username cannot: nothing
	// moves, and a keeps its verified email.
	wantCode(t, create("b", true, "email", "x@example.com", "email_verified", "true", "preferred_username", "pa"), cognito.CodeAliasExistsException)
	if got := s.record(t, p, "a").Attributes["email_verified"]; got != "true" {
		t.Errorf("a's email_verified = %q after a failed creation", got)
	}
	if err := create("b", true, "email", "x@example.com", "email_verified", "true"); err != nil {
		t.Fatal(err)
	}
	a := s.record(t, p, "a")
	if a.Attributes["email_verified"] != "false" || a.Attributes["email"] != "x@example.com" {
		t.Errorf("a after the move: %v", a.Attributes)
	}
	// a still signs in with its preferred_username.
	if got := s.record(t, p, "pa"); got.Username != "a" {
		t.Errorf("preferred_username resolves to %s", got.Username)
	}
}

func TestVerificationCodes(t *testing.T) {
	s := newUTService(t)
	ctx := context.Background()
	p := s.pool(t, &idp.CreateUserPoolRequest{
		AutoVerifiedAttributes: []idp.VerifiedAttributeType{"email", "phone_number"},
		VerificationMessageTemplate: &idp.VerificationMessageTemplateType{
			EmailSubject: cognito.Ptr("Check"), EmailMessage: cognito.Ptr("Code {####} for you"), SmsMessage: cognito.Ptr("SMS {####}"),
		},
	})
	if _, err := s.AdminCreateUser(ctx, utCaller, &idp.AdminCreateUserRequest{UserPoolId: p.Id, Username: cognito.Ptr("cy"), MessageAction: cognito.Ptr(idp.MessageActionTypeSuppress)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AdminUpdateUserAttributes(ctx, utCaller, &idp.AdminUpdateUserAttributesRequest{
		UserPoolId: p.Id, Username: cognito.Ptr("cy"), UserAttributes: attrs("email", "cy@example.com", "phone_number", "+15555550100"),
	}); err != nil {
		t.Fatal(err)
	}
	codeRE := regexp.MustCompile(`[0-9]{6}`)
	email := s.outbox.Messages("cy@example.com")
	sms := s.outbox.Messages("+15555550100")
	if len(email) != 1 || len(sms) != 1 {
		t.Fatalf("messages: %d email, %d SMS", len(email), len(sms))
	}
	if email[0].Subject != "Check" || !regexp.MustCompile(`^Code [0-9]{6} for you$`).MatchString(email[0].Body) ||
		!regexp.MustCompile(`^SMS [0-9]{6}$`).MatchString(sms[0].Body) || sms[0].Channel != messaging.ChannelSMS {
		t.Errorf("messages %+v %+v", email[0], sms[0])
	}
	emailCode, smsCode := codeRE.FindString(email[0].Body), codeRE.FindString(sms[0].Body)
	u := s.record(t, p, "cy")
	now := s.clock.now()
	tests := []struct {
		name, purpose, attr, code string
		at                        time.Time
		want                      bool
	}{
		{"email code", messaging.PurposeVerification, "email", emailCode, now, true},
		{"SMS code", messaging.PurposeVerification, "phone_number", smsCode, now, true},
		{"codes are per attribute", messaging.PurposeVerification, "email", smsCode, now, emailCode == smsCode},
		{"codes are per purpose", messaging.PurposeForgotPassword, "email", emailCode, now, false},
		{"expired", messaging.PurposeVerification, "email", emailCode, now.Add(24 * time.Hour), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := s.codes.checkCode(u, tc.purpose, tc.attr, tc.code, tc.at); got != tc.want {
				t.Errorf("checkCode = %v, want %v", got, tc.want)
			}
		})
	}
	for _, c := range u.Codes {
		if c.Hash == emailCode || c.Hash == smsCode {
			t.Error("a code is stored in the clear")
		}
	}
}

func TestAdminResetUserPasswordRecoverySetting(t *testing.T) {
	tests := []struct {
		name     string
		recovery *idp.AccountRecoverySettingType
		wantTo   string // "" for no message
	}{
		{"phone first by default", nil, "+15555550100"},
		{"email first", &idp.AccountRecoverySettingType{RecoveryMechanisms: []idp.RecoveryOptionType{
			{Name: cognito.Ptr(idp.RecoveryOptionNameType("verified_phone_number")), Priority: cognito.Ptr(int32(2))},
			{Name: cognito.Ptr(idp.RecoveryOptionNameType("verified_email")), Priority: cognito.Ptr(int32(1))},
		}}, "dee@example.com"},
		{"admin only", &idp.AccountRecoverySettingType{RecoveryMechanisms: []idp.RecoveryOptionType{
			{Name: cognito.Ptr(idp.RecoveryOptionNameType("admin_only")), Priority: cognito.Ptr(int32(1))},
		}}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newUTService(t)
			ctx := context.Background()
			p := s.pool(t, &idp.CreateUserPoolRequest{AccountRecoverySetting: tc.recovery})
			if _, err := s.AdminCreateUser(ctx, utCaller, &idp.AdminCreateUserRequest{UserPoolId: p.Id, Username: cognito.Ptr("dee"), MessageAction: cognito.Ptr(idp.MessageActionTypeSuppress),
				UserAttributes: attrs("email", "dee@example.com", "email_verified", "true", "phone_number", "+15555550100", "phone_number_verified", "true")}); err != nil {
				t.Fatal(err)
			}
			if _, err := s.AdminSetUserPassword(ctx, utCaller, &idp.AdminSetUserPasswordRequest{UserPoolId: p.Id, Username: cognito.Ptr("dee"), Password: cognito.Ptr("Perm-Pass1"), Permanent: cognito.Ptr(true)}); err != nil {
				t.Fatal(err)
			}
			if _, err := s.AdminResetUserPassword(ctx, utCaller, &idp.AdminResetUserPasswordRequest{UserPoolId: p.Id, Username: cognito.Ptr("dee")}); err != nil {
				t.Fatal(err)
			}
			all := s.outbox.Messages("")
			if tc.wantTo == "" {
				if len(all) != 0 {
					t.Errorf("messages %+v, want none", all)
				}
			} else if len(all) != 1 || all[0].To != tc.wantTo || all[0].Purpose != messaging.PurposeForgotPassword {
				t.Errorf("messages %+v, want one to %s", all, tc.wantTo)
			}
			if u := s.record(t, p, "dee"); u.Status != idp.UserStatusTypeResetRequired {
				t.Errorf("status %s", u.Status)
			}
		})
	}
}

func TestAdminListUserAuthEventsPages(t *testing.T) {
	s := newUTService(t)
	ctx := context.Background()
	p := s.pool(t, &idp.CreateUserPoolRequest{UserPoolTier: cognito.Ptr(idp.UserPoolTierType("PLUS")),
		UserPoolAddOns: &idp.UserPoolAddOnsType{AdvancedSecurityMode: cognito.Ptr(idp.AdvancedSecurityModeTypeAudit)}})
	var subs []string
	for _, name := range []string{"eve", "fay"} {
		out, err := s.AdminCreateUser(ctx, utCaller, &idp.AdminCreateUserRequest{UserPoolId: p.Id, Username: cognito.Ptr(name)})
		if err != nil {
			t.Fatal(err)
		}
		subs = append(subs, cognito.Deref(out.User.Attributes[0].Value))
	}
	// 65 events for eve, one a second, and one for fay.
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	err := s.store.Tx(ctx, func(tx storage.Tx) error {
		for i := range 65 {
			ev := &idp.AuthEventType{EventId: cognito.Ptr(fmt.Sprintf("ev-%02d", i)), EventType: cognito.Ptr(idp.EventType("SignIn")),
				CreationDate: &cognito.Timestamp{Time: base.Add(time.Duration(i) * time.Second)}}
			it, err := authEventItem(cognito.Deref(p.Id), subs[0], ev, "")
			if err != nil {
				return err
			}
			if err := tx.CreateItem(ctx, it); err != nil {
				return err
			}
		}
		it, err := authEventItem(cognito.Deref(p.Id), subs[1], &idp.AuthEventType{EventId: cognito.Ptr("fay-1"), CreationDate: &cognito.Timestamp{Time: base}}, "")
		if err != nil {
			return err
		}
		return tx.CreateItem(ctx, it)
	})
	if err != nil {
		t.Fatal(err)
	}
	list := func(max int32, token *string) *idp.AdminListUserAuthEventsResponse {
		t.Helper()
		out, err := s.AdminListUserAuthEvents(ctx, utCaller, &idp.AdminListUserAuthEventsRequest{UserPoolId: p.Id, Username: cognito.Ptr("eve"), MaxResults: cognito.Ptr(max), NextToken: token})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	ids := func(evs []idp.AuthEventType) []string {
		var out []string
		for _, e := range evs {
			out = append(out, cognito.Deref(e.EventId))
		}
		return out
	}
	// MaxResults 0 means 60, newest first.
	first := list(0, nil)
	if len(first.AuthEvents) != 60 || cognito.Deref(first.AuthEvents[0].EventId) != "ev-64" || first.NextToken == nil {
		t.Fatalf("first page: %d events, first %v, next %v", len(first.AuthEvents), ids(first.AuthEvents[:1]), first.NextToken)
	}
	rest := list(0, first.NextToken)
	if diff := cmp.Diff([]string{"ev-04", "ev-03", "ev-02", "ev-01", "ev-00"}, ids(rest.AuthEvents)); diff != "" || rest.NextToken != nil {
		t.Errorf("second page (-want +got):\n%s next %v", diff, rest.NextToken)
	}
	// Small pages walk every event once.
	var all []string
	var token *string
	for {
		page := list(7, token)
		all = append(all, ids(page.AuthEvents)...)
		if token = page.NextToken; token == nil {
			break
		}
	}
	if len(all) != 65 || all[0] != "ev-64" || all[64] != "ev-00" {
		t.Errorf("paged %d events: %v ... %v", len(all), all[:1], all[len(all)-1:])
	}
	// A token from another user's listing is refused.
	_, err = s.AdminListUserAuthEvents(ctx, utCaller, &idp.AdminListUserAuthEventsRequest{UserPoolId: p.Id, Username: cognito.Ptr("fay"), NextToken: first.NextToken})
	wantCode(t, err, cognito.CodeInvalidParameterException)

	// Deleting eve deletes her events, not fay's.
	if _, err := s.AdminDeleteUser(ctx, utCaller, &idp.AdminDeleteUserRequest{UserPoolId: p.Id, Username: cognito.Ptr("eve")}); err != nil {
		t.Fatal(err)
	}
	if n, err := s.store.CountItems(ctx, kindAuthEvent, cognito.Deref(p.Id)); err != nil || n != 1 {
		t.Errorf("auth events left: %d, %v; want fay's one", n, err)
	}
}

func TestConcurrentAdminCreateUser(t *testing.T) {
	s := newUTService(t)
	ctx := context.Background()
	p := s.pool(t, &idp.CreateUserPoolRequest{UsernameConfiguration: &idp.UsernameConfigurationType{CaseSensitive: cognito.Ptr(false)}})
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() {
			_, errs[i] = s.AdminCreateUser(ctx, utCaller, &idp.AdminCreateUserRequest{UserPoolId: p.Id, Username: cognito.Ptr([]string{"Gus", "gus"}[i%2])})
		})
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
			continue
		}
		wantCode(t, err, cognito.CodeUsernameExistsException)
	}
	if ok != 1 {
		t.Errorf("%d creations succeeded, want exactly 1", ok)
	}
}
