package sdk

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/cognate-dev/cognate/internal/directory"
	"github.com/cognate-dev/cognate/internal/messaging"
	"github.com/cognate-dev/cognate/internal/messaging/awslogtest"
)

// TestUserImportThroughS3 runs an import job whose upload URL is a
// pre-signed S3 PUT: CreateUserImportJob hands out the URL the AWS SDK's
// presigner makes for the job's object, a plain HTTP PUT uploads the CSV
// there, and the job reads it back from the bucket as a stream; the row
// that does not import is logged to CloudWatch Logs as Cognito logs it.
//
// The bucket is gofakes3, a real S3-compatible server in the process. It
// checks no signature at all, neither the SDK's Authorization header nor
// a pre-signed URL's query (nor its expiry): the test checks that the URL
// carries a SigV4 query signature for the job's key, not that a bucket
// would refuse a forged one; AWS S3 and the S3-compatible servers that
// check SigV4 do that part.
func TestUserImportThroughS3(t *testing.T) {
	for _, name := range backendNames {
		t.Run(name, func(t *testing.T) {
			backend := s3mem.New()
			if err := backend.CreateBucket("imports"); err != nil {
				t.Fatal(err)
			}
			s3srv := httptest.NewServer(gofakes3.New(backend).Server())
			t.Cleanup(s3srv.Close)
			objects, err := directory.NewS3ImportObjects(directory.S3ImportConfig{Bucket: "imports", KeyPrefix: "csv/",
				Region: "us-east-1", Endpoint: s3srv.URL, UsePathStyle: true,
				Credentials: credentials.NewStaticCredentialsProvider("AKIDIMPORTS", "imports-secret", "")})
			if err != nil {
				t.Fatal(err)
			}
			// The rows that do not import go to CloudWatch Logs (the
			// awslogtest stand-in, which checks each request's signature).
			stand := awslogtest.New(awsLogAKID, awsLogSecret)
			t.Cleanup(stand.Close)
			exporter, err := messaging.NewLogExporterWithAWS(nil, messaging.AWSLogDelivery{
				CloudWatchLogs: &messaging.AWSLogService{Region: "us-east-1", Endpoint: stand.URL, FlushInterval: 20 * time.Millisecond},
				Credentials:    credentials.NewStaticCredentialsProvider(awsLogAKID, awsLogSecret, ""),
			}, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(exporter.Close)
			db := migrated(t, openBackend(t, name))
			outbox := messaging.NewOutbox(messaging.OutboxOptions{})
			base := serve(t, db, directory.Options{Sender: outbox, ImportObjects: objects, ImportLog: exporter}, nil)
			e := &userEnv{env: &env{URL: base, Store: db}, outbox: outbox}
			e.c = e.client("us-east-1")
			ctx := context.Background()
			pool := e.importPool(t)
			hdr, err := e.c.GetCSVHeader(ctx, &cip.GetCSVHeaderInput{UserPoolId: pool})
			if err != nil {
				t.Fatal(err)
			}
			created, err := e.c.CreateUserImportJob(ctx, &cip.CreateUserImportJobInput{UserPoolId: pool, JobName: aws.String("from-s3"), CloudWatchLogsRoleArn: aws.String(importRoleARN)})
			if err != nil {
				t.Fatal(err)
			}
			job := created.UserImportJob
			key := "csv/" + *pool + "/" + aws.ToString(job.JobId) + ".csv"
			u, err := url.Parse(aws.ToString(job.PreSignedUrl))
			if err != nil {
				t.Fatal(err)
			}
			q := u.Query()
			if !strings.HasPrefix(u.String(), s3srv.URL+"/imports/"+key) || q.Get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256" ||
				q.Get("X-Amz-Signature") == "" || !strings.Contains(q.Get("X-Amz-Credential"), "/us-east-1/s3/aws4_request") || q.Get("X-Amz-Expires") == "" {
				t.Fatalf("PreSignedUrl = %s", u)
			}
			// The server's own upload URL does not take this job's file.
			if code := put(t, base+directory.ImportUploadPath+*pool+"/"+aws.ToString(job.JobId)+"?expires=9999999999&signature=00", []byte("cognito:username\n")); code != http.StatusForbidden {
				t.Errorf("PUT to the server's URL = %d, want 403", code)
			}
			_, err = e.c.StartUserImportJob(ctx, &cip.StartUserImportJobInput{UserPoolId: pool, JobId: job.JobId}, noRetry)
			wantAPIError(t, err, "PreconditionNotMetException", "")

			body := csvFor(hdr.CSVHeader,
				map[string]string{"cognito:username": "alice", "email": "alice@example.com", "email_verified": "true", "cognito:mfa_enabled": "false"},
				map[string]string{"cognito:username": "bob", "email": "bob@example.com", "email_verified": "true", "custom:team": "red", "cognito:mfa_enabled": "false"},
				map[string]string{"cognito:username": "carol", "email": "not an address", "email_verified": "true", "cognito:mfa_enabled": "false"},
			)
			if code := put(t, u.String(), body); code != http.StatusOK {
				t.Fatalf("PUT to the pre-signed S3 URL = %d", code)
			}
			if _, _, ok, err := objects.Stat(ctx, key); err != nil || !ok {
				t.Fatalf("the object is not in the bucket: %v", err)
			}
			started, err := e.c.StartUserImportJob(ctx, &cip.StartUserImportJobInput{UserPoolId: pool, JobId: job.JobId})
			if err != nil {
				t.Fatal(err)
			}
			if started.UserImportJob.Status != types.UserImportJobStatusTypePending {
				t.Errorf("Start = %s", started.UserImportJob.Status)
			}
			done := e.waitJob(t, pool, job.JobId)
			if done.Status != types.UserImportJobStatusTypeSucceeded || done.ImportedUsers != 2 || done.FailedUsers != 1 || done.PreSignedUrl != nil {
				t.Fatalf("job = %s imported %d failed %d url %v", done.Status, done.ImportedUsers, done.FailedUsers, done.PreSignedUrl)
			}
			for _, name := range []string{"alice", "bob"} {
				got, err := e.c.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: pool, Username: aws.String(name)})
				if err != nil {
					t.Fatal(err)
				}
				if got.UserStatus != types.UserStatusTypeResetRequired {
					t.Errorf("%s is %s", name, got.UserStatus)
				}
			}
			described, err := e.c.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: pool})
			if err != nil {
				t.Fatal(err)
			}
			group := "/aws/cognito/userpools/" + *pool + "/" + aws.ToString(described.UserPool.Name)
			eventually(t, "the import's CloudWatch Logs line", func() bool { return len(stand.Events(group)) == 1 })
			ev := stand.Events(group)[0]
			if ev.Stream != aws.ToString(job.JobId)+"/from-s3" || !strings.HasPrefix(ev.Message, "[FAILED] Line Number 3 - ") {
				t.Errorf("import log event = %+v", ev)
			}
			if n := stand.BadSignatures(); n != 0 {
				t.Errorf("%d requests refused for their signature", n)
			}
			// The job's file is deleted from the bucket once it is read.
			if _, _, ok, err := objects.Stat(ctx, key); err != nil || ok {
				t.Errorf("the object is still in the bucket (err %v)", err)
			}
		})
	}
}

