package messaging

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// The log records below are the ones Amazon Cognito exports for
// SetLogDeliveryConfiguration ("Exporting logs from Amazon Cognito user
// pools"): one JSON object per event, with the event's time in epoch
// milliseconds as a string, its source and level, the pool it came from,
// and a message.
const (
	// LogSourceUserNotification is the eventSource of a message-delivery
	// error (EventSource userNotification, level ERROR).
	LogSourceUserNotification = "USER_NOTIFICATION"
	// LogSourceUserAuthEvents is the eventSource of a user-activity record
	// of threat protection (EventSource userAuthEvents, level INFO).
	LogSourceUserAuthEvents = "USER_AUTH_EVENTS"
)

// LogRecord is one exported log record.
type LogRecord struct {
	// EventTimestamp is the event's time in milliseconds since the epoch,
	// as a string.
	EventTimestamp string `json:"eventTimestamp"`
	// EventSource is LogSourceUserNotification or LogSourceUserAuthEvents.
	EventSource string `json:"eventSource"`
	// LogLevel is ERROR or INFO.
	LogLevel string `json:"logLevel"`
	// Message is the record's content: {"details": …} for a delivery
	// error, the authentication event for user activity.
	Message any `json:"message"`
	// LogSourceID names the user pool.
	LogSourceID LogSourceID `json:"logSourceId"`
}

// LogSourceID is the logSourceId of a record.
type LogSourceID struct {
	UserPoolID string `json:"userPoolId"`
}

// NewLogRecord returns a record of source at level for pool, at t.
func NewLogRecord(t time.Time, source, level, pool string, message any) LogRecord {
	return LogRecord{
		EventTimestamp: strconv.FormatInt(t.UnixMilli(), 10),
		EventSource:    source, LogLevel: level, Message: message,
		LogSourceID: LogSourceID{UserPoolID: pool},
	}
}

// LogDestination is where records sent to one ARN go: exactly one of File
// (JSON lines appended to a file), Stdout (JSON lines on the standard
// output) or Webhook (each record POSTed as JSON to an HTTPS endpoint,
// signed as WebhookSender signs messages).
type LogDestination struct {
	// ARN is the CloudWatch Logs log group, S3 bucket or Firehose stream
	// ARN that a pool's SetLogDeliveryConfiguration names.
	ARN     string
	File    string
	Stdout  bool
	Webhook *WebhookConfig
}

// logQueue bounds the records waiting for a webhook: delivery is best
// effort, as in Cognito, and a slow receiver must not hold sign-ins.
const logQueue = 1024

// LogExporter delivers log records to the destinations configured by ARN.
// Writes to a file or the standard output happen before Export returns;
// webhook POSTs happen in the background, one receiver at a time, and a
// record that finds the queue full is dropped (and counted). It is safe
// for concurrent use.
type LogExporter struct {
	log   *slog.Logger
	sinks map[string]logSink
	// aws are the SDK clients of AWS log delivery, nil when it is off;
	// awsSinks its sinks, one per ARN, made at first use.
	aws      *awsClients
	awsSinks awsSinks
	observer LogObserver
	// dropped counts the records no destination took.
	dropped atomic.Int64
	wg      sync.WaitGroup
	stop    chan struct{}
	once    sync.Once
	// ctx bounds the deliveries; cancelled when Close gives up waiting.
	ctx    context.Context
	cancel context.CancelFunc
}

// closeGrace is how long Close waits for the last batches to leave.
const closeGrace = 15 * time.Second

type logSink interface {
	write(rec []byte)
}

// NewLogExporter checks the destinations and returns an exporter for them.
// Files are opened (created with mode 0600) for appending. Close releases
// them.
func NewLogExporter(dests []LogDestination, log *slog.Logger) (*LogExporter, error) {
	return NewLogExporterWithAWS(dests, AWSLogDelivery{}, nil, log)
}

