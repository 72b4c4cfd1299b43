package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Alphabets of generated credentials. Both have a power-of-two length, so
// taking a random byte modulo the length picks every letter equally often.
const (
	accessKeyAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"                                 // 32
	secretAlphabet    = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/" // 64
)

// credentialsFile is the JSON shape of AdminCredentialsFile.
type credentialsFile struct {
	AccessKeyID     string `json:"access_key_id"`
	SecretAccessKey string `json:"secret_access_key"`
}

// LoadOrCreateAdminCredentials returns the admin key pair stored in
// AdminCredentialsFile under dataDir. On first use, when the file does not
// exist, it creates dataDir (mode 0700) and the file (mode 0600) with a new
// pair drawn from random (crypto/rand.Reader outside tests), and reports
// created. Two processes starting at once agree on one pair: the file is
// created exclusively, and the loser reads the winner's.
func LoadOrCreateAdminCredentials(dataDir string, random io.Reader) (creds AdminConfig, created bool, err error) {
	path := filepath.Join(dataDir, AdminCredentialsFile)
	creds, err = readCredentials(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return creds, false, err
	}

	creds, err = generateCredentials(random)
	if err != nil {
		return AdminConfig{}, false, err
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return AdminConfig{}, false, fmt.Errorf("create data directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		creds, err = readCredentials(path)
		return creds, false, err
	}
	if err != nil {
		return AdminConfig{}, false, fmt.Errorf("create admin credentials: %w", err)
	}
	data, _ := json.MarshalIndent(credentialsFile{creds.AccessKeyID, creds.SecretAccessKey.Reveal()}, "", "  ")
	_, err = f.Write(append(data, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path) // a half-written file would fail every later start
		return AdminConfig{}, false, fmt.Errorf("write admin credentials: %w", err)
	}
	return creds, true, nil
}

func readCredentials(path string) (AdminConfig, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return AdminConfig{}, fmt.Errorf("read admin credentials: %w", err)
	}
	var f credentialsFile
	if err := json.Unmarshal(data, &f); err != nil {
		return AdminConfig{}, fmt.Errorf("read admin credentials %s: %w", path, err)
	}
	creds := AdminConfig{AccessKeyID: f.AccessKeyID, SecretAccessKey: Secret(f.SecretAccessKey)}
	if !accessKeyIDPattern.MatchString(creds.AccessKeyID) || !validSecret(f.SecretAccessKey) {
		return AdminConfig{}, fmt.Errorf("read admin credentials %s: not a valid key pair; delete the file to generate a new one", path)
	}
	return creds, nil
}

// generateCredentials draws an access key ID of "AKIA" and 16 letters of
// A-Z2-7 (the shape of an AWS key ID) and a 40-letter secret of the base64
// alphabet (the shape of an AWS secret).
func generateCredentials(random io.Reader) (AdminConfig, error) {
	id, err := randomString(random, accessKeyAlphabet, 16)
	if err != nil {
		return AdminConfig{}, err
	}
	secret, err := randomString(random, secretAlphabet, 40)
	if err != nil {
		return AdminConfig{}, err
	}
	return AdminConfig{AccessKeyID: "AKIA" + id, SecretAccessKey: Secret(secret)}, nil
}

func randomString(random io.Reader, alphabet string, n int) (string, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(random, b); err != nil {
		return "", fmt.Errorf("generate admin credentials: %w", err)
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b), nil
}
