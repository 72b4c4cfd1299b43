package oidc

import (
	"encoding/json"
	"strings"
	"testing"
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
