package console

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/userpool"
)

// This file is an app client's managed login style (the branding editor's
// settings document and image assets: CreateManagedLoginBranding,
// UpdateManagedLoginBranding, DeleteManagedLoginBranding), and the preview
// of the hosted sign-in page wearing it, which the hosted UI's own code
// draws (Options.BrandingPreview).

// brandingField is one setting of the branding form: its form field, its
// place in the settings document (a colour's path holds mode where
// lightMode or darkMode goes, and the form has a field for each mode,
// the dark one named dark_<name>), and its kind.
type brandingField struct {
	Name, Label string
	// Kind is color (RRGGBBAA), bool (a box to tick), enum (one of
	// Options), first (the sign-in method drawn first, one of Options:
	// categories.auth.authMethodOrder) or names (a list of names, typed
	// one after another with commas).
	Kind    string
	Path    []string
	Options []string
}

// brandingGroup is a fieldset of the branding form.
type brandingGroup struct {
	ID, Legend string
	Fields     []brandingField
}

const modeKey = "mode"

var places = []string{"START", "CENTER", "END"}

// brandingGroups are the settings the form edits: those the hosted pages
// draw (internal/oidc's managedLoginCSS and layout), and no other.
var brandingGroups = []brandingGroup{
	{"branding-page", "Page", []brandingField{
		{"scheme", "Colour scheme", "enum", []string{"categories", "global", "colorSchemeMode"}, []string{"LIGHT", "DARK", "DYNAMIC"}},
		{"spacing", "Spacing", "enum", []string{"categories", "global", "spacingDensity"}, []string{"COMPACT", "REGULAR", "SPACIOUS"}},
		{"page_background", "Page background", "color", []string{"components", "pageBackground", modeKey, "color"}, nil},
		{"page_image", "Show the page background image (PAGE_BACKGROUND)", "bool", []string{"components", "pageBackground", "image", "enabled"}, nil},
	}},
	{"branding-form", "The form", []brandingField{
		{"form_horizontal", "Place across", "enum", []string{"categories", "form", "location", "horizontal"}, places},
		{"form_vertical", "Place down", "enum", []string{"categories", "form", "location", "vertical"}, places},
		{"form_logo_location", "Logo's place in the form (FORM_LOGO)", "enum", []string{"components", "form", "logo", "location"}, places},
		{"form_background", "Form background", "color", []string{"components", "form", modeKey, "backgroundColor"}, nil},
		{"form_border", "Form border", "color", []string{"components", "form", modeKey, "borderColor"}, nil},
		{"form_image", "Show the form background image (FORM_BACKGROUND)", "bool", []string{"components", "form", "backgroundImage", "enabled"}, nil},
	}},
	{"branding-header", "Header", []brandingField{
		{"header_enabled", "Show a header above the page", "bool", []string{"categories", "global", "pageHeader", "enabled"}, nil},
		{"header_logo", "Show the header logo (PAGE_HEADER_LOGO)", "bool", []string{"components", "pageHeader", "logo", "enabled"}, nil},
		{"header_logo_location", "Header logo's place", "enum", []string{"components", "pageHeader", "logo", "location"}, places},
		{"header_image", "Show the header background image (PAGE_HEADER_BACKGROUND)", "bool", []string{"components", "pageHeader", "backgroundImage", "enabled"}, nil},
		{"header_background", "Header background", "color", []string{"components", "pageHeader", modeKey, "background", "color"}, nil},
		{"header_border", "Header border", "color", []string{"components", "pageHeader", modeKey, "borderColor"}, nil},
	}},
	{"branding-footer", "Footer", []brandingField{
		{"footer_enabled", "Show a footer below the page", "bool", []string{"categories", "global", "pageFooter", "enabled"}, nil},
		{"footer_logo", "Show the footer logo (PAGE_FOOTER_LOGO)", "bool", []string{"components", "pageFooter", "logo", "enabled"}, nil},
		{"footer_logo_location", "Footer logo's place", "enum", []string{"components", "pageFooter", "logo", "location"}, places},
		{"footer_image", "Show the footer background image (PAGE_FOOTER_BACKGROUND)", "bool", []string{"components", "pageFooter", "backgroundImage", "enabled"}, nil},
		{"footer_background", "Footer background", "color", []string{"components", "pageFooter", modeKey, "background", "color"}, nil},
		{"footer_border", "Footer border", "color", []string{"components", "pageFooter", modeKey, "borderColor"}, nil},
	}},
	{"branding-buttons", "Buttons", []brandingField{
		{"button_background", "Button background", "color", []string{"components", "primaryButton", modeKey, "defaults", "backgroundColor"}, nil},
		{"button_text", "Button text", "color", []string{"components", "primaryButton", modeKey, "defaults", "textColor"}, nil},
		{"button_hover_background", "Button background, pointed at", "color", []string{"components", "primaryButton", modeKey, "hover", "backgroundColor"}, nil},
		{"button_hover_text", "Button text, pointed at", "color", []string{"components", "primaryButton", modeKey, "hover", "textColor"}, nil},
		{"secondary_background", "Identity provider button background", "color", []string{"components", "secondaryButton", modeKey, "defaults", "backgroundColor"}, nil},
		{"secondary_border", "Identity provider button border", "color", []string{"components", "secondaryButton", modeKey, "defaults", "borderColor"}, nil},
		{"button_active_background", "Button background, pressed", "color", []string{"components", "primaryButton", modeKey, "active", "backgroundColor"}, nil},
		{"button_active_text", "Button text, pressed", "color", []string{"components", "primaryButton", modeKey, "active", "textColor"}, nil},
		{"button_disabled_background", "Button background, unavailable", "color", []string{"components", "primaryButton", modeKey, "disabled", "backgroundColor"}, nil},
		{"button_disabled_border", "Button border, unavailable", "color", []string{"components", "primaryButton", modeKey, "disabled", "borderColor"}, nil},
		{"secondary_background", "Identity provider button background", "color", []string{"components", "secondaryButton", modeKey, "defaults", "backgroundColor"}, nil},
		{"secondary_border", "Identity provider button border", "color", []string{"components", "secondaryButton", modeKey, "defaults", "borderColor"}, nil},
		{"secondary_text", "Identity provider button text", "color", []string{"components", "secondaryButton", modeKey, "defaults", "textColor"}, nil},
		{"secondary_hover_background", "Identity provider button background, pointed at", "color", []string{"components", "secondaryButton", modeKey, "hover", "backgroundColor"}, nil},
		{"secondary_hover_border", "Identity provider button border, pointed at", "color", []string{"components", "secondaryButton", modeKey, "hover", "borderColor"}, nil},
		{"secondary_hover_text", "Identity provider button text, pointed at", "color", []string{"components", "secondaryButton", modeKey, "hover", "textColor"}, nil},
		{"secondary_active_background", "Identity provider button background, pressed", "color", []string{"components", "secondaryButton", modeKey, "active", "backgroundColor"}, nil},
		{"secondary_active_border", "Identity provider button border, pressed", "color", []string{"components", "secondaryButton", modeKey, "active", "borderColor"}, nil},
		{"secondary_active_text", "Identity provider button text, pressed", "color", []string{"components", "secondaryButton", modeKey, "active", "textColor"}, nil},
	}},
	{"branding-text", "Fields, text and links", []brandingField{
		{"input_background", "Field background", "color", []string{"componentClasses", "input", modeKey, "defaults", "backgroundColor"}, nil},
		{"input_border", "Field border", "color", []string{"componentClasses", "input", modeKey, "defaults", "borderColor"}, nil},
		{"placeholder_text", "Field placeholders", "color", []string{"componentClasses", "input", modeKey, "placeholderColor"}, nil},
		{"label_text", "Field labels", "color", []string{"componentClasses", "inputLabel", modeKey, "textColor"}, nil},
		{"hint_text", "Field descriptions", "color", []string{"componentClasses", "inputDescription", modeKey, "textColor"}, nil},
		{"heading_text", "Headings", "color", []string{"componentClasses", "text", modeKey, "headingTextColor"}, nil},
		{"body_text", "Text", "color", []string{"componentClasses", "text", modeKey, "bodyTextColor"}, nil},
		{"caption_text", "Small print (terms, unavailable buttons)", "color", []string{"componentClasses", "text", modeKey, "captionTextColor"}, nil},
		{"description_text", "Page descriptions", "color", []string{"components", "pageText", modeKey, "descriptionColor"}, nil},
		{"page_text", "Header and footer text", "color", []string{"components", "pageText", modeKey, "bodyColor"}, nil},
		{"divider", "Divider line", "color", []string{"componentClasses", "divider", modeKey, "borderColor"}, nil},
		{"link_text", "Links", "color", []string{"componentClasses", "link", modeKey, "defaults", "textColor"}, nil},
		{"link_hover_text", "Links, pointed at", "color", []string{"componentClasses", "link", modeKey, "hover", "textColor"}, nil},
		{"focus_border", "Focus ring", "color", []string{"componentClasses", "focusState", modeKey, "borderColor"}, nil},
		{"error_background", "Error message background", "color", []string{"components", "alert", modeKey, "error", "backgroundColor"}, nil},
		{"error_border", "Error message border", "color", []string{"components", "alert", modeKey, "error", "borderColor"}, nil},
	}},
	{"branding-methods", "Sign-in methods and graphics", []brandingField{
		{"method_first", "Drawn first on the sign-in page", "first", []string{"categories", "auth", "authMethodOrder"}, []string{"FEDERATED", "USERNAME_PASSWORD"}},
		{"provider_order", "Identity provider buttons' order (provider names, separated by commas; the others follow)", "names", []string{"categories", "auth", "federation", "order"}, nil},
		{"provider_icons", "Show the icon in the identity provider buttons (IDP_BUTTON_ICON)", "bool", []string{"componentClasses", "idpButtons", "icons", "enabled"}, nil},
		{"display_graphics", "Show the pages' graphics (EMAIL_GRAPHIC, SMS_GRAPHIC, AUTH_APP_GRAPHIC, PASSWORD_GRAPHIC, PASSKEY_GRAPHIC)", "bool", []string{"categories", "form", "displayGraphics"}, nil},
	}},
}

