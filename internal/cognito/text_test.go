package cognito

import "testing"

func TestValidText(t *testing.T) {
	for _, tc := range []struct {
		s    string
		want bool
	}{
		{"", true},
		{"alice@example.com", true},
		{"Zoë 😀 \t\n", true},
		{"\x00", false},
		{"a\x00b", false},
		{"\xff", false},
		{"a\xc3", false},        // truncated sequence
		{"\xed\xa0\x80", false}, // a surrogate encoded in UTF-8
	} {
		if got := ValidText(tc.s); got != tc.want {
			t.Errorf("ValidText(%q) = %v, want %v", tc.s, got, tc.want)
		}
	}
}

func TestInvalidText(t *testing.T) {
	e := InvalidText("authParameters.USERNAME", RuleValidText)
	want := "1 validation error detected: Value at 'authParameters.USERNAME' failed to satisfy constraint: Member must not contain null characters or invalid UTF-8"
	if e.Code != CodeInvalidParameterException || e.Message != want {
		t.Errorf("InvalidText = %s %q, want %s %q", e.Code, e.Message, CodeInvalidParameterException, want)
	}
}
