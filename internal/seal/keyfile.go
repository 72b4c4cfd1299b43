package seal

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// keyFileMode is the mode of a key file: readable and writable by its
// owner only.
const keyFileMode = 0o600

// LoadOrCreateKeyFile returns the KeySize-byte key stored raw in the file
// at path, creating the file with a fresh random key and mode 0600 when it
// does not exist (and its directory with mode 0700 when that is missing).
//
// It refuses an existing file that its group or others may read or write,
// as ssh does for private keys, because anyone who can read the key and a
// database dump can decrypt what the key protects. On Windows, where file
// modes do not describe access, that check is skipped.
//
// Two processes creating the file at once get the same key: the file
// appears under its name only once complete (written to a temporary file,
// then hard-linked into place, which fails if the name exists).
func LoadOrCreateKeyFile(path string) ([]byte, error) {
	key, err := loadKeyFile(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return key, err
	}
	if err := createKeyFile(path); err != nil {
		return nil, err
	}
	return loadKeyFile(path)
}

// ReadKeyFile returns the key in the file at path as LoadOrCreateKeyFile
// would, with the same checks, but never creates the file: a missing file
// is an error that errors.Is reports as fs.ErrNotExist.
func ReadKeyFile(path string) ([]byte, error) { return loadKeyFile(path) }

func loadKeyFile(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		return nil, fmt.Errorf("encryption key file %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("encryption key file %s: not a regular file", path)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 && runtime.GOOS != "windows" {
		return nil, fmt.Errorf("encryption key file %s has mode %04o, so users other than its owner can read it; "+
			"run chmod 600 on it (and check who may have read it) before starting again", path, perm)
	}
	key, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("encryption key file %s: %w", path, err)
	}
	if len(key) != KeySize {
		return nil, fmt.Errorf("encryption key file %s: must hold exactly %d bytes, holds %d", path, KeySize, len(key))
	}
	return key, nil
}

func createKeyFile(path string) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("encryption key file %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(dir, ".encryption-key-*")
	if err != nil {
		return fmt.Errorf("encryption key file %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	key := make([]byte, KeySize)
	rand.Read(key)
	err = tmp.Chmod(keyFileMode)
	if err == nil {
		_, err = tmp.Write(key)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("encryption key file %s: %w", path, err)
	}
	if err := os.Link(tmp.Name(), path); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("encryption key file %s: %w", path, err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync() // make the new name durable; not every platform can sync a directory
		d.Close()
	}
	return nil
}

// ParseKey decodes a KeySize-byte key written as text, the form a
// configured key takes (a config value or an environment variable): 64 hex
// digits, or standard or URL-safe base64 with or without padding (as
// `openssl rand -base64 32` prints). Surrounding white space is ignored.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if len(s) == 2*KeySize {
		if key, err := hex.DecodeString(s); err == nil {
			return key, nil
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if key, err := enc.DecodeString(s); err == nil {
			if len(key) != KeySize {
				return nil, fmt.Errorf("must be %d bytes, decodes to %d", KeySize, len(key))
			}
			return key, nil
		}
	}
	return nil, fmt.Errorf("must be %d bytes written as 64 hex digits or as base64", KeySize)
}
