package console

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
)

// TestPager checks the links of a paginated section: Next carries the
// shown page's token into the back list, Previous pops it, and the other
// sections keep their place.
func TestPager(t *testing.T) {
	for _, tc := range []struct {
		name           string
		query          url.Values
		next           string
		wantNext       url.Values
		wantPrev       url.Values
		wantHasPrev    bool
		wantNextAbsent bool
	}{
		{name: "first page", query: url.Values{}, next: "t1",
			wantNext: url.Values{"groups": {"t1"}, "groups_back": {""}}, wantPrev: url.Values{}},
		{name: "second page", query: url.Values{"groups": {"t1"}, "groups_back": {""}}, next: "t2", wantHasPrev: true,
			wantNext: url.Values{"groups": {"t2"}, "groups_back": {"", "t1"}}, wantPrev: url.Values{}},
		{name: "third page, last", query: url.Values{"groups": {"t2"}, "groups_back": {"", "t1"}}, wantHasPrev: true, wantNextAbsent: true,
			wantPrev: url.Values{"groups": {"t1"}, "groups_back": {""}}},
		{name: "other sections kept", query: url.Values{"groups": {"t1"}, "groups_back": {""}, "devices": {"d1"}, "devices_back": {""}, "junk": {"x"}}, next: "t2", wantHasPrev: true,
			wantNext: url.Values{"groups": {"t2"}, "groups_back": {"", "t1"}, "devices": {"d1"}, "devices_back": {""}},
			wantPrev: url.Values{"devices": {"d1"}, "devices_back": {""}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPager(tc.query, "groups")
			p.Next = tc.next
			if p.HasPrev() != tc.wantHasPrev {
				t.Errorf("HasPrev %v", p.HasPrev())
			}
			next, err := url.ParseQuery(p.NextQuery())
			if err != nil {
				t.Fatal(err)
			}
			if tc.wantNextAbsent {
				if p.NextQuery() != "" {
					t.Errorf("NextQuery on the last page: %q", p.NextQuery())
				}
			} else if diff := cmp.Diff(tc.wantNext, next); diff != "" {
				t.Errorf("NextQuery (-want +got):\n%s", diff)
			}
			prev, err := url.ParseQuery(p.PrevQuery())
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.wantPrev, prev); diff != "" {
				t.Errorf("PrevQuery (-want +got):\n%s", diff)
			}
		})
	}
}

