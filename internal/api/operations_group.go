package api

import "github.com/cognate-dev/cognate/internal/userpool"

// groupHandlers serves groups and their members.
func groupHandlers(p *userpool.Service) map[string]handler {
	return map[string]handler{}
}
