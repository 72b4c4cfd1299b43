package console

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/chromedp/chromedp"

	"github.com/cognate-dev/cognate/e2e/proc"
)

// freePort returns a loopback port nothing listens on now.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// twoRegions starts cognate in us-east-1 (with the embedded NATS server
// and an operator added by the CLI) and eu-west-1, replicating to each
// other, and signs the operator in to us-east-1's console. It returns the
// two servers, the signed-in browser tab and an admin client of
// eu-west-1's endpoint for eu-west-1's pools.
func twoRegions(t *testing.T) (east, west *cognate, westPools *cip.Client, tab context.Context) {
	t.Helper()
	chromium := requireChromium(t)
	bin := cognateBinary(t)
	eastPort, natsPort := freePort(t), freePort(t)
	issuer := fmt.Sprintf("http://127.0.0.1:%d", eastPort)
	common := []string{"COGNATE_ACCESS_KEY_ID=" + keyID, "COGNATE_SECRET_ACCESS_KEY=" + secret,
		"COGNATE_ENCRYPTION_KEY=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", "COGNATE_ISSUER_BASE_URL=" + issuer,
		"COGNATE_REPLICATION_PEERS=us-east-1,eu-west-1", "COGNATE_RATE_LIMITS_ENABLED=false",
		"COGNATE_PASSWORD_HASHING_MEMORY_KIB=8192", "COGNATE_PASSWORD_HASHING_ITERATIONS=1"}
	eastEnv := append(slices.Clone(common), "COGNATE_REGION=us-east-1", "COGNATE_REPLICATION_NATS_URL=embedded",
		fmt.Sprintf("COGNATE_REPLICATION_EMBEDDED_LISTEN=127.0.0.1:%d", natsPort))
	westEnv := append(slices.Clone(common), "COGNATE_REGION=eu-west-1", fmt.Sprintf("COGNATE_REPLICATION_NATS_URL=nats://127.0.0.1:%d", natsPort))
	eastDir := t.TempDir()
	cmd := exec.Command(bin, "console", "add-admin", "--username", "operator", "--email", "operator@example.com", "--data-dir", eastDir)
	cmd.Env = append(cmd.Environ(), eastEnv...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("console add-admin: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`temporary password: (\S+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("console add-admin printed no temporary password:\n%s", out)
	}
	start := func(env []string, listen, dir string) *cognate {
		srv, err := proc.Start(bin, env, "serve", "--listen", listen, "--data-dir", dir)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := srv.Stop(); err != nil {
				t.Logf("stopping cognate: %v", err)
			}
			if t.Failed() {
				t.Logf("cognate log:\n%s", srv.Stderr.String())
			}
		})
		return &cognate{Server: srv, admin: cip.New(cip.Options{BaseEndpoint: aws.String(srv.URL), Region: "us-east-1",
			Credentials: credentials.NewStaticCredentialsProvider(keyID, secret, "")})}
	}
	east = start(eastEnv, fmt.Sprintf("127.0.0.1:%d", eastPort), eastDir)
	west = start(westEnv, "127.0.0.1:0", t.TempDir())
	westPools = cip.New(cip.Options{BaseEndpoint: aws.String(west.URL), Region: "eu-west-1",
		Credentials: credentials.NewStaticCredentialsProvider(keyID, secret, "")})
	tab = newBrowserFor(t, chromium, 10*browserTimeout)
	if err := chromedp.Do(tab, chromedp.Navigate(east.URL+"/console/")); err != nil {
		t.Fatal(err)
	}
	if err := signInHosted(tab, "operator", string(m[1])); err != nil {
		t.Fatal(err)
	}
	if err := newPassword(tab, "Operator-Password-1"); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(tab, chromedp.WaitVisible(chromedp.ID("create-pool"))); err != nil {
		t.Fatalf("the console after sign-in: %v\n%s", err, pageText(tab))
	}
	return east, west, westPools, tab
}

// replicaStatuses lists a pool's replicas through c as region: status.
func replicaStatuses(t *testing.T, c *cip.Client, poolID string) map[string]string {
	t.Helper()
	out, err := c.ListUserPoolReplicas(context.Background(), &cip.ListUserPoolReplicasInput{UserPoolId: &poolID})
	if err != nil {
		t.Fatalf("ListUserPoolReplicas: %v", err)
	}
	got := map[string]string{}
	for _, r := range out.UserPoolReplicas {
		got[aws.ToString(r.RegionName)] = string(r.Status)
	}
	return got
}

