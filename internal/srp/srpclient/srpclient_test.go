package srpclient

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"math/big"
	"os"
	"testing"
	"time"
)

// vectorFile is the part of internal/srp's testdata/vectors.json that the
// client side needs: exchanges whose client side amazon-cognito-identity-js
// computed (testdata/gen.js there makes them).
type vectorFile struct {
	N       string `json:"n"`
	G       string `json:"g"`
	K       string `json:"k"`
	Vectors []struct {
		Name                   string `json:"name"`
		PoolID                 string `json:"pool_id"`
		PoolName               string `json:"pool_name"`
		UserIDForSRP           string `json:"user_id_for_srp"`
		Password               string `json:"password"`
		WrongPassword          string `json:"wrong_password"`
		Salt                   string `json:"salt"`
		X                      string `json:"x"`
		Verifier               string `json:"verifier"`
		A                      string `json:"a"`
		SRPA                   string `json:"srp_a"`
		SRPB                   string `json:"srp_b"`
		SecretBlock            string `json:"secret_block"`
		TimeUnixMS             int64  `json:"time_unix_ms"`
		Timestamp              string `json:"timestamp"`
		Signature              string `json:"signature"`
		WrongPasswordTimestamp string `json:"wrong_password_timestamp"`
		WrongPasswordSignature string `json:"wrong_password_signature"`
	} `json:"vectors"`
}

func loadVectors(t *testing.T) vectorFile {
	t.Helper()
	raw, err := os.ReadFile("../testdata/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var f vectorFile
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Vectors) == 0 {
		t.Fatal("no vectors")
	}
	return f
}

func hexInt(t *testing.T, s string) *big.Int {
	t.Helper()
	n, ok := new(big.Int).SetString(s, 16)
	if !ok {
		t.Fatalf("not hex: %q", s)
	}
	return n
}

// TestVectors answers each recorded challenge with the library's a and
// compares SRP_A, TIMESTAMP and PASSWORD_CLAIM_SIGNATURE with what the
// library sent, for the right and the wrong password, with and without a
// cache.
func TestVectors(t *testing.T) {
	f := loadVectors(t)
	if N.Cmp(hexInt(t, f.N)) != 0 || G.Cmp(hexInt(t, f.G)) != 0 || k.Cmp(hexInt(t, f.K)) != 0 {
		t.Fatal("N, g or k differ from the library's")
	}
	cache := NewCache()
	for _, vec := range f.Vectors {
		t.Run(vec.Name, func(t *testing.T) {
			a := hexInt(t, vec.A)
			A := new(big.Int).Exp(G, a, N)
			params := map[string]string{
				"SRP_B": vec.SRPB, "SALT": vec.Salt, "SECRET_BLOCK": vec.SecretBlock, "USER_ID_FOR_SRP": vec.UserIDForSRP,
			}
			now := time.UnixMilli(vec.TimeUnixMS)
			for _, c := range []*Client{{a: a, pub: A, srpA: A.Text(16)}, {a: a, pub: A, srpA: A.Text(16), cache: cache}} {
				if got := c.SRPA(); got != vec.SRPA {
					t.Fatalf("SRP_A = %s, want the library's %s", got, vec.SRPA)
				}
				for range 2 { // the second time from the cache, when there is one
					ts, sig, err := c.Claim(vec.PoolID, vec.Password, params, now)
					if err != nil || ts != vec.Timestamp || sig != vec.Signature {
						t.Errorf("Claim = %q, %q, %v; want the library's %q, %q", ts, sig, err, vec.Timestamp, vec.Signature)
					}
				}
				ts, sig, err := c.ClaimAs(vec.PoolName, vec.UserIDForSRP, vec.WrongPassword, params, now)
				if err != nil || ts != vec.WrongPasswordTimestamp || sig != vec.WrongPasswordSignature {
					t.Errorf("wrong password: ClaimAs = %q, %q, %v; want the library's %q, %q", ts, sig, err, vec.WrongPasswordTimestamp, vec.WrongPasswordSignature)
				}
			}
		})
	}
}

// TestClaimRejectsMalformedParameters checks that a challenge a client
// cannot answer is an error, not a signature.
func TestClaimRejectsMalformedParameters(t *testing.T) {
	good := map[string]string{"SRP_B": "abc123", "SALT": "0f", "SECRET_BLOCK": "AAEC", "USER_ID_FOR_SRP": "user"}
	with := func(key, value string) map[string]string {
		m := map[string]string{}
		for k, v := range good {
			m[k] = v
		}
		m[key] = value
		return m
	}
	c := New()
	if _, _, err := c.Claim("us-east-1_pool", "pw", good, time.Now()); err != nil {
		t.Fatalf("well-formed parameters: %v", err)
	}
	tests := []struct {
		name   string
		params map[string]string
	}{
		{"SRP_B not hex", with("SRP_B", "xyz")},
		{"no SRP_B", with("SRP_B", "")},
		{"SRP_B zero", with("SRP_B", "0")},
		{"SRP_B is N", with("SRP_B", N.Text(16))},
		{"SALT not hex", with("SALT", "g")},
		{"SECRET_BLOCK not base64", with("SECRET_BLOCK", "%%")},
		{"no USER_ID_FOR_SRP", with("USER_ID_FOR_SRP", "")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if ts, sig, err := c.Claim("us-east-1_pool", "pw", tc.params, time.Now()); err == nil {
				t.Errorf("Claim = %q, %q, nil; want an error", ts, sig)
			}
		})
	}
}

// TestDeviceVerifier checks the verifier against its definition: salt
// and v padded as the library pads them, v = g^x for the device's x.
func TestDeviceVerifier(t *testing.T) {
	salt, verifier := DeviceVerifier("group", "us-east-1_device", "secret")
	rawSalt, err := base64.StdEncoding.DecodeString(salt)
	if err != nil {
		t.Fatal(err)
	}
	rawV, err := base64.StdEncoding.DecodeString(verifier)
	if err != nil {
		t.Fatal(err)
	}
	s := new(big.Int).SetBytes(rawSalt)
	if got := Pad(s); hex.EncodeToString(got) != hex.EncodeToString(rawSalt) {
		t.Errorf("salt %x is not padded as padHex pads it", rawSalt)
	}
	x := new(big.Int).SetBytes(Hash(Pad(s), Hash([]byte("groupus-east-1_device:secret"))))
	if want := new(big.Int).Exp(G, x, N); hex.EncodeToString(Pad(want)) != hex.EncodeToString(rawV) {
		t.Errorf("verifier is not g^x")
	}
	if other, _ := DeviceVerifier("group", "us-east-1_device", "secret"); other == salt {
		t.Error("two verifiers with one salt")
	}
}

func TestPad(t *testing.T) {
	tests := []struct {
		n    int64
		want string
	}{
		{0, "00"}, {1, "01"}, {0x7f, "7f"}, {0x80, "0080"}, {0xfff, "0fff"}, {0x8000, "008000"},
	}
	for _, tc := range tests {
		if got := hex.EncodeToString(Pad(big.NewInt(tc.n))); got != tc.want {
			t.Errorf("Pad(%#x) = %s, want %s", tc.n, got, tc.want)
		}
	}
}
