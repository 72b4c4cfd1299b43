package directory

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
	return &arFixture{ssFixture: f, counted: newTestService(reads, Options{Passwords: testPasswords, Clock: f.clock.now}), reads: reads}
}

// authenticate reads c's pool and user as authenticating its access token
// does, and returns c with the grant carrying what was read.
func (f *arFixture) authenticate(t *testing.T, c cognito.Caller) cognito.Caller {
	t.Helper()
	pool, err := f.counted.SignInPool(context.Background(), cognito.Caller{Region: cognito.RegionOfPoolID(c.Access.PoolID)}, c.Access.PoolID)
	if err != nil {
		t.Fatal(err)
	}
	u, err := f.counted.UserBySub(context.Background(), pool, c.Access.Sub)
	if err != nil {
		t.Fatal(err)
	}
	grant := *c.Access
	grant.Principal = NewPrincipal(pool, u)
	if grant.Principal == nil {
		t.Fatal("NewPrincipal made nothing of what authentication read")
	}
	if poolID, sub := grant.Principal.PrincipalOf(); poolID != grant.PoolID || sub != grant.Sub {
		t.Fatalf("principal of pool %q, user %q; want %q, %q", poolID, sub, grant.PoolID, grant.Sub)
	}
	c.Access = &grant
	return c
}

// getUser calls GetUser for c and returns its username and the reads it
// made.
func (f *arFixture) getUser(t *testing.T, c cognito.Caller) (string, map[string]int) {
	t.Helper()
	f.reads.take()
	out, err := f.counted.GetUser(context.Background(), c, &idp.GetUserRequest{})
	if err != nil {
		t.Fatal(err)
	}
	return cognito.Deref(out.Username), f.reads.take()
}

// TestGetUserTakesAuthenticationsReads checks that GetUser, for a grant
// that carries what authenticating its access token read, reads neither
// the pool nor the user again (one read of each per request, the
// authentication's), and answers exactly what it answers reading them.
func TestGetUserTakesAuthenticationsReads(t *testing.T) {
	f := newARFixture(t)
	alice := f.user(t, "alice", "email", "alice@example.com", "name", "Alice")

	plain, err := f.counted.GetUser(context.Background(), alice, &idp.GetUserRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]int{"pool": 1, "user": 1, "client": 1}, f.reads.take()); diff != "" {
		t.Errorf("reads without a principal (-want +got):\n%s", diff)
	}

	authed := f.authenticate(t, alice)
	if diff := cmp.Diff(map[string]int{"pool": 1, "user": 1}, f.reads.take()); diff != "" {
		t.Errorf("reads of the authentication (-want +got):\n%s", diff)
	}
	got, err := f.counted.GetUser(context.Background(), authed, &idp.GetUserRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]int{"client": 1}, f.reads.take()); diff != "" {
		t.Errorf("reads after authentication (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(plain, got); diff != "" {
		t.Errorf("GetUser from the principal differs (-store +principal):\n%s", diff)
	}
}

// TestPrincipalNeverAnswersAnotherGrant checks that what one grant's
// authentication read never answers for another user or another region,
// that a grant without a principal reads the store, and that a principal
// keeps the checks of a store read.
func TestPrincipalNeverAnswersAnotherGrant(t *testing.T) {
	f := newARFixture(t)
	alice := f.user(t, "alice", "email", "alice@example.com")
	bob := f.user(t, "bob", "email", "bob@example.com")
	authedAlice := f.authenticate(t, alice)

	// Bob's grant carrying alice's principal: read from the store.
	stolen := bob
	grant := *bob.Access
	grant.Principal = authedAlice.Access.Principal
	stolen.Access = &grant
	name, reads := f.getUser(t, stolen)
	if name != "bob" || reads["user"] != 1 || reads["pool"] != 1 {
		t.Errorf("bob with alice's principal: answered %q with reads %v, want bob read from the store", name, reads)
	}
	// A grant without a principal reads everything.
	name, reads = f.getUser(t, alice)
	if name != "alice" || reads["user"] != 1 || reads["pool"] != 1 {
		t.Errorf("alice without a principal: answered %q with reads %v, want alice read from the store", name, reads)
	}
	// A principal another service made (another engine's reads) is not
	// this service's: read from the store.
	other := alice
	otherGrant := *alice.Access
	otherGrant.Principal = foreignPrincipal{alice.Access.PoolID, alice.Access.Sub}
	other.Access = &otherGrant
	name, reads = f.getUser(t, other)
	if name != "alice" || reads["user"] != 1 || reads["pool"] != 1 {
		t.Errorf("alice with a foreign principal: answered %q with reads %v, want alice read from the store", name, reads)
	}
	// The pool was read for us-east-1: a caller in another region does not
	// get it, and the store has no such pool there.
	elsewhere := authedAlice
	elsewhere.Region = "eu-west-1"
	_, err := f.counted.GetUser(context.Background(), elsewhere, &idp.GetUserRequest{})
	wantError(t, err, cognito.CodeNotAuthorizedException, "Invalid Access Token")

	// A disabled user read by authentication is refused as a store read
	// refuses it.
	if _, err := f.AdminDisableUser(context.Background(), utCaller, &idp.AdminDisableUserRequest{
		UserPoolId: f.p.Id, Username: cognito.Ptr("bob"),
	}); err != nil {
		t.Fatal(err)
	}
	disabled := f.authenticate(t, bob)
	_, err = f.counted.GetUser(context.Background(), disabled, &idp.GetUserRequest{})
	wantError(t, err, cognito.CodeNotAuthorizedException, "User is disabled.")
	_, err = f.counted.GetUser(context.Background(), bob, &idp.GetUserRequest{})
	wantError(t, err, cognito.CodeNotAuthorizedException, "User is disabled.")
}

// foreignPrincipal is a Principal this service did not make.
type foreignPrincipal struct{ pool, sub string }

func (p foreignPrincipal) PrincipalOf() (string, string) { return p.pool, p.sub }

// TestPrincipalOnlyForReads checks that an operation that changes the user
// reads it again in its transaction: a principal read before the change
// does not undo it, and a write takes only the pool from the principal.
func TestPrincipalOnlyForReads(t *testing.T) {
	f := newARFixture(t)
	alice := f.user(t, "alice", "email", "alice@example.com", "name", "Alice")
	authed := f.authenticate(t, alice)
	f.reads.take()
	if _, err := f.counted.UpdateUserAttributes(context.Background(), authed, &idp.UpdateUserAttributesRequest{UserAttributes: attrs("name", "Alicia")}); err != nil {
		t.Fatal(err)
	}
	if reads := f.reads.take(); reads["pool"] != 0 {
		t.Errorf("UpdateUserAttributes read the pool %d times, want it taken from the principal", reads["pool"])
	}
	if got := f.getAttrs(t, alice)["name"]; got != "Alicia" {
		t.Errorf("name = %q after UpdateUserAttributes, want Alicia", got)
	}
	if got := f.record(t, f.p, "alice").Attributes["email"]; got != "alice@example.com" {
		t.Errorf("email = %q, want it kept", got)
	}
	// A new request's authentication reads the change.
	if got := f.getAttrs(t, f.authenticate(t, alice))["name"]; got != "Alicia" {
		t.Errorf("name = %q for a new authentication, want Alicia", got)
	}
}
