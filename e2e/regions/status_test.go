package regions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/replication"
)

// readyBody is /ready's body with its replication report.
type readyBody struct {
	Status      string `json:"status"`
	Replication *struct {
		Region      string `json:"region"`
		Active      bool   `json:"active"`
		Connected   bool   `json:"connected"`
		Unpublished int64  `json:"unpublished"`
		ApplyErrors int64  `json:"apply_errors"`
		Peers       map[string]struct {
			Pending    uint64  `json:"pending"`
			LagSeconds float64 `json:"lag_seconds"`
			Reachable  bool    `json:"reachable"`
		} `json:"peers"`
	} `json:"replication"`
}

// ready reads the region's /ready and returns its HTTP status and body.
func ready(r *region) (int, readyBody, error) {
	var body readyBody
	resp, err := http.Get(r.srv.URL + "/ready")
	if err != nil {
		return 0, body, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, body, err
	}
	if err := json.Unmarshal(b, &body); err != nil {
		return 0, body, fmt.Errorf("%w: %s", err, b)
	}
	if body.Replication == nil {
		return 0, body, fmt.Errorf("no replication report: %s", b)
	}
	return resp.StatusCode, body, nil
}

// checkCaughtUp checks, once the regions have converged, that every
// region's /ready reports it connected with nothing unpublished or
// pending, and that `cognate replication status` shows every region joined
// and every stream applied by every other region.
func checkCaughtUp(t *testing.T, bin, natsURL string, rs []*region) {
	t.Helper()
	for _, r := range rs {
		eventually(t, "/ready of "+r.name+" caught up", func() error {
			code, body, err := ready(r)
			if err != nil {
				return err
			}
			rep := body.Replication
			if code != http.StatusOK || body.Status != "ready" || !rep.Active || !rep.Connected || rep.Unpublished != 0 || rep.Region != r.name {
				return fmt.Errorf("%d %+v %+v", code, body, *rep)
			}
			if len(rep.Peers) != len(regions)-1 {
				return fmt.Errorf("peers %+v", rep.Peers)
			}
			for p, ps := range rep.Peers {
				if ps.Pending != 0 || !ps.Reachable || ps.LagSeconds != 0 {
					return fmt.Errorf("peer %s: %+v", p, ps)
				}
			}
			if v, err := metric(r, "cognate_replication_connected"); err != nil || v != 1 {
				return fmt.Errorf("cognate_replication_connected %v %v", v, err)
			}
			return nil
		})
	}
	eventually(t, "cognate replication status shows every stream applied", func() error {
		status, text, err := replicationStatus(bin, natsURL)
		if err != nil {
			return err
		}
		if len(status.Regions) != len(regions) {
			return fmt.Errorf("regions %+v", status.Regions)
		}
		for _, r := range status.Regions {
			if r.Member == nil || r.Member.Region != r.Region || r.Published == 0 || r.Error != "" {
				return fmt.Errorf("region %+v", r)
			}
			if len(r.Peers) != len(regions)-1 {
				return fmt.Errorf("region %s peers %+v", r.Region, r.Peers)
			}
			for _, p := range r.Peers {
				if p.Pending != 0 || p.Error != "" || p.LastActive.IsZero() {
					return fmt.Errorf("%s applies %s: %+v", r.Region, p.Peer, p)
				}
			}
		}
		if !strings.Contains(text, "REGION") || !strings.Contains(text, "us-east-1") {
			return fmt.Errorf("text status:\n%s", text)
		}
		return nil
	})
}

