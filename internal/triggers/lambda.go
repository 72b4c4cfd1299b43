package triggers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"
)

// LambdaConfig says how to reach the Lambda Invoke API. Every member is
// optional: left empty, the AWS SDK's own settings hold (the default
// credential chain; AWS_REGION; AWS_ENDPOINT_URL_LAMBDA or
// AWS_ENDPOINT_URL for the endpoint).
type LambdaConfig struct {
	// Region is the region of the Invoke API; empty takes the SDK's, and
	// without one the region of each function's ARN.
	Region string
	// Endpoint overrides the Invoke API's URL (a Lambda runtime emulator,
	// sam local start-lambda, LocalStack).
	Endpoint string
	// FunctionName, when set, is the name every invocation asks for in
	// place of the ARN: AWS's Lambda Runtime Interface Emulator serves one
	// function, named "function".
	FunctionName string
	// Credentials, when not nil, replace the default credential chain.
	Credentials aws.CredentialsProvider
}

// LambdaTransport invokes functions through the Lambda Invoke API
// (InvocationType RequestResponse). It leaves retries to the Invoker.
type LambdaTransport struct {
	client *lambda.Client
	name   string
}

// NewLambda returns a transport for cfg. It reads the SDK's configuration
// files but calls nothing.
func NewLambda(ctx context.Context, cfg LambdaConfig) (*LambdaTransport, error) {
	ac, err := loadAWSConfig(ctx, cfg.Region, cfg.Credentials)
	if err != nil {
		return nil, err
	}
	if ac.Region == "" {
		// Every function ARN names its region; without one configured the
		// client needs some region to sign with, and the ARN's wins for
		// the endpoint (see Invoke).
		ac.Region = "us-east-1"
	}
	client := lambda.NewFromConfig(ac, func(o *lambda.Options) {
		o.Retryer = aws.NopRetryer{}
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoint)
		}
	})
	return &LambdaTransport{client: client, name: cfg.FunctionName}, nil
}

// Invoke calls the function arn once.
func (l *LambdaTransport) Invoke(ctx context.Context, arn string, payload []byte) ([]byte, error) {
	name := arn
	if l.name != "" {
		name = l.name
	}
	out, err := l.client.Invoke(ctx, &lambda.InvokeInput{
		FunctionName:   aws.String(name),
		InvocationType: lambdatypes.InvocationTypeRequestResponse,
		Payload:        payload,
	})
	if err != nil {
		return nil, lambdaError(ctx, err)
	}
	if out.FunctionError != nil {
		return nil, functionError(out.Payload)
	}
	if fe := unmarkedFunctionError(out.Payload); fe != nil {
		return nil, fe
	}
	return out.Payload, nil
}

// lambdaError is the error of an Invoke call that did not run the
// function: the API's error code is the reason Cognito's message names.
// Throttling and the service's own failures are retried.
func lambdaError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return &unreachableError{Reason: reasonTimeout, Retry: true, cause: err}
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		retry := false
		switch api.ErrorCode() {
		case "TooManyRequestsException", "ServiceException", "EC2ThrottledException", "ResourceNotReadyException":
			retry = true
		}
		if api.ErrorFault() == smithy.FaultServer {
			retry = true
		}
		return &unreachableError{Reason: api.ErrorCode(), Retry: retry, cause: err}
	}
	return &unreachableError{Reason: "ServiceException", Retry: true, cause: err}
}

// lambdaErrorShape is the answer of a function that returned an error, as
// the Lambda runtimes write it.
type lambdaErrorShape struct {
	ErrorMessage string   `json:"errorMessage"`
	ErrorType    string   `json:"errorType"`
	StackTrace   []string `json:"stackTrace,omitempty"`
}

// functionError is the FunctionError of an answer the Invoke API marked
// as a function error (X-Amz-Function-Error).
func functionError(payload []byte) *FunctionError {
	var e lambdaErrorShape
	if err := json.Unmarshal(payload, &e); err != nil || e.ErrorMessage == "" {
		// A runtime that died without an error of its own (out of memory,
		// a crash) says nothing useful; Cognito names it unhandled.
		return &FunctionError{Message: "Unhandled", Type: "Unhandled"}
	}
	return &FunctionError{Message: e.ErrorMessage, Type: e.ErrorType}
}

// unmarkedFunctionError recognizes a function error that an Invoke API
// server answered without the X-Amz-Function-Error header (the Lambda
// Runtime Interface Emulator does so): an object with errorMessage and
// errorType and nothing else of an event's. No Cognito event answer has
// that shape.
func unmarkedFunctionError(payload []byte) *FunctionError {
	var m map[string]json.RawMessage
	if json.Unmarshal(payload, &m) != nil {
		return nil
	}
	if _, ok := m["errorMessage"]; !ok {
		return nil
	}
	if _, ok := m["errorType"]; !ok {
		return nil
	}
	for k := range m {
		switch k {
		case "errorMessage", "errorType", "stackTrace", "requestId", "cause":
		default:
			return nil
		}
	}
	return functionError(payload)
}

// loadAWSConfig reads the AWS SDK's own configuration (environment, shared
// files, the default credential chain), with region and credentials
// replaced where cognate's configuration sets them.
func loadAWSConfig(ctx context.Context, region string, creds aws.CredentialsProvider) (aws.Config, error) {
	var opts []func(*awsconfig.LoadOptions) error
	if region != "" {
		opts = append(opts, awsconfig.WithRegion(region))
	}
	if creds != nil {
		opts = append(opts, awsconfig.WithCredentialsProvider(creds))
	}
	ac, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("triggers: load AWS configuration: %w", err)
	}
	return ac, nil
}
