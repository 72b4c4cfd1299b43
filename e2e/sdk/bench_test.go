package sdk

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
)

// BenchmarkCreateUserPool measures a CreateUserPool round trip through the
// AWS SDK (signing, HTTP, SigV4 check, validation, one store write with its
// change-log entry) on each backend.
func BenchmarkCreateUserPool(b *testing.B) {
	for _, name := range backendNames {
		b.Run(name, func(b *testing.B) {
			c := start(b, openBackend(b, name)).client("us-east-1")
			ctx := context.Background()
			in := &cip.CreateUserPoolInput{PoolName: aws.String("bench")}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.CreateUserPool(ctx, in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDescribeUserPool measures a DescribeUserPool round trip through
// the AWS SDK on each backend.
func BenchmarkDescribeUserPool(b *testing.B) {
	for _, name := range backendNames {
		b.Run(name, func(b *testing.B) {
			c := start(b, openBackend(b, name)).client("us-east-1")
			ctx := context.Background()
			out, err := c.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("bench")})
			if err != nil {
				b.Fatal(err)
			}
			in := &cip.DescribeUserPoolInput{UserPoolId: out.UserPool.Id}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.DescribeUserPool(ctx, in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
