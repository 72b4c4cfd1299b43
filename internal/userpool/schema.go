package userpool

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
)

// Attribute data types.
const (
	TypeString   = idp.AttributeDataType("String")
	TypeNumber   = idp.AttributeDataType("Number")
	TypeBoolean  = idp.AttributeDataType("Boolean")
	TypeDateTime = idp.AttributeDataType("DateTime")
)

// maxCustomAttributes is how many custom attributes a pool may have.
const maxCustomAttributes = 50

// standardAttribute describes one of the attributes every pool has.
type standardAttribute struct {
	name     string
	dataType idp.AttributeDataType
	mutable  bool
	required bool
	// minLength and maxLength apply to String attributes.
	minLength, maxLength string
	// minValue applies to Number attributes.
	minValue string
}

// standardAttributes lists the standard attributes in the order
// DescribeUserPool returns them.
var standardAttributes = []standardAttribute{
	{name: "sub", dataType: TypeString, mutable: false, required: true, minLength: "1", maxLength: "2048"},
	{name: "name", dataType: TypeString, mutable: true, minLength: "0", maxLength: "2048"},
	{name: "given_name", dataType: TypeString, mutable: true, minLength: "0", maxLength: "2048"},
	{name: "family_name", dataType: TypeString, mutable: true, minLength: "0", maxLength: "2048"},
	{name: "middle_name", dataType: TypeString, mutable: true, minLength: "0", maxLength: "2048"},
	{name: "nickname", dataType: TypeString, mutable: true, minLength: "0", maxLength: "2048"},
	{name: "preferred_username", dataType: TypeString, mutable: true, minLength: "0", maxLength: "2048"},
	{name: "profile", dataType: TypeString, mutable: true, minLength: "0", maxLength: "2048"},
	{name: "picture", dataType: TypeString, mutable: true, minLength: "0", maxLength: "2048"},
	{name: "website", dataType: TypeString, mutable: true, minLength: "0", maxLength: "2048"},
	{name: "email", dataType: TypeString, mutable: true, minLength: "0", maxLength: "2048"},
	{name: "email_verified", dataType: TypeBoolean, mutable: true},
	{name: "gender", dataType: TypeString, mutable: true, minLength: "0", maxLength: "2048"},
	{name: "birthdate", dataType: TypeString, mutable: true, minLength: "10", maxLength: "10"},
	{name: "zoneinfo", dataType: TypeString, mutable: true, minLength: "0", maxLength: "2048"},
	{name: "locale", dataType: TypeString, mutable: true, minLength: "0", maxLength: "2048"},
	{name: "phone_number", dataType: TypeString, mutable: true, minLength: "0", maxLength: "2048"},
	{name: "phone_number_verified", dataType: TypeBoolean, mutable: true},
	{name: "address", dataType: TypeString, mutable: true, minLength: "0", maxLength: "2048"},
	{name: "updated_at", dataType: TypeNumber, mutable: true, minValue: "0"},
	{name: "identities", dataType: TypeString, mutable: true},
}

func (a standardAttribute) schema() idp.SchemaAttributeType {
	s := idp.SchemaAttributeType{
		Name:                   cognito.Ptr(a.name),
		AttributeDataType:      cognito.Ptr(a.dataType),
		DeveloperOnlyAttribute: cognito.Ptr(false),
		Mutable:                cognito.Ptr(a.mutable),
		Required:               cognito.Ptr(a.required),
	}
	switch a.dataType {
	case TypeString:
		c := &idp.StringAttributeConstraintsType{}
		if a.maxLength != "" {
			c.MinLength, c.MaxLength = cognito.Ptr(a.minLength), cognito.Ptr(a.maxLength)
		}
		s.StringAttributeConstraints = c
	case TypeNumber:
		s.NumberAttributeConstraints = &idp.NumberAttributeConstraintsType{MinValue: cognito.Ptr(a.minValue)}
	}
	return s
}

func standardIndex(name string) int {
	for i, a := range standardAttributes {
		if a.name == name {
			return i
		}
	}
	return -1
}

