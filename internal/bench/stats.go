package bench

import (
	"errors"
	"slices"
	"time"

	"github.com/aws/smithy-go"
)

// opStats collects one operation's latencies and errors for one worker;
// merge combines the workers'.
type opStats struct {
	lat    []time.Duration
	errors int64
	// samples holds up to maxErrorSamples distinct error messages.
	samples []string
}

const maxErrorSamples = 3

func (s *opStats) record(d time.Duration, err error) {
	if err != nil {
		s.errors++
		msg := errorText(err)
		if len(s.samples) < maxErrorSamples && !slices.Contains(s.samples, msg) {
			s.samples = append(s.samples, msg)
		}
		return
	}
	s.lat = append(s.lat, d)
}

func (s *opStats) merge(o *opStats) {
	s.lat = append(s.lat, o.lat...)
	s.errors += o.errors
	for _, m := range o.samples {
		if len(s.samples) < maxErrorSamples && !slices.Contains(s.samples, m) {
			s.samples = append(s.samples, m)
		}
	}
}

// errorText is an error as the report shows it: the API error's code and
// message when the server answered with one.
func errorText(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode() + ": " + ae.ErrorMessage()
	}
	msg := err.Error()
	if len(msg) > 300 {
		msg = msg[:300] + "…"
	}
	return msg
}

// Figures are the counts, rate and latencies of a scenario's iterations,
// or of one operation's calls, over a timed window.
type Figures struct {
	// Count is the iterations (or calls) that succeeded; Errors those that
	// failed after the SDK's retries.
	Count        int64    `json:"count"`
	Errors       int64    `json:"errors"`
	OpsPerSecond float64  `json:"ops_per_second"`
	P50Ms        float64  `json:"p50_ms"`
	P95Ms        float64  `json:"p95_ms"`
	P99Ms        float64  `json:"p99_ms"`
	MaxMs        float64  `json:"max_ms"`
	ErrorSamples []string `json:"error_samples,omitempty"`
}

// OpResult is one operation's figures in one run of a scenario.
type OpResult struct {
	Operation string `json:"operation"`
	Figures
}

func (s *opStats) result(name string, elapsed time.Duration) OpResult {
	slices.Sort(s.lat)
	r := OpResult{Operation: name, Figures: Figures{Count: int64(len(s.lat)), Errors: s.errors, ErrorSamples: s.samples}}
	if elapsed > 0 {
		r.OpsPerSecond = float64(len(s.lat)) / elapsed.Seconds()
	}
	if n := len(s.lat); n > 0 {
		r.P50Ms = ms(percentile(s.lat, 0.50))
		r.P95Ms = ms(percentile(s.lat, 0.95))
		r.P99Ms = ms(percentile(s.lat, 0.99))
		r.MaxMs = ms(s.lat[n-1])
	}
	return r
}

// percentile is the nearest-rank percentile of sorted, non-empty lat.
func percentile(lat []time.Duration, q float64) time.Duration {
	i := int(q*float64(len(lat))+0.999999) - 1
	return lat[min(max(i, 0), len(lat)-1)]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
