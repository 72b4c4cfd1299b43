// Package triggers invokes a user pool's Lambda triggers: it builds no
// events of its own (the engines fill in the types of
// github.com/aws/aws-lambda-go/events), sends an event to the function a
// LambdaConfig ARN names, and reads the function's answer back into the
// same type, with Cognito's semantics:
//
//   - each attempt has Cognito's 5 seconds, and an attempt that times out,
//     cannot reach the function or is throttled is tried again, three
//     attempts in all (Options.Timeout, Options.Attempts);
//   - an error the function returns is UserLambdaValidationException,
//     "<Trigger> failed with error <message>.";
//   - an answer that is not the event's JSON (malformed, wrong types, too
//     large) is InvalidLambdaResponseException;
//   - a function that cannot be reached, or does not answer in time, is
//     UnexpectedLambdaException, "<Trigger> invocation failed due to error
//     <reason>.".
//
// How an ARN is reached is cognate's configuration (Route): the AWS Lambda
// Invoke API through the AWS SDK for Go v2, with the SDK's default
// credential chain and endpoint settings (AWS_ENDPOINT_URL_LAMBDA points it
// at a local runtime), or per ARN pattern another Invoke API endpoint and
// function name, or an HTTPS webhook that receives the same JSON signed
// with an HMAC (webhook.go; WebhookHandler is the receiving side for
// functions written in Go).
//
// Every invocation is logged with its trigger, ARN, duration and outcome,
// and handed to Options.Observe, which cmd/cognate counts in /metrics. The
// event and the answer are never logged: they carry user attributes,
// passwords (UserMigration) and challenge answers.
//
// Imports: internal/cognito (the exceptions) and the AWS SDK's Lambda
// client; never storage or an engine. Engines (authflow, the directory)
// import it. deps_test.go enforces this.
package triggers