// TestUserImportJobLimit creates Cognito's quota of import jobs in a pool,
// 1,000, and finds the next CreateUserImportJob answered
// LimitExceededException, while another pool still takes jobs.
func TestUserImportJobLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("creates 1,000 jobs")
	}
	userBackends(t, func(t *testing.T, e *userEnv) {
		ctx := context.Background()
		pool, other := e.importPool(t), e.importPool(t)
		for i := range directory.MaxImportJobsPerPool {
			if _, err := e.c.CreateUserImportJob(ctx, &cip.CreateUserImportJobInput{UserPoolId: pool, JobName: aws.String(fmt.Sprintf("job-%d", i)),
				CloudWatchLogsRoleArn: aws.String(importRoleARN)}); err != nil {
				t.Fatalf("job %d: %v", i, err)
			}
		}
		_, err := e.c.CreateUserImportJob(ctx, &cip.CreateUserImportJobInput{UserPoolId: pool, JobName: aws.String("one-too-many"),
			CloudWatchLogsRoleArn: aws.String(importRoleARN)}, noRetry)
		wantAPIError(t, err, "LimitExceededException", "")
		if _, err := e.c.CreateUserImportJob(ctx, &cip.CreateUserImportJobInput{UserPoolId: other, JobName: aws.String("elsewhere"),
			CloudWatchLogsRoleArn: aws.String(importRoleARN)}); err != nil {
			t.Errorf("another pool: %v", err)
		}
	})
}
