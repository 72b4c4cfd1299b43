package awslogtest

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// Event is one CloudWatch Logs event as PutLogEvents sent it.
type Event struct {
	Stream    string
	Timestamp int64
	Message   string
}

// Server is the stand-in. Its methods are safe for concurrent use.
type Server struct {
	// URL is the endpoint to give the SDK clients (BaseEndpoint).
	URL string
	srv *httptest.Server

	// mu guards the fields below.
	mu       sync.Mutex
	secrets  map[string]string
	groups   map[string]map[string]bool // log group -> its streams
	events   map[string][]Event         // log group -> events
	streams  map[string][][]byte        // delivery stream -> records
	requests map[string]int             // operation -> requests answered
	badSigs  int
	// failRequests answers the next requests with failStatus/failType.
	failRequests int
	failStatus   int
	failType     string
	// failRecords marks, in the next PutRecordBatch calls, the first
	// failRecords records as failed (ServiceUnavailableException).
	failRecords int
}

// New starts a stand-in that accepts requests signed with the access key
// akid and its secret. Close stops it.
func New(akid, secret string) *Server {
	s := &Server{
		secrets:  map[string]string{akid: secret},
		groups:   map[string]map[string]bool{},
		events:   map[string][]Event{},
		streams:  map[string][][]byte{},
		requests: map[string]int{},
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	return s
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// AddLogGroup creates a log group.
func (s *Server) AddLogGroup(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.groups[name] = map[string]bool{}
}

// AddDeliveryStream creates a Firehose stream.
func (s *Server) AddDeliveryStream(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.streams[name] = [][]byte{}
}

// RemoveDeliveryStream deletes a Firehose stream, as if it went after a
// configuration named it.
func (s *Server) RemoveDeliveryStream(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.streams, name)
}

// FailRequests answers the next n requests, whatever they are, with the
// HTTP status and the exception type (ThrottlingException,
// ServiceUnavailableException, …).
func (s *Server) FailRequests(n, status int, exception string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failRequests, s.failStatus, s.failType = n, status, exception
}

// FailRecords marks the next n records of PutRecordBatch calls as failed.
func (s *Server) FailRecords(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failRecords = n
}

// Events returns the events of a log group, in the order they came.
func (s *Server) Events(group string) []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.events[group])
}

// Records returns the records of a delivery stream, in the order they came.
func (s *Server) Records(stream string) [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.streams[stream])
}

// Requests returns how many requests of an operation (PutLogEvents, …)
// were answered, failed ones included.
func (s *Server) Requests(op string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests[op]
}

// BadSignatures returns how many requests were refused for their signature.
func (s *Server) BadSignatures() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.badSigs
}

const maxBody = 6 << 20

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil || len(body) > maxBody {
		writeError(w, http.StatusRequestEntityTooLarge, "SerializationException", "request too large")
		return
	}
	target := r.Header.Get("X-Amz-Target")
	prefix, op, _ := strings.Cut(target, ".")
	var service string
	switch prefix {
	case "Logs_20140328":
		service = "logs"
	case "Firehose_20150804":
		service = "firehose"
	default:
		writeError(w, http.StatusBadRequest, "UnknownOperationException", "unknown target "+target)
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/x-amz-json-1.1" {
		writeError(w, http.StatusBadRequest, "SerializationException", "content type "+ct)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if msg := s.verifyLocked(r, body, service); msg != "" {
		s.badSigs++
		writeError(w, http.StatusForbidden, "InvalidSignatureException", msg)
		return
	}
	s.requests[op]++
	if s.failRequests > 0 {
		s.failRequests--
		writeError(w, s.failStatus, s.failType, "failure asked for by the test")
		return
	}
	switch target {
	case "Logs_20140328.CreateLogGroup":
		s.createLogGroupLocked(w, body)
	case "Logs_20140328.CreateLogStream":
		s.createLogStreamLocked(w, body)
	case "Logs_20140328.PutLogEvents":
		s.putLogEventsLocked(w, body)
	case "Logs_20140328.DescribeLogGroups":
		s.describeLogGroupsLocked(w, body)
	case "Firehose_20150804.PutRecordBatch":
		s.putRecordBatchLocked(w, body)
	case "Firehose_20150804.DescribeDeliveryStream":
		s.describeDeliveryStreamLocked(w, body)
	default:
		writeError(w, http.StatusBadRequest, "UnknownOperationException", "operation not served: "+op)
	}
}

