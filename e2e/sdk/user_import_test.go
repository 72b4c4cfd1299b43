package sdk

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/e2e/internal/sdkpatch"
	"github.com/cognate-dev/cognate/internal/directory"
)

const importRoleARN = "arn:aws:iam::123456789012:role/CognitoImport"

// importPool creates a pool that verifies email, with a custom attribute.
func (e *userEnv) importPool(t *testing.T) *string {
	return e.userPool(t, &cip.CreateUserPoolInput{
		AutoVerifiedAttributes: []types.VerifiedAttributeType{types.VerifiedAttributeTypeEmail},
		Schema:                 []types.SchemaAttributeType{{Name: aws.String("team"), AttributeDataType: types.AttributeDataTypeString, Mutable: aws.Bool(true)}},
	})
}

// csvFor writes a CSV with the pool's header and rows given by column.
func csvFor(header []string, rows ...map[string]string) []byte {
	var b bytes.Buffer
	b.WriteString(strings.Join(header, ",") + "\n")
	for _, r := range rows {
		vals := make([]string, len(header))
		for i, h := range header {
			v := r[h]
			if strings.ContainsAny(v, ",\"\n") {
				v = `"` + strings.ReplaceAll(v, `"`, `""`) + `"`
			}
			vals[i] = v
		}
		b.WriteString(strings.Join(vals, ",") + "\n")
	}
	return b.Bytes()
}

// put uploads body to a pre-signed URL as any HTTP client does.
func put(t *testing.T, u string, body []byte) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPut, u, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "text/csv")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// waitJob polls DescribeUserImportJob until the job ends.
func (e *userEnv) waitJob(t *testing.T, pool, job *string) *types.UserImportJobType {
	t.Helper()
	for range 600 {
		out, err := e.c.DescribeUserImportJob(context.Background(), &cip.DescribeUserImportJobInput{UserPoolId: pool, JobId: job})
		if err != nil {
			t.Fatal(err)
		}
		switch out.UserImportJob.Status {
		case types.UserImportJobStatusTypeSucceeded, types.UserImportJobStatusTypeFailed, types.UserImportJobStatusTypeStopped:
			return out.UserImportJob
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("the import job did not end")
	return nil
}

// failureLog reads a job's failure log, signed with the admin key as
// curl --aws-sigv4 or any SigV4 signer does.
func failureLog(t *testing.T, base, pool, job string, sign bool) (int, []directory.ImportFailure) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, base+directory.ImportUploadPath+pool+"/"+job+"/failures", nil)
	if err != nil {
		t.Fatal(err)
	}
	if sign {
		empty := sha256.Sum256(nil)
		if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: keyID, SecretAccessKey: secret},
			req, hex.EncodeToString(empty[:]), "cognito-idp", "us-east-1", time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out []directory.ImportFailure
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() && resp.StatusCode == http.StatusOK {
		var f directory.ImportFailure
		if err := json.Unmarshal(sc.Bytes(), &f); err != nil {
			t.Fatalf("failure log line %q: %v", sc.Text(), err)
		}
		out = append(out, f)
	}
	return resp.StatusCode, out
}

