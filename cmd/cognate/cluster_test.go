package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"github.com/google/go-cmp/cmp"

	"github.com/cognate-dev/cognate/internal/cluster"
	"github.com/cognate-dev/cognate/internal/config"
	"github.com/cognate-dev/cognate/internal/seal"
	"github.com/cognate-dev/cognate/internal/storage"
	"github.com/cognate-dev/cognate/internal/storage/storagetest"
)

const (
	clusterKeyID  = "AKIACLUSTERTEST00001"
	clusterSecret = "cluster-secret-cluster-secret-cluster-x"
)

// testKey is a 32-byte encryption key of b, and keyEnv its configured form.
func testKey(b byte) []byte  { return bytes.Repeat([]byte{b}, seal.KeySize) }
func keyEnv(b byte) string   { return base64.StdEncoding.EncodeToString(testKey(b)) }
func keyCheck(b byte) string { return seal.CheckValue(testKey(b)) }
func joinKeys(bs ...byte) string {
	var s []string
	for _, b := range bs {
		s = append(s, keyEnv(b))
	}
	return strings.Join(s, ",")
}

// testStore is one store that several starts of the server share: a SQLite
// data directory, or a PostgreSQL schema (each server then gets a data
// directory of its own, as on separate machines).
type testStore struct {
	backend string
	env     map[string]string
	dataDir string
	t       *testing.T
}

func newTestStore(t *testing.T, backend string) *testStore {
	ts := &testStore{backend: backend, t: t, dataDir: filepath.Join(t.TempDir(), "data"), env: map[string]string{
		"COGNATE_ACCESS_KEY_ID": clusterKeyID, "COGNATE_SECRET_ACCESS_KEY": clusterSecret,
		// Each start listens on another port: a fixed issuer keeps the
		// tokens of one start valid on the next.
		"COGNATE_ISSUER_BASE_URL": "http://cognate.test",
	}}
	if backend == "postgres" {
		ts.env["COGNATE_DATABASE_URL"] = storagetest.PostgresSchema(t)
	}
	return ts
}

// args are the command-line arguments of a server on the store; for
// PostgreSQL each call gives another data directory.
func (ts *testStore) args() []string {
	dir := ts.dataDir
	if ts.backend == "postgres" {
		dir = filepath.Join(ts.t.TempDir(), "node")
	}
	return []string{"--listen", "127.0.0.1:0", "--data-dir", dir}
}

// with returns the store's environment plus extra.
func (ts *testStore) with(extra map[string]string) map[string]string {
	env := map[string]string{}
	for k, v := range ts.env {
		env[k] = v
	}
	for k, v := range extra {
		env[k] = v
	}
	return env
}

// open opens the store directly, as no server does; the caller closes it
// (a SQLite store keeps its data directory locked until then).
func (ts *testStore) open() store {
	ts.t.Helper()
	cfg := config.Default()
	cfg.DataDir = ts.dataDir
	if ts.backend == "postgres" {
		cfg.Database = ts.env["COGNATE_DATABASE_URL"]
	}
	st, _, err := openStore(context.Background(), &cfg)
	if err != nil {
		ts.t.Fatal(err)
	}
	return st
}

// storeDump is what a refused server must leave as it was: every change-log
// entry (every item write writes one) and the settings.
type storeDump struct {
	Changes  []storage.Change
	Settings map[string]string
}

