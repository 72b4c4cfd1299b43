package messaging

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/cognate-dev/cognate/internal/messaging/awslogtest"
)

// TestCheckDestination checks destinations through the SDK against the
// SigV4-checking stand-in (CloudWatch Logs, Firehose) and gofakes3 (S3),
// and file destinations on disk: an existing one passes, a missing one is
// ErrLogDestinationMissing, a refusal ErrLogDestinationRefused, and an
// endpoint that fails or does not answer ErrLogDestinationUnreachable.
func TestCheckDestination(t *testing.T) {
	stand := awslogtest.New(testAKID, testSecret)
	defer stand.Close()
	stand.AddLogGroup("/cognito/events")
	stand.AddLogGroup("/cognito/events-older") // shares the prefix
	stand.AddDeliveryStream("auth-events")
	backend := s3mem.New()
	if err := backend.CreateBucket("cognito-logs"); err != nil {
		t.Fatal(err)
	}
	s3srv := httptest.NewServer(gofakes3.New(backend).Server())
	defer s3srv.Close()
	forbidding := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusForbidden)
	}))
	defer forbidding.Close()
	// An address nothing listens on: a listener opened and closed.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()

	dir := t.TempDir()
	file := filepath.Join(dir, "events.jsonl")
	gone := filepath.Join(dir, "gone.jsonl")
	const fileARN, goneARN, stdoutARN = "arn:aws:logs:eu-west-1:123456789012:log-group:file", "arn:aws:logs:eu-west-1:123456789012:log-group:gone", "arn:aws:logs:eu-west-1:123456789012:log-group:stdout"
	e, _ := awsExporter(t, AWSLogDelivery{
		CloudWatchLogs: &AWSLogService{Endpoint: stand.URL, FlushInterval: fastFlush},
		Firehose:       &AWSLogService{Endpoint: stand.URL, FlushInterval: fastFlush},
		S3:             &AWSLogService{Endpoint: s3srv.URL, Region: "eu-west-1", UsePathStyle: true, FlushInterval: fastFlush},
	}, []LogDestination{{ARN: fileARN, File: file}, {ARN: goneARN, File: gone}, {ARN: stdoutARN, Stdout: true}})
	defer e.Close()
	if err := os.Remove(gone); err != nil {
		t.Fatal(err)
	}
	down, _ := awsExporter(t, AWSLogDelivery{
		CloudWatchLogs: &AWSLogService{Endpoint: closed}, Firehose: &AWSLogService{Endpoint: closed},
		S3: &AWSLogService{Endpoint: forbidding.URL, Region: "eu-west-1", UsePathStyle: true},
	}, nil)
	defer down.Close()

	for _, tc := range []struct {
		name string
		e    *LogExporter
		arn  string
		want error
	}{
		{"log group", e, testLogGroupARN, nil},
		{"log group missing, one with the name as prefix there", e, "arn:aws:logs:eu-west-1:123456789012:log-group:/cognito/event", ErrLogDestinationMissing},
		{"delivery stream", e, testStreamARN, nil},
		{"delivery stream missing", e, "arn:aws:firehose:eu-west-1:123456789012:deliverystream/other", ErrLogDestinationMissing},
		{"bucket", e, testBucketARN, nil},
		{"bucket missing", e, "arn:aws:s3:::no-such-bucket", ErrLogDestinationMissing},
		{"file", e, fileARN, nil},
		{"file removed", e, goneARN, ErrLogDestinationMissing},
		{"stdout", e, stdoutARN, nil},
		{"an ARN the exporter does not serve", e, "arn:aws:sns:eu-west-1:123456789012:topic", ErrLogDestinationMissing},
		{"log group, endpoint down", down, testLogGroupARN, ErrLogDestinationUnreachable},
		{"delivery stream, endpoint down", down, testStreamARN, ErrLogDestinationUnreachable},
		{"bucket, access denied", down, testBucketARN, ErrLogDestinationRefused},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.e.CheckDestination(context.Background(), tc.arn)
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("CheckDestination(%s) = %v, want %v", tc.arn, err, tc.want)
			}
		})
	}

	// A server error, after the check's retry, is unreachable too.
	stand.FailRequests(2, http.StatusInternalServerError, "ServiceUnavailableException")
	if err := e.CheckDestination(context.Background(), testStreamARN); !errors.Is(err, ErrLogDestinationUnreachable) {
		t.Errorf("CheckDestination with the service failing = %v, want unreachable", err)
	}
	if n := stand.BadSignatures(); n != 0 {
		t.Errorf("%d checks refused for their signature", n)
	}
}