// TestUserImportJobs runs every import-job operation through the SDK: the
// header, a job's creation, the upload to its pre-signed URL (refused when
// altered or not a CSV), its start, rows imported, skipped and failed, the
// failure log, listing with pages, and the exceptions of each operation.
func TestUserImportJobs(t *testing.T) {
	userBackends(t, func(t *testing.T, e *userEnv) {
		ctx := context.Background()
		pool := e.importPool(t)
		hdr, err := e.c.GetCSVHeader(ctx, &cip.GetCSVHeaderInput{UserPoolId: pool})
		if err != nil {
			t.Fatal(err)
		}
		header := hdr.CSVHeader
		for _, want := range []string{"cognito:username", "cognito:mfa_enabled", "email", "email_verified", "phone_number", "custom:team"} {
			if !slices.Contains(header, want) {
				t.Errorf("CSVHeader %q lacks %s", header, want)
			}
		}
		if slices.Contains(header, "sub") || header[len(header)-1] != "cognito:username" || header[len(header)-2] != "cognito:mfa_enabled" {
			t.Errorf("CSVHeader = %q", header)
		}

		_, err = e.c.CreateUserImportJob(ctx, &cip.CreateUserImportJobInput{UserPoolId: pool, JobName: aws.String("bad"), CloudWatchLogsRoleArn: aws.String("not an arn")}, noRetry)
		wantAPIError(t, err, "InvalidParameterException", "")
		_, err = e.c.CreateUserImportJob(ctx, &cip.CreateUserImportJobInput{UserPoolId: aws.String("us-east-1_missing"), JobName: aws.String("x"), CloudWatchLogsRoleArn: aws.String(importRoleARN)}, noRetry)
		wantAPIError(t, err, "ResourceNotFoundException", "")

		created, err := e.c.CreateUserImportJob(ctx, &cip.CreateUserImportJobInput{UserPoolId: pool, JobName: aws.String("first"), CloudWatchLogsRoleArn: aws.String(importRoleARN)})
		if err != nil {
			t.Fatal(err)
		}
		job := created.UserImportJob
		if job.Status != types.UserImportJobStatusTypeCreated || !strings.HasPrefix(aws.ToString(job.JobId), "import-") ||
			aws.ToString(job.PreSignedUrl) == "" || aws.ToString(job.CloudWatchLogsRoleArn) != importRoleARN || job.CreationDate == nil {
			t.Fatalf("CreateUserImportJob = %+v", job)
		}
		_, err = e.c.StartUserImportJob(ctx, &cip.StartUserImportJobInput{UserPoolId: pool, JobId: job.JobId}, noRetry)
		wantAPIError(t, err, "PreconditionNotMetException", "")
		_, err = e.c.StopUserImportJob(ctx, &cip.StopUserImportJobInput{UserPoolId: pool, JobId: job.JobId}, noRetry)
		wantAPIError(t, err, "PreconditionNotMetException", "")

		// An existing user: its row is skipped.
		e.adminCreate(t, &cip.AdminCreateUserInput{UserPoolId: pool, Username: aws.String("existing"), MessageAction: types.MessageActionTypeSuppress})
		body := csvFor(header,
			map[string]string{"cognito:username": "alice", "email": "alice@example.com", "email_verified": "true", "custom:team": "blue", "cognito:mfa_enabled": "false"},
			map[string]string{"cognito:username": "bob", "email": "bob@example.com", "email_verified": "true", "phone_number": "+15555550100", "cognito:mfa_enabled": "true"},
			map[string]string{"cognito:username": "existing", "email": "existing@example.com", "email_verified": "true", "cognito:mfa_enabled": "false"},
			map[string]string{"cognito:username": "carol", "email": "not-an-email", "email_verified": "true", "cognito:mfa_enabled": "false"},
			map[string]string{"cognito:username": "dave", "email": "dave@example.com", "email_verified": "false", "cognito:mfa_enabled": "false"},
			map[string]string{"cognito:username": "erin", "email": "erin@example.com", "email_verified": "true", "cognito:mfa_enabled": "maybe"},
		)
		u, _ := url.Parse(aws.ToString(job.PreSignedUrl))
		q := u.Query()
		sig := q.Get("signature")
		q.Set("signature", strings.Repeat("0", len(sig)))
		u.RawQuery = q.Encode()
		if code := put(t, u.String(), body); code != http.StatusForbidden {
			t.Fatalf("upload with an altered signature = %d, want 403", code)
		}
		q.Set("signature", sig)
		q.Set("expires", fmt.Sprint(time.Now().Add(48*time.Hour).Unix()))
		u.RawQuery = q.Encode()
		if code := put(t, u.String(), body); code != http.StatusForbidden {
			t.Fatalf("upload with a longer expiry = %d, want 403", code)
		}
		if code := put(t, aws.ToString(job.PreSignedUrl), []byte("\x89PNG\r\n\x1a\n\x00\x00binary")); code != http.StatusBadRequest {
			t.Fatalf("upload of a non-CSV = %d, want 400", code)
		}
		if code := put(t, aws.ToString(job.PreSignedUrl), body); code != http.StatusOK {
			t.Fatalf("upload = %d, want 200", code)
		}

		started, err := e.c.StartUserImportJob(ctx, &cip.StartUserImportJobInput{UserPoolId: pool, JobId: job.JobId})
		if err != nil {
			t.Fatal(err)
		}
		if s := started.UserImportJob.Status; s != types.UserImportJobStatusTypePending && s != types.UserImportJobStatusTypeInProgress && s != types.UserImportJobStatusTypeSucceeded {
			t.Fatalf("StartUserImportJob status = %s", s)
		}
		if code := put(t, aws.ToString(job.PreSignedUrl), body); code != http.StatusForbidden {
			t.Fatalf("upload after the start = %d, want 403", code)
		}
		done := e.waitJob(t, pool, job.JobId)
		if done.Status != types.UserImportJobStatusTypeSucceeded || done.ImportedUsers != 2 || done.SkippedUsers != 1 || done.FailedUsers != 3 ||
			done.StartDate == nil || done.CompletionDate == nil || done.PreSignedUrl != nil {
			t.Fatalf("job = %s imported %d skipped %d failed %d (%s)", done.Status, done.ImportedUsers, done.SkippedUsers, done.FailedUsers, aws.ToString(done.CompletionMessage))
		}

		alice, err := e.c.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: pool, Username: aws.String("alice")})
		if err != nil {
			t.Fatal(err)
		}
		attrs := map[string]string{}
		for _, a := range alice.UserAttributes {
			attrs[aws.ToString(a.Name)] = aws.ToString(a.Value)
		}
		if alice.UserStatus != types.UserStatusTypeResetRequired || attrs["custom:team"] != "blue" || attrs["email_verified"] != "true" || attrs["sub"] == "" {
			t.Fatalf("imported alice = %s %v", alice.UserStatus, attrs)
		}
		bob, err := e.c.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: pool, Username: aws.String("bob")})
		if err != nil {
			t.Fatal(err)
		}
		if len(bob.MFAOptions) != 1 || bob.MFAOptions[0].DeliveryMedium != types.DeliveryMediumTypeSms {
			t.Fatalf("bob's MFAOptions = %+v", bob.MFAOptions)
		}
		if msgs := e.messagesTo(t, "alice@example.com"); len(msgs) != 0 {
			t.Fatalf("an import sent %d messages", len(msgs))
		}
		_, err = e.c.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: pool, Username: aws.String("carol")}, noRetry)
		wantAPIError(t, err, "UserNotFoundException", "")

		if code, _ := failureLog(t, e.URL, *pool, *job.JobId, false); code != http.StatusBadRequest && code != http.StatusForbidden {
			t.Fatalf("unsigned failure log = %d", code)
		}
		code, failures := failureLog(t, e.URL, *pool, *job.JobId, true)
		if code != http.StatusOK || len(failures) != 4 {
			t.Fatalf("failure log = %d %+v", code, failures)
		}
		wantRows := []struct {
			row      int64
			username string
			status   string
		}{{3, "existing", "SKIPPED"}, {4, "carol", "FAILED"}, {5, "dave", "FAILED"}, {6, "erin", "FAILED"}}
		for i, w := range wantRows {
			f := failures[i]
			if f.Row != w.row || f.Username != w.username || f.Status != w.status || f.Message == "" {
				t.Errorf("failure %d = %+v, want %+v", i, f, w)
			}
		}

		_, err = e.c.StopUserImportJob(ctx, &cip.StopUserImportJobInput{UserPoolId: pool, JobId: job.JobId}, noRetry)
		wantAPIError(t, err, "PreconditionNotMetException", "")
		_, err = e.c.DescribeUserImportJob(ctx, &cip.DescribeUserImportJobInput{UserPoolId: pool, JobId: aws.String("import-missing")}, noRetry)
		wantAPIError(t, err, "ResourceNotFoundException", "")

		second, err := e.c.CreateUserImportJob(ctx, &cip.CreateUserImportJobInput{UserPoolId: pool, JobName: aws.String("second"), CloudWatchLogsRoleArn: aws.String(importRoleARN)})
		if err != nil {
			t.Fatal(err)
		}
		var listed []string
		var token *string
		for {
			page, err := e.c.ListUserImportJobs(ctx, &cip.ListUserImportJobsInput{UserPoolId: pool, MaxResults: aws.Int32(1), PaginationToken: token})
			if err != nil {
				t.Fatal(err)
			}
			for _, j := range page.UserImportJobs {
				listed = append(listed, aws.ToString(j.JobId))
			}
			if token = page.PaginationToken; token == nil {
				break
			}
		}
		slices.Sort(listed)
		want := []string{*job.JobId, *second.UserImportJob.JobId}
		slices.Sort(want)
		if !slices.Equal(listed, want) {
			t.Fatalf("ListUserImportJobs = %v, want %v", listed, want)
		}

		// A header that is not the pool's fails the job.
		if code := put(t, aws.ToString(second.UserImportJob.PreSignedUrl), []byte("cognito:username,shoe_size\nzed,44\n")); code != http.StatusOK {
			t.Fatalf("upload = %d", code)
		}
		if _, err := e.c.StartUserImportJob(ctx, &cip.StartUserImportJobInput{UserPoolId: pool, JobId: second.UserImportJob.JobId}); err != nil {
			t.Fatal(err)
		}
		if j := e.waitJob(t, pool, second.UserImportJob.JobId); j.Status != types.UserImportJobStatusTypeFailed || aws.ToString(j.CompletionMessage) == "" {
			t.Fatalf("job with a wrong header = %s %q", j.Status, aws.ToString(j.CompletionMessage))
		}
	})
}