func (ts *testStore) dump() storeDump {
	ts.t.Helper()
	st := ts.open()
	defer st.Close()
	ctx := context.Background()
	var d storeDump
	for after := int64(0); ; {
		page, err := st.Changes(ctx, after, 100)
		if err != nil {
			ts.t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		d.Changes = append(d.Changes, page...)
		after = page[len(page)-1].Seq
	}
	d.Settings = map[string]string{}
	for _, name := range []string{cluster.KeysSetting, cluster.IssuerSetting, replicationRegionSetting, "store_id"} {
		if s, err := st.GetSetting(ctx, name); err == nil {
			d.Settings[name] = string(s.Value)
		}
	}
	return d
}

// app is a pool with an app client and a user with a password.
type app struct {
	c              *cip.Client
	pool, client   string
	user, password string
}

func newClient(url string) *cip.Client {
	return cip.New(cip.Options{
		BaseEndpoint: aws.String(url), Region: "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider(clusterKeyID, clusterSecret, ""),
		RetryMaxAttempts: 1,
	})
}

func setUpApp(t *testing.T, url string) *app {
	t.Helper()
	ctx := context.Background()
	a := &app{c: newClient(url), user: "ada", password: "Correct-Horse-1"}
	pool, err := a.c.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("cluster")})
	if err != nil {
		t.Fatal(err)
	}
	a.pool = aws.ToString(pool.UserPool.Id)
	client, err := a.c.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{
		UserPoolId: aws.String(a.pool), ClientName: aws.String("app"),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserPasswordAuth,
			types.ExplicitAuthFlowsTypeAllowUserSrpAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth},
	})
	if err != nil {
		t.Fatal(err)
	}
	a.client = aws.ToString(client.UserPoolClient.ClientId)
	if _, err := a.c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(a.pool), Username: aws.String(a.user),
		MessageAction: types.MessageActionTypeSuppress}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.c.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: aws.String(a.pool),
		Username: aws.String(a.user), Password: aws.String(a.password), Permanent: true}); err != nil {
		t.Fatal(err)
	}
	return a
}

// on returns a with its client pointed at another server.
func (a *app) on(url string) *app {
	b := *a
	b.c = newClient(url)
	return &b
}

// signIn signs in with USER_PASSWORD_AUTH.
func (a *app) signIn(t *testing.T) *types.AuthenticationResultType {
	t.Helper()
	out, err := a.c.InitiateAuth(context.Background(), &cip.InitiateAuthInput{ClientId: aws.String(a.client),
		AuthFlow: types.AuthFlowTypeUserPasswordAuth, AuthParameters: map[string]string{"USERNAME": a.user, "PASSWORD": a.password}})
	if err != nil {
		t.Fatalf("sign in: %v", err)
	}
	if out.AuthenticationResult == nil || out.AuthenticationResult.AccessToken == nil {
		t.Fatalf("sign in: no tokens: %+v", out)
	}
	return out.AuthenticationResult
}

// srpChallenge starts USER_SRP_AUTH: the server answers PASSWORD_VERIFIER
// only once it has opened the user's sealed SRP verifier.
func (a *app) srpChallenge(t *testing.T) {
	t.Helper()
	// A = g^a mod N for a fixed a; the server only checks A mod N != 0.
	out, err := a.c.InitiateAuth(context.Background(), &cip.InitiateAuthInput{ClientId: aws.String(a.client),
		AuthFlow: types.AuthFlowTypeUserSrpAuth, AuthParameters: map[string]string{"USERNAME": a.user, "SRP_A": "10000"}})
	if err != nil {
		t.Fatalf("USER_SRP_AUTH: %v", err)
	}
	if out.ChallengeName != types.ChallengeNameTypePasswordVerifier || out.ChallengeParameters["SALT"] == "" {
		t.Fatalf("USER_SRP_AUTH = %s %v, want PASSWORD_VERIFIER with a salt", out.ChallengeName, out.ChallengeParameters)
	}
}

// getUser calls GetUser with an access token.
func (a *app) getUser(t *testing.T, access *string) {
	t.Helper()
	out, err := a.c.GetUser(context.Background(), &cip.GetUserInput{AccessToken: access})
	if err != nil {
		t.Fatalf("GetUser: %v", err)
	}
	if aws.ToString(out.Username) != a.user {
		t.Fatalf("GetUser = %s, want %s", aws.ToString(out.Username), a.user)
	}
}

// refresh uses a refresh token.
func (a *app) refresh(t *testing.T, refresh *string) *types.AuthenticationResultType {
	t.Helper()
	out, err := a.c.InitiateAuth(context.Background(), &cip.InitiateAuthInput{ClientId: aws.String(a.client),
		AuthFlow: types.AuthFlowTypeRefreshTokenAuth, AuthParameters: map[string]string{"REFRESH_TOKEN": aws.ToString(refresh)}})
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	return out.AuthenticationResult
}

