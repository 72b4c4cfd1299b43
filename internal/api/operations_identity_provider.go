package api

import (
	"github.com/cognate-dev/cognate/internal/directory"
	"github.com/cognate-dev/cognate/internal/userpool"
)

// identityProviderHandlers serves a pool's identity providers, its SAML
// signing certificate, and the linking of users to external identities.
func identityProviderHandlers(p *userpool.Service, d *directory.Service) map[string]handler {
	return map[string]handler{
		"CreateIdentityProvider":          handle(p.CreateIdentityProvider),
		"DescribeIdentityProvider":        handle(p.DescribeIdentityProvider),
		"UpdateIdentityProvider":          handle(p.UpdateIdentityProvider),
		"DeleteIdentityProvider":          handle(p.DeleteIdentityProvider),
		"ListIdentityProviders":           handle(p.ListIdentityProviders),
		"GetIdentityProviderByIdentifier": handle(p.GetIdentityProviderByIdentifier),
		"GetSigningCertificate":           handle(p.GetSigningCertificate),
		"AdminLinkProviderForUser":        handle(d.AdminLinkProviderForUser),
		"AdminDisableProviderForUser":     handle(d.AdminDisableProviderForUser),
	}
}
