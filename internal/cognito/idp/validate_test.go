package idp_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
)

const pool = "us-east-1_AbC123"

func TestOperations(t *testing.T) {
	if got := len(idp.Operations); got != 129 {
		t.Errorf("len(Operations) = %d, want 129", got)
	}
	names := make([]string, len(idp.Operations))
	for i, op := range idp.Operations {
		names[i] = op.Name
		if op.Service != "AWSCognitoIdentityProviderService" {
			t.Errorf("%s: Service = %q", op.Name, op.Service)
		}
		in := op.NewInput()
		if in == nil || reflect.ValueOf(in).IsNil() {
			t.Errorf("%s: NewInput returned nil", op.Name)
			continue
		}
		if in == op.NewInput() {
			t.Errorf("%s: NewInput returns a shared value", op.Name)
		}
		if want := op.Name + "Request"; reflect.TypeOf(in).Elem().Name() != want {
			t.Errorf("%s: NewInput returns %T, want *idp.%s", op.Name, in, want)
		}
		if len(op.Errors) == 0 {
			t.Errorf("%s: no errors listed", op.Name)
		}
		for _, e := range op.Errors {
			if !slices.Contains(cognito.ModelExceptions, e) {
				t.Errorf("%s: error %s is not in ModelExceptions", op.Name, e)
			}
		}
		got, ok := idp.Operation(op.Name)
		if !ok || got.Name != op.Name {
			t.Errorf("Operation(%q) = %v, %v", op.Name, got.Name, ok)
		}
	}
	if !slices.IsSorted(names) || len(slices.Compact(slices.Clone(names))) != len(names) {
		t.Error("Operations are not sorted by name without duplicates")
	}
	if _, ok := idp.Operation("NoSuchOperation"); ok {
		t.Error(`Operation("NoSuchOperation") found something`)
	}

	for _, tc := range []struct {
		op   string
		want cognito.Auth
	}{
		{"CreateUserPool", cognito.AuthIAM},
		{"AdminInitiateAuth", cognito.AuthIAM},
		{"AdminGetUser", cognito.AuthIAM},
		{"ListUsers", cognito.AuthIAM},
		{"InitiateAuth", cognito.AuthPublic},
		{"RespondToAuthChallenge", cognito.AuthPublic},
		{"SignUp", cognito.AuthPublic},
		{"ConfirmSignUp", cognito.AuthPublic},
		{"ForgotPassword", cognito.AuthPublic},
		{"RevokeToken", cognito.AuthPublic},
		// The model lets these take a session instead of an access token,
		// so AccessToken is not required and they classify as public.
		{"AssociateSoftwareToken", cognito.AuthPublic},
		{"VerifySoftwareToken", cognito.AuthPublic},
		{"GetUser", cognito.AuthAccessToken},
		{"ChangePassword", cognito.AuthAccessToken},
		{"DeleteUser", cognito.AuthAccessToken},
		{"GlobalSignOut", cognito.AuthAccessToken},
		{"UpdateUserAttributes", cognito.AuthAccessToken},
	} {
		op, ok := idp.Operation(tc.op)
		if !ok {
			t.Errorf("Operation(%q) not found", tc.op)
			continue
		}
		if op.Auth != tc.want {
			t.Errorf("%s: Auth = %v, want %v", tc.op, op.Auth, tc.want)
		}
	}

	var classes = map[cognito.Auth]int{}
	for _, op := range idp.Operations {
		classes[op.Auth]++
	}
	if diff := cmp.Diff(map[cognito.Auth]int{cognito.AuthIAM: 97, cognito.AuthPublic: 14, cognito.AuthAccessToken: 18}, classes); diff != "" {
		t.Errorf("auth classes (-want +got):\n%s", diff)
	}
}

func TestPaginators(t *testing.T) {
	p, ok := idp.Paginators["ListUsers"]
	if !ok {
		t.Fatal("no paginator for ListUsers")
	}
	want := struct{ InputToken, OutputToken, LimitKey string }{"PaginationToken", "PaginationToken", "Limit"}
	if diff := cmp.Diff(want, p); diff != "" {
		t.Errorf("ListUsers paginator (-want +got):\n%s", diff)
	}
	if len(idp.Paginators) != 9 {
		t.Errorf("len(Paginators) = %d, want 9", len(idp.Paginators))
	}
	for name := range idp.Paginators {
		if _, ok := idp.Operation(name); !ok {
			t.Errorf("paginator for unknown operation %s", name)
		}
	}
}

