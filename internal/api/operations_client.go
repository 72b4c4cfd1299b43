package api

import "github.com/cognate-dev/cognate/internal/userpool"

// clientHandlers serves app clients and their secrets.
func clientHandlers(p *userpool.Service) map[string]handler {
	return map[string]handler{}
}