// TestUserImportStop stops a job before its run takes it.
func TestUserImportStop(t *testing.T) {
	userBackends(t, func(t *testing.T, e *userEnv) {
		ctx := context.Background()
		pool := e.importPool(t)
		hdr, err := e.c.GetCSVHeader(ctx, &cip.GetCSVHeaderInput{UserPoolId: pool})
		if err != nil {
			t.Fatal(err)
		}
		rows := make([]map[string]string, 3000)
		for i := range rows {
			rows[i] = map[string]string{"cognito:username": fmt.Sprintf("user%05d", i), "email": fmt.Sprintf("u%d@example.com", i), "email_verified": "true", "cognito:mfa_enabled": "false"}
		}
		created, err := e.c.CreateUserImportJob(ctx, &cip.CreateUserImportJobInput{UserPoolId: pool, JobName: aws.String("stopped"), CloudWatchLogsRoleArn: aws.String(importRoleARN)})
		if err != nil {
			t.Fatal(err)
		}
		job := created.UserImportJob
		if code := put(t, aws.ToString(job.PreSignedUrl), csvFor(hdr.CSVHeader, rows...)); code != http.StatusOK {
			t.Fatalf("upload = %d", code)
		}
		if _, err := e.c.StartUserImportJob(ctx, &cip.StartUserImportJobInput{UserPoolId: pool, JobId: job.JobId}); err != nil {
			t.Fatal(err)
		}
		stop, err := e.c.StopUserImportJob(ctx, &cip.StopUserImportJobInput{UserPoolId: pool, JobId: job.JobId}, noRetry)
		if err != nil {
			// The run may have finished the 3,000 rows already.
			wantAPIError(t, err, "PreconditionNotMetException", "")
			return
		}
		if stop.UserImportJob.Status != types.UserImportJobStatusTypeStopping {
			t.Fatalf("StopUserImportJob status = %s", stop.UserImportJob.Status)
		}
		done := e.waitJob(t, pool, job.JobId)
		if done.Status != types.UserImportJobStatusTypeStopped || done.ImportedUsers >= 3000 || done.ImportedUsers%500 != 0 {
			t.Fatalf("stopped job = %s imported %d", done.Status, done.ImportedUsers)
		}
		users, err := e.c.ListUsers(ctx, &cip.ListUsersInput{UserPoolId: pool, Limit: aws.Int32(60)})
		if err != nil {
			t.Fatal(err)
		}
		if done.ImportedUsers == 0 && len(users.Users) != 0 {
			t.Fatalf("a job stopped before its first batch left %d users", len(users.Users))
		}
	})
}

