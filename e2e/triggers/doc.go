// Package triggers tests the user pools' Lambda triggers end to end: the
// AWS SDK for Go v2 signs users in at a cognate server whose pools name
// trigger functions, and the functions (e2e/lambdafn, written with
// github.com/aws/aws-lambda-go) run under AWS's Lambda Runtime Interface
// Emulator, which cognate invokes through the Lambda Invoke API, or behind
// the webhook path. Each test compares the events the function received
// with the aws-lambda-go types field by field, and what the function
// answered with what the tokens carry.
package triggers
