package identitypool

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/identity"
)

// Role types, the keys of SetIdentityPoolRoles' Roles.
const (
	roleAuthenticated   = "authenticated"
	roleUnauthenticated = "unauthenticated"
)

const (
	maxRoleMappings  = 10
	maxMappingRules  = 25
	msgNoRole        = "Invalid identity pool configuration. Check assigned IAM roles for this pool."
	msgAmbiguousDeny = "Ambiguous role mappings: no role could be chosen for this login and the role mapping denies access."
)

// validRoleARN reports whether arn names an IAM role.
func validRoleARN(arn string) bool {
	a, ok := cognito.ParseARN(arn)
	return ok && a.Service == "iam" && strings.HasPrefix(a.Resource, "role/") && len(a.Resource) > len("role/")
}

// SetIdentityPoolRoles sets the pool's authenticated and unauthenticated
// roles and its role mappings, replacing what was set before.
func (s *Service) SetIdentityPoolRoles(ctx context.Context, region string, in *identity.SetIdentityPoolRolesInput) (*cognito.Empty, error) {
	for kind, arn := range in.Roles {
		if kind != roleAuthenticated && kind != roleUnauthenticated {
			return nil, cognito.InvalidParameterException(fmt.Sprintf("Invalid role type: %s", kind))
		}
		if !validRoleARN(arn) {
			return nil, cognito.InvalidParameterException(fmt.Sprintf("Invalid role ARN: %s", arn))
		}
	}
	if len(in.RoleMappings) > maxRoleMappings {
		return nil, cognito.InvalidParameterException(fmt.Sprintf("At most %d role mappings are allowed.", maxRoleMappings))
	}
	for provider, m := range in.RoleMappings {
		if err := checkRoleMapping(provider, m); err != nil {
			return nil, err
		}
	}
	_, err := s.updatePool(ctx, region, cognito.Deref(in.IdentityPoolId), func(rec *poolRecord) error {
		rec.Roles = maps.Clone(in.Roles)
		rec.RoleMappings = maps.Clone(in.RoleMappings)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &cognito.Empty{}, nil
}

// checkRoleMapping applies Cognito's rules to one role mapping.
func checkRoleMapping(provider string, m identity.RoleMapping) error {
	typ := cognito.Deref(m.Type)
	switch typ {
	case identity.RoleMappingTypeToken, identity.RoleMappingTypeRules:
	default:
		return cognito.InvalidParameterException(fmt.Sprintf("Invalid role mapping type for %s.", provider))
	}
	if m.AmbiguousRoleResolution == nil {
		return cognito.InvalidParameterException(fmt.Sprintf("AmbiguousRoleResolution is required for the role mapping of %s.", provider))
	}
	if typ == identity.RoleMappingTypeToken {
		if m.RulesConfiguration != nil {
			return cognito.InvalidParameterException(fmt.Sprintf("RulesConfiguration is not allowed for the Token role mapping of %s.", provider))
		}
		return nil
	}
	if m.RulesConfiguration == nil || len(m.RulesConfiguration.Rules) == 0 {
		return cognito.InvalidParameterException(fmt.Sprintf("RulesConfiguration is required for the Rules role mapping of %s.", provider))
	}
	if len(m.RulesConfiguration.Rules) > maxMappingRules {
		return cognito.InvalidParameterException(fmt.Sprintf("At most %d rules are allowed in a role mapping.", maxMappingRules))
	}
	for _, r := range m.RulesConfiguration.Rules {
		if cognito.Deref(r.Claim) == "" || r.MatchType == nil || r.Value == nil {
			return cognito.InvalidParameterException("A mapping rule needs a Claim, a MatchType and a Value.")
		}
		if !validRoleARN(cognito.Deref(r.RoleARN)) {
			return cognito.InvalidParameterException(fmt.Sprintf("Invalid role ARN: %s", cognito.Deref(r.RoleARN)))
		}
	}
	return nil
}

// GetIdentityPoolRoles returns the pool's roles and role mappings.
func (s *Service) GetIdentityPoolRoles(ctx context.Context, region string, in *identity.GetIdentityPoolRolesInput) (*identity.GetIdentityPoolRolesResponse, error) {
	_, rec, err := s.loadPool(ctx, s.store, region, cognito.Deref(in.IdentityPoolId))
	if err != nil {
		return nil, err
	}
	roles := maps.Clone(rec.Roles)
	if roles == nil {
		roles = map[string]string{}
	}
	return &identity.GetIdentityPoolRolesResponse{IdentityPoolId: in.IdentityPoolId, Roles: roles, RoleMappings: rec.RoleMappings}, nil
}

// chooseRole returns the role an identity authenticated by logins assumes
// (Cognito's role-based access control): the first login with a role
// mapping decides by its token's cognito:roles and cognito:preferred_role
// (Token) or by the first rule its claims match (Rules), and when that is
// ambiguous, falls back to the authenticated role or denies access, as the
// mapping's AmbiguousRoleResolution says. Without a mapping it is the
// authenticated role. custom, the request's CustomRoleArn, must be one of
// the token's roles under a Token mapping, and the role chosen otherwise.
// Without logins it is the unauthenticated role.
func chooseRole(rec *poolRecord, logins []*login, custom string) (string, error) {
	if len(logins) == 0 {
		role := rec.Roles[roleUnauthenticated]
		if custom != "" && custom != role {
			return "", cognito.NotAuthorizedException("Unauthenticated identities cannot choose a role.")
		}
		if role == "" {
			return "", cognito.InvalidIdentityPoolConfigurationException(msgNoRole)
		}
		return role, nil
	}
	for _, l := range logins {
		m, ok := rec.RoleMappings[l.mappingKey()]
		if !ok {
			continue
		}
		role, err := mappedRole(m, l, custom)
		if err != nil {
			return "", err
		}
		if role != "" {
			return role, nil
		}
		if cognito.Deref(m.AmbiguousRoleResolution) == identity.AmbiguousRoleResolutionTypeDeny {
			return "", cognito.NotAuthorizedException(msgAmbiguousDeny)
		}
		break
	}
	role := rec.Roles[roleAuthenticated]
	if custom != "" && custom != role {
		return "", cognito.NotAuthorizedException("The CustomRoleArn is not one of the roles of this login.")
	}
	if role == "" {
		return "", cognito.InvalidIdentityPoolConfigurationException(msgNoRole)
	}
	return role, nil
}

// mappedRole applies one role mapping to a login; "" means ambiguous.
func mappedRole(m identity.RoleMapping, l *login, custom string) (string, error) {
	if cognito.Deref(m.Type) == identity.RoleMappingTypeToken {
		roles := claimStrings(l.Claims["cognito:roles"])
		preferred, _ := l.Claims["cognito:preferred_role"].(string)
		switch {
		case custom != "":
			if !slices.Contains(roles, custom) {
				return "", cognito.NotAuthorizedException("The CustomRoleArn is not one of the roles of this login.")
			}
			return custom, nil
		case preferred != "":
			return preferred, nil
		case len(roles) == 1:
			return roles[0], nil
		}
		return "", nil
	}
	for _, r := range m.RulesConfiguration.Rules {
		if ruleMatches(r, l.Claims[cognito.Deref(r.Claim)]) {
			role := cognito.Deref(r.RoleARN)
			if custom != "" && custom != role {
				return "", cognito.NotAuthorizedException("The CustomRoleArn is not one of the roles of this login.")
			}
			return role, nil
		}
	}
	return "", nil
}

// claimStrings returns a claim's values: a string, or the strings of a
// list.
func claimStrings(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []string:
		return v
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	case bool, float64:
		return []string{fmt.Sprint(v)}
	}
	return nil
}

// ruleMatches reports whether a claim's value matches a rule. A claim
// with several values (cognito:groups) matches when one of them does;
// NotEqual when none equals the rule's value. An absent claim matches
// nothing.
func ruleMatches(r identity.MappingRule, claim any) bool {
	values := claimStrings(claim)
	if len(values) == 0 {
		return false
	}
	want := cognito.Deref(r.Value)
	switch cognito.Deref(r.MatchType) {
	case identity.MappingRuleMatchTypeEquals:
		return slices.Contains(values, want)
	case identity.MappingRuleMatchTypeNotEqual:
		return !slices.Contains(values, want)
	case identity.MappingRuleMatchTypeContains:
		return slices.ContainsFunc(values, func(v string) bool { return strings.Contains(v, want) })
	case identity.MappingRuleMatchTypeStartsWith:
		return slices.ContainsFunc(values, func(v string) bool { return strings.HasPrefix(v, want) })
	}
	return false
}
