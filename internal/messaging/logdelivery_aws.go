package messaging

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	cwltypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	fhtypes "github.com/aws/aws-sdk-go-v2/service/firehose/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// AWSLogDelivery turns on the delivery of log records through the AWS SDK
// for Go v2 to the services themselves: PutLogEvents to a CloudWatch Logs
// log group, PutObject of JSON lines to an S3 bucket, PutRecordBatch to a
// Firehose stream. It serves the ARNs of a service that is on and that no
// LogDestination names (a LogDestination takes precedence). Credentials
// and region come from the SDK's default chain unless given here.
type AWSLogDelivery struct {
	// CloudWatchLogs, S3 and Firehose turn each service on; nil is off.
	CloudWatchLogs *AWSLogService
	S3             *AWSLogService
	Firehose       *AWSLogService
	// Credentials replace the SDK's default chain when set.
	Credentials aws.CredentialsProvider
	// MaxAttempts bounds the attempts of one request, the first included
	// (DefaultLogMaxAttempts when 0). Between attempts the SDK's standard
	// retryer waits with exponential backoff and jitter.
	MaxAttempts int
	// MaxBackoff bounds one wait between attempts (20 s when 0).
	MaxBackoff time.Duration
	// Node names this server in the CloudWatch Logs stream and the S3
	// object keys it writes (the host name when empty).
	Node string
}

// AWSLogService is where one service is called.
type AWSLogService struct {
	// Region is called when the ARN names none (S3 bucket ARNs never do);
	// empty leaves it to the SDK's default chain.
	Region string
	// Endpoint replaces AWS's endpoint (an S3-compatible server, a VPC
	// endpoint).
	Endpoint string
	// UsePathStyle puts the bucket in the path (S3 only), as most
	// S3-compatible servers want.
	UsePathStyle bool
	// FlushInterval is how long a record waits for others to share its
	// request (DefaultLogFlushInterval, or DefaultS3LogFlushInterval for
	// S3, when 0). A full batch leaves at once.
	FlushInterval time.Duration
	// KeyPrefix starts the S3 object keys (DefaultS3LogKeyPrefix when
	// empty).
	KeyPrefix string
}

// Defaults of AWS log delivery.
const (
	DefaultLogMaxAttempts      = 5
	DefaultLogFlushInterval    = time.Second
	DefaultS3LogFlushInterval  = time.Minute
	DefaultS3LogKeyPrefix      = "cognito-logs/"
	defaultLogMaxBackoff       = 20 * time.Second
	awsLogRequestTimeout       = 30 * time.Second
	awsLogQueue                = 10_000
	cloudWatchMaxBatchRecords  = 10_000
	cloudWatchMaxBatchBytes    = 1_048_576
	cloudWatchPerEventOverhead = 26
	firehoseMaxBatchRecords    = 500
	firehoseMaxBatchBytes      = 4 << 20
	s3MaxBatchRecords          = 100_000
	s3MaxBatchBytes            = 64 << 20
)

// Services of the ARNs a LogExporter delivers to through the SDK, as they
// appear in the ARN and in the metrics' via label.
const (
	LogViaCloudWatchLogs = "logs"
	LogViaS3             = "s3"
	LogViaFirehose       = "firehose"
)

// LogObserver counts log records by where they went (via: logs, s3,
// firehose, file, stdout or webhook) and outcome (delivered, failed, or
// dropped when no destination took them).
type LogObserver interface {
	LogRecordsExported(via, outcome string, n int)
}

// Outcomes of LogObserver.
const (
	LogOutcomeDelivered = "delivered"
	LogOutcomeFailed    = "failed"
	LogOutcomeDropped   = "dropped"
)

// awsClients are the SDK clients of the services that are on.
type awsClients struct {
	cfg      AWSLogDelivery
	node     string
	cwl      *cloudwatchlogs.Client
	s3       *s3.Client
	firehose *firehose.Client
}

