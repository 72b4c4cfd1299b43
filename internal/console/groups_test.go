package console

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
)

// TestGroups runs the groups screens on both stores: create (a refused
// one shown next to its field), edit, members added and removed, and
// delete with its confirmation; each result read back through the engine.
func TestGroups(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		c := cognito.Caller{Region: testRegion}
		pool, err := e.pools.CreateUserPool(ctx, c, &idp.CreateUserPoolRequest{PoolName: cognito.Ptr("grouped")})
		if err != nil {
			t.Fatal(err)
		}
		poolID := cognito.Deref(pool.UserPool.Id)
		for _, u := range []string{"ada", "bob"} {
			if _, err := e.users.AdminCreateUser(ctx, c, &idp.AdminCreateUserRequest{UserPoolId: &poolID, Username: cognito.Ptr(u),
				MessageAction: cognito.Ptr(idp.MessageActionType("SUPPRESS"))}); err != nil {
				t.Fatal(err)
			}
		}
		groups := "/console/pools/" + poolID + "/groups"
		markup := `<script>alert(1)</script>`
		get := func(name string) *idp.GroupType {
			t.Helper()
			g, err := e.users.GetGroup(ctx, c, &idp.GetGroupRequest{UserPoolId: &poolID, GroupName: &name})
			if err != nil {
				t.Fatalf("GetGroup %s: %v", name, err)
			}
			return g.Group
		}

		rec := e.do(t, http.MethodPost, groups, url.Values{"name": {"admins"}, "description": {"Administrators " + markup},
			"precedence": {"1"}, "role_arn": {"arn:aws:iam::123456789012:role/admins"}})
		if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != groups+"/admins?done=created" {
			t.Fatalf("create: %d %s\n%s", rec.Code, rec.Header().Get("Location"), rec.Body)
		}
		if g := get("admins"); cognito.Deref(g.Description) != "Administrators "+markup || cognito.Deref(g.Precedence) != 1 ||
			cognito.Deref(g.RoleArn) != "arn:aws:iam::123456789012:role/admins" {
			t.Errorf("the group created: %+v", g)
		}
		if rec := e.do(t, http.MethodPost, groups, url.Values{"name": {markup}}); rec.Code != http.StatusSeeOther {
			t.Fatalf("create %s: %d\n%s", markup, rec.Code, rec.Body)
		}
		for _, bad := range []struct {
			form        url.Values
			want, field string
		}{
			{url.Values{"name": {"admins"}}, "GroupExistsException", "group"},
			{url.Values{"name": {"x"}, "precedence": {"-1"}}, "precedence", "Precedence"},
			{url.Values{"name": {"x"}, "role_arn": {"not-an-arn"}}, "roleArn", "RoleArn"},
			{url.Values{"name": {"has space"}}, "groupName", "GroupName"},
		} {
			rec := e.do(t, http.MethodPost, groups, bad.form)
			if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), bad.want) || !strings.Contains(rec.Body.String(), `class="field-error"`) {
				t.Errorf("create %v: %d\n%s", bad.form, rec.Code, rec.Body)
			}
		}
		if _, err := e.users.GetGroup(ctx, c, &idp.GetGroupRequest{UserPoolId: &poolID, GroupName: cognito.Ptr("x")}); err == nil {
			t.Error("a refused group was created")
		}
		body := e.do(t, http.MethodGet, groups, nil).Body.String()
		if strings.Contains(body, markup) || !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") || strings.Count(body, `<tr class="group">`) != 2 {
			t.Errorf("the groups page:\n%s", body)
		}

		admins := groups + "/admins"
		if rec := e.do(t, http.MethodPost, admins+"/update", url.Values{"description": {"Admins"}, "precedence": {"5"}, "role_arn": {"arn:aws:iam::123456789012:role/other"}}); rec.Code != http.StatusSeeOther {
			t.Fatalf("update: %d\n%s", rec.Code, rec.Body)
		}
		if g := get("admins"); cognito.Deref(g.Description) != "Admins" || cognito.Deref(g.Precedence) != 5 || cognito.Deref(g.RoleArn) != "arn:aws:iam::123456789012:role/other" {
			t.Errorf("the group after the edit: %+v", g)
		}
		if rec := e.do(t, http.MethodPost, admins+"/update", url.Values{"precedence": {"x"}}); rec.Code != http.StatusBadRequest {
			t.Errorf("a bad precedence: %d\n%s", rec.Code, rec.Body)
		}

		for _, u := range []string{"ada", "bob"} {
			if rec := e.do(t, http.MethodPost, admins+"/add-member", url.Values{"username": {u}}); rec.Code != http.StatusSeeOther {
				t.Fatalf("add %s: %d\n%s", u, rec.Code, rec.Body)
			}
		}
		if rec := e.do(t, http.MethodPost, admins+"/add-member", url.Values{"username": {"nobody"}}); rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "UserNotFoundException") {
			t.Errorf("add a missing user: %d\n%s", rec.Code, rec.Body)
		}
		members := func() int {
			out, err := e.users.ListUsersInGroup(ctx, c, &idp.ListUsersInGroupRequest{UserPoolId: &poolID, GroupName: cognito.Ptr("admins")})
			if err != nil {
				t.Fatal(err)
			}
			return len(out.Users)
		}
		if n := members(); n != 2 {
			t.Errorf("%d members, want 2", n)
		}
		if body := e.do(t, http.MethodGet, admins, nil).Body.String(); strings.Count(body, `<tr class="member">`) != 2 {
			t.Errorf("the group's page lists its members:\n%s", body)
		}
		if rec := e.do(t, http.MethodPost, admins+"/remove-member", url.Values{"username": {"bob"}}); rec.Code != http.StatusBadRequest || members() != 2 {
			t.Errorf("a removal without confirmation: %d", rec.Code)
		}
		if rec := e.do(t, http.MethodPost, admins+"/remove-member", url.Values{"username": {"bob"}, "confirm": {"yes"}}); rec.Code != http.StatusSeeOther || members() != 1 {
			t.Errorf("remove bob: %d\n%s", rec.Code, rec.Body)
		}

		if rec := e.do(t, http.MethodPost, admins+"/delete", url.Values{"confirm": {"admin"}}); rec.Code != http.StatusBadRequest {
			t.Errorf("a deletion with the wrong name: %d", rec.Code)
		}
		get("admins")
		if rec := e.do(t, http.MethodPost, admins+"/delete", url.Values{"confirm": {"admins"}}); rec.Code != http.StatusSeeOther {
			t.Fatalf("delete: %d\n%s", rec.Code, rec.Body)
		}
		if _, err := e.users.GetGroup(ctx, c, &idp.GetGroupRequest{UserPoolId: &poolID, GroupName: cognito.Ptr("admins")}); err == nil {
			t.Error("the group was not deleted")
		}
		if out, _ := e.users.AdminListGroupsForUser(ctx, c, &idp.AdminListGroupsForUserRequest{UserPoolId: &poolID, Username: cognito.Ptr("ada")}); len(out.Groups) != 0 {
			t.Errorf("ada is still in %d groups", len(out.Groups))
		}
		if _, err := e.users.AdminGetUser(ctx, c, &idp.AdminGetUserRequest{UserPoolId: &poolID, Username: cognito.Ptr("ada")}); err != nil {
			t.Errorf("deleting the group took ada: %v", err)
		}
		// The markup group's own page shows its name escaped.
		body = e.do(t, http.MethodGet, groups+"/"+url.PathEscape(markup), nil).Body.String()
		if strings.Contains(body, markup) || !strings.Contains(body, `<dd id="group-name">&lt;script&gt;alert(1)&lt;/script&gt;</dd>`) {
			t.Errorf("the page of %s:\n%s", markup, body)
		}
		if rec := e.do(t, http.MethodGet, groups+"/missing", nil); rec.Code != http.StatusBadRequest && rec.Code != http.StatusNotFound {
			t.Errorf("a missing group: %d", rec.Code)
		}
	})
}