// brandingAssetCategories are the images the form uploads: those the
// hosted pages draw.
var brandingAssetCategories = []string{"FORM_LOGO", "PAGE_HEADER_LOGO", "PAGE_HEADER_BACKGROUND", "PAGE_FOOTER_LOGO", "PAGE_FOOTER_BACKGROUND",
	"PAGE_BACKGROUND", "FORM_BACKGROUND", "FAVICON_ICO", "FAVICON_SVG", "IDP_BUTTON_ICON",
	"EMAIL_GRAPHIC", "SMS_GRAPHIC", "AUTH_APP_GRAPHIC", "PASSWORD_GRAPHIC", "PASSKEY_GRAPHIC"}

// brandingData is what the branding page gets: the values of the form's
// settings (the style's, merged over the defaults, or as typed), the
// style's images, and whether the client has a style at all.
type brandingData struct {
	PoolID, ClientID, ClientName string
	StyleID                      string
	// Values are the form's values by field name ("1" for a ticked box).
	Values map[string]string
	// Assets are the style's images.
	Assets []assetRow
	// settings is the style's settings document (merged over the
	// defaults), or the defaults when the client has none.
	settings map[string]any
	assets   []userpool.BrandingAsset
	// Providers are the client's identity providers, for the preview.
	Providers []string
}