func newAWSClients(c AWSLogDelivery) (*awsClients, error) {
	if c.CloudWatchLogs == nil && c.S3 == nil && c.Firehose == nil {
		return nil, nil
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = DefaultLogMaxAttempts
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = defaultLogMaxBackoff
	}
	node := c.Node
	if node == "" {
		node, _ = os.Hostname()
	}
	node = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' || r == '_' {
			return r
		}
		return '-'
	}, node)
	if node == "" {
		node = "cognate"
	}
	a := &awsClients{cfg: c, node: node}
	retryer := func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = c.MaxAttempts
			o.MaxBackoff = c.MaxBackoff
			o.Backoff = retry.NewExponentialJitterBackoff(c.MaxBackoff)
			// Log records are best effort: no retry budget shared with
			// other calls, the attempts above bound each request.
			o.RateLimiter = ratelimit.None
		})
	}
	load := func(service string, s *AWSLogService) (aws.Config, error) {
		cfg, err := loadAWSConfig(service, s.Region, c.Credentials)
		if err != nil {
			return aws.Config{}, err
		}
		cfg.Retryer = retryer
		return cfg, nil
	}
	if s := c.CloudWatchLogs; s != nil {
		cfg, err := load("cloudwatch logs", s)
		if err != nil {
			return nil, err
		}
		a.cwl = cloudwatchlogs.NewFromConfig(cfg, func(o *cloudwatchlogs.Options) {
			if s.Endpoint != "" {
				o.BaseEndpoint = aws.String(s.Endpoint)
			}
		})
	}
	if s := c.S3; s != nil {
		cfg, err := load("s3", s)
		if err != nil {
			return nil, err
		}
		a.s3 = s3.NewFromConfig(cfg, func(o *s3.Options) {
			if s.Endpoint != "" {
				o.BaseEndpoint = aws.String(s.Endpoint)
			}
			o.UsePathStyle = s.UsePathStyle
			o.DisableLogOutputChecksumValidationSkipped = true
		})
	}
	if s := c.Firehose; s != nil {
		cfg, err := load("firehose", s)
		if err != nil {
			return nil, err
		}
		a.firehose = firehose.NewFromConfig(cfg, func(o *firehose.Options) {
			if s.Endpoint != "" {
				o.BaseEndpoint = aws.String(s.Endpoint)
			}
		})
	}
	return a, nil
}

// awsTarget is what an ARN names: its service, its region ("" for none)
// and the resource (log group name, bucket name or stream name).
type awsTarget struct {
	service, region, resource string
}

// parseLogARN reads a CloudWatch Logs log group ARN
// (arn:aws:logs:<region>:<account>:log-group:<name>[:*]), an S3 bucket ARN
// (arn:aws:s3:::<bucket>) or a Firehose stream ARN
// (arn:aws:firehose:<region>:<account>:deliverystream/<name>).
func parseLogARN(arn string) (awsTarget, bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" {
		return awsTarget{}, false
	}
	t := awsTarget{service: parts[2], region: parts[3]}
	res := parts[5]
	switch t.service {
	case LogViaCloudWatchLogs:
		name, ok := strings.CutPrefix(res, "log-group:")
		name = strings.TrimSuffix(name, ":*")
		if !ok || name == "" || strings.Contains(name, ":") {
			return awsTarget{}, false
		}
		t.resource = name
	case LogViaS3:
		if res == "" || strings.ContainsAny(res, "/:") {
			return awsTarget{}, false
		}
		t.resource = res
	case LogViaFirehose:
		name, ok := strings.CutPrefix(res, "deliverystream/")
		if !ok || name == "" || strings.Contains(name, "/") {
			return awsTarget{}, false
		}
		t.resource = name
	default:
		return awsTarget{}, false
	}
	return t, true
}

// serves reports whether a delivers to the service of t.
func (a *awsClients) serves(t awsTarget) bool {
	if a == nil {
		return false
	}
	switch t.service {
	case LogViaCloudWatchLogs:
		return a.cwl != nil
	case LogViaS3:
		return a.s3 != nil
	case LogViaFirehose:
		return a.firehose != nil
	}
	return false
}

// queued is one record waiting in a batch sink: its time (epoch
// milliseconds) and its JSON.
type queued struct {
	ms  int64
	rec []byte
	// target is the "<log group>\x00<stream>" of an import job's line;
	// "" in the sinks of one ARN.
	target string
}

// batchSink gathers the records of one ARN into batches and hands each
// batch to put, from a goroutine of its own; a full queue drops the record.
type batchSink struct {
	e          *LogExporter
	arn, via   string
	queue      chan queued
	interval   time.Duration
	maxRecords int
	// maxBytes bounds a batch's size as the service counts it: the
	// records plus overhead bytes each.
	maxBytes, overhead int
	// put delivers a batch and returns how many of its records failed
	// (with the error); it is called from run's goroutine only.
	put func(ctx context.Context, batch []queued) (failed int, err error)
}

