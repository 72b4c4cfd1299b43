// Package regions runs three cognate processes, each with its own store
// (SQLite, or a PostgreSQL database each), replicating through one NATS
// server with JetStream, and checks through the AWS SDK that what one region
// writes the others serve.
package regions

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/jackc/pgx/v5"
	_ "modernc.org/sqlite"

	"github.com/cognate-dev/cognate/e2e/proc"
	"github.com/cognate-dev/cognate/internal/replication"
	"github.com/cognate-dev/cognate/internal/srp/srpclient"
	"github.com/cognate-dev/cognate/internal/storage/storagetest"
)

const (
	keyID  = "AKIAREGIONSTEST00001"
	secret = "regions-secret-regions-secret-regions-x"
	// encKey is the encryption key every region shares.
	encKey = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
	issuer = "https://auth.regions.example"
	// converge bounds every wait for a change to reach another region.
	converge = 30 * time.Second
)

var regions = []string{"us-east-1", "eu-west-1", "ap-southeast-2"}

type region struct {
	name, dir string
	// database is the region's COGNATE_DATABASE_URL.
	database string
	srv      *proc.Server
	c        *cip.Client
}

func startRegion(t testing.TB, bin, natsURL, name, dir, database string) *region {
	t.Helper()
	return startRegionWith(t, bin, natsURL, name, dir, database)
}

// startRegionWith is startRegion with more COGNATE_* variables.
func startRegionWith(t testing.TB, bin, natsURL, name, dir, database string, env ...string) *region {
	t.Helper()
	return startRegionConfig(t, bin, natsURL, name, dir, database, "", env...)
}

// startRegionConfig is startRegionWith with a configuration file, when
// config is not empty.
func startRegionConfig(t testing.TB, bin, natsURL, name, dir, database, config string, env ...string) *region {
	t.Helper()
	args := []string{"serve", "--listen", "127.0.0.1:0", "--data-dir", dir}
	if config != "" {
		args = append(args, "--config", config)
	}
	s, err := proc.Start(bin, append([]string{
		"COGNATE_ACCESS_KEY_ID=" + keyID, "COGNATE_SECRET_ACCESS_KEY=" + secret,
		"COGNATE_DATABASE_URL=" + database, "COGNATE_RATE_LIMITS_ENABLED=false",
		"COGNATE_REGION=" + name, "COGNATE_ENCRYPTION_KEY=" + encKey, "COGNATE_ISSUER_BASE_URL=" + issuer,
		"COGNATE_PASSWORD_HASHING_MEMORY_KIB=8192", "COGNATE_PASSWORD_HASHING_ITERATIONS=1",
		"COGNATE_REPLICATION_NATS_URL=" + natsURL, "COGNATE_REPLICATION_PEERS=" + strings.Join(regions, ","),
	}, env...), args...)
	if err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	r := &region{name: name, dir: dir, database: database, srv: s}
	// Every region serves the pools of every region: the client's region
	// is the pool's (us-east-1 here), whichever endpoint it calls.
	r.c = cip.New(cip.Options{
		BaseEndpoint: aws.String(s.URL), Region: "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider(keyID, secret, ""),
		RetryMaxAttempts: 5,
	})
	return r
}

func (r *region) stop(t testing.TB) {
	t.Helper()
	if r.srv == nil {
		return
	}
	if err := r.srv.Stop(); err != nil {
		t.Errorf("stop %s: %v\n%s", r.name, err, r.srv.Stderr)
	}
	r.srv = nil
}

// eventually retries check until it returns nil or converge passes.
func eventually(t testing.TB, what string, check func() error) {
	t.Helper()
	eventuallyWithin(t, converge, what, check)
}

// eventuallyWithin retries check until it returns nil or d passes.
func eventuallyWithin(t testing.TB, d time.Duration, what string, check func() error) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v: %v", what, d, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestThreeRegions(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three cognate processes; skipped under -short")
	}
	threeRegions(t, func(*testing.T) string { return "sqlite" }, sqliteKindDigest)
}

// TestThreeRegionsPostgres is TestThreeRegions with a PostgreSQL database
// (a schema of the test server) for each region.
func TestThreeRegionsPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three cognate processes; skipped under -short")
	}
	threeRegions(t, func(t *testing.T) string { return storagetest.PostgresSchema(t) }, postgresKindDigest)
}

