package oidc

import (
	"encoding/json"
	"html/template"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cognate-dev/cognate/internal/userpool"
)

func TestManagedLoginCSS(t *testing.T) {
	doc := func(s string) map[string]any {
		var m map[string]any
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	for _, tc := range []struct {
		name, settings string
		want, absent   []string
	}{
		{"light", `{"components":{"primaryButton":{"lightMode":{"defaults":{"backgroundColor":"AA0000FF"}},"darkMode":{"defaults":{"backgroundColor":"00aa00ff"}}}}}`,
			[]string{"button { background: #aa0000ff }"}, []string{"#00aa00ff", "@media"}},
		{"dark", `{"categories":{"global":{"colorSchemeMode":"DARK"}},"components":{"primaryButton":{"lightMode":{"defaults":{"backgroundColor":"aa0000ff"}},"darkMode":{"defaults":{"backgroundColor":"00aa00ff"}}}}}`,
			[]string{"button { background: #00aa00ff }"}, []string{"#aa0000ff", "@media"}},
		{"dynamic", `{"categories":{"global":{"colorSchemeMode":"DYNAMIC"}},"components":{"pageBackground":{"lightMode":{"color":"ffffffff"},"darkMode":{"color":"000000ff"}}}}`,
			[]string{"html { background: #ffffffff }", "@media (prefers-color-scheme: dark) {\nhtml { background: #000000ff }"}, nil},
		{"no injection", `{"components":{"pageBackground":{"lightMode":{"color":"red}body{background:url(x)"}},"form":{"borderRadius":"1px}x{"},"primaryButton":{"lightMode":{"defaults":{"textColor":"</style><script>"}}}}}`,
			nil, []string{"red", "url(", "script", "x{"}},
		{"radius", `{"components":{"form":{"borderRadius":12}},"componentClasses":{"buttons":{"borderRadius":1000}}}`,
			[]string{".panel { border-radius: 12px }"}, []string{"1000"}},
		{"layout", `{"categories":{"form":{"location":{"horizontal":"START","vertical":"END"}},"global":{"spacingDensity":"COMPACT"}},"components":{"form":{"logo":{"location":"END"}},"alert":{"borderRadius":12}}}`,
			[]string{"body { min-height: 100vh; display: flex; flex-direction: column; justify-content: flex-end }",
				".panel { margin-left: 0; margin-right: auto }", ".panel { padding: 1rem }", "label { margin-top: 0.6rem }",
				".banner { text-align: right }", ".error, .notice { border-radius: 12px }"},
			[]string{"SPACIOUS", "2.25rem"}},
		{"spacious, centred", `{"categories":{"form":{"location":{"horizontal":"CENTER","vertical":"CENTER"}},"global":{"spacingDensity":"SPACIOUS"}}}`,
			[]string{"justify-content: center", ".panel { padding: 2.25rem }"}, []string{"margin-left"}},
		{"button states, divider, placeholder and page text",
			`{"components":{"primaryButton":{"lightMode":{"active":{"backgroundColor":"111111ff","textColor":"222222ff"},"disabled":{"backgroundColor":"333333ff","borderColor":"444444ff"}}},
			"secondaryButton":{"lightMode":{"active":{"backgroundColor":"555555ff","borderColor":"666666ff","textColor":"777777ff"}}},
			"pageText":{"lightMode":{"bodyColor":"888888ff","descriptionColor":"999999ff"}}},
			"componentClasses":{"divider":{"lightMode":{"borderColor":"aaaaaaff"}},"input":{"lightMode":{"placeholderColor":"bbbbbbff"}},
			"focusState":{"lightMode":{"borderColor":"ccccccff"}},"text":{"lightMode":{"captionTextColor":"ddddddff"}}}}`,
			[]string{"button:active { background: #111111ff; color: #222222ff }",
				"button:disabled { background: #333333ff; border-color: #444444ff; color: #ddddddff }",
				".provider-button:active { background: #555555ff; border-color: #666666ff; color: #777777ff }",
				".description { color: #999999ff }", ".page-header, .page-footer { color: #888888ff }", ".legal { color: #ddddddff }",
				".divider::before, .divider::after { border-top-color: #aaaaaaff }", "input::placeholder { color: #bbbbbbff }",
				"input:focus { border-color: #ccccccff }"},
			nil},
		{"identity provider buttons",
			`{"components":{"secondaryButton":{"lightMode":{"defaults":{"backgroundColor":"010101ff","textColor":"020202ff"}}},
			"idpButton":{"standard":{"lightMode":{"defaults":{"backgroundColor":"030303ff"},"hover":{"borderColor":"040404ff"},"active":{"textColor":"050505ff"}}}}},
			"componentClasses":{"optionControls":{"lightMode":{"selected":{"backgroundColor":"060606ff"}}}}}`,
			[]string{".provider-button { background: #010101ff; color: #020202ff }\n.provider-button { background: #030303ff }",
				".provider-button:hover { border-color: #040404ff }", ".provider-button:active { color: #050505ff }",
				"input[type=radio], input[type=checkbox] { accent-color: #060606ff }"},
			nil},
		{"layout values outside the documented ones", `{"categories":{"form":{"location":{"horizontal":"x;}body{","vertical":"MIDDLE"}},"global":{"spacingDensity":"HUGE"}},"components":{"form":{"logo":{"location":"}"}}}}`,
			nil, []string{"justify-content", "margin-left", "padding", "text-align", "}body{"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			css := managedLoginCSS(doc(tc.settings), nil)
			for _, w := range tc.want {
				if !strings.Contains(css, w) {
					t.Errorf("CSS lacks %q:\n%s", w, css)
				}
			}
			for _, a := range tc.absent {
				if strings.Contains(css, a) {
					t.Errorf("CSS holds %q:\n%s", a, css)
				}
			}
		})
	}
}

// TestManagedBrand reads the parts of a style the page templates draw:
// the graphics only when displayGraphics is on, the identity provider
// buttons' icon only when icons are enabled, the buttons' order and the
// sign-in methods' order.
func TestManagedBrand(t *testing.T) {
	png := []byte("\x89PNG\r\n\x1a\ngraphic")
	dark := []byte("\x89PNG\r\n\x1a\ndark")
	assets := []userpool.BrandingAsset{
		{Category: "EMAIL_GRAPHIC", ColorMode: "LIGHT", Extension: "PNG", Bytes: png},
		{Category: "PASSKEY_GRAPHIC", ColorMode: "DARK", Extension: "PNG", Bytes: dark},
		{Category: "IDP_BUTTON_ICON", ColorMode: "DYNAMIC", Extension: "PNG", Bytes: png},
	}
	url := func(b []byte) template.URL { return dataURL(b, "PNG") }
	buttons := []providerButton{{Name: "A"}, {Name: "B"}, {Name: "C"}}
	for _, tc := range []struct {
		name, settings string
		graphics       map[string]template.URL
		icon           template.URL
		order          []string
		formFirst      bool
	}{
		{"off", `{"categories":{"form":{"displayGraphics":false}},"componentClasses":{"idpButtons":{"icons":{"enabled":false}}}}`,
			nil, "", []string{"A", "B", "C"}, false},
		{"light", `{"categories":{"form":{"displayGraphics":true},"auth":{"authMethodOrder":[[{"display":"INPUT","type":"USERNAME_PASSWORD"}],[{"display":"BUTTON","type":"FEDERATED"}]],
			"federation":{"order":["C","x","A"]}}},"componentClasses":{"idpButtons":{"icons":{"enabled":true}}}}`,
			map[string]template.URL{"EMAIL_GRAPHIC": url(png), "PASSKEY_GRAPHIC": url(dark)}, url(png), []string{"C", "A", "B"}, true},
		{"dark", `{"categories":{"global":{"colorSchemeMode":"DARK"},"form":{"displayGraphics":true},"auth":{"authMethodOrder":[[{"display":"BUTTON","type":"FEDERATED"},{"display":"INPUT","type":"USERNAME_PASSWORD"}]]}}}`,
			map[string]template.URL{"EMAIL_GRAPHIC": url(png), "PASSKEY_GRAPHIC": url(dark)}, "", []string{"A", "B", "C"}, false},
		{"malformed", `{"categories":{"form":{"displayGraphics":"yes"},"auth":{"authMethodOrder":[{"type":"USERNAME_PASSWORD"}, 3],"federation":{"order":"C"}}}}`,
			nil, "", []string{"A", "B", "C"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var s map[string]any
			if err := json.Unmarshal([]byte(tc.settings), &s); err != nil {
				t.Fatal(err)
			}
			var v brandView
			managedBrand(&v, s, assets)
			if diff := cmp.Diff(tc.graphics, v.Graphics); diff != "" {
				t.Errorf("graphics (-want +got):\n%s", diff)
			}
			var got []string
			for _, b := range v.Providers(buttons) {
				got = append(got, b.Name)
				if b.Icon != tc.icon {
					t.Errorf("button %s icon %.40q, want %.40q", b.Name, b.Icon, tc.icon)
				}
			}
			if diff := cmp.Diff(tc.order, got); diff != "" {
				t.Errorf("button order (-want +got):\n%s", diff)
			}
			if v.FormFirst != tc.formFirst {
				t.Errorf("FormFirst = %v, want %v", v.FormFirst, tc.formFirst)
			}
		})
	}
}