func (s *batchSink) enqueue(ms int64, rec []byte) { s.enqueueTo("", ms, rec) }

func (s *batchSink) enqueueTo(target string, ms int64, rec []byte) {
	select {
	case s.queue <- queued{ms: ms, rec: rec, target: target}:
	default:
		s.e.dropped.Add(1)
		s.e.count(s.via, LogOutcomeDropped, 1)
		s.e.log.Warn("deliver log record", "arn", s.arn, "error", "queue full")
	}
}

func (s *batchSink) run() {
	defer s.e.wg.Done()
	var batch []queued
	size := 0
	flush := func() {
		if len(batch) == 0 {
			return
		}
		s.deliver(batch)
		batch, size = nil, 0
	}
	add := func(q queued) {
		n := len(q.rec) + s.overhead
		if len(batch) > 0 && (len(batch) >= s.maxRecords || size+n > s.maxBytes) {
			flush()
		}
		batch = append(batch, q)
		size += n
	}
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		select {
		case q := <-s.queue:
			if len(batch) == 0 {
				timer.Reset(s.interval)
			}
			add(q)
			if len(batch) >= s.maxRecords {
				flush()
				timer.Stop()
			}
		case <-timer.C:
			flush()
		case <-s.e.stop:
			timer.Stop()
			for {
				select {
				case q := <-s.queue:
					add(q)
				default:
					flush()
					return
				}
			}
		}
	}
}

// deliver puts batch and counts the outcome.
func (s *batchSink) deliver(batch []queued) {
	ctx, cancel := context.WithTimeout(s.e.ctx, awsLogRequestTimeout)
	defer cancel()
	failed, err := s.put(ctx, batch)
	if failed > 0 {
		s.e.dropped.Add(int64(failed))
		s.e.count(s.via, LogOutcomeFailed, failed)
		msg := "records refused"
		if err != nil {
			msg = err.Error()
		}
		s.e.log.Warn("deliver log record", "arn", s.arn, "records", failed, "error", msg)
	}
	if ok := len(batch) - failed; ok > 0 {
		s.e.count(s.via, LogOutcomeDelivered, ok)
	}
}

// newAWSSink returns the sink of the ARN t was read from.
func (e *LogExporter) newAWSSink(arn string, t awsTarget) *batchSink {
	a := e.aws
	s := &batchSink{e: e, arn: arn, via: t.service, queue: make(chan queued, awsLogQueue)}
	opts := a.cfg.CloudWatchLogs
	switch t.service {
	case LogViaCloudWatchLogs:
		s.maxRecords, s.maxBytes, s.overhead = cloudWatchMaxBatchRecords, cloudWatchMaxBatchBytes, cloudWatchPerEventOverhead
		stream := &cloudWatchStream{c: a.cwl, region: t.region, group: t.resource, name: a.node + "-" + randomHex(6)}
		s.put = stream.put
	case LogViaS3:
		opts = a.cfg.S3
		s.maxRecords, s.maxBytes, s.overhead = s3MaxBatchRecords, s3MaxBatchBytes, 1
		prefix := opts.KeyPrefix
		if prefix == "" {
			prefix = DefaultS3LogKeyPrefix
		}
		obj := &s3Objects{c: a.s3, bucket: t.resource, prefix: prefix, node: a.node + "-" + randomHex(6)}
		s.put = obj.put
	case LogViaFirehose:
		opts = a.cfg.Firehose
		s.maxRecords, s.maxBytes, s.overhead = firehoseMaxBatchRecords, firehoseMaxBatchBytes, 1
		st := &firehoseStream{c: a.firehose, region: t.region, name: t.resource, attempts: a.cfg.MaxAttempts,
			backoff: retry.NewExponentialJitterBackoff(a.cfg.MaxBackoff)}
		s.put = st.put
	}
	s.interval = opts.FlushInterval
	if s.interval <= 0 {
		s.interval = DefaultLogFlushInterval
		if t.service == LogViaS3 {
			s.interval = DefaultS3LogFlushInterval
		}
	}
	return s
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}

