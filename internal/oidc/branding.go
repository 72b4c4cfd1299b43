package oidc

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/userpool"
)

// Branding: the pages of an app client wear its pool's branding, the kind
// the domain's ManagedLoginVersion picks (userpool.HostedBranding). The
// page's content security policy allows styles only from the domain
// itself, so the branding's stylesheet is a resource of its own,
// /branding.css?client_id=…: the classic SetUICustomization CSS (which
// styles only the *-customizable classes the templates carry), or for
// managed login the rules made from the style's settings document, in
// its light, dark or browser-adaptive colour scheme. The logo is a data:
// URL in the page.

// brandView is the branding part of every page's data.
type brandView struct {
	// CSS is the URL of the branding stylesheet ("" for none).
	CSS string
	// InlineCSS is the page's whole stylesheet, written into the page
	// instead of CSS and the base stylesheet's links: the console's
	// preview of a style (preview.go) uses it.
	InlineCSS template.CSS
	// Logo is the logo as a data: URL ("" for none).
	Logo template.URL
	// Header and Footer are the managed login page's header and footer
	// (categories.global.pageHeader and pageFooter), nil when off.
	Header, Footer *brandBar
	// Favicon is the page's icon as a data: URL ("" for none).
	Favicon template.URL
	// Graphics are the pages' graphics by asset category (EMAIL_GRAPHIC,
	// SMS_GRAPHIC, AUTH_APP_GRAPHIC, PASSWORD_GRAPHIC, PASSKEY_GRAPHIC)
	// as data: URLs, when the style displays graphics
	// (categories.form.displayGraphics).
	Graphics map[string]template.URL
	// ProviderIcon is the IDP_BUTTON_ICON drawn in the identity provider
	// buttons, when componentClasses.idpButtons.icons.enabled.
	ProviderIcon template.URL
	// ProviderOrder is the order of the identity provider buttons
	// (categories.auth.federation.order); the others follow in the app
	// client's order.
	ProviderOrder []string
	// FormFirst draws the username and password form above the identity
	// provider buttons: categories.auth.authMethodOrder names
	// USERNAME_PASSWORD before FEDERATED.
	FormFirst bool
}

// graphicCategories are the assets a managed login style may show as a
// page's graphic.
var graphicCategories = []string{"EMAIL_GRAPHIC", "SMS_GRAPHIC", "AUTH_APP_GRAPHIC", "PASSWORD_GRAPHIC", "PASSKEY_GRAPHIC"}

// Graphic is the page's graphic of an asset category, "" for none.
func (v brandView) Graphic(category string) template.URL { return v.Graphics[category] }

// ChallengeGraphic is the graphic of a code page: the email, SMS or
// authenticator app graphic of its challenge.
func (v brandView) ChallengeGraphic(challenge string) template.URL {
	switch challenge {
	case "EMAIL_OTP":
		return v.Graphics["EMAIL_GRAPHIC"]
	case "SMS_MFA", "SMS_OTP":
		return v.Graphics["SMS_GRAPHIC"]
	case "SOFTWARE_TOKEN_MFA":
		return v.Graphics["AUTH_APP_GRAPHIC"]
	}
	return ""
}

// Providers returns the identity provider buttons of a page in the
// style's order, each with the style's icon.
func (v brandView) Providers(buttons []providerButton) []providerButton {
	out := make([]providerButton, 0, len(buttons))
	rank := func(name string) int {
		if i := slices.Index(v.ProviderOrder, name); i >= 0 {
			return i
		}
		return len(v.ProviderOrder)
	}
	for _, b := range buttons {
		b.Icon = v.ProviderIcon
		out = append(out, b)
	}
	slices.SortStableFunc(out, func(a, b providerButton) int { return rank(a.Name) - rank(b.Name) })
	return out
}

// brandBar is a managed login page header or footer: its logo, if it
// shows one, and where the logo sits (components.pageHeader.logo).
type brandBar struct {
	Logo     template.URL
	Location string
}

// brandOf returns the branding of a page opened for an app client.
func (p *PageRequest) brandOf() brandView {
	if p.Authorize == nil {
		return brandView{}
	}
	clientID := p.Authorize.client.ClientID
	b, err := p.h.pools.HostedBranding(p.R.Context(), cognito.Caller{Region: p.Site.region}, clientID, p.Site.domain.ManagedLoginVersion)
	if err != nil {
		p.h.log.WarnContext(p.R.Context(), "hosted UI branding", "client_id", clientID, "err", err)
		return brandView{}
	}
	v := brandView{CSS: p.Site.base + "/branding.css?" + url.Values{"client_id": {clientID}}.Encode()}
	if b.Version == 1 {
		v.Logo = dataURL(b.Logo, "")
		return v
	}
	managedBrand(&v, b.Settings, b.Assets)
	return v
}

// managedBrand fills in the images of a managed login style's page: the
// form's logo, the header and footer, and the favicon, each the asset of
// the style's colour scheme (the light one for DYNAMIC, whose page is
// drawn once).
func managedBrand(v *brandView, s map[string]any, assets []userpool.BrandingAsset) {
	dark := schemeOf(s) == "DARK"
	enabled := func(path ...string) bool { b, _ := dig(s, path...).(bool); return b }
	header := enabled("categories", "global", "pageHeader", "enabled")
	v.Logo = assetURL(assets, "FORM_LOGO", dark)
	if v.Logo == "" && !(header && enabled("components", "pageHeader", "logo", "enabled")) {
		// A style made before its header was shown kept its header logo
		// in the form.
		v.Logo = assetURL(assets, "PAGE_HEADER_LOGO", dark)
	}
	bar := func(on bool, component, category string) *brandBar {
		if !on {
			return nil
		}
		b := &brandBar{Location: "START"}
		if l, _ := dig(s, "components", component, "logo", "location").(string); l == "CENTER" || l == "END" {
			b.Location = l
		}
		if enabled("components", component, "logo", "enabled") {
			b.Logo = assetURL(assets, category, dark)
		}
		return b
	}
	if enabled("categories", "form", "displayGraphics") {
		for _, c := range graphicCategories {
			if u := assetURL(assets, c, dark); u != "" {
				if v.Graphics == nil {
					v.Graphics = map[string]template.URL{}
				}
				v.Graphics[c] = u
			}
		}
	}
	if enabled("componentClasses", "idpButtons", "icons", "enabled") {
		v.ProviderIcon = assetURL(assets, "IDP_BUTTON_ICON", dark)
	}
	order, _ := dig(s, "categories", "auth", "federation", "order").([]any)
	for _, o := range order {
		if name, ok := o.(string); ok {
			v.ProviderOrder = append(v.ProviderOrder, name)
		}
	}
	v.FormFirst = formFirst(s)
	v.Header = bar(header, "pageHeader", "PAGE_HEADER_LOGO")
	v.Footer = bar(enabled("categories", "global", "pageFooter", "enabled"), "pageFooter", "PAGE_FOOTER_LOGO")
	types, _ := dig(s, "components", "favicon", "enabledTypes").([]any)
	for _, t := range types {
		if t == "SVG" && v.Favicon == "" {
			v.Favicon = assetURL(assets, "FAVICON_SVG", dark)
		}
		if t == "ICO" && v.Favicon == "" {
			v.Favicon = assetURL(assets, "FAVICON_ICO", dark)
		}
	}
}

// formFirst reports whether a style's sign-in methods
// (categories.auth.authMethodOrder, groups of methods in the order they
// are drawn) put the username and password before the identity provider
// buttons.
func formFirst(s map[string]any) bool {
	var types []string
	groups, _ := dig(s, "categories", "auth", "authMethodOrder").([]any)
	for _, g := range groups {
		methods, _ := g.([]any)
		for _, m := range methods {
			if method, ok := m.(map[string]any); ok {
				t, _ := method["type"].(string)
				types = append(types, t)
			}
		}
	}
	password, federated := slices.Index(types, "USERNAME_PASSWORD"), slices.Index(types, "FEDERATED")
	return password >= 0 && (federated < 0 || password < federated)
}

// findAsset returns the asset of category for a colour mode: the mode's
// own, else the browser-adaptive one, else the other mode's.
func findAsset(assets []userpool.BrandingAsset, category string, dark bool) *userpool.BrandingAsset {
	want, other := "LIGHT", "DARK"
	if dark {
		want, other = "DARK", "LIGHT"
	}
	for _, mode := range []string{want, "DYNAMIC", other} {
		for i := range assets {
			if assets[i].Category == category && assets[i].ColorMode == mode {
				return &assets[i]
			}
		}
	}
	return nil
}

// assetURL is findAsset's image as a data: URL, "" for none.
func assetURL(assets []userpool.BrandingAsset, category string, dark bool) template.URL {
	a := findAsset(assets, category, dark)
	if a == nil {
		return ""
	}
	return dataURL(a.Bytes, a.Extension)
}

// dataURL returns an image as a data: URL, typed by its extension or else
// by its first bytes; "" when it is none of the image types the branding
// takes. Pages show it in <img>, where an SVG's scripts never run.
func dataURL(img []byte, ext string) template.URL {
	if len(img) == 0 {
		return ""
	}
	var mime string
	switch {
	case ext == "PNG" || bytes.HasPrefix(img, []byte("\x89PNG\r\n\x1a\n")):
		mime = "image/png"
	case ext == "JPEG" || bytes.HasPrefix(img, []byte{0xff, 0xd8, 0xff}):
		mime = "image/jpeg"
	case ext == "WEBP":
		mime = "image/webp"
	case ext == "SVG":
		mime = "image/svg+xml"
	case ext == "ICO":
		mime = "image/x-icon"
	default:
		return ""
	}
	return template.URL("data:" + mime + ";base64," + base64.StdEncoding.EncodeToString(img))
}

// brandingCSS is GET /branding.css?client_id=…, the branding stylesheet of
// an app client's pages on this domain.
func (h *Handler) brandingCSS(w http.ResponseWriter, r *http.Request) {
	st := siteOf(r.Context())
	clientID := r.URL.Query().Get("client_id")
	if clientID == "" || len(r.URL.Query()["client_id"]) > 1 {
		h.notFound(w, r)
		return
	}
	// The client must be one of this domain's pool.
	if _, _, err := h.pools.SignInClient(r.Context(), cognito.Caller{Region: st.region}, st.poolID, clientID); err != nil {
		h.notFound(w, r)
		return
	}
	b, err := h.pools.HostedBranding(r.Context(), cognito.Caller{Region: st.region}, clientID, st.domain.ManagedLoginVersion)
	if err != nil {
		h.notFound(w, r)
		return
	}
	css := ""
	if b.Version == 1 {
		// Checked when it was set: the *-customizable classes only, no
		// markup, at-rules or script.
		if !strings.Contains(b.CSS, "<") {
			css = b.CSS
		}
	} else if b.HasStyle {
		css = managedLoginCSS(b.Settings, b.Assets)
	}
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	_, _ = w.Write([]byte("/* branding of app client " + clientID + " */\n" + css))
}

// schemeOf returns a settings document's colour scheme: LIGHT, DARK or
// DYNAMIC (the browser's).
func schemeOf(s map[string]any) string {
	switch v, _ := dig(s, "categories", "global", "colorSchemeMode").(string); v {
	case "DARK", "DYNAMIC":
		return v
	}
	return "LIGHT"
}

// dig returns the value at a path of member names in a settings document.
func dig(m map[string]any, path ...string) any {
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

var hexColor = regexp.MustCompile(`^[0-9a-fA-F]{8}$`)

// color returns the colour at path as CSS (#rrggbbaa), "" when absent or
// not eight hexadecimal digits; the engine accepts no other, and nothing
// else may reach the stylesheet.
func color(m map[string]any, path ...string) string {
	s, _ := dig(m, path...).(string)
	if !hexColor.MatchString(s) {
		return ""
	}
	return "#" + strings.ToLower(s)
}

// radius returns the length at path in pixels (0 to 64), "" when absent.
func radius(m map[string]any, path ...string) string {
	var f float64
	switch n := dig(m, path...).(type) {
	case json.Number:
		v, err := n.Float64()
		if err != nil {
			return ""
		}
		f = v
	case float64:
		f = n
	default:
		return ""
	}
	if f < 0 || f > 64 {
		return ""
	}
	return fmt.Sprintf("%dpx", int(f))
}

// managedLoginCSS returns the rules of a managed login style for its
// colour scheme, with its background images (assets).
func managedLoginCSS(s map[string]any, assets []userpool.BrandingAsset) string {
	var b strings.Builder
	shape := []cssRule{
		{".panel", [][2]string{{"border-radius", radius(s, "components", "form", "borderRadius")}}},
		{"button", [][2]string{{"border-radius", radius(s, "componentClasses", "buttons", "borderRadius")}}},
		{textInputs, [][2]string{{"border-radius", radius(s, "componentClasses", "input", "borderRadius")}}},
		{".error, .notice", [][2]string{{"border-radius", radius(s, "components", "alert", "borderRadius")}}},
	}
	writeRules(&b, shape)
	writeRules(&b, layoutRules(s))
	switch schemeOf(s) {
	case "DARK":
		writeRules(&b, modeRules(s, assets, "darkMode"))
	case "DYNAMIC":
		writeRules(&b, modeRules(s, assets, "lightMode"))
		b.WriteString("@media (prefers-color-scheme: dark) {\n")
		writeRules(&b, modeRules(s, assets, "darkMode"))
		b.WriteString("}\n")
	default:
		writeRules(&b, modeRules(s, assets, "lightMode"))
	}
	return b.String()
}

// layoutRules are the rules of a style's layout settings: where the form
// sits on the page (categories.form.location), how much room its parts
// take (categories.global.spacingDensity) and where the logo sits in it
// (components.form.logo.location). Each setting is one of its documented
// values or is left out.
func layoutRules(s map[string]any) []cssRule {
	enum := func(path ...string) string {
		v, _ := dig(s, path...).(string)
		return v
	}
	var rules []cssRule
	// The page is a column the form is placed in: across by its margins,
	// down by the column's justification.
	flex := map[string]string{"START": "flex-start", "CENTER": "center", "END": "flex-end"}
	if v, ok := flex[enum("categories", "form", "location", "vertical")]; ok {
		rules = append(rules, cssRule{"body", [][2]string{
			{"min-height", "100vh"}, {"display", "flex"}, {"flex-direction", "column"}, {"justify-content", v},
		}}, cssRule{".panel", [][2]string{{"width", "100%"}}})
		// A header stays at the top and a footer at the bottom: the free
		// room goes below the header unless the form is at the top, and
		// above the footer unless it is at the bottom.
		if v != "flex-start" {
			rules = append(rules, cssRule{".page-header", [][2]string{{"margin-bottom", "auto"}}})
		}
		if v != "flex-end" {
			rules = append(rules, cssRule{".page-footer", [][2]string{{"margin-top", "auto"}}})
		}
	}
	switch enum("categories", "form", "location", "horizontal") {
	case "START":
		rules = append(rules, cssRule{".panel", [][2]string{{"margin-left", "0"}, {"margin-right", "auto"}}})
	case "END":
		rules = append(rules, cssRule{".panel", [][2]string{{"margin-left", "auto"}, {"margin-right", "0"}}})
	}
	switch enum("categories", "global", "spacingDensity") {
	case "COMPACT":
		rules = append(rules,
			cssRule{".panel", [][2]string{{"padding", "1rem"}}},
			cssRule{"label", [][2]string{{"margin-top", "0.6rem"}}},
			cssRule{"button", [][2]string{{"margin-top", "1rem"}, {"padding", "0.5rem"}}})
	case "SPACIOUS":
		rules = append(rules,
			cssRule{".panel", [][2]string{{"padding", "2.25rem"}}},
			cssRule{"label", [][2]string{{"margin-top", "1.4rem"}}},
			cssRule{"button", [][2]string{{"margin-top", "2rem"}, {"padding", "0.9rem"}}})
	}
	align := map[string]string{"START": "left", "CENTER": "center", "END": "right"}
	if v, ok := align[enum("components", "form", "logo", "location")]; ok {
		rules = append(rules, cssRule{".banner", [][2]string{{"text-align", v}}})
	}
	return rules
}

// textInputs selects the pages' text fields as the base stylesheet does.
const textInputs = "input[type=text], input[type=password], input[type=email], input[type=tel], input[type=date]"

// cssRule is a selector and its declarations; a declaration with an empty
// value is left out.
type cssRule struct {
	selector string
	decls    [][2]string
}

// modeRules are the colour and background image rules of one mode
// (lightMode or darkMode).
func modeRules(s map[string]any, assets []userpool.BrandingAsset, mode string) []cssRule {
	image := func(on []string, category string) string {
		if b, _ := dig(s, on...).(bool); !b {
			return ""
		}
		a := findAsset(assets, category, mode == "darkMode")
		if a == nil || a.Extension == "ICO" {
			return ""
		}
		u := dataURL(a.Bytes, a.Extension)
		if u == "" {
			return ""
		}
		// A data: URL of base64 holds no quote, parenthesis or backslash.
		return `url("` + string(u) + `")`
	}
	cover := func(img string) string {
		if img == "" {
			return ""
		}
		return "cover"
	}
	pageImage := image([]string{"components", "pageBackground", "image", "enabled"}, "PAGE_BACKGROUND")
	formImage := image([]string{"components", "form", "backgroundImage", "enabled"}, "FORM_BACKGROUND")
	headerImage := image([]string{"components", "pageHeader", "backgroundImage", "enabled"}, "PAGE_HEADER_BACKGROUND")
	footerImage := image([]string{"components", "pageFooter", "backgroundImage", "enabled"}, "PAGE_FOOTER_BACKGROUND")
	// The identity provider buttons wear the secondary button's colours,
	// or the identity provider button's (components.idpButton.standard)
	// where a style sets them, in each state.
	var providerRules []cssRule
	for _, state := range []struct{ selector, name string }{{"", "defaults"}, {":hover", "hover"}, {":active", "active"}} {
		for _, component := range [][]string{{"secondaryButton"}, {"idpButton", "standard"}} {
			at := func(member string) string {
				return color(s, slices.Concat([]string{"components"}, component, []string{mode, state.name, member})...)
			}
			providerRules = append(providerRules, cssRule{".provider-button" + state.selector, [][2]string{
				{"background", at("backgroundColor")}, {"border-color", at("borderColor")}, {"color", at("textColor")},
			}})
		}
	}
	return append(providerRules, []cssRule{
		{".page-header", [][2]string{
			{"background-color", color(s, "components", "pageHeader", mode, "background", "color")},
			{"border-color", color(s, "components", "pageHeader", mode, "borderColor")},
			{"background-image", headerImage}, {"background-size", cover(headerImage)},
		}},
		{".page-footer", [][2]string{
			{"background-color", color(s, "components", "pageFooter", mode, "background", "color")},
			{"border-color", color(s, "components", "pageFooter", mode, "borderColor")},
			{"background-image", footerImage}, {"background-size", cover(footerImage)},
		}},
		{".error", [][2]string{
			{"background", color(s, "components", "alert", mode, "error", "backgroundColor")},
			{"border-color", color(s, "components", "alert", mode, "error", "borderColor")},
		}},
		{"html", [][2]string{
			{"background", color(s, "components", "pageBackground", mode, "color")},
			{"color", color(s, "componentClasses", "text", mode, "bodyTextColor")},
		}},
		{".panel", [][2]string{
			{"background", color(s, "components", "form", mode, "backgroundColor")},
			{"border-color", color(s, "components", "form", mode, "borderColor")},
		}},
		{"h1", [][2]string{{"color", color(s, "componentClasses", "text", mode, "headingTextColor")}}},
		{".description", [][2]string{{"color", color(s, "components", "pageText", mode, "descriptionColor")}}},
		{".page-header, .page-footer", [][2]string{{"color", color(s, "components", "pageText", mode, "bodyColor")}}},
		{".legal", [][2]string{{"color", color(s, "componentClasses", "text", mode, "captionTextColor")}}},
		{"label", [][2]string{{"color", color(s, "componentClasses", "inputLabel", mode, "textColor")}}},
		{textInputs, [][2]string{
			{"background", color(s, "componentClasses", "input", mode, "defaults", "backgroundColor")},
			{"border-color", color(s, "componentClasses", "input", mode, "defaults", "borderColor")},
			{"color", color(s, "componentClasses", "text", mode, "bodyTextColor")},
		}},
		{"input::placeholder", [][2]string{{"color", color(s, "componentClasses", "input", mode, "placeholderColor")}}},
		{"input:focus", [][2]string{{"border-color", color(s, "componentClasses", "focusState", mode, "borderColor")}}},
		{"button", [][2]string{
			{"background", color(s, "components", "primaryButton", mode, "defaults", "backgroundColor")},
			{"color", color(s, "components", "primaryButton", mode, "defaults", "textColor")},
		}},
		{"button:hover", [][2]string{
			{"background", color(s, "components", "primaryButton", mode, "hover", "backgroundColor")},
			{"color", color(s, "components", "primaryButton", mode, "hover", "textColor")},
		}},
		{"button:active", [][2]string{
			{"background", color(s, "components", "primaryButton", mode, "active", "backgroundColor")},
			{"color", color(s, "components", "primaryButton", mode, "active", "textColor")},
		}},
		// After hover and active: a disabled button keeps its look.
		{"button:disabled", [][2]string{
			{"background", color(s, "components", "primaryButton", mode, "disabled", "backgroundColor")},
			{"border-color", color(s, "components", "primaryButton", mode, "disabled", "borderColor")},
			{"color", color(s, "componentClasses", "text", mode, "captionTextColor")},
		}},
		{"input[type=radio], input[type=checkbox]", [][2]string{{"accent-color", color(s, "componentClasses", "optionControls", mode, "selected", "backgroundColor")}}},
		{".divider::before, .divider::after", [][2]string{{"border-top-color", color(s, "componentClasses", "divider", mode, "borderColor")}}},
		{"a", [][2]string{{"color", color(s, "componentClasses", "link", mode, "defaults", "textColor")}}},
		{"a:hover", [][2]string{{"color", color(s, "componentClasses", "link", mode, "hover", "textColor")}}},
		{":focus-visible", [][2]string{{"outline-color", color(s, "componentClasses", "focusState", mode, "borderColor")}}},
		{".hint", [][2]string{{"color", color(s, "componentClasses", "inputDescription", mode, "textColor")}}},
		// After the colours: the background shorthand resets the image.
		{"html", [][2]string{{"background-image", pageImage}, {"background-size", cover(pageImage)}}},
		{".panel", [][2]string{{"background-image", formImage}, {"background-size", cover(formImage)}}},
	}...)
}

func writeRules(b *strings.Builder, rules []cssRule) {
	for _, r := range rules {
		var decls []string
		for _, d := range r.decls {
			if d[1] != "" {
				decls = append(decls, d[0]+": "+d[1])
			}
		}
		if len(decls) > 0 {
			b.WriteString(r.selector + " { " + strings.Join(decls, "; ") + " }\n")
		}
	}
}
