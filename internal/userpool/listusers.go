package userpool

import (
	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
)

// searchableAttributes are the attributes ListUsers filters on.
var searchableAttributes = []string{
	"username", "email", "phone_number", "name", "given_name", "family_name",
	"preferred_username", "cognito:user_status", "status", "sub",
}

// userIndex returns the index entries ListUsers scans for u: one per
// searchable attribute the user has, "<pool>/<attribute>/<value>".
func userIndex(p *idp.UserPoolType, u *userRecord) []string {
	pool := cognito.Deref(p.Id)
	var out []string
	for _, a := range searchableAttributes {
		var v string
		switch a {
		case "username":
			v = u.Username
		case "cognito:user_status":
			v = string(u.Status)
		case "status":
			v = "Disabled"
			if u.Enabled {
				v = "Enabled"
			}
		case "sub":
			v = u.Sub
		default:
			var ok bool
			if v, ok = u.Attributes[a]; !ok {
				continue
			}
		}
		out = append(out, pool+"/"+a+"/"+v)
	}
	return out
}