// threeRegions runs the regions on the databases database makes, and
// compares the stores with digest once they are stopped: as a whole, and
// kind by kind.
func threeRegions(t *testing.T, database func(t *testing.T) string, digest func(t *testing.T, r *region) (string, int, map[string]kindSum)) {
	ctx := context.Background()
	nats, err := replication.StartEmbedded("127.0.0.1:0", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer nats.Close()
	bin, err := proc.Build(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var rs []*region
	for _, name := range regions {
		dir := t.TempDir()
		r := startRegionConfig(t, bin, nats.URL(), name, dir, database(t), regionConfig(t, dir))
		defer r.stop(t)
		rs = append(rs, r)
	}
	a, b, c := rs[0], rs[1], rs[2]

	// A pool and its client created in A appear in B and C.
	pool, err := a.c.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("everywhere")})
	if err != nil {
		t.Fatal(err)
	}
	poolID := aws.ToString(pool.UserPool.Id)
	client, err := a.c.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{
		UserPoolId: aws.String(poolID), ClientName: aws.String("app"),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserSrpAuth,
			types.ExplicitAuthFlowsTypeAllowUserPasswordAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth},
	})
	if err != nil {
		t.Fatal(err)
	}
	clientID := aws.ToString(client.UserPoolClient.ClientId)
	for _, r := range []*region{b, c} {
		eventually(t, "the pool and client in "+r.name, func() error {
			got, err := r.c.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: aws.String(poolID)})
			if err != nil {
				return err
			}
			if aws.ToString(got.UserPool.Arn) != aws.ToString(pool.UserPool.Arn) {
				return fmt.Errorf("ARN %s, want %s", aws.ToString(got.UserPool.Arn), aws.ToString(pool.UserPool.Arn))
			}
			_, err = r.c.DescribeUserPoolClient(ctx, &cip.DescribeUserPoolClientInput{UserPoolId: aws.String(poolID), ClientId: aws.String(clientID)})
			return err
		})
	}

	// Sign-up in A, SRP sign-in in B.
	const oldPassword, newPassword = "Correct-Horse-1", "Battery-Staple-2"
	if _, err := a.c.SignUp(ctx, &cip.SignUpInput{ClientId: aws.String(clientID), Username: aws.String("alice"), Password: aws.String(oldPassword),
		UserAttributes: []types.AttributeType{{Name: aws.String("email"), Value: aws.String("alice@example.com")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.c.AdminConfirmSignUp(ctx, &cip.AdminConfirmSignUpInput{UserPoolId: aws.String(poolID), Username: aws.String("alice")}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "alice confirmed in B", func() error {
		u, err := b.c.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(poolID), Username: aws.String("alice")})
		if err != nil {
			return err
		}
		if u.UserStatus != types.UserStatusTypeConfirmed {
			return fmt.Errorf("status %s", u.UserStatus)
		}
		return nil
	})
	tokensB := srpSignIn(t, ctx, b, poolID, clientID, "alice", oldPassword)

	// Password change in B: the old password is refused in A once the
	// change is there, and the new one signs in.
	if _, err := b.c.ChangePassword(ctx, &cip.ChangePasswordInput{AccessToken: tokensB.AccessToken,
		PreviousPassword: aws.String(oldPassword), ProposedPassword: aws.String(newPassword)}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the new password in A", func() error {
		_, err := passwordSignIn(ctx, a, clientID, "alice", newPassword)
		return err
	})
	var na *types.NotAuthorizedException
	if _, err := passwordSignIn(ctx, a, clientID, "alice", oldPassword); !errors.As(err, &na) {
		t.Fatalf("old password in A: %v, want NotAuthorizedException", err)
	}

	// A token minted in A verifies through C's JWKS.
	tokensA, err := passwordSignIn(ctx, a, clientID, "alice", newPassword)
	if err != nil {
		t.Fatal(err)
	}
	keys := oidc.NewRemoteKeySet(ctx, c.srv.URL+"/"+poolID+"/.well-known/jwks.json")
	verifier := oidc.NewVerifier(issuer+"/"+poolID, keys, &oidc.Config{ClientID: clientID})
	eventually(t, "A's ID token through C's JWKS", func() error {
		idt, err := verifier.Verify(ctx, aws.ToString(tokensA.IdToken))
		if err != nil {
			return err
		}
		if idt.Subject == "" {
			return errors.New("no subject")
		}
		return nil
	})

	// Writes in the other regions too: a user signed up in C, an
	// attribute changed in B.
	if _, err := c.c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(poolID), Username: aws.String("carol"),
		MessageAction: types.MessageActionTypeSuppress}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.c.AdminUpdateUserAttributes(ctx, &cip.AdminUpdateUserAttributesInput{UserPoolId: aws.String(poolID), Username: aws.String("alice"),
		UserAttributes: []types.AttributeType{{Name: aws.String("name"), Value: aws.String("Alice B.")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.c.CreateGroup(ctx, &cip.CreateGroupInput{UserPoolId: aws.String(poolID), GroupName: aws.String("admins")}); err != nil {
		t.Fatal(err)
	}

	// A deletion in C and a disable in A reach every region. (A user's
	// state replicates whole: the disable is made after B's update has
	// reached A, else the later state would be the one without it.)
	eventually(t, "carol and B's update in A", func() error {
		if _, err := a.c.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(poolID), Username: aws.String("carol")}); err != nil {
			return err
		}
		u, err := a.c.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(poolID), Username: aws.String("alice")})
		if err != nil {
			return err
		}
		for _, at := range u.UserAttributes {
			if aws.ToString(at.Name) == "name" && aws.ToString(at.Value) == "Alice B." {
				return nil
			}
		}
		return errors.New("no name yet")
	})
	if _, err := c.c.AdminDeleteUser(ctx, &cip.AdminDeleteUserInput{UserPoolId: aws.String(poolID), Username: aws.String("carol")}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.c.AdminDisableUser(ctx, &cip.AdminDisableUserInput{UserPoolId: aws.String(poolID), Username: aws.String("alice")}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "alice disabled in B", func() error {
		_, err := passwordSignIn(ctx, b, clientID, "alice", newPassword)
		if !errors.As(err, &na) {
			return fmt.Errorf("sign-in: %v, want NotAuthorizedException", err)
		}
		return nil
	})

	// ListUsers is the same everywhere once converged.
	want := ""
	eventually(t, "ListUsers the same in every region", func() error {
		var lists []string
		for _, r := range rs {
			l, err := listUsers(ctx, r, poolID)
			if err != nil {
				return err
			}
			lists = append(lists, l)
		}
		if strings.Contains(lists[0], "carol") || !strings.Contains(lists[0], "alice CONFIRMED false") || !strings.Contains(lists[0], "Alice B.") {
			return fmt.Errorf("A lists %s", lists[0])
		}
		for i, l := range lists[1:] {
			if l != lists[0] {
				return fmt.Errorf("%s lists %s, %s lists %s", rs[0].name, lists[0], rs[i+1].name, l)
			}
		}
		want = lists[0]
		return nil
	})
	t.Logf("users in every region: %s", want)

	// Lockout counters count across regions.
	lockoutAcrossRegions(t, ctx, nats.URL(), a, b, poolID, clientID)

	// TOTP and a remembered device made in A sign in in B and C.
	tom := mfaAcrossRegions(t, ctx, rs)

	// An item of every other replicated kind.
	writeEveryKind(t, ctx, rs, tom)

	// A second store claiming a region of the topology is refused before
	// it serves.
	refusal(t, bin, nats.URL(), "us-east-1", database(t), "is already served by another store")

	// Every replicated item is the same everywhere: stop the regions
	// (each holds its store's lock) and compare digests of the stores.
	quiesce(t, nats.URL())
	for _, r := range rs {
		r.stop(t)
	}
	var digests []string
	var sums []map[string]kindSum
	for _, r := range rs {
		d, n, kinds := digest(t, r)
		t.Logf("%s: %d items and pools, digest %s", r.name, n, d)
		digests = append(digests, d)
		sums = append(sums, kinds)
	}
	if digests[0] != digests[1] || digests[0] != digests[2] {
		t.Errorf("digests differ: %v", digests)
	}
	// Every replicated kind the registry names is in every store, with
	// the same items.
	checkEveryKind(t, rs, sums)
}

