package console

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
)

// resourceServersData is what the resource servers' pages get.
type resourceServersData struct {
	PoolID  string
	Servers []idp.ResourceServerType
	Next    string
	// The form: a new server's, or the one being edited.
	Identifier, Name, Scopes string
	Editing                  bool
}

// scopeLines is scopes as the form shows them: "name description" lines.
func scopeLines(scopes []idp.ResourceServerScopeType) string {
	var lines []string
	for _, s := range scopes {
		lines = append(lines, strings.TrimSpace(cognito.Deref(s.ScopeName)+" "+cognito.Deref(s.ScopeDescription)))
	}
	return strings.Join(lines, "\n")
}

// parseScopes reads "name description" lines.
func parseScopes(s string) []idp.ResourceServerScopeType {
	out := []idp.ResourceServerScopeType{}
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		name, desc, _ := strings.Cut(line, " ")
		out = append(out, idp.ResourceServerScopeType{ScopeName: cognito.Ptr(name), ScopeDescription: cognito.Ptr(strings.TrimSpace(desc))})
	}
	return out
}

// resourceServerFields are the request members the messages may name.
var resourceServerFields = []string{"Identifier", "Scope", "Name"}

// resourceServers lists a pool's resource servers (ListResourceServers,
// 50 a page) with the form that creates one (CreateResourceServer).
func (c *Console) resourceServers(w http.ResponseWriter, r *http.Request) {
	poolID := r.PathValue("pool")
	d := &resourceServersData{PoolID: poolID}
	p := page{Title: "Resource servers", Data: d}
	token := r.URL.Query().Get("token")
	if r.Method == http.MethodPost {
		token = ""
		f := formValues{r}
		d.Identifier, d.Name, d.Scopes = f.s("identifier"), f.s("name"), f.raw("scopes")
	}
	list := func() error {
		out, err := c.opts.Pools.ListResourceServers(r.Context(), c.caller(), &idp.ListResourceServersRequest{UserPoolId: &poolID, MaxResults: cognito.Ptr(int32(50)), NextToken: nonEmpty(token)})
		if err != nil {
			return err
		}
		d.Servers, d.Next = out.ResourceServers, cognito.Deref(out.NextToken)
		return nil
	}
	if err := list(); err != nil {
		c.fail(w, r, "error", page{Title: "Resource servers"}, err)
		return
	}
	if r.Method == http.MethodGet {
		if r.URL.Query().Get("deleted") != "" {
			p.Notice = "The resource server was deleted."
		}
		c.render(w, r, http.StatusOK, "resourceservers", p)
		return
	}
	in := &idp.CreateResourceServerRequest{UserPoolId: &poolID, Identifier: &d.Identifier, Name: &d.Name, Scopes: parseScopes(d.Scopes)}
	err := in.Validate()
	if err == nil {
		_, err = c.opts.Pools.CreateResourceServer(as(r.Context(), "CreateResourceServer"), c.caller(), in)
	}
	if err != nil {
		c.fail(w, r, "resourceservers", p, err, resourceServerFields...)
		return
	}
	c.audit(r, "CreateResourceServer", "pool", poolID, "identifier", d.Identifier)
	http.Redirect(w, r, "/console/pools/"+url.PathEscape(poolID)+"/resource-servers/"+url.PathEscape(d.Identifier)+"?done=created", http.StatusSeeOther)
}

// resourceServer shows a resource server for editing (UpdateResourceServer
// with its name and every scope) and deletion (DeleteResourceServer, after
// the identifier is typed).
func (c *Console) resourceServer(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	poolID, id := r.PathValue("pool"), r.PathValue("server")
	desc, err := c.opts.Pools.DescribeResourceServer(ctx, c.caller(), &idp.DescribeResourceServerRequest{UserPoolId: &poolID, Identifier: &id})
	if err != nil {
		c.fail(w, r, "error", page{Title: "Resource server"}, err)
		return
	}
	rs := desc.ResourceServer
	d := &resourceServersData{PoolID: poolID, Identifier: id, Name: cognito.Deref(rs.Name), Scopes: scopeLines(rs.Scopes), Editing: true}
	p := page{Title: "Resource server " + id, Data: d}
	back := "/console/pools/" + url.PathEscape(poolID) + "/resource-servers/" + url.PathEscape(id)
	if r.Method == http.MethodGet {
		switch r.URL.Query().Get("done") {
		case "created":
			p.Notice = "The resource server was created."
		case "saved":
			p.Notice = "The resource server was saved."
		}
		c.render(w, r, http.StatusOK, "resourceserver", p)
		return
	}
	f := formValues{r}
	var op string
	switch f.s("action") {
	case "save":
		op = "UpdateResourceServer"
		d.Name, d.Scopes = f.s("name"), f.raw("scopes")
		in := &idp.UpdateResourceServerRequest{UserPoolId: &poolID, Identifier: &id, Name: &d.Name, Scopes: parseScopes(d.Scopes)}
		if err = in.Validate(); err == nil {
			_, err = c.opts.Pools.UpdateResourceServer(as(ctx, "UpdateResourceServer"), c.caller(), in)
		}
		back += "?done=saved"
	case "delete":
		op = "DeleteResourceServer"
		if r.PostForm.Get("confirm") != id {
			err = cognito.InvalidParameterException("Type the resource server's identifier to confirm the deletion.")
			break
		}
		_, err = c.opts.Pools.DeleteResourceServer(as(ctx, "DeleteResourceServer"), c.caller(), &idp.DeleteResourceServerRequest{UserPoolId: &poolID, Identifier: &id})
		back = "/console/pools/" + url.PathEscape(poolID) + "/resource-servers?deleted=1"
	default:
		http.NotFound(w, r)
		return
	}
	if err != nil {
		c.fail(w, r, "resourceserver", p, err, append([]string{"confirm"}, resourceServerFields...)...)
		return
	}
	c.audit(r, op, "pool", poolID, "identifier", id)
	http.Redirect(w, r, back, http.StatusSeeOther)
}