// NewLogExporterWithAWS is NewLogExporter with delivery through the AWS
// SDK for the services aws turns on, and with observer (may be nil)
// counting the records. The order for an ARN: its LogDestination when
// there is one, else the SDK when its service is on; an ARN neither
// serves is not known.
func NewLogExporterWithAWS(dests []LogDestination, awsCfg AWSLogDelivery, observer LogObserver, log *slog.Logger) (*LogExporter, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	e := &LogExporter{log: log, sinks: map[string]logSink{}, stop: make(chan struct{}), observer: observer, ctx: ctx, cancel: cancel}
	clients, err := newAWSClients(awsCfg)
	if err != nil {
		cancel()
		return nil, err
	}
	e.aws = clients
	for _, d := range dests {
		if d.ARN == "" {
			e.Close()
			return nil, errors.New("log destination without an arn")
		}
		if _, dup := e.sinks[d.ARN]; dup {
			e.Close()
			return nil, fmt.Errorf("log destination %s: given twice", d.ARN)
		}
		n := 0
		for _, set := range []bool{d.File != "", d.Stdout, d.Webhook != nil} {
			if set {
				n++
			}
		}
		if n != 1 {
			e.Close()
			return nil, fmt.Errorf("log destination %s: needs exactly one of file, stdout and webhook", d.ARN)
		}
		switch {
		case d.File != "":
			f, err := os.OpenFile(d.File, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
			if err != nil {
				e.Close()
				return nil, fmt.Errorf("log destination %s: %w", d.ARN, err)
			}
			e.sinks[d.ARN] = &lineSink{w: f, closer: f, e: e, arn: d.ARN, via: "file", path: d.File}
		case d.Stdout:
			e.sinks[d.ARN] = &lineSink{w: os.Stdout, e: e, arn: d.ARN, via: "stdout"}
		default:
			w, err := NewWebhookSender(*d.Webhook)
			if err != nil {
				e.Close()
				return nil, fmt.Errorf("log destination %s: %w", d.ARN, err)
			}
			s := &webhookSink{w: w, queue: make(chan []byte, logQueue), e: e, arn: d.ARN}
			e.wg.Add(1)
			go s.run()
			e.sinks[d.ARN] = s
		}
	}
	return e, nil
}

// Knows reports whether arn is a configured destination, or an ARN of a
// service delivered to through the AWS SDK. A nil exporter knows none.
func (e *LogExporter) Knows(arn string) bool {
	if e == nil {
		return false
	}
	if _, ok := e.sinks[arn]; ok {
		return true
	}
	t, ok := parseLogARN(arn)
	return ok && e.aws.serves(t)
}

// Destinations returns the configured ARNs.
func (e *LogExporter) Destinations() []string {
	if e == nil {
		return nil
	}
	return slices.Sorted(maps.Keys(e.sinks))
}

// Len returns how many destinations e has, counting each service
// delivered to through the AWS SDK as one; 0 for a nil exporter.
func (e *LogExporter) Len() int {
	if e == nil {
		return 0
	}
	n := len(e.sinks)
	if a := e.aws; a != nil {
		for _, on := range []bool{a.cwl != nil, a.s3 != nil, a.firehose != nil} {
			if on {
				n++
			}
		}
	}
	return n
}

// count tells the observer about n records.
func (e *LogExporter) count(via, outcome string, n int) {
	if e.observer != nil && n > 0 {
		e.observer.LogRecordsExported(via, outcome, n)
	}
}

// awsSink returns the sink of arn when its service is delivered to
// through the SDK, making it at first use.
func (e *LogExporter) awsSink(arn string) *batchSink {
	t, ok := parseLogARN(arn)
	if !ok || !e.aws.serves(t) {
		return nil
	}
	e.awsSinks.mu.Lock()
	defer e.awsSinks.mu.Unlock()
	if s, ok := e.awsSinks.m[arn]; ok {
		return s
	}
	select {
	case <-e.stop:
		return nil // closed: no new goroutine
	default:
	}
	if e.awsSinks.m == nil {
		e.awsSinks.m = map[string]*batchSink{}
	}
	s := e.newAWSSink(arn, t)
	e.awsSinks.m[arn] = s
	e.wg.Add(1)
	go s.run()
	return s
}

// Export sends rec to the destination of arn; an unknown ARN drops it.
func (e *LogExporter) Export(arn string, rec LogRecord) {
	if e == nil {
		return
	}
	s, ok := e.sinks[arn]
	var batch *batchSink
	if !ok {
		if batch = e.awsSink(arn); batch == nil {
			e.dropped.Add(1)
			e.count("none", LogOutcomeDropped, 1)
			return
		}
	}
	b, err := json.Marshal(rec)
	if err != nil {
		e.log.Warn("encode log record", "arn", arn, "error", err.Error())
		e.dropped.Add(1)
		return
	}
	if batch != nil {
		ms, _ := strconv.ParseInt(rec.EventTimestamp, 10, 64)
		batch.enqueue(ms, b)
		return
	}
	s.write(b)
}

// Dropped returns how many records were not delivered: to an unknown ARN,
// to a full queue, or refused by a receiver.
func (e *LogExporter) Dropped() int64 {
	if e == nil {
		return 0
	}
	return e.dropped.Load()
}

// Close stops the webhook deliveries once their queues are empty, and
// closes the files.
func (e *LogExporter) Close() {
	if e == nil {
		return
	}
	e.once.Do(func() {
		e.awsSinks.mu.Lock()
		close(e.stop)
		e.awsSinks.mu.Unlock()
		give := time.AfterFunc(closeGrace, e.cancel)
		e.wg.Wait()
		give.Stop()
		e.cancel()
		for _, s := range e.sinks {
			if l, ok := s.(*lineSink); ok && l.closer != nil {
				l.closer.Close()
			}
		}
	})
}

// lineSink appends each record as one line.
type lineSink struct {
	// mu keeps each line whole.
	mu       sync.Mutex
	w        io.Writer
	closer   io.Closer
	e        *LogExporter
	arn, via string
	// path is the file's, "" for the standard output.
	path string
}

func (s *lineSink) write(rec []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.w.Write(append(rec, '\n')); err != nil {
		s.e.dropped.Add(1)
		s.e.count(s.via, LogOutcomeFailed, 1)
		s.e.log.Warn("write log record", "arn", s.arn, "error", err.Error())
		return
	}
	s.e.count(s.via, LogOutcomeDelivered, 1)
}

// webhookSink POSTs each record from its queue.
type webhookSink struct {
	w     *WebhookSender
	queue chan []byte
	e     *LogExporter
	arn   string
}

func (s *webhookSink) write(rec []byte) {
	select {
	case s.queue <- rec:
	default:
		s.e.dropped.Add(1)
		s.e.count("webhook", LogOutcomeDropped, 1)
	}
}

func (s *webhookSink) run() {
	defer s.e.wg.Done()
	for {
		select {
		case rec := <-s.queue:
			s.post(rec)
		case <-s.e.stop:
			for {
				select {
				case rec := <-s.queue:
					s.post(rec)
				default:
					return
				}
			}
		}
	}
}

func (s *webhookSink) post(rec []byte) {
	ctx, cancel := context.WithTimeout(context.Background(), s.w.client.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.w.url, bytes.NewReader(rec))
	if err != nil {
		s.e.dropped.Add(1)
		s.e.count("webhook", LogOutcomeFailed, 1)
		return
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "cognate")
	req.Header.Set(WebhookSignatureHeader, SignWebhook(string(s.w.secret), rec))
	resp, err := s.w.client.Do(req)
	if err != nil {
		s.e.dropped.Add(1)
		s.e.count("webhook", LogOutcomeFailed, 1)
		s.e.log.Warn("deliver log record", "arn", s.arn, "error", err.Error())
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxWebhookResponse))
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		s.e.dropped.Add(1)
		s.e.count("webhook", LogOutcomeFailed, 1)
		s.e.log.Warn("deliver log record", "arn", s.arn, "status", resp.Status)
		return
	}
	s.e.count("webhook", LogOutcomeDelivered, 1)
}