// TestUserPages runs the user page's paginated groups (61, a page of 60
// and one, followed by the page's own links), feedback on a sign-in event
// (refused for a pool without threat protection, for a value that is not
// Valid or Invalid and for an event that is not the user's) and the
// passkeys section (a deletion refused without its confirmation, or of a
// passkey the user does not have), on both stores.
func TestUserPages(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		c := cognito.Caller{Region: testRegion}
		pool, err := e.pools.CreateUserPool(ctx, c, &idp.CreateUserPoolRequest{PoolName: cognito.Ptr("pages")})
		if err != nil {
			t.Fatal(err)
		}
		poolID := cognito.Deref(pool.UserPool.Id)
		if _, err := e.users.AdminCreateUser(ctx, c, &idp.AdminCreateUserRequest{UserPoolId: &poolID, Username: cognito.Ptr("ada"),
			MessageAction: cognito.Ptr(idp.MessageActionType("SUPPRESS"))}); err != nil {
			t.Fatal(err)
		}
		for i := range 61 {
			name := fmt.Sprintf("group-%02d", i)
			if _, err := e.users.CreateGroup(ctx, c, &idp.CreateGroupRequest{UserPoolId: &poolID, GroupName: &name}); err != nil {
				t.Fatal(err)
			}
			if _, err := e.users.AdminAddUserToGroup(ctx, c, &idp.AdminAddUserToGroupRequest{UserPoolId: &poolID, Username: cognito.Ptr("ada"), GroupName: &name}); err != nil {
				t.Fatal(err)
			}
		}
		user := "/console/pools/" + poolID + "/users/ada"
		rows := regexp.MustCompile(`<tr class="user-group"><td class="group-name"><a [^>]*>([^<]*)</a>`)
		link := func(body, id string) string {
			m := regexp.MustCompile(`href="([^"]*)" id="` + id + `"`).FindStringSubmatch(body)
			if m == nil {
				return ""
			}
			u, _, _ := strings.Cut(html.UnescapeString(m[1]), "#")
			return u
		}
		body := e.do(t, http.MethodGet, user, nil).Body.String()
		first := rows.FindAllStringSubmatch(body, -1)
		next := link(body, "groups-next")
		if len(first) != 60 || next == "" || link(body, "groups-previous") != "" {
			t.Fatalf("the first page of groups: %d rows, next %q\n%s", len(first), next, body)
		}
		body = e.do(t, http.MethodGet, next, nil).Body.String()
		second := rows.FindAllStringSubmatch(body, -1)
		prev := link(body, "groups-previous")
		if len(second) != 1 || second[0][1] == first[0][1] || link(body, "groups-next") != "" || prev == "" {
			t.Fatalf("the second page of groups: %d rows, previous %q\n%s", len(second), prev, body)
		}
		seen := map[string]bool{second[0][1]: true}
		for _, m := range first {
			seen[m[1]] = true
		}
		if len(seen) != 61 {
			t.Errorf("the two pages show %d distinct groups, want 61", len(seen))
		}
		body = e.do(t, http.MethodGet, prev, nil).Body.String()
		if again := rows.FindAllStringSubmatch(body, -1); len(again) != 60 || again[0][1] != first[0][1] {
			t.Errorf("Previous: %d rows", len(again))
		}

		// Feedback needs threat protection, as the operation says.
		for _, tc := range []struct {
			form url.Values
			want string
		}{
			{url.Values{"event": {"e1"}, "feedback": {"Valid"}}, "UserPoolAddOnNotEnabledException"},
			{url.Values{"event": {"e1"}, "feedback": {"Maybe"}}, "InvalidParameterException"},
		} {
			rec := e.do(t, http.MethodPost, user+"/event-feedback", tc.form)
			if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), `id="event-feedback-error"`) || !strings.Contains(rec.Body.String(), tc.want) {
				t.Errorf("feedback %v: %d, want %s next to the events\n%s", tc.form, rec.Code, tc.want, rec.Body)
			}
		}
		if _, err := e.pools.UpdateUserPool(ctx, c, &idp.UpdateUserPoolRequest{UserPoolId: &poolID, UserPoolTier: cognito.Ptr(idp.UserPoolTierType("PLUS")),
			UserPoolAddOns: &idp.UserPoolAddOnsType{AdvancedSecurityMode: cognito.Ptr(idp.AdvancedSecurityModeType("AUDIT"))}}); err != nil {
			t.Fatal(err)
		}
		rec := e.do(t, http.MethodPost, user+"/event-feedback", url.Values{"event": {"not-an-event"}, "feedback": {"Invalid"}})
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "ResourceNotFoundException") {
			t.Errorf("feedback on an event the user does not have: %d\n%s", rec.Code, rec.Body)
		}

		// Passkeys: none listed; a deletion needs its box ticked and a
		// passkey of the user.
		body = e.do(t, http.MethodGet, user, nil).Body.String()
		if !strings.Contains(body, `<table id="passkeys">`) || !strings.Contains(body, "No passkeys.") {
			t.Errorf("the passkeys section:\n%s", body)
		}
		rec = e.do(t, http.MethodPost, user+"/delete-passkey", url.Values{"credential": {"abc"}})
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), `id="delete-passkey-error"`) || !strings.Contains(rec.Body.String(), "Tick the box to confirm") {
			t.Errorf("a deletion without confirmation: %d\n%s", rec.Code, rec.Body)
		}
		rec = e.do(t, http.MethodPost, user+"/delete-passkey", url.Values{"credential": {"abc"}, "confirm": {"yes"}})
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "ResourceNotFoundException: Credential not found.") {
			t.Errorf("a deletion of a passkey the user does not have: %d\n%s", rec.Code, rec.Body)
		}
	})
}

