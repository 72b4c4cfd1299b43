package console

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/authflow"
	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/directory"
	"github.com/cognate-dev/cognate/internal/messaging"
	"github.com/cognate-dev/cognate/internal/oidc"
	"github.com/cognate-dev/cognate/internal/seal"
	"github.com/cognate-dev/cognate/internal/srp"
	"github.com/cognate-dev/cognate/internal/storage"
	"github.com/cognate-dev/cognate/internal/storage/postgres"
	"github.com/cognate-dev/cognate/internal/storage/sqlite"
	"github.com/cognate-dev/cognate/internal/storage/storagetest"
	"github.com/cognate-dev/cognate/internal/tokens"
	"github.com/cognate-dev/cognate/internal/userpool"
)

const testRegion = "us-east-1"

type migrating interface {
	storage.Store
	storage.Migrator
}

// env is a console over real engines on one store, with an operator
// signed in (a sealed session made directly, since sign-in itself is
// tested in the browser).
type env struct {
	c       *Console
	pools   *userpool.Service
	users   *directory.Service
	auth    *authflow.Service
	outbox  *messaging.Outbox
	session *http.Cookie
	csrf    string
	db      storage.Store
}

// backends runs f on SQLite and, when COGNATE_TEST_POSTGRES_DSN is set,
// on PostgreSQL: the console reaches both only through the engines.
func backends(t *testing.T, f func(t *testing.T, e *env)) {
	stores(t, func(t *testing.T, db storage.Store) { f(t, newEnv(t, db)) })
}

// stores runs f with a migrated store of each backend.
func stores(t *testing.T, f func(t *testing.T, db storage.Store)) {
	open := map[string]func(t *testing.T) (migrating, error){
		"sqlite": func(t *testing.T) (migrating, error) {
			return sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "cognate.db"), sqlite.Options{Region: testRegion})
		},
		"postgres": func(t *testing.T) (migrating, error) {
			return postgres.Open(context.Background(), storagetest.PostgresSchema(t), postgres.Options{Region: testRegion})
		},
	}
	for _, name := range []string{"sqlite", "postgres"} {
		t.Run(name, func(t *testing.T) {
			db, err := open[name](t)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			if _, err := db.Migrate(context.Background()); err != nil {
				t.Fatal(err)
			}
			f(t, db)
		})
	}
}

