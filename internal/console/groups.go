package console

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
)

// groupsData is what the groups page shows.
type groupsData struct {
	PoolID string
	Groups []idp.GroupType
	// NextQuery is the query string of the next page, "" on the last.
	NextQuery string
	// Form keeps what the create form was sent with, for a refusal.
	Form groupForm
}

// groupForm is the create and edit forms of a group.
type groupForm struct {
	Name, Description, Precedence, RoleARN string
}

// groupsList lists a pool's groups, 60 at a time (ListGroups), with the
// form that creates one.
func (c *Console) groupsList(w http.ResponseWriter, r *http.Request) {
	poolID := r.PathValue("pool")
	d := &groupsData{PoolID: poolID}
	p := page{Title: "Groups", Data: d}
	if err := c.loadGroups(r, d); err != nil {
		c.fail(w, r, "error", p, err)
		return
	}
	if r.URL.Query().Get("done") == "deleted" {
		p.Notice = "The group was deleted."
	}
	c.render(w, r, http.StatusOK, "groups", p)
}

func (c *Console) loadGroups(r *http.Request, d *groupsData) error {
	in := &idp.ListGroupsRequest{UserPoolId: &d.PoolID, Limit: cognito.Ptr(int32(60)), NextToken: nonEmpty(r.URL.Query().Get("token"))}
	out, err := c.opts.Users.ListGroups(r.Context(), c.caller(), in)
	if err != nil {
		return err
	}
	d.Groups = out.Groups
	if next := cognito.Deref(out.NextToken); next != "" {
		d.NextQuery = url.Values{"token": {next}}.Encode()
	}
	return nil
}

// precedence reads a group's precedence field: nil when empty.
func precedence(s string) (*int32, error) {
	if s == "" {
		return nil, nil
	}
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil || n < 0 {
		return nil, cognito.InvalidParameterException("1 validation error detected: Value at 'precedence' failed to satisfy constraint: Member must be a whole number of at least 0")
	}
	return cognito.Ptr(int32(n)), nil
}

// createGroup creates a group with CreateGroup.
func (c *Console) createGroup(w http.ResponseWriter, r *http.Request) {
	poolID := r.PathValue("pool")
	f := formValues{r}
	form := groupForm{Name: f.s("name"), Description: f.raw("description"), Precedence: f.s("precedence"), RoleARN: f.s("role_arn")}
	d := &groupsData{PoolID: poolID, Form: form}
	p := page{Title: "Groups", Data: d}
	in := &idp.CreateGroupRequest{UserPoolId: &poolID, GroupName: &form.Name, Description: nonEmpty(form.Description), RoleArn: nonEmpty(form.RoleARN)}
	prec, err := precedence(form.Precedence)
	if err == nil {
		in.Precedence = prec
		err = in.Validate()
	}
	if err == nil {
		_, err = c.opts.Users.CreateGroup(as(r.Context(), "CreateGroup"), c.caller(), in)
	}
	if err != nil {
		if lerr := c.loadGroups(r, d); lerr != nil {
			c.fail(w, r, "error", page{Title: "Groups"}, lerr)
			return
		}
		c.fail(w, r, "groups", p, err, "GroupName", "Description", "Precedence", "RoleArn", "group")
		return
	}
	c.audit(r, "CreateGroup", "pool", poolID, "group", form.Name)
	http.Redirect(w, r, groupPath(poolID, form.Name)+"?done=created", http.StatusSeeOther)
}

func groupPath(poolID, name string) string {
	return "/console/pools/" + url.PathEscape(poolID) + "/groups/" + url.PathEscape(name)
}

// groupData is what a group's page shows.
type groupData struct {
	PoolID  string
	Group   *idp.GroupType
	Form    groupForm
	Members []idp.UserType
	// NextQuery is the query string of the next page of members.
	NextQuery string
}

// groupNotices are the notices of a group's page after an action.
var groupNotices = map[string]string{
	"created":        "The group was created.",
	"updated":        "The group was saved.",
	"added-member":   "The user was added to the group.",
	"removed-member": "The user was removed from the group.",
}

// groupDetails shows a group (GetGroup), the form that edits it, its
// members (ListUsersInGroup, 60 at a time) and its deletion.
func (c *Console) groupDetails(w http.ResponseWriter, r *http.Request) {
	d, err := c.loadGroup(r, r.PathValue("pool"), r.PathValue("group"))
	if err != nil {
		c.fail(w, r, "error", page{Title: "Group"}, err)
		return
	}
	p := page{Title: "Group " + cognito.Deref(d.Group.GroupName), Data: d, Notice: groupNotices[r.URL.Query().Get("done")]}
	c.render(w, r, http.StatusOK, "group", p)
}