// cwlRegion calls in region when it is set (the ARN's region).
func cwlRegion(region string) func(*cloudwatchlogs.Options) {
	return func(o *cloudwatchlogs.Options) {
		if region != "" {
			o.Region = region
		}
	}
}

// cloudWatchStream writes to one log stream of its own in a log group,
// created at its first batch (the group too when createGroup is set).
type cloudWatchStream struct {
	c             *cloudwatchlogs.Client
	region, group string
	name          string
	createGroup   bool
	created       bool
}

func (w *cloudWatchStream) put(ctx context.Context, batch []queued) (int, error) {
	if !w.created && w.createGroup {
		_, err := w.c.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(w.group)}, cwlRegion(w.region))
		var exists *cwltypes.ResourceAlreadyExistsException
		if err != nil && !errors.As(err, &exists) {
			return len(batch), fmt.Errorf("create log group %s: %w", w.group, err)
		}
	}
	if !w.created {
		_, err := w.c.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{
			LogGroupName: aws.String(w.group), LogStreamName: aws.String(w.name)}, cwlRegion(w.region))
		var exists *cwltypes.ResourceAlreadyExistsException
		if err != nil && !errors.As(err, &exists) {
			return len(batch), fmt.Errorf("create log stream %s: %w", w.name, err)
		}
		w.created = true
	}
	// PutLogEvents takes a batch in time order.
	events := make([]cwltypes.InputLogEvent, len(batch))
	sorted := slices.Clone(batch)
	slices.SortStableFunc(sorted, func(a, b queued) int { return int(a.ms - b.ms) })
	for i, q := range sorted {
		events[i] = cwltypes.InputLogEvent{Timestamp: aws.Int64(q.ms), Message: aws.String(string(q.rec))}
	}
	out, err := w.c.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{
		LogGroupName: aws.String(w.group), LogStreamName: aws.String(w.name), LogEvents: events}, cwlRegion(w.region))
	if err != nil {
		var gone *cwltypes.ResourceNotFoundException
		if errors.As(err, &gone) {
			// The stream (or its group) went: make it again next time.
			w.created = false
		}
		return len(batch), fmt.Errorf("put log events: %w", err)
	}
	failed := 0
	if r := out.RejectedLogEventsInfo; r != nil {
		// Indexes: events before TooNewLogEventStartIndex and after
		// TooOldLogEventEndIndex or ExpiredLogEventEndIndex were refused.
		refused := make([]bool, len(events))
		if i := r.TooNewLogEventStartIndex; i != nil {
			for j := int(*i); j >= 0 && j < len(events); j++ {
				refused[j] = true
			}
		}
		for _, end := range []*int32{r.TooOldLogEventEndIndex, r.ExpiredLogEventEndIndex} {
			if end != nil {
				for j := 0; j <= int(*end) && j < len(events); j++ {
					refused[j] = true
				}
			}
		}
		for _, x := range refused {
			if x {
				failed++
			}
		}
	}
	if failed > 0 {
		return failed, errors.New("log events refused as too old or too new")
	}
	return 0, nil
}

// s3Objects writes each batch as one object of JSON lines.
type s3Objects struct {
	c              *s3.Client
	bucket, prefix string
	node           string
	seq            atomic.Int64
}

func (w *s3Objects) put(ctx context.Context, batch []queued) (int, error) {
	var body []byte
	for _, q := range batch {
		body = append(body, q.rec...)
		body = append(body, '\n')
	}
	now := time.Now().UTC()
	key := fmt.Sprintf("%s%s/%s-%s-%06d.jsonl", w.prefix, now.Format("2006/01/02/15"), now.Format("20060102T150405.000Z"), w.node, w.seq.Add(1))
	_, err := w.c.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(w.bucket), Key: aws.String(key),
		Body: bytes.NewReader(body), ContentLength: aws.Int64(int64(len(body))),
		ContentType: aws.String("application/x-ndjson"),
	})
	if err != nil {
		return len(batch), fmt.Errorf("put object %s: %w", key, err)
	}
	return 0, nil
}

// firehoseStream sends each batch with PutRecordBatch, sending again, after
// a backoff, the records Firehose reports as failed.
type firehoseStream struct {
	c            *firehose.Client
	region, name string
	attempts     int
	backoff      *retry.ExponentialJitterBackoff
}