// newEnv is newBareEnv after `cognate console add-admin` made the
// administrators' pool, with an operator signed in.
func newEnv(t *testing.T, db storage.Store) *env {
	t.Helper()
	ctx := context.Background()
	e := newBareEnv(t, db)
	if _, err := EnsureAdminPool(ctx, e.pools, cognito.Caller{Region: testRegion}, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := e.c.findAdmin(ctx, true); err != nil {
		t.Fatal(err)
	}
	e.session, e.csrf = e.signIn(t, "operator")
	// Every console action names its operation beside the operator in
	// the change log: checked after each test, over every entry an
	// operator wrote (the store closes after this runs).
	t.Cleanup(func() { e.checkOperatorActions(t) })
	return e
}

// checkOperatorActions fails t when an entry of the change log written by
// an operator does not name the operation.
func (e *env) checkOperatorActions(t *testing.T) {
	t.Helper()
	var after int64
	for {
		changes, err := e.db.Changes(context.Background(), after, 500)
		if err != nil {
			t.Fatal(err)
		}
		for _, ch := range changes {
			if ch.Actor != nil && ch.Actor.Kind == storage.ActorOperator && ch.Actor.Action == "" {
				t.Errorf("change %d (%s %s) names the operator %s but no operation", ch.Seq, ch.Entity, ch.Key, ch.Actor.Name)
			}
			after = ch.Seq
		}
		if len(changes) < 500 {
			return
		}
	}
}

// newBareEnv is a console started on db, as a server starts it.
func newBareEnv(t *testing.T, db storage.Store) *env {
	t.Helper()
	ctx := context.Background()
	key := bytes.Repeat([]byte{7}, seal.KeySize)
	verifiers, err := srp.NewVerifiers(key)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{db: db, outbox: messaging.NewOutbox(messaging.OutboxOptions{Logger: slog.New(slog.DiscardHandler)})}
	e.pools = userpool.New(db, userpool.Options{AccountID: "123456789012"})
	e.users = directory.New(db, e.pools, directory.Options{SRPVerifiers: verifiers, Sender: e.outbox})
	tok, err := tokens.New(tokens.Options{Store: db, IssuerBaseURL: "http://localhost:9229", KeyEncryptionKey: seal.DeriveKey(key, "token-signing-keys")})
	if err != nil {
		t.Fatal(err)
	}
	e.auth, err = authflow.New(authflow.Options{Pools: e.pools, Users: e.users, Tokens: tok, Store: db, Key: key})
	if err != nil {
		t.Fatal(err)
	}
	e.c, err = New(Options{Pools: e.pools, Users: e.users, Auth: e.auth, Region: testRegion, BaseURL: "http://localhost:9229",
		IssuerBaseURL: "http://localhost:9229", Transport: HandlerTransport{Handler: http.NotFoundHandler()},
		Key: seal.DeriveKey(key, "console"), PoolBase: func(context.Context, string) (string, error) { return "", nil },
		BrandingPreview: func(w io.Writer, settings map[string]any, assets []userpool.BrandingAsset, dark bool, providers []string) (string, error) {
			return oidc.RenderBrandingPreview(w, oidc.BrandingPreview{Settings: settings, Assets: assets, Dark: dark, Providers: providers})
		}})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	return e
}

// TestConsoleFreshInstall starts the console on an empty store: it makes
// no pool (a fresh cognate lists no pools, as a fresh account's Cognito),
// and its sign-in says how to add the first operator; after
// `cognate console add-admin` made the administrators' pool, the running
// console finds it at the next sign-in and adds its callback to the
// console's client.
func TestConsoleFreshInstall(t *testing.T) {
	stores(t, func(t *testing.T, db storage.Store) {
		ctx := context.Background()
		c := cognito.Caller{Region: testRegion}
		e := newBareEnv(t, db)
		if names := e.poolNames(t); len(names) != 0 || e.c.AdminPool() != nil {
			t.Fatalf("a fresh console made pools %v (administrators' pool %+v)", names, e.c.AdminPool())
		}
		rec := e.do(t, http.MethodGet, "/console/login", nil)
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `id="no-operator"`) ||
			!strings.Contains(rec.Body.String(), "cognate console add-admin") {
			t.Errorf("sign-in without an operator: %d\n%s", rec.Code, rec.Body)
		}
		if rec := e.do(t, http.MethodGet, "/console/pools", nil); rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/console/login" {
			t.Errorf("pools without an operator: %d %s", rec.Code, rec.Header().Get("Location"))
		}
		if names := e.poolNames(t); len(names) != 0 {
			t.Fatalf("the console's pages made pools %v", names)
		}
		made, err := EnsureAdminPool(ctx, e.pools, c, "")
		if err != nil {
			t.Fatal(err)
		}
		// The sign-in finds it (and then fails on this test's transport,
		// which serves no discovery document).
		e.do(t, http.MethodGet, "/console/login", nil)
		if got := e.c.AdminPool(); got == nil || *got != *made {
			t.Fatalf("the console found %+v, add-admin made %+v", got, made)
		}
		cl, err := e.pools.DescribeUserPoolClient(ctx, c, &idp.DescribeUserPoolClientRequest{UserPoolId: &made.PoolID, ClientId: &made.ClientID})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(cl.UserPoolClient.CallbackURLs, "http://localhost:9229/console/callback") {
			t.Errorf("callbacks %v lack the console's", cl.UserPoolClient.CallbackURLs)
		}
		// A deleted administrators' pool is forgotten at the next sign-in.
		if _, err := e.pools.DeleteUserPoolDomain(ctx, c, &idp.DeleteUserPoolDomainRequest{UserPoolId: &made.PoolID, Domain: &made.Domain}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.pools.DeleteUserPool(ctx, c, &idp.DeleteUserPoolRequest{UserPoolId: &made.PoolID}); err != nil {
			t.Fatal(err)
		}
		if rec := e.do(t, http.MethodGet, "/console/login", nil); !strings.Contains(rec.Body.String(), `id="no-operator"`) || e.c.AdminPool() != nil {
			t.Errorf("after the administrators' pool was deleted: %d, %+v", rec.Code, e.c.AdminPool())
		}
	})
}

