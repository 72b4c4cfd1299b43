package sdk

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/cognate-dev/cognate/internal/sts/local"
)

// BenchmarkSTSBoundAssumeRole measures what AssumeRoleWithWebIdentity
// cannot do without, in process: the token's verification (an RS256
// signature, its claims) and the minting (random secrets, sealing the
// secret, one store write).
func BenchmarkSTSBoundAssumeRole(b *testing.B) {
	e := startSTSBench(b)
	ctx := context.Background()
	in := local.AssumeRoleInput{RoleARN: stsReaderRole, RoleSessionName: "bench", WebIdentityToken: e.Issuer.token(b, nil)}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.STS.AssumeRole(ctx, in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSTSAssumeRoleWithWebIdentity measures the round trip through
// the AWS SDK's STS client on SQLite.
func BenchmarkSTSAssumeRoleWithWebIdentity(b *testing.B) {
	e := startSTSBench(b)
	c := e.stsClient(nil)
	ctx := context.Background()
	in := &sts.AssumeRoleWithWebIdentityInput{RoleArn: aws.String(stsReaderRole), RoleSessionName: aws.String("bench"),
		WebIdentityToken: aws.String(e.Issuer.token(b, nil))}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.AssumeRoleWithWebIdentity(ctx, in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSTSGetCallerIdentity measures GetCallerIdentity signed with
// temporary credentials: the SigV4 check, one store read, the opening of
// the sealed secret and the session token's keyed hash.
func BenchmarkSTSGetCallerIdentity(b *testing.B) {
	e := startSTSBench(b)
	ctx := context.Background()
	out, err := e.stsClient(nil).AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{RoleArn: aws.String(stsReaderRole),
		RoleSessionName: aws.String("bench"), WebIdentityToken: aws.String(e.Issuer.token(b, nil))})
	if err != nil {
		b.Fatal(err)
	}
	c := e.stsClient(tempCreds(out.Credentials))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
			b.Fatal(err)
		}
	}
}