func passwordSignIn(ctx context.Context, r *region, clientID, user, password string) (*types.AuthenticationResultType, error) {
	out, err := r.c.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: aws.String(clientID), AuthFlow: types.AuthFlowTypeUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": user, "PASSWORD": password}})
	if err != nil {
		return nil, err
	}
	if out.AuthenticationResult == nil {
		return nil, fmt.Errorf("challenge %s", out.ChallengeName)
	}
	return out.AuthenticationResult, nil
}

func srpSignIn(t *testing.T, ctx context.Context, r *region, poolID, clientID, user, password string) *types.AuthenticationResultType {
	t.Helper()
	srp := srpclient.New()
	start, err := r.c.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: aws.String(clientID), AuthFlow: types.AuthFlowTypeUserSrpAuth,
		AuthParameters: map[string]string{"USERNAME": user, "SRP_A": srp.SRPA()}})
	if err != nil {
		t.Fatalf("SRP in %s: %v", r.name, err)
	}
	ts, sig, err := srp.Claim(poolID, password, start.ChallengeParameters, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	out, err := r.c.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{ClientId: aws.String(clientID),
		ChallengeName: start.ChallengeName, Session: start.Session,
		ChallengeResponses: map[string]string{"USERNAME": start.ChallengeParameters["USER_ID_FOR_SRP"],
			"TIMESTAMP": ts, "PASSWORD_CLAIM_SIGNATURE": sig, "PASSWORD_CLAIM_SECRET_BLOCK": start.ChallengeParameters["SECRET_BLOCK"]}})
	if err != nil {
		t.Fatalf("SRP in %s: %v", r.name, err)
	}
	if out.AuthenticationResult == nil {
		t.Fatalf("SRP in %s: challenge %s", r.name, out.ChallengeName)
	}
	return out.AuthenticationResult
}

