package api

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cognate-dev/cognate/internal/directory"
	"github.com/cognate-dev/cognate/internal/storage"
)

// readCounter counts the reads of pools and users made outside
// transactions: authenticating an access token and the operation it
// authorizes read them there.
type readCounter struct {
	storage.Store

	// mu guards pools and users.
	mu           sync.Mutex
	pools, users int
}

func (s *readCounter) GetUserPool(ctx context.Context, id string) (*storage.UserPool, error) {
	s.mu.Lock()
	s.pools++
	s.mu.Unlock()
	return s.Store.GetUserPool(ctx, id)
}

func (s *readCounter) GetItem(ctx context.Context, kind, id string) (*storage.Item, error) {
	if kind == directory.UserItemKind {
		s.mu.Lock()
		s.users++
		s.mu.Unlock()
	}
	return s.Store.GetItem(ctx, kind, id)
}

// take returns the reads counted since the last take.
func (s *readCounter) take() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int{"pool": s.pools, "user": s.users}
	s.pools, s.users = 0, 0
	return out
}

// TestGetUserReadsPoolAndUserOnce checks, through the edge, that one
// GetUser reads the pool and the user once each: authenticating the access
// token reads them, and the operation takes them from the grant.
func TestGetUserReadsPoolAndUserOnce(t *testing.T) {
	counter := &readCounter{}
	rb := newReadBenchOn(t, func(st storage.Store) storage.Store {
		counter.Store = st
		return counter
	})
	token := rb.user(t, "carol")
	for i := range 3 {
		counter.take()
		if code, body := rb.getUser(token); code != http.StatusOK || !strings.Contains(body, `"Username":"carol"`) {
			t.Fatalf("GetUser %d: %d %s", i, code, body)
		}
		if diff := cmp.Diff(map[string]int{"pool": 1, "user": 1}, counter.take()); diff != "" {
			t.Errorf("GetUser %d: reads of the pool and the user (-want +got):\n%s", i, diff)
		}
	}
}

// TestGetUserReadsPerRequest serves GetUser for two users in turn, then
// from several goroutines at once, each answer from what its own request's
// authentication read (its grant's principal); and checks that a user disabled between two
// requests is refused by the next one while the other keeps working.
func TestGetUserReadsPerRequest(t *testing.T) {
	rb := newReadBench(t)
	tokens := map[string]string{"alice": rb.user(t, "alice"), "bob": rb.user(t, "bob")}
	for i := range 6 {
		name := []string{"alice", "bob"}[i%2]
		code, body := rb.getUser(tokens[name])
		if code != http.StatusOK || !strings.Contains(body, `"Username":"`+name+`"`) || !strings.Contains(body, name+"@example.com") {
			t.Fatalf("GetUser with %s's token: %d %s", name, code, body)
		}
	}

	// The same, from several goroutines at once.
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := range 8 {
		wg.Go(func() {
			for i := range 20 {
				name := []string{"alice", "bob"}[(g+i)%2]
				if code, body := rb.getUser(tokens[name]); code != http.StatusOK || !strings.Contains(body, `"Username":"`+name+`"`) {
					errs <- fmt.Sprintf("GetUser with %s's token: %d %s", name, code, body)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}

	rb.call(t, "AdminDisableUser", fmt.Sprintf(`{"UserPoolId":%q,"Username":"bob"}`, rb.poolID), nil)
	code, body := rb.getUser(tokens["bob"])
	if code != http.StatusBadRequest || !strings.Contains(body, `"message":"Access Token has been revoked"`) {
		t.Errorf("GetUser of a disabled user: %d %s, want its token revoked", code, body)
	}
	if code, body := rb.getUser(tokens["alice"]); code != http.StatusOK || !strings.Contains(body, `"Username":"alice"`) {
		t.Errorf("GetUser of alice after bob was disabled: %d %s", code, body)
	}

	rb.call(t, "DeleteUserPool", fmt.Sprintf(`{"UserPoolId":%q}`, rb.poolID), nil)
	code, body = rb.getUser(tokens["alice"])
	if code != http.StatusBadRequest || !strings.Contains(body, `"__type":"NotAuthorizedException"`) {
		t.Errorf("GetUser after the pool was deleted: %d %s", code, body)
	}
}
