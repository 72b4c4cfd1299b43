package console

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
)

// poolsList lists the region's pools, a page at a time (ListUserPools).
func (c *Console) poolsList(w http.ResponseWriter, r *http.Request) {
	in := &idp.ListUserPoolsRequest{MaxResults: cognito.Ptr(int32(60)), NextToken: nonEmpty(r.URL.Query().Get("token"))}
	out, err := c.opts.Pools.ListUserPools(r.Context(), c.caller(), in)
	if err != nil {
		c.fail(w, r, "pools", page{Title: "User pools"}, err)
		return
	}
	c.render(w, r, http.StatusOK, "pools", page{Title: "User pools", Data: out})
}

type poolData struct {
	Pool    *idp.UserPoolType
	Clients []idp.UserPoolClientDescription
	Users   *usersData
}

// poolDetails shows a pool's settings and its app clients.
func (c *Console) poolDetails(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	poolID := r.PathValue("pool")
	p, err := c.opts.Pools.DescribeUserPool(ctx, c.caller(), &idp.DescribeUserPoolRequest{UserPoolId: &poolID})
	if err != nil {
		c.fail(w, r, "error", page{Title: "User pool"}, err)
		return
	}
	cl, err := c.opts.Pools.ListUserPoolClients(ctx, c.caller(), &idp.ListUserPoolClientsRequest{UserPoolId: &poolID, MaxResults: cognito.Ptr(int32(60))})
	if err != nil {
		c.fail(w, r, "error", page{Title: "User pool"}, err)
		return
	}
	pg := page{Title: cognito.Deref(p.UserPool.Name), Data: poolData{Pool: p.UserPool, Clients: cl.UserPoolClients}}
	if r.URL.Query().Get("saved") != "" {
		pg.Notice = "The user pool's settings were saved."
	}
	c.render(w, r, http.StatusOK, "pool", pg)
}

type usersData struct {
	PoolID         string
	Filter, Prefix string
	Users          []idp.UserType
	Next           string
	// NextQuery is the query string of the next page.
	NextQuery string
}

// usersList lists a pool's users with ListUsers: its filter syntax as
// typed (username ^= "ada"), or a prefix of the username, a page of 60 at
// a time with ListUsers' pagination token.
func (c *Console) usersList(w http.ResponseWriter, r *http.Request) {
	poolID := r.PathValue("pool")
	q := r.URL.Query()
	d := &usersData{PoolID: poolID, Filter: q.Get("filter"), Prefix: q.Get("prefix")}
	filter := d.Filter
	if filter == "" && d.Prefix != "" {
		filter = `username ^= "` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(d.Prefix) + `"`
	}
	in := &idp.ListUsersRequest{UserPoolId: &poolID, Limit: cognito.Ptr(int32(60)), Filter: nonEmpty(filter), PaginationToken: nonEmpty(q.Get("token"))}
	p := page{Title: "Users", Data: d}
	if err := in.Validate(); err != nil {
		c.fail(w, r, "users", p, err, "Filter")
		return
	}
	out, err := c.opts.Users.ListUsers(r.Context(), c.caller(), in)
	if err != nil {
		c.fail(w, r, "users", p, err, "Filter")
		return
	}
	d.Users, d.Next = out.Users, cognito.Deref(out.PaginationToken)
	if d.Next != "" {
		d.NextQuery = url.Values{"filter": {d.Filter}, "prefix": {d.Prefix}, "token": {d.Next}}.Encode()
	}
	c.render(w, r, http.StatusOK, "users", p)
}

// createUser creates a user with AdminCreateUser: an invitation with a
// temporary password by email (or SMS), as the pool's invitation message
// says, or no message when suppressed.
func (c *Console) createUser(w http.ResponseWriter, r *http.Request) {
	poolID := r.PathValue("pool")
	f := formValues{r}
	in := &idp.AdminCreateUserRequest{UserPoolId: &poolID, Username: cognito.Ptr(f.s("username"))}
	if e := f.s("email"); e != "" {
		in.UserAttributes = append(in.UserAttributes, idp.AttributeType{Name: cognito.Ptr("email"), Value: &e})
		in.DesiredDeliveryMediums = append(in.DesiredDeliveryMediums, "EMAIL")
		if f.b("email_verified") {
			in.UserAttributes = append(in.UserAttributes, idp.AttributeType{Name: cognito.Ptr("email_verified"), Value: cognito.Ptr("true")})
		}
	}
	if ph := f.s("phone_number"); ph != "" {
		in.UserAttributes = append(in.UserAttributes, idp.AttributeType{Name: cognito.Ptr("phone_number"), Value: &ph})
	}
	if pw := f.raw("temporary_password"); pw != "" {
		in.TemporaryPassword = &pw
	}
	if f.b("suppress") {
		in.MessageAction = cognito.Ptr(idp.MessageActionType("SUPPRESS"))
	}
	d := &usersData{PoolID: poolID}
	p := page{Title: "Users", Data: d}
	err := in.Validate()
	if err == nil {
		_, err = c.opts.Users.AdminCreateUser(as(r.Context(), "AdminCreateUser"), c.caller(), in)
	}
	if err != nil {
		c.fail(w, r, "users", p, err, "Username", "TemporaryPassword", "email", "phone_number")
		return
	}
	c.audit(r, "AdminCreateUser", "pool", poolID, "username", f.s("username"))
	http.Redirect(w, r, "/console/pools/"+url.PathEscape(poolID)+"/users/"+url.PathEscape(f.s("username")), http.StatusSeeOther)
}

