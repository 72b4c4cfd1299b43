package weborigin

import "testing"

// TestCanonical checks the origins browsers send and the strings
// that are not origins at all.
func TestCanonical(t *testing.T) {
	for in, want := range map[string]string{
		"https://app.example":             "https://app.example",
		"HTTPS://App.Example:443":         "https://app.example",
		"http://localhost:80":             "http://localhost",
		"http://localhost:8080":           "http://localhost:8080",
		"https://app.example:4430":        "https://app.example:4430",
		"http://[::1]:3000":               "http://[::1]:3000",
		"https://app.example/":            "",
		"https://app.example/path":        "",
		"https://app.example?x=1":         "",
		"https://app.example#f":           "",
		"https://user@app.example":        "",
		"ftp://app.example":               "",
		"app.example":                     "",
		"https://":                        "",
		"https://app.example:":            "",
		"null":                            "",
		"*":                               "",
		"https://app.example:443/ignored": "",
		"https://app.example:0":           "",
		"https://*.app.example":           "",
		"https://app..example":            "",
		"https://.app.example":            "",
		"https://app.example:65536":       "",
		"https://app.example:x":           "",
	} {
		got, ok := Canonical(in)
		if got != want || ok != (want != "") {
			t.Errorf("Canonical(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}
