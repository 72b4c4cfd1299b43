package password

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestVerifyImported checks the hashes scripts/gen-import-hashes.mjs made
// with other implementations (hash-wasm, OpenSSL): the right password
// verifies, a wrong one does not.
func TestVerifyImported(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "e2e", "sdk", "testdata", "import_hashes.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rows []struct{ Algorithm, Password, Hash string }
	if err := json.Unmarshal(raw, &rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 4 {
		t.Fatalf("%d hashes, want one per algorithm", len(rows))
	}
	h := Default()
	for _, r := range rows {
		t.Run(r.Algorithm, func(t *testing.T) {
			im, err := ParseImported(r.Algorithm, r.Hash)
			if err != nil {
				t.Fatal(err)
			}
			for _, tc := range []struct {
				password string
				want     bool
			}{{r.Password, true}, {r.Password + "x", false}, {"", false}} {
				ok, err := h.VerifyImported(context.Background(), im, tc.password)
				if err != nil || ok != tc.want {
					t.Errorf("verify %q = %v, %v; want %v", tc.password, ok, err, tc.want)
				}
			}
		})
	}
}

func TestParseImportedRefuses(t *testing.T) {
	for _, tc := range []struct{ name, alg, hash string }{
		{"unknown algorithm", "MD5", "$1$abc$def"},
		{"bcrypt not bcrypt", AlgorithmBcrypt, "$argon2id$v=19$m=19456,t=3,p=2$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"},
		{"bcrypt cost too high", AlgorithmBcrypt, "$2b$31$dhHvwxcFfwr8irEsV08QNOfxMrycP3vvEUUT83sNFggi1XseprxJa"},
		{"argon2id memory too high", AlgorithmArgon2id, "$argon2id$v=19$m=4194304,t=3,p=2$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"},
		{"argon2id old version", AlgorithmArgon2id, "$argon2id$v=16$m=19456,t=3,p=2$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"},
		{"argon2id short salt", AlgorithmArgon2id, "$argon2id$v=19$m=19456,t=3,p=2$c2FsdA$aGFzaGhhc2hoYXNoaGFzaA"},
		{"scrypt N too high", AlgorithmScrypt, "$scrypt$ln=30,r=8,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"},
		{"scrypt missing parameter", AlgorithmScrypt, "$scrypt$r=8,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"},
		{"pbkdf2 zero iterations", AlgorithmPBKDF2SHA256, "$pbkdf2-sha256$i=0$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"},
		{"pbkdf2 bad base64", AlgorithmPBKDF2SHA256, "$pbkdf2-sha256$i=1000$c2F!dHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"},
		{"empty", AlgorithmPBKDF2SHA256, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ParseImported(tc.alg, tc.hash); !errors.Is(err, ErrImportedHash) {
				t.Fatalf("ParseImported = %v, want ErrImportedHash", err)
			}
		})
	}
}
