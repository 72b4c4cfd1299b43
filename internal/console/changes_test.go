package console

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/storage"
)

// TestChangesNameTheOperator checks that the console's actions are written
// to the change log with the operator who made them, in the entries of the
// changes themselves, and that the pool's changes page lists them with the
// operator, escaped.
func TestChangesNameTheOperator(t *testing.T) {
	stores(t, func(t *testing.T, db storage.Store) {
		ctx := context.Background()
		e := newEnv(t, db)
		c := cognito.Caller{Region: testRegion}
		pool, err := e.pools.CreateUserPool(ctx, c, &idp.CreateUserPoolRequest{PoolName: cognito.Ptr("audited")})
		if err != nil {
			t.Fatal(err)
		}
		poolID := cognito.Deref(pool.UserPool.Id)
		base := "/console/pools/" + poolID + "/users"
		odd := `<script>alert(1)</script>`
		for _, name := range []string{"ada", odd} {
			if rec := e.do(t, http.MethodPost, base, url.Values{"username": {name}, "suppress": {"1"}}); rec.Code != http.StatusSeeOther {
				t.Fatalf("create %s: %d\n%s", name, rec.Code, rec.Body)
			}
		}
		if rec := e.do(t, http.MethodPost, base+"/ada/disable", url.Values{}); rec.Code != http.StatusSeeOther {
			t.Fatalf("disable: %d\n%s", rec.Code, rec.Body)
		}
		a := e.c.AdminPool()
		op, err := e.users.AdminGetUser(ctx, c, &idp.AdminGetUserRequest{UserPoolId: &a.PoolID, Username: cognito.Ptr("operator")})
		if err != nil {
			t.Fatal(err)
		}
		var sub string
		for _, at := range op.UserAttributes {
			if cognito.Deref(at.Name) == "sub" {
				sub = cognito.Deref(at.Value)
			}
		}

		changes, err := db.PoolChanges(ctx, poolID, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		byAction := map[string]int{}
		for _, ch := range changes {
			if ch.Actor == nil {
				continue
			}
			want := storage.Actor{Kind: storage.ActorOperator, ID: sub, Name: "operator", Action: ch.Actor.Action}
			if *ch.Actor != want {
				t.Errorf("entry %d (%s %s): actor %+v, want %+v", ch.Seq, ch.Entity, ch.Key, *ch.Actor, want)
			}
			byAction[ch.Actor.Action]++
		}
		if byAction["AdminCreateUser"] < 2 || byAction["AdminDisableUser"] < 1 {
			t.Errorf("entries by the operator's actions: %v; want both creations and the disabling", byAction)
		}

		rec := e.do(t, http.MethodGet, "/console/pools/"+poolID+"/changes", nil)
		body := rec.Body.String()
		if rec.Code != http.StatusOK || strings.Count(body, `<tr class="change">`) < 3 ||
			!strings.Contains(body, "operator operator") || !strings.Contains(body, `<td class="change-action">AdminDisableUser</td>`) ||
			!strings.Contains(body, `<span class="change-name">ada</span>`) {
			t.Errorf("changes page: %d\n%s", rec.Code, body)
		}
		if strings.Contains(body, odd) || !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
			t.Errorf("the changes page does not escape the username %s:\n%s", odd, body)
		}
		// Newest first: the disabling comes before the creation of ada.
		if i, j := strings.Index(body, "AdminDisableUser</td>"), strings.Index(body, "AdminCreateUser</td>"); i < 0 || j < 0 || i > j {
			t.Errorf("the changes page is not newest first")
		}
		if rec := e.do(t, http.MethodGet, "/console/pools/"+poolID+"/changes?before=x", nil); rec.Code != http.StatusBadRequest {
			t.Errorf("a bad before: %d", rec.Code)
		}
		if rec := e.do(t, http.MethodGet, "/console/pools/"+testRegion+"_missing0/changes", nil); rec.Code != http.StatusBadRequest && rec.Code != http.StatusNotFound {
			t.Errorf("the changes of a missing pool: %d", rec.Code)
		}
	})
}
