package messaging

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// The answers of CheckDestination, matched with errors.Is.
var (
	// ErrLogDestinationMissing: the log group, bucket, delivery stream or
	// file does not exist.
	ErrLogDestinationMissing = errors.New("log destination does not exist")
	// ErrLogDestinationRefused: the service answered the check with a
	// refusal other than "not found" (access denied, a bad name).
	ErrLogDestinationRefused = errors.New("log destination refused the check")
	// ErrLogDestinationUnreachable: the service could not be asked (no
	// connection, a time-out, a server error or throttling).
	ErrLogDestinationUnreachable = errors.New("log destination could not be reached")
)

// checkTimeout bounds one destination check, and checkAttempts the
// attempts of its request: a configuration call waits on it.
const (
	checkTimeout  = 10 * time.Second
	checkAttempts = 2
)

// CheckDestination checks, before a pool's log configuration names arn,
// that its destination exists, as Cognito checks its log group, bucket or
// stream: through the SDK and the configured endpoint, DescribeLogGroups
// for a CloudWatch Logs log group, HeadBucket for an S3 bucket,
// DescribeDeliveryStream for a Firehose stream; for a file destination,
// that the file is still at its path (the server opened it at start); a
// standard-output or webhook destination has nothing to check. The error
// wraps ErrLogDestinationMissing, ErrLogDestinationRefused or
// ErrLogDestinationUnreachable; an ARN e does not know is missing.
func (e *LogExporter) CheckDestination(ctx context.Context, arn string) error {
	if e == nil {
		return fmt.Errorf("%s: %w", arn, ErrLogDestinationMissing)
	}
	if s, ok := e.sinks[arn]; ok {
		ls, ok := s.(*lineSink)
		if !ok || ls.path == "" {
			return nil
		}
		if _, err := os.Stat(ls.path); errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("file %s: %w", ls.path, ErrLogDestinationMissing)
		} else if err != nil {
			return fmt.Errorf("file %s: %v: %w", ls.path, err, ErrLogDestinationRefused)
		}
		return nil
	}
	t, ok := parseLogARN(arn)
	if !ok || !e.aws.serves(t) {
		return fmt.Errorf("%s: %w", arn, ErrLogDestinationMissing)
	}
	ctx, cancel := context.WithTimeout(ctx, checkTimeout)
	defer cancel()
	switch t.service {
	case LogViaCloudWatchLogs:
		return e.aws.checkLogGroup(ctx, t)
	case LogViaS3:
		_, err := e.aws.s3.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(t.resource)}, func(o *s3.Options) {
			o.RetryMaxAttempts = checkAttempts
		})
		return checkAnswer("bucket "+t.resource, err)
	case LogViaFirehose:
		_, err := e.aws.firehose.DescribeDeliveryStream(ctx, &firehose.DescribeDeliveryStreamInput{DeliveryStreamName: aws.String(t.resource)},
			func(o *firehose.Options) {
				o.RetryMaxAttempts = checkAttempts
				if t.region != "" {
					o.Region = t.region
				}
			})
		return checkAnswer("delivery stream "+t.resource, err)
	}
	return fmt.Errorf("%s: %w", arn, ErrLogDestinationMissing)
}

// checkLogGroup looks for the log group of t among those whose names
// start with its name.
func (a *awsClients) checkLogGroup(ctx context.Context, t awsTarget) error {
	what := "log group " + t.resource
	in := &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(t.resource)}
	p := cloudwatchlogs.NewDescribeLogGroupsPaginator(a.cwl, in)
	for p.HasMorePages() {
		out, err := p.NextPage(ctx, cwlRegion(t.region), func(o *cloudwatchlogs.Options) { o.RetryMaxAttempts = checkAttempts })
		if err != nil {
			return checkAnswer(what, err)
		}
		for _, g := range out.LogGroups {
			if aws.ToString(g.LogGroupName) == t.resource {
				return nil
			}
		}
	}
	return fmt.Errorf("%s: %w", what, ErrLogDestinationMissing)
}

// checkAnswer classifies the error of a check's request about what.
func checkAnswer(what string, err error) error {
	if err == nil {
		return nil
	}
	var re *awshttp.ResponseError
	if !errors.As(err, &re) || re.Response == nil || re.HTTPStatusCode() == 0 {
		// No answer: no connection, a time-out.
		return fmt.Errorf("%s: %v: %w", what, err, ErrLogDestinationUnreachable)
	}
	code := ""
	var ae smithy.APIError
	if errors.As(err, &ae) {
		code = ae.ErrorCode()
	}
	switch status := re.HTTPStatusCode(); {
	case status == http.StatusNotFound, code == "ResourceNotFoundException", code == "NoSuchBucket", code == "NotFound":
		return fmt.Errorf("%s: %w", what, ErrLogDestinationMissing)
	case status >= 500, status == http.StatusTooManyRequests, code == "ThrottlingException", code == "ServiceUnavailableException":
		return fmt.Errorf("%s: %s: %w", what, code, ErrLogDestinationUnreachable)
	default:
		if code == "" {
			code = http.StatusText(status)
		}
		return fmt.Errorf("%s: %s: %w", what, code, ErrLogDestinationRefused)
	}
}
