package userpool

import (
	"slices"

	"github.com/cognate-dev/cognate/internal/cognito"
)

// The model's pattern rules of the members the engine looks records up by,
// worded as the generated checks word them. A value cognito.ValidText
// refuses breaks each of these patterns too, so the engine's own check
// answers as the JSON edge's would, for callers that skip the latter (the
// hosted UI).
const (
	ruleUsername   = `satisfy regular expression pattern: [\p{L}\p{M}\p{S}\p{N}\p{P}]+`
	ruleUserPoolID = `satisfy regular expression pattern: [\w-]+_[0-9a-zA-Z]+`
	ruleClientID   = `satisfy regular expression pattern: [\w+]+`
	ruleGroupName  = `satisfy regular expression pattern: [\p{L}\p{M}\p{S}\p{N}\p{P}]+`
	rulePoolName   = `satisfy regular expression pattern: [\w\s+=,.@-]+`
	ruleIdentifier = `satisfy regular expression pattern: [\x21\x23-\x5B\x5D-\x7E]+`
	// DomainType has no pattern in the model.
	ruleDomain = cognito.RuleValidText
)

// checkText returns InvalidParameterException, in the model's words for the
// member at path, when value is not text a store can keep (see
// cognito.ValidText).
func checkText(path, rule, value string) error {
	if cognito.ValidText(value) {
		return nil
	}
	return cognito.InvalidText(path, rule)
}

// checkUserText refuses a user record whose username or attribute values
// are not text a store can keep: they become its unique keys and ListUsers
// index entries. The operations check what they are given before they get
// here; this is the last check before any user is written.
func checkUserText(u *userRecord) error {
	if err := checkText("username", ruleUsername, u.Username); err != nil {
		return err
	}
	var problems []attrProblem
	for name, v := range u.Attributes {
		if !cognito.ValidText(v) || !cognito.ValidText(name) {
			problems = append(problems, attrProblem{name, reasonText})
		}
	}
	if len(problems) == 0 {
		return nil
	}
	slices.SortFunc(problems, func(a, b attrProblem) int {
		if a.name < b.name {
			return -1
		}
		return 1
	})
	return schemaError(attrCreate, problems)
}
