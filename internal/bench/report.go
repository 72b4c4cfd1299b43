package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
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
	// GOMAXPROCS is the bench's, and CPUList the CPUs it may run on
	// (Linux: what taskset or a cpuset gave it; CPUs counts them).
	GOMAXPROCS int    `json:"gomaxprocs"`
	CPUList    string `json:"cpu_list,omitempty"`
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
	// ServerTimeNote says why the results have no server handling times
	// when a metrics URL was given but could not be read.
	ServerTimeNote string   `json:"server_time_note,omitempty"`
	Results        []Result `json:"results"`
	CleanupError   string   `json:"cleanup_error,omitempty"`
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
	// ClockTicksPerSecond is the rate /proc counts CPU time in: the
	// resolution of the results' CPU figures.
	ClockTicksPerSecond int64 `json:"clock_ticks_per_second,omitempty"`
	// BenchProcess is set when PID is the bench's own process (a server
	// in the same process): its CPU time then includes the bench's.
	BenchProcess bool `json:"bench_process,omitempty"`
	// CPUList is the CPUs the server may run on, and SharesBenchCPUs
	// whether the bench may run on one of them too: then the bench's own
	// work (its SRP math, the SDK) and the bounds it measures share
	// cores with the server's requests. Pinning each to CPUs of its own
	// (taskset) keeps them apart.
	CPUList         string `json:"cpu_list,omitempty"`
	SharesBenchCPUs bool   `json:"shares_bench_cpus,omitempty"`
}

