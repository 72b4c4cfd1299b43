package main

import (
	"bufio"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cognate-dev/cognate/internal/replication"
)

// TestReplicationMetricsDocumented checks the replication metrics against
// docs/operations.md's metrics table: each one registered is listed with
// its labels, and each cognate_replication_ row is registered.
func TestReplicationMetricsDocumented(t *testing.T) {
	f, err := os.Open("../../docs/operations.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	row := regexp.MustCompile("^\\| `(cognate_replication_[a-z_]+)` \\| *[a-z]* *\\| *([^|]*?) *\\|")
	docs := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if m := row.FindStringSubmatch(sc.Text()); m != nil {
			docs[m[1]] = strings.ReplaceAll(m[2], "`", "")
		}
	}
	peers := []string{"us-east-1", "eu-west-1"}
	node, err := replication.New(replication.Options{Store: struct{ replication.Store }{}, Region: "us-east-1", Peers: peers})
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	registerReplicationMetrics(reg, node, peers, "us-east-1", new(atomic.Bool))
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	served := map[string]bool{}
	for _, fam := range families {
		name := fam.GetName()
		served[name] = true
		var labels []string
		for _, m := range fam.GetMetric() {
			for _, l := range m.GetLabel() {
				if !slices.Contains(labels, l.GetName()) {
					labels = append(labels, l.GetName())
				}
			}
		}
		doc, ok := docs[name]
		if !ok {
			t.Errorf("metric %s is not in docs/operations.md's metrics table", name)
		} else if doc != strings.Join(labels, ", ") {
			t.Errorf("metric %s: docs list labels %q, the metric has %q", name, doc, strings.Join(labels, ", "))
		}
	}
	for name := range docs {
		if !served[name] {
			t.Errorf("docs/operations.md lists %s, which is not registered", name)
		}
	}
	if len(docs) < 10 {
		t.Errorf("only %d replication metrics in docs/operations.md", len(docs))
	}
}
