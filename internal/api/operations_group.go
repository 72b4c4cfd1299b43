package api

import "github.com/cognate-dev/cognate/internal/userpool"

// groupHandlers serves groups and their members, and ListUsers, which
// shares their listing machinery.
func groupHandlers(p *userpool.Service) map[string]handler {
	return map[string]handler{
		"CreateGroup":              handle(p.CreateGroup),
		"GetGroup":                 handle(p.GetGroup),
		"UpdateGroup":              handle(p.UpdateGroup),
		"DeleteGroup":              handle(p.DeleteGroup),
		"ListGroups":               handle(p.ListGroups),
		"AdminAddUserToGroup":      handle(p.AdminAddUserToGroup),
		"AdminRemoveUserFromGroup": handle(p.AdminRemoveUserFromGroup),
		"AdminListGroupsForUser":   handle(p.AdminListGroupsForUser),
		"ListUsersInGroup":         handle(p.ListUsersInGroup),
		"ListUsers":                handle(p.ListUsers),
	}
}
