package directory

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

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
