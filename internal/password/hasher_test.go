package password

import (
	"context"
	"strings"
	"testing"
)

// cheap are the least parameters New accepts, so the tests stay fast;
// TestHashDefaults checks the real ones.
var cheap = Params{MemoryKiB: 1024, Iterations: 1, Parallelism: 1}

func newHasher(t *testing.T, c Config) *Hasher {
	t.Helper()
	if c.Params == (Params{}) {
		c.Params = cheap
	}
	h, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func verifies(t *testing.T, h *Hasher, phc, password string) bool {
	t.Helper()
	ok, err := h.Verify(context.Background(), phc, password)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

func TestHashDefaults(t *testing.T) {
	h := Default()
	if h.Params() != DefaultParams() {
		t.Errorf("Default().Params() = %+v, want %+v", h.Params(), DefaultParams())
	}
	phc, err := h.Hash(context.Background(), "Corr3ct horse!")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(phc, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("hash %q does not record argon2id with m=19456,t=2,p=1", phc)
	}
	p, salt, key, err := parse(phc)
	if err != nil {
		t.Fatal(err)
	}
	if p != DefaultParams() || len(salt) != 16 || len(key) != 32 {
		t.Errorf("parsed %+v, salt %d bytes, key %d bytes", p, len(salt), len(key))
	}
	if !verifies(t, h, phc, "Corr3ct horse!") || verifies(t, h, phc, "corr3ct horse!") {
		t.Error("verification with the default parameters is wrong")
	}
}

func TestHashVerify(t *testing.T) {
	h := newHasher(t, Config{})
	h1, err := h.Hash(context.Background(), "Secret1!")
	if err != nil {
		t.Fatal(err)
	}
	h2, _ := h.Hash(context.Background(), "Secret1!")
	if h1 == h2 {
		t.Error("two hashes of one password are equal: the salt is not random")
	}
	// A hash made by a Hasher with other parameters still verifies: they
	// are read from the hash.
	other := newHasher(t, Config{Params: Params{MemoryKiB: 2048, Iterations: 2, Parallelism: 2}})
	h3, _ := other.Hash(context.Background(), "Secret1!")
	if !strings.Contains(h3, "$m=2048,t=2,p=2$") {
		t.Errorf("hash %q does not record its Hasher's parameters", h3)
	}
	dollar := strings.Split(h1, "$")
	tests := []struct {
		name, hash, password string
		want                 bool
	}{
		{"right", h1, "Secret1!", true},
		{"wrong", h1, "Secret1?", false},
		{"empty", h1, "", false},
		{"other parameters", h3, "Secret1!", true},
		{"empty hash", "", "Secret1!", false},
		{"bcrypt", "$2a$10$abcdefghijklmnopqrstuv", "Secret1!", false},
		{"argon2i", strings.Replace(h1, "argon2id", "argon2i", 1), "Secret1!", false},
		{"wrong version", strings.Replace(h1, "v=19", "v=16", 1), "Secret1!", false},
		{"zero memory", strings.Replace(h1, "m=1024", "m=0", 1), "Secret1!", false},
		{"unknown parameter", strings.Replace(h1, "p=1", "x=1", 1), "Secret1!", false},
		{"repeated parameter", strings.Replace(h1, "p=1", "t=1", 1), "Secret1!", false},
		{"too many lanes", strings.Replace(h1, "p=1", "p=256", 1), "Secret1!", false},
		{"bad salt", strings.Join(append(dollar[:4:4], "!!", dollar[5]), "$"), "Secret1!", false},
		{"truncated", h1[:len(h1)-10], "Secret1!", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := verifies(t, h, tc.hash, tc.password); got != tc.want {
				t.Errorf("Verify = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestNewValidatesParams(t *testing.T) {
	cases := []struct {
		name    string
		p       Params
		wantErr string
	}{
		{"zero means default", Params{}, ""},
		{"default", DefaultParams(), ""},
		{"stronger", Params{MemoryKiB: 64 * 1024, Iterations: 3, Parallelism: 2}, ""},
		{"no lanes", Params{MemoryKiB: 19456, Iterations: 2}, "parallelism"},
		{"no passes", Params{MemoryKiB: 19456, Parallelism: 1}, "iterations"},
		{"too little memory", Params{MemoryKiB: 512, Iterations: 2, Parallelism: 1}, "memory"},
		{"too little memory per lane", Params{MemoryKiB: 1024, Iterations: 1, Parallelism: 255}, "memory"},
		{"too much memory", Params{MemoryKiB: 4<<20 + 1, Iterations: 1, Parallelism: 1}, "memory"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h, err := New(Config{Params: tc.p})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("New(%+v) = %v, want an error about %s", tc.p, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := tc.p
			if want == (Params{}) {
				want = DefaultParams()
			}
			if h.Params() != want {
				t.Errorf("Params() = %+v, want %+v", h.Params(), want)
			}
			if want.MemoryKiB > 19456 {
				return // the hash below would be slow; TestHashVerify covers other parameters
			}
			phc, err := h.Hash(context.Background(), "Correct-Horse-1")
			if err != nil {
				t.Fatal(err)
			}
			p, _, _, err := parse(phc)
			if err != nil || p != want {
				t.Errorf("hash %s has parameters %+v, want %+v", phc, p, want)
			}
		})
	}
}

// TestDummy checks that the dummy hash is made once per Hasher, at its
// parameters, and that no password matches it.
func TestDummy(t *testing.T) {
	h := newHasher(t, Config{Params: Params{MemoryKiB: 2048, Iterations: 1, Parallelism: 1}})
	d := h.Dummy()
	if d != h.Dummy() {
		t.Error("Dummy changed between calls")
	}
	p, _, _, err := parse(d)
	if err != nil || p != h.Params() {
		t.Errorf("dummy hash %q has parameters %+v (%v), want %+v", d, p, err, h.Params())
	}
	if verifies(t, h, d, "") || verifies(t, h, d, "Correct-Horse-1") {
		t.Error("a password matched the dummy hash")
	}
	if other := newHasher(t, Config{}); other.Dummy() == d {
		t.Error("two Hashers share a dummy hash")
	}
}
