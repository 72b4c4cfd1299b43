package messaging

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/google/go-cmp/cmp"
)

// fakeAWS stands in for an AWS endpoint: it records the requests the real
// AWS SDK client makes and answers each with the canned status, headers
// and body. Offline, a fake of AWS's side is the only way to watch the
// SDK's requests; everything on cognate's side is the real code.
type fakeAWS struct {
	status  int
	headers map[string]string
	body    string

	mu   sync.Mutex
	reqs []awsRequest
}

type awsRequest struct {
	Method, Path, ContentType string
	// Scope is the credential scope of the SigV4 signature:
	// "<region>/<service>".
	Scope string
	Body  []byte
}

var credentialScope = regexp.MustCompile(`Credential=[^/]+/[0-9]{8}/([^/]+/[^/]+)/aws4_request`)

func startFakeAWS(t *testing.T, status int, headers map[string]string, body string) (*fakeAWS, string) {
	t.Helper()
	f := &fakeAWS{status: status, headers: headers, body: body}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var scope string
		if m := credentialScope.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
			scope = m[1]
		}
		f.mu.Lock()
		f.reqs = append(f.reqs, awsRequest{Method: r.Method, Path: r.URL.Path, ContentType: r.Header.Get("Content-Type"), Scope: scope, Body: b})
		f.mu.Unlock()
		for k, v := range f.headers {
			w.Header().Set(k, v)
		}
		w.WriteHeader(f.status)
		io.WriteString(w, f.body)
	}))
	t.Cleanup(srv.Close)
	return f, srv.URL
}

func (f *fakeAWS) requests() []awsRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]awsRequest(nil), f.reqs...)
}

// isolateAWSConfig keeps the developer's own AWS files and profile out of
// the SDK's default chain.
func isolateAWSConfig(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
}

var testCredentials = credentials.NewStaticCredentialsProvider("AKIDCOGNATETEST", "test-secret", "")

func decodeJSON(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("request body %s: %v", b, err)
	}
	return m
}

