package directory

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cognate-dev/cognate/internal/mfa"
	"github.com/cognate-dev/cognate/internal/storage"
)

func TestResealUserSRPVerifier(t *testing.T) {
	var got [3]string
	reseal := ResealUserSRPVerifier(func(poolID, sub, sealed string) (string, bool, error) {
		got = [3]string{poolID, sub, sealed}
		switch sealed {
		case "old":
			return "new", true, nil
		case "bad":
			return "", false, errors.New("opens with no key")
		}
		return sealed, false, nil
	})
	it := &storage.Item{Kind: UserItemKind, ID: "sub-1", Pool: "us-east-1_p",
		Data: []byte(`{"sub":"sub-1","username":"ada","srp_verifier":"old","attributes":{"email":"a@example.com"},"future_field":[1,2]}`)}
	data, changed, err := reseal(it)
	if err != nil || !changed {
		t.Fatalf("reseal = %v, %v; want a change", changed, err)
	}
	if got != [3]string{"us-east-1_p", "sub-1", "old"} {
		t.Errorf("the verifier re-sealer got %v", got)
	}
	var before, after map[string]any
	json.Unmarshal(it.Data, &before)
	json.Unmarshal(data, &after)
	before["srp_verifier"] = "new"
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("re-sealing changed more than the verifier (-want +got):\n%s", diff)
	}
	for _, tc := range []struct{ name, data string }{
		{"current key", `{"sub":"s","srp_verifier":"current"}`},
		{"no verifier", `{"sub":"s"}`},
	} {
		if _, changed, err := reseal(&storage.Item{ID: "s", Data: []byte(tc.data)}); changed || err != nil {
			t.Errorf("%s: changed %v, %v; want nothing to do", tc.name, changed, err)
		}
	}
	if _, _, err := reseal(&storage.Item{ID: "s", Data: []byte(`{"srp_verifier":"bad"}`)}); err == nil {
		t.Error("a verifier that opens with no key: no error")
	}
}

// TestResealUserSecrets re-seals, with a real mfa.Secrets across a key
// rotation, the TOTP secrets a user record keeps (verified and pending)
// beside its SRP verifier, and leaves every other field as stored.
func TestResealUserSecrets(t *testing.T) {
	oldKey, newKey := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)
	old, err := mfa.NewSecrets(oldKey)
	if err != nil {
		t.Fatal(err)
	}
	rotated, err := mfa.NewSecrets(newKey, oldKey)
	if err != nil {
		t.Fatal(err)
	}
	verified, pending := old.Seal("us-east-1_p", "sub-1", "VERIFIED"), old.Seal("us-east-1_p", "sub-1", "PENDING")
	record := map[string]any{"sub": "sub-1", "srp_verifier": "current", "totp_secret": verified, "totp_pending": pending, "totp_step": 7}
	data, _ := json.Marshal(record)
	reseal := ResealUserSecrets(func(_, _, sealed string) (string, bool, error) { return sealed, false, nil }, rotated.Reseal)
	out, changed, err := reseal(&storage.Item{Kind: UserItemKind, ID: "sub-1", Pool: "us-east-1_p", Data: data})
	if err != nil || !changed {
		t.Fatalf("reseal = %v, %v; want a change", changed, err)
	}
	var after map[string]any
	if err := json.Unmarshal(out, &after); err != nil {
		t.Fatal(err)
	}
	current, err := mfa.NewSecrets(newKey)
	if err != nil {
		t.Fatal(err)
	}
	for field, want := range map[string]string{"totp_secret": "VERIFIED", "totp_pending": "PENDING"} {
		got, err := current.Open("us-east-1_p", "sub-1", after[field].(string))
		if err != nil || got != want {
			t.Errorf("%s after re-sealing opens to %q, %v with the new key alone", field, got, err)
		}
	}
	if after["srp_verifier"] != "current" || after["totp_step"] != float64(7) {
		t.Errorf("re-sealing changed other fields: %v", after)
	}
	if _, changed, _ := reseal(&storage.Item{ID: "sub-1", Pool: "us-east-1_p", Data: out}); changed {
		t.Error("a record sealed with the current key was sealed again")
	}
}