// replicationStatus runs `cognate replication status`, with -json and
// without, and returns what they print.
func replicationStatus(bin, natsURL string) (status struct {
	NATS    string                     `json:"nats"`
	Regions []replication.RegionStatus `json:"regions"`
}, text string, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	env := append(os.Environ(), "COGNATE_ACCESS_KEY_ID="+keyID, "COGNATE_SECRET_ACCESS_KEY="+secret,
		"COGNATE_REGION=us-east-1", "COGNATE_ENCRYPTION_KEY="+encKey, "COGNATE_ISSUER_BASE_URL="+issuer,
		"COGNATE_REPLICATION_NATS_URL="+natsURL, "COGNATE_REPLICATION_PEERS="+strings.Join(regions, ","))
	cmd := exec.CommandContext(ctx, bin, "replication", "status", "-json", "--data-dir", os.TempDir())
	cmd.Env = env
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			err = fmt.Errorf("%w: %s", err, ee.Stderr)
		}
		return status, "", err
	}
	if err := json.Unmarshal(out, &status); err != nil {
		return status, "", fmt.Errorf("%w: %s", err, out)
	}
	cmd = exec.CommandContext(ctx, bin, "replication", "status", "--data-dir", os.TempDir())
	cmd.Env = env
	b, err := cmd.Output()
	return status, string(b), err
}

// checkConflictsCommand runs `cognate replication conflicts` (text and
// -json) on r's store, its server stopped, and checks that it lists the
// users named twin that lost the username to winner's, and those only:
// each renamed conflict-<sub>-twin, disabled, having given up
// username/twin to a user that kept it (winner's, or for a user that lost
// to another loser first, that loser's).
func checkConflictsCommand(t *testing.T, bin string, r *region, poolID string, subs map[string]string, winner string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	env := append(os.Environ(), "COGNATE_REGION="+r.name, "COGNATE_DATABASE_URL="+r.database)
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.CommandContext(ctx, bin, append([]string{"replication", "conflicts", "--data-dir", r.dir}, args...)...)
		cmd.Env = env
		out, err := cmd.Output()
		if err != nil {
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				err = fmt.Errorf("%w: %s", err, ee.Stderr)
			}
			t.Fatalf("cognate replication conflicts %v in %s: %v", args, r.name, err)
		}
		return string(out)
	}
	var listed struct {
		Region string `json:"region"`
		Losers []struct {
			Pool, Sub, Username string
			Enabled             bool
			LostUsername        string `json:"lost_username"`
			GaveUp              []struct {
				Key    string `json:"key"`
				KeptBy string `json:"kept_by"`
			} `json:"gave_up"`
		} `json:"losers"`
	}
	out := run("-json", "-pool", poolID)
	if err := json.Unmarshal([]byte(out), &listed); err != nil {
		t.Fatalf("cognate replication conflicts -json in %s: %v: %s", r.name, err, out)
	}
	if listed.Region != r.name || len(listed.Losers) != len(subs)-1 {
		t.Fatalf("cognate replication conflicts -json in %s: %s", r.name, out)
	}
	for _, l := range listed.Losers {
		loser := ""
		for region, sub := range subs {
			if sub == l.Sub {
				loser = region
			}
		}
		if loser == "" || loser == winner || l.Pool != poolID || l.Username != "conflict-"+l.Sub+"-twin" || l.Enabled ||
			l.LostUsername != "twin" || len(l.GaveUp) == 0 || l.GaveUp[0].Key != "username/twin" {
			t.Errorf("cognate replication conflicts in %s lists %+v", r.name, l)
			continue
		}
		if kept := l.GaveUp[0].KeptBy; kept == l.Sub || !slices.Contains(slices.Collect(maps.Values(subs)), kept) {
			t.Errorf("cognate replication conflicts in %s: %s's user gave twin up to %s", r.name, loser, kept)
		}
	}
	text := run()
	if !strings.Contains(text, "region "+r.name+": 2 users gave up a unique key") || !strings.Contains(text, "GAVE UP") ||
		strings.Count(text, "username/twin") != 2 {
		t.Errorf("cognate replication conflicts in %s:\n%s", r.name, text)
	}
	t.Logf("cognate replication conflicts in %s:\n%s", r.name, text)
}
