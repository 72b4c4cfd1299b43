package rie_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/cognate-dev/cognate/e2e/lambdafn/rie"
)

// invoke calls the function through the Invoke API at url with the AWS
// SDK, as user, and returns the userName of the event it answered.
func invoke(ctx context.Context, client *lambda.Client, user string) (string, error) {
	payload, _ := json.Marshal(map[string]any{"version": "1", "triggerSource": "PreAuthentication_Authentication",
		"region": "us-east-1", "userPoolId": "us-east-1_Abc", "userName": user, "request": map[string]any{}, "response": map[string]any{}})
	out, err := client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(rie.FunctionName), Payload: payload})
	if err != nil {
		return "", err
	}
	if out.FunctionError != nil {
		return "", errors.New(string(out.Payload))
	}
	var answer struct {
		UserName string `json:"userName"`
	}
	if err := json.Unmarshal(out.Payload, &answer); err != nil {
		return "", err
	}
	return answer.UserName, nil
}

// TestOverlappingInvocations invokes the function several times at once,
// and again right after a caller gave up on an invocation still running:
// one emulator alone panics at the second invocation while one runs; each
// invocation answers here, because each runs on an emulator of its own.
func TestOverlappingInvocations(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the emulator; skipped under -short")
	}
	url := rie.Start(t, "FN_SLOW=500ms")
	client := lambda.New(lambda.Options{BaseEndpoint: aws.String(url), Region: "us-east-1", RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", "")})
	ctx := context.Background()

	var wg sync.WaitGroup
	for _, user := range []string{"slow1", "slow2", "slow3"} {
		wg.Go(func() {
			if got, err := invoke(ctx, client, user); err != nil || got != user {
				t.Errorf("%s: answered %q, %v", user, got, err)
			}
		})
	}
	wg.Wait()

	// A caller that stops waiting leaves its invocation running; the next
	// one goes to another emulator and is answered at once.
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if _, err := invoke(short, client, "slow4"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("an invocation abandoned after 100ms: %v, want the deadline", err)
	}
	if got, err := invoke(ctx, client, "alice"); err != nil || got != "alice" {
		t.Errorf("right after an abandoned invocation: answered %q, %v", got, err)
	}
}