// assetRow is one of the style's images in the page's list.
type assetRow struct{ Category, Mode, Extension string }

// Groups are the form's fieldsets.
func (d *brandingData) Groups() []brandingGroup { return brandingGroups }

// AssetCategories are the images the form uploads.
func (d *brandingData) AssetCategories() []string { return brandingAssetCategories }

// Value is the form's value of field name.
func (d *brandingData) Value(name string) string { return d.Values[name] }

// FrameURL is the address of the preview of the page in mode (light or
// dark) with the form's values.
func (d *brandingData) FrameURL(m string) string {
	q := url.Values{"mode": {m}}
	for k, v := range d.Values {
		q.Set(k, v)
	}
	return "/console/pools/" + url.PathEscape(d.PoolID) + "/clients/" + url.PathEscape(d.ClientID) + "/branding/frame?" + q.Encode()
}

// colorPattern is the RRGGBBAA colour managed login settings hold.
var colorPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}$`)

// dig returns the value at path in a settings document.
func dig(m map[string]any, path []string) any {
	var v any = m
	for _, p := range path {
		o, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = o[p]
	}
	return v
}

// put sets the value at path in a settings document, making the objects
// on the way.
func put(m map[string]any, path []string, v any) {
	for _, p := range path[:len(path)-1] {
		next, ok := m[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[p] = next
		}
		m = next
	}
	m[path[len(path)-1]] = v
}

// modePath is a colour's path in mode (lightMode or darkMode).
func modePath(path []string, m string) []string {
	out := slices.Clone(path)
	for i, p := range out {
		if p == modeKey {
			out[i] = m
		}
	}
	return out
}

// settingsValues reads the form's values from a settings document.
func settingsValues(s map[string]any) map[string]string {
	values := map[string]string{}
	for _, g := range brandingGroups {
		for _, f := range g.Fields {
			switch f.Kind {
			case "color":
				for prefix, m := range map[string]string{"": "lightMode", "dark_": "darkMode"} {
					v, _ := dig(s, modePath(f.Path, m)).(string)
					values[prefix+f.Name] = v
				}
			case "bool":
				if b, _ := dig(s, f.Path).(bool); b {
					values[f.Name] = "1"
				}
			case "first":
				values[f.Name] = firstMethod(dig(s, f.Path))
			case "names":
				list, _ := dig(s, f.Path).([]any)
				var names []string
				for _, n := range list {
					if n, ok := n.(string); ok {
						names = append(names, n)
					}
				}
				values[f.Name] = strings.Join(names, ", ")
			default:
				v, _ := dig(s, f.Path).(string)
				values[f.Name] = v
			}
		}
	}
	return values
}

// firstMethod returns which of the sign-in page's methods an
// authMethodOrder (groups of methods, in the order they are drawn) puts
// first: USERNAME_PASSWORD or FEDERATED (also when it names neither, as
// the hosted pages draw it).
func firstMethod(order any) string {
	groups, _ := order.([]any)
	for _, g := range groups {
		methods, _ := g.([]any)
		for _, m := range methods {
			method, _ := m.(map[string]any)
			if t, _ := method["type"].(string); t == "USERNAME_PASSWORD" || t == "FEDERATED" {
				return t
			}
		}
	}
	return "FEDERATED"
}

// methodOrder is the authMethodOrder that draws first before the other of
// the username and password form and the identity provider buttons.
func methodOrder(first string) []any {
	methods := []any{
		map[string]any{"display": "BUTTON", "type": "FEDERATED"},
		map[string]any{"display": "INPUT", "type": "USERNAME_PASSWORD"},
	}
	if first == "USERNAME_PASSWORD" {
		slices.Reverse(methods)
	}
	return []any{methods}
}

// readValues reads and checks the form's values from get (a POST form or
// a preview's query): a colour is RRGGBBAA or empty (kept as the style
// has it), a choice one of its options or empty.
func readValues(get func(string) string) (map[string]string, error) {
	values := map[string]string{}
	for _, g := range brandingGroups {
		for _, f := range g.Fields {
			switch f.Kind {
			case "color":
				for _, name := range []string{f.Name, "dark_" + f.Name} {
					v := strings.TrimSpace(get(name))
					if v != "" && !colorPattern.MatchString(v) {
						return values, cognito.InvalidParameterException(fmt.Sprintf("%s: %q is not a colour of eight hexadecimal digits (RRGGBBAA).", name, v))
					}
					values[name] = strings.ToLower(v)
				}
			case "bool":
				if get(f.Name) != "" {
					values[f.Name] = "1"
				}
			case "names":
				var names []string
				for n := range strings.SplitSeq(get(f.Name), ",") {
					n = strings.TrimSpace(n)
					if n == "" {
						continue
					}
					if len(n) > 32 || !cognito.ValidText(n) {
						return values, cognito.InvalidParameterException(fmt.Sprintf("%s: %q is not an identity provider name (1 to 32 characters).", f.Name, n))
					}
					names = append(names, n)
				}
				values[f.Name] = strings.Join(names, ", ")
			default:
				v := strings.TrimSpace(get(f.Name))
				if v != "" && !slices.Contains(f.Options, v) {
					return values, cognito.InvalidParameterException(fmt.Sprintf("%s: %q is not one of %s.", f.Name, v, strings.Join(f.Options, ", ")))
				}
				values[f.Name] = v
			}
		}
	}
	return values, nil
}

// applyValues writes the form's values into the settings document s:
// every choice, box and list, and each colour given. The sign-in methods'
// order is written only when the form changes which comes first in the
// style's document current, so that a save keeps an order of more
// methods than the form shows.
func applyValues(s map[string]any, values map[string]string, current map[string]any) {
	for _, g := range brandingGroups {
		for _, f := range g.Fields {
			switch f.Kind {
			case "color":
				for prefix, m := range map[string]string{"": "lightMode", "dark_": "darkMode"} {
					if v := values[prefix+f.Name]; v != "" {
						put(s, modePath(f.Path, m), v)
					}
				}
			case "bool":
				put(s, f.Path, values[f.Name] == "1")
			case "first":
				if v := values[f.Name]; v != "" && v != firstMethod(dig(current, f.Path)) {
					put(s, f.Path, methodOrder(v))
				}
			case "names":
				names := []any{}
				for n := range strings.SplitSeq(values[f.Name], ",") {
					if n = strings.TrimSpace(n); n != "" {
						names = append(names, n)
					}
				}
				put(s, f.Path, names)
			default:
				if v := values[f.Name]; v != "" {
					put(s, f.Path, v)
				}
			}
		}
	}
}

// settingsDocument is the settings document of the form's values: the
// members it edits, merged into the style's others by
// UpdateManagedLoginBranding.
func settingsDocument(values map[string]string, current map[string]any) json.RawMessage {
	doc := map[string]any{}
	applyValues(doc, values, current)
	raw, _ := json.Marshal(doc)
	return raw
}

func (c *Console) loadBranding(r *http.Request, poolID, clientID string) (*brandingData, error) {
	ctx := r.Context()
	cl, err := c.opts.Pools.DescribeUserPoolClient(ctx, c.caller(), &idp.DescribeUserPoolClientRequest{UserPoolId: &poolID, ClientId: &clientID})
	if err != nil {
		return nil, err
	}
	d := &brandingData{PoolID: poolID, ClientID: clientID, ClientName: cognito.Deref(cl.UserPoolClient.ClientName)}
	for _, p := range cl.UserPoolClient.SupportedIdentityProviders {
		if p != "COGNITO" {
			d.Providers = append(d.Providers, p)
		}
	}
	out, err := c.opts.Pools.DescribeManagedLoginBrandingByClient(ctx, c.caller(), &idp.DescribeManagedLoginBrandingByClientRequest{
		UserPoolId: &poolID, ClientId: &clientID, ReturnMergedResources: cognito.Ptr(true)})
	var ce *cognito.Error
	switch {
	case errors.As(err, &ce) && ce.Code == "ResourceNotFoundException":
		// No style yet: the form starts from the defaults a new style
		// gets.
		d.settings = userpool.DefaultBrandingSettings()
	case err != nil:
		return nil, err
	default:
		d.StyleID = cognito.Deref(out.ManagedLoginBranding.ManagedLoginBrandingId)
		if err := json.Unmarshal(out.ManagedLoginBranding.Settings, &d.settings); err != nil || d.settings == nil {
			d.settings = userpool.DefaultBrandingSettings()
		}
		for _, a := range out.ManagedLoginBranding.Assets {
			ba := userpool.BrandingAsset{Category: string(cognito.Deref(a.Category)), ColorMode: string(cognito.Deref(a.ColorMode)),
				Extension: string(cognito.Deref(a.Extension)), Bytes: a.Bytes}
			d.assets = append(d.assets, ba)
			d.Assets = append(d.Assets, assetRow{ba.Category, ba.ColorMode, ba.Extension})
		}
	}
	d.Values = settingsValues(d.settings)
	return d, nil
}

// brandingFields are the form's field names, for placing an error next
// to its field.
func brandingFields() []string {
	var out []string
	for _, g := range brandingGroups {
		for _, f := range g.Fields {
			if f.Kind == "color" {
				out = append(out, "dark_"+f.Name)
			}
			out = append(out, f.Name)
		}
	}
	// The longest first: a message names its field, and a field's name
	// may hold a shorter one's (header_logo_location, header_logo).
	slices.SortStableFunc(out, func(a, b string) int { return len(b) - len(a) })
	return append(out, "Settings")
}

// branding edits an app client's managed login style: its settings, with
// a preview of the hosted sign-in page wearing what was typed before it
// is saved (CreateManagedLoginBranding, or UpdateManagedLoginBranding,
// which keeps the style's other settings); and returns it to the
// defaults or deletes it.
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
		case "asset":
			p.Notice = "The image was saved in the branding style."
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
		values, verr := readValues(f.s)
		err = verr
		if err != nil {
			// The form again as typed, with the message.
			for k, v := range values {
				d.Values[k] = v
			}
			break
		}
		d.Values = values
		if f.s("nav") == "preview" {
			break
		}
		if d.StyleID == "" {
			op = "CreateManagedLoginBranding"
			in := &idp.CreateManagedLoginBrandingRequest{UserPoolId: &poolID, ClientId: &clientID, Settings: settingsDocument(values, d.settings)}
			if err = in.Validate(); err == nil {
				_, err = c.opts.Pools.CreateManagedLoginBranding(as(ctx, op), c.caller(), in)
			}
		} else {
			op = "UpdateManagedLoginBranding"
			in := &idp.UpdateManagedLoginBrandingRequest{UserPoolId: &poolID, ManagedLoginBrandingId: &d.StyleID, Settings: settingsDocument(values, d.settings)}
			if err = in.Validate(); err == nil {
				_, err = c.opts.Pools.UpdateManagedLoginBranding(as(ctx, op), c.caller(), in)
			}
		}
		back += "?done=saved"
	case "reset":
		op = "UpdateManagedLoginBranding"
		if !f.b("confirm") {
			err = cognito.InvalidParameterException("confirm_reset: tick the box to return the style to the default values: its settings and images are lost.")
			break
		}
		in := &idp.UpdateManagedLoginBrandingRequest{UserPoolId: &poolID, ManagedLoginBrandingId: &d.StyleID, UseCognitoProvidedValues: cognito.Ptr(true)}
		if err = in.Validate(); err == nil {
			_, err = c.opts.Pools.UpdateManagedLoginBranding(as(ctx, op), c.caller(), in)
		}
		back += "?done=reset"
	case "delete":
		op = "DeleteManagedLoginBranding"
		if !f.b("confirm") {
			err = cognito.InvalidParameterException("confirm: tick the box to delete the style: its settings and images are lost, and the client's pages go back to the default look.")
			break
		}
		in := &idp.DeleteManagedLoginBrandingRequest{UserPoolId: &poolID, ManagedLoginBrandingId: &d.StyleID}
		if err = in.Validate(); err == nil {
			_, err = c.opts.Pools.DeleteManagedLoginBranding(as(ctx, op), c.caller(), in)
		}
		back += "?done=deleted"
	default:
		http.NotFound(w, r)
		return
	}
	if err != nil {
		c.fail(w, r, "branding", p, err, append([]string{"confirm_reset", "confirm"}, brandingFields()...)...)
		return
	}
	if op == "" {
		// A preview: the page again with what was typed, nothing saved.
		p.Notice = "A preview of what was typed; nothing is saved yet."
		c.render(w, r, http.StatusOK, "branding", p)
		return
	}
	c.audit(r, op, "pool", poolID, "client", clientID)
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// maxAsset is the largest image a style takes (AssetType.Bytes).
const maxAsset = 1_000_000

// assetExtension names an image's file type by its first bytes, as
// AssetType.Extension does; "" when it is none the styles take.
func assetExtension(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return "PNG"
	case bytes.HasPrefix(b, []byte{0xff, 0xd8, 0xff}):
		return "JPEG"
	case bytes.HasPrefix(b, []byte{0, 0, 1, 0}):
		return "ICO"
	case len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP":
		return "WEBP"
	case bytes.Contains(bytes.ToLower(b[:min(len(b), 4096)]), []byte("<svg")):
		return "SVG"
	}
	return ""
}

// brandingAsset saves an uploaded image in the style (a new style when
// the client has none): UpdateManagedLoginBranding replaces the style's
// image of the same category and colour mode and keeps the others.
func (c *Console) brandingAsset(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	poolID, clientID := r.PathValue("pool"), r.PathValue("client")
	d, err := c.loadBranding(r, poolID, clientID)
	if err != nil {
		c.fail(w, r, "error", page{Title: "Branding"}, err)
		return
	}
	p := page{Title: "Branding: " + d.ClientName, Data: d}
	f := formValues{r}
	category, colorMode := f.s("asset_category"), f.s("asset_mode")
	var img []byte
	switch {
	case !slices.Contains(brandingAssetCategories, category):
		err = cognito.InvalidParameterException("asset_category: choose where the image goes.")
	case !slices.Contains([]string{"LIGHT", "DARK", "DYNAMIC"}, colorMode):
		err = cognito.InvalidParameterException("asset_mode: choose the colour mode the image is for.")
	default:
		img, err = assetFile(r)
	}
	asset := idp.AssetType{Category: cognito.Ptr(idp.AssetCategoryType(category)), ColorMode: cognito.Ptr(idp.ColorSchemeModeType(colorMode)),
		Extension: cognito.Ptr(idp.AssetExtensionType(assetExtension(img))), Bytes: img}
	op := "UpdateManagedLoginBranding"
	if err == nil {
		if d.StyleID == "" {
			op = "CreateManagedLoginBranding"
			in := &idp.CreateManagedLoginBrandingRequest{UserPoolId: &poolID, ClientId: &clientID, Assets: []idp.AssetType{asset}}
			if err = in.Validate(); err == nil {
				_, err = c.opts.Pools.CreateManagedLoginBranding(as(ctx, op), c.caller(), in)
			}
		} else {
			in := &idp.UpdateManagedLoginBrandingRequest{UserPoolId: &poolID, ManagedLoginBrandingId: &d.StyleID, Assets: []idp.AssetType{asset}}
			if err = in.Validate(); err == nil {
				_, err = c.opts.Pools.UpdateManagedLoginBranding(as(ctx, op), c.caller(), in)
			}
		}
	}
	if err != nil {
		c.fail(w, r, "branding", p, err, "asset_category", "asset_mode", "asset_file", "Assets", "Extension", "bytes")
		return
	}
	c.audit(r, op, "pool", poolID, "client", clientID, "asset", category)
	http.Redirect(w, r, "/console/pools/"+url.PathEscape(poolID)+"/clients/"+url.PathEscape(clientID)+"/branding?done=asset", http.StatusSeeOther)
}

// assetFile reads the uploaded image (at most maxAsset bytes, the
// operation's limit).
func assetFile(r *http.Request) ([]byte, error) {
	f, _, err := r.FormFile("asset_file")
	if err != nil {
		return nil, cognito.InvalidParameterException("asset_file: choose the image file (PNG, JPEG, WEBP or SVG; ICO for FAVICON_ICO, SVG for FAVICON_SVG).")
	}
	defer f.Close()
	var b bytes.Buffer
	if _, err := io.Copy(&b, io.LimitReader(f, maxAsset+1)); err != nil {
		return nil, cognito.InvalidParameterException("asset_file: the image could not be read.")
	}
	if b.Len() > maxAsset {
		return nil, cognito.InvalidParameterException("asset_file: an image is 1,000,000 bytes at most.")
	}
	if assetExtension(b.Bytes()) == "" {
		return nil, cognito.InvalidParameterException("asset_file: the file is not a PNG, JPEG, WEBP, SVG or ICO image.")
	}
	return b.Bytes(), nil
}

// brandingAssetImage serves one of the style's images, by category and
// colour mode, for the branding page's list (SVG as an image, where its
// scripts never run, and under the console's CSP).
func (c *Console) brandingAssetImage(w http.ResponseWriter, r *http.Request) {
	d, err := c.loadBranding(r, r.PathValue("pool"), r.PathValue("client"))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	q := r.URL.Query()
	for _, a := range d.assets {
		if a.Category == q.Get("category") && a.ColorMode == q.Get("mode") {
			ct := map[string]string{"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp", "SVG": "image/svg+xml", "ICO": "image/x-icon"}[a.Extension]
			if ct == "" {
				break
			}
			w.Header().Set("Content-Type", ct)
			w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; sandbox")
			_, _ = w.Write(a.Bytes)
			return
		}
	}
	http.NotFound(w, r)
}

// brandingFrame serves the preview of the client's hosted sign-in page
// in ?mode= (light or dark), wearing the style with the query's values
// (the form's, checked as a save checks them) over it: the page the
// hosted UI's own code draws (Options.BrandingPreview), served from the
// console's origin to be framed by the branding page only.
func (c *Console) brandingFrame(w http.ResponseWriter, r *http.Request) {
	if c.opts.BrandingPreview == nil {
		http.NotFound(w, r)
		return
	}
	poolID, clientID := r.PathValue("pool"), r.PathValue("client")
	d, err := c.loadBranding(r, poolID, clientID)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	q := r.URL.Query()
	values, err := readValues(q.Get)
	if err != nil {
		_, msg := message(err)
		http.Error(w, msg, http.StatusBadRequest)
		return
	}
	applyValues(d.settings, values, d.settings)
	var b bytes.Buffer
	csp, err := c.opts.BrandingPreview(&b, d.settings, d.assets, q.Get("mode") == "dark", d.Providers)
	if err != nil {
		c.log.ErrorContext(r.Context(), "console: branding preview", "err", err)
		http.Error(w, "Internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Frame-Options", "SAMEORIGIN")
	h.Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(b.Bytes())
}