// TestListPageLinks follows the Next link of the users, groups, group
// members and changes pages on a pool with more than a page of each: the
// link carries the API's token as a query parameter (not escaped into the
// path), and the next page shows other rows than the first.
func TestListPageLinks(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		c := cognito.Caller{Region: testRegion}
		pool, err := e.pools.CreateUserPool(ctx, c, &idp.CreateUserPoolRequest{PoolName: cognito.Ptr("links")})
		if err != nil {
			t.Fatal(err)
		}
		poolID := cognito.Deref(pool.UserPool.Id)
		if _, err := e.users.CreateGroup(ctx, c, &idp.CreateGroupRequest{UserPoolId: &poolID, GroupName: cognito.Ptr("all")}); err != nil {
			t.Fatal(err)
		}
		for i := range 61 {
			name := fmt.Sprintf("user-%02d", i)
			if _, err := e.users.AdminCreateUser(ctx, c, &idp.AdminCreateUserRequest{UserPoolId: &poolID, Username: &name,
				MessageAction: cognito.Ptr(idp.MessageActionType("SUPPRESS"))}); err != nil {
				t.Fatal(err)
			}
			if _, err := e.users.AdminAddUserToGroup(ctx, c, &idp.AdminAddUserToGroupRequest{UserPoolId: &poolID, Username: &name, GroupName: cognito.Ptr("all")}); err != nil {
				t.Fatal(err)
			}
			if _, err := e.users.CreateGroup(ctx, c, &idp.CreateGroupRequest{UserPoolId: &poolID, GroupName: cognito.Ptr(fmt.Sprintf("group-%02d", i))}); err != nil {
				t.Fatal(err)
			}
		}
		base := "/console/pools/" + poolID
		for _, tc := range []struct {
			path, linkID, param string
			row                 *regexp.Regexp
		}{
			{base + "/users", "next-page", "token", regexp.MustCompile(`/users/(user-\d\d)"`)},
			{base + "/groups", "next-page", "token", regexp.MustCompile(`/groups/((?:group-\d\d)|all)"`)},
			{base + "/groups/all", "next-members", "token", regexp.MustCompile(`/users/(user-\d\d)"`)},
			{base + "/changes", "older-changes", "before", regexp.MustCompile(`<span class="change-name">([^<]*)</span>`)},
		} {
			t.Run(tc.linkID+" of "+tc.path[len(base):], func(t *testing.T) {
				body := e.do(t, http.MethodGet, tc.path, nil).Body.String()
				m := regexp.MustCompile(`href="([^"]*)"[^>]* id="` + tc.linkID + `"`).FindStringSubmatch(body)
				if m == nil {
					t.Fatalf("no %s link:\n%s", tc.linkID, body)
				}
				next, err := url.Parse(html.UnescapeString(m[1]))
				if err != nil || next.Path != tc.path || next.Query().Get(tc.param) == "" {
					t.Fatalf("the %s link %q does not carry %s (%v)", tc.linkID, m[1], tc.param, err)
				}
				first := map[string]bool{}
				for _, r := range tc.row.FindAllStringSubmatch(body, -1) {
					first[r[1]] = true
				}
				rows := tc.row.FindAllStringSubmatch(e.do(t, http.MethodGet, next.String(), nil).Body.String(), -1)
				if len(first) == 0 || len(rows) == 0 {
					t.Fatalf("%d rows on the first page, %d on the next", len(first), len(rows))
				}
				for _, r := range rows {
					if first[r[1]] && tc.linkID != "older-changes" {
						t.Errorf("%s is on both pages", r[1])
					}
				}
			})
		}
	})
}
