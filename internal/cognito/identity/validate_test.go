package identity_test

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/identity"
)

const poolID = "us-east-1:0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9"

func ptr[T any](v T) *T { return &v }

func TestOperations(t *testing.T) {
	if got := len(identity.Operations); got != 23 {
		t.Errorf("len(Operations) = %d, want 23", got)
	}
	var names []string
	for _, op := range identity.Operations {
		names = append(names, op.Name)
		if op.Service != "AWSCognitoIdentityService" {
			t.Errorf("%s: Service = %q", op.Name, op.Service)
		}
		if in := op.NewInput(); in == nil || reflect.ValueOf(in).IsNil() {
			t.Errorf("%s: NewInput returned nil", op.Name)
		}
	}
	if !slices.IsSorted(names) {
		t.Error("Operations are not sorted by name")
	}
	for _, tc := range []struct {
		op   string
		want cognito.Auth
	}{
		{"GetId", cognito.AuthPublic},
		{"GetCredentialsForIdentity", cognito.AuthPublic},
		{"GetOpenIdToken", cognito.AuthPublic},
		{"UnlinkIdentity", cognito.AuthPublic},
		{"ListIdentityPools", cognito.AuthIAM},
		{"CreateIdentityPool", cognito.AuthIAM},
		{"GetOpenIdTokenForDeveloperIdentity", cognito.AuthIAM},
	} {
		op, ok := identity.Operation(tc.op)
		if !ok {
			t.Errorf("Operation(%q) not found", tc.op)
			continue
		}
		if op.Auth != tc.want {
			t.Errorf("%s: Auth = %v, want %v", tc.op, op.Auth, tc.want)
		}
	}
	// UpdateIdentityPool takes the IdentityPool structure itself as input.
	if op, _ := identity.Operation("UpdateIdentityPool"); reflect.TypeOf(op.NewInput()) != reflect.TypeOf(&identity.IdentityPool{}) {
		t.Errorf("UpdateIdentityPool input = %T", op.NewInput())
	}
	want := struct{ InputToken, OutputToken, LimitKey string }{"NextToken", "NextToken", "MaxResults"}
	if diff := cmp.Diff(map[string]struct{ InputToken, OutputToken, LimitKey string }{"ListIdentityPools": want}, identity.Paginators); diff != "" {
		t.Errorf("Paginators (-want +got):\n%s", diff)
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   cognito.Input
		want string
	}{
		{
			name: "valid",
			in:   &identity.GetIdInput{IdentityPoolId: ptr(poolID), Logins: map[string]string{"graph.facebook.com": "token"}},
		},
		{
			name: "missing required member",
			in:   &identity.GetIdInput{},
			want: "1 validation error detected: Value null at 'identityPoolId' failed to satisfy constraint: Member must not be null",
		},
		{
			name: "pattern",
			in:   &identity.GetIdInput{IdentityPoolId: ptr("us-east-1_nope"), AccountId: ptr("12a")},
			want: "2 validation errors detected: " +
				"Value '12a' at 'accountId' failed to satisfy constraint: Member must satisfy regular expression pattern: \\d+; " +
				"Value 'us-east-1_nope' at 'identityPoolId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w-]+:[0-9a-f-]+",
		},
		{
			name: "sensitive map values are hidden, keys are not",
			in: &identity.GetIdInput{IdentityPoolId: ptr(poolID), Logins: map[string]string{
				"graph.facebook.com":     "",
				strings.Repeat("k", 129): "token",
			}},
			want: "2 validation errors detected: " +
				"Value at 'logins.graph.facebook.com' failed to satisfy constraint: Member must have length greater than or equal to 1; " +
				"Value '" + strings.Repeat("k", 129) + "' at 'logins.key' failed to satisfy constraint: Member must have length less than or equal to 128",
		},
		{
			name: "empty non-nil list below min",
			in:   &identity.DeleteIdentitiesInput{IdentityIdsToDelete: []string{}},
			want: "1 validation error detected: Value '[]' at 'identityIdsToDelete' failed to satisfy constraint: Member must have length greater than or equal to 1",
		},
		{
			name: "list element",
			in:   &identity.DeleteIdentitiesInput{IdentityIdsToDelete: []string{poolID, "bad id"}},
			want: "1 validation error detected: Value 'bad id' at 'identityIdsToDelete.2.member' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w-]+:[0-9a-f-]+",
		},
		{
			name: "long range",
			in:   &identity.GetOpenIdTokenForDeveloperIdentityInput{IdentityPoolId: ptr(poolID), Logins: map[string]string{"login.example": "u"}, TokenDuration: ptr[int64](86401)},
			want: "1 validation error detected: Value '86401' at 'tokenDuration' failed to satisfy constraint: Member must have value less than or equal to 86400",
		},
		{
			name: "update takes the pool structure",
			in:   &identity.IdentityPool{IdentityPoolId: ptr(poolID), IdentityPoolName: ptr("pool")},
			want: "1 validation error detected: Value null at 'allowUnauthenticatedIdentities' failed to satisfy constraint: Member must not be null",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.in.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			var ce *cognito.Error
			if !errors.As(err, &ce) || ce.Code != cognito.CodeInvalidParameterException {
				t.Fatalf("Validate() = %v, want an InvalidParameterException", err)
			}
			if diff := cmp.Diff(tc.want, ce.Message); diff != "" {
				t.Errorf("message (-want +got):\n%s", diff)
			}
		})
	}
}
