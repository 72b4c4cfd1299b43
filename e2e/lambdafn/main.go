// Command lambdafn is the trigger function of cognate's tests, written
// with github.com/aws/aws-lambda-go as any Lambda function in Go is: run
// under AWS's Lambda Runtime Interface Emulator, it serves the Invoke API
// that cognate calls through the AWS SDK. Package fn holds its handler,
// which the tests also serve behind the webhook path.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/cognate-dev/cognate/e2e/lambdafn/fn"
)

func main() { lambda.Start(fn.Handle) }
