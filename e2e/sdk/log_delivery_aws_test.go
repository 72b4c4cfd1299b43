package sdk

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/cognate-dev/cognate/internal/directory"
	"github.com/cognate-dev/cognate/internal/messaging"
	"github.com/cognate-dev/cognate/internal/messaging/awslogtest"
	"github.com/cognate-dev/cognate/internal/ratelimit"
	"github.com/cognate-dev/cognate/internal/userpool"
)

const (
	awsLogAKID       = "AKIDLOGDELIVERY"
	awsLogSecret     = "log-delivery-secret"
	sdkLogGroupARN   = "arn:aws:logs:us-east-1:123456789012:log-group:/cognito/notifications"
	sdkStreamARN     = "arn:aws:firehose:us-east-1:123456789012:deliverystream/auth-events"
	sdkMissingStream = "arn:aws:firehose:us-east-1:123456789012:deliverystream/not-there"
	sdkBucketARN     = "arn:aws:s3:::auth-events"
)

// logCounts keeps the exporter's LogObserver counts.
type logCounts struct {
	mu sync.Mutex
	n  map[string]int
}

func (o *logCounts) LogRecordsExported(via, outcome string, n int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.n[via+"/"+outcome] += n
}

func (o *logCounts) get(k string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.n[k]
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// TestLogDeliveryToAWSServices sets, through the SDK, log delivery to ARNs
// that no destination of the server names, so that the server delivers
// through the AWS SDK itself: an undeliverable email to a CloudWatch Logs
// log group, sign-ins to a Firehose stream and to an S3 bucket. CloudWatch
// Logs and Firehose are the awslogtest stand-in (it checks every request's
// SigV4 signature); S3 is gofakes3, a real S3-compatible server in the
// process, which checks no signature. A stream that does not exist makes
// the delivery fail: the sign-in still succeeds and the failure is counted.
func TestLogDeliveryToAWSServices(t *testing.T) {
	for _, name := range backendNames {
		t.Run(name, func(t *testing.T) {
			db := migrated(t, openBackend(t, name))
			stand := awslogtest.New(awsLogAKID, awsLogSecret)
			t.Cleanup(stand.Close)
			stand.AddLogGroup("/cognito/notifications")
			stand.AddDeliveryStream("auth-events")
			s3backend := s3mem.New()
			if err := s3backend.CreateBucket("auth-events"); err != nil {
				t.Fatal(err)
			}
			s3srv := httptest.NewServer(gofakes3.New(s3backend).Server())
			t.Cleanup(s3srv.Close)

			counts := &logCounts{n: map[string]int{}}
			flush := 50 * time.Millisecond
			creds := credentials.NewStaticCredentialsProvider(awsLogAKID, awsLogSecret, "")
			exporter, err := messaging.NewLogExporterWithAWS(nil, messaging.AWSLogDelivery{
				CloudWatchLogs: &messaging.AWSLogService{Region: "us-east-1", Endpoint: stand.URL, FlushInterval: flush},
				Firehose:       &messaging.AWSLogService{Region: "us-east-1", Endpoint: stand.URL, FlushInterval: flush},
				S3:             &messaging.AWSLogService{Region: "us-east-1", Endpoint: s3srv.URL, FlushInterval: flush, UsePathStyle: true},
				Credentials:    creds, MaxAttempts: 2, MaxBackoff: 20 * time.Millisecond, Node: "e2e",
			}, counts, nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(exporter.Close)
			refusing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusServiceUnavailable)
			}))
			t.Cleanup(refusing.Close)
			sender, err := messaging.NewWebhookSender(messaging.WebhookConfig{URL: refusing.URL, Secret: logWebhookSecret})
			if err != nil {
				t.Fatal(err)
			}
			url := servePools(t, db, directory.Options{Sender: sender}, nil, ratelimit.Off(), ratelimit.Unprotected(), nil,
				userpool.Options{LogExporter: exporter})
			e := &env{URL: url, Store: db}
			c := e.client("us-east-1")
			ctx := context.Background()

			plus := func(name string) *types.UserPoolType {
				return createPool(t, c, &cip.CreateUserPoolInput{PoolName: aws.String(name), UserPoolTier: types.UserPoolTierTypePlus,
					UserPoolAddOns: &types.UserPoolAddOnsType{AdvancedSecurityMode: types.AdvancedSecurityModeTypeAudit}})
			}
			toFirehose, toS3, toNowhere := plus("firehose"), plus("s3"), plus("missing")
			authTo := func(pool *types.UserPoolType, cfg types.LogConfigurationType, extra ...types.LogConfigurationType) {
				t.Helper()
				cfg.EventSource, cfg.LogLevel = types.EventSourceNameUserAuthEvents, types.LogLevelInfo
				if _, err := c.SetLogDeliveryConfiguration(ctx, &cip.SetLogDeliveryConfigurationInput{UserPoolId: pool.Id,
					LogConfigurations: append([]types.LogConfigurationType{cfg}, extra...)}); err != nil {
					t.Fatal(err)
				}
			}
			authTo(toFirehose, types.LogConfigurationType{FirehoseConfiguration: &types.FirehoseConfigurationType{StreamArn: aws.String(sdkStreamARN)}},
				types.LogConfigurationType{EventSource: types.EventSourceNameUserNotification, LogLevel: types.LogLevelError,
					CloudWatchLogsConfiguration: &types.CloudWatchLogsConfigurationType{LogGroupArn: aws.String(sdkLogGroupARN)}})
			authTo(toS3, types.LogConfigurationType{S3Configuration: &types.S3ConfigurationType{BucketArn: aws.String(sdkBucketARN)}})

			// A destination that does not exist, or that cannot be checked,
			// is refused, and nothing is stored.
			setAuth := func(pool *types.UserPoolType, cfg types.LogConfigurationType) error {
				cfg.EventSource, cfg.LogLevel = types.EventSourceNameUserAuthEvents, types.LogLevelInfo
				_, err := c.SetLogDeliveryConfiguration(ctx, &cip.SetLogDeliveryConfigurationInput{UserPoolId: pool.Id, LogConfigurations: []types.LogConfigurationType{cfg}})
				return err
			}
			missingStream := types.LogConfigurationType{FirehoseConfiguration: &types.FirehoseConfigurationType{StreamArn: aws.String(sdkMissingStream)}}
			for _, tc := range []struct {
				name string
				cfg  types.LogConfigurationType
				msg  string
			}{
				{"a stream", missingStream, "The log destination " + sdkMissingStream + " does not exist."},
				{"a bucket", types.LogConfigurationType{S3Configuration: &types.S3ConfigurationType{BucketArn: aws.String("arn:aws:s3:::no-such-bucket")}},
					"The log destination arn:aws:s3:::no-such-bucket does not exist."},
				{"a log group", types.LogConfigurationType{CloudWatchLogsConfiguration: &types.CloudWatchLogsConfigurationType{LogGroupArn: aws.String("arn:aws:logs:us-east-1:123456789012:log-group:/cognito/other")}},
					"The log destination arn:aws:logs:us-east-1:123456789012:log-group:/cognito/other does not exist."},
			} {
				wantAPIError(t, setAuth(toNowhere, tc.cfg), "InvalidParameterException", tc.msg)
			}
			stand.AddDeliveryStream("not-there")
			stand.FailRequests(2, http.StatusServiceUnavailable, "ServiceUnavailableException")
			wantAPIError(t, setAuth(toNowhere, missingStream), "InvalidParameterException",
				"The log destination "+sdkMissingStream+" could not be checked: its service did not answer. Try again.")
			if got, err := c.GetLogDeliveryConfiguration(ctx, &cip.GetLogDeliveryConfigurationInput{UserPoolId: toNowhere.Id}); err != nil || len(got.LogDeliveryConfiguration.LogConfigurations) != 0 {
				t.Fatalf("configuration after refusals = %+v, %v; want none", got, err)
			}
			// The stream exists when configured, and goes afterwards.
			authTo(toNowhere, missingStream)
			stand.RemoveDeliveryStream("not-there")
			// An ARN of a service the server does not deliver to is refused.
			_, err = c.SetLogDeliveryConfiguration(ctx, &cip.SetLogDeliveryConfigurationInput{UserPoolId: toS3.Id,
				LogConfigurations: []types.LogConfigurationType{{EventSource: types.EventSourceNameUserAuthEvents, LogLevel: types.LogLevelInfo,
					S3Configuration: &types.S3ConfigurationType{BucketArn: aws.String("arn:aws:s3:::bucket/with-a-path")}}}})
			wantAPIError(t, err, "InvalidParameterException", "")

			// The undeliverable invitation: a CloudWatch Logs event.
			_, err = c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{
				UserPoolId: toFirehose.Id, Username: aws.String("unreachable"),
				UserAttributes:         []types.AttributeType{{Name: aws.String("email"), Value: aws.String("unreachable@example.com")}},
				DesiredDeliveryMediums: []types.DeliveryMediumType{types.DeliveryMediumTypeEmail},
			})
			wantAPIError(t, err, "CodeDeliveryFailureException", "")
			eventually(t, "the CloudWatch Logs event", func() bool { return len(stand.Events("/cognito/notifications")) == 1 })
			var note exportedRecord
			if err := json.Unmarshal([]byte(stand.Events("/cognito/notifications")[0].Message), &note); err != nil {
				t.Fatal(err)
			}
			if note.EventSource != "USER_NOTIFICATION" || note.LogLevel != "ERROR" || note.LogSourceID.UserPoolID != *toFirehose.Id ||
				!strings.Contains(note.Message["details"].(string), "could not be delivered") {
				t.Errorf("CloudWatch Logs record = %+v", note)
			}

			// A sign-in in each pool.
			for _, pool := range []*types.UserPoolType{toFirehose, toS3, toNowhere} {
				client := appClient(t, c, &cip.CreateUserPoolClientInput{UserPoolId: pool.Id, ClientName: aws.String("app"), ExplicitAuthFlows: signInFlows})
				if _, err := c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: pool.Id, Username: aws.String("alice"), MessageAction: types.MessageActionTypeSuppress}); err != nil {
					t.Fatal(err)
				}
				if _, err := c.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: pool.Id, Username: aws.String("alice"), Password: aws.String(signInPassword), Permanent: true}); err != nil {
					t.Fatal(err)
				}
				if _, err := c.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: client.ClientId, AuthFlow: types.AuthFlowTypeUserPasswordAuth,
					AuthParameters: map[string]string{"USERNAME": "alice", "PASSWORD": signInPassword}}); err != nil {
					t.Fatalf("sign-in in %s: %v", aws.ToString(pool.Name), err)
				}
			}
			checkAuthRecord := func(where string, body []byte, pool *types.UserPoolType) {
				t.Helper()
				var rec exportedRecord
				if err := json.Unmarshal(body, &rec); err != nil {
					t.Fatalf("%s: %q: %v", where, body, err)
				}
				if rec.EventSource != "USER_AUTH_EVENTS" || rec.LogSourceID.UserPoolID != *pool.Id ||
					rec.Message["eventType"] != "SignIn" || rec.Message["eventResponse"] != "Pass" {
					t.Errorf("%s record = %s", where, body)
				}
			}
			eventually(t, "the Firehose record", func() bool { return len(stand.Records("auth-events")) == 1 })
			checkAuthRecord("Firehose", stand.Records("auth-events")[0], toFirehose)

			s3c := s3.New(s3.Options{BaseEndpoint: aws.String(s3srv.URL), Region: "us-east-1", UsePathStyle: true, Credentials: creds})
			var keys []string
			eventually(t, "the S3 object", func() bool {
				out, err := s3c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("auth-events")})
				if err != nil {
					t.Fatal(err)
				}
				keys = nil
				for _, o := range out.Contents {
					keys = append(keys, aws.ToString(o.Key))
				}
				return len(keys) == 1
			})
			obj, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("auth-events"), Key: aws.String(keys[0])})
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(obj.Body)
			obj.Body.Close()
			if !strings.HasPrefix(keys[0], messaging.DefaultS3LogKeyPrefix) || bytes.Count(body, []byte("\n")) != 1 {
				t.Errorf("S3 object %q = %q", keys[0], body)
			}
			checkAuthRecord("S3", bytes.TrimSpace(body), toS3)

			// The stream that does not exist: counted as failed, after the
			// sign-in has succeeded above.
			eventually(t, "the failed Firehose record", func() bool { return counts.get("firehose/failed") == 1 })
			if got := []int{counts.get("logs/delivered"), counts.get("firehose/delivered"), counts.get("s3/delivered")}; got[0] != 1 || got[1] != 1 || got[2] != 1 {
				t.Errorf("delivered logs, firehose, s3 = %v, want 1 each", got)
			}
			if n := stand.BadSignatures(); n != 0 {
				t.Errorf("%d requests refused for their signature", n)
			}
		})
	}
}