func TestEnums(t *testing.T) {
	if diff := cmp.Diff([]string{"OFF", "ON", "OPTIONAL"}, idp.UserPoolMfaType("").Values()); diff != "" {
		t.Errorf("UserPoolMfaType.Values (-want +got):\n%s", diff)
	}
	for got, want := range map[idp.ChallengeNameType]string{
		idp.ChallengeNameTypeSmsMfa:              "SMS_MFA",
		idp.ChallengeNameTypeNewPasswordRequired: "NEW_PASSWORD_REQUIRED",
		idp.ChallengeNameTypePassword:            "PASSWORD",
	} {
		if string(got) != want {
			t.Errorf("constant = %q, want %q", got, want)
		}
	}
	if idp.DeviceRememberedStatusTypeNotRemembered != "not_remembered" {
		t.Error("enum constants")
	}
}

func ptr[T any](v T) *T { return &v }

func TestValidate(t *testing.T) {
	const (
		userPoolIDPattern = `[\w-]+_[0-9a-zA-Z]+`
		poolNameMax       = 128
	)
	long := strings.Repeat("a", poolNameMax+1)
	for _, tc := range []struct {
		name string
		in   cognito.Input
		want string // "" for valid
	}{
		{
			name: "valid",
			in:   &idp.CreateUserPoolRequest{PoolName: ptr("my pool")},
		},
		{
			name: "missing required member",
			in:   &idp.CreateUserPoolRequest{},
			want: "1 validation error detected: Value null at 'poolName' failed to satisfy constraint: Member must not be null",
		},
		{
			name: "pattern",
			in:   &idp.DescribeUserPoolRequest{UserPoolId: ptr("bad id")},
			want: "1 validation error detected: Value 'bad id' at 'userPoolId' failed to satisfy constraint: Member must satisfy regular expression pattern: " + userPoolIDPattern,
		},
		{
			name: "pattern must match the whole value",
			in:   &idp.DescribeUserPoolRequest{UserPoolId: ptr(pool + " ")},
			want: "1 validation error detected: Value '" + pool + " ' at 'userPoolId' failed to satisfy constraint: Member must satisfy regular expression pattern: " + userPoolIDPattern,
		},
		{
			name: "empty required string is checked, not null",
			in:   &idp.DescribeUserPoolRequest{UserPoolId: ptr("")},
			want: "2 validation errors detected: " +
				"Value '' at 'userPoolId' failed to satisfy constraint: Member must have length greater than or equal to 1; " +
				"Value '' at 'userPoolId' failed to satisfy constraint: Member must satisfy regular expression pattern: " + userPoolIDPattern,
		},
		{
			name: "enum",
			in:   &idp.CreateUserPoolRequest{PoolName: ptr("p"), MfaConfiguration: ptr(idp.UserPoolMfaType("MAYBE"))},
			want: "1 validation error detected: Value 'MAYBE' at 'mfaConfiguration' failed to satisfy constraint: Member must satisfy enum value set: [OFF, ON, OPTIONAL]",
		},
		{
			name: "nested integer range",
			in: &idp.CreateUserPoolRequest{
				PoolName: ptr("p"),
				Policies: &idp.UserPoolPolicyType{PasswordPolicy: &idp.PasswordPolicyType{MinimumLength: ptr[int32](3)}},
			},
			want: "1 validation error detected: Value '3' at 'policies.passwordPolicy.minimumLength' failed to satisfy constraint: Member must have value greater than or equal to 6",
		},
		{
			name: "integer above max",
			in: &idp.CreateUserPoolRequest{
				PoolName: ptr("p"),
				Policies: &idp.UserPoolPolicyType{PasswordPolicy: &idp.PasswordPolicyType{MinimumLength: ptr[int32](100)}},
			},
			want: "1 validation error detected: Value '100' at 'policies.passwordPolicy.minimumLength' failed to satisfy constraint: Member must have value less than or equal to 99",
		},
		{
			name: "string too long",
			in:   &idp.CreateUserPoolRequest{PoolName: ptr(long)},
			want: "1 validation error detected: Value '" + long + "' at 'poolName' failed to satisfy constraint: Member must have length less than or equal to 128",
		},
		{
			name: "length counts code points, not bytes",
			in:   &idp.AdminUpdateUserAttributesRequest{UserPoolId: ptr(pool), Username: ptr("u"), UserAttributes: []idp.AttributeType{{Name: ptr(strings.Repeat("é", 32))}}},
		},
		{
			name: "sensitive member hides its value",
			in:   &idp.AdminSetUserPasswordRequest{UserPoolId: ptr(pool), Username: ptr("alice"), Password: ptr("has space")},
			want: `1 validation error detected: Value at 'password' failed to satisfy constraint: Member must satisfy regular expression pattern: [\S]+`,
		},
		{
			name: "several errors",
			in:   &idp.AdminSetUserPasswordRequest{UserPoolId: ptr("bad id")},
			want: "3 validation errors detected: " +
				"Value 'bad id' at 'userPoolId' failed to satisfy constraint: Member must satisfy regular expression pattern: " + userPoolIDPattern + "; " +
				"Value null at 'username' failed to satisfy constraint: Member must not be null; " +
				"Value null at 'password' failed to satisfy constraint: Member must not be null",
		},
		{
			name: "list element paths",
			in: &idp.AdminUpdateUserAttributesRequest{
				UserPoolId: ptr(pool),
				Username:   ptr("alice"),
				UserAttributes: []idp.AttributeType{
					{Name: ptr("email"), Value: ptr("a@example.com")},
					{Value: ptr("x")},
					{Name: ptr(strings.Repeat("n", 33)), Value: ptr(strings.Repeat("v", 2049))},
				},
			},
			want: "3 validation errors detected: " +
				"Value null at 'userAttributes.2.member.name' failed to satisfy constraint: Member must not be null; " +
				"Value '" + strings.Repeat("n", 33) + "' at 'userAttributes.3.member.name' failed to satisfy constraint: Member must have length less than or equal to 32; " +
				// AttributeValueType is sensitive: its value is hidden.
				"Value at 'userAttributes.3.member.value' failed to satisfy constraint: Member must have length less than or equal to 2048",
		},
		{
			name: "required list may be empty but not null",
			in:   &idp.AdminUpdateUserAttributesRequest{UserPoolId: ptr(pool), Username: ptr("alice")},
			want: "1 validation error detected: Value null at 'userAttributes' failed to satisfy constraint: Member must not be null",
		},
		{
			name: "empty non-nil list",
			in:   &idp.AdminUpdateUserAttributesRequest{UserPoolId: ptr(pool), Username: ptr("alice"), UserAttributes: []idp.AttributeType{}},
		},
		{
			name: "enum inside a list",
			in:   &idp.CreateUserPoolRequest{PoolName: ptr("p"), AutoVerifiedAttributes: []idp.VerifiedAttributeType{"email", "fax"}},
			want: "1 validation error detected: Value 'fax' at 'autoVerifiedAttributes.2.member' failed to satisfy constraint: Member must satisfy enum value set: [phone_number, email]",
		},
		{
			name: "map keys and values",
			in: &idp.CreateUserPoolRequest{PoolName: ptr("p"), UserPoolTags: map[string]string{
				"ok":   strings.Repeat("v", 257),
				"":     "empty key",
				"fine": "",
			}},
			want: "2 validation errors detected: " +
				"Value '' at 'userPoolTags.key' failed to satisfy constraint: Member must have length greater than or equal to 1; " +
				"Value '" + strings.Repeat("v", 257) + "' at 'userPoolTags.ok' failed to satisfy constraint: Member must have length less than or equal to 256",
		},
		{
			name: "sensitive map hides keys and values",
			in: &idp.InitiateAuthRequest{
				AuthFlow:       ptr(idp.AuthFlowTypeUserPasswordAuth),
				ClientId:       ptr("client1"),
				AuthParameters: map[string]string{"PASSWORD": strings.Repeat("p", 131073)},
			},
			want: "1 validation error detected: Value at 'authParameters.PASSWORD' failed to satisfy constraint: Member must have length less than or equal to 131072",
		},
		{
			name: "sensitive structure hides its members",
			in: &idp.InitiateAuthRequest{
				AuthFlow:        ptr(idp.AuthFlowTypeUserPasswordAuth),
				ClientId:        ptr("client1"),
				UserContextData: &idp.UserContextDataType{EncodedData: ptr(strings.Repeat("d", 131073))},
			},
			want: "1 validation error detected: Value at 'userContextData.encodedData' failed to satisfy constraint: Member must have length less than or equal to 131072",
		},
		{
			name: "nested structures are checked when the parent is fine",
			in: &idp.CreateUserPoolRequest{
				PoolName:                 ptr("p"),
				LambdaConfig:             &idp.LambdaConfigType{PreSignUp: ptr("not an arn")},
				EmailVerificationSubject: ptr("subject"),
			},
			want: "2 validation errors detected: " +
				"Value 'not an arn' at 'lambdaConfig.preSignUp' failed to satisfy constraint: Member must have length greater than or equal to 20; " +
				"Value 'not an arn' at 'lambdaConfig.preSignUp' failed to satisfy constraint: Member must satisfy regular expression pattern: " +
				`arn:[\w+=/,.@-]+:[\w+=/,.@-]+:([\w+=/,.@-]*)?:[0-9]+:[\w+=/,.@-]+(:[\w+=/,.@-]+)?(:[\w+=/,.@-]+)?`,
		},
		{
			name: "Java \\s includes vertical tab",
			in:   &idp.CreateUserPoolRequest{PoolName: ptr("a\vb")},
		},
		{
			name: "Java dot excludes carriage return",
			in:   &idp.CreateUserPoolRequest{PoolName: ptr("p"), SmsVerificationMessage: ptr("code {####}\r")},
			want: `1 validation error detected: Value 'code {####}` + "\r" + `' at 'smsVerificationMessage' failed to satisfy constraint: Member must satisfy regular expression pattern: .*\{####\}.*`,
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
			if !errors.As(err, &ce) {
				t.Fatalf("Validate() = %v, want a *cognito.Error", err)
			}
			if ce.Code != cognito.CodeInvalidParameterException || ce.Status != http.StatusBadRequest {
				t.Errorf("code, status = %s, %d", ce.Code, ce.Status)
			}
			if diff := cmp.Diff(tc.want, ce.Message); diff != "" {
				t.Errorf("message (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNilInputValidates(t *testing.T) {
	var in *idp.CreateUserPoolRequest
	if err := in.Validate(); err != nil {
		t.Errorf("nil input: %v", err)
	}
}

func TestJSONRoundTrip(t *testing.T) {
	created := time.Unix(1732561234, 123_000_000)
	in := idp.UserPoolType{
		Id:                     ptr(pool),
		CreationDate:           cognito.NewTimestamp(created),
		AutoVerifiedAttributes: []idp.VerifiedAttributeType{},
		MfaConfiguration:       ptr(idp.UserPoolMfaTypeOff),
		Policies: &idp.UserPoolPolicyType{PasswordPolicy: &idp.PasswordPolicyType{
			MinimumLength:  ptr[int32](8),
			RequireSymbols: ptr(false),
		}},
		UserPoolTags: map[string]string{"team": "auth"},
	}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"Id":"us-east-1_AbC123",` +
		`"Policies":{"PasswordPolicy":{"MinimumLength":8,"RequireSymbols":false}},` +
		`"CreationDate":1732561234.123,` +
		`"AutoVerifiedAttributes":[],` +
		`"MfaConfiguration":"OFF",` +
		`"UserPoolTags":{"team":"auth"}}`
	if diff := cmp.Diff(want, string(b)); diff != "" {
		t.Errorf("JSON (-want +got):\n%s", diff)
	}
	var out idp.UserPoolType
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(in, out); diff != "" {
		t.Errorf("round trip (-in +out):\n%s", diff)
	}
	if out.AutoVerifiedAttributes == nil {
		t.Error("empty list came back nil")
	}

	var bad idp.UserPoolType
	if err := json.Unmarshal([]byte(`{"CreationDate":"2024-11-25T19:00:34Z"}`), &bad); err == nil {
		t.Error("a string timestamp was accepted")
	}
}

func TestLowercaseModelMember(t *testing.T) {
	// The model spells HttpHeader's members headerName and headerValue; the
	// Go fields are exported, the wire keeps the model's spelling.
	b, err := json.Marshal(idp.HttpHeader{HeaderName: ptr("User-Agent"), HeaderValue: ptr("x")})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(`{"headerName":"User-Agent","headerValue":"x"}`, string(b)); diff != "" {
		t.Errorf("JSON (-want +got):\n%s", diff)
	}
}

func TestDocumentMember(t *testing.T) {
	in := idp.CreateManagedLoginBrandingRequest{
		UserPoolId: ptr(pool),
		ClientId:   ptr("client1"),
		Settings:   json.RawMessage(`{"categories":{"global":{}}}`),
	}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"Settings":{"categories":{"global":{}}}`) {
		t.Errorf("JSON = %s", b)
	}
}

// TestEntryBounds checks that the generated checks bound the request lists
// and maps the model leaves unbounded at cognito.MaxRequestEntries, with
// the message the engines give for the same bound (cognito.TooManyEntries).
func TestEntryBounds(t *testing.T) {
	attrs := func(n int) []idp.AttributeType {
		out := make([]idp.AttributeType, n)
		for i := range out {
			out[i] = idp.AttributeType{Name: cognito.Ptr("name"), Value: cognito.Ptr("x")}
		}
		return out
	}
	params := func(n int) map[string]string {
		out := map[string]string{}
		for i := range n {
			out["K"+strconv.Itoa(i)] = "v"
		}
		return out
	}
	names := func(n int) []string { return slices.Repeat([]string{"email"}, n) }
	const max = cognito.MaxRequestEntries
	for _, tc := range []struct {
		member string
		input  func(n int) cognito.Input
	}{
		{"userAttributes", func(n int) cognito.Input {
			return &idp.AdminUpdateUserAttributesRequest{UserPoolId: cognito.Ptr(pool), Username: cognito.Ptr("u"), UserAttributes: attrs(n)}
		}},
		{"validationData", func(n int) cognito.Input {
			return &idp.SignUpRequest{ClientId: cognito.Ptr("c"), Username: cognito.Ptr("u"), ValidationData: attrs(n)}
		}},
		{"userAttributeNames", func(n int) cognito.Input {
			return &idp.AdminDeleteUserAttributesRequest{UserPoolId: cognito.Ptr(pool), Username: cognito.Ptr("u"), UserAttributeNames: names(n)}
		}},
		{"attributesToGet", func(n int) cognito.Input {
			return &idp.ListUsersRequest{UserPoolId: cognito.Ptr(pool), AttributesToGet: names(n)}
		}},
		{"authParameters", func(n int) cognito.Input {
			return &idp.InitiateAuthRequest{ClientId: cognito.Ptr("c"), AuthFlow: cognito.Ptr(idp.AuthFlowTypeUserPasswordAuth), AuthParameters: params(n)}
		}},
		{"challengeResponses", func(n int) cognito.Input {
			return &idp.RespondToAuthChallengeRequest{ClientId: cognito.Ptr("c"), ChallengeName: cognito.Ptr(idp.ChallengeNameTypePasswordVerifier), ChallengeResponses: params(n)}
		}},
		{"clientMetadata", func(n int) cognito.Input {
			return &idp.ForgotPasswordRequest{ClientId: cognito.Ptr("c"), Username: cognito.Ptr("u"), ClientMetadata: params(n)}
		}},
	} {
		t.Run(tc.member, func(t *testing.T) {
			if err := tc.input(max).Validate(); err != nil {
				t.Fatalf("%d entries: %v", max, err)
			}
			err := tc.input(max + 1).Validate()
			want := cognito.TooManyEntries(tc.member).Message
			var ce *cognito.Error
			if !errors.As(err, &ce) || ce.Code != cognito.CodeInvalidParameterException {
				t.Fatalf("%d entries: error = %v, want InvalidParameterException", max+1, err)
			}
			// Members that are not sensitive show their value, which the
			// engines' message leaves out.
			if at := strings.Index(ce.Message, "at '"); ce.Message != want && (at < 0 || !strings.HasSuffix(want, ce.Message[at:])) {
				t.Errorf("message = %.200q, want %q", ce.Message, want)
			}
		})
	}
}
