package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// corsHeaders are the response headers the CORS tests compare.
var corsHeaders = []string{
	"Access-Control-Allow-Origin", "Access-Control-Expose-Headers", "Access-Control-Allow-Methods",
	"Access-Control-Allow-Headers", "Access-Control-Max-Age", "Access-Control-Allow-Credentials", "Vary",
}

func corsHeadersOf(h http.Header) map[string]string {
	m := map[string]string{}
	for _, k := range corsHeaders {
		if v := h.Values(k); len(v) > 0 {
			m[k] = strings.Join(v, ", ")
		}
	}
	return m
}

func TestCORS(t *testing.T) {
	rb := newReadBench(t)
	const (
		app   = "https://app.example"
		other = "https://evil.example"
	)
	anyOrigin := rb.h
	listed := NewHandler(func() Options {
		o := rb.h.opts
		o.AllowedOrigins = []string{"http://localhost:3000", "HTTPS://App.Example:443"}
		return o
	}())
	idp := func(op string) string { return "AWSCognitoIdentityProviderService." + op }
	preflight := func(origin, headers string) func() *http.Request {
		return func() *http.Request {
			r := httptest.NewRequest(http.MethodOptions, "http://localhost:9229/", nil)
			r.Header.Set("Origin", origin)
			r.Header.Set("Access-Control-Request-Method", "POST")
			if headers != "" {
				r.Header.Set("Access-Control-Request-Headers", headers)
			}
			return r
		}
	}
	unsigned := func(origin, target, body string) func() *http.Request {
		return func() *http.Request {
			r := httptest.NewRequest(http.MethodPost, "http://localhost:9229/", strings.NewReader(body))
			r.Header.Set("Content-Type", contentType)
			r.Header.Set("X-Amz-Target", target)
			if origin != "" {
				r.Header.Set("Origin", origin)
			}
			return r
		}
	}
	signed := func(origin, target, body string) func() *http.Request {
		return func() *http.Request {
			r := signedRequest(t, target, body)
			r.Header.Set("Origin", origin)
			return r
		}
	}
	getUser := func(origin, token string) func() *http.Request {
		return unsigned(origin, idp("GetUser"), `{"AccessToken":"`+token+`"}`)
	}
	signIn := `{"ClientId":"` + rb.clientID + `","AuthFlow":"USER_PASSWORD_AUTH","AuthParameters":{"USERNAME":"` +
		readBenchUser + `","PASSWORD":"` + readBenchPassword + `"}}`
	wrongPassword := strings.Replace(signIn, readBenchPassword, "Wrong-Passw0rd", 1)

	const sdkHeaders = "content-type,x-amz-target,x-amz-user-agent"
	allowed := func(origin string) map[string]string {
		return map[string]string{
			"Access-Control-Allow-Origin":   origin,
			"Access-Control-Expose-Headers": "x-amzn-RequestId,x-amzn-ErrorType,x-amzn-ErrorMessage,Date",
		}
	}
	with := func(m map[string]string, kv ...string) map[string]string {
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	answered := func(origin, vary, headers string) map[string]string {
		return with(allowed(origin), "Access-Control-Allow-Methods", "POST", "Access-Control-Allow-Headers", headers,
			"Access-Control-Max-Age", "172800", "Vary", vary)
	}

	cases := []struct {
		name        string
		h           *Handler
		req         func() *http.Request
		wantStatus  int
		wantType    string // the error's __type; "" for a success or a preflight
		wantHeaders map[string]string
	}{
		{"preflight from any origin", anyOrigin, preflight(other, sdkHeaders), 200, "",
			answered("*", "Access-Control-Request-Headers", sdkHeaders)},
		{"preflight asks for more headers", anyOrigin, preflight(app, "Content-Type, X-Amz-Target, X-Amz-User-Agent, Cache-Control, Authorization"), 200, "",
			answered("*", "Access-Control-Request-Headers", "Content-Type, X-Amz-Target, X-Amz-User-Agent, Cache-Control, Authorization")},
		{"preflight with a malformed header list", anyOrigin, preflight(app, "content-type;\x7f"), 200, "",
			answered("*", "Access-Control-Request-Headers", corsDefaultHeaders)},
		{"preflight without a header list", anyOrigin, preflight(app, ""), 200, "",
			answered("*", "Access-Control-Request-Headers", corsDefaultHeaders)},
		{"preflight from an allowed origin", listed, preflight(app, sdkHeaders), 200, "",
			answered(app, "Origin, Access-Control-Request-Headers", sdkHeaders)},
		{"preflight from an allowed localhost port", listed, preflight("http://localhost:3000", sdkHeaders), 200, "",
			answered("http://localhost:3000", "Origin, Access-Control-Request-Headers", sdkHeaders)},
		{"preflight from a disallowed origin", listed, preflight(other, sdkHeaders), 403, "",
			map[string]string{"Vary": "Origin, Access-Control-Request-Headers"}},
		{"preflight from another port of an allowed host", listed, preflight("http://localhost:3001", sdkHeaders), 403, "",
			map[string]string{"Vary": "Origin, Access-Control-Request-Headers"}},
		{"OPTIONS without Origin is no preflight", anyOrigin, func() *http.Request {
			r := httptest.NewRequest(http.MethodOptions, "/", nil)
			r.Header.Set("Access-Control-Request-Method", "POST")
			return r
		}, 400, "UnknownOperationException", map[string]string{}},

		{"public operation from any origin", anyOrigin, unsigned(other, idp("InitiateAuth"), signIn), 200, "", allowed("*")},
		{"public operation from an allowed origin", listed, unsigned(app, idp("InitiateAuth"), signIn), 200, "",
			with(allowed(app), "Vary", "Origin")},
		{"public operation from a disallowed origin", listed, unsigned(other, idp("InitiateAuth"), signIn), 200, "",
			map[string]string{"Vary": "Origin"}},
		{"public operation without Origin", anyOrigin, unsigned("", idp("InitiateAuth"), signIn), 200, "", map[string]string{}},
		{"public operation's error", anyOrigin, unsigned(app, idp("InitiateAuth"), wrongPassword), 400, "NotAuthorizedException", allowed("*")},
		{"public operation's error to an allowed origin", listed, unsigned(app, idp("InitiateAuth"), wrongPassword), 400, "NotAuthorizedException",
			with(allowed(app), "Vary", "Origin")},
		{"token-authorized operation", listed, getUser(app, rb.token), 200, "", with(allowed(app), "Vary", "Origin")},
		{"token-authorized operation with a bad token", anyOrigin, getUser(app, "not-a-token"), 400, "NotAuthorizedException", allowed("*")},
		{"error before the operation is known", anyOrigin, unsigned(app, idp("NoSuchOperation"), `{}`), 400, "UnknownOperationException", allowed("*")},

		{"admin operation", anyOrigin, signed(app, idp("ListUserPools"), `{"MaxResults":10}`), 200, "", allowed("*")},
		{"admin operation from a disallowed origin", listed, signed(other, idp("ListUserPools"), `{"MaxResults":10}`), 200, "",
			map[string]string{"Vary": "Origin"}},
		{"admin operation without a signature", anyOrigin, unsigned(app, idp("ListUserPools"), `{"MaxResults":10}`), 403,
			"MissingAuthenticationTokenException", allowed("*")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			tc.h.ServeHTTP(rec, tc.req())
			if rec.Code != tc.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", rec.Code, tc.wantStatus, rec.Body)
			}
			if diff := cmp.Diff(tc.wantHeaders, corsHeadersOf(rec.Header())); diff != "" {
				t.Errorf("CORS headers (-want +got):\n%s", diff)
			}
			if rec.Header().Get("x-amzn-RequestId") == "" {
				t.Error("no x-amzn-RequestId header")
			}
			if tc.req().Method == http.MethodOptions && tc.wantType == "" {
				if rec.Body.Len() != 0 || rec.Header().Get("Content-Length") != "0" {
					t.Errorf("a preflight's answer has a body: %q (Content-Length %q)", rec.Body, rec.Header().Get("Content-Length"))
				}
				return
			}
			var we wireError
			if err := json.Unmarshal(rec.Body.Bytes(), &we); err != nil {
				t.Fatalf("body %q is not JSON: %v", rec.Body, err)
			}
			if we.Type != tc.wantType {
				t.Errorf("__type = %q, want %q (message %q)", we.Type, tc.wantType, we.Message)
			}
		})
	}
}
