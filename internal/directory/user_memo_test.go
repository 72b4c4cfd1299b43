package directory

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cognate-dev/cognate/internal/storage"
)

func memoItem(t *testing.T, id string, u userRecord) *storage.Item {
	t.Helper()
	data, err := json.Marshal(u)
	if err != nil {
		t.Fatal(err)
	}
	return &storage.Item{Kind: kindUser, ID: id, Data: data}
}

func TestUserMemo(t *testing.T) {
	var m userMemo
	first := memoItem(t, "sub-1", userRecord{Username: "alice", Sub: "sub-1", Attributes: map[string]string{"email": "a@example.com"},
		Enabled: true, Status: "CONFIRMED", PasswordHash: "$argon2id$secret", SRPVerifier: "sealed", TOTPSecret: "sealed",
		PreferredMFA: "SOFTWARE_TOKEN_MFA", EnabledMFA: []string{"SOFTWARE_TOKEN_MFA"}})
	a, err := m.public(first)
	if err != nil {
		t.Fatal(err)
	}
	// What AdminGetUser answers is kept; the secrets are not.
	want := &userRecord{Username: "alice", Sub: "sub-1", Attributes: map[string]string{"email": "a@example.com"},
		Enabled: true, Status: "CONFIRMED", PreferredMFA: "SOFTWARE_TOKEN_MFA", EnabledMFA: []string{"SOFTWARE_TOKEN_MFA"}}
	if diff := cmp.Diff(want, a); diff != "" {
		t.Errorf("kept user (-want +got):\n%s", diff)
	}
	// The same bytes, read again into a new item, give the record decoded
	// the first time.
	again := &storage.Item{Kind: kindUser, ID: "sub-1", Data: append([]byte(nil), first.Data...)}
	b, err := m.public(again)
	if err != nil {
		t.Fatal(err)
	}
	if a != b {
		t.Errorf("same bytes decoded again: got another record")
	}
	// A user written since is decoded afresh, and replaces the entry.
	changed := memoItem(t, "sub-1", userRecord{Username: "alice", Sub: "sub-1", Attributes: map[string]string{"email": "new@example.com"}})
	c, err := m.public(changed)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"email": "new@example.com"}, c.Attributes); diff != "" {
		t.Errorf("changed user (-want +got):\n%s", diff)
	}
	if d, _ := m.public(first); d == c || d.Attributes["email"] != "a@example.com" {
		t.Errorf("the old bytes again: got %v, want the old user decoded afresh", d.Attributes)
	}
	// Bytes that do not decode are an error, and are not kept.
	if _, err := m.public(&storage.Item{Kind: kindUser, ID: "sub-2", Data: []byte("{")}); err == nil {
		t.Errorf("bad bytes: no error")
	}
	if _, ok := m.users["sub-2"]; ok {
		t.Errorf("bad bytes kept")
	}
}

func TestUserMemoBound(t *testing.T) {
	var m userMemo
	pad := string(make([]byte, 1000))
	for i := range 5000 {
		id := fmt.Sprintf("sub-%d", i)
		if _, err := m.public(memoItem(t, id, userRecord{Username: id, Sub: id, Attributes: map[string]string{"pad": pad}})); err != nil {
			t.Fatal(err)
		}
		if m.size > userMemoMaxBytes {
			t.Fatalf("after %d users the memo holds %d bytes, more than %d", i+1, m.size, userMemoMaxBytes)
		}
	}
	total := 0
	for _, e := range m.users {
		total += e.size
	}
	if total != m.size || len(m.users) == 0 {
		t.Errorf("memo counts %d bytes in %d entries, holds %d", m.size, len(m.users), total)
	}
}