// buildSchema returns the schema of a new pool: the standard attributes,
// changed where the request overrides them, then the custom attributes.
func buildSchema(req []idp.SchemaAttributeType) ([]idp.SchemaAttributeType, error) {
	schema := make([]idp.SchemaAttributeType, len(standardAttributes))
	for i, a := range standardAttributes {
		schema[i] = a.schema()
	}
	seen := map[string]bool{}
	var custom []idp.SchemaAttributeType
	for _, in := range req {
		name := cognito.Deref(in.Name)
		if name == "" {
			return nil, cognito.InvalidParameterException("Attribute name is required.")
		}
		if seen[name] {
			return nil, cognito.InvalidParameterException(fmt.Sprintf("Duplicate attribute name: %s", name))
		}
		seen[name] = true
		if i := standardIndex(name); i >= 0 {
			if err := overrideStandard(&schema[i], standardAttributes[i], in); err != nil {
				return nil, err
			}
			continue
		}
		c, err := customAttribute(in)
		if err != nil {
			return nil, err
		}
		custom = append(custom, c)
	}
	if len(custom) > maxCustomAttributes {
		return nil, cognito.InvalidParameterException(fmt.Sprintf("A user pool can have at most %d custom attributes.", maxCustomAttributes))
	}
	return append(schema, custom...), nil
}

// overrideStandard applies a request's settings for a standard attribute.
func overrideStandard(dst *idp.SchemaAttributeType, std standardAttribute, in idp.SchemaAttributeType) error {
	if (in.AttributeDataType != nil && *in.AttributeDataType != std.dataType) || cognito.Deref(in.DeveloperOnlyAttribute) {
		return cognito.InvalidParameterException("You can not change AttributeDataType or set developerOnlyAttribute for standard schema attribute " + std.name)
	}
	if std.name == "sub" {
		if (in.Mutable != nil && *in.Mutable) || (in.Required != nil && !*in.Required) {
			return cognito.InvalidParameterException("The sub attribute cannot be modified.")
		}
		return nil
	}
	if in.Mutable != nil {
		dst.Mutable = cognito.Ptr(*in.Mutable)
	}
	if in.Required != nil {
		dst.Required = cognito.Ptr(*in.Required)
	}
	if in.StringAttributeConstraints != nil && std.dataType == TypeString {
		c, err := stringConstraints(std.name, in.StringAttributeConstraints, dst.StringAttributeConstraints)
		if err != nil {
			return err
		}
		dst.StringAttributeConstraints = c
	}
	if in.NumberAttributeConstraints != nil && std.dataType == TypeNumber {
		c, err := numberConstraints(std.name, in.NumberAttributeConstraints)
		if err != nil {
			return err
		}
		dst.NumberAttributeConstraints = c
	}
	return nil
}

// customAttribute returns the stored form of a custom attribute: its name
// prefixed with custom: (dev:custom: when developer-only). Unlike a
// standard attribute, it has no data type to fall back on, so one must be
// given.
func customAttribute(in idp.SchemaAttributeType) (idp.SchemaAttributeType, error) {
	name := cognito.Deref(in.Name)
	name = strings.TrimPrefix(name, "custom:")
	if name == "" || strings.Contains(name, ":") {
		return idp.SchemaAttributeType{}, cognito.InvalidParameterException(fmt.Sprintf("Invalid custom attribute name: %s", cognito.Deref(in.Name)))
	}
	if cognito.Deref(in.Required) {
		return idp.SchemaAttributeType{}, cognito.InvalidParameterException("Required custom attributes are not supported currently.")
	}
	if in.AttributeDataType == nil {
		return idp.SchemaAttributeType{}, cognito.InvalidParameterException("Invalid AttributeDataType input, consider using the provided AttributeDataType enum.")
	}
	dataType := *in.AttributeDataType
	devOnly := cognito.Deref(in.DeveloperOnlyAttribute)
	full := "custom:" + name
	if devOnly {
		full = "dev:" + full
	}
	mutable := true
	if in.Mutable != nil {
		mutable = *in.Mutable
	}
	out := idp.SchemaAttributeType{
		Name:                   cognito.Ptr(full),
		AttributeDataType:      cognito.Ptr(dataType),
		DeveloperOnlyAttribute: cognito.Ptr(devOnly),
		Mutable:                cognito.Ptr(mutable),
		Required:               cognito.Ptr(false),
	}
	switch dataType {
	case TypeString:
		c, err := stringConstraints(full, in.StringAttributeConstraints, &idp.StringAttributeConstraintsType{})
		if err != nil {
			return idp.SchemaAttributeType{}, err
		}
		out.StringAttributeConstraints = c
	case TypeNumber:
		c, err := numberConstraints(full, in.NumberAttributeConstraints)
		if err != nil {
			return idp.SchemaAttributeType{}, err
		}
		out.NumberAttributeConstraints = c
	}
	return out, nil
}