// userDetails shows a user (AdminGetUser) with their groups, devices, MFA
// settings and auth events.
func (c *Console) userDetails(w http.ResponseWriter, r *http.Request) {
	poolID, username := r.PathValue("pool"), r.PathValue("user")
	d, err := c.loadUser(r.Context(), poolID, username, r.URL.Query())
	if err != nil {
		c.fail(w, r, "error", page{Title: "User"}, err)
		return
	}
	p := page{Title: "User " + cognito.Deref(d.User.Username), Data: d}
	p.Notice = userNotices[r.URL.Query().Get("done")]
	c.render(w, r, http.StatusOK, "user", p)
}

// userAction runs one action on a user, through the same engine method as
// the Admin* operation of its name.
func (c *Console) userAction(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	poolID, username, action := r.PathValue("pool"), r.PathValue("user"), r.PathValue("action")
	back := "/console/pools/" + url.PathEscape(poolID) + "/users/" + url.PathEscape(username)
	var err error
	var op string
	switch action {
	case "enable":
		op = "AdminEnableUser"
		_, err = c.opts.Users.AdminEnableUser(as(ctx, "AdminEnableUser"), c.caller(), &idp.AdminEnableUserRequest{UserPoolId: &poolID, Username: &username})
	case "disable":
		op = "AdminDisableUser"
		_, err = c.opts.Users.AdminDisableUser(as(ctx, "AdminDisableUser"), c.caller(), &idp.AdminDisableUserRequest{UserPoolId: &poolID, Username: &username})
	case "reset-password":
		op = "AdminResetUserPassword"
		back += "?done=reset"
		_, err = c.opts.Users.AdminResetUserPassword(as(ctx, "AdminResetUserPassword"), c.caller(), &idp.AdminResetUserPasswordRequest{UserPoolId: &poolID, Username: &username})
	case "confirm":
		op = "AdminConfirmSignUp"
		_, err = c.opts.Users.AdminConfirmSignUp(as(ctx, "AdminConfirmSignUp"), c.caller(), &idp.AdminConfirmSignUpRequest{UserPoolId: &poolID, Username: &username})
	case "attributes":
		op = "AdminUpdateUserAttributes"
		back += "?done=attributes"
		name, value := formValues{r}.s("name"), r.PostForm.Get("value")
		in := &idp.AdminUpdateUserAttributesRequest{UserPoolId: &poolID, Username: &username,
			UserAttributes: []idp.AttributeType{{Name: &name, Value: &value}}}
		if err = in.Validate(); err == nil {
			_, err = c.opts.Users.AdminUpdateUserAttributes(as(ctx, "AdminUpdateUserAttributes"), c.caller(), in)
		}
	case "delete":
		op = "AdminDeleteUser"
		if r.PostForm.Get("confirm") != username {
			err = cognito.InvalidParameterException("Type the username to confirm the deletion.")
			break
		}
		back = "/console/pools/" + url.PathEscape(poolID) + "/users"
		_, err = c.opts.Users.AdminDeleteUser(as(ctx, "AdminDeleteUser"), c.caller(), &idp.AdminDeleteUserRequest{UserPoolId: &poolID, Username: &username})
	default:
		var notice string
		var ok bool
		op, notice, ok, err = c.userSectionAction(ctx, r, poolID, username, action)
		if !ok {
			http.NotFound(w, r)
			return
		}
		if err != nil {
			c.failUser(w, r, poolID, username, err, action)
			return
		}
		back += "?done=" + notice
	}
	if err != nil {
		c.failUser(w, r, poolID, username, err, "", "confirm", "attribute")
		return
	}
	c.audit(r, op, "pool", poolID, "username", username)
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// failUser shows the user page again with err's message: next to the
// section of action when it names one, else next to the first of fields
// the message names, else at the top. A user the page can no longer read
// (deleted meanwhile) gets the error page.
func (c *Console) failUser(w http.ResponseWriter, r *http.Request, poolID, username string, err error, action string, fields ...string) {
	d, gerr := c.loadUser(r.Context(), poolID, username, nil)
	if gerr != nil {
		c.fail(w, r, "error", page{Title: "User"}, err)
		return
	}
	p := page{Title: "User " + username, Data: d}
	if action == "" {
		c.fail(w, r, "user", p, err, fields...)
		return
	}
	code, msg := message(err)
	status := http.StatusInternalServerError
	var ce *cognito.Error
	if errors.As(err, &ce) {
		status = ce.Status
	} else {
		c.log.ErrorContext(r.Context(), "console action failed", "err", err)
	}
	p.FieldErrors = map[string]string{action: code + ": " + msg}
	c.render(w, r, status, "user", p)
}
