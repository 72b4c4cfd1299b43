package crash

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

// BenchmarkUserImport imports one large CSV into a real server process on
// SQLite and reports the rows imported per second (from StartUserImportJob
// to Succeeded) and the server's peak resident memory (VmHWM). It is a
// long run, not part of the suite (docs/performance.md has the command and
// the figures); COGNATE_IMPORT_BENCH_ROWS sets the rows (1,000,000 by
// default, which needs COGNATE_USER_IMPORT_MAX_USERS_PER_FILE set as
// high). The file is generated while it is uploaded, so the benchmark
// holds none of it in memory either. Run it with -benchtime 1x.
func BenchmarkUserImport(b *testing.B) {
	rows := 1_000_000
	if v := os.Getenv("COGNATE_IMPORT_BENCH_ROWS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			b.Fatalf("COGNATE_IMPORT_BENCH_ROWS=%q", v)
		}
		rows = n
	}
	// The server the benchmark starts inherits its environment: a file
	// of more users than Cognito's quota (500,000, the server's default)
	// needs COGNATE_USER_IMPORT_MAX_USERS_PER_FILE raised, or the job fails
	// before importing a row.
	limit := 500_000
	if v := os.Getenv("COGNATE_USER_IMPORT_MAX_USERS_PER_FILE"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			b.Fatalf("COGNATE_USER_IMPORT_MAX_USERS_PER_FILE=%q", v)
		}
		limit = n
	}
	if rows > limit {
		b.Fatalf("%d rows is more than the server's %d users per file: set COGNATE_USER_IMPORT_MAX_USERS_PER_FILE=%d (docs/performance.md)", rows, limit, rows)
	}
	ctx := context.Background()
	bin := buildCognate(b)
	for range b.N {
		dataDir := b.TempDir()
		s, url := startCognate(b, bin, dataDir)
		c := client(url)
		pool, err := c.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("bench"),
			AutoVerifiedAttributes: []types.VerifiedAttributeType{types.VerifiedAttributeTypeEmail}})
		if err != nil {
			b.Fatal(err)
		}
		hdr, err := c.GetCSVHeader(ctx, &cip.GetCSVHeaderInput{UserPoolId: pool.UserPool.Id})
		if err != nil {
			b.Fatal(err)
		}
		created, err := c.CreateUserImportJob(ctx, &cip.CreateUserImportJobInput{UserPoolId: pool.UserPool.Id, JobName: aws.String("bench"),
			CloudWatchLogsRoleArn: aws.String("arn:aws:iam::123456789012:role/CognitoImport")})
		if err != nil {
			b.Fatal(err)
		}
		pr, pw := io.Pipe()
		go func() { pw.CloseWithError(writeBenchCSV(pw, hdr.CSVHeader, rows)) }()
		req, _ := http.NewRequest(http.MethodPut, aws.ToString(created.UserImportJob.PreSignedUrl), pr)
		uploadStart := time.Now()
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != http.StatusOK {
			b.Fatalf("upload: %v %v", resp, err)
		}
		resp.Body.Close()
		upload := time.Since(uploadStart)
		start := time.Now()
		if _, err := c.StartUserImportJob(ctx, &cip.StartUserImportJobInput{UserPoolId: pool.UserPool.Id, JobId: created.UserImportJob.JobId}); err != nil {
			b.Fatal(err)
		}
		var job *types.UserImportJobType
		for {
			out, err := c.DescribeUserImportJob(ctx, &cip.DescribeUserImportJobInput{UserPoolId: pool.UserPool.Id, JobId: created.UserImportJob.JobId})
			if err != nil {
				b.Fatal(err)
			}
			job = out.UserImportJob
			if job.Status != types.UserImportJobStatusTypePending && job.Status != types.UserImportJobStatusTypeInProgress {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		elapsed := time.Since(start)
		if job.Status != types.UserImportJobStatusTypeSucceeded || job.ImportedUsers != int64(rows) {
			b.Fatalf("job = %s, %d imported", job.Status, job.ImportedUsers)
		}
		hwm := peakRSS(b, s.Process.Pid)
		_ = s.Process.Signal(syscall.SIGKILL)
		_ = s.Wait()
		b.ReportMetric(float64(rows)/elapsed.Seconds(), "rows/s")
		b.ReportMetric(float64(hwm)/1024, "peak_rss_MiB")
		b.ReportMetric(upload.Seconds(), "upload_s")
		b.ReportMetric(elapsed.Seconds(), "import_s")
	}
}

// writeBenchCSV writes the header and rows users with an email each.
func writeBenchCSV(w io.Writer, header []string, rows int) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.WriteString(strings.Join(header, ",") + "\n")
	for i := range rows {
		for j, h := range header {
			if j > 0 {
				bw.WriteByte(',')
			}
			switch h {
			case "cognito:username":
				fmt.Fprintf(bw, "user%07d", i)
			case "email":
				fmt.Fprintf(bw, "user%07d@example.com", i)
			case "email_verified":
				bw.WriteString("true")
			case "cognito:mfa_enabled":
				bw.WriteString("false")
			}
		}
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

// peakRSS returns the peak resident set size of process pid, in KiB.
func peakRSS(b *testing.B, pid int) int64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				b.Fatal(err)
			}
			return n
		}
	}
	b.Fatal("no VmHWM")
	return 0
}
