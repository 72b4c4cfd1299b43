package regions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
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
