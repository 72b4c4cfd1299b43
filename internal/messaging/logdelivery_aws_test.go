package messaging

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/go-cmp/cmp"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/cognate-dev/cognate/internal/messaging/awslogtest"
)

const (
	testLogGroupARN  = "arn:aws:logs:eu-west-1:123456789012:log-group:/cognito/events"
	testStreamARN    = "arn:aws:firehose:eu-west-1:123456789012:deliverystream/auth-events"
	testBucketARN    = "arn:aws:s3:::cognito-logs"
	testAKID         = "AKIDCOGNATETEST"
	testSecret       = "test-secret"
	testWrongSecret  = "not-the-secret"
	fastFlush        = 20 * time.Millisecond
	fastBackoff      = 10 * time.Millisecond
	deliveryDeadline = 10 * time.Second
)

// countingObserver keeps the LogObserver counts.
type countingObserver struct {
	mu sync.Mutex
	n  map[string]int
}

func (o *countingObserver) LogRecordsExported(via, outcome string, n int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.n == nil {
		o.n = map[string]int{}
	}
	o.n[via+"/"+outcome] += n
}

func (o *countingObserver) get(key string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.n[key]
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(deliveryDeadline)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func record(i int) LogRecord {
	return NewLogRecord(time.UnixMilli(1765081234000+int64(i)), LogSourceUserAuthEvents, "INFO", "us-east-1_EXAMPLE",
		map[string]any{"eventId": fmt.Sprintf("event-%d", i)})
}

func awsExporter(t *testing.T, a AWSLogDelivery, dests []LogDestination) (*LogExporter, *countingObserver) {
	t.Helper()
	isolateAWSConfig(t)
	if a.Credentials == nil {
		a.Credentials = credentials.NewStaticCredentialsProvider(testAKID, testSecret, "")
	}
	a.MaxBackoff, a.Node = fastBackoff, "node-1"
	obs := &countingObserver{}
	e, err := NewLogExporterWithAWS(dests, a, obs, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	return e, obs
}

func TestLogExporterCloudWatchLogs(t *testing.T) {
	srv := awslogtest.New(testAKID, testSecret)
	defer srv.Close()
	srv.AddLogGroup("/cognito/events")
	e, obs := awsExporter(t, AWSLogDelivery{CloudWatchLogs: &AWSLogService{Endpoint: srv.URL, FlushInterval: fastFlush}}, nil)
	if !e.Knows(testLogGroupARN) {
		t.Fatal("the log group ARN is not known with CloudWatch Logs on")
	}
	if e.Knows(testStreamARN) || e.Knows(testBucketARN) {
		t.Fatal("an ARN of a service that is off is known")
	}
	// Two throttled answers first: the SDK's retryer sends the batch again.
	srv.FailRequests(2, http.StatusBadRequest, "ThrottlingException")
	const n = 25
	for i := range n {
		e.Export(testLogGroupARN, record(i))
	}
	waitFor(t, "the events", func() bool { return len(srv.Events("/cognito/events")) == n })
	events := srv.Events("/cognito/events")
	for i, ev := range events {
		var rec LogRecord
		if err := json.Unmarshal([]byte(ev.Message), &rec); err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
		want := record(i)
		if ev.Timestamp != 1765081234000+int64(i) || rec.EventTimestamp != want.EventTimestamp || rec.EventSource != LogSourceUserAuthEvents ||
			rec.LogSourceID.UserPoolID != "us-east-1_EXAMPLE" || !strings.HasPrefix(ev.Stream, "node-1-") {
			t.Errorf("event %d = %+v (record %+v)", i, ev, rec)
		}
	}
	// 25 records within the flush interval share few requests, not one each.
	if put := srv.Requests("PutLogEvents"); put > 5 {
		t.Errorf("%d PutLogEvents requests for %d records, want them batched", put, n)
	}
	waitFor(t, "the count", func() bool { return obs.get("logs/delivered") == n })
	if srv.BadSignatures() != 0 {
		t.Errorf("%d requests refused for their signature", srv.BadSignatures())
	}
}

func TestLogExporterFirehose(t *testing.T) {
	srv := awslogtest.New(testAKID, testSecret)
	defer srv.Close()
	srv.AddDeliveryStream("auth-events")
	e, obs := awsExporter(t, AWSLogDelivery{Firehose: &AWSLogService{Endpoint: srv.URL, FlushInterval: fastFlush}}, nil)
	// Three records refused by Firehose in the first answer are sent again.
	srv.FailRecords(3)
	const n = 10
	for i := range n {
		e.Export(testStreamARN, record(i))
	}
	waitFor(t, "the records", func() bool { return len(srv.Records("auth-events")) == n })
	seen := map[string]bool{}
	for _, r := range srv.Records("auth-events") {
		if !bytes.HasSuffix(r, []byte("\n")) {
			t.Errorf("record %q does not end its line", r)
		}
		var rec struct {
			Message struct {
				EventID string `json:"eventId"`
			} `json:"message"`
		}
		if err := json.Unmarshal(r, &rec); err != nil {
			t.Fatal(err)
		}
		seen[rec.Message.EventID] = true
	}
	if len(seen) != n {
		t.Errorf("%d distinct records, want %d: %v", len(seen), n, seen)
	}
	waitFor(t, "the count", func() bool { return obs.get("firehose/delivered") == n })
	if f := obs.get("firehose/failed"); f != 0 {
		t.Errorf("%d records counted failed", f)
	}
}

func TestLogExporterFailuresAreCounted(t *testing.T) {
	srv := awslogtest.New(testAKID, testSecret)
	defer srv.Close()
	srv.AddDeliveryStream("auth-events")
	// The group of the CloudWatch ARN does not exist; the Firehose stream
	// answers 503 to every attempt; and requests signed with a wrong secret
	// are refused.
	e, obs := awsExporter(t, AWSLogDelivery{
		CloudWatchLogs: &AWSLogService{Endpoint: srv.URL, FlushInterval: fastFlush},
		Firehose:       &AWSLogService{Endpoint: srv.URL, FlushInterval: fastFlush},
		MaxAttempts:    3,
	}, nil)
	e.Export(testLogGroupARN, record(1))
	waitFor(t, "the failed CloudWatch record", func() bool { return obs.get("logs/failed") == 1 })

	srv.FailRequests(3, http.StatusServiceUnavailable, "ServiceUnavailableException")
	e.Export(testStreamARN, record(2))
	waitFor(t, "the failed Firehose record", func() bool { return obs.get("firehose/failed") == 1 })
	if got := srv.Requests("PutRecordBatch"); got != 3 {
		t.Errorf("%d PutRecordBatch attempts, want 3 (MaxAttempts)", got)
	}
	if len(srv.Records("auth-events")) != 0 {
		t.Error("a failed record was kept")
	}

	wrong, obsWrong := awsExporter(t, AWSLogDelivery{
		Firehose:    &AWSLogService{Endpoint: srv.URL, FlushInterval: fastFlush},
		Credentials: credentials.NewStaticCredentialsProvider(testAKID, testWrongSecret, ""),
		MaxAttempts: 1,
	}, nil)
	wrong.Export(testStreamARN, record(3))
	waitFor(t, "the refused record", func() bool { return obsWrong.get("firehose/failed") == 1 })
	if srv.BadSignatures() != 1 {
		t.Errorf("%d bad signatures, want 1", srv.BadSignatures())
	}
	if got := e.Dropped() + wrong.Dropped(); got != 3 {
		t.Errorf("Dropped = %d, want 3", got)
	}
}

// s3Scopes wraps gofakes3, which checks no signature, and records the
// credential scope of each request's Authorization header.
type s3Scopes struct {
	h      http.Handler
	mu     sync.Mutex
	scopes []string
}

func (s *s3Scopes) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	scope := ""
	if m := credentialScope.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		scope = m[1]
	}
	s.mu.Lock()
	s.scopes = append(s.scopes, scope)
	s.mu.Unlock()
	s.h.ServeHTTP(w, r)
}

