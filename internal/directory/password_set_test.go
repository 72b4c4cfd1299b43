package directory

import (
	"bytes"
	"context"
	"sync/atomic"
	"testing"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/password"
	"github.com/cognate-dev/cognate/internal/srp"
)

// TestNewPasswordQueuesSRPVerifier checks that setting a password makes
// the SRP verifier through the fair queue, like the hash, before the
// transaction (two computations per password set, none in the
// transaction), and stores it sealed for the user, for the user's internal
// username.
func TestNewPasswordQueuesSRPVerifier(t *testing.T) {
	s := newUTService(t)
	verifiers, err := srp.NewVerifiers(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	s.srp = verifiers
	var computed atomic.Int64
	s.passwords, err = password.New(password.Config{Params: testPasswords.Params(), Observe: func(e password.Event) {
		if e == password.EventStarted {
			computed.Add(1)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	p := s.pool(t, &idp.CreateUserPoolRequest{})
	if _, err := s.AdminCreateUser(ctx, utCaller, &idp.AdminCreateUserRequest{
		UserPoolId: p.Id, Username: cognito.Ptr("cy"), TemporaryPassword: cognito.Ptr("Temp-Pass1"),
	}); err != nil {
		t.Fatal(err)
	}
	if n := computed.Swap(0); n != 2 {
		t.Errorf("AdminCreateUser ran %d computations through the queue, want 2 (hash and verifier)", n)
	}
	first := s.record(t, p, "cy")
	if _, err := s.AdminSetUserPassword(ctx, utCaller, &idp.AdminSetUserPasswordRequest{
		UserPoolId: p.Id, Username: cognito.Ptr("cy"), Password: cognito.Ptr("Perm-Pass1"), Permanent: cognito.Ptr(true),
	}); err != nil {
		t.Fatal(err)
	}
	// The history check verifies against the old hash too.
	if n := computed.Swap(0); n < 2 {
		t.Errorf("AdminSetUserPassword ran %d computations through the queue, want the hash and the verifier among them", n)
	}
	u := s.record(t, p, "cy")
	if u.SRPVerifier == "" || u.SRPVerifier == first.SRPVerifier {
		t.Fatalf("the new password left verifier %q (was %q)", u.SRPVerifier, first.SRPVerifier)
	}
	v, err := verifiers.Open(cognito.Deref(p.Id), u.Sub, u.SRPVerifier)
	if err != nil {
		t.Fatalf("the stored verifier does not open for its user: %v", err)
	}
	if v.SaltHex() == "" {
		t.Error("the stored verifier has no salt")
	}
}