// signIn makes an operator of the administrators' pool and a session for
// them, as the callback would.
func (e *env) signIn(t *testing.T, username string) (*http.Cookie, string) {
	t.Helper()
	a := e.c.AdminPool()
	out, err := e.users.AdminCreateUser(context.Background(), cognito.Caller{Region: testRegion}, &idp.AdminCreateUserRequest{
		UserPoolId: &a.PoolID, Username: &username, MessageAction: cognito.Ptr(idp.MessageActionType("SUPPRESS")),
		TemporaryPassword: cognito.Ptr("Temporary-Password-1")})
	if err != nil {
		t.Fatal(err)
	}
	var sub string
	for _, at := range out.User.Attributes {
		if cognito.Deref(at.Name) == "sub" {
			sub = cognito.Deref(at.Value)
		}
	}
	s := session{Sub: sub, Username: username, CSRF: randomToken(), Expires: time.Now().Add(time.Hour).Unix()}
	rec := httptest.NewRecorder()
	e.c.setSealed(rec, sessionCookie, purposeSession, s, time.Hour)
	return rec.Result().Cookies()[0], s.CSRF
}

// do sends a request to the console with the operator's session; a form
// gets the session's CSRF token unless it has one.
func (e *env) do(t *testing.T, method, path string, form url.Values) *httptest.ResponseRecorder {
	t.Helper()
	var body *strings.Reader
	if form != nil {
		if _, ok := form["csrf"]; !ok {
			form.Set("csrf", e.csrf)
		}
		body = strings.NewReader(form.Encode())
	} else {
		body = strings.NewReader("")
	}
	req := httptest.NewRequest(method, "http://localhost:9229"+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if e.session != nil {
		req.AddCookie(e.session)
	}
	rec := httptest.NewRecorder()
	e.c.Wrap(http.NotFoundHandler()).ServeHTTP(rec, req)
	return rec
}

func (e *env) poolNames(t *testing.T) []string {
	t.Helper()
	out, err := e.pools.ListUserPools(context.Background(), cognito.Caller{Region: testRegion}, &idp.ListUserPoolsRequest{MaxResults: cognito.Ptr(int32(60))})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range out.UserPools {
		names = append(names, cognito.Deref(p.Name))
	}
	slices.Sort(names)
	return names
}

func draftForm(d draft, step int, nav string) url.Values {
	raw, _ := json.Marshal(d)
	return url.Values{"draft": {string(raw)}, "step": {strconv.Itoa(step)}, "nav": {nav}}
}

func TestEnsureAdminPoolIdempotent(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		c := cognito.Caller{Region: testRegion}
		first := e.c.AdminPool()
		again, err := EnsureAdminPool(ctx, e.pools, c, "http://localhost:9229")
		if err != nil {
			t.Fatal(err)
		}
		moved, err := EnsureAdminPool(ctx, e.pools, c, "https://console.example.com")
		if err != nil {
			t.Fatal(err)
		}
		if *again != *first || *moved != *first {
			t.Errorf("EnsureAdminPool made another pool: %+v, %+v, %+v", first, again, moved)
		}
		if got := e.poolNames(t); !slices.Equal(got, []string{AdminPoolName}) {
			t.Errorf("pools %v, want only the administrators'", got)
		}
		cl, err := e.pools.DescribeUserPoolClient(ctx, c, &idp.DescribeUserPoolClientRequest{UserPoolId: &first.PoolID, ClientId: &first.ClientID})
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"https://console.example.com/console/callback", "http://localhost:9229/console/callback"}
		if !slices.Equal(cl.UserPoolClient.CallbackURLs, want) {
			t.Errorf("callbacks %v, want %v", cl.UserPoolClient.CallbackURLs, want)
		}
		pool, err := e.pools.DescribeUserPool(ctx, c, &idp.DescribeUserPoolRequest{UserPoolId: &first.PoolID})
		if err != nil {
			t.Fatal(err)
		}
		if !cognito.Deref(pool.UserPool.AdminCreateUserConfig.AllowAdminCreateUserOnly) || cognito.Deref(pool.UserPool.Domain) != AdminDomainPrefix+testRegion {
			t.Errorf("the administrators' pool lets users sign up (%v) or has domain %q",
				cognito.Deref(pool.UserPool.AdminCreateUserConfig.AllowAdminCreateUserOnly), cognito.Deref(pool.UserPool.Domain))
		}
	})
}

