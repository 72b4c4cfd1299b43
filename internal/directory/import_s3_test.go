package directory

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// TestS3ImportObjects checks the bucket side of S3 uploads against
// gofakes3 (an S3-compatible server in the process, which checks no
// signature, and ignores If-Match on GET, so the entity-tag check proven
// here is the client's own): a pre-signed PUT stores the object, Stat sees
// it, Open streams it back only while its entity tag is the one recorded,
// and Delete removes it.
func TestS3ImportObjects(t *testing.T) {
	backend := s3mem.New()
	if err := backend.CreateBucket("imports"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gofakes3.New(backend).Server())
	defer srv.Close()
	t.Setenv("AWS_CONFIG_FILE", t.TempDir()+"/none")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", t.TempDir()+"/none")
	o, err := NewS3ImportObjects(S3ImportConfig{Bucket: "imports", KeyPrefix: "p/", Region: "us-east-1", Endpoint: srv.URL, UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "secret", "")})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	key := o.Key("us-east-1_pool", "import-1")
	if key != "p/us-east-1_pool/import-1.csv" {
		t.Fatalf("Key = %q", key)
	}
	if _, _, ok, err := o.Stat(ctx, key); err != nil || ok {
		t.Fatalf("Stat before the upload = %v, %v", ok, err)
	}
	upload := func(body string) {
		t.Helper()
		u, err := o.PresignPut(ctx, key, time.Now().Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequest(http.MethodPut, u, bytes.NewReader([]byte(body)))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("PUT = %s", resp.Status)
		}
	}
	upload("cognito:username\nalice\n")
	size, etag, ok, err := o.Stat(ctx, key)
	if err != nil || !ok || size != int64(len("cognito:username\nalice\n")) || etag == "" {
		t.Fatalf("Stat = %d %q %v %v", size, etag, ok, err)
	}
	rc, err := o.Open(ctx, key, etag)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if string(got) != "cognito:username\nalice\n" {
		t.Errorf("Open read %q", got)
	}
	upload("cognito:username\nmallory\n")
	if _, err := o.Open(ctx, key, etag); !errors.Is(err, ErrImportObjectChanged) {
		t.Errorf("Open of a replaced object = %v, want ErrImportObjectChanged", err)
	}
	if err := o.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
	if _, err := o.Open(ctx, key, ""); !errors.Is(err, ErrImportObjectChanged) {
		t.Errorf("Open of a deleted object = %v, want ErrImportObjectChanged", err)
	}
}
