package seal

import (
	"bytes"
	"encoding/hex"
	"errors"
	"testing"
)

func TestPreviousKeys(t *testing.T) {
	a, b, c := testKey(1), testKey(2), testKey(3)
	old := newSealer(t, a)
	sealedA := old.Seal("p", []byte("under a"))
	rotated, err := New(b, a)
	if err != nil {
		t.Fatalf("New(b, a): %v", err)
	}
	if rotated.Keys() != 2 {
		t.Errorf("Keys = %d, want 2", rotated.Keys())
	}
	got, key, err := rotated.OpenKey("p", sealedA)
	if err != nil || key != 1 || string(got) != "under a" {
		t.Errorf("OpenKey(value sealed with a previous key) = %q, %d, %v; want the plaintext, key 1", got, key, err)
	}
	sealedB := rotated.Seal("p", []byte("under b"))
	if got, key, err := rotated.OpenKey("p", sealedB); err != nil || key != 0 || string(got) != "under b" {
		t.Errorf("OpenKey(value sealed with the current key) = %q, %d, %v; want the plaintext, key 0", got, key, err)
	}
	if _, err := old.Open("p", sealedB); !errors.Is(err, ErrOpen) {
		t.Errorf("a sealer without the new key opened a value sealed with it: %v", err)
	}
	if _, err := newSealer(t, b).Open("p", sealedA); !errors.Is(err, ErrOpen) {
		t.Errorf("a sealer without the previous key opened a value sealed with it: %v", err)
	}
	str := rotated.SealString("p", []byte("s"))
	if _, key, err := rotated.OpenStringKey("p", str); err != nil || key != 0 {
		t.Errorf("OpenStringKey = %d, %v; want key 0", key, err)
	}
	three, err := New(c, b, a)
	if err != nil {
		t.Fatal(err)
	}
	if _, key, err := three.OpenKey("p", sealedA); err != nil || key != 2 {
		t.Errorf("OpenKey with two previous keys = %d, %v; want key 2", key, err)
	}
	if _, key, err := three.OpenKey("other", sealedA); !errors.Is(err, ErrOpen) || key != -1 {
		t.Errorf("OpenKey for another purpose = %d, %v; want -1, ErrOpen", key, err)
	}
	if _, err := New(b, a[:31]); err == nil {
		t.Error("New with a short previous key: no error")
	}
}

func TestCheckValue(t *testing.T) {
	a := CheckValue(testKey(1))
	if len(a) != 32 {
		t.Fatalf("CheckValue length %d, want 32 hex digits", len(a))
	}
	if _, err := hex.DecodeString(a); err != nil {
		t.Errorf("CheckValue %q is not hex: %v", a, err)
	}
	if CheckValue(testKey(1)) != a {
		t.Error("CheckValue is not deterministic")
	}
	if CheckValue(testKey(2)) == a {
		t.Error("two keys have the same check value")
	}
	raw, _ := hex.DecodeString(a)
	for _, label := range []string{"srp-verifier", "token-signing-keys", "auth-session"} {
		if bytes.HasPrefix(DeriveKey(testKey(1), label), raw) {
			t.Errorf("the check value is a prefix of the %s key", label)
		}
	}
	if bytes.Contains(testKey(1), raw) {
		t.Error("the check value is part of the key")
	}
}

func TestKeys(t *testing.T) {
	k := Keys{Current: testKey(2), Previous: [][]byte{testKey(1)}}
	if err := k.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if err := (Keys{Current: testKey(2), Previous: [][]byte{testKey(1)[:5]}}).Validate(); err == nil {
		t.Error("Validate with a short previous key: no error")
	}
	d := k.Derive("srp-verifier")
	if !bytes.Equal(d.Current, DeriveKey(testKey(2), "srp-verifier")) || len(d.Previous) != 1 ||
		!bytes.Equal(d.Previous[0], DeriveKey(testKey(1), "srp-verifier")) {
		t.Error("Derive does not derive every key for the label, in order")
	}
	oldSealer := newSealer(t, DeriveKey(testKey(1), "srp-verifier"))
	s, err := d.Sealer()
	if err != nil {
		t.Fatal(err)
	}
	if _, key, err := s.OpenKey("p", oldSealer.Seal("p", nil)); err != nil || key != 1 {
		t.Errorf("derived sealer OpenKey = %d, %v; want key 1", key, err)
	}
	cv := k.CheckValues()
	if len(cv) != 2 || cv[0] != CheckValue(testKey(2)) || cv[1] != CheckValue(testKey(1)) {
		t.Errorf("CheckValues = %v", cv)
	}
}
