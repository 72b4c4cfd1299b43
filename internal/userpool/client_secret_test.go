package userpool

import (
	"strings"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
)

func TestCheckSecretHash(t *testing.T) {
	const clientID = "client0123456789abcdefghi"
	// Reference values computed outside Go:
	// base64(HMAC-SHA256(secret, "alice" + clientID)).
	const hashOne = "Dkc3g3HD+72lUKqGfriQJRD3myPW1PZ+VMGKzQzdZ4g="
	const hashTwo = "MUF5rDsktBbfS9dVmeAvdmz+JrUdMC+LX/YP4TdaZzc="
	one := clientSecret{ID: "1", Value: "secret-one-0123456789abcdefghij"}
	two := clientSecret{ID: "2", Value: "secret-two-0123456789abcdefghij"}
	client := func(secrets ...clientSecret) *clientRecord {
		return &clientRecord{Client: idp.UserPoolClientType{ClientId: cognito.Ptr(clientID)}, Secrets: secrets}
	}
	cases := []struct {
		name     string
		client   *clientRecord
		username string
		hash     string
		want     bool
	}{
		{"only secret", client(one), "alice", hashOne, true},
		{"first of two", client(one, two), "alice", hashOne, true},
		{"second of two", client(one, two), "alice", hashTwo, true},
		{"deleted secret", client(two), "alice", hashOne, false},
		{"other username", client(one, two), "bob", hashOne, false},
		{"username is case-sensitive", client(one), "Alice", hashOne, false},
		{"not base64", client(one), "alice", "not base64!", false},
		{"empty", client(one), "alice", "", false},
		{"truncated", client(one), "alice", hashOne[:20], false},
		{"public client", client(), "alice", hashOne, false},
		{"no client", nil, "alice", hashOne, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := checkSecretHash(tc.client, tc.username, tc.hash); got != tc.want {
				t.Errorf("checkSecretHash = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestNewClientSecret(t *testing.T) {
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	a, b := newClientSecret("", now), newClientSecret("", now)
	for _, s := range []clientSecret{a, b} {
		if len(s.Value) != clientSecretLength || strings.Trim(s.Value, lowerAlnum) != "" {
			t.Errorf("generated secret %q is not %d lower-case letters and digits", s.Value, clientSecretLength)
		}
		if s.ID == "" || !s.CreatedAt.Equal(now) {
			t.Errorf("secret %+v lacks an ID or creation time", s)
		}
	}
	if a.Value == b.Value || a.ID == b.ID {
		t.Error("two generated secrets are equal")
	}
	if c := newClientSecret("my_own_secret_value_0123456789", now); c.Value != "my_own_secret_value_0123456789" {
		t.Errorf("custom secret became %q", c.Value)
	}
}

func TestClientSecretDescriptor(t *testing.T) {
	s := clientSecret{ID: "id1", Value: "v", CreatedAt: time.Unix(100, 0)}
	if d := s.descriptor(false); d.ClientSecretValue != nil || cognito.Deref(d.ClientSecretId) != "id1" || !d.ClientSecretCreateDate.Equal(time.Unix(100, 0)) {
		t.Errorf("descriptor without value = %+v", d)
	}
	if d := s.descriptor(true); cognito.Deref(d.ClientSecretValue) != "v" {
		t.Errorf("descriptor with value = %+v", d)
	}
}

func TestCheckClientSecret(t *testing.T) {
	rec := &clientRecord{Secrets: []clientSecret{{ID: "1", Value: "first_secret"}, {ID: "2", Value: "second_secret"}}}
	cases := []struct {
		name   string
		client *clientRecord
		secret string
		want   bool
	}{
		{"first", rec, "first_secret", true},
		{"second", rec, "second_secret", true},
		{"wrong", rec, "third_secret", false},
		{"prefix", rec, "first", false},
		{"empty", rec, "", false},
		{"public client", &clientRecord{}, "first_secret", false},
		{"no client", nil, "first_secret", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := checkClientSecret(tc.client, tc.secret); got != tc.want {
				t.Errorf("checkClientSecret = %v, want %v", got, tc.want)
			}
		})
	}
}
