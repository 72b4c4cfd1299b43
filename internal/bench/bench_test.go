package bench

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/google/go-cmp/cmp"
)

func TestPercentile(t *testing.T) {
	lat := make([]time.Duration, 100)
	for i := range lat {
		lat[i] = time.Duration(i+1) * time.Millisecond
	}
	tests := []struct {
		name string
		lat  []time.Duration
		q    float64
		want time.Duration
	}{
		{"p50 of 100", lat, 0.50, 50 * time.Millisecond},
		{"p95 of 100", lat, 0.95, 95 * time.Millisecond},
		{"p99 of 100", lat, 0.99, 99 * time.Millisecond},
		{"one sample", lat[:1], 0.99, time.Millisecond},
		{"p50 of 3", lat[:3], 0.50, 2 * time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := percentile(tc.lat, tc.q); got != tc.want {
				t.Errorf("percentile = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestOpStats(t *testing.T) {
	var s opStats
	for i := range 10 {
		s.record(time.Duration(10-i)*time.Millisecond, nil)
	}
	for range 5 {
		s.record(time.Second, errors.New("boom"))
	}
	var other opStats
	other.record(time.Millisecond, errors.New("bang"))
	s.merge(&other)
	got := s.result("op", 2*time.Second)
	want := OpResult{Operation: "op", Count: 10, Errors: 6, OpsPerSecond: 5, P50Ms: 5, P95Ms: 10, P99Ms: 10, MaxMs: 10,
		ErrorSamples: []string{"boom", "bang"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("result (-want +got):\n%s", diff)
	}
}

func TestBoundTerms(t *testing.T) {
	bounds := map[string]Bound{
		BoundArgon2id:  {OpsPerSecond: 50},   // 20 ms
		BoundRS256Sign: {OpsPerSecond: 1000}, // 1 ms
	}
	tests := []struct {
		terms    boundTerms
		wantName string
		wantRate float64
		wantOK   bool
	}{
		{boundTerms{BoundArgon2id: 1, BoundRS256Sign: 2}, "argon2id + 2×rs256-sign", 1 / 0.022, true},
		{boundTerms{BoundRS256Sign: 2}, "2×rs256-sign", 500, true},
		{boundTerms{BoundSRPServerStep: 1}, "srp-server-step", 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.wantName, func(t *testing.T) {
			if got := tc.terms.String(); got != tc.wantName {
				t.Errorf("String = %q, want %q", got, tc.wantName)
			}
			rate, ok := tc.terms.rate(bounds)
			if ok != tc.wantOK || math.Abs(rate-tc.wantRate) > 1e-9 {
				t.Errorf("rate = %v, %v; want %v, %v", rate, ok, tc.wantRate, tc.wantOK)
			}
		})
	}
}

func TestCheckListUsers(t *testing.T) {
	user := func(email string) types.UserType {
		return types.UserType{Username: aws.String("u"), Attributes: []types.AttributeType{{Name: aws.String("email"), Value: aws.String(email)}}}
	}
	many := make([]types.UserType, 61)
	for i := range many {
		many[i] = user("bench-user-0000000@bench.example.com")
	}
	tests := []struct {
		name    string
		users   []types.UserType
		prefix  string
		wantErr bool
	}{
		{"a page", many[:60], "", false},
		{"matching prefix", []types.UserType{user("bench-user-0001234@x")}, "bench-user-00012", false},
		{"no users", nil, "", true},
		{"past the limit", many, "", true},
		{"filter ignored", []types.UserType{user("bench-user-0001234@x"), user("bench-user-0009999@x")}, "bench-user-00012", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := checkListUsers(tc.users, tc.prefix, 100); (err != nil) != tc.wantErr {
				t.Errorf("checkListUsers = %v, want error %v", err, tc.wantErr)
			}
		})
	}
}

func TestCompare(t *testing.T) {
	r := &Report{Targets: []TargetReport{
		{Name: "target", Results: []Result{
			{Scenario: "get-user", Concurrency: 1, OpsPerSecond: 100, P50Ms: 1},
			{Scenario: "user-srp-auth", Concurrency: 1, OpsPerSecond: 50},
			{Scenario: "list-users", Concurrency: 1, OpsPerSecond: 40},
		}},
		{Name: "compare", Results: []Result{
			{Scenario: "get-user", Concurrency: 1, OpsPerSecond: 25, P50Ms: 4},
			{Scenario: "user-srp-auth", Skipped: "unsupported"},
			{Scenario: "list-users", Concurrency: 1, OpsPerSecond: 10, Errors: 2},
		}},
	}}
	r.compare()
	want := []Comparison{
		{Scenario: "get-user", Concurrency: 1, Target: 100, Compare: 25, Ratio: 4, TargetP50Ms: 1, CompareP50Ms: 4},
		{Scenario: "user-srp-auth", Concurrency: 1, Target: 50, CompareSkipped: "unsupported"},
		{Scenario: "list-users", Concurrency: 1, Target: 40, Compare: 10, CompareSkipped: "errors in a run: no ratio"},
	}
	if diff := cmp.Diff(want, r.Comparison); diff != "" {
		t.Errorf("comparison (-want +got):\n%s", diff)
	}
}

func TestOptionsCheck(t *testing.T) {
	ok := Options{Target: Target{Endpoint: "http://127.0.0.1:1"}, Concurrency: []int{1}, Duration: time.Second, MaxOps: 1, Users: 1}
	if err := ok.check(); err != nil {
		t.Fatalf("valid options: %v", err)
	}
	bad := Options{Concurrency: []int{0}, Duration: -1, Users: 0, Scenarios: []string{"nap"}}
	want := "endpoint: required\nconcurrency: 0 is not between 1 and 1024\nduration: -1ns is not between 0 and 24h\n" +
		"max-ops: must be positive\nusers: 0 is not between 1 and 100,000,000\nscenarios: unknown scenario \"nap\""
	if err := bad.check(); err == nil || err.Error() != want {
		t.Errorf("check = %v, want\n%s", err, want)
	}
}