func (w *firehoseStream) put(ctx context.Context, batch []queued) (int, error) {
	pending := make([]fhtypes.Record, len(batch))
	for i, q := range batch {
		pending[i] = fhtypes.Record{Data: append(slices.Clip(q.rec), '\n')}
	}
	region := func(o *firehose.Options) {
		if w.region != "" {
			o.Region = w.region
		}
	}
	var lastErr error
	for attempt := 1; ; attempt++ {
		out, err := w.c.PutRecordBatch(ctx, &firehose.PutRecordBatchInput{DeliveryStreamName: aws.String(w.name), Records: pending}, region)
		if err != nil {
			// The SDK has already retried what it could.
			return len(pending), fmt.Errorf("put record batch: %w", err)
		}
		if aws.ToInt32(out.FailedPutCount) == 0 {
			return 0, nil
		}
		var again []fhtypes.Record
		for i, r := range out.RequestResponses {
			if r.ErrorCode != nil && i < len(pending) {
				again = append(again, pending[i])
				lastErr = fmt.Errorf("record refused: %s: %s", aws.ToString(r.ErrorCode), aws.ToString(r.ErrorMessage))
			}
		}
		if len(again) == 0 {
			return 0, nil
		}
		pending = again
		if attempt >= w.attempts {
			return len(pending), lastErr
		}
		d, _ := w.backoff.BackoffDelay(attempt, lastErr)
		select {
		case <-time.After(d):
		case <-ctx.Done():
			return len(pending), ctx.Err()
		}
	}
}

// awsSinks holds the sinks made for ARNs as they are first used.
type awsSinks struct {
	// mu guards m.
	mu sync.Mutex
	m  map[string]*batchSink
}

// ExportsImportResults reports whether import jobs' results go to
// CloudWatch Logs: when CloudWatch Logs delivery is on.
func (e *LogExporter) ExportsImportResults() bool {
	return e != nil && e.aws != nil && e.aws.cwl != nil
}

// ExportImportResults sends lines of an import job's results to
// CloudWatch Logs, in the log group and stream Cognito writes them to
// (/aws/cognito/userpools/<pool id>/<pool name>, stream <job id>/<job
// name>), creating both when missing. Best effort, in the background, as
// the other records: a failure is logged and counted (via "logs").
func (e *LogExporter) ExportImportResults(group, stream string, at time.Time, lines []string) {
	if !e.ExportsImportResults() || len(lines) == 0 {
		return
	}
	s := e.importSink()
	if s == nil {
		return
	}
	target := group + "\x00" + stream
	for _, l := range lines {
		s.enqueueTo(target, at.UnixMilli(), []byte(l))
	}
}

// importSink returns the one sink of import results, made at first use.
func (e *LogExporter) importSink() *batchSink {
	const key = "\x00import-results"
	e.awsSinks.mu.Lock()
	defer e.awsSinks.mu.Unlock()
	if s, ok := e.awsSinks.m[key]; ok {
		return s
	}
	select {
	case <-e.stop:
		return nil
	default:
	}
	if e.awsSinks.m == nil {
		e.awsSinks.m = map[string]*batchSink{}
	}
	a := e.aws
	s := &batchSink{e: e, arn: "import results", via: LogViaCloudWatchLogs, queue: make(chan queued, awsLogQueue),
		maxRecords: cloudWatchMaxBatchRecords, maxBytes: cloudWatchMaxBatchBytes, overhead: cloudWatchPerEventOverhead,
		interval: a.cfg.CloudWatchLogs.FlushInterval}
	if s.interval <= 0 {
		s.interval = DefaultLogFlushInterval
	}
	streams := map[string]*cloudWatchStream{}
	s.put = func(ctx context.Context, batch []queued) (int, error) {
		var order []string
		by := map[string][]queued{}
		for _, q := range batch {
			if _, ok := by[q.target]; !ok {
				order = append(order, q.target)
			}
			by[q.target] = append(by[q.target], q)
		}
		failed := 0
		var last error
		for _, t := range order {
			w, ok := streams[t]
			if !ok {
				group, name, _ := strings.Cut(t, "\x00")
				w = &cloudWatchStream{c: a.cwl, group: group, name: name, createGroup: true}
				streams[t] = w
			}
			if n, err := w.put(ctx, by[t]); n > 0 {
				failed += n
				last = err
			}
		}
		return failed, last
	}
	e.awsSinks.m[key] = s
	e.wg.Add(1)
	go s.run()
	return s
}
