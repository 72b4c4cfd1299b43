package seal

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

func TestLoadOrCreateKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data", "encryption.key")
	key, err := LoadOrCreateKeyFile(path)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if len(key) != KeySize {
		t.Fatalf("key length %d, want %d", len(key), KeySize)
	}
	if bytes.Equal(key, make([]byte, KeySize)) {
		t.Error("created key is all zero")
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" {
		if perm := fi.Mode().Perm(); perm != 0o600 {
			t.Errorf("key file mode %04o, want 0600", perm)
		}
	}
	again, err := LoadOrCreateKeyFile(path)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if !bytes.Equal(again, key) {
		t.Error("second call returned another key")
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("data directory holds %d entries, want only the key file", len(entries))
	}
}

func TestLoadOrCreateKeyFileConcurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "encryption.key")
	const n = 8
	keys := make([][]byte, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { keys[i], errs[i] = LoadOrCreateKeyFile(path) })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("caller %d: %v", i, errs[i])
		}
		if !bytes.Equal(keys[i], keys[0]) {
			t.Errorf("caller %d got another key than caller 0", i)
		}
	}
}

func TestLoadOrCreateKeyFileRefuses(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("file modes do not describe access on Windows")
	}
	tests := []struct {
		name    string
		content []byte
		mode    os.FileMode
		want    string
	}{
		{"group readable", testKey(1), 0o640, "mode 0640"},
		{"world readable", testKey(1), 0o604, "mode 0604"},
		{"group writable", testKey(1), 0o620, "chmod 600"},
		{"too short", testKey(1)[:31], 0o600, "must hold exactly 32 bytes, holds 31"},
		{"too long", append(testKey(1), '\n'), 0o600, "holds 33"},
		{"empty", nil, 0o600, "holds 0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "encryption.key")
			if err := os.WriteFile(path, tc.content, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tc.mode); err != nil {
				t.Fatal(err)
			}
			key, err := LoadOrCreateKeyFile(path)
			if err == nil {
				t.Fatalf("LoadOrCreateKeyFile = %x, want an error", key)
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
				t.Errorf("error %q, want it to name the file and say %q", err, tc.want)
			}
			got, _ := os.ReadFile(path)
			if !bytes.Equal(got, tc.content) {
				t.Error("the refused file was changed")
			}
		})
	}

	t.Run("directory", func(t *testing.T) {
		path := t.TempDir()
		if _, err := LoadOrCreateKeyFile(path); err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("error %v, want not a regular file", err)
		}
	})
}

func TestParseKey(t *testing.T) {
	key := make([]byte, KeySize)
	for i := range key {
		key[i] = byte(i*7 + 250)
	}
	good := []struct{ name, in string }{
		{"hex", hex.EncodeToString(key)},
		{"upper hex", strings.ToUpper(hex.EncodeToString(key))},
		{"base64", base64.StdEncoding.EncodeToString(key)},
		{"base64 without padding", base64.RawStdEncoding.EncodeToString(key)},
		{"url base64", base64.URLEncoding.EncodeToString(key)},
		{"surrounding space", "  " + base64.StdEncoding.EncodeToString(key) + "\n"},
	}
	for _, tc := range good {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseKey(tc.in)
			if err != nil {
				t.Fatalf("ParseKey: %v", err)
			}
			if !bytes.Equal(got, key) {
				t.Errorf("ParseKey = %x, want %x", got, key)
			}
		})
	}
	bad := []struct{ name, in, want string }{
		{"empty", "", "decodes to 0"},
		{"short hex", hex.EncodeToString(key[:31]), "decodes to 46"},
		{"16 bytes base64", base64.StdEncoding.EncodeToString(key[:16]), "must be 32 bytes, decodes to 16"},
		{"garbage", "not a key!", "64 hex digits or as base64"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseKey(tc.in)
			if err == nil {
				t.Fatalf("ParseKey = %x, want an error", got)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want %q", err, tc.want)
			}
		})
	}
}
