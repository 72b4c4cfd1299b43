package config

import (
	"bytes"
	"crypto/rand"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestLoadOrCreateAdminCredentials(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "nested", "data")

	first, created, err := LoadOrCreateAdminCredentials(dataDir, rand.Reader)
	if err != nil {
		t.Fatalf("first start: %v", err)
	}
	if !created {
		t.Errorf("first start: created = false, want true")
	}
	if !regexp.MustCompile(`^AKIA[A-Z2-7]{16}$`).MatchString(first.AccessKeyID) {
		t.Errorf("access key ID %q is not AKIA and 16 of A-Z2-7", first.AccessKeyID)
	}
	if !regexp.MustCompile(`^[A-Za-z0-9+/]{40}$`).MatchString(first.SecretAccessKey.Reveal()) {
		t.Errorf("secret %q is not 40 of the base64 alphabet", first.SecretAccessKey.Reveal())
	}
	c := Default()
	c.DataDir = dataDir
	c.Admin = first
	if err := c.Validate(); err != nil {
		t.Errorf("generated pair does not validate: %v", err)
	}

	path := filepath.Join(dataDir, AdminCredentialsFile)
	if path != c.AdminCredentialsPath() {
		t.Errorf("file at %s, AdminCredentialsPath() = %s", path, c.AdminCredentialsPath())
	}
	for p, want := range map[string]os.FileMode{path: 0o600, dataDir: 0o700 | os.ModeDir} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != want {
			t.Errorf("%s: mode %v, want %v", p, fi.Mode(), want)
		}
	}

	// A later start reuses the pair; a reader that fails proves nothing is
	// generated.
	second, created, err := LoadOrCreateAdminCredentials(dataDir, failingReader{})
	if err != nil {
		t.Fatalf("second start: %v", err)
	}
	if created {
		t.Errorf("second start: created = true, want false")
	}
	if second != first {
		t.Errorf("second start: got %q, want the first pair %q", second.AccessKeyID, first.AccessKeyID)
	}
}

func TestGeneratedCredentialsDiffer(t *testing.T) {
	a, _, err := LoadOrCreateAdminCredentials(t.TempDir(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := LoadOrCreateAdminCredentials(t.TempDir(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Errorf("two data directories got the same pair")
	}
}

func TestGenerateCredentialsAlphabet(t *testing.T) {
	// Bytes 0..55 hit each letter of both alphabets.
	random := bytes.NewReader(func() []byte {
		b := make([]byte, 56)
		for i := range b {
			b[i] = byte(i)
		}
		return b
	}())
	creds, err := generateCredentials(random)
	if err != nil {
		t.Fatal(err)
	}
	if want := "AKIA" + accessKeyAlphabet[:16]; creds.AccessKeyID != want {
		t.Errorf("access key ID = %q, want %q", creds.AccessKeyID, want)
	}
	if want := secretAlphabet[16:56]; creds.SecretAccessKey.Reveal() != want {
		t.Errorf("secret = %q, want %q", creds.SecretAccessKey.Reveal(), want)
	}
}

func TestLoadOrCreateAdminCredentialsErrors(t *testing.T) {
	t.Run("random fails", func(t *testing.T) {
		dir := t.TempDir()
		_, _, err := LoadOrCreateAdminCredentials(dir, failingReader{})
		if err == nil || !strings.Contains(err.Error(), "generate admin credentials") {
			t.Errorf("error = %v, want a generate error", err)
		}
		if _, err := os.Stat(filepath.Join(dir, AdminCredentialsFile)); !os.IsNotExist(err) {
			t.Errorf("a file was left behind: %v", err)
		}
	})
	t.Run("corrupt file", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, AdminCredentialsFile)
		if err := os.WriteFile(path, []byte(`{"access_key_id":"short","secret_access_key":"x"}`), 0o600); err != nil {
			t.Fatal(err)
		}
		_, _, err := LoadOrCreateAdminCredentials(dir, rand.Reader)
		want := "read admin credentials " + path + ": not a valid key pair; delete the file to generate a new one"
		if err == nil || err.Error() != want {
			t.Errorf("error = %v, want %q", err, want)
		}
	})
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, os.ErrClosed }
