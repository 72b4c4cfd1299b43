package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"
	"github.com/jackc/pgx/v5"

	"github.com/cognate-dev/cognate/internal/config"
	"github.com/cognate-dev/cognate/internal/storage/storagetest"
)

// TestMigrateRefusesNewerSchema guards the downgrade rule of
// docs/operations.md: a binary refuses a store that a newer release has
// migrated, at `cognate migrate` and at start, rather than serve a schema
// it does not know.
func TestMigrateRefusesNewerSchema(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	if code, _, stderr := runCmd(t, nil, "migrate", "--data-dir", dataDir); code != 0 {
		t.Fatalf("migrate: code %d, stderr %s", code, stderr)
	}
	// What a newer release's migration leaves in schema_migrations.
	db, err := sql.Open("sqlite", filepath.Join(dataDir, "cognate.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(context.Background(), `INSERT INTO schema_migrations (version, applied_at) VALUES (9999, 0)`); err != nil {
		t.Fatal(err)
	}
	db.Close()

	want := "it has migration 9999, which this cognate (migrations up to "
	for _, args := range [][]string{
		{"migrate", "--data-dir", dataDir},
		{"serve", "--listen", "127.0.0.1:0", "--data-dir", dataDir},
	} {
		code, stdout, stderr := runCmd(t, nil, args...)
		if code != exitError || !strings.Contains(stderr, want) {
			t.Errorf("%s on a newer store: code %d, stdout %q, stderr %s; want code %d and %q", args[0], code, stdout, stderr, exitError, want)
		}
		if strings.Contains(stdout, "ready") {
			t.Errorf("%s on a newer store printed a ready screen:\n%s", args[0], stdout)
		}
	}
}

// copyFile copies src to dst with mode perm.
func copyFile(t *testing.T, src, dst string, perm os.FileMode) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, perm); err != nil {
		t.Fatal(err)
	}
}

