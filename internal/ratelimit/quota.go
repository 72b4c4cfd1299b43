package ratelimit

import "slices"

// Category is an Amazon Cognito quota category: a group of user-pool
// operations that share one request rate.
type Category string

// The quota categories of the Amazon Cognito Developer Guide, "Amazon
// Cognito user pools API operation categories and request rate quotas".
const (
	UserAuthentication     Category = "UserAuthentication"
	UserCreation           Category = "UserCreation"
	UserFederation         Category = "UserFederation"
	UserAccountRecovery    Category = "UserAccountRecovery"
	UserRead               Category = "UserRead"
	UserUpdate             Category = "UserUpdate"
	UserToken              Category = "UserToken"
	UserResourceRead       Category = "UserResourceRead"
	UserResourceUpdate     Category = "UserResourceUpdate"
	UserList               Category = "UserList"
	UserPoolRead           Category = "UserPoolRead"
	UserPoolUpdate         Category = "UserPoolUpdate"
	UserPoolResourceRead   Category = "UserPoolResourceRead"
	UserPoolResourceUpdate Category = "UserPoolResourceUpdate"
	UserPoolClientRead     Category = "UserPoolClientRead"
	UserPoolClientUpdate   Category = "UserPoolClientUpdate"
	ClientAuthentication   Category = "ClientAuthentication"
)

// ChallengeMultiple is how many times the UserAuthentication rate
// RespondToAuthChallenge and AdminRespondToAuthChallenge may run before
// they draw on UserAuthentication itself (the guide's "special handling").
const ChallengeMultiple = 3

// quota is one row of the guide's table.
type quota struct {
	category Category
	// rate is the default quota in requests per second.
	rate float64
	// documented are the operations the guide lists in the category.
	documented []string
	// assigned are operations newer than the guide's list (or not in it),
	// placed by cognate in the category that matches what they do.
	assigned []string
}