var clusterBackends = []string{"sqlite", "postgres"}

// TestServeRefusesAnotherEncryptionKey guards against a server started
// with another encryption key than the store's: it used to start, seal
// new signing keys and SRP verifiers with its own key, and break sign-in
// on every correctly configured server. It must refuse to start, say
// which setting to fix, and leave the store as it was.
func TestServeRefusesAnotherEncryptionKey(t *testing.T) {
	for _, backend := range clusterBackends {
		t.Run(backend, func(t *testing.T) {
			ts := newTestStore(t, backend)
			keyA := map[string]string{"COGNATE_ENCRYPTION_KEY": keyEnv(1)}
			s := startServe(t, ts.with(keyA), ts.args()...)
			a := setUpApp(t, s.url)
			tokens := a.signIn(t)
			a.srpChallenge(t)
			if code := s.shutdown(); code != 0 {
				t.Fatalf("serve exited %d", code)
			}
			before := ts.dump()
			if before.Settings[cluster.KeysSetting] == "" {
				t.Fatal("the store does not record its key")
			}
			if strings.Contains(before.Settings[cluster.KeysSetting], keyEnv(1)) {
				t.Fatal("the store records the key itself")
			}

			refused := []struct {
				name string
				env  map[string]string
				want []string
			}{
				{"another key", map[string]string{"COGNATE_ENCRYPTION_KEY": keyEnv(2)}, []string{
					"encryption_key: this key (check value " + keyCheck(2) + ") is not the key this store's data is sealed with (check value " + keyCheck(1) + ")",
					"Nothing was written; the data is untouched",
					"encryption_keys_previous",
				}},
				{"a new key with an unknown previous key", map[string]string{"COGNATE_ENCRYPTION_KEY": keyEnv(2), "COGNATE_ENCRYPTION_KEYS_PREVIOUS": keyEnv(3)}, []string{
					"encryption_key: this key (check value " + keyCheck(2) + ")",
				}},
			}
			if backend == "sqlite" {
				// Without encryption_key the server generates a key into the
				// data directory: another key than the store's.
				refused = append(refused, struct {
					name string
					env  map[string]string
					want []string
				}{"no key configured", nil, []string{
					"encryption_key (not set, so this server uses the key generated in " + filepath.Join(ts.dataDir, config.EncryptionKeyFile) + "): this key",
					"(check value " + keyCheck(1) + ")",
				}})
			}
			for _, tc := range refused {
				t.Run(tc.name, func(t *testing.T) {
					code, stdout, stderr := runServeFor(t, ts.with(tc.env), ts.args()...)
					if code != exitError {
						t.Errorf("serve exited %d, want %d", code, exitError)
					}
					if strings.Contains(stdout, "ready") {
						t.Errorf("a refused server printed its screen:\n%s", stdout)
					}
					for _, want := range tc.want {
						if !strings.Contains(stderr, want) {
							t.Errorf("stderr lacks %q:\n%s", want, stderr)
						}
					}
					if diff := cmp.Diff(before, ts.dump()); diff != "" {
						t.Errorf("the refused server changed the store (-before +after):\n%s", diff)
					}
				})
			}

			// The store's key still serves everything.
			s = startServe(t, ts.with(keyA), ts.args()...)
			a = a.on(s.url)
			a.getUser(t, tokens.AccessToken)
			a.signIn(t)
			a.srpChallenge(t)
		})
	}
}

// runServeFor runs serve in-process like runCmd, but stops a server that
// does start after a while, so that a test of a refusal fails instead of
// waiting forever when the refusal is missing.
func runServeFor(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var out, errOut syncBuffer
	code = run(ctx, append([]string{"serve"}, args...), envMap(env), &out, &errOut)
	return code, out.String(), errOut.String()
}

// claimsOf returns the unverified claims of a JWT.
func claimsOf(t *testing.T, jwt string) map[string]any {
	t.Helper()
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", jwt)
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	if err := json.Unmarshal(raw, &claims); err != nil {
		t.Fatal(err)
	}
	return claims
}

