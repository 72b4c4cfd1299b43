package js

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/e2e/internal/sdkpatch"
	"github.com/cognate-dev/cognate/e2e/proc"
)

// TestImportedUserSRP imports, for each hashing algorithm (BCRYPT,
// ARGON2ID, SCRYPT, PBKDF2_SHA256), a user with a hash made by another
// implementation (e2e/sdk/testdata/import_hashes.json, made by
// scripts/gen-import-hashes.mjs) and signs it in with
// amazon-cognito-identity-js (import.js): SRP refused before the first
// password sign-in, which checks the imported hash, and SRP after it.
func TestImportedUserSRP(t *testing.T) {
	node := requireTool(t, "node")
	installLibrary(t)
	raw, err := os.ReadFile("../sdk/testdata/import_hashes.json")
	if err != nil {
		t.Fatal(err)
	}
	var vectors []struct{ Algorithm, Password, Hash string }
	if err := json.Unmarshal(raw, &vectors); err != nil {
		t.Fatal(err)
	}
	bin, err := proc.Build(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	srv, err := proc.Start(bin, []string{"COGNATE_ACCESS_KEY_ID=" + keyID, "COGNATE_SECRET_ACCESS_KEY=" + secret},
		"serve", "--listen", "127.0.0.1:0", "--data-dir", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Stop() })

	ctx := context.Background()
	c := cip.New(cip.Options{
		BaseEndpoint: aws.String(srv.URL), Region: "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider(keyID, secret, ""),
	})
	pool, err := c.CreateUserPool(ctx, &cip.CreateUserPoolInput{
		PoolName:               aws.String("imported"),
		AutoVerifiedAttributes: []types.VerifiedAttributeType{types.VerifiedAttributeTypeEmail},
	})
	if err != nil {
		t.Fatal(err)
	}
	client, err := c.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{
		UserPoolId: pool.UserPool.Id, ClientName: aws.String("browser"),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{
			types.ExplicitAuthFlowsTypeAllowUserSrpAuth, types.ExplicitAuthFlowsTypeAllowUserPasswordAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth,
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	hdr, err := c.GetCSVHeader(ctx, &cip.GetCSVHeaderInput{UserPoolId: pool.UserPool.Id})
	if err != nil {
		t.Fatal(err)
	}
	header := append(hdr.CSVHeader, "cognito:password_hash")
	for _, v := range vectors {
		t.Run(v.Algorithm, func(t *testing.T) {
			// One job per algorithm: a job has one PasswordHashingAlgorithm.
			username := "grace-" + strings.ToLower(strings.ReplaceAll(v.Algorithm, "_", "-"))
			row := map[string]string{"cognito:username": username, "email": username + "@example.com", "email_verified": "true",
				"cognito:mfa_enabled": "false", "cognito:password_hash": v.Hash}
			vals := make([]string, len(header))
			for i, h := range header {
				// RFC 4180 quoting: the argon2id and scrypt hashes hold commas.
				vals[i] = row[h]
				if strings.ContainsAny(vals[i], ",\"") {
					vals[i] = `"` + strings.ReplaceAll(vals[i], `"`, `""`) + `"`
				}
			}
			csv := strings.Join(header, ",") + "\n" + strings.Join(vals, ",") + "\n"
			job, err := c.CreateUserImportJob(ctx, &cip.CreateUserImportJobInput{UserPoolId: pool.UserPool.Id, JobName: aws.String("js-" + username),
				CloudWatchLogsRoleArn: aws.String("arn:aws:iam::123456789012:role/CognitoImport")}, sdkpatch.WithHashingAlgorithm(v.Algorithm))
			if err != nil {
				t.Fatal(err)
			}
			req, _ := http.NewRequest(http.MethodPut, aws.ToString(job.UserImportJob.PreSignedUrl), strings.NewReader(csv))
			resp, err := http.DefaultClient.Do(req)
			if err != nil || resp.StatusCode != http.StatusOK {
				t.Fatalf("upload: %v %v", resp, err)
			}
			resp.Body.Close()
			if _, err := c.StartUserImportJob(ctx, &cip.StartUserImportJobInput{UserPoolId: pool.UserPool.Id, JobId: job.UserImportJob.JobId}); err != nil {
				t.Fatal(err)
			}
			for i := 0; ; i++ {
				out, err := c.DescribeUserImportJob(ctx, &cip.DescribeUserImportJobInput{UserPoolId: pool.UserPool.Id, JobId: job.UserImportJob.JobId})
				if err != nil {
					t.Fatal(err)
				}
				if out.UserImportJob.Status == types.UserImportJobStatusTypeSucceeded && out.UserImportJob.ImportedUsers == 1 {
					break
				}
				if i > 300 || (out.UserImportJob.Status != types.UserImportJobStatusTypePending && out.UserImportJob.Status != types.UserImportJobStatusTypeInProgress) {
					t.Fatalf("import job = %s, %d imported", out.UserImportJob.Status, out.UserImportJob.ImportedUsers)
				}
				time.Sleep(20 * time.Millisecond)
			}

			steps, order := runScript(t, node, srv, "import.js",
				"COGNATE_ENDPOINT="+srv.URL,
				"POOL_ID="+aws.ToString(pool.UserPool.Id),
				"CLIENT_ID="+aws.ToString(client.UserPoolClient.ClientId),
				"USERNAME="+username, "PASSWORD="+v.Password)
			want := []string{"srpBeforePasswordSignIn", "userPasswordAuth", "srpAfterPasswordSignIn", "done"}
			if strings.Join(order, ",") != strings.Join(want, ",") {
				t.Fatalf("steps = %v, want %v", order, want)
			}
			if steps["userPasswordAuth"]["tokenUse"] != "access" || steps["srpAfterPasswordSignIn"]["sameSub"] != true {
				t.Fatalf("steps: %v", steps)
			}
		})
	}
}
