package userpool

import (
	"context"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/storage"
)

// countingStore counts the pool and item reads made outside transactions.
type countingStore struct {
	storage.Store

	// mu guards reads.
	mu    sync.Mutex
	reads map[string]int
}

func (s *countingStore) count(what string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reads[what]++
}

func (s *countingStore) take() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.reads
	s.reads = map[string]int{}
	return out
}

func (s *countingStore) GetUserPool(ctx context.Context, id string) (*storage.UserPool, error) {
	s.count("pool")
	return s.Store.GetUserPool(ctx, id)
}

func (s *countingStore) GetItem(ctx context.Context, kind, id string) (*storage.Item, error) {
	s.count(kind)
	return s.Store.GetItem(ctx, kind, id)
}

func (s *countingStore) GetItemByKey(ctx context.Context, kind, key string) (*storage.Item, error) {
	s.count(kind + " by key")
	return s.Store.GetItemByKey(ctx, kind, key)
}

// arFixture is a self-service fixture with a second Service on the same
// store that counts its reads.
type arFixture struct {
	*ssFixture
	counted *Service
	reads   *countingStore
}

func newARFixture(t *testing.T) *arFixture {
	f := newSSFixture(t, &idp.CreateUserPoolRequest{}, nil)
	reads := &countingStore{Store: f.store, reads: map[string]int{}}
	return &arFixture{ssFixture: f, counted: New(reads, Options{AccountID: "123456789012", Passwords: testPasswords, Clock: f.clock.now}), reads: reads}
}

// authenticate reads c's pool and user as authenticating its access token
// does, under ctx.
func (f *arFixture) authenticate(t *testing.T, ctx context.Context, c Caller) {
	t.Helper()
	pool, err := f.counted.SignInPool(ctx, Caller{Region: cognito.RegionOfPoolID(c.Access.PoolID)}, c.Access.PoolID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.counted.UserBySub(ctx, pool, c.Access.Sub); err != nil {
		t.Fatal(err)
	}
}

// getUser calls GetUser under ctx and returns its username and the reads
// it made.
func (f *arFixture) getUser(t *testing.T, ctx context.Context, c Caller) (string, map[string]int) {
	t.Helper()
	f.reads.take()
	out, err := f.counted.GetUser(ctx, c, &idp.GetUserRequest{})
	if err != nil {
		t.Fatal(err)
	}
	return cognito.Deref(out.Username), f.reads.take()
}

// TestGetUserTakesAuthenticationsReads checks that GetUser, under a context
// whose access token was authenticated, reads neither the pool nor the
// user again, and answers exactly what it answers reading them.
func TestGetUserTakesAuthenticationsReads(t *testing.T) {
	f := newARFixture(t)
	alice := f.user(t, "alice", "email", "alice@example.com", "name", "Alice")

	plain, err := f.counted.GetUser(context.Background(), alice, &idp.GetUserRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]int{"pool": 1, "user": 1, "client": 1}, f.reads.take()); diff != "" {
		t.Errorf("reads without a memo (-want +got):\n%s", diff)
	}

	ctx := WithAccessReads(context.Background())
	f.authenticate(t, ctx, alice)
	f.reads.take()
	memo, err := f.counted.GetUser(ctx, alice, &idp.GetUserRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]int{"client": 1}, f.reads.take()); diff != "" {
		t.Errorf("reads after authentication (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(plain, memo); diff != "" {
		t.Errorf("GetUser from the memo differs (-store +memo):\n%s", diff)
	}
}

// TestAccessReadsNeverAnswerAnotherRequest checks that what one request's
// authentication read never answers for another user, another request, or
// another region, and that the memo keeps the checks of a store read.
func TestAccessReadsNeverAnswerAnotherRequest(t *testing.T) {
	f := newARFixture(t)
	alice := f.user(t, "alice", "email", "alice@example.com")
	bob := f.user(t, "bob", "email", "bob@example.com")

	ctx := WithAccessReads(context.Background())
	f.authenticate(t, ctx, alice)

	// Another user's grant under the same context: read from the store.
	name, reads := f.getUser(t, ctx, bob)
	if name != "bob" || reads["user"] != 1 {
		t.Errorf("bob under alice's memo: answered %q with reads %v, want bob read from the store", name, reads)
	}
	// Another request: its own memo, empty until its own authentication.
	other := WithAccessReads(context.Background())
	name, reads = f.getUser(t, other, alice)
	if name != "alice" || reads["user"] != 1 || reads["pool"] != 1 {
		t.Errorf("alice under a fresh memo: answered %q with reads %v, want alice read from the store", name, reads)
	}
	// A context without a memo keeps nothing.
	f.authenticate(t, context.Background(), bob)
	name, reads = f.getUser(t, context.Background(), bob)
	if name != "bob" || reads["user"] != 1 || reads["pool"] != 1 {
		t.Errorf("bob without a memo: answered %q with reads %v, want bob read from the store", name, reads)
	}
	// The pool was read for us-east-1: a caller in another region does not
	// get it, and the store has no such pool there.
	elsewhere := alice
	elsewhere.Region = "eu-west-1"
	_, err := f.counted.GetUser(ctx, elsewhere, &idp.GetUserRequest{})
	wantError(t, err, cognito.CodeNotAuthorizedException, "Invalid Access Token")

	// A disabled user read by authentication is refused as a store read
	// refuses it.
	if _, err := f.AdminDisableUser(context.Background(), utCaller, &idp.AdminDisableUserRequest{
		UserPoolId: f.p.Id, Username: cognito.Ptr("bob"),
	}); err != nil {
		t.Fatal(err)
	}
	disabled := WithAccessReads(context.Background())
	f.authenticate(t, disabled, bob)
	_, err = f.counted.GetUser(disabled, bob, &idp.GetUserRequest{})
	wantError(t, err, cognito.CodeNotAuthorizedException, "User is disabled.")
	_, err = f.counted.GetUser(context.Background(), bob, &idp.GetUserRequest{})
	wantError(t, err, cognito.CodeNotAuthorizedException, "User is disabled.")
}

// TestAccessReadsOnlyForReads checks that an operation that changes the
// user reads it again in its transaction: a memo read before the change
// does not undo it.
func TestAccessReadsOnlyForReads(t *testing.T) {
	f := newARFixture(t)
	alice := f.user(t, "alice", "email", "alice@example.com", "name", "Alice")
	ctx := WithAccessReads(context.Background())
	f.authenticate(t, ctx, alice)
	if _, err := f.counted.UpdateUserAttributes(ctx, alice, &idp.UpdateUserAttributesRequest{UserAttributes: attrs("name", "Alicia")}); err != nil {
		t.Fatal(err)
	}
	if got := f.getAttrs(t, alice)["name"]; got != "Alicia" {
		t.Errorf("name = %q after UpdateUserAttributes, want Alicia", got)
	}
	if got := f.record(t, f.p, "alice").Attributes["email"]; got != "alice@example.com" {
		t.Errorf("email = %q, want it kept", got)
	}
}