// TestTwoNodesPostgres runs two servers on one PostgreSQL store, as the
// docs' cluster does, and guards two defects: a node with another
// encryption key is refused, and tokens minted on one node are accepted by
// the other (the issuer used to default to each node's own URL, so the
// other node refused them and a refresh through it changed iss).
func TestTwoNodesPostgres(t *testing.T) {
	ts := newTestStore(t, "postgres")
	delete(ts.env, "COGNATE_ISSUER_BASE_URL") // the cluster's issuer is made by construction
	ts.env["COGNATE_ENCRYPTION_KEY"] = keyEnv(1)
	node1 := startServe(t, ts.env, ts.args()...)
	a := setUpApp(t, node1.url)
	minted := a.signIn(t)
	issuer := node1.url + "/" + a.pool
	if got := claimsOf(t, aws.ToString(minted.AccessToken))["iss"]; got != issuer {
		t.Fatalf("node 1 minted iss %v, want %s", got, issuer)
	}

	// Node 2 with another key is refused, and changes nothing.
	before := ts.dump()
	code, stdout, stderr := runServeFor(t, ts.with(map[string]string{"COGNATE_ENCRYPTION_KEY": keyEnv(2)}), ts.args()...)
	if code != exitError || strings.Contains(stdout, "ready") ||
		!strings.Contains(stderr, "is not the key this store's data is sealed with (check value "+keyCheck(1)+")") {
		t.Fatalf("node 2 with another key: exit %d, stdout %q, stderr:\n%s", code, stdout, stderr)
	}
	if diff := cmp.Diff(before, ts.dump()); diff != "" {
		t.Errorf("the refused node changed the store (-before +after):\n%s", diff)
	}

	// Node 2 with the right key serves node 1's tokens.
	node2 := startServe(t, ts.env, ts.args()...)
	if node2.url == node1.url {
		t.Fatal("both nodes listen on one URL")
	}
	b := a.on(node2.url)
	b.getUser(t, minted.AccessToken)

	// Node 2's JWKS verifies node 1's tokens with go-oidc, and its discovery
	// document names the same issuer.
	ctx := context.Background()
	keySet := gooidc.NewRemoteKeySet(ctx, node2.url+"/"+a.pool+"/.well-known/jwks.json")
	verifier := gooidc.NewVerifier(issuer, keySet, &gooidc.Config{ClientID: a.client})
	if _, err := verifier.Verify(ctx, aws.ToString(minted.IdToken)); err != nil {
		t.Errorf("node 1's ID token through node 2's JWKS: %v", err)
	}
	if _, err := gooidc.NewVerifier(issuer, keySet, &gooidc.Config{SkipClientIDCheck: true}).Verify(ctx, aws.ToString(minted.AccessToken)); err != nil {
		t.Errorf("node 1's access token through node 2's JWKS: %v", err)
	}
	if code, body := get(t, node2.url+"/"+a.pool+"/.well-known/openid-configuration"); code != 200 || !strings.Contains(body, `"issuer":"`+issuer+`"`) {
		t.Errorf("node 2's discovery document: %d %s, want issuer %s", code, body, issuer)
	}

	// A refresh through node 2 keeps iss, and node 1 accepts the result.
	refreshed := b.refresh(t, minted.RefreshToken)
	for _, tok := range []*string{refreshed.AccessToken, refreshed.IdToken} {
		if got := claimsOf(t, aws.ToString(tok))["iss"]; got != issuer {
			t.Errorf("refresh on node 2 minted iss %v, want %s", got, issuer)
		}
	}
	a.getUser(t, refreshed.AccessToken)
	if _, err := verifier.Verify(ctx, aws.ToString(b.signIn(t).IdToken)); err != nil {
		t.Errorf("node 2's ID token with go-oidc: %v", err)
	}

	// A node configured with another issuer is refused.
	code, _, stderr = runServeFor(t, ts.with(map[string]string{"COGNATE_ISSUER_BASE_URL": "https://id.example.com"}), ts.args()...)
	if code != exitError || !strings.Contains(stderr, "issuer_base_url: https://id.example.com is not the issuer of this store's tokens, "+node1.url) ||
		!strings.Contains(stderr, "cognate issuer set https://id.example.com") {
		t.Errorf("a node with another issuer: exit %d, stderr:\n%s", code, stderr)
	}

	// `cognate issuer show` and `issuer set` read and change it.
	code, stdout, stderr = runCmd(t, ts.env, append([]string{"issuer", "show"}, ts.args()[2:]...)...)
	if code != 0 || stdout != node1.url+"\n" {
		t.Errorf("issuer show: %d %q %s", code, stdout, stderr)
	}
	code, stdout, stderr = runCmd(t, ts.env, "issuer", "set", "https://id.example.com")
	if code != 0 || stdout != "issuer set to https://id.example.com (was "+node1.url+")\n" || !strings.Contains(stderr, "Tokens issued under the old issuer no longer verify") {
		t.Errorf("issuer set: %d %q %s", code, stdout, stderr)
	}
	node3 := startServe(t, ts.with(map[string]string{"COGNATE_ISSUER_BASE_URL": "https://id.example.com"}), ts.args()...)
	if got := claimsOf(t, aws.ToString(a.on(node3.url).signIn(t).AccessToken))["iss"]; got != "https://id.example.com/"+a.pool {
		t.Errorf("after issuer set, iss %v", got)
	}
	if code, _, stderr := runCmd(t, ts.env, "issuer", "set", "ftp://x/"); code != exitUsage || !strings.Contains(stderr, "must be an http(s) URL") {
		t.Errorf("issuer set with a bad URL: %d %s", code, stderr)
	}
}

