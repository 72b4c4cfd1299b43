package seal

import (
	"encoding/hex"
	"fmt"
)

// checkValueLabel is the HKDF info of a key's check value. It is fixed:
// changing it would make every store refuse the key it was set up with.
const checkValueLabel = "cognate key check value v1"

// CheckValue returns the check value of a master key: 16 bytes of
// HKDF-SHA256 of the key under a fixed label, in hex. A store records the
// check values of the keys its data is sealed with, so that a server
// started with another key is recognised before it writes anything. The
// value identifies a key without revealing it: HKDF is one-way, and the
// value is derived like the keys that seal data but under a label no
// sealing key uses, so it opens nothing.
func CheckValue(master []byte) string {
	return hex.EncodeToString(DeriveKey(master, checkValueLabel)[:16])
}

// Keys are the configured master keys: Current seals new values, and
// every key (Current first, then Previous in order) opens values, so that
// data sealed before a key rotation stays readable until it is sealed
// again.
type Keys struct {
	Current  []byte
	Previous [][]byte
}

// Derive returns the keys for one use: each master key derived with
// DeriveKey for label, in the same order.
func (k Keys) Derive(label string) Keys {
	d := Keys{Current: DeriveKey(k.Current, label)}
	for _, p := range k.Previous {
		d.Previous = append(d.Previous, DeriveKey(p, label))
	}
	return d
}

// Sealer returns a Sealer that seals with k.Current and opens with any of
// k's keys; OpenKey's key index i > 0 is k.Previous[i-1].
func (k Keys) Sealer() (*Sealer, error) {
	return New(k.Current, k.Previous...)
}

// CheckValues returns the check values of every key, Current first.
func (k Keys) CheckValues() []string {
	cv := []string{CheckValue(k.Current)}
	for _, p := range k.Previous {
		cv = append(cv, CheckValue(p))
	}
	return cv
}

// Validate reports a key of the wrong length.
func (k Keys) Validate() error {
	if len(k.Current) != KeySize {
		return fmt.Errorf("seal: key must be %d bytes, got %d", KeySize, len(k.Current))
	}
	for i, p := range k.Previous {
		if len(p) != KeySize {
			return fmt.Errorf("seal: previous key %d must be %d bytes, got %d", i+1, KeySize, len(p))
		}
	}
	return nil
}