// TestSQLiteOnlineBackup follows docs/operations.md's SQLite backup and
// restore: an online copy of the database taken while the server runs and
// writes (VACUUM INTO through a connection of its own, and the sqlite3
// shell's .backup when it is installed), the encryption key backed up
// apart, and a restore into a new data directory on which the user signs in
// with their password and their refresh token from before the backup. A
// restore without the key is refused.
func TestSQLiteOnlineBackup(t *testing.T) {
	ts := newTestStore(t, "sqlite")
	s := startServe(t, ts.env, ts.args()...)
	a := setUpApp(t, s.url)
	before := a.signIn(t)

	backups := t.TempDir()
	vacuumCopy := filepath.Join(backups, "vacuum-into.db")
	live := filepath.Join(ts.dataDir, "cognate.db")
	db, err := sql.Open("sqlite", live)
	if err != nil {
		t.Fatal(err)
	}
	// Writes go on during the backup: users w0, w1, … are created one after
	// another from before it begins until it is over, and one more after
	// it, which no copy holds.
	ctx := context.Background()
	stopWriting := make(chan struct{})
	written := make(chan error, 1)
	const firstWrites = 5
	writing := make(chan struct{})
	var n int
	go func() {
		for i := 0; ; i++ {
			if i == firstWrites {
				close(writing)
			}
			select {
			case <-stopWriting:
				n = i
				written <- nil
				return
			default:
			}
			if _, err := a.c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(a.pool),
				Username: aws.String(fmt.Sprintf("w%d", i)), MessageAction: types.MessageActionTypeSuppress}); err != nil {
				written <- err
				return
			}
		}
	}()
	<-writing
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, vacuumCopy); err != nil {
		t.Fatalf("VACUUM INTO on the running store: %v", err)
	}
	db.Close()
	copies := []string{vacuumCopy}
	if sqlite3, err := exec.LookPath("sqlite3"); err == nil {
		shellCopy := filepath.Join(backups, "dot-backup.db")
		if out, err := exec.Command(sqlite3, live, ".backup "+shellCopy).CombinedOutput(); err != nil {
			t.Fatalf("sqlite3 .backup on the running store: %v\n%s", err, out)
		}
		copies = append(copies, shellCopy)
	} else {
		t.Log("sqlite3 is not installed: only VACUUM INTO is checked")
	}
	close(stopWriting)
	if err := <-written; err != nil {
		t.Fatal(err)
	}
	t.Logf("%d users written by the time the copies were taken", n)
	// The key, backed up apart from the database.
	keyCopy := filepath.Join(t.TempDir(), "encryption.key")
	copyFile(t, filepath.Join(ts.dataDir, config.EncryptionKeyFile), keyCopy, 0o600)
	if _, err := a.c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(a.pool),
		Username: aws.String("after"), MessageAction: types.MessageActionTypeSuppress}); err != nil {
		t.Fatal(err)
	}
	if code := s.shutdown(); code != 0 {
		t.Fatalf("serve exited %d", code)
	}

	for _, backup := range copies {
		t.Run(filepath.Base(backup), func(t *testing.T) {
			restored := filepath.Join(t.TempDir(), "data")
			if err := os.Mkdir(restored, 0o700); err != nil {
				t.Fatal(err)
			}
			copyFile(t, backup, filepath.Join(restored, "cognate.db"), 0o600)

			// Without the key, the server refuses the restored store.
			code, _, stderr := runCmd(t, ts.env, "serve", "--listen", "127.0.0.1:0", "--data-dir", restored)
			if want := "is not the key this store's data is sealed with"; code != exitError || !strings.Contains(stderr, want) {
				t.Fatalf("serve on a restore without its key: code %d, stderr %s; want %q", code, stderr, want)
			}
			os.Remove(filepath.Join(restored, config.EncryptionKeyFile)) // the key that start generated
			copyFile(t, keyCopy, filepath.Join(restored, config.EncryptionKeyFile), 0o600)

			r := startServe(t, ts.env, "--listen", "127.0.0.1:0", "--data-dir", restored)
			b := a.on(r.url)
			b.getUser(t, b.signIn(t).AccessToken)
			b.getUser(t, b.refresh(t, before.RefreshToken).AccessToken)
			// The copy is one moment of the store: of the users written
			// one after another, it holds w0 to some w(n-1) and no other.
			var ws []string
			pages := cip.NewListUsersPaginator(b.c, &cip.ListUsersInput{UserPoolId: aws.String(a.pool), Filter: aws.String(`username ^= "w"`)})
			for pages.HasMorePages() {
				page, err := pages.NextPage(ctx)
				if err != nil {
					t.Fatal(err)
				}
				for _, u := range page.Users {
					ws = append(ws, aws.ToString(u.Username))
				}
			}
			if len(ws) < firstWrites {
				t.Errorf("the restored store holds %d users written before the backup began, want %d at least: %v", len(ws), firstWrites, ws)
			}
			for i := range ws {
				if !slices.Contains(ws, fmt.Sprintf("w%d", i)) {
					t.Errorf("the restored store holds %d of the users written during the backup, but not w%d: %v", len(ws), i, ws)
					break
				}
			}
			t.Logf("the copy holds %d of them", len(ws))
			_, err := b.c.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(a.pool), Username: aws.String("after")})
			var nf *types.UserNotFoundException
			if !errors.As(err, &nf) {
				t.Errorf("the user created after the backup: %v, want UserNotFoundException", err)
			}
		})
	}
}