// quotas is the guide's table in its order. UserFederation (sign-in
// through a third-party identity provider) and ClientAuthentication
// (client_credentials grants at the token endpoint) count requests to the
// OAuth 2.0 endpoints, not API operations.
var quotas = []quota{
	{UserAuthentication, 120,
		[]string{"AdminInitiateAuth", "AdminRespondToAuthChallenge", "InitiateAuth", "RespondToAuthChallenge"},
		nil},
	{UserCreation, 50,
		[]string{"AdminConfirmSignUp", "AdminCreateUser", "ConfirmSignUp", "SignUp"},
		nil},
	{UserFederation, 25, nil, nil},
	{UserAccountRecovery, 30,
		[]string{"AdminResetUserPassword", "AdminSetUserPassword", "ChangePassword", "ConfirmForgotPassword", "ForgotPassword"},
		nil},
	{UserRead, 120,
		[]string{"AdminGetUser", "GetUser"},
		[]string{"AdminGetUserAuthFactors", "GetUserAuthFactors"}},
	{UserUpdate, 25,
		[]string{
			"AdminDeleteUser", "AdminDeleteUserAttributes", "AdminDisableProviderForUser", "AdminDisableUser",
			"AdminEnableUser", "AdminLinkProviderForUser", "AdminSetUserMFAPreference", "AdminSetUserSettings",
			"AdminUpdateAuthEventFeedback", "AdminUpdateUserAttributes", "AdminUserGlobalSignOut",
			"AssociateSoftwareToken", "DeleteUser", "DeleteUserAttributes", "GetUserAttributeVerificationCode",
			"GlobalSignOut", "ResendConfirmationCode", "SetUserMFAPreference", "SetUserSettings",
			"UpdateAuthEventFeedback", "UpdateUserAttributes", "VerifySoftwareToken", "VerifyUserAttribute",
		},
		nil},
	{UserToken, 120,
		[]string{"RevokeToken"},
		[]string{"GetTokensFromRefreshToken"}},
	{UserResourceRead, 50,
		[]string{"AdminGetDevice", "AdminListDevices", "AdminListGroupsForUser", "AdminListUserAuthEvents", "GetDevice", "ListDevices"},
		[]string{"ListWebAuthnCredentials"}},
	{UserResourceUpdate, 25,
		[]string{
			"AdminAddUserToGroup", "AdminForgetDevice", "AdminRemoveUserFromGroup", "AdminUpdateDeviceStatus",
			"ConfirmDevice", "ForgetDevice", "UpdateDeviceStatus",
		},
		[]string{"CompleteWebAuthnRegistration", "DeleteWebAuthnCredential", "StartWebAuthnRegistration"}},
	{UserList, 30,
		[]string{"ListUsers", "ListUsersInGroup"},
		nil},
	{UserPoolRead, 15,
		[]string{"DescribeUserPool", "ListUserPools"},
		[]string{"ListUserPoolReplicas"}},
	{UserPoolUpdate, 15,
		[]string{"AddCustomAttributes", "CreateUserPool", "DeleteUserPool", "UpdateUserPool"},
		[]string{"CreateUserPoolReplica", "DeleteUserPoolReplica", "UpdateUserPoolReplica"}},
	{UserPoolResourceRead, 20,
		[]string{
			"DescribeIdentityProvider", "DescribeResourceServer", "DescribeRiskConfiguration", "DescribeUserImportJob",
			"DescribeUserPoolDomain", "GetCSVHeader", "GetGroup", "GetIdentityProviderByIdentifier",
			"GetSigningCertificate", "GetUICustomization", "GetUserPoolMfaConfig", "ListGroups",
			"ListIdentityProviders", "ListResourceServers", "ListTagsForResource", "ListUserImportJobs",
		},
		[]string{
			"DescribeManagedLoginBranding", "DescribeManagedLoginBrandingByClient", "DescribeTerms",
			"GetLogDeliveryConfiguration", "ListTerms",
		}},
	{UserPoolResourceUpdate, 15,
		[]string{
			"CreateGroup", "CreateIdentityProvider", "CreateResourceServer", "CreateUserImportJob",
			"CreateUserPoolDomain", "DeleteGroup", "DeleteIdentityProvider", "DeleteResourceServer",
			"DeleteUserPoolDomain", "SetRiskConfiguration", "SetUICustomization", "SetUserPoolMfaConfig",
			"StartUserImportJob", "StopUserImportJob", "TagResource", "UntagResource", "UpdateGroup",
			"UpdateIdentityProvider", "UpdateResourceServer", "UpdateUserPoolDomain",
		},
		[]string{
			"CreateManagedLoginBranding", "CreateTerms", "DeleteManagedLoginBranding", "DeleteTerms",
			"SetLogDeliveryConfiguration", "UpdateManagedLoginBranding", "UpdateTerms",
		}},
	{UserPoolClientRead, 15,
		[]string{"DescribeUserPoolClient", "ListUserPoolClients"},
		[]string{"ListUserPoolClientSecrets"}},
	{UserPoolClientUpdate, 15,
		[]string{"CreateUserPoolClient", "DeleteUserPoolClient", "UpdateUserPoolClient"},
		[]string{"AddUserPoolClientSecret", "DeleteUserPoolClientSecret"}},
	{ClientAuthentication, 150, nil, nil},
}

// challengeOperations are the operations with the guide's special handling.
var challengeOperations = []string{"AdminRespondToAuthChallenge", "RespondToAuthChallenge"}

// byOperation maps each operation to its category.
var byOperation = func() map[string]Category {
	m := map[string]Category{}
	for _, q := range quotas {
		for _, op := range slices.Concat(q.documented, q.assigned) {
			if _, dup := m[op]; dup {
				panic("ratelimit: " + op + " is in two categories")
			}
			m[op] = q.category
		}
	}
	return m
}()

// Categories returns every category, in the guide's order.
func Categories() []Category {
	out := make([]Category, len(quotas))
	for i, q := range quotas {
		out[i] = q.category
	}
	return out
}

// Known reports whether c is one of the categories.
func Known(c Category) bool {
	return slices.ContainsFunc(quotas, func(q quota) bool { return q.category == c })
}

// DefaultRate returns Cognito's default quota for c in requests per
// second, or 0 for an unknown category.
func DefaultRate(c Category) float64 {
	if i := slices.IndexFunc(quotas, func(q quota) bool { return q.category == c }); i >= 0 {
		return quotas[i].rate
	}
	return 0
}

// CategoryOf returns the category of a user-pool operation; ok is false
// for an operation in no category, which is never limited.
func CategoryOf(operation string) (c Category, ok bool) {
	c, ok = byOperation[operation]
	return c, ok
}

// Operations returns the operations of c: those the guide lists, then
// those cognate assigned to it, each sorted.
func Operations(c Category) (documented, assigned []string) {
	if i := slices.IndexFunc(quotas, func(q quota) bool { return q.category == c }); i >= 0 {
		return slices.Clone(quotas[i].documented), slices.Clone(quotas[i].assigned)
	}
	return nil, nil
}
