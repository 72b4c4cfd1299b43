package userpool

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
)

// TestBuildSchemaErrors checks the exact words CreateUserPool refuses a
// schema with, as Cognito words them (no final period where Cognito has
// none).
func TestBuildSchemaErrors(t *testing.T) {
	str := func(lo, hi string) *idp.StringAttributeConstraintsType {
		c := &idp.StringAttributeConstraintsType{}
		if lo != "" {
			c.MinLength = &lo
		}
		if hi != "" {
			c.MaxLength = &hi
		}
		return c
	}
	num := func(lo, hi string) *idp.NumberAttributeConstraintsType {
		c := &idp.NumberAttributeConstraintsType{}
		if lo != "" {
			c.MinValue = &lo
		}
		if hi != "" {
			c.MaxValue = &hi
		}
		return c
	}
	typed := func(name string, dt idp.AttributeDataType) idp.SchemaAttributeType {
		return idp.SchemaAttributeType{Name: cognito.Ptr(name), AttributeDataType: cognito.Ptr(dt)}
	}
	withStr := func(a idp.SchemaAttributeType, c *idp.StringAttributeConstraintsType) idp.SchemaAttributeType {
		a.StringAttributeConstraints = c
		return a
	}
	withNum := func(a idp.SchemaAttributeType, c *idp.NumberAttributeConstraintsType) idp.SchemaAttributeType {
		a.NumberAttributeConstraints = c
		return a
	}
	devOnly := func(a idp.SchemaAttributeType) idp.SchemaAttributeType {
		a.DeveloperOnlyAttribute = cognito.Ptr(true)
		return a
	}
	tests := []struct {
		name string
		in   idp.SchemaAttributeType
		want string
	}{
		{"standard attribute with another type", typed("email", TypeNumber), "You can not change AttributeDataType or set developerOnlyAttribute for standard schema attribute email"},
		{"standard attribute developer-only", idp.SchemaAttributeType{Name: cognito.Ptr("email"), DeveloperOnlyAttribute: cognito.Ptr(true)}, "You can not change AttributeDataType or set developerOnlyAttribute for standard schema attribute email"},
		{"custom attribute without a type", idp.SchemaAttributeType{Name: cognito.Ptr("plan")}, "Invalid AttributeDataType input, consider using the provided AttributeDataType enum."},
		{"min length not a number", withStr(typed("email", TypeString), str("x", "")), "Invalid StringAttributeConstraints for schema attribute email"},
		{"max length negative", withStr(typed("plan", TypeString), str("", "-1")), "Invalid StringAttributeConstraints for schema attribute custom:plan"},
		{"max length over 2048", withStr(typed("email", TypeString), str("", "2049")), "user.email: String attributes cannot have a length of more than 2048"},
		{"min length over 2048", withStr(typed("plan", TypeString), str("2049", "")), "user.custom:plan: String attributes cannot have a length of more than 2048"},
		{"developer-only name", withStr(devOnly(typed("plan", TypeString)), str("", "99999")), "user.dev:custom:plan: String attributes cannot have a length of more than 2048"},
		{"max length below min", withStr(typed("email", TypeString), str("2", "1")), "user.email: Max length cannot be less than min length."},
		{"custom max length below min", withStr(typed("plan", TypeString), str("10", "5")), "user.custom:plan: Max length cannot be less than min length."},
		{"min value not a number", withNum(typed("updated_at", TypeNumber), num("x", "")), "Invalid NumberAttributeConstraints for schema attribute updated_at"},
		{"max value not a number", withNum(typed("level", TypeNumber), num("", "1.5")), "Invalid NumberAttributeConstraints for schema attribute custom:level"},
		{"max value below min", withNum(typed("level", TypeNumber), num("10", "5")), "user.custom:level: Max value cannot be less than min value."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := buildSchema([]idp.SchemaAttributeType{tc.in})
			wantInvalidParameter(t, err, tc.want)
		})
	}
}

// TestBuildSchemaConstraints checks the constraints a valid schema keeps.
func TestBuildSchemaConstraints(t *testing.T) {
	schema, err := buildSchema([]idp.SchemaAttributeType{
		{Name: cognito.Ptr("plan"), AttributeDataType: cognito.Ptr(TypeString), StringAttributeConstraints: &idp.StringAttributeConstraintsType{MinLength: cognito.Ptr("0"), MaxLength: cognito.Ptr("2048")}},
		{Name: cognito.Ptr("level"), AttributeDataType: cognito.Ptr(TypeNumber), NumberAttributeConstraints: &idp.NumberAttributeConstraintsType{MinValue: cognito.Ptr("-5"), MaxValue: cognito.Ptr("-5")}},
		{Name: cognito.Ptr("email"), AttributeDataType: cognito.Ptr(TypeString), StringAttributeConstraints: &idp.StringAttributeConstraintsType{MinLength: cognito.Ptr("3")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]any{}
	for _, a := range schema {
		switch n := cognito.Deref(a.Name); n {
		case "custom:plan", "email":
			got[n] = *a.StringAttributeConstraints
		case "custom:level":
			got[n] = *a.NumberAttributeConstraints
		}
	}
	want := map[string]any{
		"custom:plan":  idp.StringAttributeConstraintsType{MinLength: cognito.Ptr("0"), MaxLength: cognito.Ptr("2048")},
		"custom:level": idp.NumberAttributeConstraintsType{MinValue: cognito.Ptr("-5"), MaxValue: cognito.Ptr("-5")},
		"email":        idp.StringAttributeConstraintsType{MinLength: cognito.Ptr("3"), MaxLength: cognito.Ptr("2048")},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("constraints (-want +got):\n%s", diff)
	}
}
