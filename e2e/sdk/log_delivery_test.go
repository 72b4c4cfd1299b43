package sdk

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/google/go-cmp/cmp"

	"github.com/cognate-dev/cognate/internal/directory"
	"github.com/cognate-dev/cognate/internal/messaging"
	"github.com/cognate-dev/cognate/internal/ratelimit"
	"github.com/cognate-dev/cognate/internal/userpool"
)

const (
	notificationLogGroup = "arn:aws:logs:us-east-1:123456789012:log-group:/cognito/notifications"
	authEventsStream     = "arn:aws:firehose:us-east-1:123456789012:deliverystream/auth-events"
	logWebhookSecret     = "log-webhook-secret-0123"
)

// exportedRecord is a log record as the destinations receive it.
type exportedRecord struct {
	EventTimestamp string         `json:"eventTimestamp"`
	EventSource    string         `json:"eventSource"`
	LogLevel       string         `json:"logLevel"`
	Message        map[string]any `json:"message"`
	LogSourceID    struct {
		UserPoolID string `json:"userPoolId"`
	} `json:"logSourceId"`
}

// TestLogDeliveryThroughSDK configures a pool's log delivery with the SDK
// (userNotification to a log group the server writes to a file as JSON
// lines, userAuthEvents to a Firehose stream the server POSTs to an HTTPS
// webhook), reads it back, checks Cognito's refusals, then makes an email
// the pool cannot deliver (the email sender is a webhook that answers
// 503) and a sign-in, and finds their records in the file and at the
// webhook, signed.
func TestLogDeliveryThroughSDK(t *testing.T) {
	for _, name := range backendNames {
		t.Run(name, func(t *testing.T) {
			db := migrated(t, openBackend(t, name))
			logFile := filepath.Join(t.TempDir(), "notifications.jsonl")
			received := make(chan []byte, 16)
			hook := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				if !messaging.VerifyWebhookSignature(logWebhookSecret, body, r.Header.Get(messaging.WebhookSignatureHeader)) {
					t.Errorf("log webhook: bad signature on %s", body)
				}
				received <- body
			}))
			t.Cleanup(hook.Close)
			exporter, err := messaging.NewLogExporter([]messaging.LogDestination{
				{ARN: notificationLogGroup, File: logFile},
				{ARN: authEventsStream, Webhook: &messaging.WebhookConfig{URL: hook.URL, Secret: logWebhookSecret, Client: hook.Client()}},
			}, nil)
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

			pool := createPool(t, c, &cip.CreateUserPoolInput{
				PoolName: aws.String("logged"), UserPoolTier: types.UserPoolTierTypePlus,
				UserPoolAddOns: &types.UserPoolAddOnsType{AdvancedSecurityMode: types.AdvancedSecurityModeTypeAudit},
			})
			essentials := createPool(t, c, &cip.CreateUserPoolInput{PoolName: aws.String("essentials")})

			got, err := c.GetLogDeliveryConfiguration(ctx, &cip.GetLogDeliveryConfigurationInput{UserPoolId: pool.Id})
			if err != nil {
				t.Fatal(err)
			}
			if n := len(got.LogDeliveryConfiguration.LogConfigurations); aws.ToString(got.LogDeliveryConfiguration.UserPoolId) != *pool.Id || n != 0 {
				t.Errorf("GetLogDeliveryConfiguration before any set = %+v", got.LogDeliveryConfiguration)
			}

			notify := types.LogConfigurationType{EventSource: types.EventSourceNameUserNotification, LogLevel: types.LogLevelError,
				CloudWatchLogsConfiguration: &types.CloudWatchLogsConfigurationType{LogGroupArn: aws.String(notificationLogGroup)}}
			auth := types.LogConfigurationType{EventSource: types.EventSourceNameUserAuthEvents, LogLevel: types.LogLevelInfo,
				FirehoseConfiguration: &types.FirehoseConfigurationType{StreamArn: aws.String(authEventsStream)}}
			for _, tc := range []struct {
				name string
				pool *string
				cfgs []types.LogConfigurationType
				code string
			}{
				{"notifications at INFO", pool.Id, []types.LogConfigurationType{{EventSource: types.EventSourceNameUserNotification, LogLevel: types.LogLevelInfo,
					CloudWatchLogsConfiguration: notify.CloudWatchLogsConfiguration}}, "InvalidParameterException"},
				{"notifications to Firehose", pool.Id, []types.LogConfigurationType{{EventSource: types.EventSourceNameUserNotification, LogLevel: types.LogLevelError,
					FirehoseConfiguration: auth.FirehoseConfiguration}}, "InvalidParameterException"},
				{"a log group the server does not know", pool.Id, []types.LogConfigurationType{{EventSource: types.EventSourceNameUserNotification, LogLevel: types.LogLevelError,
					CloudWatchLogsConfiguration: &types.CloudWatchLogsConfigurationType{LogGroupArn: aws.String("arn:aws:logs:us-east-1:123456789012:log-group:other")}}}, "InvalidParameterException"},
				{"a source twice", pool.Id, []types.LogConfigurationType{notify, notify}, "InvalidParameterException"},
				{"auth events outside PLUS", essentials.Id, []types.LogConfigurationType{auth}, "FeatureUnavailableInTierException"},
				{"no such pool", aws.String("us-east-1_nosuchpool"), []types.LogConfigurationType{notify}, "ResourceNotFoundException"},
			} {
				t.Run(tc.name, func(t *testing.T) {
					_, err := c.SetLogDeliveryConfiguration(ctx, &cip.SetLogDeliveryConfigurationInput{UserPoolId: tc.pool, LogConfigurations: tc.cfgs})
					wantAPIError(t, err, tc.code, "")
				})
			}

			set, err := c.SetLogDeliveryConfiguration(ctx, &cip.SetLogDeliveryConfigurationInput{UserPoolId: pool.Id, LogConfigurations: []types.LogConfigurationType{notify, auth}})
			if err != nil {
				t.Fatal(err)
			}
			got, err = c.GetLogDeliveryConfiguration(ctx, &cip.GetLogDeliveryConfigurationInput{UserPoolId: pool.Id})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(set.LogDeliveryConfiguration, got.LogDeliveryConfiguration, cmpOpts); diff != "" {
				t.Errorf("Get after Set (-set +get):\n%s", diff)
			}
			if n := len(got.LogDeliveryConfiguration.LogConfigurations); n != 2 {
				t.Errorf("LogConfigurations = %d, want 2", n)
			}

			// An invitation the email sender refuses.
			_, err = c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{
				UserPoolId: pool.Id, Username: aws.String("unreachable"),
				UserAttributes:         []types.AttributeType{{Name: aws.String("email"), Value: aws.String("unreachable@example.com")}},
				DesiredDeliveryMediums: []types.DeliveryMediumType{types.DeliveryMediumTypeEmail},
			})
			wantAPIError(t, err, "CodeDeliveryFailureException", "")
			recs := readRecords(t, logFile)
			if len(recs) != 1 {
				t.Fatalf("notification log holds %d records, want 1", len(recs))
			}
			r := recs[0]
			if r.EventSource != "USER_NOTIFICATION" || r.LogLevel != "ERROR" || r.LogSourceID.UserPoolID != *pool.Id || r.EventTimestamp == "" {
				t.Errorf("notification record = %+v", r)
			}
			if d, _ := r.Message["details"].(string); !strings.Contains(d, "Email message could not be delivered") || !strings.Contains(d, "unreachable") {
				t.Errorf("notification details = %q", d)
			}

			// A sign-in: its event goes to the webhook.
			client := appClient(t, c, &cip.CreateUserPoolClientInput{UserPoolId: pool.Id, ClientName: aws.String("app"), ExplicitAuthFlows: signInFlows})
			if _, err := c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: pool.Id, Username: aws.String("alice"), MessageAction: types.MessageActionTypeSuppress}); err != nil {
				t.Fatal(err)
			}
			if _, err := c.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: pool.Id, Username: aws.String("alice"), Password: aws.String(signInPassword), Permanent: true}); err != nil {
				t.Fatal(err)
			}
			if _, err := c.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: client.ClientId, AuthFlow: types.AuthFlowTypeUserPasswordAuth,
				AuthParameters: map[string]string{"USERNAME": "alice", "PASSWORD": signInPassword}}); err != nil {
				t.Fatal(err)
			}
			select {
			case body := <-received:
				var rec exportedRecord
				if err := json.Unmarshal(body, &rec); err != nil {
					t.Fatal(err)
				}
				if rec.EventSource != "USER_AUTH_EVENTS" || rec.LogLevel != "INFO" || rec.LogSourceID.UserPoolID != *pool.Id {
					t.Errorf("auth event record = %s", body)
				}
				if rec.Message["eventType"] != "SignIn" || rec.Message["eventResponse"] != "Pass" || rec.Message["eventId"] == "" {
					t.Errorf("auth event message = %v", rec.Message)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("no auth event record reached the webhook")
			}
			if n := len(readRecords(t, logFile)); n != 1 {
				t.Errorf("notification log holds %d records after the sign-in, want 1", n)
			}
		})
	}
}

// readRecords reads the JSON lines of path.
func readRecords(t *testing.T, path string) []exportedRecord {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []exportedRecord
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r exportedRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("%s: line %q: %v", path, sc.Text(), err)
		}
		out = append(out, r)
	}
	return out
}
