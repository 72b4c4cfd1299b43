package crash

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

// importRows is the size of the file the import crash test imports: enough
// batches (500 rows each) that the kill lands in the middle of the job.
const importRows = 6000

// TestKillDuringUserImport kills the server with SIGKILL while an import
// job runs, starts it again on the same data, and checks that the job goes
// on where its last committed batch ended: every row accounted for once
// (imported, or failed for its bad email), no row imported twice (a row
// tried again would be skipped as an existing user), and the pool holds
// exactly the imported users.
func TestKillDuringUserImport(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	ctx := context.Background()
	bin := buildCognate(t)
	dataDir := t.TempDir()
	cmd, url := startCognate(t, bin, dataDir)
	c := client(url)
	pool, err := c.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("import"),
		AutoVerifiedAttributes: []types.VerifiedAttributeType{types.VerifiedAttributeTypeEmail}})
	if err != nil {
		t.Fatal(err)
	}
	poolID := pool.UserPool.Id
	hdr, err := c.GetCSVHeader(ctx, &cip.GetCSVHeaderInput{UserPoolId: poolID})
	if err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	body.WriteString(strings.Join(hdr.CSVHeader, ",") + "\n")
	bad := 0
	for i := range importRows {
		email := fmt.Sprintf("user%05d@example.com", i)
		if i%1000 == 999 {
			email, bad = "not-an-email", bad+1
		}
		for j, h := range hdr.CSVHeader {
			if j > 0 {
				body.WriteByte(',')
			}
			switch h {
			case "cognito:username":
				fmt.Fprintf(&body, "user%05d", i)
			case "email":
				body.WriteString(email)
			case "email_verified":
				body.WriteString("true")
			case "cognito:mfa_enabled":
				body.WriteString("false")
			}
		}
		body.WriteByte('\n')
	}
	created, err := c.CreateUserImportJob(ctx, &cip.CreateUserImportJobInput{UserPoolId: poolID, JobName: aws.String("crash"),
		CloudWatchLogsRoleArn: aws.String("arn:aws:iam::123456789012:role/CognitoImport")})
	if err != nil {
		t.Fatal(err)
	}
	jobID := created.UserImportJob.JobId
	req, _ := http.NewRequest(http.MethodPut, aws.ToString(created.UserImportJob.PreSignedUrl), bytes.NewReader(body.Bytes()))
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("upload: %v %v", resp, err)
	}
	resp.Body.Close()
	if _, err := c.StartUserImportJob(ctx, &cip.StartUserImportJobInput{UserPoolId: poolID, JobId: jobID}); err != nil {
		t.Fatal(err)
	}
	var before *types.UserImportJobType
	for deadline := time.Now().Add(ackDeadline); ; {
		out, err := c.DescribeUserImportJob(ctx, &cip.DescribeUserImportJobInput{UserPoolId: poolID, JobId: jobID})
		if err != nil {
			t.Fatal(err)
		}
		before = out.UserImportJob
		if before.Status != types.UserImportJobStatusTypePending && before.Status != types.UserImportJobStatusTypeInProgress {
			t.Fatalf("the job ended (%s) before the kill: make the file larger", before.Status)
		}
		if before.ImportedUsers >= 1000 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the job imported nothing")
		}
		time.Sleep(2 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()

	cmd, url = startCognate(t, bin, dataDir)
	defer func() { _ = cmd.Process.Signal(syscall.SIGKILL); _ = cmd.Wait() }()
	c = client(url)
	var after *types.UserImportJobType
	for deadline := time.Now().Add(3 * ackDeadline); ; {
		out, err := c.DescribeUserImportJob(ctx, &cip.DescribeUserImportJobInput{UserPoolId: poolID, JobId: jobID})
		if err != nil {
			t.Fatal(err)
		}
		after = out.UserImportJob
		if after.Status == types.UserImportJobStatusTypeSucceeded {
			break
		}
		if after.Status != types.UserImportJobStatusTypeInProgress && after.Status != types.UserImportJobStatusTypePending {
			t.Fatalf("job after the restart = %s (%s)", after.Status, aws.ToString(after.CompletionMessage))
		}
		if time.Now().After(deadline) {
			t.Fatalf("the job did not finish after the restart: %+v", after)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("killed at %d imported; after the restart %d imported, %d skipped, %d failed", before.ImportedUsers, after.ImportedUsers, after.SkippedUsers, after.FailedUsers)
	if after.ImportedUsers != int64(importRows-bad) || after.FailedUsers != int64(bad) || after.SkippedUsers != 0 {
		t.Fatalf("counts after the restart: imported %d failed %d skipped %d; want %d, %d, 0",
			after.ImportedUsers, after.FailedUsers, after.SkippedUsers, importRows-bad, bad)
	}
	d, err := c.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: poolID})
	if err != nil {
		t.Fatal(err)
	}
	if got := d.UserPool.EstimatedNumberOfUsers; got != int32(importRows-bad) {
		t.Fatalf("the pool holds %d users, want %d", got, importRows-bad)
	}
}
