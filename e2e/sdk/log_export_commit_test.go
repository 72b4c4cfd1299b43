//go:build unix

package sdk

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/internal/directory"
	"github.com/cognate-dev/cognate/internal/messaging"
	"github.com/cognate-dev/cognate/internal/ratelimit"
	"github.com/cognate-dev/cognate/internal/userpool"
)

// TestLogExportAfterCommit exports a pool's sign-in events to a file
// destination that is a named pipe nobody reads and that is already full,
// so that the export of a sign-in's event blocks: the sign-in's
// transaction has committed by then (AdminListUserAuthEvents lists the
// event while the sign-in still waits on its export), so a slow
// destination never holds a write transaction. Once the pipe is read the
// sign-in gets its tokens and the pipe carries the event's record.
func TestLogExportAfterCommit(t *testing.T) {
	for _, name := range backendNames {
		t.Run(name, func(t *testing.T) {
			db := migrated(t, openBackend(t, name))
			fifo := filepath.Join(t.TempDir(), "auth-events.pipe")
			if err := syscall.Mkfifo(fifo, 0o600); err != nil {
				t.Fatal(err)
			}
			// A reader first, so that opening the pipe to write does not
			// wait; then fill it to the brim through a writer of our own.
			reader, err := os.OpenFile(fifo, os.O_RDONLY|syscall.O_NONBLOCK, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer reader.Close()
			exporter, err := messaging.NewLogExporter([]messaging.LogDestination{{ARN: authEventsStream, File: fifo}}, nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(exporter.Close)
			filler, err := syscall.Open(fifo, syscall.O_WRONLY|syscall.O_NONBLOCK, 0)
			if err != nil {
				t.Fatal(err)
			}
			filled := 0
			for chunk := make([]byte, 4096); ; {
				for i := range chunk {
					chunk[i] = '\n'
				}
				n, err := syscall.Write(filler, chunk)
				if errors.Is(err, syscall.EAGAIN) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				filled += n
			}
			syscall.Close(filler)

			url := servePools(t, db, directory.Options{}, nil, ratelimit.Off(), ratelimit.Unprotected(), nil,
				userpool.Options{LogExporter: exporter})
			c := (&env{URL: url, Store: db}).client("us-east-1")
			ctx := context.Background()
			pool := createPool(t, c, &cip.CreateUserPoolInput{
				PoolName: aws.String("piped"), UserPoolTier: types.UserPoolTierTypePlus,
				UserPoolAddOns: &types.UserPoolAddOnsType{AdvancedSecurityMode: types.AdvancedSecurityModeTypeAudit},
			})
			if _, err := c.SetLogDeliveryConfiguration(ctx, &cip.SetLogDeliveryConfigurationInput{UserPoolId: pool.Id, LogConfigurations: []types.LogConfigurationType{{
				EventSource: types.EventSourceNameUserAuthEvents, LogLevel: types.LogLevelInfo,
				FirehoseConfiguration: &types.FirehoseConfigurationType{StreamArn: aws.String(authEventsStream)},
			}}}); err != nil {
				t.Fatal(err)
			}
			client := appClient(t, c, &cip.CreateUserPoolClientInput{UserPoolId: pool.Id, ClientName: aws.String("app"), ExplicitAuthFlows: signInFlows})
			if _, err := c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: pool.Id, Username: aws.String("pia"), MessageAction: types.MessageActionTypeSuppress}); err != nil {
				t.Fatal(err)
			}
			if _, err := c.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: pool.Id, Username: aws.String("pia"), Password: aws.String(signInPassword), Permanent: true}); err != nil {
				t.Fatal(err)
			}

			type result struct {
				out *cip.InitiateAuthOutput
				err error
			}
			done := make(chan result, 1)
			go func() {
				out, err := c.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: client.ClientId, AuthFlow: types.AuthFlowTypeUserPasswordAuth,
					AuthParameters: map[string]string{"USERNAME": "pia", "PASSWORD": signInPassword}}, noRetry)
				done <- result{out, err}
			}()
			// The event is listed (committed) while its export waits.
			var eventID string
			for deadline := time.Now().Add(20 * time.Second); eventID == ""; time.Sleep(20 * time.Millisecond) {
				events, err := c.AdminListUserAuthEvents(ctx, &cip.AdminListUserAuthEventsInput{UserPoolId: pool.Id, Username: aws.String("pia")})
				if err != nil {
					t.Fatal(err)
				}
				if len(events.AuthEvents) > 0 {
					eventID = aws.ToString(events.AuthEvents[0].EventId)
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("the sign-in's event was not committed while its export waited on the destination")
				}
			}
			select {
			case r := <-done:
				t.Fatalf("the sign-in ended (%v) while its export could not have been written", r.err)
			default:
			}

			// Read the pipe: the export goes through, the sign-in ends.
			if err := syscall.SetNonblock(int(reader.Fd()), false); err != nil {
				t.Fatal(err)
			}
			br := bufio.NewReader(reader)
			if _, err := br.Discard(filled); err != nil {
				t.Fatal(err)
			}
			line, err := br.ReadBytes('\n')
			if err != nil {
				t.Fatal(err)
			}
			var rec exportedRecord
			if err := json.Unmarshal(line, &rec); err != nil {
				t.Fatalf("record %q: %v", line, err)
			}
			if rec.EventSource != "USER_AUTH_EVENTS" || rec.Message["eventId"] != eventID {
				t.Errorf("exported record = %s, want the event %s", line, eventID)
			}
			r := <-done
			mustTokens(t, r.out.AuthenticationResult, r.err, true)
		})
	}
}