// listUsers returns the pool's users as one comparable line.
func listUsers(ctx context.Context, r *region, poolID string) (string, error) {
	out, err := r.c.ListUsers(ctx, &cip.ListUsersInput{UserPoolId: aws.String(poolID)})
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, u := range out.Users {
		fmt.Fprintf(&b, "%s %s %v %s %s [", aws.ToString(u.Username), u.UserStatus, u.Enabled,
			u.UserCreateDate.UTC().Format(time.RFC3339Nano), u.UserLastModifiedDate.UTC().Format(time.RFC3339Nano))
		attrs := slices.Clone(u.Attributes)
		slices.SortFunc(attrs, func(x, y types.AttributeType) int { return strings.Compare(aws.ToString(x.Name), aws.ToString(y.Name)) })
		for _, a := range attrs {
			fmt.Fprintf(&b, "%s=%s ", aws.ToString(a.Name), aws.ToString(a.Value))
		}
		b.WriteString("]; ")
	}
	return b.String(), nil
}

// sqliteDigest hashes every pool and replicated item of the region's
// SQLite store, with their keys and index entries, leaving out the local
// concurrency counter (version) and the local kinds, which never
// replicate.
func sqliteDigest(t *testing.T, r *region) (string, int) {
	t.Helper()
	d, n, _ := sqliteKindDigest(t, r)
	return d, n
}

// sqliteKindDigest is sqliteDigest with a digest of each kind's items.
func sqliteKindDigest(t *testing.T, r *region) (string, int, map[string]kindSum) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(r.dir, "cognate.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	h := sha256.New()
	n := 0
	kinds := newKindHashes()
	for _, q := range []string{
		`SELECT 'pool', id, region || '|' || name, config, created_at, updated_at FROM user_pools ORDER BY id`,
		`SELECT i.kind, i.id, i.pool || '|' ||
			coalesce((SELECT group_concat("key", ',') FROM (SELECT "key" FROM item_keys k WHERE k.kind = i.kind AND k.id = i.id ORDER BY "key")), '') || '|' ||
			coalesce((SELECT group_concat("key", ',') FROM (SELECT "key" FROM item_index x WHERE x.kind = i.kind AND x.id = i.id ORDER BY "key")), ''),
			i.data, i.created_at, i.updated_at
			FROM items i WHERE i.kind NOT IN ('auth_session', 'auth_event') ORDER BY i.kind, i.id`,
	} {
		rows, err := db.Query(q)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var kind, id, meta string
			var data []byte
			var created, updated int64
			if err := rows.Scan(&kind, &id, &meta, &data, &created, &updated); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x00%d\x00%d\n", kind, id, meta, data, created, updated)
			kinds.add(kind, fmt.Sprintf("%s\x00%s\x00%s\x00%d\x00%d\n", id, meta, data, created, updated))
			n++
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), n, kinds.sums()
}

