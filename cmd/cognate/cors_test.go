package main

import (
	"net/http"
	"testing"
)

// TestServeCORS checks that cors.allowed_origins, from the file or the
// environment, reaches the API: a browser's preflight from a listed origin
// is answered with that origin, and one from any other is refused. With
// nothing configured, any origin is allowed.
func TestServeCORS(t *testing.T) {
	file := writeFile(t, "cognate.yaml", "cors: {allowed_origins: ['https://app.example.com']}\n")
	cases := []struct {
		name   string
		args   []string
		env    map[string]string
		origin string
		want   int
		allow  string
	}{
		{"any origin by default", nil, nil, "https://anywhere.example", 200, "*"},
		{"a listed origin", []string{"--config", file}, nil, "https://app.example.com", 200, "https://app.example.com"},
		{"an origin not listed", []string{"--config", file}, nil, "https://anywhere.example", 403, ""},
		{"the environment's list", []string{"--config", file}, map[string]string{"COGNATE_CORS_ALLOWED_ORIGINS": "http://localhost:3000"},
			"http://localhost:3000", 200, "http://localhost:3000"},
		{"the file's list replaced by the environment's", []string{"--config", file}, map[string]string{"COGNATE_CORS_ALLOWED_ORIGINS": "http://localhost:3000"},
			"https://app.example.com", 403, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := startServe(t, tc.env, append(tc.args, "--listen", "127.0.0.1:0", "--data-dir", t.TempDir())...)
			req, err := http.NewRequest(http.MethodOptions, s.url+"/", nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Origin", tc.origin)
			req.Header.Set("Access-Control-Request-Method", "POST")
			req.Header.Set("Access-Control-Request-Headers", "content-type,x-amz-target,x-amz-user-agent")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if got := resp.Header.Get("Access-Control-Allow-Origin"); resp.StatusCode != tc.want || got != tc.allow {
				t.Errorf("preflight from %s: %d with Access-Control-Allow-Origin %q, want %d and %q", tc.origin, resp.StatusCode, got, tc.want, tc.allow)
			}
		})
	}
}
