package triggers

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// TestLambdaConfig: CreateUserPool and UpdateUserPool store LambdaConfig
// as DescribeUserPool shows it (PreTokenGeneration and
// PreTokenGenerationConfig name the same function), and refuse what
// Cognito refuses.
func TestLambdaConfig(t *testing.T) {
	e := start(t, "sqlite", viaWebhook, 5*time.Second)
	ctx := context.Background()
	c := e.client()
	arn := functionARN + "pre-token"
	kms := "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	cases := []struct {
		name string
		tier types.UserPoolTierType
		in   *types.LambdaConfigType
		want *types.LambdaConfigType
		code string
	}{
		{name: "none", in: nil, want: &types.LambdaConfigType{}},
		{name: "V1 by the ARN alone", in: &types.LambdaConfigType{PreTokenGeneration: aws.String(arn), PreAuthentication: aws.String(functionARN + "pre-auth")},
			want: &types.LambdaConfigType{PreTokenGeneration: aws.String(arn), PreAuthentication: aws.String(functionARN + "pre-auth"),
				PreTokenGenerationConfig: &types.PreTokenGenerationVersionConfigType{LambdaArn: aws.String(arn), LambdaVersion: "V1_0"}}},
		{name: "V2 by the config", in: &types.LambdaConfigType{PreTokenGenerationConfig: &types.PreTokenGenerationVersionConfigType{LambdaArn: aws.String(arn), LambdaVersion: "V2_0"}},
			want: &types.LambdaConfigType{PreTokenGeneration: aws.String(arn), PreTokenGenerationConfig: &types.PreTokenGenerationVersionConfigType{LambdaArn: aws.String(arn), LambdaVersion: "V2_0"}}},
		{name: "both, differing", in: &types.LambdaConfigType{PreTokenGeneration: aws.String(arn + "-other"),
			PreTokenGenerationConfig: &types.PreTokenGenerationVersionConfigType{LambdaArn: aws.String(arn), LambdaVersion: "V1_0"}}, code: "InvalidParameterException"},
		{name: "V3 in LITE", tier: "LITE", in: &types.LambdaConfigType{PreTokenGenerationConfig: &types.PreTokenGenerationVersionConfigType{LambdaArn: aws.String(arn), LambdaVersion: "V3_0"}},
			code: "FeatureUnavailableInTierException"},
		{name: "custom sender without a key", in: &types.LambdaConfigType{CustomEmailSender: &types.CustomEmailLambdaVersionConfigType{LambdaArn: aws.String(arn), LambdaVersion: "V1_0"}},
			code: "InvalidParameterException"},
		{name: "custom sender with a key", in: &types.LambdaConfigType{KMSKeyID: aws.String(kms), CustomSMSSender: &types.CustomSMSLambdaVersionConfigType{LambdaArn: aws.String(arn), LambdaVersion: "V1_0"}},
			want: &types.LambdaConfigType{KMSKeyID: aws.String(kms), CustomSMSSender: &types.CustomSMSLambdaVersionConfigType{LambdaArn: aws.String(arn), LambdaVersion: "V1_0"}}},
	}
	opts := cmpopts.IgnoreUnexported(types.LambdaConfigType{}, types.PreTokenGenerationVersionConfigType{}, types.CustomSMSLambdaVersionConfigType{}, types.CustomEmailLambdaVersionConfigType{})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Through CreateUserPool, then through UpdateUserPool of a
			// pool created without triggers.
			created, err := c.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("config"), UserPoolTier: tc.tier, LambdaConfig: tc.in})
			var plain *cip.CreateUserPoolOutput
			if err == nil || tc.code != "" {
				var perr error
				plain, perr = c.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("plain"), UserPoolTier: tc.tier})
				if perr != nil {
					t.Fatal(perr)
				}
			}
			_, uerr := c.UpdateUserPool(ctx, &cip.UpdateUserPoolInput{UserPoolId: plain.UserPool.Id, UserPoolTier: tc.tier, LambdaConfig: tc.in})
			for _, err := range []error{err, uerr} {
				if tc.code != "" {
					var ae interface{ ErrorCode() string }
					if !errors.As(err, &ae) || ae.ErrorCode() != tc.code {
						t.Fatalf("err = %v, want %s", err, tc.code)
					}
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			if tc.code != "" {
				got, err := c.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: plain.UserPool.Id})
				if err != nil {
					t.Fatal(err)
				}
				if d := cmp.Diff(&types.LambdaConfigType{}, got.UserPool.LambdaConfig, opts); d != "" {
					t.Errorf("a refused update changed LambdaConfig:\n%s", d)
				}
				return
			}
			for _, id := range []*string{created.UserPool.Id, plain.UserPool.Id} {
				got, err := c.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: id})
				if err != nil {
					t.Fatal(err)
				}
				if d := cmp.Diff(tc.want, got.UserPool.LambdaConfig, opts); d != "" {
					t.Errorf("LambdaConfig (-want +got):\n%s", d)
				}
			}
		})
	}
}
