package triggers_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/cognate-dev/cognate/e2e/lambdafn/rie"
	"github.com/cognate-dev/cognate/internal/triggers"
)

// echo is a trivial function reached without a network: what an
// invocation costs cognate itself (encoding the event, decoding and
// checking the answer, logging, counting).
type echo struct{}

func (echo) Invoke(_ context.Context, _ string, payload []byte) ([]byte, error) { return payload, nil }

// BenchmarkInvoke measures one PreTokenGeneration (V1_0) invocation:
// cognate's own cost against a function that answers at once (inproc),
// a webhook on loopback, and the Invoke API of AWS's Lambda Runtime
// Interface Emulator running an aws-lambda-go function.
func BenchmarkInvoke(b *testing.B) {
	ev := &events.CognitoEventUserPoolsPreTokenGen{
		CognitoEventUserPoolsHeader: triggers.Header("1", "TokenGeneration_Authentication", "us-east-1", "us-east-1_Abc", "client1", "alice"),
		Request: events.CognitoEventUserPoolsPreTokenGenRequest{
			UserAttributes:     map[string]string{"sub": "0000-1111", "email": "a@example.com", "cognito:user_status": "CONFIRMED"},
			GroupConfiguration: events.GroupConfiguration{GroupsToOverride: []string{}, IAMRolesToOverride: []string{}},
		},
	}
	trivial := func(_ context.Context, ev json.RawMessage) (json.RawMessage, error) { return ev, nil }
	transports := []struct {
		name string
		make func(b *testing.B) triggers.Transport
	}{
		{"inproc", func(*testing.B) triggers.Transport { return echo{} }},
		{"webhook", func(b *testing.B) triggers.Transport {
			srv := httptest.NewServer(triggers.WebhookHandler([]byte(testSecret), lambda.NewHandler(trivial)))
			b.Cleanup(srv.Close)
			wt, err := triggers.NewWebhook(triggers.WebhookConfig{URL: srv.URL, Secret: testSecret})
			if err != nil {
				b.Fatal(err)
			}
			return wt
		}},
		{"lambda-rie", func(b *testing.B) triggers.Transport {
			lt, err := triggers.NewLambda(context.Background(), triggers.LambdaConfig{
				Region: "us-east-1", Endpoint: rie.Start(b), FunctionName: rie.FunctionName,
				Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
			})
			if err != nil {
				b.Fatal(err)
			}
			return lt
		}},
	}
	for _, tr := range transports {
		b.Run(tr.name, func(b *testing.B) {
			iv, err := triggers.New(triggers.Options{Routes: []triggers.Route{{Pattern: "*", Transport: tr.make(b)}}})
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				var out events.CognitoEventUserPoolsPreTokenGen
				if err := iv.Invoke(ctx, triggers.PreTokenGeneration, testARN, ev, &out); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