func TestLogExporterS3(t *testing.T) {
	backend := s3mem.New()
	if err := backend.CreateBucket("cognito-logs"); err != nil {
		t.Fatal(err)
	}
	wrap := &s3Scopes{h: gofakes3.New(backend).Server()}
	srv := httptest.NewServer(wrap)
	defer srv.Close()
	e, obs := awsExporter(t, AWSLogDelivery{S3: &AWSLogService{Endpoint: srv.URL, Region: "eu-central-1", UsePathStyle: true,
		FlushInterval: time.Hour, KeyPrefix: "exports/"}}, nil)
	const n = 7
	for i := range n {
		e.Export(testBucketARN, record(i))
	}
	// A long flush interval: Close sends what waits.
	e.Close()
	if got := obs.get("s3/delivered"); got != n {
		t.Fatalf("%d records delivered to S3, want %d", got, n)
	}
	client := s3.New(s3.Options{BaseEndpoint: aws.String(srv.URL), Region: "eu-central-1", UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(testAKID, testSecret, "")})
	list, err := client.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String("cognito-logs")})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Contents) != 1 {
		t.Fatalf("%d objects, want one batch", len(list.Contents))
	}
	key := aws.ToString(list.Contents[0].Key)
	if !strings.HasPrefix(key, "exports/") || !strings.HasSuffix(key, ".jsonl") || !strings.Contains(key, "node-1-") {
		t.Errorf("key %q", key)
	}
	obj, err := client.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String("cognito-logs"), Key: aws.String(key)})
	if err != nil {
		t.Fatal(err)
	}
	defer obj.Body.Close()
	body, _ := io.ReadAll(obj.Body)
	var got []string
	sc := bufio.NewScanner(bytes.NewReader(body))
	for sc.Scan() {
		var rec struct {
			Message struct {
				EventID string `json:"eventId"`
			} `json:"message"`
		}
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		got = append(got, rec.Message.EventID)
	}
	want := []string{"event-0", "event-1", "event-2", "event-3", "event-4", "event-5", "event-6"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("lines (-want +got):\n%s", diff)
	}
	if aws.ToString(obj.ContentType) != "application/x-ndjson" {
		t.Errorf("content type %q", aws.ToString(obj.ContentType))
	}
	wrap.mu.Lock()
	defer wrap.mu.Unlock()
	if len(wrap.scopes) == 0 || wrap.scopes[0] != "eu-central-1/s3" {
		t.Errorf("credential scopes %v, want eu-central-1/s3 first", wrap.scopes)
	}
}

