package api

import "github.com/cognate-dev/cognate/internal/authflow"

// authHandlers serves sign-in, token refresh and sign-out.
func authHandlers(a *authflow.Service) map[string]handler {
	return map[string]handler{
		"InitiateAuth":                handle(a.InitiateAuth),
		"AdminInitiateAuth":           handle(a.AdminInitiateAuth),
		"RespondToAuthChallenge":      handle(a.RespondToAuthChallenge),
		"AdminRespondToAuthChallenge": handle(a.AdminRespondToAuthChallenge),
		"GetTokensFromRefreshToken":   handle(a.GetTokensFromRefreshToken),
		"RevokeToken":                 handle(a.RevokeToken),
		"GlobalSignOut":               handle(a.GlobalSignOut),
		"AdminUserGlobalSignOut":      handle(a.AdminUserGlobalSignOut),
	}
}
