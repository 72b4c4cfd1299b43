package directory

import (
	"slices"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/userpool"
)

// The model's pattern rules of the directory's members, worded as the
// generated checks word them (see userpool.CheckText).
const (
	ruleUsername  = `satisfy regular expression pattern: [\p{L}\p{M}\p{S}\p{N}\p{P}]+`
	ruleGroupName = `satisfy regular expression pattern: [\p{L}\p{M}\p{S}\p{N}\p{P}]+`
)

// checkUserText refuses a user record whose username or attribute values
// are not text a store can keep: they become its unique keys and ListUsers
// index entries. The operations check what they are given before they get
// here; this is the last check before any user is written.
func checkUserText(u *userRecord) error {
	if err := userpool.CheckText("username", ruleUsername, u.Username); err != nil {
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
