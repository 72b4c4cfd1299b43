package api

import "github.com/cognate-dev/cognate/internal/directory"

// groupHandlers serves groups and their members, and ListUsers, which
// shares their listing machinery.
func groupHandlers(d *directory.Service) map[string]handler {
	return map[string]handler{
		"CreateGroup":              handle(d.CreateGroup),
		"GetGroup":                 handle(d.GetGroup),
		"UpdateGroup":              handle(d.UpdateGroup),
		"DeleteGroup":              handle(d.DeleteGroup),
		"ListGroups":               handle(d.ListGroups),
		"AdminAddUserToGroup":      handle(d.AdminAddUserToGroup),
		"AdminRemoveUserFromGroup": handle(d.AdminRemoveUserFromGroup),
		"AdminListGroupsForUser":   handle(d.AdminListGroupsForUser),
		"ListUsersInGroup":         handle(d.ListUsersInGroup),
		"ListUsers":                handle(d.ListUsers),
	}
}
