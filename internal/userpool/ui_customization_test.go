package userpool

import (
	"testing"
)

func TestCheckCSS(t *testing.T) {
	cases := []struct {
		name, css, want string
	}{
		{"empty", "", ""},
		{"allowed classes", ".banner-customizable { background-color: #fff; }\n.submitButton-customizable:hover, .label-customizable { font-weight: 400 }", ""},
		{"comments", "/* body { } */ .logo-customizable { max-width: 60%; }", ""},
		{"element selector", "body { color: red; }", "InvalidParameterException: The CSS class body is not in the list of allowed classes."},
		{"unknown class", ".banner-customizable {} .header { color: red }", "InvalidParameterException: The CSS class header is not in the list of allowed classes."},
		{"unknown pseudo-class", ".label-customizable:hover { color: red }", "InvalidParameterException: The CSS class label-customizable:hover is not in the list of allowed classes."},
		{"import", "@import url(https://evil.example.com/x.css); .logo-customizable {}", "InvalidParameterException: The CSS cannot contain HTML, @import, @supports, @page, @media statements or JavaScript."},
		{"media", "@media (max-width: 1px) { .logo-customizable {} }", "InvalidParameterException: The CSS cannot contain HTML, @import, @supports, @page, @media statements or JavaScript."},
		{"markup", ".logo-customizable { content: '</style><script>' }", "InvalidParameterException: The CSS cannot contain HTML, @import, @supports, @page, @media statements or JavaScript."},
		{"script url", ".background-customizable { background: url(javascript:alert(1)) }", "InvalidParameterException: The CSS cannot contain HTML, @import, @supports, @page, @media statements or JavaScript."},
		{"unbalanced", ".logo-customizable { color: red } stray", "InvalidParameterException: The CSS is not valid."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := appErrText(checkCSS(tc.css)); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestCheckLogo(t *testing.T) {
	cases := []struct {
		name string
		img  []byte
		want string
	}{
		{"png", []byte("\x89PNG\r\n\x1a\nrest"), ""},
		{"jpeg", []byte{0xff, 0xd8, 0xff, 0xe0, 0, 0}, ""},
		{"gif", []byte("GIF89a..."), "InvalidParameterException: The image file must be a PNG or JPEG image."},
		{"text", []byte("hello"), "InvalidParameterException: The image file must be a PNG or JPEG image."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := appErrText(checkLogo(tc.img)); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
