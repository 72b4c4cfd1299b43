package server

import (
	"bufio"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
)

// documentedMetrics reads the metrics table of docs/operations.md: each
// row's metric name and its labels (empty for the go_* and process_*
// families).
func documentedMetrics(t *testing.T) map[string]string {
	t.Helper()
	f, err := os.Open("../../docs/operations.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	row := regexp.MustCompile("^\\| `([a-z_*]+)` \\| *[a-z]* *\\| *([^|]*?) *\\|")
	docs := map[string]string{}
	inMetrics := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "## ") {
			inMetrics = line == "## Metrics"
			continue
		}
		if m := row.FindStringSubmatch(line); inMetrics && m != nil {
			docs[m[1]] = strings.ReplaceAll(strings.TrimSpace(m[2]), "`", "")
		}
	}
	if len(docs) == 0 {
		t.Fatal("docs/operations.md has no metrics table under ## Metrics")
	}
	return docs
}

// TestMetricsDocumented guards docs/operations.md's metrics table against
// drift: every metric a collector of Metrics describes is in the table with
// its labels, every cognate_ metric of the table is registered, and every
// family the registry serves is either in the table or one of the go_* and
// process_* families it lists. (cognate_messages_total was once missing
// from the docs.)
func TestMetricsDocumented(t *testing.T) {
	docs := documentedMetrics(t)
	m := NewMetrics()

	// Every field of Metrics that is a collector, so a metric added as a
	// field is checked without this test knowing its name.
	desc := regexp.MustCompile(`fqName: "([^"]+)".*variableLabels: \{([^}]*)\}\}$`)
	registered := map[string]string{}
	v := reflect.ValueOf(m).Elem()
	for i := range v.NumField() {
		c, ok := reflect.NewAt(v.Field(i).Type(), v.Field(i).Addr().UnsafePointer()).Elem().Interface().(prometheus.Collector)
		if !ok || v.Type().Field(i).Name == "registry" {
			continue
		}
		ch := make(chan *prometheus.Desc, 8)
		go func() { c.Describe(ch); close(ch) }()
		for d := range ch {
			sm := desc.FindStringSubmatch(d.String())
			if sm == nil {
				t.Fatalf("cannot read the name and labels of %s", d)
			}
			registered[sm[1]] = strings.ReplaceAll(sm[2], ",", ", ")
		}
	}
	if len(registered) == 0 {
		t.Fatal("Metrics has no collector fields")
	}
	for name, labels := range registered {
		doc, ok := docs[name]
		if !ok {
			t.Errorf("metric %s (labels %s) is not in docs/operations.md's metrics table", name, labels)
		} else if doc != labels {
			t.Errorf("metric %s: docs/operations.md lists labels %q, the metric has %q", name, doc, labels)
		}
	}
	for name := range docs {
		// The replication metrics are registered by cmd/cognate when
		// replication is on; its TestReplicationMetricsDocumented checks
		// them against the table.
		if _, ok := registered[name]; !ok && strings.HasPrefix(name, "cognate_") && !strings.HasPrefix(name, "cognate_replication_") {
			t.Errorf("docs/operations.md lists %s, which is not registered", name)
		}
	}

	// What the registry serves, once every metric has a sample.
	m.ObserveRequest("AWSCognitoIdentityProviderService", "InitiateAuth", "success", time.Millisecond)
	m.MessageDelivered("EMAIL", "smtp", nil)
	m.TriggerInvoked("PreAuthentication", "success", time.Millisecond)
	m.LogRecordsExported("logs", "delivered", 1)
	families, err := m.registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var served, undocumented []string
	for _, f := range families {
		name := f.GetName()
		served = append(served, name)
		_, documented := docs[name]
		for _, prefix := range []string{"go_", "process_"} {
			if _, listed := docs[prefix+"*"]; listed && strings.HasPrefix(name, prefix) {
				documented = true
			}
		}
		if !documented {
			undocumented = append(undocumented, name)
		}
	}
	if diff := cmp.Diff([]string(nil), undocumented); diff != "" {
		t.Errorf("families served at /metrics but not in docs/operations.md (-want +got):\n%s", diff)
	}
	for name := range registered {
		found := false
		for _, s := range served {
			found = found || s == name
		}
		if !found {
			t.Errorf("metric %s is not served", name)
		}
	}
}
