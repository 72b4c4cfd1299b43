package bench

import (
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// metricsText is a cognate /metrics page cut to what the bench reads, at
// two scrapes: ListUsers has two outcomes, GetUser appears only in the
// second.
const metricsBefore = `# HELP cognate_request_duration_seconds Time to handle an API request.
# TYPE cognate_request_duration_seconds histogram
cognate_request_duration_seconds_bucket{operation="ListUsers",outcome="success",service="AWSCognitoIdentityProviderService",le="0.001"} 10
cognate_request_duration_seconds_bucket{operation="ListUsers",outcome="success",service="AWSCognitoIdentityProviderService",le="0.002"} 20
cognate_request_duration_seconds_bucket{operation="ListUsers",outcome="success",service="AWSCognitoIdentityProviderService",le="0.004"} 20
cognate_request_duration_seconds_bucket{operation="ListUsers",outcome="success",service="AWSCognitoIdentityProviderService",le="+Inf"} 20
cognate_request_duration_seconds_sum{operation="ListUsers",outcome="success",service="AWSCognitoIdentityProviderService"} 0.02
cognate_request_duration_seconds_count{operation="ListUsers",outcome="success",service="AWSCognitoIdentityProviderService"} 20
# HELP cognate_requests_total API requests handled.
# TYPE cognate_requests_total counter
cognate_requests_total{operation="ListUsers",outcome="success",service="AWSCognitoIdentityProviderService"} 20
`

const metricsAfter = `# HELP cognate_request_duration_seconds Time to handle an API request.
# TYPE cognate_request_duration_seconds histogram
cognate_request_duration_seconds_bucket{operation="ListUsers",outcome="success",service="AWSCognitoIdentityProviderService",le="0.001"} 10
cognate_request_duration_seconds_bucket{operation="ListUsers",outcome="success",service="AWSCognitoIdentityProviderService",le="0.002"} 70
cognate_request_duration_seconds_bucket{operation="ListUsers",outcome="success",service="AWSCognitoIdentityProviderService",le="0.004"} 118
cognate_request_duration_seconds_bucket{operation="ListUsers",outcome="success",service="AWSCognitoIdentityProviderService",le="+Inf"} 119
cognate_request_duration_seconds_sum{operation="ListUsers",outcome="success",service="AWSCognitoIdentityProviderService"} 0.3
cognate_request_duration_seconds_count{operation="ListUsers",outcome="success",service="AWSCognitoIdentityProviderService"} 119
cognate_request_duration_seconds_bucket{operation="ListUsers",outcome="InvalidParameterException",service="AWSCognitoIdentityProviderService",le="0.001"} 1
cognate_request_duration_seconds_bucket{operation="ListUsers",outcome="InvalidParameterException",service="AWSCognitoIdentityProviderService",le="0.002"} 1
cognate_request_duration_seconds_bucket{operation="ListUsers",outcome="InvalidParameterException",service="AWSCognitoIdentityProviderService",le="0.004"} 1
cognate_request_duration_seconds_bucket{operation="ListUsers",outcome="InvalidParameterException",service="AWSCognitoIdentityProviderService",le="+Inf"} 1
cognate_request_duration_seconds_sum{operation="ListUsers",outcome="InvalidParameterException",service="AWSCognitoIdentityProviderService"} 0.0005
cognate_request_duration_seconds_count{operation="ListUsers",outcome="InvalidParameterException",service="AWSCognitoIdentityProviderService"} 1
cognate_request_duration_seconds_bucket{operation="GetUser",outcome="success",service="AWSCognitoIdentityProviderService",le="0.001"} 3
cognate_request_duration_seconds_bucket{operation="GetUser",outcome="success",service="AWSCognitoIdentityProviderService",le="0.002"} 4
cognate_request_duration_seconds_bucket{operation="GetUser",outcome="success",service="AWSCognitoIdentityProviderService",le="0.004"} 4
cognate_request_duration_seconds_bucket{operation="GetUser",outcome="success",service="AWSCognitoIdentityProviderService",le="+Inf"} 4
cognate_request_duration_seconds_sum{operation="GetUser",outcome="success",service="AWSCognitoIdentityProviderService"} 0.003
cognate_request_duration_seconds_count{operation="GetUser",outcome="success",service="AWSCognitoIdentityProviderService"} 4
`

// TestServerTimes reads the window between two scrapes: the outcomes of an
// operation add up, the earlier scrape's counts are taken off, and the
// quantiles are interpolated within their buckets as histogram_quantile
// does.
func TestServerTimes(t *testing.T) {
	before, err := parseDurations(strings.NewReader(metricsBefore))
	if err != nil {
		t.Fatal(err)
	}
	after, err := parseDurations(strings.NewReader(metricsAfter))
	if err != nil {
		t.Fatal(err)
	}
	got, err := serverTimes(before, after)
	if err != nil {
		t.Fatal(err)
	}
	// ListUsers in the window: 1 + 50 + 48 + 1 = 100 requests, 1 at most
	// 1 ms, 51 at most 2 ms, 99 at most 4 ms, one slower. The median (rank
	// 50) is 49/50 of the way through (1, 2]; the p99 (rank 99) is the end
	// of (2, 4]. GetUser: 4 requests, the median (rank 2) 2/3 of the way
	// through (0, 1]; the p99 (rank 3.96) 0.96 through (1, 2].
	want := []ServerTime{
		{Operation: "GetUser", Count: 4, P50Ms: 2.0 / 3, P50LeMs: 1, P99Ms: 1.96, P99LeMs: 2},
		{Operation: "ListUsers", Count: 100, P50Ms: 1 + 49.0/50, P50LeMs: 2, P99Ms: 4, P99LeMs: 4},
	}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b float64) bool { return math.Abs(a-b) < 1e-9 })); diff != "" {
		t.Errorf("server times (-want +got):\n%s", diff)
	}

	// A quantile in the unbounded bucket has only the lower edge.
	h := &histogram{upper: []float64{0.001, math.Inf(1)}, counts: []uint64{1, 10}}
	if ms, le := h.quantile(0.99); ms != 1 || le != 0 {
		t.Errorf("p99 in the +Inf bucket: %v ms, le %v; want 1 ms, no upper edge", ms, le)
	}

	// A restarted server (counts going down) is an error, not a negative count.
	if _, err := serverTimes(after, before); err == nil {
		t.Error("counts going down: no error")
	}
	// A page without the histogram (not cognate) is refused.
	if _, err := parseDurations(strings.NewReader("# TYPE up gauge\nup 1\n")); err == nil {
		t.Error("metrics without the histogram: no error")
	}
}