// TestIssuerCommandsSQLite: a SQLite store has one server, whose issuer is
// its configuration.
func TestIssuerCommandsSQLite(t *testing.T) {
	dir := t.TempDir()
	code, _, stderr := runCmd(t, nil, "issuer", "set", "https://id.example.com", "--data-dir", dir)
	if code != exitError || !strings.Contains(stderr, "set issuer_base_url instead") {
		t.Errorf("issuer set on SQLite: %d %s", code, stderr)
	}
	code, stdout, _ := runCmd(t, map[string]string{"COGNATE_ISSUER_BASE_URL": "https://id.example.com"}, "issuer", "show", "--data-dir", dir)
	if code != 0 || !strings.HasPrefix(stdout, "https://id.example.com ") {
		t.Errorf("issuer show on SQLite: %d %q", code, stdout)
	}
}

// waitFor waits until s's log contains want.
func waitFor(t *testing.T, s *serveProc, want string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(s.stderr.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("the log lacks %q after 60s:\n%s", want, s.stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestServeKeyRotation rotates the encryption key from A to B: with A as
// a previous key, tokens, passwords, SRP verifiers and client secrets keep
// working while the server seals again what A sealed; once it reports the
// re-seal complete, B alone serves everything and A alone is refused.
func TestServeKeyRotation(t *testing.T) {
	for _, backend := range clusterBackends {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			ts := newTestStore(t, backend)
			s := startServe(t, ts.with(map[string]string{"COGNATE_ENCRYPTION_KEY": keyEnv(1)}), ts.args()...)
			a := setUpApp(t, s.url)
			confidential, err := a.c.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: aws.String(a.pool),
				ClientName: aws.String("confidential"), GenerateSecret: true})
			if err != nil {
				t.Fatal(err)
			}
			secret := aws.ToString(confidential.UserPoolClient.ClientSecret)
			checkSecret := func(a *app) {
				t.Helper()
				out, err := a.c.DescribeUserPoolClient(ctx, &cip.DescribeUserPoolClientInput{UserPoolId: aws.String(a.pool),
					ClientId: confidential.UserPoolClient.ClientId})
				if err != nil || aws.ToString(out.UserPoolClient.ClientSecret) != secret {
					t.Fatalf("DescribeUserPoolClient: %v; want the secret it was created with; log:\n%s", err, s.stderr.String())
				}
			}
			minted := a.signIn(t)
			s.shutdown()

			// B with A as previous: everything keeps working, and the
			// server re-seals in the background.
			rotating := map[string]string{"COGNATE_ENCRYPTION_KEY": keyEnv(2), "COGNATE_ENCRYPTION_KEYS_PREVIOUS": keyEnv(1)}
			s = startServe(t, ts.with(rotating), ts.args()...)
			b := a.on(s.url)
			b.getUser(t, minted.AccessToken)
			b.refresh(t, minted.RefreshToken)
			b.signIn(t)
			b.srpChallenge(t)
			checkSecret(b)
			waitFor(t, s, "re-seal complete")
			if !strings.Contains(s.stderr.String(), `"msg":"encryption key rotated: the store's current key is now this server's"`) {
				t.Errorf("the log does not report the rotation:\n%s", s.stderr.String())
			}
			s.shutdown()
			st := ts.open()
			cur, prev, err := cluster.StoreKeys(ctx, st)
			st.Close()
			if err != nil || cur != keyCheck(2) || len(prev) != 0 {
				t.Errorf("after the re-seal the store records %s and %v (%v); want B alone", cur, prev, err)
			}

			// B alone opens everything A had sealed: the pool's signing key
			// signs, the SRP verifier opens, the client secret reads.
			onlyB := map[string]string{"COGNATE_ENCRYPTION_KEY": keyEnv(2)}
			s = startServe(t, ts.with(onlyB), ts.args()...)
			b = a.on(s.url)
			b.getUser(t, minted.AccessToken)
			fresh := b.signIn(t)
			if claimsOf(t, aws.ToString(fresh.AccessToken))["iss"] != claimsOf(t, aws.ToString(minted.AccessToken))["iss"] {
				t.Error("the issuer changed across the rotation")
			}
			b.refresh(t, minted.RefreshToken)
			b.srpChallenge(t)
			checkSecret(b)
			s.shutdown()

			// The store forgot A: A alone is another key now.
			code, _, stderr := runServeFor(t, ts.with(map[string]string{"COGNATE_ENCRYPTION_KEY": keyEnv(1)}), ts.args()...)
			if code != exitError || !strings.Contains(stderr, "(check value "+keyCheck(2)+")") {
				t.Errorf("A alone after the rotation: exit %d, stderr:\n%s", code, stderr)
			}
		})
	}
}

