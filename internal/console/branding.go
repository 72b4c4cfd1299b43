package console

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
)

// brandingData is what the branding page gets: the few managed login
// settings it edits, as the style has them (merged over the defaults)
// or as typed, and whether the client has a style at all.
type brandingData struct {
	PoolID, ClientID, ClientName string
	StyleID                      string
	Scheme                       string
	PageBackground               string
	ButtonBackground, ButtonText string
	// The same colours in dark mode.
	DarkPageBackground                   string
	DarkButtonBackground, DarkButtonText string
	// FormHorizontal and FormVertical place the sign-in form on the page
	// (categories.form.location: LEFT, CENTER, RIGHT; TOP, CENTER,
	// BOTTOM).
	FormHorizontal, FormVertical string
	// Preview says the colours are fit for the preview's stylesheet.
	Preview bool
}

// colorPattern is the RRGGBBAA colour managed login settings hold.
var colorPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}$`)

// settingsValues reads the members the page edits from a settings
// document.
func (d *brandingData) settingsValues(raw json.RawMessage) {
	type button struct {
		Defaults struct {
			BackgroundColor string `json:"backgroundColor"`
			TextColor       string `json:"textColor"`
		} `json:"defaults"`
	}
	type background struct {
		Color string `json:"color"`
	}
	var s struct {
		Categories struct {
			Global struct {
				ColorSchemeMode string `json:"colorSchemeMode"`
			} `json:"global"`
			Form struct {
				Location struct {
					Horizontal string `json:"horizontal"`
					Vertical   string `json:"vertical"`
				} `json:"location"`
			} `json:"form"`
		} `json:"categories"`
		Components struct {
			PrimaryButton struct {
				LightMode button `json:"lightMode"`
				DarkMode  button `json:"darkMode"`
			} `json:"primaryButton"`
			PageBackground struct {
				LightMode background `json:"lightMode"`
				DarkMode  background `json:"darkMode"`
			} `json:"pageBackground"`
		} `json:"components"`
	}
	if json.Unmarshal(raw, &s) != nil {
		return
	}
	d.Scheme = s.Categories.Global.ColorSchemeMode
	d.FormHorizontal, d.FormVertical = s.Categories.Form.Location.Horizontal, s.Categories.Form.Location.Vertical
	pb := s.Components.PrimaryButton
	d.ButtonBackground, d.ButtonText = pb.LightMode.Defaults.BackgroundColor, pb.LightMode.Defaults.TextColor
	d.DarkButtonBackground, d.DarkButtonText = pb.DarkMode.Defaults.BackgroundColor, pb.DarkMode.Defaults.TextColor
	d.PageBackground, d.DarkPageBackground = s.Components.PageBackground.LightMode.Color, s.Components.PageBackground.DarkMode.Color
}

// settingsDocument is the settings document of the page's values: the
// members it edits, merged into the style's others by
// UpdateManagedLoginBranding.
func (d *brandingData) settingsDocument() json.RawMessage {
	doc := map[string]any{
		"categories": map[string]any{
			"global": map[string]any{"colorSchemeMode": d.Scheme},
			"form":   map[string]any{"location": map[string]any{"horizontal": d.FormHorizontal, "vertical": d.FormVertical}},
		},
		"components": map[string]any{
			"primaryButton": map[string]any{
				"lightMode": map[string]any{"defaults": map[string]any{"backgroundColor": d.ButtonBackground, "textColor": d.ButtonText}},
				"darkMode":  map[string]any{"defaults": map[string]any{"backgroundColor": d.DarkButtonBackground, "textColor": d.DarkButtonText}},
			},
			"pageBackground": map[string]any{
				"lightMode": map[string]any{"color": d.PageBackground},
				"darkMode":  map[string]any{"color": d.DarkPageBackground},
			},
		},
	}
	raw, _ := json.Marshal(doc)
	return raw
}

func (d *brandingData) preview() {
	d.Preview = true
	for _, v := range d.colors() {
		if !colorPattern.MatchString(v.value) {
			d.Preview = false
		}
	}
}

// colors are the form's colour fields with their values.
func (d *brandingData) colors() []struct{ field, value string } {
	return []struct{ field, value string }{{"page_background", d.PageBackground}, {"button_background", d.ButtonBackground}, {"button_text", d.ButtonText},
		{"dark_page_background", d.DarkPageBackground}, {"dark_button_background", d.DarkButtonBackground}, {"dark_button_text", d.DarkButtonText}}
}

func (c *Console) loadBranding(r *http.Request, poolID, clientID string) (*brandingData, error) {
	ctx := r.Context()
	cl, err := c.opts.Pools.DescribeUserPoolClient(ctx, c.caller(), &idp.DescribeUserPoolClientRequest{UserPoolId: &poolID, ClientId: &clientID})
	if err != nil {
		return nil, err
	}
	d := &brandingData{PoolID: poolID, ClientID: clientID, ClientName: cognito.Deref(cl.UserPoolClient.ClientName)}
	out, err := c.opts.Pools.DescribeManagedLoginBrandingByClient(ctx, c.caller(), &idp.DescribeManagedLoginBrandingByClientRequest{
		UserPoolId: &poolID, ClientId: &clientID, ReturnMergedResources: cognito.Ptr(true)})
	var ce *cognito.Error
	switch {
	case errors.As(err, &ce) && ce.Code == "ResourceNotFoundException":
		// No style yet: the form starts from cognate's defaults.
		d.Scheme, d.PageBackground, d.ButtonBackground, d.ButtonText = "LIGHT", "f3f4f6ff", "1765c0ff", "ffffffff"
		d.DarkPageBackground, d.DarkButtonBackground, d.DarkButtonText = "0b141eff", "5ca8f0ff", "0b1622ff"
		d.FormHorizontal, d.FormVertical = "CENTER", "CENTER"
	case err != nil:
		return nil, err
	default:
		d.StyleID = cognito.Deref(out.ManagedLoginBranding.ManagedLoginBrandingId)
		d.settingsValues(out.ManagedLoginBranding.Settings)
	}
	d.preview()
	return d, nil
}

// branding edits an app client's managed login style: the colour scheme,
// the page background and the primary button, with a preview of what was
// typed before it is saved (CreateManagedLoginBranding, or
// UpdateManagedLoginBranding, which keeps the style's other settings);
// and returns it to the defaults or deletes it.
func (c *Console) branding(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	poolID, clientID := r.PathValue("pool"), r.PathValue("client")
	d, err := c.loadBranding(r, poolID, clientID)
	if err != nil {
		c.fail(w, r, "error", page{Title: "Branding"}, err)
		return
	}
	p := page{Title: "Branding: " + d.ClientName, Data: d}
	back := "/console/pools/" + url.PathEscape(poolID) + "/clients/" + url.PathEscape(clientID) + "/branding"
	if r.Method == http.MethodGet {
		switch r.URL.Query().Get("done") {
		case "saved":
			p.Notice = "The branding style was saved; the client's managed login pages wear it."
		case "reset":
			p.Notice = "The branding style was returned to the default values."
		case "deleted":
			p.Notice = "The branding style was deleted."
		}
		c.render(w, r, http.StatusOK, "branding", p)
		return
	}
	f := formValues{r}
	var op string
	switch f.s("nav") {
	case "preview", "save":
		d.Scheme, d.PageBackground, d.ButtonBackground, d.ButtonText = f.s("scheme"), f.s("page_background"), f.s("button_background"), f.s("button_text")
		d.DarkPageBackground, d.DarkButtonBackground, d.DarkButtonText = f.s("dark_page_background"), f.s("dark_button_background"), f.s("dark_button_text")
		d.FormHorizontal, d.FormVertical = f.s("form_horizontal"), f.s("form_vertical")
		d.Preview = false
		for _, v := range d.colors() {
			if !colorPattern.MatchString(v.value) {
				err = cognito.InvalidParameterException(fmt.Sprintf("%s: %q is not a colour of eight hexadecimal digits (RRGGBBAA).", v.field, v.value))
				break
			}
		}
		if err == nil {
			d.preview()
		}
		if err != nil || f.s("nav") == "preview" {
			break
		}
		if d.StyleID == "" {
			op = "CreateManagedLoginBranding"
			in := &idp.CreateManagedLoginBrandingRequest{UserPoolId: &poolID, ClientId: &clientID, Settings: d.settingsDocument()}
			if err = in.Validate(); err == nil {
				_, err = c.opts.Pools.CreateManagedLoginBranding(as(ctx, "CreateManagedLoginBranding"), c.caller(), in)
			}
		} else {
			op = "UpdateManagedLoginBranding"
			in := &idp.UpdateManagedLoginBrandingRequest{UserPoolId: &poolID, ManagedLoginBrandingId: &d.StyleID, Settings: d.settingsDocument()}
			if err = in.Validate(); err == nil {
				_, err = c.opts.Pools.UpdateManagedLoginBranding(as(ctx, "UpdateManagedLoginBranding"), c.caller(), in)
			}
		}
		back += "?done=saved"
	case "reset":
		op = "UpdateManagedLoginBranding"
		in := &idp.UpdateManagedLoginBrandingRequest{UserPoolId: &poolID, ManagedLoginBrandingId: &d.StyleID, UseCognitoProvidedValues: cognito.Ptr(true)}
		if err = in.Validate(); err == nil {
			_, err = c.opts.Pools.UpdateManagedLoginBranding(as(ctx, "UpdateManagedLoginBranding"), c.caller(), in)
		}
		back += "?done=reset"
	case "delete":
		op = "DeleteManagedLoginBranding"
		in := &idp.DeleteManagedLoginBrandingRequest{UserPoolId: &poolID, ManagedLoginBrandingId: &d.StyleID}
		if err = in.Validate(); err == nil {
			_, err = c.opts.Pools.DeleteManagedLoginBranding(as(ctx, "DeleteManagedLoginBranding"), c.caller(), in)
		}
		back += "?done=deleted"
	default:
		http.NotFound(w, r)
		return
	}
	if err != nil {
		c.fail(w, r, "branding", p, err, "dark_page_background", "dark_button_background", "dark_button_text", "page_background", "button_background", "button_text", "Settings")
		return
	}
	if op == "" {
		// A preview: the page again with what was typed, nothing saved.
		c.render(w, r, http.StatusOK, "branding", p)
		return
	}
	c.audit(r, op, "pool", poolID, "client", clientID)
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// brandingPreview serves the preview's stylesheet: the colours of the
// query, each eight hexadecimal digits (nothing else reaches the CSS).
func (c *Console) brandingPreview(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	page, button, text := q.Get("page"), q.Get("button"), q.Get("text")
	for _, v := range []string{page, button, text} {
		if !colorPattern.MatchString(v) {
			http.Error(w, "colours are eight hexadecimal digits", http.StatusBadRequest)
			return
		}
	}
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	if q.Get("mode") == "dark" {
		fmt.Fprintf(w, ".branding-preview-dark { background: #%s; padding: 1.5rem; border: 1px solid #ccc; }\n"+
			".branding-preview-dark .preview-form { background: #1b2530; color: #e5e7eb; padding: 1rem; max-width: 20rem; margin: 0 auto; border-radius: 6px; }\n"+
			".branding-preview-dark .preview-button { background: #%s; color: #%s; border-color: #%s; width: 100%%; }\n", page, button, text, button)
		return
	}
	fmt.Fprintf(w, ".branding-preview { background: #%s; padding: 1.5rem; border: 1px solid #ccc; }\n"+
		".branding-preview .preview-form { background: #fff; padding: 1rem; max-width: 20rem; margin: 0 auto; border-radius: 6px; }\n"+
		".branding-preview .preview-button { background: #%s; color: #%s; border-color: #%s; width: 100%%; }\n", page, button, text, button)
}