// MaxStringAttributeLength is the longest value any string attribute holds.
const MaxStringAttributeLength = 2048

// stringConstraints returns the StringAttributeConstraints of the
// attribute named name: base, changed where in sets a bound. A bound that
// is not a whole number of zero or more, or that is more than 2048, or a
// maximum below the minimum, is refused with Cognito's words.
func stringConstraints(name string, in, base *idp.StringAttributeConstraintsType) (*idp.StringAttributeConstraintsType, error) {
	out := &idp.StringAttributeConstraintsType{}
	if base != nil {
		*out = *base
	}
	if in == nil {
		return out, nil
	}
	parse := func(v *string) (int64, error) {
		n, err := strconv.ParseInt(*v, 10, 64)
		if err != nil || n < 0 {
			return 0, cognito.InvalidParameterException("Invalid StringAttributeConstraints for schema attribute " + name)
		}
		if n > MaxStringAttributeLength {
			return 0, cognito.InvalidParameterException(fmt.Sprintf("user.%s: String attributes cannot have a length of more than %d", name, MaxStringAttributeLength))
		}
		return n, nil
	}
	lo, hi := int64(0), int64(MaxStringAttributeLength)
	if in.MinLength != nil {
		v, err := parse(in.MinLength)
		if err != nil {
			return nil, err
		}
		lo = v
		out.MinLength = cognito.Ptr(*in.MinLength)
	}
	if in.MaxLength != nil {
		v, err := parse(in.MaxLength)
		if err != nil {
			return nil, err
		}
		hi = v
		out.MaxLength = cognito.Ptr(*in.MaxLength)
	}
	if lo > hi {
		return nil, cognito.InvalidParameterException(fmt.Sprintf("user.%s: Max length cannot be less than min length.", name))
	}
	return out, nil
}

// numberConstraints returns the NumberAttributeConstraints in sets for the
// attribute named name. A bound that is not a whole number, or a maximum
// below the minimum, is refused with Cognito's words.
func numberConstraints(name string, in *idp.NumberAttributeConstraintsType) (*idp.NumberAttributeConstraintsType, error) {
	out := &idp.NumberAttributeConstraintsType{}
	if in == nil {
		return out, nil
	}
	parse := func(v *string) (int64, error) {
		n, err := strconv.ParseInt(*v, 10, 64)
		if err != nil {
			return 0, cognito.InvalidParameterException("Invalid NumberAttributeConstraints for schema attribute " + name)
		}
		return n, nil
	}
	var lo, hi int64
	if in.MinValue != nil {
		v, err := parse(in.MinValue)
		if err != nil {
			return nil, err
		}
		lo = v
		out.MinValue = cognito.Ptr(*in.MinValue)
	}
	if in.MaxValue != nil {
		v, err := parse(in.MaxValue)
		if err != nil {
			return nil, err
		}
		hi = v
		out.MaxValue = cognito.Ptr(*in.MaxValue)
	}
	if in.MinValue != nil && in.MaxValue != nil && lo > hi {
		return nil, cognito.InvalidParameterException(fmt.Sprintf("user.%s: Max value cannot be less than min value.", name))
	}
	return out, nil
}

// countCustom returns how many custom attributes a schema has.
func countCustom(schema []idp.SchemaAttributeType) int {
	n := 0
	for _, a := range schema {
		if standardIndex(cognito.Deref(a.Name)) < 0 {
			n++
		}
	}
	return n
}

// customBareName returns a custom attribute's name without its dev: and
// custom: prefixes.
func customBareName(name string) string {
	return strings.TrimPrefix(strings.TrimPrefix(name, "dev:"), "custom:")
}