// TestUserImportPasswordHashes imports one user per hashing algorithm with
// a hash made by another implementation (scripts/gen-import-hashes.mjs:
// hash-wasm and OpenSSL), and signs each in with USER_PASSWORD_AUTH: the
// first sign-in checks the imported hash, the second the pool's own hash
// it was replaced with, and SRP works from then on.
func TestUserImportPasswordHashes(t *testing.T) {
	raw, err := os.ReadFile("testdata/import_hashes.json")
	if err != nil {
		t.Fatal(err)
	}
	var vectors []struct{ Algorithm, Password, Hash string }
	if err := json.Unmarshal(raw, &vectors); err != nil {
		t.Fatal(err)
	}
	userBackends(t, func(t *testing.T, e *userEnv) {
		ctx := context.Background()
		s := e.selfServicePool(t, &cip.CreateUserPoolInput{
			AutoVerifiedAttributes: []types.VerifiedAttributeType{types.VerifiedAttributeTypeEmail},
		}, &cip.CreateUserPoolClientInput{ExplicitAuthFlows: signInFlows})
		hdr, err := e.c.GetCSVHeader(ctx, &cip.GetCSVHeaderInput{UserPoolId: s.pool})
		if err != nil {
			t.Fatal(err)
		}
		header := append(hdr.CSVHeader, "cognito:password_hash")
		for _, v := range vectors {
			t.Run(v.Algorithm, func(t *testing.T) {
				name := strings.ToLower(v.Algorithm)
				created, err := e.c.CreateUserImportJob(ctx, &cip.CreateUserImportJobInput{UserPoolId: s.pool, JobName: aws.String(name),
					CloudWatchLogsRoleArn: aws.String(importRoleARN)}, sdkpatch.WithHashingAlgorithm(v.Algorithm))
				if err != nil {
					t.Fatal(err)
				}
				job := created.UserImportJob
				body := csvFor(header,
					map[string]string{"cognito:username": name, "email": name + "@example.com", "email_verified": "true", "cognito:mfa_enabled": "false", "cognito:password_hash": v.Hash},
					map[string]string{"cognito:username": name + "-bad", "email": name + "-bad@example.com", "email_verified": "true", "cognito:mfa_enabled": "false", "cognito:password_hash": "$not$a$hash"},
					map[string]string{"cognito:username": name + "-reset", "email": name + "-reset@example.com", "email_verified": "true", "cognito:mfa_enabled": "false"},
				)
				if code := put(t, aws.ToString(job.PreSignedUrl), body); code != http.StatusOK {
					t.Fatalf("upload = %d", code)
				}
				if _, err := e.c.StartUserImportJob(ctx, &cip.StartUserImportJobInput{UserPoolId: s.pool, JobId: job.JobId}); err != nil {
					t.Fatal(err)
				}
				if done := e.waitJob(t, s.pool, job.JobId); done.ImportedUsers != 2 || done.FailedUsers != 1 {
					t.Fatalf("job = %s imported %d failed %d", done.Status, done.ImportedUsers, done.FailedUsers)
				}
				for _, c := range []struct {
					user string
					want types.UserStatusType
				}{{name, types.UserStatusTypeConfirmed}, {name + "-reset", types.UserStatusTypeResetRequired}} {
					u, err := e.c.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: s.pool, Username: aws.String(c.user)})
					if err != nil || u.UserStatus != c.want {
						t.Fatalf("AdminGetUser %s = %v, %v; want %s", c.user, u, err, c.want)
					}
				}
				// Before any password sign-in the user has no SRP verifier.
				_, err = s.srpSignIn(t, name, v.Password)
				wantAPIError(t, err, "NotAuthorizedException", "")
				_, err = s.passwordAuth(name, v.Password+"-wrong")
				wantAPIError(t, err, "NotAuthorizedException", "Incorrect username or password.")
				out, err := s.passwordAuth(name, v.Password)
				mustTokens(t, authResult(out), err, true)
				out, err = s.passwordAuth(name, v.Password)
				mustTokens(t, authResult(out), err, true)
				res, err := s.srpSignIn(t, name, v.Password)
				if err != nil || res.AuthenticationResult == nil {
					t.Fatalf("SRP sign-in after the first password sign-in: %v", err)
				}
				_, err = s.passwordAuth(name+"-reset", v.Password)
				wantAPIError(t, err, "PasswordResetRequiredException", "")
			})
		}
	})
}

// authResult is out's AuthenticationResult, nil for a nil out.
func authResult(out *cip.InitiateAuthOutput) *types.AuthenticationResultType {
	if out == nil {
		return nil
	}
	return out.AuthenticationResult
}
