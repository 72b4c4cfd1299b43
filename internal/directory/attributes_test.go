package directory

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/userpool"
)

// utSchemaPool returns a pool whose schema has the standard attributes
// (email required) and a few custom ones.
func utSchemaPool(t *testing.T) *idp.UserPoolType {
	t.Helper()
	// The schema as CreateUserPool builds it, on a pool of a store of its
	// own.
	created, err := newUTService(t).CreateUserPool(context.Background(), utCaller, &idp.CreateUserPoolRequest{PoolName: cognito.Ptr("schema"), Schema: []idp.SchemaAttributeType{
		{Name: cognito.Ptr("email"), Required: cognito.Ptr(true)},
		{Name: cognito.Ptr("team"), AttributeDataType: cognito.Ptr(userpool.TypeString), StringAttributeConstraints: &idp.StringAttributeConstraintsType{MinLength: cognito.Ptr("2"), MaxLength: cognito.Ptr("5")}},
		{Name: cognito.Ptr("level"), AttributeDataType: cognito.Ptr(userpool.TypeNumber), NumberAttributeConstraints: &idp.NumberAttributeConstraintsType{MinValue: cognito.Ptr("1"), MaxValue: cognito.Ptr("10")}},
		{Name: cognito.Ptr("admin"), AttributeDataType: cognito.Ptr(userpool.TypeBoolean)},
		{Name: cognito.Ptr("since"), AttributeDataType: cognito.Ptr(userpool.TypeDateTime)},
		{Name: cognito.Ptr("tenant"), AttributeDataType: cognito.Ptr(userpool.TypeString), Mutable: cognito.Ptr(false)},
		{Name: cognito.Ptr("secret"), AttributeDataType: cognito.Ptr(userpool.TypeString), DeveloperOnlyAttribute: cognito.Ptr(true)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return &idp.UserPoolType{Id: cognito.Ptr("us-east-1_abc"), SchemaAttributes: created.UserPool.SchemaAttributes}
}

func attrs(kv ...string) []idp.AttributeType {
	var out []idp.AttributeType
	for i := 0; i < len(kv); i += 2 {
		out = append(out, idp.AttributeType{Name: cognito.Ptr(kv[i]), Value: cognito.Ptr(kv[i+1])})
	}
	return out
}

func wantInvalidParameter(t *testing.T, err error, msg string) {
	t.Helper()
	var ce *cognito.Error
	if msg == "" {
		if err != nil {
			t.Fatalf("unexpected error %v", err)
		}
		return
	}
	if !errors.As(err, &ce) || ce.Code != cognito.CodeInvalidParameterException {
		t.Fatalf("error = %v, want InvalidParameterException", err)
	}
	if ce.Message != msg {
		t.Fatalf("message = %q, want %q", ce.Message, msg)
	}
}

func TestCheckAttributes(t *testing.T) {
	p := utSchemaPool(t)
	tests := []struct {
		name    string
		op      attrWrite
		in      []idp.AttributeType
		want    map[string]string
		wantErr string
	}{
		{
			name: "standard and custom", op: attrCreate,
			in:   attrs("email", "a@example.com", "email_verified", "true", "custom:team", "red", "custom:level", "3", "custom:admin", "false", "dev:custom:secret", "x", "custom:tenant", "t1", "custom:since", "2024-01-02T03:04:05Z"),
			want: map[string]string{"email": "a@example.com", "email_verified": "true", "custom:team": "red", "custom:level": "3", "custom:admin": "false", "dev:custom:secret": "x", "custom:tenant": "t1", "custom:since": "2024-01-02T03:04:05Z"},
		},
		{
			name: "last value wins", op: attrCreate,
			in:   attrs("name", "a", "name", "b"),
			want: map[string]string{"name": "b"},
		},
		{
			name: "unknown attributes on create", op: attrCreate,
			in:      attrs("favorite_flavor", "x", "custom:nope", "y"),
			wantErr: "Attributes did not conform to the schema: favorite_flavor: Attribute does not exist in the schema.\ncustom:nope: Attribute does not exist in the schema.\n",
		},
		{
			name: "unknown attribute on update", op: attrUpdate,
			in:      attrs("custom:nope", "y"),
			wantErr: "user.custom:nope: Attribute does not exist in the schema.\n",
		},
		{
			name: "custom attribute without prefix", op: attrCreate,
			in:      attrs("team", "red"),
			wantErr: "Attributes did not conform to the schema: team: Attribute does not exist in the schema.\n",
		},
		{
			name: "sub never settable", op: attrCreate,
			in:      attrs("sub", "x"),
			wantErr: "Attributes did not conform to the schema: sub: Attribute cannot be updated.\n",
		},
		{
			name: "immutable on update", op: attrUpdate,
			in:      attrs("custom:tenant", "t2"),
			wantErr: "user.custom:tenant: Attribute cannot be updated.\n",
		},
		{
			name: "string too long", op: attrCreate,
			in:      attrs("custom:team", "abcdef"),
			wantErr: "Attributes did not conform to the schema: custom:team: String must be no longer than 5 characters\n",
		},
		{
			name: "string too short", op: attrUpdate,
			in:      attrs("custom:team", "a"),
			wantErr: "user.custom:team: String must be no shorter than 2 characters\n",
		},
		{
			name: "number not a number", op: attrCreate,
			in:      attrs("custom:level", "high"),
			wantErr: "Attributes did not conform to the schema: custom:level: Number must be a valid integer.\n",
		},
		{
			name: "number too large", op: attrCreate,
			in:      attrs("custom:level", "11"),
			wantErr: "Attributes did not conform to the schema: custom:level: Number must be no greater than 10\n",
		},
		{
			name: "number too small", op: attrCreate,
			in:      attrs("custom:level", "0"),
			wantErr: "Attributes did not conform to the schema: custom:level: Number must be no less than 1\n",
		},
		{
			name: "boolean", op: attrCreate,
			in:      attrs("custom:admin", "yes", "email_verified", "1"),
			wantErr: "Attributes did not conform to the schema: custom:admin: Attribute value must be true or false.\nemail_verified: Attribute value must be true or false.\n",
		},
		{
			// Cognito accepts "True"; the value is kept in lower case.
			name: "boolean in any case", op: attrUpdate,
			in:   attrs("email_verified", "True", "phone_number_verified", "FALSE", "custom:admin", "tRuE"),
			want: map[string]string{"email_verified": "true", "phone_number_verified": "false", "custom:admin": "true"},
		},
		{
			name: "updated_at is a number", op: attrCreate,
			in:      attrs("updated_at", "yesterday"),
			wantErr: "Attributes did not conform to the schema: updated_at: Number must be a valid integer.\n",
		},
		{name: "updated_at", op: attrCreate, in: attrs("updated_at", "1700000000"), want: map[string]string{"updated_at": "1700000000"}},
		{
			name: "birthdate format", op: attrCreate,
			in:      attrs("birthdate", "01/02/2000"),
			wantErr: "Attributes did not conform to the schema: birthdate: Birthdate must be in the format YYYY-MM-DD.\n",
		},
		{
			name: "birthdate impossible", op: attrCreate,
			in:      attrs("birthdate", "2000-02-30"),
			wantErr: "Attributes did not conform to the schema: birthdate: Birthdate must be in the format YYYY-MM-DD.\n",
		},
		{name: "birthdate without year", op: attrCreate, in: attrs("birthdate", "0000-02-29"), want: map[string]string{"birthdate": "0000-02-29"}},
		{name: "email", op: attrCreate, in: attrs("email", "not-an-email"), wantErr: "Invalid email address format."},
		{name: "email with name", op: attrCreate, in: attrs("email", "Ann <a@example.com>"), wantErr: "Invalid email address format."},
		{name: "phone", op: attrUpdate, in: attrs("phone_number", "555-0100"), wantErr: "Invalid phone number format."},
		{name: "phone E.164", op: attrUpdate, in: attrs("phone_number", "+15555550100"), want: map[string]string{"phone_number": "+15555550100"}},
		{
			name: "schema problems before formats", op: attrCreate,
			in:      attrs("email", "bad", "custom:nope", "x"),
			wantErr: "Attributes did not conform to the schema: custom:nope: Attribute does not exist in the schema.\n",
		},
		{
			name: "null value", op: attrUpdate,
			in:      []idp.AttributeType{{Name: cognito.Ptr("picture")}},
			wantErr: "Attribute value for picture must not be null",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := checkAttributes(p, tc.in, tc.op)
			wantInvalidParameter(t, err, tc.wantErr)
			if tc.wantErr == "" {
				if diff := cmp.Diff(tc.want, got); diff != "" {
					t.Errorf("attributes (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestCheckRequired(t *testing.T) {
	p := utSchemaPool(t)
	wantInvalidParameter(t, checkRequired(p, map[string]string{"name": "x"}), "Attributes did not conform to the schema: email: The attribute is required\n")
	wantInvalidParameter(t, checkRequired(p, map[string]string{"email": ""}), "Attributes did not conform to the schema: email: The attribute is required\n")
	wantInvalidParameter(t, checkRequired(p, map[string]string{"email": "a@example.com"}), "")
}

func TestUsernameAttributeFor(t *testing.T) {
	tests := []struct {
		name, username string
		attrs          []idp.UsernameAttributeType
		want, wantErr  string
	}{
		{"email", "a@example.com", []idp.UsernameAttributeType{"email"}, "email", ""},
		{"email pool, phone given", "+15555550100", []idp.UsernameAttributeType{"email"}, "", "Username should be an email."},
		{"phone", "+15555550100", []idp.UsernameAttributeType{"phone_number"}, "phone_number", ""},
		{"phone pool, name given", "bob", []idp.UsernameAttributeType{"phone_number"}, "", "Username should be a phone number."},
		{"both, phone", "+15555550100", []idp.UsernameAttributeType{"email", "phone_number"}, "phone_number", ""},
		{"both, neither", "bob", []idp.UsernameAttributeType{"email", "phone_number"}, "", "Username should be either an email or a phone number."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := usernameAttributeFor(&idp.UserPoolType{UsernameAttributes: tc.attrs}, tc.username)
			wantInvalidParameter(t, err, tc.wantErr)
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestCheckAliasUsername(t *testing.T) {
	emailAlias := &idp.UserPoolType{AliasAttributes: []idp.AliasAttributeType{"email"}}
	phoneAlias := &idp.UserPoolType{AliasAttributes: []idp.AliasAttributeType{"phone_number"}}
	wantInvalidParameter(t, checkAliasUsername(emailAlias, "a@example.com"), "Username cannot be of email format, since user pool is configured for email alias.")
	wantInvalidParameter(t, checkAliasUsername(emailAlias, "+15555550100"), "")
	wantInvalidParameter(t, checkAliasUsername(phoneAlias, "+15555550100"), "Username cannot be of phone number format, since user pool is configured for phone number alias.")
	wantInvalidParameter(t, checkAliasUsername(&idp.UserPoolType{}, "a@example.com"), "")
}

func TestUserAttributeListOrder(t *testing.T) {
	u := &userRecord{Sub: "s-1", Attributes: map[string]string{"name": "N", "email": "e@x", "custom:z": "z", "email_verified": "true"}}
	var got []string
	for _, a := range userAttributeList(u) {
		got = append(got, cognito.Deref(a.Name)+"="+cognito.Deref(a.Value))
	}
	want := []string{"sub=s-1", "custom:z=z", "email=e@x", "email_verified=true", "name=N"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
}
