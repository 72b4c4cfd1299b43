package sdk

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/smithy-go"
)

// signedCallError is a Cognito exception a signedCall received.
type signedCallError struct {
	Status  int
	Code    string
	Message string
}

func (e *signedCallError) Error() string {
	return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message)
}

// ErrorCode and ErrorMessage make it a smithy.APIError for wantAPIError.
func (e *signedCallError) ErrorCode() string             { return e.Code }
func (e *signedCallError) ErrorMessage() string          { return e.Message }
func (e *signedCallError) ErrorFault() smithy.ErrorFault { return smithy.FaultClient }

// signedCall calls a user-pool operation that the AWS SDK for Go v2 of
// go.mod does not have yet (it predates the operation in the service
// model), signed with the admin key by the SDK's own SigV4 signer, and
// decodes the answer into out. A Cognito exception comes back as a
// *signedCallError.
func signedCall(t *testing.T, url, operation string, in, out any) error {
	t.Helper()
	body, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Amz-Target", "AWSCognitoIdentityProviderService."+operation)
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: keyID, SecretAccessKey: secret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "cognito-idp", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Type    string `json:"__type"`
			Message string `json:"message"`
		}
		if err := json.Unmarshal(b, &e); err != nil {
			t.Fatalf("%s: HTTP %d with %q", operation, resp.StatusCode, b)
		}
		return &signedCallError{Status: resp.StatusCode, Code: e.Type, Message: e.Message}
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s: decode %q: %v", operation, b, err)
		}
	}
	return nil
}