func (s *Server) createLogGroupLocked(w http.ResponseWriter, body []byte) {
	var in struct {
		LogGroupName string `json:"logGroupName"`
	}
	if err := json.Unmarshal(body, &in); err != nil || in.LogGroupName == "" || len(in.LogGroupName) > 512 {
		writeError(w, http.StatusBadRequest, "InvalidParameterException", "bad CreateLogGroup request")
		return
	}
	if _, ok := s.groups[in.LogGroupName]; ok {
		writeError(w, http.StatusBadRequest, "ResourceAlreadyExistsException", "The specified log group already exists")
		return
	}
	s.groups[in.LogGroupName] = map[string]bool{}
	writeJSON(w, struct{}{})
}

// describeLogGroupsLocked answers DescribeLogGroups with the groups whose
// names start with logGroupNamePrefix, in name order, limit (at most 50)
// a page, the next page's first name as nextToken.
func (s *Server) describeLogGroupsLocked(w http.ResponseWriter, body []byte) {
	var in struct {
		LogGroupNamePrefix string `json:"logGroupNamePrefix"`
		Limit              int    `json:"limit"`
		NextToken          string `json:"nextToken"`
	}
	if err := json.Unmarshal(body, &in); err != nil || in.Limit < 0 || in.Limit > 50 {
		writeError(w, http.StatusBadRequest, "InvalidParameterException", "bad DescribeLogGroups request")
		return
	}
	if in.Limit == 0 {
		in.Limit = 50
	}
	var names []string
	for name := range s.groups {
		if strings.HasPrefix(name, in.LogGroupNamePrefix) && name >= in.NextToken {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	type group struct {
		LogGroupName string `json:"logGroupName"`
		Arn          string `json:"arn"`
	}
	out := struct {
		LogGroups []group `json:"logGroups"`
		NextToken string  `json:"nextToken,omitempty"`
	}{LogGroups: []group{}}
	for i, name := range names {
		if i == in.Limit {
			out.NextToken = name
			break
		}
		out.LogGroups = append(out.LogGroups, group{LogGroupName: name, Arn: "arn:aws:logs:us-east-1:123456789012:log-group:" + name + ":*"})
	}
	writeJSON(w, out)
}

// describeDeliveryStreamLocked answers DescribeDeliveryStream for an
// existing stream, ACTIVE and of type DirectPut.
func (s *Server) describeDeliveryStreamLocked(w http.ResponseWriter, body []byte) {
	var in struct {
		DeliveryStreamName string `json:"DeliveryStreamName"`
	}
	if err := json.Unmarshal(body, &in); err != nil || in.DeliveryStreamName == "" {
		writeError(w, http.StatusBadRequest, "InvalidArgumentException", "bad DescribeDeliveryStream request")
		return
	}
	if _, ok := s.streams[in.DeliveryStreamName]; !ok {
		writeError(w, http.StatusBadRequest, "ResourceNotFoundException", "Firehose "+in.DeliveryStreamName+" under account 123456789012 not found.")
		return
	}
	writeJSON(w, map[string]any{"DeliveryStreamDescription": map[string]any{
		"DeliveryStreamName":   in.DeliveryStreamName,
		"DeliveryStreamARN":    "arn:aws:firehose:us-east-1:123456789012:deliverystream/" + in.DeliveryStreamName,
		"DeliveryStreamStatus": "ACTIVE", "DeliveryStreamType": "DirectPut", "VersionId": "1",
		"Destinations": []any{}, "HasMoreDestinations": false,
	}})
}

func (s *Server) createLogStreamLocked(w http.ResponseWriter, body []byte) {
	var in struct {
		LogGroupName  string `json:"logGroupName"`
		LogStreamName string `json:"logStreamName"`
	}
	if err := json.Unmarshal(body, &in); err != nil || in.LogGroupName == "" || in.LogStreamName == "" ||
		strings.ContainsAny(in.LogStreamName, ":*") || len(in.LogStreamName) > 512 {
		writeError(w, http.StatusBadRequest, "InvalidParameterException", "bad CreateLogStream request")
		return
	}
	streams, ok := s.groups[in.LogGroupName]
	if !ok {
		writeError(w, http.StatusBadRequest, "ResourceNotFoundException", "The specified log group does not exist.")
		return
	}
	if streams[in.LogStreamName] {
		writeError(w, http.StatusBadRequest, "ResourceAlreadyExistsException", "The specified log stream already exists")
		return
	}
	streams[in.LogStreamName] = true
	writeJSON(w, struct{}{})
}

// PutLogEvents limits (CloudWatch Logs API reference).
const (
	maxLogEvents     = 10_000
	maxLogBatchBytes = 1_048_576
	logEventOverhead = 26
)

func (s *Server) putLogEventsLocked(w http.ResponseWriter, body []byte) {
	var in struct {
		LogGroupName  string `json:"logGroupName"`
		LogStreamName string `json:"logStreamName"`
		LogEvents     []struct {
			Timestamp *int64  `json:"timestamp"`
			Message   *string `json:"message"`
		} `json:"logEvents"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		writeError(w, http.StatusBadRequest, "SerializationException", err.Error())
		return
	}
	streams, ok := s.groups[in.LogGroupName]
	if !ok || !streams[in.LogStreamName] {
		writeError(w, http.StatusBadRequest, "ResourceNotFoundException", "The specified log group or stream does not exist.")
		return
	}
	if n := len(in.LogEvents); n == 0 || n > maxLogEvents {
		writeError(w, http.StatusBadRequest, "InvalidParameterException", "logEvents must hold 1 to 10000 events")
		return
	}
	size := 0
	var prev int64
	var got []Event
	for i, e := range in.LogEvents {
		if e.Timestamp == nil || e.Message == nil || *e.Message == "" {
			writeError(w, http.StatusBadRequest, "InvalidParameterException", "an event needs a timestamp and a message")
			return
		}
		if i > 0 && *e.Timestamp < prev {
			writeError(w, http.StatusBadRequest, "InvalidParameterException", "Log events in a single PutLogEvents request must be in chronological order.")
			return
		}
		prev = *e.Timestamp
		size += len(*e.Message) + logEventOverhead
		got = append(got, Event{Stream: in.LogStreamName, Timestamp: *e.Timestamp, Message: *e.Message})
	}
	if size > maxLogBatchBytes {
		writeError(w, http.StatusBadRequest, "InvalidParameterException", "batch larger than 1,048,576 bytes")
		return
	}
	s.events[in.LogGroupName] = append(s.events[in.LogGroupName], got...)
	writeJSON(w, map[string]string{"nextSequenceToken": strconv.Itoa(len(s.events[in.LogGroupName]))})
}

// PutRecordBatch limits (Amazon Data Firehose API reference).
const (
	maxFirehoseRecords    = 500
	maxFirehoseBatchBytes = 4 << 20
	maxFirehoseRecord     = 1000 << 10
)

func (s *Server) putRecordBatchLocked(w http.ResponseWriter, body []byte) {
	var in struct {
		DeliveryStreamName string `json:"DeliveryStreamName"`
		Records            []struct {
			Data []byte `json:"Data"` // base64 on the wire
		} `json:"Records"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		writeError(w, http.StatusBadRequest, "SerializationException", err.Error())
		return
	}
	if _, ok := s.streams[in.DeliveryStreamName]; !ok {
		writeError(w, http.StatusBadRequest, "ResourceNotFoundException", "Firehose "+in.DeliveryStreamName+" not found.")
		return
	}
	if n := len(in.Records); n == 0 || n > maxFirehoseRecords {
		writeError(w, http.StatusBadRequest, "InvalidArgumentException", "Records must hold 1 to 500 records")
		return
	}
	size := 0
	for _, rec := range in.Records {
		if len(rec.Data) == 0 || len(rec.Data) > maxFirehoseRecord {
			writeError(w, http.StatusBadRequest, "InvalidArgumentException", "a record must hold 1 byte to 1,000 KiB")
			return
		}
		size += len(rec.Data)
	}
	if size > maxFirehoseBatchBytes {
		writeError(w, http.StatusBadRequest, "InvalidArgumentException", "batch larger than 4 MiB")
		return
	}
	type resp struct {
		RecordID     string `json:"RecordId,omitempty"`
		ErrorCode    string `json:"ErrorCode,omitempty"`
		ErrorMessage string `json:"ErrorMessage,omitempty"`
	}
	out := struct {
		FailedPutCount   int    `json:"FailedPutCount"`
		Encrypted        bool   `json:"Encrypted"`
		RequestResponses []resp `json:"RequestResponses"`
	}{RequestResponses: []resp{}}
	for _, rec := range in.Records {
		if s.failRecords > 0 {
			s.failRecords--
			out.FailedPutCount++
			out.RequestResponses = append(out.RequestResponses, resp{ErrorCode: "ServiceUnavailableException", ErrorMessage: "Slow down."})
			continue
		}
		s.streams[in.DeliveryStreamName] = append(s.streams[in.DeliveryStreamName], rec.Data)
		out.RequestResponses = append(out.RequestResponses, resp{RecordID: fmt.Sprintf("%s-%d", in.DeliveryStreamName, len(s.streams[in.DeliveryStreamName]))})
	}
	writeJSON(w, out)
}

// verifyLocked checks r's SigV4 signature for service and returns why it
// is refused, or "".
func (s *Server) verifyLocked(r *http.Request, body []byte, service string) string {
	auth := r.Header.Get("Authorization")
	rest, ok := strings.CutPrefix(auth, "AWS4-HMAC-SHA256 ")
	if !ok {
		return "missing or unknown Authorization"
	}
	fields := map[string]string{}
	for _, f := range strings.Split(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(f), "=")
		fields[k] = v
	}
	scope := strings.Split(fields["Credential"], "/")
	if len(scope) != 5 || scope[4] != "aws4_request" {
		return "bad credential scope"
	}
	akid, date, region, svc := scope[0], scope[1], scope[2], scope[3]
	secret, ok := s.secrets[akid]
	if !ok {
		return "unknown access key"
	}
	if svc != service {
		return "signed for service " + svc + ", not " + service
	}
	t, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil || t.Format("20060102") != date {
		return "bad X-Amz-Date"
	}
	if d := time.Since(t); d > 15*time.Minute || d < -15*time.Minute {
		return "signature expired"
	}
	signed := strings.Split(fields["SignedHeaders"], ";")
	for _, h := range []string{"host", "x-amz-date", "x-amz-target"} {
		if !slices.Contains(signed, h) {
			return h + " not signed"
		}
	}
	sum := sha256.Sum256(body)
	payloadHash := hex.EncodeToString(sum[:])
	// Sign again a copy holding only the signed headers.
	header := http.Header{}
	for _, h := range signed {
		if h == "host" || h == "content-length" {
			continue
		}
		ck := textproto.CanonicalMIMEHeaderKey(h)
		header[ck] = slices.Clone(r.Header.Values(ck))
	}
	var length int64
	if slices.Contains(signed, "content-length") {
		length = int64(len(body))
	}
	req := &http.Request{Method: r.Method, URL: &url.URL{Path: r.URL.Path, RawPath: r.URL.RawPath, RawQuery: r.URL.RawQuery},
		Host: r.Host, Header: header, ContentLength: length}
	creds := aws.Credentials{AccessKeyID: akid, SecretAccessKey: secret, SessionToken: r.Header.Get("X-Amz-Security-Token")}
	if err := v4.NewSigner().SignHTTP(r.Context(), creds, req, payloadHash, service, region, t); err != nil {
		return "sign: " + err.Error()
	}
	want := req.Header.Get("Authorization")
	if subtle.ConstantTimeCompare([]byte(want), []byte(auth)) != 1 {
		return "signature does not match"
	}
	return ""
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, exception, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", exception)
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"__type": exception, "message": msg})
}