func (c *Console) loadGroup(r *http.Request, poolID, name string) (*groupData, error) {
	ctx := r.Context()
	g, err := c.opts.Users.GetGroup(ctx, c.caller(), &idp.GetGroupRequest{UserPoolId: &poolID, GroupName: &name})
	if err != nil {
		return nil, err
	}
	d := &groupData{PoolID: poolID, Group: g.Group, Form: groupForm{Name: name, Description: cognito.Deref(g.Group.Description), RoleARN: cognito.Deref(g.Group.RoleArn)}}
	if g.Group.Precedence != nil {
		d.Form.Precedence = strconv.Itoa(int(*g.Group.Precedence))
	}
	m, err := c.opts.Users.ListUsersInGroup(ctx, c.caller(), &idp.ListUsersInGroupRequest{UserPoolId: &poolID, GroupName: &name,
		Limit: cognito.Ptr(int32(60)), NextToken: nonEmpty(r.URL.Query().Get("token"))})
	if err != nil {
		return nil, err
	}
	d.Members = m.Users
	if next := cognito.Deref(m.NextToken); next != "" {
		d.NextQuery = url.Values{"token": {next}}.Encode()
	}
	return d, nil
}

// groupAction runs one action on a group through the engine method of
// the operation of its name: update (UpdateGroup), delete (DeleteGroup,
// with the group's name typed to confirm), add-member
// (AdminAddUserToGroup) and remove-member (AdminRemoveUserFromGroup, with
// its box ticked).
func (c *Console) groupAction(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	poolID, name, action := r.PathValue("pool"), r.PathValue("group"), r.PathValue("action")
	f := formValues{r}
	back := groupPath(poolID, name)
	var (
		op, done string
		err      error
		form     *groupForm
		fields   []string
	)
	switch action {
	case "update":
		op, done = "UpdateGroup", "updated"
		form = &groupForm{Name: name, Description: f.raw("description"), Precedence: f.s("precedence"), RoleARN: f.s("role_arn")}
		fields = []string{"Description", "Precedence", "RoleArn"}
		in := &idp.UpdateGroupRequest{UserPoolId: &poolID, GroupName: &name, Description: &form.Description, RoleArn: nonEmpty(form.RoleARN)}
		if in.Precedence, err = precedence(form.Precedence); err == nil {
			if err = in.Validate(); err == nil {
				_, err = c.opts.Users.UpdateGroup(as(ctx, op), c.caller(), in)
			}
		}
	case "delete":
		op = "DeleteGroup"
		fields = []string{"confirm"}
		if r.PostForm.Get("confirm") != name {
			err = cognito.InvalidParameterException("Type the group's name to confirm the deletion.")
			break
		}
		in := &idp.DeleteGroupRequest{UserPoolId: &poolID, GroupName: &name}
		if err = in.Validate(); err == nil {
			_, err = c.opts.Users.DeleteGroup(as(ctx, op), c.caller(), in)
		}
		back = "/console/pools/" + url.PathEscape(poolID) + "/groups?done=deleted"
	case "add-member":
		op, done = "AdminAddUserToGroup", "added-member"
		fields = []string{"member", "Username", "User"}
		in := &idp.AdminAddUserToGroupRequest{UserPoolId: &poolID, GroupName: &name, Username: cognito.Ptr(f.s("username"))}
		if err = in.Validate(); err == nil {
			_, err = c.opts.Users.AdminAddUserToGroup(as(ctx, op), c.caller(), in)
		}
	case "remove-member":
		op, done = "AdminRemoveUserFromGroup", "removed-member"
		fields = []string{"member"}
		if f.s("confirm") != "yes" {
			err = notConfirmed()
			break
		}
		in := &idp.AdminRemoveUserFromGroupRequest{UserPoolId: &poolID, GroupName: &name, Username: cognito.Ptr(f.raw("username"))}
		if err = in.Validate(); err == nil {
			_, err = c.opts.Users.AdminRemoveUserFromGroup(as(ctx, op), c.caller(), in)
		}
	default:
		http.NotFound(w, r)
		return
	}
	if err != nil {
		d, gerr := c.loadGroup(r, poolID, name)
		if gerr != nil {
			c.fail(w, r, "error", page{Title: "Group"}, err)
			return
		}
		if form != nil {
			d.Form = *form
		}
		c.fail(w, r, "group", page{Title: "Group " + name, Data: d}, err, fields...)
		return
	}
	c.audit(r, op, "pool", poolID, "group", name)
	if done != "" {
		back += "?done=" + done
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}
