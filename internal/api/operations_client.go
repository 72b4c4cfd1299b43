package api

import "github.com/cognate-dev/cognate/internal/userpool"

// clientHandlers serves app clients and their secrets.
func clientHandlers(p *userpool.Service) map[string]handler {
	return map[string]handler{
		"CreateUserPoolClient":       handle(p.CreateUserPoolClient),
		"DescribeUserPoolClient":     handle(p.DescribeUserPoolClient),
		"UpdateUserPoolClient":       handle(p.UpdateUserPoolClient),
		"DeleteUserPoolClient":       handle(p.DeleteUserPoolClient),
		"ListUserPoolClients":        handle(p.ListUserPoolClients),
		"AddUserPoolClientSecret":    handle(p.AddUserPoolClientSecret),
		"DeleteUserPoolClientSecret": handle(p.DeleteUserPoolClientSecret),
		"ListUserPoolClientSecrets":  handle(p.ListUserPoolClientSecrets),
	}
}