func TestSESSenderSendEmail(t *testing.T) {
	const sourceARN = "arn:aws:ses:eu-west-1:123456789012:identity/verified@example.com"
	text := func(s string) map[string]any { return map[string]any{"Charset": "UTF-8", "Data": s} }
	tests := []struct {
		name      string
		email     EmailSettings
		body      string
		wantScope string
		want      map[string]any
	}{
		{
			name:      "From, reply-to and configuration set, in the SourceArn's region",
			email:     EmailSettings{SendingAccount: EmailSendingAccountDeveloper, From: "Example App <app@example.com>", ReplyTo: "help@example.com", SourceARN: sourceARN, ConfigurationSet: "cognito-events"},
			body:      "Your code is 123456",
			wantScope: "eu-west-1/ses",
			want: map[string]any{
				"FromEmailAddress":            "Example App <app@example.com>",
				"FromEmailAddressIdentityArn": sourceARN,
				"Destination":                 map[string]any{"ToAddresses": []any{"jane@example.com"}},
				"ReplyToAddresses":            []any{"help@example.com"},
				"ConfigurationSetName":        "cognito-events",
				"Content": map[string]any{"Simple": map[string]any{
					"Subject": text("Your verification code"),
					"Body":    map[string]any{"Text": text("Your code is 123456")},
				}},
			},
		},
		{
			name:      "sender from the SourceArn, HTML body",
			email:     EmailSettings{SendingAccount: EmailSendingAccountDeveloper, SourceARN: sourceARN},
			body:      "<p>Your code is <b>123456</b></p>",
			wantScope: "eu-west-1/ses",
			want: map[string]any{
				"FromEmailAddress":            "verified@example.com",
				"FromEmailAddressIdentityArn": sourceARN,
				"Destination":                 map[string]any{"ToAddresses": []any{"jane@example.com"}},
				"Content": map[string]any{"Simple": map[string]any{
					"Subject": text("Your verification code"),
					"Body":    map[string]any{"Html": text("<p>Your code is <b>123456</b></p>")},
				}},
			},
		},
		{
			name:      "From alone, in the configured region",
			email:     EmailSettings{SendingAccount: EmailSendingAccountDeveloper, From: "app@example.com"},
			body:      "Your code is 123456",
			wantScope: "us-west-2/ses",
			want: map[string]any{
				"FromEmailAddress": "app@example.com",
				"Destination":      map[string]any{"ToAddresses": []any{"jane@example.com"}},
				"Content": map[string]any{"Simple": map[string]any{
					"Subject": text("Your verification code"),
					"Body":    map[string]any{"Text": text("Your code is 123456")},
				}},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			isolateAWSConfig(t)
			fake, endpoint := startFakeAWS(t, http.StatusOK, map[string]string{"Content-Type": "application/json"}, `{"MessageId":"0100-test"}`)
			s, err := NewSESSender(SESConfig{Region: "us-west-2", Endpoint: endpoint, Credentials: testCredentials})
			if err != nil {
				t.Fatal(err)
			}
			m := emailMessage(tc.body)
			m.Email = tc.email
			if err := s.Send(context.Background(), m); err != nil {
				t.Fatalf("Send: %v", err)
			}
			reqs := fake.requests()
			if len(reqs) != 1 {
				t.Fatalf("%d requests, want 1", len(reqs))
			}
			r := reqs[0]
			if r.Method != http.MethodPost || r.Path != "/v2/email/outbound-emails" || r.ContentType != "application/json" {
				t.Errorf("request %s %s (%s), want POST /v2/email/outbound-emails (application/json)", r.Method, r.Path, r.ContentType)
			}
			if r.Scope != tc.wantScope {
				t.Errorf("signed for %q, want %q", r.Scope, tc.wantScope)
			}
			if diff := cmp.Diff(tc.want, decodeJSON(t, r.Body)); diff != "" {
				t.Errorf("SendEmail request (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSESSenderFailures(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		email   EmailSettings
		region  string
		wantErr string
		calls   int
	}{
		{
			name:    "SES refuses",
			status:  http.StatusBadRequest,
			email:   EmailSettings{From: "app@example.com"},
			region:  "us-east-1",
			wantErr: "MessageRejected",
			calls:   1,
		},
		{
			name:    "no sender",
			email:   EmailSettings{SourceARN: "arn:aws:ses:us-east-1:123456789012:identity/example.com"},
			region:  "us-east-1",
			wantErr: "ses: the pool names no sender",
		},
		{
			name:    "no region",
			email:   EmailSettings{From: "app@example.com"},
			wantErr: "ses: no region",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			isolateAWSConfig(t)
			fake, endpoint := startFakeAWS(t, tc.status,
				map[string]string{"Content-Type": "application/json", "X-Amzn-ErrorType": "MessageRejected"},
				`{"message":"Email address is not verified."}`)
			s, err := NewSESSender(SESConfig{Region: tc.region, Endpoint: endpoint, Credentials: testCredentials})
			if err != nil {
				t.Fatal(err)
			}
			m := emailMessage("x")
			m.Email = tc.email
			err = s.Send(context.Background(), m)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Send error = %v, want one mentioning %q", err, tc.wantErr)
			}
			if n := len(fake.requests()); n != tc.calls {
				t.Errorf("%d requests, want %d", n, tc.calls)
			}
		})
	}
}

const snsPublishResponse = `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">` +
	`<PublishResult><MessageId>94f20ce6-13c5-43a0-9a9e-ca52d816e90b</MessageId></PublishResult>` +
	`<ResponseMetadata><RequestId>f187a3c1-376f-11df-8963-01868b7c937a</RequestId></ResponseMetadata></PublishResponse>`

func TestSNSSenderPublish(t *testing.T) {
	tests := []struct {
		name      string
		sms       SMSSettings
		wantScope string
	}{
		{"configured region", SMSSettings{SNSCallerARN: "arn:aws:iam::123456789012:role/sns"}, "us-east-1/sns"},
		{"pool's SnsRegion", SMSSettings{SNSCallerARN: "arn:aws:iam::123456789012:role/sns", SNSRegion: "ap-southeast-2"}, "ap-southeast-2/sns"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			isolateAWSConfig(t)
			fake, endpoint := startFakeAWS(t, http.StatusOK, map[string]string{"Content-Type": "text/xml"}, snsPublishResponse)
			s, err := NewSNSSender(SNSConfig{Region: "us-east-1", Endpoint: endpoint, Credentials: testCredentials})
			if err != nil {
				t.Fatal(err)
			}
			m := Message{Pool: "us-east-1_abc", Channel: ChannelSMS, To: "+15555550100", Body: "Your code is 123456", Purpose: PurposeVerification, SMS: tc.sms}
			if err := s.Send(context.Background(), m); err != nil {
				t.Fatalf("Send: %v", err)
			}
			reqs := fake.requests()
			if len(reqs) != 1 {
				t.Fatalf("%d requests, want 1", len(reqs))
			}
			r := reqs[0]
			if r.Method != http.MethodPost || r.Path != "/" || r.ContentType != "application/x-www-form-urlencoded" {
				t.Errorf("request %s %s (%s), want POST / (form)", r.Method, r.Path, r.ContentType)
			}
			if r.Scope != tc.wantScope {
				t.Errorf("signed for %q, want %q", r.Scope, tc.wantScope)
			}
			got, err := url.ParseQuery(string(r.Body))
			if err != nil {
				t.Fatal(err)
			}
			want := url.Values{
				"Action":                         {"Publish"},
				"Version":                        {"2010-03-31"},
				"PhoneNumber":                    {"+15555550100"},
				"Message":                        {"Your code is 123456"},
				"MessageAttributes.entry.1.Name": {"AWS.SNS.SMS.SMSType"},
				"MessageAttributes.entry.1.Value.DataType":    {"String"},
				"MessageAttributes.entry.1.Value.StringValue": {"Transactional"},
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Publish request (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSNSSenderFailures(t *testing.T) {
	isolateAWSConfig(t)
	fake, endpoint := startFakeAWS(t, http.StatusBadRequest, map[string]string{"Content-Type": "text/xml"},
		`<ErrorResponse><Error><Type>Sender</Type><Code>InvalidParameter</Code>`+
			`<Message>Invalid parameter: PhoneNumber Reason: +1 is not valid to publish to</Message></Error>`+
			`<RequestId>b7c5b3a4-0000-0000-0000-000000000000</RequestId></ErrorResponse>`)
	s, err := NewSNSSender(SNSConfig{Region: "us-east-1", Endpoint: endpoint, Credentials: testCredentials})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Send(context.Background(), Message{Channel: ChannelSMS, To: "+1", Body: "x"})
	if err == nil || !strings.Contains(err.Error(), "InvalidParameter") {
		t.Fatalf("Send error = %v, want InvalidParameter", err)
	}
	err = s.Send(context.Background(), emailMessage("x"))
	if err == nil || !strings.Contains(err.Error(), "sns: cannot send EMAIL messages") {
		t.Fatalf("Send(email) error = %v", err)
	}
	if n := len(fake.requests()); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}
