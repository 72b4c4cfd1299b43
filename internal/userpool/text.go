package userpool

import "github.com/cognate-dev/cognate/internal/cognito"

// The model's pattern rules of the members the engine looks records up by,
// worded as the generated checks word them. A value cognito.ValidText
// refuses breaks each of these patterns too, so the engine's own check
// answers as the JSON edge's would, for callers that skip the latter (the
// hosted UI).
const (
	ruleUserPoolID = `satisfy regular expression pattern: [\w-]+_[0-9a-zA-Z]+`
	ruleClientID   = `satisfy regular expression pattern: [\w+]+`
	rulePoolName   = `satisfy regular expression pattern: [\w\s+=,.@-]+`
	ruleIdentifier = `satisfy regular expression pattern: [\x21\x23-\x5B\x5D-\x7E]+`
	// DomainType has no pattern in the model.
	ruleDomain = cognito.RuleValidText
)

// CheckText returns InvalidParameterException, in the model's words for the
// member at path, when value is not text a store can keep (see
// cognito.ValidText).
func CheckText(path, rule, value string) error {
	if cognito.ValidText(value) {
		return nil
	}
	return cognito.InvalidText(path, rule)
}
