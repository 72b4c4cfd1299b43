package console

import (
	"net/http"
	"net/url"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
)

// domainsData is what the domains page gets: the pool's prefix and custom
// domains as DescribeUserPoolDomain describes them (nil when it has none).
type domainsData struct {
	PoolID         string
	Prefix, Custom *idp.DomainDescriptionType
	// The create form, as typed.
	NewDomain, Certificate string
	Version                string
}

func (c *Console) loadDomains(r *http.Request, poolID string) (*domainsData, error) {
	ctx := r.Context()
	pool, err := c.opts.Pools.DescribeUserPool(ctx, c.caller(), &idp.DescribeUserPoolRequest{UserPoolId: &poolID})
	if err != nil {
		return nil, err
	}
	d := &domainsData{PoolID: poolID, Version: "2"}
	for _, name := range []string{cognito.Deref(pool.UserPool.Domain), cognito.Deref(pool.UserPool.CustomDomain)} {
		if name == "" {
			continue
		}
		out, err := c.opts.Pools.DescribeUserPoolDomain(ctx, c.caller(), &idp.DescribeUserPoolDomainRequest{Domain: &name})
		if err != nil {
			return nil, err
		}
		if out.DomainDescription == nil {
			continue
		}
		if out.DomainDescription.CustomDomainConfig != nil && cognito.Deref(out.DomainDescription.CustomDomainConfig.CertificateArn) != "" {
			d.Custom = out.DomainDescription
		} else {
			d.Prefix = out.DomainDescription
		}
	}
	return d, nil
}

// domains lists a pool's domains and creates (CreateUserPoolDomain), sets
// the managed login version of (UpdateUserPoolDomain) and deletes
// (DeleteUserPoolDomain, after the domain is typed) them.
func (c *Console) domains(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	poolID := r.PathValue("pool")
	d, err := c.loadDomains(r, poolID)
	if err != nil {
		c.fail(w, r, "error", page{Title: "Domains"}, err)
		return
	}
	p := page{Title: "Domains", Data: d}
	if r.Method == http.MethodGet {
		switch r.URL.Query().Get("done") {
		case "created":
			p.Notice = "The domain was created."
		case "saved":
			p.Notice = "The domain was saved."
		case "deleted":
			p.Notice = "The domain was deleted."
		}
		c.render(w, r, http.StatusOK, "domains", p)
		return
	}
	f := formValues{r}
	back := "/console/pools/" + url.PathEscape(poolID) + "/domains"
	var op string
	switch f.s("action") {
	case "create":
		op = "CreateUserPoolDomain"
		d.NewDomain, d.Certificate, d.Version = f.s("domain"), f.s("certificate"), f.s("version")
		v, verr := number(d.Version, "managedLoginVersion")
		in := &idp.CreateUserPoolDomainRequest{UserPoolId: &poolID, Domain: &d.NewDomain, ManagedLoginVersion: v}
		if d.Certificate != "" {
			in.CustomDomainConfig = &idp.CustomDomainConfigType{CertificateArn: &d.Certificate}
		}
		if err = verr; err == nil {
			err = in.Validate()
		}
		if err == nil {
			_, err = c.opts.Pools.CreateUserPoolDomain(as(ctx, "CreateUserPoolDomain"), c.caller(), in)
		}
		back += "?done=created"
	case "version":
		op = "UpdateUserPoolDomain"
		v, verr := number(f.s("version"), "managedLoginVersion")
		in := &idp.UpdateUserPoolDomainRequest{UserPoolId: &poolID, Domain: cognito.Ptr(f.s("domain")), ManagedLoginVersion: v}
		if err = verr; err == nil {
			err = in.Validate()
		}
		if err == nil {
			_, err = c.opts.Pools.UpdateUserPoolDomain(as(ctx, "UpdateUserPoolDomain"), c.caller(), in)
		}
		back += "?done=saved"
	case "delete":
		op = "DeleteUserPoolDomain"
		name := f.s("domain")
		if r.PostForm.Get("confirm") != name {
			err = cognito.InvalidParameterException("Type the domain to confirm the deletion.")
			break
		}
		in := &idp.DeleteUserPoolDomainRequest{UserPoolId: &poolID, Domain: &name}
		if err = in.Validate(); err == nil {
			_, err = c.opts.Pools.DeleteUserPoolDomain(as(ctx, "DeleteUserPoolDomain"), c.caller(), in)
		}
		back += "?done=deleted"
	default:
		http.NotFound(w, r)
		return
	}
	if err != nil {
		c.fail(w, r, "domains", p, err, "confirm", "CertificateArn", "ManagedLoginVersion", "Domain")
		return
	}
	c.audit(r, op, "pool", poolID)
	http.Redirect(w, r, back, http.StatusSeeOther)
}
