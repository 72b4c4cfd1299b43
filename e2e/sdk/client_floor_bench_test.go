package sdk

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/cognate-dev/cognate/internal/cputime"
)

// BenchmarkClientFloor measures the AWS SDK for Go v2 client's own cost of
// one AdminGetUser and one GetUser: the same client the end-to-end
// benchmarks use (BenchmarkAdminGetUser, BenchmarkSignInGetUser), against
// an httptest server that reads each request and answers a canned, valid
// response of the size cognate gives, with nothing behind it. What it
// reports is the floor of any server measured through the SDK on the same
// machine: building, serializing and signing the request (SigV4 for
// AdminGetUser; GetUser is unsigned), the loopback HTTP round trip, and
// deserializing the answer, plus the canned server's small share of
// net/http. The http case is that round trip alone: the same AdminGetUser
// request posted by a bare net/http client, without the SDK.
//
// cpu-ns/op is the process's CPU time per call, client and canned server
// together; on a machine shared with other work it varies less than ns/op.
func BenchmarkClientFloor(b *testing.B) {
	url := serveCanned(b)
	e := &env{URL: url}
	c := e.client("us-east-1")
	ctx := context.Background()

	b.Run("AdminGetUser", func(b *testing.B) {
		in := &cip.AdminGetUserInput{UserPoolId: aws.String(cannedPool), Username: aws.String("bench-user")}
		b.ReportAllocs()
		start, _ := cputime.Process()
		for b.Loop() {
			out, err := c.AdminGetUser(ctx, in)
			if err != nil {
				b.Fatal(err)
			}
			if aws.ToString(out.Username) != "bench-user" || len(out.UserAttributes) != 3 {
				b.Fatalf("AdminGetUser answered %+v", out)
			}
		}
		cputime.Report(b, start, b.N)
	})
	b.Run("GetUser", func(b *testing.B) {
		in := &cip.GetUserInput{AccessToken: aws.String(cannedAccessToken)}
		b.ReportAllocs()
		start, _ := cputime.Process()
		for b.Loop() {
			out, err := c.GetUser(ctx, in)
			if err != nil {
				b.Fatal(err)
			}
			if aws.ToString(out.Username) != "bench-user" || len(out.UserAttributes) != 3 {
				b.Fatalf("GetUser answered %+v", out)
			}
		}
		cputime.Report(b, start, b.N)
	})
	b.Run("http", func(b *testing.B) {
		body := []byte(`{"UserPoolId":"` + cannedPool + `","Username":"bench-user"}`)
		hc := &http.Client{}
		b.ReportAllocs()
		start, _ := cputime.Process()
		for b.Loop() {
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
			if err != nil {
				b.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/x-amz-json-1.1")
			req.Header.Set("X-Amz-Target", "AWSCognitoIdentityProviderService.AdminGetUser")
			resp, err := hc.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			n, err := io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if err != nil || resp.StatusCode != http.StatusOK || n != int64(len(cannedAdminGetUser)) {
				b.Fatalf("answer %d, %d bytes, %v", resp.StatusCode, n, err)
			}
		}
		cputime.Report(b, start, b.N)
	})
}

// cannedPool is the pool the canned answers are about.
const cannedPool = "us-east-1_bEnCh0001"

// cannedAccessToken stands for an access token: an RS256 JWT of the size
// cognate mints (the canned server does not look at it).
var cannedAccessToken = "eyJraWQiOiJ" + string(bytes.Repeat([]byte("A"), 90)) + "." +
	string(bytes.Repeat([]byte("B"), 560)) + "." + string(bytes.Repeat([]byte("C"), 342))

// The canned answers, as cognate answers them for a user with an email
// address and a name.
const (
	cannedUserAttributes = `[{"Name":"sub","Value":"465c1205-ef1e-470a-818c-cb15fdd3e3b4"},` +
		`{"Name":"email","Value":"bench-user@example.com"},{"Name":"name","Value":"Bench"}]`
	cannedGetUser      = `{"Username":"bench-user","UserAttributes":` + cannedUserAttributes + `}`
	cannedAdminGetUser = `{"Username":"bench-user","UserAttributes":` + cannedUserAttributes +
		`,"UserCreateDate":1795654070.367,"UserLastModifiedDate":1795654070.42,"Enabled":true,"UserStatus":"CONFIRMED"}`
)

// serveCanned serves the canned answers by X-Amz-Target and returns the
// server's URL.
func serveCanned(tb testing.TB) string {
	tb.Helper()
	answers := map[string][]byte{
		"AWSCognitoIdentityProviderService.AdminGetUser": []byte(cannedAdminGetUser),
		"AWSCognitoIdentityProviderService.GetUser":      []byte(cannedGetUser),
	}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		answer, ok := answers[r.Header.Get("X-Amz-Target")]
		if !ok {
			http.Error(w, "unknown target", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.Header().Set("X-Amzn-Requestid", "e39414f8-c535-4ef6-9086-9da6fcbba956")
		_, _ = w.Write(answer)
	}))
	tb.Cleanup(ts.Close)
	return ts.URL
}