// refusal runs a server for region on a fresh data directory and checks
// that it exits at start with an error saying why.
func refusal(t *testing.T, bin, natsURL, name, database, why string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "serve", "--listen", "127.0.0.1:0", "--data-dir", t.TempDir())
	cmd.Env = append(os.Environ(), "COGNATE_ACCESS_KEY_ID="+keyID, "COGNATE_SECRET_ACCESS_KEY="+secret,
		"COGNATE_DATABASE_URL="+database, "COGNATE_REGION="+name, "COGNATE_ENCRYPTION_KEY="+encKey, "COGNATE_ISSUER_BASE_URL="+issuer,
		"COGNATE_REPLICATION_NATS_URL="+natsURL, "COGNATE_REPLICATION_PEERS="+strings.Join(regions, ","))
	out, err := cmd.CombinedOutput()
	if err == nil || ctx.Err() != nil {
		t.Fatalf("a second store for %s started: %v\n%s", name, err, out)
	}
	if !strings.Contains(string(out), why) {
		t.Errorf("a second store for %s: %s, want %q", name, out, why)
	}
}

// postgresDigest is sqliteDigest on the region's PostgreSQL database.
func postgresDigest(t *testing.T, r *region) (string, int) {
	t.Helper()
	d, n, _ := postgresKindDigest(t, r)
	return d, n
}

// postgresKindDigest is postgresDigest with a digest of each kind's items.
func postgresKindDigest(t *testing.T, r *region) (string, int, map[string]kindSum) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, r.database)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	h := sha256.New()
	n := 0
	kinds := newKindHashes()
	for _, q := range []string{
		`SELECT 'pool', id, region || '|' || name, config, created_at, updated_at FROM user_pools ORDER BY id`,
		`SELECT i.kind, i.id, i.pool || '|' ||
			coalesce((SELECT string_agg("key", ',' ORDER BY "key") FROM item_keys k WHERE k.kind = i.kind AND k.id = i.id), '') || '|' ||
			coalesce((SELECT string_agg("key", ',' ORDER BY "key") FROM item_index x WHERE x.kind = i.kind AND x.id = i.id), ''),
			i.data, i.created_at, i.updated_at
			FROM items i WHERE i.kind NOT IN ('auth_session', 'auth_event') ORDER BY i.kind, i.id`,
	} {
		rows, err := conn.Query(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var kind, id, meta string
			var data []byte
			var created, updated time.Time
			if err := rows.Scan(&kind, &id, &meta, &data, &created, &updated); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x00%d\x00%d\n", kind, id, meta, data, created.UnixMicro(), updated.UnixMicro())
			kinds.add(kind, fmt.Sprintf("%s\x00%s\x00%s\x00%d\x00%d\n", id, meta, data, created.UnixMicro(), updated.UnixMicro()))
			n++
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), n, kinds.sums()
}

// kindHashes hashes the rows of a store kind by kind.
type kindHashes map[string]*kindHash

type kindHash struct {
	h hash.Hash
	n int
}

func newKindHashes() kindHashes { return kindHashes{} }

func (k kindHashes) add(kind, row string) {
	kh := k[kind]
	if kh == nil {
		kh = &kindHash{h: sha256.New()}
		k[kind] = kh
	}
	kh.h.Write([]byte(row))
	kh.n++
}

func (k kindHashes) sums() map[string]kindSum {
	out := map[string]kindSum{}
	for kind, kh := range k {
		out[kind] = kindSum{n: kh.n, hash: hex.EncodeToString(kh.h.Sum(nil))}
	}
	return out
}
