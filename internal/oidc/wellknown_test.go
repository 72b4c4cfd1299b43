package oidc

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/storage/sqlite"
	"github.com/cognate-dev/cognate/internal/tokens"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

const (
	base     = "http://localhost:9229"
	pool     = "us-east-1_WellKnown"
	client   = "4example23456789abcdefghij"
	goneName = "us-east-1_Gone12345"
)

func newHandler(t *testing.T) (http.Handler, *tokens.Service) {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "cognate.db"), sqlite.Options{Region: "us-east-1", Synchronous: "OFF"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	s, err := tokens.New(tokens.Options{Store: db, IssuerBaseURL: base, KeyEncryptionKey: bytes.Repeat([]byte{9}, tokens.KeyEncryptionKeySize)})
	if err != nil {
		t.Fatal(err)
	}
	exists := func(_ context.Context, id string) bool { return id == pool }
	return NewWellKnownHandler(s, base+"/", exists), s
}

func TestWellKnown(t *testing.T) {
	h, s := newHandler(t)
	if _, err := s.MintIDToken(context.Background(), tokens.Identity{PoolID: pool, ClientID: client, Username: "u", Sub: "s"}, time.Hour); err != nil {
		t.Fatal(err)
	}
	jwks, err := s.JWKS(context.Background(), pool)
	if err != nil {
		t.Fatal(err)
	}
	notFound := `{"message":"User pool ` + goneName + ` does not exist."}`
	tests := []struct {
		name       string
		method     string
		path       string
		wantStatus int
		wantType   string
		wantBody   string // exact, unless golden is set
		golden     string
	}{
		{"JWKS", http.MethodGet, "/" + pool + "/.well-known/jwks.json", 200, "application/json", string(jwks), ""},
		{"JWKS HEAD", http.MethodHead, "/" + pool + "/.well-known/jwks.json", 200, "application/json", "", ""},
		{"discovery", http.MethodGet, "/" + pool + "/.well-known/openid-configuration", 200, "application/json", "", "openid-configuration.golden.json"},
		{"JWKS of an unknown pool", http.MethodGet, "/" + goneName + "/.well-known/jwks.json", 404, "application/json", notFound, ""},
		{"discovery of an unknown pool", http.MethodGet, "/" + goneName + "/.well-known/openid-configuration", 404, "application/json", notFound, ""},
		{"POST", http.MethodPost, "/" + pool + "/.well-known/jwks.json", 405, "", "", ""},
		{"other well-known document", http.MethodGet, "/" + pool + "/.well-known/other", 404, "", "", ""},
		{"nested path", http.MethodGet, "/a/" + pool + "/.well-known/jwks.json", 404, "", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, nil))
			res := rec.Result()
			body, _ := io.ReadAll(res.Body)
			if res.StatusCode != tc.wantStatus {
				t.Fatalf("status %d, want %d (%s)", res.StatusCode, tc.wantStatus, body)
			}
			if tc.wantType != "" && res.Header.Get("Content-Type") != tc.wantType {
				t.Errorf("Content-Type %q, want %q", res.Header.Get("Content-Type"), tc.wantType)
			}
			if tc.wantType != "" && res.Header.Get("Access-Control-Allow-Origin") != "*" {
				t.Errorf("Access-Control-Allow-Origin %q, want *", res.Header.Get("Access-Control-Allow-Origin"))
			}
			if tc.golden != "" {
				var out bytes.Buffer
				if err := json.Indent(&out, body, "", "  "); err != nil {
					t.Fatal(err)
				}
				out.WriteByte('\n')
				checkGolden(t, tc.golden, out.Bytes())
				return
			}
			// httptest.ResponseRecorder keeps a HEAD body that a server drops.
			if tc.method == http.MethodGet && tc.wantType != "" && string(body) != tc.wantBody {
				t.Errorf("body %s, want %s", body, tc.wantBody)
			}
		})
	}
}

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(want, got) {
		t.Errorf("%s differs (run with -update to accept):\n got: %s\nwant: %s", path, got, want)
	}
}