// A destination configured for an ARN takes precedence over the SDK.
func TestLogExporterDestinationBeforeAWS(t *testing.T) {
	srv := awslogtest.New(testAKID, testSecret)
	defer srv.Close()
	srv.AddLogGroup("/cognito/events")
	file := t.TempDir() + "/events.jsonl"
	e, obs := awsExporter(t, AWSLogDelivery{CloudWatchLogs: &AWSLogService{Endpoint: srv.URL, FlushInterval: fastFlush}},
		[]LogDestination{{ARN: testLogGroupARN, File: file}})
	e.Export(testLogGroupARN, record(1))
	e.Close()
	if obs.get("file/delivered") != 1 || obs.get("logs/delivered") != 0 || srv.Requests("PutLogEvents") != 0 {
		t.Errorf("counts %v, PutLogEvents %d: want the file only", obs.n, srv.Requests("PutLogEvents"))
	}
}

func TestParseLogARN(t *testing.T) {
	tests := []struct {
		arn  string
		want awsTarget
		ok   bool
	}{
		{"arn:aws:logs:us-east-1:123456789012:log-group:/cognito/a", awsTarget{"logs", "us-east-1", "/cognito/a"}, true},
		{"arn:aws:logs:us-east-1:123456789012:log-group:/cognito/a:*", awsTarget{"logs", "us-east-1", "/cognito/a"}, true},
		{"arn:aws:s3:::bucket-1", awsTarget{"s3", "", "bucket-1"}, true},
		{"arn:aws:firehose:eu-west-1:123456789012:deliverystream/s", awsTarget{"firehose", "eu-west-1", "s"}, true},
		{"arn:aws:logs:us-east-1:123456789012:loggroup:/x", awsTarget{}, false},
		{"arn:aws:s3:::bucket/prefix", awsTarget{}, false},
		{"arn:aws:firehose:eu-west-1:123456789012:stream/s", awsTarget{}, false},
		{"arn:aws:sqs:eu-west-1:123456789012:q", awsTarget{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.arn, func(t *testing.T) {
			got, ok := parseLogARN(tc.arn)
			if ok != tc.ok || got != tc.want {
				t.Errorf("parseLogARN = %+v, %v; want %+v, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}
