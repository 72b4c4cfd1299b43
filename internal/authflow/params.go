package authflow

import "github.com/cognate-dev/cognate/internal/cognito"

// lookupParams are the AuthParameters and ChallengeResponses whose values
// the sign-in engine looks records up by. The others are secrets, proofs
// and tokens that are compared, hashed or opened, never used as a key, and
// keep the answer Cognito gives for a wrong one.
var lookupParams = []string{"USERNAME", "DEVICE_KEY"}

// checkParams refuses AuthParameters or ChallengeResponses (path names
// which, as the model does) with more than cognito.MaxRequestEntries
// entries, or whose lookup values are not text a store can keep (see
// cognito.ValidText), before any of it reaches a store. Each flow still
// checks the parameters it needs.
func checkParams(path string, params map[string]string) error {
	if len(params) > cognito.MaxRequestEntries {
		return cognito.TooManyEntries(path)
	}
	for _, k := range lookupParams {
		if v, ok := params[k]; ok && !cognito.ValidText(v) {
			return cognito.InvalidText(cognito.KeyPath(path, k), cognito.RuleValidText)
		}
	}
	return nil
}
