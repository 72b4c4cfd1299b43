package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// ReportVersion is the version of the JSON report's shape.
const ReportVersion = 1

// Report is the outcome of Run; its JSON form is what --json prints.
type Report struct {
	Version  int       `json:"version"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	Machine  Machine   `json:"machine"`
	Settings Settings  `json:"settings"`
	// Bounds are the bounds measured before the scenarios, at each
	// parallelism the concurrency levels need.
	Bounds  []Bound        `json:"bounds,omitempty"`
	Targets []TargetReport `json:"targets"`
	// Comparison is the target's rate over the compared endpoint's, per
	// scenario and concurrency both ran without errors.
	Comparison []Comparison `json:"comparison,omitempty"`
}

// Machine is where the bench ran.
type Machine struct {
	GOOS      string `json:"goos"`
	GOARCH    string `json:"goarch"`
	CPUs      int    `json:"cpus"`
	GoVersion string `json:"go_version"`
}

// Settings are the options the run had.
type Settings struct {
	Concurrency     []int    `json:"concurrency"`
	DurationSeconds float64  `json:"duration_seconds"`
	MaxOps          int64    `json:"max_ops"`
	Users           int      `json:"users"`
	Scenarios       []string `json:"scenarios"`
	Seed            uint64   `json:"seed"`
	BoundSeconds    float64  `json:"bound_seconds"`
}

// TargetReport is one endpoint's figures.
type TargetReport struct {
	// Name is "target" or "compare".
	Name     string `json:"name"`
	Endpoint string `json:"endpoint"`
	PoolID   string `json:"pool_id"`
	Users    int    `json:"users"`
	// PreloadedUsers were created through the API in PreloadSeconds.
	PreloadedUsers int     `json:"preloaded_users"`
	PreloadSeconds float64 `json:"preload_seconds"`
	// Retries counts the SDK's retries of transport errors and 5xx
	// answers; only final failures count as errors.
	Retries      int64         `json:"retries"`
	RetrySamples []string      `json:"retry_samples,omitempty"`
	Server       *ServerReport `json:"server,omitempty"`
	Results      []Result      `json:"results"`
	CleanupError string        `json:"cleanup_error,omitempty"`
}

// ServerReport is the server process's memory, read from /proc when the
// bench knows its process ID.
type ServerReport struct {
	PID int `json:"pid"`
	// IdleRSSBytes is before the bench created anything; LoadedRSSBytes
	// after the preload; RSSBytes and PeakRSSBytes (VmHWM, the peak since
	// the process started) after the scenarios.
	IdleRSSBytes   int64 `json:"idle_rss_bytes"`
	LoadedRSSBytes int64 `json:"loaded_rss_bytes"`
	RSSBytes       int64 `json:"rss_bytes"`
	PeakRSSBytes   int64 `json:"peak_rss_bytes"`
}

// Result is one scenario at one concurrency.
type Result struct {
	Scenario    string `json:"scenario"`
	Concurrency int    `json:"concurrency,omitempty"`
	// Skipped says why the scenario did not run ("" when it ran).
	Skipped string  `json:"skipped,omitempty"`
	Seconds float64 `json:"seconds,omitempty"`
	// Count is the iterations that succeeded, Errors those that failed;
	// latencies are of whole iterations (both round trips of
	// USER_SRP_AUTH, SignUp with its confirmation).
	Count        int64    `json:"count"`
	Errors       int64    `json:"errors"`
	OpsPerSecond float64  `json:"ops_per_second"`
	P50Ms        float64  `json:"p50_ms"`
	P95Ms        float64  `json:"p95_ms"`
	P99Ms        float64  `json:"p99_ms"`
	MaxMs        float64  `json:"max_ms"`
	ErrorSamples []string `json:"error_samples,omitempty"`
	Retries      int64    `json:"retries"`
	// Bound is what bounds the scenario (e.g. "argon2id + 2×rs256-sign"),
	// BoundOpsPerSecond its rate on this machine at this concurrency
	// (capped at the CPUs), and OfBound the scenario's rate over it.
	Bound             string  `json:"bound,omitempty"`
	BoundNote         string  `json:"bound_note,omitempty"`
	BoundOpsPerSecond float64 `json:"bound_ops_per_second,omitempty"`
	OfBound           float64 `json:"of_bound,omitempty"`
	// Operations break a scenario of several calls down by call.
	Operations []OpResult `json:"operations,omitempty"`
}

// Comparison is one scenario's rate on the target over its rate on the
// compared endpoint.
type Comparison struct {
	Scenario       string  `json:"scenario"`
	Concurrency    int     `json:"concurrency"`
	Target         float64 `json:"target_ops_per_second"`
	Compare        float64 `json:"compare_ops_per_second"`
	Ratio          float64 `json:"ratio"`
	TargetP50Ms    float64 `json:"target_p50_ms"`
	CompareP50Ms   float64 `json:"compare_p50_ms"`
	CompareSkipped string  `json:"compare_skipped,omitempty"`
}

func (r *Report) compare() {
	if len(r.Targets) < 2 {
		return
	}
	key := func(x Result) string { return fmt.Sprintf("%s/%d", x.Scenario, x.Concurrency) }
	other := map[string]Result{}
	skipped := map[string]string{}
	for _, x := range r.Targets[1].Results {
		other[key(x)] = x
		if x.Skipped != "" {
			skipped[x.Scenario] = x.Skipped
		}
	}
	for _, x := range r.Targets[0].Results {
		if x.Skipped != "" {
			continue
		}
		c := Comparison{Scenario: x.Scenario, Concurrency: x.Concurrency, Target: x.OpsPerSecond, TargetP50Ms: x.P50Ms}
		if why, ok := skipped[x.Scenario]; ok {
			c.CompareSkipped = why
		} else if y, ok := other[key(x)]; ok && y.Errors == 0 && x.Errors == 0 && y.OpsPerSecond > 0 {
			c.Compare, c.CompareP50Ms, c.Ratio = y.OpsPerSecond, y.P50Ms, x.OpsPerSecond/y.OpsPerSecond
		} else if ok {
			c.Compare, c.CompareP50Ms = y.OpsPerSecond, y.P50Ms
			c.CompareSkipped = "errors in a run: no ratio"
		}
		r.Comparison = append(r.Comparison, c)
	}
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteTable writes the report as tables for a terminal.
func (r *Report) WriteTable(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "cognate bench, %s, %d CPUs, %s/%s, %s; %v per run, users %d\n",
		r.Started.Format(time.RFC3339), r.Machine.CPUs, r.Machine.GOOS, r.Machine.GOARCH, r.Machine.GoVersion,
		time.Duration(r.Settings.DurationSeconds*float64(time.Second)), r.Settings.Users)
	if len(r.Bounds) > 0 {
		fmt.Fprintf(&b, "\nbounds, measured on this machine before the scenarios:\n")
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintf(tw, "bound\tgoroutines\tops/s\tµs/op\t\t\n")
		for _, x := range r.Bounds {
			fmt.Fprintf(tw, "%s\t%d\t%.1f\t%.1f\t\t%s\n", x.Name, x.Parallelism, x.OpsPerSecond, x.NsPerOp/1000, x.Detail)
		}
		tw.Flush()
	}
	for _, t := range r.Targets {
		fmt.Fprintf(&b, "\n%s %s, pool %s, %d users (%d preloaded through the API in %.1fs), %d SDK retries\n",
			t.Name, t.Endpoint, t.PoolID, t.Users, t.PreloadedUsers, t.PreloadSeconds, t.Retries)
		for _, msg := range t.RetrySamples {
			fmt.Fprintf(&b, "retried: %s\n", msg)
		}
		if s := t.Server; s != nil {
			fmt.Fprintf(&b, "server pid %d: RSS idle %s, after preload %s, at the end %s, peak %s\n",
				s.PID, mib(s.IdleRSSBytes), mib(s.LoadedRSSBytes), mib(s.RSSBytes), mib(s.PeakRSSBytes))
		}
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintf(tw, "scenario\tconc\tops/s\tp50 ms\tp95 ms\tp99 ms\terrors\tbound/s\tof bound\t\n")
		for _, x := range t.Results {
			if x.Skipped != "" {
				fmt.Fprintf(tw, "%s\t\t\t\t\t\t\t\t\t  skipped: %s\n", x.Scenario, x.Skipped)
				continue
			}
			bound, of := "", ""
			if x.BoundOpsPerSecond > 0 {
				bound, of = fmt.Sprintf("%.1f", x.BoundOpsPerSecond), fmt.Sprintf("%.2f", x.OfBound)
			}
			fmt.Fprintf(tw, "%s\t%d\t%.1f\t%.2f\t%.2f\t%.2f\t%d\t%s\t%s\t\n",
				x.Scenario, x.Concurrency, x.OpsPerSecond, x.P50Ms, x.P95Ms, x.P99Ms, x.Errors, bound, of)
			for _, op := range x.Operations {
				fmt.Fprintf(tw, "  %s\t\t%.1f\t%.2f\t%.2f\t%.2f\t%d\t\t\t\n", op.Operation, op.OpsPerSecond, op.P50Ms, op.P95Ms, op.P99Ms, op.Errors)
			}
			for _, e := range x.ErrorSamples {
				fmt.Fprintf(tw, "  error: %s\t\t\t\t\t\t\t\t\t\n", e)
			}
		}
		tw.Flush()
		if t.CleanupError != "" {
			fmt.Fprintf(&b, "cleanup failed: %s\n", t.CleanupError)
		}
	}
	if len(r.Comparison) > 0 {
		fmt.Fprintf(&b, "\ntarget over compare:\n")
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintf(tw, "scenario\tconc\ttarget ops/s\tcompare ops/s\tratio\ttarget p50 ms\tcompare p50 ms\t\n")
		for _, c := range r.Comparison {
			if c.Compare == 0 && c.CompareSkipped != "" {
				fmt.Fprintf(tw, "%s\t%d\t%.1f\t\t\t\t\t  %s\n", c.Scenario, c.Concurrency, c.Target, c.CompareSkipped)
				continue
			}
			ratio := "-"
			if c.Ratio > 0 {
				ratio = fmt.Sprintf("%.2f", c.Ratio)
			}
			fmt.Fprintf(tw, "%s\t%d\t%.1f\t%.1f\t%s\t%.2f\t%.2f\t%s\n", c.Scenario, c.Concurrency, c.Target, c.Compare, ratio, c.TargetP50Ms, c.CompareP50Ms, c.CompareSkipped)
		}
		tw.Flush()
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }
