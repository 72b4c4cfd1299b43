package sdk

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/google/go-cmp/cmp"

	"github.com/cognate-dev/cognate/e2e/internal/harness"
	"github.com/cognate-dev/cognate/internal/directory"
	"github.com/cognate-dev/cognate/internal/ratelimit"
)

// limitDefinition and limit are the model's LimitDefinitionType and
// LimitType, which the AWS SDK for Go v2 of go.mod lacks.
type limitDefinition struct {
	LimitClass string
	Attributes map[string]string
}

type limit struct {
	LimitDefinition       limitDefinition
	ProvisionedLimitValue int32
	FreeLimitValue        int32
}

// TestProvisionedLimitsThroughSDK reads and sets the quota emulation's
// rates with GetProvisionedLimit and UpdateProvisionedLimit (signed by the
// SDK's SigV4 signer: the SDK of go.mod predates them): the free and
// provisioned values of a category, the refusals of a value below the
// default, above the maximum, of an unknown category and of a definition
// without Category, and a raised UserPoolRead rate that the server
// enforces at once (seen by the SDK client's ListUserPools) and that a
// second server on the same store reads back and enforces too. The
// limiters' clocks stand still, so no bucket refills during the test.
func TestProvisionedLimitsThroughSDK(t *testing.T) {
	for _, name := range backendNames {
		t.Run(name, func(t *testing.T) {
			db := migrated(t, openBackend(t, name))
			frozen := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
			newServer := func() (string, *cip.Client) {
				limits, err := ratelimit.New(ratelimit.Config{Clock: func() time.Time { return frozen }})
				if err != nil {
					t.Fatal(err)
				}
				url := serveLimited(t, db, directory.Options{}, nil, limits, ratelimit.Unprotected())
				// One attempt: the SDK retries TooManyRequestsException.
				return url, harness.Client(url, "us-east-1", keyID, secret, 1)
			}
			url, c := newServer()
			ctx := context.Background()
			def := func(category string) limitDefinition {
				return limitDefinition{LimitClass: "API_CATEGORY", Attributes: map[string]string{"Category": category}}
			}
			get := func(url, category string) limit {
				t.Helper()
				var out struct{ Limit limit }
				if err := signedCall(t, url, "GetProvisionedLimit", map[string]any{"LimitDefinition": def(category)}, &out); err != nil {
					t.Fatalf("GetProvisionedLimit(%s): %v", category, err)
				}
				return out.Limit
			}
			want := limit{LimitDefinition: def("UserCreation"), FreeLimitValue: 50, ProvisionedLimitValue: 50}
			if diff := cmp.Diff(want, get(url, "UserCreation")); diff != "" {
				t.Errorf("UserCreation before any update (-want +got):\n%s", diff)
			}

			for _, tc := range []struct {
				name string
				in   map[string]any
				code string
			}{
				{"below the default", map[string]any{"LimitDefinition": def("UserPoolRead"), "RequestedLimitValue": 14}, "InvalidParameterException"},
				{"above the maximum", map[string]any{"LimitDefinition": def("UserPoolRead"), "RequestedLimitValue": 151}, "ServiceQuotaExceededException"},
				{"unknown category", map[string]any{"LimitDefinition": def("UserDeletion"), "RequestedLimitValue": 100}, "InvalidParameterException"},
				{"no category", map[string]any{"LimitDefinition": limitDefinition{LimitClass: "API_CATEGORY", Attributes: map[string]string{"Name": "UserPoolRead"}}, "RequestedLimitValue": 20}, "InvalidParameterException"},
				{"another class", map[string]any{"LimitDefinition": limitDefinition{LimitClass: "ACCOUNT", Attributes: map[string]string{"Category": "UserPoolRead"}}, "RequestedLimitValue": 20}, "InvalidParameterException"},
				{"no value", map[string]any{"LimitDefinition": def("UserPoolRead")}, "InvalidParameterException"},
			} {
				t.Run(tc.name, func(t *testing.T) {
					err := signedCall(t, url, "UpdateProvisionedLimit", tc.in, nil)
					wantAPIError(t, err, tc.code, "")
				})
			}

			// UserPoolRead: 15 a second by default, raised to 20.
			var out struct{ Limit limit }
			if err := signedCall(t, url, "UpdateProvisionedLimit", map[string]any{"LimitDefinition": def("UserPoolRead"), "RequestedLimitValue": 20}, &out); err != nil {
				t.Fatal(err)
			}
			want = limit{LimitDefinition: def("UserPoolRead"), FreeLimitValue: 15, ProvisionedLimitValue: 20}
			if diff := cmp.Diff(want, out.Limit); diff != "" {
				t.Errorf("UpdateProvisionedLimit (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(want, get(url, "UserPoolRead")); diff != "" {
				t.Errorf("GetProvisionedLimit after the update (-want +got):\n%s", diff)
			}
			listUpTo := func(c *cip.Client, n int) {
				t.Helper()
				for i := range n {
					if _, err := c.ListUserPools(ctx, &cip.ListUserPoolsInput{MaxResults: aws.Int32(1)}); err != nil {
						t.Fatalf("ListUserPools %d of %d: %v", i+1, n, err)
					}
				}
				_, err := c.ListUserPools(ctx, &cip.ListUserPoolsInput{MaxResults: aws.Int32(1)})
				var tooMany *types.TooManyRequestsException
				if !errors.As(err, &tooMany) {
					t.Fatalf("ListUserPools %d: %v, want TooManyRequestsException", n+1, err)
				}
			}
			listUpTo(c, 20)

			// Another node on the same store: reading the limit loads it.
			otherURL, other := newServer()
			if diff := cmp.Diff(want, get(otherURL, "UserPoolRead")); diff != "" {
				t.Errorf("GetProvisionedLimit on a second server (-want +got):\n%s", diff)
			}
			listUpTo(other, 20)
		})
	}
}
