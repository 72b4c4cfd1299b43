package api

import "github.com/cognate-dev/cognate/internal/userpool"

// userHandlers serves users, administered and self-service.
func userHandlers(p *userpool.Service) map[string]handler {
	return map[string]handler{
		"AdminCreateUser":           handle(p.AdminCreateUser),
		"AdminGetUser":              handle(p.AdminGetUser),
		"AdminUpdateUserAttributes": handle(p.AdminUpdateUserAttributes),
		"AdminDeleteUserAttributes": handle(p.AdminDeleteUserAttributes),
		"AdminDeleteUser":           handle(p.AdminDeleteUser),
		"AdminDisableUser":          handle(p.AdminDisableUser),
		"AdminEnableUser":           handle(p.AdminEnableUser),
		"AdminSetUserPassword":      handle(p.AdminSetUserPassword),
		"AdminResetUserPassword":    handle(p.AdminResetUserPassword),
		"AdminConfirmSignUp":        handle(p.AdminConfirmSignUp),
		"AdminSetUserSettings":      handle(p.AdminSetUserSettings),
		"AdminListUserAuthEvents":   handle(p.AdminListUserAuthEvents),
		"SignUp":                    handle(p.SignUp),
		"ConfirmSignUp":             handle(p.ConfirmSignUp),
		"ResendConfirmationCode":    handle(p.ResendConfirmationCode),
		"ForgotPassword":            handle(p.ForgotPassword),
		"ConfirmForgotPassword":     handle(p.ConfirmForgotPassword),

		// Self-service, authorized by the user's access token.
		"GetUser":                          handle(p.GetUser),
		"UpdateUserAttributes":             handle(p.UpdateUserAttributes),
		"DeleteUserAttributes":             handle(p.DeleteUserAttributes),
		"DeleteUser":                       handle(p.DeleteUser),
		"ChangePassword":                   handle(p.ChangePassword),
		"GetUserAttributeVerificationCode": handle(p.GetUserAttributeVerificationCode),
		"VerifyUserAttribute":              handle(p.VerifyUserAttribute),
		"SetUserSettings":                  handle(p.SetUserSettings),
	}
}