// waitFor retries check for up to a minute.
func waitFor(t *testing.T, what string, check func() error) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v", what, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestConsoleRegions runs two regions that replicate to each other and
// drives us-east-1's console: the regions page lists eu-west-1's pools,
// shown read-only with their replicas (created and deleted through their
// own region, which the page says); a us-east-1 pool's replicas page sets
// its eu-west-1 replica INACTIVE, deletes it after the region is typed
// (the region removes the pool), and creates it again (the region copies
// the pool and turns it ACTIVE). Each result is read back through the AWS
// SDK (ListUserPoolReplicas). The replicas form refuses requests without
// a session, with another operator's CSRF token and cross-site.
func TestConsoleRegions(t *testing.T) {
	// Parallel with the console's other slow sections: the package's
	// tests share one time budget.
	t.Parallel()
	east, _, westPools, tab := twoRegions(t)
	ctx := context.Background()
	pool, err := east.admin.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("everywhere")})
	if err != nil {
		t.Fatal(err)
	}
	poolID := aws.ToString(pool.UserPool.Id)
	european, err := westPools.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("european")})
	if err != nil {
		t.Fatal(err)
	}
	euID := aws.ToString(european.UserPool.Id)

	// The regions page, once eu-west-1's pool has reached us-east-1.
	waitFor(t, "eu-west-1's pool on us-east-1's regions page", func() error {
		if err := chromedp.Do(tab, chromedp.Navigate(east.URL+"/console/regions"), chromedp.WaitVisible(chromedp.ID("region-eu-west-1"))); err != nil {
			return err
		}
		if n, err := chromedp.Run(tab, chromedp.Evaluate[int](`document.querySelectorAll('#region-eu-west-1 .region-pool-link').length`)); err != nil || n != 1 {
			return fmt.Errorf("%d pools listed (%v)", n, err)
		}
		return nil
	})
	consoleScreenshot(t, tab, "console-regions", false)
	if err := chromedp.Do(tab, nextPage("#read-only", chromedp.Click(chromedp.CSS(`#region-eu-west-1 .region-pool-link`))),
		nextPage("#replica-writes-elsewhere", chromedp.Click(chromedp.ID("replicas-link")))); err != nil {
		t.Fatalf("eu-west-1's pool: %v\n%s", err, pageText(tab))
	}
	if got := text(t, tab, "pool-link"); got == "" || strings.Contains(pageSource(t, tab), `id="create-replica"`) {
		t.Error("another region's pool offers to create replicas here")
	}
	if got := text(t, tab, "primary-region"); got != "eu-west-1" {
		t.Errorf("eu-west-1's pool's primary region is shown as %q", got)
	}

	// us-east-1's pool lives in both regions (default_pool_regions all).
	replicasPage := "/console/pools/" + poolID + "/replicas"
	browse(t, tab, east, "/console/pools/"+poolID, "replicas-link")
	if err := chromedp.Do(tab, nextPage("#deactivate-eu-west-1", chromedp.Click(chromedp.ID("replicas-link")))); err != nil {
		t.Fatalf("the replicas of us-east-1's pool: %v\n%s", err, pageText(tab))
	}
	if got := text(t, tab, "replica-us-east-1"); !strings.Contains(got, "PRIMARY") || !strings.Contains(got, "ACTIVE") {
		t.Errorf("the primary replica's row: %q", got)
	}
	consoleScreenshot(t, tab, "console-replicas", false)

	// The form, as an attacker would send it.
	refused := refusedForms(t, east, tab, otherOperatorCSRF(t, east), map[string]url.Values{
		replicasPage: {"action": {"status"}, "region": {"eu-west-1"}, "status": {"INACTIVE"}},
	})
	if got := replicaStatuses(t, east.admin, poolID); got["eu-west-1"] != "ACTIVE" {
		t.Errorf("after the refused forms the eu-west-1 replica is %s", got["eu-west-1"])
	}
	t.Logf("replicas: refused %v", refused)

	submit(t, tab, "set the eu-west-1 replica INACTIVE", chromedp.Click(chromedp.ID("deactivate-eu-west-1")))
	if got := replicaStatuses(t, east.admin, poolID); got["eu-west-1"] != "INACTIVE" || got["us-east-1"] != "ACTIVE" {
		t.Errorf("after INACTIVE: %v", got)
	}
	if err := chromedp.Do(tab, setValue("confirm-eu-west-1", "eu-west"), nextPage("#error-confirm", chromedp.Click(chromedp.ID("delete-eu-west-1")))); err != nil {
		t.Fatalf("delete with the wrong region: %v\n%s", err, pageText(tab))
	}
	if got := replicaStatuses(t, east.admin, poolID); got["eu-west-1"] != "INACTIVE" {
		t.Errorf("a refused deletion changed the replica: %v", got)
	}
	submit(t, tab, "delete the eu-west-1 replica", setValue("confirm-eu-west-1", "eu-west-1"), chromedp.Click(chromedp.ID("delete-eu-west-1")))
	waitFor(t, "the eu-west-1 replica removed", func() error {
		if got := replicaStatuses(t, east.admin, poolID); len(got) != 1 || got["us-east-1"] != "ACTIVE" {
			return fmt.Errorf("replicas %v", got)
		}
		return nil
	})
	// Created again: eu-west-1 copies the pool and turns it ACTIVE.
	browse(t, tab, east, replicasPage, "create-replica")
	submit(t, tab, "create the eu-west-1 replica", chromedp.SetValue(chromedp.ID("replica-region"), "eu-west-1"), setValue("replica-tags", "team=europe"),
		chromedp.Click(chromedp.ID("create-replica-submit")))
	waitFor(t, "the eu-west-1 replica ACTIVE", func() error {
		if got := replicaStatuses(t, east.admin, poolID); got["eu-west-1"] != "ACTIVE" {
			return fmt.Errorf("replicas %v", got)
		}
		return nil
	})
	if got := replicaStatuses(t, westPools, euID); got["eu-west-1"] != "ACTIVE" {
		t.Errorf("eu-west-1's own pool's replicas: %v", got)
	}
}