// TestRecoverLostAdminKey follows docs/operations.md's recovery of a lost
// generated admin key pair: with the server stopped, deleting
// admin-credentials.json makes the next start generate a new pair and show
// its secret; the store is untouched, and the old pair is refused.
func TestRecoverLostAdminKey(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	args := []string{"--listen", "127.0.0.1:0", "--data-dir", dataDir}
	s := startServe(t, nil, args...)
	client := func(keyID, secret string) *cip.Client {
		return cip.New(cip.Options{BaseEndpoint: aws.String(s.url), Region: "us-east-1", RetryMaxAttempts: 1,
			Credentials: credentials.NewStaticCredentialsProvider(keyID, secret, "")})
	}
	ctx := context.Background()
	oldID, oldSecret := s.keyID, s.secret
	pool, err := client(oldID, oldSecret).CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("kept")})
	if err != nil {
		t.Fatal(err)
	}
	if code := s.shutdown(); code != 0 {
		t.Fatalf("serve exited %d", code)
	}

	if err := os.Remove(filepath.Join(dataDir, config.AdminCredentialsFile)); err != nil {
		t.Fatal(err)
	}
	s = startServe(t, nil, args...)
	if s.keyID == oldID || s.secret == "" || s.secret == oldSecret {
		t.Fatalf("after deleting %s: access key %q, secret shown %t; want a new pair, shown", config.AdminCredentialsFile, s.keyID, s.secret != "")
	}
	if got := readSecret(t, filepath.Join(dataDir, config.AdminCredentialsFile)); got != s.secret {
		t.Errorf("%s holds another secret than the one shown", config.AdminCredentialsFile)
	}
	out, err := client(s.keyID, s.secret).DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: pool.UserPool.Id})
	if err != nil || aws.ToString(out.UserPool.Name) != "kept" {
		t.Errorf("DescribeUserPool with the new pair: %v, %v", out, err)
	}
	_, err = client(oldID, oldSecret).ListUserPools(ctx, &cip.ListUserPoolsInput{MaxResults: aws.Int32(10)})
	var refused smithy.APIError
	if !errors.As(err, &refused) || refused.ErrorCode() != "UnrecognizedClientException" {
		t.Errorf("ListUserPools with the lost pair: %v, want UnrecognizedClientException", err)
	}
}

// TestBehindReverseProxy checks what docs/operations.md says a TLS
// terminating proxy must do: pass the client's Host header on unchanged,
// since the admin key pair's signatures cover it. Through a proxy that
// keeps it, signed and unsigned calls work; through one that rewrites it
// to the upstream's address, signed calls are refused.
func TestBehindReverseProxy(t *testing.T) {
	ts := newTestStore(t, "sqlite")
	s := startServe(t, ts.env, ts.args()...)
	upstream, err := url.Parse(s.url)
	if err != nil {
		t.Fatal(err)
	}
	keeping := httptest.NewServer(&httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(upstream)
		r.Out.Host = r.In.Host // what nginx's proxy_set_header Host $host does
		r.SetXForwarded()
	}})
	defer keeping.Close()
	rewriting := httptest.NewServer(&httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(upstream) // sets the outgoing Host to the upstream's
		r.SetXForwarded()
	}})
	defer rewriting.Close()

	a := setUpApp(t, keeping.URL)
	a.getUser(t, a.signIn(t).AccessToken)

	_, err = newClient(rewriting.URL).ListUserPools(context.Background(), &cip.ListUserPoolsInput{MaxResults: aws.Int32(10)})
	var refused smithy.APIError
	if !errors.As(err, &refused) || refused.ErrorCode() != "InvalidSignatureException" {
		t.Errorf("a signed call through a proxy that rewrites Host: %v, want InvalidSignatureException", err)
	}
}

