package directory

import (
	"fmt"
	"net/mail"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/userpool"
)

// attrWrite names the operation that writes user attributes; Cognito frames
// its schema errors differently for each.
type attrWrite int

const (
	// attrCreate is AdminCreateUser (and later SignUp): a new user.
	attrCreate attrWrite = iota
	// attrUpdate is AdminUpdateUserAttributes (and later
	// UpdateUserAttributes): an existing user.
	attrUpdate
)

// Reasons Cognito gives for one attribute that breaks the schema.
const (
	reasonUnknown   = "Attribute does not exist in the schema."
	reasonImmutable = "Attribute cannot be updated."
	reasonRequired  = "The attribute is required"
	// reasonText is cognate's own: a value no store can keep as text (see
	// cognito.ValidText), which Cognito's schema rules do not name.
	reasonText = "Attribute value must not contain null characters or invalid UTF-8."
)

// attrProblem is one attribute that breaks the schema.
type attrProblem struct{ name, reason string }

// schemaError frames attribute problems as Cognito does: on creation,
// "Attributes did not conform to the schema: " and one "<name>: <reason>"
// line per problem; on update, one "user.<name>: <reason>" line per
// problem. Each line ends with a newline.
func schemaError(op attrWrite, problems []attrProblem) error {
	var b strings.Builder
	if op == attrCreate {
		b.WriteString("Attributes did not conform to the schema: ")
	}
	for _, pr := range problems {
		if op == attrUpdate {
			b.WriteString("user.")
		}
		b.WriteString(pr.name + ": " + pr.reason + "\n")
	}
	return cognito.InvalidParameterException(b.String())
}

// schemaAttribute returns the schema entry of the attribute named as a
// request names it (custom:x, dev:custom:x, or a standard name).
func schemaAttribute(p *idp.UserPoolType, name string) (idp.SchemaAttributeType, bool) {
	for _, a := range p.SchemaAttributes {
		if cognito.Deref(a.Name) == name {
			return a, true
		}
	}
	return idp.SchemaAttributeType{}, false
}

// Formats of standard attributes.
var (
	// phonePattern is E.164 as Cognito accepts it: a plus sign, then digits.
	phonePattern     = regexp.MustCompile(`^\+[0-9]{4,15}$`)
	birthdatePattern = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)
)

// validEmail reports whether v is a bare email address (no display name,
// no angle brackets).
func validEmail(v string) bool {
	a, err := mail.ParseAddress(v)
	return err == nil && a.Address == v && a.Name == "" && strings.Contains(v, "@")
}

// validBirthdate reports whether v is YYYY-MM-DD (the OpenID Connect form;
// a year of 0000 means the year is withheld).
func validBirthdate(v string) bool {
	if !birthdatePattern.MatchString(v) {
		return false
	}
	if strings.HasPrefix(v, "0000-") {
		v = "2000-" + v[5:]
	}
	_, err := time.Parse(time.DateOnly, v)
	return err == nil
}

// validBool reports whether v is a Boolean attribute value: true or false
// in any letter case, as Cognito accepts them ("True" works).
func validBool(v string) bool { return strings.EqualFold(v, "true") || strings.EqualFold(v, "false") }

// checkValue checks one value against its schema entry and returns the
// reason it breaks it, or "".
func checkValue(a idp.SchemaAttributeType, name, v string) string {
	if !cognito.ValidText(v) {
		return reasonText
	}
	switch cognito.Deref(a.AttributeDataType) {
	case userpool.TypeBoolean:
		if !validBool(v) {
			return "Attribute value must be true or false."
		}
	case userpool.TypeNumber:
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return "Number must be a valid integer."
		}
		if c := a.NumberAttributeConstraints; c != nil {
			if lo, err := strconv.ParseInt(cognito.Deref(c.MinValue), 10, 64); err == nil && c.MinValue != nil && n < lo {
				return fmt.Sprintf("Number must be no less than %d", lo)
			}
			if hi, err := strconv.ParseInt(cognito.Deref(c.MaxValue), 10, 64); err == nil && c.MaxValue != nil && n > hi {
				return fmt.Sprintf("Number must be no greater than %d", hi)
			}
		}
	case userpool.TypeString, userpool.TypeDateTime, "":
		n := utf8.RuneCountInString(v)
		if n > userpool.MaxStringAttributeLength {
			return fmt.Sprintf("String must be no longer than %d characters", userpool.MaxStringAttributeLength)
		}
		if c := a.StringAttributeConstraints; c != nil {
			if lo, err := strconv.Atoi(cognito.Deref(c.MinLength)); err == nil && c.MinLength != nil && n < lo {
				return fmt.Sprintf("String must be no shorter than %d characters", lo)
			}
			if hi, err := strconv.Atoi(cognito.Deref(c.MaxLength)); err == nil && c.MaxLength != nil && n > hi {
				return fmt.Sprintf("String must be no longer than %d characters", hi)
			}
		}
		if name == "birthdate" && !validBirthdate(v) {
			return "Birthdate must be in the format YYYY-MM-DD."
		}
	}
	return ""
}