func TestWizardCreatesAllOrNothing(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		c := cognito.Caller{Region: testRegion}
		// A refused step shows Cognito's message and writes nothing.
		d := newDraft()
		d.PoolName = "bad/name"
		rec := e.do(t, http.MethodPost, "/console/create", draftForm(d, 0, "next"))
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "InvalidParameterException") ||
			!strings.Contains(rec.Body.String(), `id="error-PoolName"`) {
			t.Errorf("a bad name: %d\n%s", rec.Code, rec.Body)
		}
		// A client the engine refuses after the pool was made: the pool is
		// deleted again.
		d = newDraft()
		d.PoolName, d.ReadAttrs = "half", "custom:missing"
		rec = e.do(t, http.MethodPost, "/console/create", draftForm(d, len(steps)-1, "create"))
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), `data-step="client"`) {
			t.Errorf("a refused client: %d\n%s", rec.Code, rec.Body)
		}
		if got := e.poolNames(t); !slices.Equal(got, []string{AdminPoolName}) {
			t.Errorf("after a refused walk-through the pools are %v", got)
		}
		// The whole walk-through.
		d = newDraft()
		d.PoolName, d.SignIn, d.MFA, d.Tags, d.ClientName = "made", "email", "OPTIONAL", "a=b", "web"
		rec = e.do(t, http.MethodPost, "/console/create", draftForm(d, len(steps)-1, "create"))
		if rec.Code != http.StatusSeeOther || !strings.HasSuffix(rec.Header().Get("Location"), "/hosted-ui?created=1") {
			t.Fatalf("create: %d %s\n%s", rec.Code, rec.Header().Get("Location"), rec.Body)
		}
		poolID := strings.Split(rec.Header().Get("Location"), "/")[3]
		pool, err := e.pools.DescribeUserPool(ctx, c, &idp.DescribeUserPoolRequest{UserPoolId: &poolID})
		if err != nil {
			t.Fatal(err)
		}
		if p := pool.UserPool; cognito.Deref(p.Name) != "made" || cognito.Deref(p.MfaConfiguration) != "OPTIONAL" ||
			!slices.Equal(p.UsernameAttributes, []idp.UsernameAttributeType{"email"}) || p.UserPoolTags["a"] != "b" {
			t.Errorf("the pool made: %+v", p)
		}
		// The hosted-UI screen: a domain and the client's OAuth settings.
		clientID := strings.Split(rec.Header().Get("Location"), "/")[5]
		path := "/console/pools/" + poolID + "/clients/" + clientID + "/hosted-ui"
		rec = e.do(t, http.MethodPost, path, url.Values{"nav": {"check"}, "prefix": {AdminDomainPrefix + testRegion}})
		if !strings.Contains(rec.Body.String(), `id="prefix-taken"`) {
			t.Errorf("a taken prefix:\n%s", rec.Body)
		}
		rec = e.do(t, http.MethodPost, path, url.Values{"nav": {"save"}, "prefix": {"made-here"}, "callback_urls": {"http://localhost:3000/cb"},
			"flow": {"code"}, "scope": {"openid"}, "provider": {"COGNITO"}})
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("hosted UI: %d\n%s", rec.Code, rec.Body)
		}
		cl, err := e.pools.DescribeUserPoolClient(ctx, c, &idp.DescribeUserPoolClientRequest{UserPoolId: &poolID, ClientId: &clientID})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(cl.UserPoolClient.CallbackURLs, []string{"http://localhost:3000/cb"}) || !cognito.Deref(cl.UserPoolClient.AllowedOAuthFlowsUserPoolClient) {
			t.Errorf("the client after the hosted-UI screen: %+v", cl.UserPoolClient)
		}
		// A refused callback URL leaves no domain behind.
		other := newDraft()
		other.PoolName = "second"
		rec = e.do(t, http.MethodPost, "/console/create", draftForm(other, len(steps)-1, "create"))
		p2 := strings.Split(rec.Header().Get("Location"), "/")
		rec = e.do(t, http.MethodPost, "/console/pools/"+p2[3]+"/clients/"+p2[5]+"/hosted-ui", url.Values{"nav": {"save"}, "prefix": {"second-here"},
			"callback_urls": {"http://example.com/cb"}, "flow": {"code"}, "scope": {"openid"}, "provider": {"COGNITO"}})
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "cannot use the HTTP protocol") {
			t.Errorf("a refused callback: %d\n%s", rec.Code, rec.Body)
		}
		dom, err := e.pools.DescribeUserPoolDomain(ctx, c, &idp.DescribeUserPoolDomainRequest{Domain: cognito.Ptr("second-here")})
		if err != nil || (dom.DomainDescription != nil && cognito.Deref(dom.DomainDescription.UserPoolId) != "") {
			t.Errorf("the refused save left the domain: %v %+v", err, dom.DomainDescription)
		}
	})
}

