package sdk

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/internal/directory"
	"github.com/cognate-dev/cognate/internal/messaging"
)

// TestUserImportQuotas runs import jobs through the SDK against Cognito's
// import quotas, the per-file one lowered to 5 users so that the test's
// files stay small: a row longer than 16,000 characters fails alone
// (the rows around it import, the failure log names it), a file of
// exactly the quota imports, and a file with one user more fails its job
// before any row is imported.
func TestUserImportQuotas(t *testing.T) {
	const maxUsers = 5
	for _, name := range backendNames {
		t.Run(name, func(t *testing.T) {
			db := migrated(t, openBackend(t, name))
			outbox := messaging.NewOutbox(messaging.OutboxOptions{Logger: slog.New(slog.DiscardHandler)})
			url := serve(t, db, directory.Options{Sender: outbox, ImportMaxUsers: maxUsers}, nil)
			e := &userEnv{env: &env{URL: url, Store: db}, outbox: outbox}
			e.c = e.env.client("us-east-1")
			ctx := context.Background()
			pool := e.importPool(t)
			hdr, err := e.c.GetCSVHeader(ctx, &cip.GetCSVHeaderInput{UserPoolId: pool})
			if err != nil {
				t.Fatal(err)
			}
			row := func(name string) map[string]string {
				return map[string]string{"cognito:username": name, "email": name + "@example.com", "email_verified": "true", "cognito:mfa_enabled": "false"}
			}
			run := func(job string, rows ...map[string]string) *types.UserImportJobType {
				t.Helper()
				created, err := e.c.CreateUserImportJob(ctx, &cip.CreateUserImportJobInput{UserPoolId: pool, JobName: aws.String(job), CloudWatchLogsRoleArn: aws.String(importRoleARN)})
				if err != nil {
					t.Fatal(err)
				}
				if code := put(t, aws.ToString(created.UserImportJob.PreSignedUrl), csvFor(hdr.CSVHeader, rows...)); code != http.StatusOK {
					t.Fatalf("upload = %d", code)
				}
				if _, err := e.c.StartUserImportJob(ctx, &cip.StartUserImportJobInput{UserPoolId: pool, JobId: created.UserImportJob.JobId}); err != nil {
					t.Fatal(err)
				}
				return e.waitJob(t, pool, created.UserImportJob.JobId)
			}
			users := func() int {
				t.Helper()
				out, err := e.c.ListUsers(ctx, &cip.ListUsersInput{UserPoolId: pool})
				if err != nil {
					t.Fatal(err)
				}
				return len(out.Users)
			}

			// Rows of 16,000 characters and of 16,001 (a custom attribute
			// makes them long: 2,048 characters at most a value, so the
			// long rows also fail the schema; the quota's message is the
			// one given).
			long := row("long")
			long["name"] = strings.Repeat("n", 16_001)
			exact := row("exact")
			used := len(strings.Join([]string{"exact", "exact@example.com", "true", "false"}, "")) + len(hdr.CSVHeader) - 1
			exact["name"] = strings.Repeat("é", 16_000-used)
			job := run("long-row", row("before"), long, exact, row("after"))
			if job.Status != types.UserImportJobStatusTypeSucceeded || job.ImportedUsers != 2 || job.FailedUsers != 2 {
				t.Fatalf("job with long rows = %s imported %d failed %d, want Succeeded 2 and 2", job.Status, job.ImportedUsers, job.FailedUsers)
			}
			code, failures := failureLog(t, e.URL, aws.ToString(pool), aws.ToString(job.JobId), true)
			if code != http.StatusOK || len(failures) != 2 {
				t.Fatalf("failure log = %d %+v", code, failures)
			}
			if f := failures[0]; f.Row != 2 || f.Username != "" || f.Message != "The row is longer than 16,000 characters, the most a row may hold." {
				t.Errorf("the 16,001-character row's failure = %+v", f)
			}
			if f := failures[1]; f.Row != 3 || f.Username != "exact" || strings.Contains(f.Message, "16,000") {
				t.Errorf("the 16,000-character row's failure = %+v, want the schema's (name is too long), not the quota's", f)
			}
			if n := users(); n != 2 {
				t.Errorf("%d users after the long rows, want 2", n)
			}

			// The quota exactly: imported.
			rows := make([]map[string]string, maxUsers)
			for i := range rows {
				rows[i] = row(fmt.Sprintf("fits%d", i))
			}
			if job := run("fits", rows...); job.Status != types.UserImportJobStatusTypeSucceeded || job.ImportedUsers != maxUsers {
				t.Fatalf("job of %d users = %s imported %d", maxUsers, job.Status, job.ImportedUsers)
			}
			// One more: the job fails, and imports nothing.
			rows = make([]map[string]string, maxUsers+1)
			for i := range rows {
				rows[i] = row(fmt.Sprintf("over%d", i))
			}
			job = run("too-many", rows...)
			if job.Status != types.UserImportJobStatusTypeFailed || job.ImportedUsers != 0 || job.FailedUsers != 0 ||
				aws.ToString(job.CompletionMessage) != "The CSV file holds more than 5 users, the most one file may hold." {
				t.Fatalf("job of %d users = %s imported %d failed %d: %q", maxUsers+1, job.Status, job.ImportedUsers, job.FailedUsers, aws.ToString(job.CompletionMessage))
			}
			if n := users(); n != 2+maxUsers {
				t.Errorf("%d users after the refused file, want %d", n, 2+maxUsers)
			}
		})
	}
}
