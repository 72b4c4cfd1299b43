package userpool

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cognate-dev/cognate/internal/cognito/idp"
)

func TestMergeSettings(t *testing.T) {
	for _, tc := range []struct {
		name              string
		base, patch, want string
	}{
		{"adds a member", `{"a":{"b":1}}`, `{"a":{"c":2}}`, `{"a":{"b":1,"c":2}}`},
		{"replaces a value", `{"a":{"b":1}}`, `{"a":{"b":"x"}}`, `{"a":{"b":"x"}}`},
		{"replaces a list whole", `{"a":[1,2,3]}`, `{"a":[4]}`, `{"a":[4]}`},
		{"null removes", `{"a":{"b":1,"c":2}}`, `{"a":{"b":null}}`, `{"a":{"c":2}}`},
		{"object over a scalar", `{"a":1}`, `{"a":{"b":2}}`, `{"a":{"b":2}}`},
		{"nulls inside a new object are dropped", `{}`, `{"a":{"b":null,"c":1}}`, `{"a":{"c":1}}`},
		{"numbers keep their form", `{}`, `{"a":1.50}`, `{"a":1.50}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base, err := decodeSettings([]byte(tc.base))
			if err != nil {
				t.Fatal(err)
			}
			patch, err := decodeSettings([]byte(tc.patch))
			if err != nil {
				t.Fatal(err)
			}
			got, err := json.Marshal(mergeSettings(base, patch))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("merge = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestCheckSettings(t *testing.T) {
	for _, tc := range []struct {
		name, doc string
		ok        bool
	}{
		{"defaults", string(defaultBrandingSettingsJSON), true},
		{"colour", `{"components":{"pageBackground":{"lightMode":{"color":"ffeeddcc"}}}}`, true},
		{"colour in a list", `{"x":[{"borderColor":"00000000"}]}`, true},
		{"colour removed", `{"x":{"textColor":null}}`, true},
		{"six digits", `{"x":{"textColor":"ffeedd"}}`, false},
		{"css in a colour", `{"x":{"textColor":"fff;}body{"}}`, false},
		{"colour a number", `{"x":{"color":12345678}}`, false},
		{"colour in a list bad", `{"x":[{"borderColor":"red"}]}`, false},
		{"a list", `[1]`, false},
		{"a string", `"x"`, false},
		{"broken", `{"a":`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := checkSettings(json.RawMessage(tc.doc))
			if (err == nil) != tc.ok {
				t.Errorf("checkSettings(%s) = %v, want ok %v", tc.doc, err, tc.ok)
			}
		})
	}
}

func TestMergeAssets(t *testing.T) {
	a := func(cat idp.AssetCategoryType, mode idp.ColorSchemeModeType, b byte) brandingAsset {
		return brandingAsset{Category: cat, ColorMode: mode, Extension: "PNG", Bytes: []byte{b}}
	}
	base := []brandingAsset{a("FORM_LOGO", "LIGHT", 1), a("PAGE_BACKGROUND", "DARK", 2)}
	got := mergeAssets(base, []brandingAsset{a("FORM_LOGO", "LIGHT", 3), a("FORM_LOGO", "DARK", 4)})
	want := []brandingAsset{a("FORM_LOGO", "LIGHT", 3), a("PAGE_BACKGROUND", "DARK", 2), a("FORM_LOGO", "DARK", 4)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("merge (-want +got):\n%s", diff)
	}
	if base[0].Bytes[0] != 1 {
		t.Error("merge changed its base")
	}
}