func TestUsers(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		c := cognito.Caller{Region: testRegion}
		pool, err := e.pools.CreateUserPool(ctx, c, &idp.CreateUserPoolRequest{PoolName: cognito.Ptr("people")})
		if err != nil {
			t.Fatal(err)
		}
		poolID := cognito.Deref(pool.UserPool.Id)
		base := "/console/pools/" + poolID + "/users"
		for _, name := range []string{"ada", "adele", "bob"} {
			rec := e.do(t, http.MethodPost, base, url.Values{"username": {name}, "email": {name + "@example.com"}, "email_verified": {"1"}})
			if rec.Code != http.StatusSeeOther {
				t.Fatalf("create %s: %d\n%s", name, rec.Code, rec.Body)
			}
		}
		for _, name := range []string{"ada", "adele", "bob"} {
			if n := len(e.outbox.Messages(name + "@example.com")); n != 1 {
				t.Errorf("%d invitations to %s in the outbox, want 1", n, name)
			}
		}
		// A username with a slash and markup has a page of its own.
		odd := `<b>x/y</b>`
		if rec := e.do(t, http.MethodPost, base, url.Values{"username": {odd}, "email": {"odd@example.com"}}); rec.Code != http.StatusSeeOther {
			t.Fatalf("create %s: %d\n%s", odd, rec.Code, rec.Body)
		}
		rec := e.do(t, http.MethodGet, base+"/"+url.PathEscape(odd), nil)
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `<dd id="user-name">&lt;b&gt;x/y&lt;/b&gt;</dd>`) {
			t.Errorf("the page of %s: %d\n%s", odd, rec.Code, rec.Body)
		}
		rec = e.do(t, http.MethodPost, base, url.Values{"username": {"ada"}})
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "UsernameExistsException") {
			t.Errorf("a second ada: %d\n%s", rec.Code, rec.Body)
		}
		rec = e.do(t, http.MethodGet, base+"?prefix=ad", nil)
		if body := rec.Body.String(); !strings.Contains(body, ">ada<") || !strings.Contains(body, ">adele<") || strings.Contains(body, ">bob<") {
			t.Errorf("prefix ad:\n%s", body)
		}
		rec = e.do(t, http.MethodGet, base+"?filter="+url.QueryEscape(`email = "bob@example.com"`), nil)
		if body := rec.Body.String(); !strings.Contains(body, ">bob<") || strings.Contains(body, ">ada<") {
			t.Errorf("filter on email:\n%s", body)
		}
		rec = e.do(t, http.MethodGet, base+"?filter="+url.QueryEscape(`nonsense ~ 1`), nil)
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "InvalidParameterException") {
			t.Errorf("a bad filter: %d\n%s", rec.Code, rec.Body)
		}
		for _, step := range []struct {
			action  string
			form    url.Values
			status  int
			enabled bool
		}{
			{"disable", url.Values{}, http.StatusSeeOther, false},
			{"enable", url.Values{}, http.StatusSeeOther, true},
			{"attributes", url.Values{"name": {"name"}, "value": {"Ada L."}}, http.StatusSeeOther, true},
			{"delete", url.Values{"confirm": {"wrong"}}, http.StatusBadRequest, true},
		} {
			rec := e.do(t, http.MethodPost, base+"/ada/"+step.action, step.form)
			if rec.Code != step.status {
				t.Errorf("%s: %d\n%s", step.action, rec.Code, rec.Body)
			}
			u, err := e.users.AdminGetUser(ctx, c, &idp.AdminGetUserRequest{UserPoolId: &poolID, Username: cognito.Ptr("ada")})
			if err != nil {
				t.Fatalf("after %s: %v", step.action, err)
			}
			if cognito.Deref(u.Enabled) != step.enabled {
				t.Errorf("after %s enabled = %v", step.action, cognito.Deref(u.Enabled))
			}
		}
		rec = e.do(t, http.MethodPost, base+"/ada/delete", url.Values{"confirm": {"ada"}})
		if rec.Code != http.StatusSeeOther {
			t.Errorf("delete: %d\n%s", rec.Code, rec.Body)
		}
		if _, err := e.users.AdminGetUser(ctx, c, &idp.AdminGetUserRequest{UserPoolId: &poolID, Username: cognito.Ptr("ada")}); err == nil {
			t.Error("ada was not deleted")
		}
		// A disabled operator is out at once.
		a := e.c.AdminPool()
		if _, err := e.users.AdminDisableUser(ctx, c, &idp.AdminDisableUserRequest{UserPoolId: &a.PoolID, Username: cognito.Ptr("operator")}); err != nil {
			t.Fatal(err)
		}
		if rec := e.do(t, http.MethodGet, "/console/pools", nil); rec.Code != http.StatusForbidden {
			t.Errorf("a disabled operator: %d", rec.Code)
		}
	})
}