// checkAttributes checks the attributes of an admin write against the
// pool's schema and returns them by name (a name given twice keeps its last
// value). It reports, in one InvalidParameterException, every attribute the
// schema does not have, sub (which Cognito assigns), and on update every
// immutable attribute; then every value of the wrong type or length; then
// the format of email and phone_number. A Boolean value (email_verified,
// phone_number_verified, a custom Boolean) is returned in lower case,
// whatever its case in the request, so that every reader of the stored
// attributes, and every client, sees one spelling. Required attributes are
// checked separately (checkRequired), once the username attribute is known.
// A list of more than cognito.MaxRequestEntries attributes is refused
// first, and a value with a NUL or invalid UTF-8 breaks the schema like a
// value of the wrong type.
func checkAttributes(p *idp.UserPoolType, in []idp.AttributeType, op attrWrite) (map[string]string, error) {
	if len(in) > cognito.MaxRequestEntries {
		return nil, cognito.TooManyEntries("userAttributes")
	}
	out := make(map[string]string, len(in))
	for _, at := range in {
		if at.Value == nil {
			return nil, cognito.InvalidParameterException(fmt.Sprintf("Attribute value for %s must not be null", cognito.Deref(at.Name)))
		}
	}
	var problems []attrProblem
	for _, at := range in {
		name, v := cognito.Deref(at.Name), cognito.Deref(at.Value)
		a, ok := schemaAttribute(p, name)
		switch {
		case !ok:
			problems = append(problems, attrProblem{name, reasonUnknown})
			continue
		case name == "sub", op == attrUpdate && a.Mutable != nil && !*a.Mutable:
			problems = append(problems, attrProblem{name, reasonImmutable})
			continue
		}
		out[name] = v
	}
	if len(problems) > 0 {
		return nil, schemaError(op, problems)
	}
	for _, at := range in {
		name := cognito.Deref(at.Name)
		if v, ok := out[name]; ok {
			a, _ := schemaAttribute(p, name)
			if reason := checkValue(a, name, v); reason != "" && !slices.Contains(problems, attrProblem{name, reason}) {
				problems = append(problems, attrProblem{name, reason})
			} else if cognito.Deref(a.AttributeDataType) == userpool.TypeBoolean {
				out[name] = strings.ToLower(v)
			}
		}
	}
	if len(problems) > 0 {
		return nil, schemaError(op, problems)
	}
	if v, ok := out["email"]; ok && v != "" && !validEmail(v) {
		return nil, cognito.InvalidParameterException("Invalid email address format.")
	}
	if v, ok := out["phone_number"]; ok && v != "" && !phonePattern.MatchString(v) {
		return nil, cognito.InvalidParameterException("Invalid phone number format.")
	}
	return out, nil
}

// checkRequired reports the schema's required attributes (other than sub)
// that attrs lacks, in schema order.
func checkRequired(p *idp.UserPoolType, attrs map[string]string) error {
	var problems []attrProblem
	for _, a := range p.SchemaAttributes {
		name := cognito.Deref(a.Name)
		if name != "sub" && cognito.Deref(a.Required) && attrs[name] == "" {
			problems = append(problems, attrProblem{name, reasonRequired})
		}
	}
	if len(problems) > 0 {
		return schemaError(attrCreate, problems)
	}
	return nil
}

// userAttributeList returns u's attributes as the wire carries them: sub
// first, then the others by name, as ListUsers returns them.
func userAttributeList(u *userRecord) []idp.AttributeType {
	names := make([]string, 0, len(u.Attributes))
	for name := range u.Attributes {
		if name != "sub" {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	out := make([]idp.AttributeType, 0, len(names)+1)
	out = append(out, idp.AttributeType{Name: cognito.Ptr("sub"), Value: cognito.Ptr(u.Sub)})
	for _, name := range names {
		out = append(out, idp.AttributeType{Name: cognito.Ptr(name), Value: cognito.Ptr(u.Attributes[name])})
	}
	return out
}

// hasUsernameAttribute reports whether the pool signs users in with attr
// (email or phone_number) in place of a username.
func hasUsernameAttribute(p *idp.UserPoolType, attr string) bool {
	return slices.Contains(p.UsernameAttributes, idp.UsernameAttributeType(attr))
}

// hasAlias reports whether the pool lets users sign in with attr as an
// alias.
func hasAlias(p *idp.UserPoolType, attr string) bool {
	return slices.Contains(p.AliasAttributes, idp.AliasAttributeType(attr))
}

// usernameAttributeFor returns the username attribute (email or
// phone_number) that name is a value of, in a pool with UsernameAttributes,
// or InvalidParameterException worded as Cognito words it.
func usernameAttributeFor(p *idp.UserPoolType, name string) (string, error) {
	email, phone := hasUsernameAttribute(p, "email"), hasUsernameAttribute(p, "phone_number")
	switch {
	case email && validEmail(name):
		return "email", nil
	case phone && phonePattern.MatchString(name):
		return "phone_number", nil
	case email && phone:
		return "", cognito.InvalidParameterException("Username should be either an email or a phone number.")
	case email:
		return "", cognito.InvalidParameterException("Username should be an email.")
	default:
		return "", cognito.InvalidParameterException("Username should be a phone number.")
	}
}

// checkAliasUsername refuses a username that looks like an alias value in
// a pool with that alias, as Cognito does, so that a username can never be
// confused with another user's email or phone number.
func checkAliasUsername(p *idp.UserPoolType, name string) error {
	if hasAlias(p, "email") && validEmail(name) {
		return cognito.InvalidParameterException("Username cannot be of email format, since user pool is configured for email alias.")
	}
	if hasAlias(p, "phone_number") && phonePattern.MatchString(name) {
		return cognito.InvalidParameterException("Username cannot be of phone number format, since user pool is configured for phone number alias.")
	}
	return nil
}

// aliasExists is Cognito's exception for an alias another user holds.
func aliasExists(attr string) *cognito.Error {
	return cognito.AliasExistsException(fmt.Sprintf("An account with the given %s already exists.", attr))
}

// keyAttribute returns which alias attribute a unique user key belongs to,
// or "" for the username key.
func keyAttribute(p *idp.UserPoolType, key string) string {
	for _, a := range aliasAttributes {
		if strings.HasPrefix(key, cognito.Deref(p.Id)+"/alias/"+a+"/") {
			return a
		}
	}
	return ""
}