// TestServeProbesAStoreFromBeforeKeyChecks: a store written before the
// key's check value was recorded gets its record from the first server
// that starts on it, but only if that server's key opens the users' SRP
// verifiers; a server with another key is refused rather than recorded.
func TestServeProbesAStoreFromBeforeKeyChecks(t *testing.T) {
	ts := newTestStore(t, "sqlite")
	keyA := map[string]string{"COGNATE_ENCRYPTION_KEY": keyEnv(1)}
	s := startServe(t, ts.with(keyA), ts.args()...)
	a := setUpApp(t, s.url)
	s.shutdown()
	// Take the store back to before records were kept.
	db, err := sql.Open("sqlite", filepath.Join(ts.dataDir, config.SQLiteFile))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`DELETE FROM settings WHERE name = ?`, cluster.KeysSetting); err != nil {
		t.Fatal(err)
	}
	db.Close()

	before := ts.dump()
	code, _, stderr := runServeFor(t, ts.with(map[string]string{"COGNATE_ENCRYPTION_KEY": keyEnv(2)}), ts.args()...)
	if code != exitError || !strings.Contains(stderr, "this store holds data from before it recorded its key, and its user ") ||
		!strings.Contains(stderr, "Nothing was written; the data is untouched") {
		t.Fatalf("another key on a store without a record: exit %d, stderr:\n%s", code, stderr)
	}
	if diff := cmp.Diff(before, ts.dump()); diff != "" {
		t.Errorf("the refused server changed the store (-before +after):\n%s", diff)
	}
	s = startServe(t, ts.with(keyA), ts.args()...)
	a.on(s.url).srpChallenge(t)
	if !strings.Contains(s.stderr.String(), "recorded the encryption key's check value in the store") {
		t.Errorf("the store's own key was not recorded:\n%s", s.stderr.String())
	}
}