// TestHandlerTransport checks that the console's in-process requests reach
// the handler as a client's would.
func TestHandlerTransport(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			t.Error(err)
		}
		w.Header().Set("X-Host", r.Host)
		w.WriteHeader(http.StatusTeapot)
		w.Write([]byte(r.Method + " " + r.URL.Path + " " + r.PostForm.Get("a") + " " + r.RemoteAddr))
	})
	client := &http.Client{Transport: HandlerTransport{Handler: h}}
	resp, err := client.PostForm("http://example.com:9229/x/y", url.Values{"a": {"b"}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	if resp.StatusCode != http.StatusTeapot || b.String() != "POST /x/y b 127.0.0.1:0" || resp.Header.Get("X-Host") != "example.com:9229" {
		t.Errorf("got %d %q host %q", resp.StatusCode, b.String(), resp.Header.Get("X-Host"))
	}
}

// TestEnsureAdminPoolConcurrent starts four servers' console at once on
// one store: they agree on one administrators' pool, and no other is left.
func TestEnsureAdminPoolConcurrent(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		c := cognito.Caller{Region: testRegion}
		old := e.c.AdminPool()
		if _, err := e.pools.DeleteUserPoolDomain(ctx, c, &idp.DeleteUserPoolDomainRequest{UserPoolId: &old.PoolID, Domain: &old.Domain}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.pools.DeleteUserPool(ctx, c, &idp.DeleteUserPoolRequest{UserPoolId: &old.PoolID}); err != nil {
			t.Fatal(err)
		}
		const n = 4
		got := make([]*AdminPool, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { got[i], errs[i] = EnsureAdminPool(ctx, e.pools, c, "http://localhost:9229") })
		}
		wg.Wait()
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("server %d: %v", i, errs[i])
			}
			if got[i].PoolID != got[0].PoolID {
				t.Errorf("server %d uses %+v, server 0 %+v", i, got[i], got[0])
			}
			// A server that looked before another's commit may keep its
			// own client; every client a server uses must exist.
			if _, err := e.pools.DescribeUserPoolClient(ctx, c, &idp.DescribeUserPoolClientRequest{UserPoolId: &got[i].PoolID, ClientId: &got[i].ClientID}); err != nil {
				t.Errorf("server %d's client: %v", i, err)
			}
		}
		if names := e.poolNames(t); !slices.Equal(names, []string{AdminPoolName}) {
			t.Errorf("pools %v after concurrent starts", names)
		}
	})
}