// TestPostgresDumpRestore follows docs/operations.md's PostgreSQL backup and
// restore: pg_dump in the custom format of a database a server is using,
// pg_restore into a new, empty database, and a server on the restored
// database with the same encryption key, on which the user signs in with
// their password and with a refresh token from before the dump. A server
// with another key is refused.
func TestPostgresDumpRestore(t *testing.T) {
	base := storagetest.PostgresDSN(t)
	for _, tool := range []string{"pg_dump", "pg_restore"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed: the PostgreSQL backup procedure is unchecked", tool)
		}
	}
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	// Cleanups run last first: the databases are dropped before this closes.
	t.Cleanup(func() { admin.Close(context.Background()) })
	suffix := strings.ToLower(rand.Text()[:10])
	dbURL := func(name string) string {
		u, err := url.Parse(base)
		if err != nil {
			t.Fatal(err)
		}
		u.Path = "/" + name
		return u.String()
	}
	newDatabase := func(name string) string {
		if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if _, err := admin.Exec(context.Background(), "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
				t.Errorf("drop database %s: %v", name, err)
			}
		})
		return dbURL(name)
	}
	source := newDatabase("ops_live_" + suffix)
	env := map[string]string{
		"COGNATE_ACCESS_KEY_ID": clusterKeyID, "COGNATE_SECRET_ACCESS_KEY": clusterSecret,
		"COGNATE_ISSUER_BASE_URL": "http://cognate.test", "COGNATE_ENCRYPTION_KEY": keyEnv(7),
		"COGNATE_DATABASE_URL": source,
	}
	s := startServe(t, env, "--listen", "127.0.0.1:0", "--data-dir", filepath.Join(t.TempDir(), "node"))
	a := setUpApp(t, s.url)
	before := a.signIn(t)

	dump := filepath.Join(t.TempDir(), "cognate.dump")
	if out, err := exec.Command("pg_dump", "--format=custom", "--no-owner", "--file="+dump, source).CombinedOutput(); err != nil {
		t.Fatalf("pg_dump of the running store: %v\n%s", err, out)
	}
	if code := s.shutdown(); code != 0 {
		t.Fatalf("serve exited %d", code)
	}
	restored := newDatabase("ops_restored_" + suffix)
	if out, err := exec.Command("pg_restore", "--no-owner", "--exit-on-error", "--dbname="+restored, dump).CombinedOutput(); err != nil {
		t.Fatalf("pg_restore: %v\n%s", err, out)
	}

	env["COGNATE_DATABASE_URL"] = restored
	wrongKey := map[string]string{}
	for k, v := range env {
		wrongKey[k] = v
	}
	wrongKey["COGNATE_ENCRYPTION_KEY"] = keyEnv(8)
	code, _, stderr := runCmd(t, wrongKey, "serve", "--listen", "127.0.0.1:0", "--data-dir", filepath.Join(t.TempDir(), "node"))
	if want := "is not the key this store's data is sealed with"; code != exitError || !strings.Contains(stderr, want) {
		t.Errorf("serve on the restore with another key: code %d, stderr %s; want %q", code, stderr, want)
	}
	r := startServe(t, env, "--listen", "127.0.0.1:0", "--data-dir", filepath.Join(t.TempDir(), "node"))
	b := a.on(r.url)
	b.getUser(t, b.signIn(t).AccessToken)
	b.getUser(t, b.refresh(t, before.RefreshToken).AccessToken)
}

// TestServeExitsWhenPostgresIsDown holds what docs/operations.md's
// "Waiting for PostgreSQL at start" relies on: a server whose database does
// not answer exits at once with status 1 and says why, so that its
// supervisor (the systemd unit's Restart=on-failure) starts it again.
func TestServeExitsWhenPostgresIsDown(t *testing.T) {
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := closed.Addr().String()
	closed.Close() // nothing listens there now
	code, stdout, stderr := runCmd(t, map[string]string{"COGNATE_DATABASE_URL": "postgres://cognate@" + addr + "/cognate"},
		"serve", "--listen", "127.0.0.1:0", "--data-dir", filepath.Join(t.TempDir(), "node"))
	want := `"msg":"cognate stopped","error":"open postgres (` + addr + `/cognate): postgres: ping: `
	if code != exitError || !strings.Contains(stderr, want) || strings.Contains(stdout, "ready") {
		t.Errorf("serve with PostgreSQL down: code %d, stdout %q, stderr %s; want code %d and %q", code, stdout, stderr, exitError, want)
	}
}
