package api

import "github.com/cognate-dev/cognate/internal/directory"

// userHandlers serves users, administered and self-service.
func userHandlers(d *directory.Service) map[string]handler {
	return map[string]handler{
		"AdminCreateUser":              handle(d.AdminCreateUser),
		"AdminGetUser":                 handle(d.AdminGetUser),
		"AdminUpdateUserAttributes":    handle(d.AdminUpdateUserAttributes),
		"AdminDeleteUserAttributes":    handle(d.AdminDeleteUserAttributes),
		"AdminDeleteUser":              handle(d.AdminDeleteUser),
		"AdminDisableUser":             handle(d.AdminDisableUser),
		"AdminEnableUser":              handle(d.AdminEnableUser),
		"AdminSetUserPassword":         handle(d.AdminSetUserPassword),
		"AdminResetUserPassword":       handle(d.AdminResetUserPassword),
		"AdminConfirmSignUp":           handle(d.AdminConfirmSignUp),
		"AdminSetUserSettings":         handle(d.AdminSetUserSettings),
		"AdminSetUserMFAPreference":    handle(d.AdminSetUserMFAPreference),
		"AdminListUserAuthEvents":      handle(d.AdminListUserAuthEvents),
		"AdminUpdateAuthEventFeedback": handle(d.AdminUpdateAuthEventFeedback),
		"UpdateAuthEventFeedback":      handle(d.UpdateAuthEventFeedback),
		"SignUp":                       handle(d.SignUp),
		"ConfirmSignUp":                handle(d.ConfirmSignUp),
		"ResendConfirmationCode":       handle(d.ResendConfirmationCode),
		"ForgotPassword":               handle(d.ForgotPassword),
		"ConfirmForgotPassword":        handle(d.ConfirmForgotPassword),

		// User import jobs (docs/import.md).
		"GetCSVHeader":          handle(d.GetCSVHeader),
		"CreateUserImportJob":   handle(d.CreateUserImportJob),
		"DescribeUserImportJob": handle(d.DescribeUserImportJob),
		"ListUserImportJobs":    handle(d.ListUserImportJobs),
		"StartUserImportJob":    handle(d.StartUserImportJob),
		"StopUserImportJob":     handle(d.StopUserImportJob),

		// Self-service, authorized by the user's access token.
		"GetUser":                          handle(d.GetUser),
		"UpdateUserAttributes":             handle(d.UpdateUserAttributes),
		"DeleteUserAttributes":             handle(d.DeleteUserAttributes),
		"DeleteUser":                       handle(d.DeleteUser),
		"ChangePassword":                   handle(d.ChangePassword),
		"GetUserAttributeVerificationCode": handle(d.GetUserAttributeVerificationCode),
		"VerifyUserAttribute":              handle(d.VerifyUserAttribute),
		"SetUserSettings":                  handle(d.SetUserSettings),
		"SetUserMFAPreference":             handle(d.SetUserMFAPreference),
	}
}
