package api

import "github.com/cognate-dev/cognate/internal/userpool"

// userHandlers serves users, administered and self-service.
func userHandlers(p *userpool.Service) map[string]handler {
	return map[string]handler{}
}
