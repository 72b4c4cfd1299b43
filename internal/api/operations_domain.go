package api

import "github.com/cognate-dev/cognate/internal/userpool"

// domainHandlers serves user-pool domains and UI customization.
func domainHandlers(p *userpool.Service) map[string]handler {
	return map[string]handler{
		"CreateUserPoolDomain":   handle(p.CreateUserPoolDomain),
		"DescribeUserPoolDomain": handle(p.DescribeUserPoolDomain),
		"UpdateUserPoolDomain":   handle(p.UpdateUserPoolDomain),
		"DeleteUserPoolDomain":   handle(p.DeleteUserPoolDomain),
		"SetUICustomization":     handle(p.SetUICustomization),
		"GetUICustomization":     handle(p.GetUICustomization),
	}
}
