package api

import "github.com/cognate-dev/cognate/internal/userpool"

// brandingHandlers serves managed login branding styles and the terms
// documents the sign-up page links to.
func brandingHandlers(p *userpool.Service) map[string]handler {
	return map[string]handler{
		"CreateManagedLoginBranding":           handle(p.CreateManagedLoginBranding),
		"DescribeManagedLoginBranding":         handle(p.DescribeManagedLoginBranding),
		"DescribeManagedLoginBrandingByClient": handle(p.DescribeManagedLoginBrandingByClient),
		"UpdateManagedLoginBranding":           handle(p.UpdateManagedLoginBranding),
		"DeleteManagedLoginBranding":           handle(p.DeleteManagedLoginBranding),
		"CreateTerms":                          handle(p.CreateTerms),
		"DescribeTerms":                        handle(p.DescribeTerms),
		"UpdateTerms":                          handle(p.UpdateTerms),
		"DeleteTerms":                          handle(p.DeleteTerms),
		"ListTerms":                            handle(p.ListTerms),
	}
}
