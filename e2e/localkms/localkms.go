// Package localkms runs local-kms (github.com/nsmithuk/local-kms), an
// implementation of the AWS KMS API, for the tests of the custom sender
// triggers: cognate generates data keys with it through the AWS SDK, and a
// decrypting AWS Encryption SDK asks it to decrypt them, as both would ask
// AWS KMS.
//
// The server is COGNATE_LOCAL_KMS when set (scripts/test.sh builds it);
// otherwise Start runs scripts/build-local-kms.sh, which builds it from
// the Go module proxy into a cache folder.
package localkms

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/cognate-dev/cognate/e2e/proc"
)

// TB is the part of testing.TB that Start uses (so that this package,
// which is not a test file, does not import testing).
type TB interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
	Logf(format string, args ...any)
	Cleanup(func())
	Failed() bool
}

// The account and region the server's key ARNs name.
const (
	Account = "111122223333"
	Region  = "us-east-1"
)

// Server is a running local-kms.
type Server struct {
	// URL is the KMS API's endpoint.
	URL string
}

// KeyARN is the ARN of the seeded key id.
func (s *Server) KeyARN(id string) string {
	return "arn:aws:kms:" + Region + ":" + Account + ":key/" + id
}

var (
	buildOnce sync.Once
	bin       string
	buildErr  error
)

func root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

func binary(tb TB) string {
	tb.Helper()
	buildOnce.Do(func() {
		bin = os.Getenv("COGNATE_LOCAL_KMS")
		if bin != "" {
			return
		}
		out, err := exec.Command("bash", filepath.Join(root(), "scripts", "build-local-kms.sh")).Output()
		if err != nil {
			buildErr = fmt.Errorf("scripts/build-local-kms.sh: %w", err)
			return
		}
		bin = strings.TrimSpace(string(out))
	})
	if buildErr != nil {
		tb.Fatal(buildErr)
	}
	return bin
}

// Start runs local-kms on a free loopback port with a symmetric key of
// each of keyIDs (UUIDs), each with fresh random key material, and stops
// it when tb ends.
func Start(tb TB, keyIDs ...string) *Server {
	tb.Helper()
	exe := binary(tb)
	dir, err := os.MkdirTemp("", "local-kms-")
	if err != nil {
		tb.Fatal(err)
	}
	var seed strings.Builder
	seed.WriteString("Keys:\n  Symmetric:\n    Aes:\n")
	for _, id := range keyIDs {
		material := make([]byte, 32)
		if _, err := rand.Read(material); err != nil {
			tb.Fatal(err)
		}
		fmt.Fprintf(&seed, "      - Metadata:\n          KeyId: %s\n        BackingKeys:\n          - %s\n", id, hex.EncodeToString(material))
	}
	seedPath := filepath.Join(dir, "seed.yaml")
	if err := os.WriteFile(seedPath, []byte(seed.String()), 0o600); err != nil {
		tb.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	_, port, _ := net.SplitHostPort(addr)

	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, exe)
	cmd.Env = append(os.Environ(), "PORT="+port, "KMS_SEED_PATH="+seedPath, "KMS_DATA_PATH="+filepath.Join(dir, "data"),
		"KMS_REGION="+Region, "KMS_ACCOUNT_ID="+Account)
	logs := &proc.Log{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		cancel()
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
		if tb.Failed() {
			tb.Logf("local-kms output:\n%s", logs.String())
		}
		os.RemoveAll(dir)
	})
	if err := proc.WaitListening(addr, 10*time.Second); err != nil {
		tb.Fatalf("local-kms does not listen on %s: %v\n%s", addr, err, logs.String())
	}
	return &Server{URL: "http://" + addr}
}