// Result is one scenario at one concurrency.
type Result struct {
	Scenario    string `json:"scenario"`
	Concurrency int    `json:"concurrency,omitempty"`
	// Skipped says why the scenario did not run ("" when it ran).
	Skipped string  `json:"skipped,omitempty"`
	Seconds float64 `json:"seconds,omitempty"`
	// Figures count whole iterations (both round trips of USER_SRP_AUTH,
	// SignUp with its confirmation).
	Figures
	Retries int64 `json:"retries"`
	// Bound is what bounds the scenario (e.g. "argon2id + 2×rs256-sign"),
	// BoundOpsPerSecond its rate on this machine at this concurrency
	// (capped at the CPUs), and OfBound the scenario's rate over it. The
	// rate, and BoundCPUUsPerOp below, come from BoundsAround, the terms
	// measured right before and right after this timed window, pooled; a
	// run without them (the bounds skipped) has none of these figures.
	Bound             string  `json:"bound,omitempty"`
	BoundNote         string  `json:"bound_note,omitempty"`
	BoundOpsPerSecond float64 `json:"bound_ops_per_second,omitempty"`
	OfBound           float64 `json:"of_bound,omitempty"`
	BoundsAround      []Bound `json:"bounds_around,omitempty"`
	// CPU figures, when the bench knows the server's process ID (Linux):
	// the CPU time (user and system) the server and the bench used over
	// the timed window, in seconds and per successful iteration, and the
	// server's successful iterations per second of its CPU ("per core").
	// BoundCPUUsPerOp is the bound's CPU time per operation at the
	// parallelism of BoundOpsPerSecond, and OfBoundCPU that over
	// ServerCPUUsPerOp: unlike OfBound, it does not count the bench's CPU
	// against the server. CPUNote says why figures are missing.
	ServerCPUSeconds      float64 `json:"server_cpu_seconds,omitempty"`
	ClientCPUSeconds      float64 `json:"client_cpu_seconds,omitempty"`
	ServerCPUUsPerOp      float64 `json:"server_cpu_us_per_op,omitempty"`
	ClientCPUUsPerOp      float64 `json:"client_cpu_us_per_op,omitempty"`
	ServerOpsPerCPUSecond float64 `json:"server_ops_per_cpu_second,omitempty"`
	BoundCPUUsPerOp       float64 `json:"bound_cpu_us_per_op,omitempty"`
	OfBoundCPU            float64 `json:"of_bound_cpu,omitempty"`
	// StartBoundCPUUsPerOp is the bound's CPU time per operation from the
	// bounds measured at the start of the run (Report.Bounds), and
	// OfStartBoundCPU the ratio against it that records before the bounds
	// were measured around each window reported as OfBoundCPU.
	StartBoundCPUUsPerOp float64 `json:"start_bound_cpu_us_per_op,omitempty"`
	OfStartBoundCPU      float64 `json:"of_start_bound_cpu,omitempty"`
	CPUNote              string  `json:"cpu_note,omitempty"`
	// Operations break a scenario of several calls down by call.
	Operations []OpResult `json:"operations,omitempty"`
	// ServerTimes are the server's own handling times of the operations
	// it served in the timed window, by operation, from its metrics
	// (Target.MetricsURL); ServerTimeNote says why they are missing.
	ServerTimes    []ServerTime `json:"server_times,omitempty"`
	ServerTimeNote string       `json:"server_time_note,omitempty"`
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
	// The servers' CPU time per successful iteration, when the bench knows
	// both process IDs, and ServerCPURatio the compared server's over the
	// target's: like Ratio, above 1 favours the target.
	TargetServerCPUUsPerOp  float64 `json:"target_server_cpu_us_per_op,omitempty"`
	CompareServerCPUUsPerOp float64 `json:"compare_server_cpu_us_per_op,omitempty"`
	ServerCPURatio          float64 `json:"server_cpu_ratio,omitempty"`
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
		c := Comparison{Scenario: x.Scenario, Concurrency: x.Concurrency, Target: x.OpsPerSecond, TargetP50Ms: x.P50Ms,
			TargetServerCPUUsPerOp: x.ServerCPUUsPerOp}
		if why, ok := skipped[x.Scenario]; ok {
			c.CompareSkipped = why
		} else if y, ok := other[key(x)]; ok && y.Errors == 0 && x.Errors == 0 && y.OpsPerSecond > 0 {
			c.Compare, c.CompareP50Ms, c.Ratio = y.OpsPerSecond, y.P50Ms, x.OpsPerSecond/y.OpsPerSecond
			c.CompareServerCPUUsPerOp = y.ServerCPUUsPerOp
			if x.ServerCPUUsPerOp > 0 && y.ServerCPUUsPerOp > 0 {
				c.ServerCPURatio = y.ServerCPUUsPerOp / x.ServerCPUUsPerOp
			}
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
	if r.Machine.CPUList != "" {
		fmt.Fprintf(&b, "bench on CPUs %s, GOMAXPROCS %d\n", r.Machine.CPUList, r.Machine.GOMAXPROCS)
	}
	if len(r.Bounds) > 0 {
		fmt.Fprintf(&b, "\nbounds, measured on this machine before the scenarios:\n")
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintf(tw, "bound\tgoroutines\tops/s\tµs/op\tCPU µs/op\t\t\n")
		for _, x := range r.Bounds {
			fmt.Fprintf(tw, "%s\t%d\t%.1f\t%.1f\t%s\t\t%s\n", x.Name, x.Parallelism, x.OpsPerSecond, x.NsPerOp/1000, usOrBlank(x.CPUNsPerOp/1000), x.Detail)
		}
		tw.Flush()
		fmt.Fprintf(&b, "µs/op: goroutines × wall time / operations; CPU µs/op: the CPU this process used per operation (far below µs/op: the machine was busy)\n")
	}
	cpuLegend, timeLegend := false, false
	for _, t := range r.Targets {
		fmt.Fprintf(&b, "\n%s %s, pool %s, %d users (%d preloaded through the API in %.1fs), %d SDK retries\n",
			t.Name, t.Endpoint, t.PoolID, t.Users, t.PreloadedUsers, t.PreloadSeconds, t.Retries)
		for _, msg := range t.RetrySamples {
			fmt.Fprintf(&b, "retried: %s\n", msg)
		}
		if s := t.Server; s != nil {
			fmt.Fprintf(&b, "server pid %d: RSS idle %s, after preload %s, at the end %s, peak %s\n",
				s.PID, mib(s.IdleRSSBytes), mib(s.LoadedRSSBytes), mib(s.RSSBytes), mib(s.PeakRSSBytes))
			switch {
			case s.CPUList != "" && s.SharesBenchCPUs && !s.BenchProcess:
				fmt.Fprintf(&b, "server on CPUs %s, shared with this bench: its work and the bounds compete with the server's\n", s.CPUList)
			case s.CPUList != "" && !s.BenchProcess:
				fmt.Fprintf(&b, "server on CPUs %s, none of them this bench's\n", s.CPUList)
			}
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
		if writeCPUTable(&b, t) && !cpuLegend {
			b.WriteString(cpuLegendText)
			cpuLegend = true
		}
		if writeServerTimeTable(&b, t) && !timeLegend {
			b.WriteString(serverTimeLegendText)
			timeLegend = true
		}
		if t.ServerTimeNote != "" {
			fmt.Fprintf(&b, "%s\n", t.ServerTimeNote)
		}
		if t.CleanupError != "" {
			fmt.Fprintf(&b, "cleanup failed: %s\n", t.CleanupError)
		}
	}
	if len(r.Comparison) > 0 {
		withCPU := slices.ContainsFunc(r.Comparison, func(c Comparison) bool {
			return c.TargetServerCPUUsPerOp > 0 || c.CompareServerCPUUsPerOp > 0
		})
		fmt.Fprintf(&b, "\ntarget over compare:\n")
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintf(tw, "scenario\tconc\ttarget ops/s\tcompare ops/s\tratio\ttarget p50 ms\tcompare p50 ms\t")
		if withCPU {
			fmt.Fprintf(tw, "target server µs/op\tcompare server µs/op\tCPU ratio\t")
		}
		fmt.Fprintf(tw, "\n")
		for _, c := range r.Comparison {
			cpu := ""
			if withCPU {
				cpu = "\t\t\t"
				if c.Compare != 0 || c.CompareSkipped == "" {
					cpu = fmt.Sprintf("%s\t%s\t%s\t", usOrBlank(c.TargetServerCPUUsPerOp), usOrBlank(c.CompareServerCPUUsPerOp), ratioOrDash(c.ServerCPURatio))
				}
			}
			if c.Compare == 0 && c.CompareSkipped != "" {
				fmt.Fprintf(tw, "%s\t%d\t%.1f\t\t\t\t\t%s  %s\n", c.Scenario, c.Concurrency, c.Target, cpu, c.CompareSkipped)
				continue
			}
			fmt.Fprintf(tw, "%s\t%d\t%.1f\t%.1f\t%s\t%.2f\t%.2f\t%s%s\n", c.Scenario, c.Concurrency, c.Target, c.Compare, ratioOrDash(c.Ratio),
				c.TargetP50Ms, c.CompareP50Ms, cpu, c.CompareSkipped)
		}
		tw.Flush()
		if withCPU {
			fmt.Fprintf(&b, "ratio: target ops/s over compare ops/s; CPU ratio: compare server µs/op over target server µs/op (above 1, the target's server spends less CPU per iteration)\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeCPUTable writes a target's CPU figures, and reports whether it had
// any.
func writeCPUTable(b *strings.Builder, t TargetReport) bool {
	if t.Server == nil || !slices.ContainsFunc(t.Results, func(x Result) bool { return x.ServerCPUSeconds > 0 || x.CPUNote != "" }) {
		return false
	}
	s := t.Server
	fmt.Fprintf(b, "\nCPU in each timed window, server pid %d and this bench, from /proc at %d ticks/s:\n", s.PID, s.ClockTicksPerSecond)
	if s.BenchProcess {
		fmt.Fprintf(b, "(pid %d is this bench's own process: server and bench figures both count the two together)\n", s.PID)
	}
	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "scenario\tconc\tserver µs/op\tserver ops/CPU-s\tbench µs/op\tbound µs/op\tof bound (CPU)\tat start\t\n")
	for _, x := range t.Results {
		if x.Skipped != "" {
			continue
		}
		if x.ServerCPUUsPerOp == 0 {
			fmt.Fprintf(tw, "%s\t%d\t\t\t\t\t\t\t  %s\n", x.Scenario, x.Concurrency, x.CPUNote)
			continue
		}
		bound, of := "", ""
		if x.OfBoundCPU > 0 {
			bound, of = fmt.Sprintf("%.1f", x.BoundCPUUsPerOp), fmt.Sprintf("%.2f", x.OfBoundCPU)
		}
		start := ""
		if x.OfStartBoundCPU > 0 {
			start = fmt.Sprintf("%.2f", x.OfStartBoundCPU)
		}
		fmt.Fprintf(tw, "%s\t%d\t%.1f\t%.1f\t%s\t%s\t%s\t%s\t%s\n", x.Scenario, x.Concurrency, x.ServerCPUUsPerOp, x.ServerOpsPerCPUSecond,
			usOrBlank(x.ClientCPUUsPerOp), bound, of, start, x.CPUNote)
	}
	tw.Flush()
	return true
}

// writeServerTimeTable writes a target's server handling times, and
// reports whether it had any.
func writeServerTimeTable(b *strings.Builder, t TargetReport) bool {
	if !slices.ContainsFunc(t.Results, func(x Result) bool { return len(x.ServerTimes) > 0 || x.ServerTimeNote != "" }) {
		return false
	}
	fmt.Fprintf(b, "\nserver handling time in each timed window, from the server's request-duration histogram:\n")
	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "scenario\tconc\toperation\trequests\tp50 ms\t(≤)\tp99 ms\t(≤)\t\n")
	for _, x := range t.Results {
		if x.Skipped != "" {
			continue
		}
		if x.ServerTimeNote != "" {
			fmt.Fprintf(tw, "%s\t%d\t\t\t\t\t\t\t  %s\n", x.Scenario, x.Concurrency, x.ServerTimeNote)
		}
		for _, st := range x.ServerTimes {
			fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%s\t%s\t%s\t%s\t\n", x.Scenario, x.Concurrency, st.Operation, st.Count,
				msOrBlank(st.P50Ms, st.Count), leOrInf(st.P50LeMs), msOrBlank(st.P99Ms, st.Count), leOrInf(st.P99LeMs))
		}
	}
	tw.Flush()
	return true
}

// leOrInf formats a bucket's upper edge, or says the bucket is unbounded.
func leOrInf(ms float64) string {
	if ms <= 0 {
		return "inf"
	}
	return fmt.Sprintf("%.2f", ms)
}

// serverTimeLegendText explains the server-time tables, after the first one.
const serverTimeLegendText = `server handling time: from the server's start on a request to its answer written, per operation, as the
  server's histogram counted it in the window (the client, the network and the wait for a CPU before the
  handler runs are not in it); p50 and p99 are interpolated within their bucket, (≤) is that bucket's upper edge.
`

// cpuLegendText explains the CPU tables' columns, after the first one.
const cpuLegendText = `server µs/op: the server's CPU time (user + system, all threads) in the window per successful iteration;
  server ops/CPU-s: successful iterations per second of server CPU, i.e. per core kept busy.
bench µs/op: the same for this process (request building, signing and decoding, the client's SRP math).
bound µs/op: the bound's CPU time per operation (per term: this process's CPU per operation while it measured it,
  right before and right after the window);
  of bound (CPU): bound µs/op over server µs/op. 1 would mean the server spends its CPU on the bounding
  cryptography alone; unlike "of bound", the bench's CPU on the same cores does not count against it.
  at start: the same ratio against the bounds measured at the start of the run.
`

func usOrBlank(us float64) string {
	if us <= 0 {
		return ""
	}
	return fmt.Sprintf("%.1f", us)
}

func ratioOrDash(r float64) string {
	if r <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", r)
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }
