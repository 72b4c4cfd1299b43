package oidc

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"html/template"
	"io"
	"maps"

	"github.com/cognate-dev/cognate/internal/userpool"
)

// BrandingPreview is what RenderBrandingPreview draws: a managed login
// style's settings document (merged over the defaults) and assets, the
// colour mode to draw it in, and the sign-in page's own parts.
type BrandingPreview struct {
	Settings map[string]any
	Assets   []userpool.BrandingAsset
	// Dark draws the style's dark mode, else its light mode.
	Dark bool
	// Label names what users sign in with ("Username", "Email", …).
	Label string
	// Providers are the names of the app client's identity providers,
	// drawn as the page's buttons.
	Providers []string
}

// RenderBrandingPreview writes the hosted UI's sign-in page (the same
// templates, base stylesheet and branding rules as the pages of a pool
// domain) wearing p's style, as a document of its own for the admin
// console to show in a frame: its stylesheet is written into the page,
// images are data: URLs, and nothing in it works (its links lead nowhere
// and its forms may not be sent). It returns the Content-Security-Policy
// the document must be served with: no script, only its own stylesheet
// (by hash) and data: images, no form submission, framed only by its own
// origin (the console frames it sandboxed with allow-same-origin: no
// script, no form, no navigation of the console). The hosted UI's own
// pages keep refusing every frame.
func RenderBrandingPreview(w io.Writer, p BrandingPreview) (csp string, err error) {
	s := maps.Clone(p.Settings)
	if s == nil {
		s = map[string]any{}
	}
	// The mode drawn, whatever the style's scheme: a deep copy of the
	// path changed, so the caller's document is untouched.
	categories, _ := s["categories"].(map[string]any)
	categories = maps.Clone(categories)
	if categories == nil {
		categories = map[string]any{}
	}
	global, _ := categories["global"].(map[string]any)
	global = maps.Clone(global)
	if global == nil {
		global = map[string]any{}
	}
	global["colorSchemeMode"] = "LIGHT"
	if p.Dark {
		global["colorSchemeMode"] = "DARK"
	}
	categories["global"] = global
	s["categories"] = categories

	base, err := staticFS.ReadFile("static/style.css")
	if err != nil {
		return "", err
	}
	css := string(base) + managedLoginCSS(s, p.Assets)
	v := brandView{InlineCSS: template.CSS(css)}
	managedBrand(&v, s, p.Assets)
	label := p.Label
	if label == "" {
		label = "Username"
	}
	view := loginView{Label: label}
	for _, name := range p.Providers {
		view.Providers = append(view.Providers, providerButton{Name: name, URL: "#"})
	}
	var b bytes.Buffer
	if err := templates.ExecuteTemplate(&b, "login.html", pageData{Title: "Sign in", Base: "#preview", Data: view, Brand: v}); err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(css))
	csp = "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'; img-src data:; form-action 'none'; frame-ancestors 'self'; base-uri 'none'"
	_, err = w.Write(b.Bytes())
	return csp, err
}
