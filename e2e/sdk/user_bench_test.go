package sdk

import (
	"context"
	"strconv"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
)

// BenchmarkAdminCreateUser measures an AdminCreateUser round trip through
// the AWS SDK on each backend: validation, a generated temporary password
// hashed with argon2id at its real cost, one transaction writing the user
// with its unique keys and index entries, and the invitation to the outbox.
func BenchmarkAdminCreateUser(b *testing.B) {
	for _, name := range backendNames {
		b.Run(name, func(b *testing.B) {
			c := start(b, openBackend(b, name)).client("us-east-1")
			ctx := context.Background()
			out, err := c.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("bench")})
			if err != nil {
				b.Fatal(err)
			}
			i := 0
			b.ReportAllocs()
			for b.Loop() {
				i++
				n := strconv.Itoa(i)
				if _, err := c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{
					UserPoolId: out.UserPool.Id, Username: aws.String("user" + n),
					UserAttributes: sdkAttrs("email", "user"+n+"@example.com", "name", "User "+n),
				}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkAdminGetUser measures an AdminGetUser round trip through the AWS
// SDK on each backend: a pool read and a user lookup by its unique key.
func BenchmarkAdminGetUser(b *testing.B) {
	for _, name := range backendNames {
		b.Run(name, func(b *testing.B) {
			c := start(b, openBackend(b, name)).client("us-east-1")
			ctx := context.Background()
			out, err := c.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("bench")})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{
				UserPoolId: out.UserPool.Id, Username: aws.String("bench-user"),
				UserAttributes: sdkAttrs("email", "bench@example.com", "name", "Bench"),
			}); err != nil {
				b.Fatal(err)
			}
			in := &cip.AdminGetUserInput{UserPoolId: out.UserPool.Id, Username: aws.String("bench-user")}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.AdminGetUser(ctx, in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
