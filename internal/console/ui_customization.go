package console

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
)

// This file is the classic hosted UI's CSS and logo of an app client, or
// of the whole pool (SetUICustomization, GetUICustomization): the pages
// of a domain whose managed login version is 1 wear them.

// maxLogo is the largest logo the form takes; Cognito's limit is 100 KB.
const maxLogo = 100 << 10

// uiCustomizationData is the screen's data.
type uiCustomizationData struct {
	PoolID, ClientID, ClientName string
	// Target is the customization the form saves: the client's own
	// (its ID) or the pool's (ALL).
	Target string
	// Current is what GetUICustomization answers for the target: the
	// target's own, or else the pool's.
	Current *idp.UICustomizationType
	// Own says Current is the target's own customization.
	Own bool
	// HasLogo says the customization that applies has a logo, served by
	// the screen's logo address.
	HasLogo bool
	// CSS is the form's CSS: Current's, or what a refused form sent.
	CSS string
}

func (c *Console) loadUICustomization(r *http.Request, poolID, clientID, target string) (*uiCustomizationData, error) {
	ctx := r.Context()
	cl, err := c.opts.Pools.DescribeUserPoolClient(ctx, c.caller(), &idp.DescribeUserPoolClientRequest{UserPoolId: &poolID, ClientId: &clientID})
	if err != nil {
		return nil, err
	}
	if target != "ALL" {
		target = clientID
	}
	d := &uiCustomizationData{PoolID: poolID, ClientID: clientID, ClientName: cognito.Deref(cl.UserPoolClient.ClientName), Target: target}
	out, err := c.opts.Pools.GetUICustomization(ctx, c.caller(), &idp.GetUICustomizationRequest{UserPoolId: &poolID, ClientId: &target})
	if err != nil {
		return nil, err
	}
	d.Current = out.UICustomization
	d.Own = d.Current != nil && cognito.Deref(d.Current.ClientId) == target && d.Current.CSSVersion != nil
	d.CSS = cognito.Deref(d.Current.CSS)
	logo, err := c.currentLogo(r, target)
	if err != nil {
		return nil, err
	}
	d.HasLogo = len(logo) > 0
	return d, nil
}

// currentLogo is the logo of the customization that applies to target
// (a client's ID or ALL): the target's own, or else, for a client, the
// pool's.
func (c *Console) currentLogo(r *http.Request, target string) ([]byte, error) {
	poolID := r.PathValue("pool")
	logo, err := c.opts.Pools.UICustomizationLogo(r.Context(), c.caller(), poolID, target)
	if err != nil || len(logo) > 0 || target == "ALL" {
		return logo, err
	}
	own, err := c.opts.Pools.GetUICustomization(r.Context(), c.caller(), &idp.GetUICustomizationRequest{UserPoolId: &poolID, ClientId: &target})
	if err != nil || cognito.Deref(own.UICustomization.ClientId) == target {
		// The client's own customization applies, without a logo.
		return nil, err
	}
	return c.opts.Pools.UICustomizationLogo(r.Context(), c.caller(), poolID, "ALL")
}

// uiCustomization shows and saves the classic hosted UI's CSS and logo.
func (c *Console) uiCustomization(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	poolID, clientID := r.PathValue("pool"), r.PathValue("client")
	target := r.URL.Query().Get("target")
	if r.Method == http.MethodPost {
		target = r.PostFormValue("target")
	}
	d, err := c.loadUICustomization(r, poolID, clientID, target)
	if err != nil {
		c.fail(w, r, "error", page{Title: "Hosted UI customization"}, err)
		return
	}
	p := page{Title: "Hosted UI customization: " + d.ClientName, Data: d}
	if r.Method == http.MethodGet {
		if r.URL.Query().Get("saved") != "" {
			p.Notice = "The hosted UI customization was saved."
		}
		c.render(w, r, http.StatusOK, "uicustomization", p)
		return
	}
	// A browser sends a textarea's line breaks as CRLF.
	css := strings.ReplaceAll(r.PostFormValue("css"), "\r\n", "\n")
	d.CSS = css
	in := &idp.SetUICustomizationRequest{UserPoolId: &poolID, ClientId: cognito.Ptr(d.Target), CSS: nonEmpty(css)}
	switch r.PostFormValue("logo_action") {
	case "replace":
		in.ImageFile, err = formFile(r, "logo")
	case "remove":
	default:
		// SetUICustomization replaces CSS and logo together: the logo
		// that applies to the target stays when it is the target's own.
		if d.Own {
			in.ImageFile, err = c.opts.Pools.UICustomizationLogo(ctx, c.caller(), poolID, d.Target)
		}
	}
	if err == nil {
		err = in.Validate()
	}
	if err == nil {
		_, err = c.opts.Pools.SetUICustomization(as(ctx, "SetUICustomization"), c.caller(), in)
	}
	if err != nil {
		c.fail(w, r, "uicustomization", p, err, "CSS", "ImageFile", "logo", "image", "domain")
		return
	}
	c.audit(r, "SetUICustomization", "pool", poolID, "client", d.Target)
	q := url.Values{"saved": {"1"}}
	if d.Target == "ALL" {
		q.Set("target", "ALL")
	}
	http.Redirect(w, r, "/console/pools/"+url.PathEscape(poolID)+"/clients/"+url.PathEscape(clientID)+"/ui-customization?"+q.Encode(), http.StatusSeeOther)
}

// formFile reads the uploaded file of field name (at most maxLogo bytes).
func formFile(r *http.Request, name string) ([]byte, error) {
	f, _, err := r.FormFile(name)
	if err != nil {
		return nil, cognito.InvalidParameterException("Choose the logo's image file (PNG or JPEG).")
	}
	defer f.Close()
	var b bytes.Buffer
	if _, err := io.Copy(&b, io.LimitReader(f, maxLogo+1)); err != nil {
		return nil, cognito.InvalidParameterException("The logo could not be read.")
	}
	if b.Len() > maxLogo {
		return nil, cognito.InvalidParameterException("The logo's image file must be 100 KB at most.")
	}
	return b.Bytes(), nil
}

// uiLogo serves the logo the customization of ?target= (the client's
// own, or ALL) applies, as the hosted UI shows it.
func (c *Console) uiLogo(w http.ResponseWriter, r *http.Request) {
	target := r.URL.Query().Get("target")
	if target != "ALL" {
		target = r.PathValue("client")
	}
	logo, err := c.currentLogo(r, target)
	if err != nil || len(logo) == 0 {
		http.NotFound(w, r)
		return
	}
	// SetUICustomization took only PNG and JPEG images.
	ct := http.DetectContentType(logo)
	if ct != "image/png" && ct != "image/jpeg" {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", ct)
	_, _ = w.Write(logo)
}
