package bench

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// The server's own handling time. cognate exports a histogram of the time
// it takes to handle each API request, by operation
// (cognate_request_duration_seconds on /metrics), from the moment its API
// handler starts on a request to the moment the answer is written. The
// bench reads the histogram just before and just after each scenario's
// timed window and takes the difference: the requests of that window
// alone, counted by the server, without the client's time, the network or
// the queue for the CPUs before the handler runs. Quantiles are read from
// the buckets the way Prometheus's histogram_quantile reads them: linearly
// within the bucket that holds the quantile, so a figure is exact only to
// that bucket's width, which the report gives as the bucket's upper edge.

// durationMetric is the histogram the bench reads.
const durationMetric = "cognate_request_duration_seconds"

// histogram is one operation's cumulative bucket counts at one scrape:
// counts[i] requests took at most upper[i] seconds (the last upper is
// +Inf).
type histogram struct {
	upper  []float64
	counts []uint64
}

// durationScrape is one read of the histogram: per operation, the sum over
// outcomes.
type durationScrape map[string]*histogram

// scrapeDurations reads url (a cognate /metrics endpoint) and returns the
// request-duration histogram of every operation.
func scrapeDurations(ctx context.Context, c *http.Client, url string) (durationScrape, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "text/plain")
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return parseDurations(resp.Body)
}

// parseDurations reads the request-duration histogram from metrics in the
// Prometheus text format.
func parseDurations(r io.Reader) (durationScrape, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(r)
	if err != nil {
		return nil, fmt.Errorf("parse metrics: %w", err)
	}
	fam := fams[durationMetric]
	if fam == nil || fam.GetType() != dto.MetricType_HISTOGRAM {
		return nil, fmt.Errorf("no histogram %s in the metrics", durationMetric)
	}
	out := durationScrape{}
	for _, m := range fam.GetMetric() {
		op := ""
		for _, l := range m.GetLabel() {
			if l.GetName() == "operation" {
				op = l.GetValue()
			}
		}
		h := m.GetHistogram()
		if op == "" || h == nil {
			continue
		}
		cur := &histogram{}
		for _, b := range h.GetBucket() {
			cur.upper = append(cur.upper, b.GetUpperBound())
			cur.counts = append(cur.counts, b.GetCumulativeCount())
		}
		if n := len(cur.upper); n == 0 || !math.IsInf(cur.upper[n-1], 1) {
			cur.upper = append(cur.upper, math.Inf(1))
			cur.counts = append(cur.counts, h.GetSampleCount())
		}
		if prev := out[op]; prev != nil {
			if !slices.Equal(prev.upper, cur.upper) {
				return nil, fmt.Errorf("operation %s: the outcomes' buckets differ", op)
			}
			for i := range prev.counts {
				prev.counts[i] += cur.counts[i]
			}
			continue
		}
		out[op] = cur
	}
	return out, nil
}

// ServerTime is the server's own handling time of one operation's requests
// in a timed window, from its request-duration histogram.
type ServerTime struct {
	Operation string `json:"operation"`
	// Count is how many requests of the operation the server handled in
	// the window, whatever their outcome.
	Count uint64 `json:"count"`
	// P50Ms and P99Ms are read from the buckets, linearly within the
	// bucket that holds the quantile; P50LeMs and P99LeMs are those
	// buckets' upper edges, which the quantile does not exceed. A quantile
	// in the last, unbounded bucket has only its lower edge as P..Ms and
	// no upper edge.
	P50Ms   float64 `json:"p50_ms"`
	P50LeMs float64 `json:"p50_le_ms,omitempty"`
	P99Ms   float64 `json:"p99_ms"`
	P99LeMs float64 `json:"p99_le_ms,omitempty"`
}

// serverTimes returns, for every operation the server handled between the
// scrapes before and after, its handling time in that window, by
// operation name.
func serverTimes(before, after durationScrape) ([]ServerTime, error) {
	var out []ServerTime
	for op, a := range after {
		d := &histogram{upper: a.upper, counts: slices.Clone(a.counts)}
		if b := before[op]; b != nil {
			if !slices.Equal(a.upper, b.upper) {
				return nil, fmt.Errorf("operation %s: the buckets changed between scrapes", op)
			}
			for i := range d.counts {
				if d.counts[i] < b.counts[i] {
					return nil, fmt.Errorf("operation %s: the counts went down between scrapes (a restarted server?)", op)
				}
				d.counts[i] -= b.counts[i]
			}
		}
		n := d.counts[len(d.counts)-1]
		if n == 0 {
			continue
		}
		st := ServerTime{Operation: op, Count: n}
		st.P50Ms, st.P50LeMs = d.quantile(0.50)
		st.P99Ms, st.P99LeMs = d.quantile(0.99)
		out = append(out, st)
	}
	slices.SortFunc(out, func(x, y ServerTime) int {
		if x.Operation < y.Operation {
			return -1
		}
		if x.Operation > y.Operation {
			return 1
		}
		return 0
	})
	return out, nil
}

// quantile returns the q-quantile in milliseconds, interpolated within its
// bucket, and the bucket's upper edge (0 for the unbounded bucket, whose
// lower edge is then returned as the quantile).
func (h *histogram) quantile(q float64) (ms, leMs float64) {
	total := h.counts[len(h.counts)-1]
	rank := q * float64(total)
	for i, c := range h.counts {
		if float64(c) < rank {
			continue
		}
		lo, below := 0.0, uint64(0)
		if i > 0 {
			lo, below = h.upper[i-1], h.counts[i-1]
		}
		if math.IsInf(h.upper[i], 1) {
			return lo * 1000, 0
		}
		in := c - below
		v := h.upper[i]
		if in > 0 {
			v = lo + (h.upper[i]-lo)*(rank-float64(below))/float64(in)
		}
		return v * 1000, h.upper[i] * 1000
	}
	return 0, 0
}

// serverTimer scrapes one target's metrics around each timed window.
type serverTimer struct {
	url    string
	client *http.Client
}

// newServerTimer returns a timer for the metrics at url, or nil and why
// not when they cannot be read there (an endpoint that is not cognate).
func newServerTimer(ctx context.Context, url string) (*serverTimer, string) {
	if url == "" {
		return nil, "no metrics URL"
	}
	st := &serverTimer{url: url, client: &http.Client{Timeout: 30 * time.Second}}
	if _, err := st.scrape(ctx); err != nil {
		return nil, "server handling time unavailable: " + err.Error()
	}
	return st, ""
}

func (st *serverTimer) scrape(ctx context.Context) (durationScrape, error) {
	return scrapeDurations(ctx, st.client, st.url)
}

// msOrBlank formats a duration in milliseconds for the tables.
func msOrBlank(ms float64, count uint64) string {
	if count == 0 {
		return ""
	}
	return strconv.FormatFloat(ms, 'f', 2, 64)
}

// afterWindowPause is how long the bench waits after a timed window before
// reading the histogram again: the server records a request after writing
// its answer, so the client can see the last answers a moment before they
// are counted.
const afterWindowPause = 50 * time.Millisecond
