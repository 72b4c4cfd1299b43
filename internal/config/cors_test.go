package config

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCORSLoad(t *testing.T) {
	tests := []struct {
		name string
		file string
		env  map[string]string
		want []string
	}{
		{"defaults: any origin", "", nil, nil},
		{"empty block", "cors:\n", nil, nil},
		{"a star", "cors: {allowed_origins: ['*']}\n", nil, []string{"*"}},
		{"listed in the file", "cors:\n  allowed_origins:\n    - https://app.example.com\n    - http://localhost:3000\n", nil,
			[]string{"https://app.example.com", "http://localhost:3000"}},
		{"the environment wins", "cors: {allowed_origins: [https://app.example.com]}\n",
			map[string]string{"COGNATE_CORS_ALLOWED_ORIGINS": " https://a.example , http://[::1]:8080,"},
			[]string{"https://a.example", "http://[::1]:8080"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := Sources{Env: envMap(tc.env)}
			if tc.file != "" {
				src.File = writeFile(t, "cognate.yaml", tc.file)
			}
			got, _, err := Load(src)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got.CORS.AllowedOrigins); diff != "" {
				t.Errorf("cors.allowed_origins (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCORSProblems(t *testing.T) {
	const notOrigin = "is not an origin: it must be http:// or https:// and a host, with an optional port and nothing after it (no path, not even a final slash)"
	tests := []struct {
		name string
		file string
		env  map[string]string
		want ValidationErrors
	}{
		{
			name: "not a list",
			file: "cors:\n  allowed_origins: https://app.example.com\n",
			want: ValidationErrors{"cors.allowed_origins: must be a list of strings (line 2)"},
		},
		{
			name: "unknown key",
			file: "cors: {allowed_origin: [https://app.example.com]}\n",
			want: ValidationErrors{`cors.allowed_origin: unknown key (line 1); did you mean "cors.allowed_origins"?`},
		},
		{
			name: "not origins",
			file: "cors:\n  allowed_origins: [https://app.example.com/, app.example.com, 'ftp://files.example', 'https://app.example.com/login', 'https://*.example.com', 'https://a.example:99999', 'null']\n",
			want: ValidationErrors{
				`cors.allowed_origins[0]: "https://app.example.com/" ` + notOrigin,
				`cors.allowed_origins[1]: "app.example.com" ` + notOrigin,
				`cors.allowed_origins[2]: "ftp://files.example" ` + notOrigin,
				`cors.allowed_origins[3]: "https://app.example.com/login" ` + notOrigin,
				`cors.allowed_origins[4]: "https://*.example.com" ` + notOrigin,
				`cors.allowed_origins[5]: "https://a.example:99999" ` + notOrigin,
				`cors.allowed_origins[6]: "null" ` + notOrigin,
			},
		},
		{
			name: "the same origin twice",
			file: "cors:\n  allowed_origins: [https://app.example.com, 'HTTPS://App.Example.com:443']\n",
			want: ValidationErrors{`cors.allowed_origins[1]: "HTTPS://App.Example.com:443" is the same origin as cors.allowed_origins[0]`},
		},
		{
			name: "a star among others",
			env:  map[string]string{"COGNATE_CORS_ALLOWED_ORIGINS": "https://app.example.com,*"},
			want: ValidationErrors{`cors.allowed_origins[1]: "*" allows any origin and cannot be listed with others`},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := Sources{Env: envMap(tc.env)}
			if tc.file != "" {
				src.File = writeFile(t, "cognate.yaml", tc.file)
			}
			cfg, _, err := Load(src)
			if cfg != nil {
				t.Error("Load returned a config with errors")
			}
			if diff := cmp.Diff(tc.want, problems(t, err)); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCORSEnvVar(t *testing.T) {
	if got := EnvVars()["cors.allowed_origins"]; got != "COGNATE_CORS_ALLOWED_ORIGINS" {
		t.Errorf("EnvVars()[cors.allowed_origins] = %q", got)
	}
}
