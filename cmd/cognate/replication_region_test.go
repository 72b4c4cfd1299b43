package main

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestServeRefusesAnotherRegionOnAReplicatingStore starts a region that
// replicates (eu-west-1, with an embedded NATS server), then another
// server on its store configured as another region: with its region left
// at the default and replication not configured (a second node of a
// PostgreSQL region set up in a hurry), and with replication configured.
// The first would record its changes as us-east-1's, which the region's
// replicating node never publishes; the second would publish the store's
// changes under a second name. Both must refuse to start, say which
// setting to fix, and leave the store as it was; the right region starts.
func TestServeRefusesAnotherRegionOnAReplicatingStore(t *testing.T) {
	for _, backend := range clusterBackends {
		t.Run(backend, func(t *testing.T) {
			ts := newTestStore(t, backend)
			ts.env["COGNATE_ENCRYPTION_KEY"] = keyEnv(1)
			replicating := map[string]string{
				"COGNATE_REPLICATION_NATS_URL": "embedded", "COGNATE_REPLICATION_EMBEDDED_LISTEN": "127.0.0.1:0",
				"COGNATE_REPLICATION_PEERS": "eu-west-1,us-east-1",
			}
			region := func(name string, replication bool) map[string]string {
				env := map[string]string{}
				if name != "" {
					env["COGNATE_REGION"] = name
				}
				if replication {
					for k, v := range replicating {
						env[k] = v
					}
				}
				return env
			}
			s := startServe(t, ts.with(region("eu-west-1", true)), ts.args()...)
			if code := s.shutdown(); code != 0 {
				t.Fatalf("serve exited %d", code)
			}
			before := ts.dump()
			if got := before.Settings[replicationRegionSetting]; got != `"eu-west-1"` {
				t.Fatalf("the store records the replication region %q, want eu-west-1", got)
			}

			for _, tc := range []struct {
				name string
				env  map[string]string
			}{
				{"region left at its default, no replication", region("", false)},
				{"another region, replicating", region("us-east-1", true)},
			} {
				t.Run(tc.name, func(t *testing.T) {
					code, stdout, stderr := runServeFor(t, ts.with(tc.env), ts.args()...)
					if code != exitError || strings.Contains(stdout, "ready") {
						t.Errorf("serve exited %d, want %d; stdout:\n%s", code, exitError, stdout)
					}
					for _, want := range []string{
						"region: this server is configured as region us-east-1",
						"but its store replicates as region eu-west-1",
						"Set region to eu-west-1 on every server of this store. Nothing was written",
					} {
						if !strings.Contains(stderr, want) {
							t.Errorf("stderr lacks %q:\n%s", want, stderr)
						}
					}
					if diff := cmp.Diff(before, ts.dump()); diff != "" {
						t.Errorf("the refused server changed the store (-before +after):\n%s", diff)
					}
				})
			}

			// The store's own region starts, with replication off too.
			s = startServe(t, ts.with(region("eu-west-1", false)), ts.args()...)
			if code := s.shutdown(); code != 0 {
				t.Fatalf("serve as eu-west-1 without replication exited %d", code)
			}
		})
	}
}
