package api

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// TestGetUserReadsPerRequest serves GetUser for two users in turn, then
// from several goroutines at once, each answer from what its own request's
// authentication read; and checks that a user disabled between two
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
