package api

import "github.com/cognate-dev/cognate/internal/userpool"

// resourceServerHandlers serves resource servers and their scopes.
func resourceServerHandlers(p *userpool.Service) map[string]handler {
	return map[string]handler{
		"CreateResourceServer":   handle(p.CreateResourceServer),
		"DescribeResourceServer": handle(p.DescribeResourceServer),
		"UpdateResourceServer":   handle(p.UpdateResourceServer),
		"DeleteResourceServer":   handle(p.DeleteResourceServer),
		"ListResourceServers":    handle(p.ListResourceServers),
	}
}
