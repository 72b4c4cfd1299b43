package directory

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/password"
	"github.com/cognate-dev/cognate/internal/seal"
	"github.com/cognate-dev/cognate/internal/storage"
	"github.com/cognate-dev/cognate/internal/userpool"
)

// User import jobs (CreateUserImportJob and the operations around it,
// docs/import.md). A job is an item of its own; the CSV uploaded to its
// pre-signed URL is kept in the store in chunks (items too, so that every
// node of a cluster reads it and DeleteUserPool deletes it); each row that
// fails is kept as an item the failure log serves. All three kinds are
// local: the users a job creates replicate like any other user, the job
// itself runs in the region that holds it.
const (
	kindImportJob     = "user_import_job"
	kindImportCSV     = "user_import_csv"
	kindImportFailure = "user_import_failure"
)

func init() {
	for _, k := range []string{kindImportJob, kindImportCSV, kindImportFailure} {
		storage.DeclareKind(k, storage.Local)
	}
}

// KeyLabelImport is the label the user-import key is derived from the
// master encryption key with (seal.DeriveKey): it seals imported password
// hashes and signs the upload URLs.
const KeyLabelImport = "user-import"

// ImportUploadPath is the path under which the pre-signed upload URLs of
// import jobs live: PUT <base>/_cognate/user-import/<pool>/<job>?...
const ImportUploadPath = "/_cognate/user-import/"

// Defaults of the import options.
const (
	DefaultImportMaxCSVBytes = 100 << 20
	// DefaultImportMaxUsers is Cognito's quota of users per import file
	// (500,000): a file with more fails its job before any row is
	// imported.
	DefaultImportMaxUsers = 500_000
	// MaxImportRowChars is Cognito's quota of characters per CSV row
	// (16,000): a longer row fails, alone.
	MaxImportRowChars        = 16_000
	DefaultImportURLValidity = time.Hour
	// MaxImportJobsPerPool is Cognito's quota "User import jobs per user
	// pool" (1,000): CreateUserImportJob answers LimitExceededException
	// when the pool already has that many jobs, whatever their status. A
	// job goes only with its pool, as in Cognito, which never deletes one.
	MaxImportJobsPerPool = 1000
	// importJobLifetime is how long a job may wait to be started: after it
	// a Created job is Expired.
	importJobLifetime = 24 * time.Hour
	// importChunkBytes is the size of the chunks the CSV is stored in.
	importChunkBytes = 1 << 20
	// importBatchRows is how many rows one transaction imports, with the
	// job's progress.
	importBatchRows = 500
)

// Column names of the CSV that are not attributes.
const (
	csvUsername     = "cognito:username"
	csvMFAEnabled   = "cognito:mfa_enabled"
	csvPasswordHash = "cognito:password_hash"
)

// Completion messages of a job.
const (
	importSucceeded = "Import Job Completed Successfully."
	importStopped   = "The Import Job was stopped by the user."
	importExpired   = "The Import Job expired before it was started."
)

// importJob is a stored import job (item kind user_import_job, ID the
// JobId). JSON names are part of the stored format.
type importJob struct {
	JobID     string `json:"job_id"`
	JobName   string `json:"job_name"`
	PoolID    string `json:"pool_id"`
	Region    string `json:"region"`
	RoleARN   string `json:"role_arn"`
	Algorithm string `json:"algorithm,omitempty"`
	Status    string `json:"status"`

	CreatedAt   time.Time  `json:"created_at"`
	StartedAt   *time.Time `json:"started_at,omitempty"`
	CompletedAt *time.Time `json:"completed_at,omitempty"`
	Message     string     `json:"message,omitempty"`

	Imported int64 `json:"imported"`
	Skipped  int64 `json:"skipped"`
	Failed   int64 `json:"failed"`

	// Upload is the ID of the CSV upload the job imports ("" before one
	// completed), Chunks how many chunks it has, Bytes its size.
	Upload string `json:"upload,omitempty"`
	Chunks int    `json:"chunks,omitempty"`
	Bytes  int64  `json:"bytes,omitempty"`
	// ObjectKey is the key of the job's CSV in the S3-compatible bucket
	// of user_import.s3 ("" when the server's own URL takes it), ETag the
	// entity tag of the object the job was started with: the run reads
	// only that version.
	ObjectKey string `json:"object_key,omitempty"`
	ETag      string `json:"etag,omitempty"`
	// NextRow is how many data rows (after the header) the job has
	// consumed: it is written in the transaction that imports them, so a
	// restarted job goes on after it and never imports a row twice.
	NextRow int64 `json:"next_row"`
	// Runner names the run that owns the job; a run whose name is no
	// longer there stops before it writes.
	Runner string `json:"runner,omitempty"`
}

// importFailure is one row that did not import (item kind
// user_import_failure, ID "<job>/<row, 12 digits>").
type importFailure struct {
	Row      int64  `json:"row"`
	Username string `json:"username,omitempty"`
	Skipped  bool   `json:"skipped,omitempty"`
	Message  string `json:"message"`
}

// active statuses are those of a job a run has yet to finish.
func activeImport(status string) bool {
	switch idp.UserImportJobStatusType(status) {
	case idp.UserImportJobStatusTypePending, idp.UserImportJobStatusTypeInProgress, idp.UserImportJobStatusTypeStopping:
		return true
	}
	return false
}

const importActiveIndex = "user-import-active/"

func importJobItem(j *importJob, version int64, now time.Time) (*storage.Item, error) {
	b, err := json.Marshal(j)
	if err != nil {
		return nil, cognito.Internal(err)
	}
	it := &storage.Item{Kind: kindImportJob, ID: j.JobID, Pool: j.PoolID, Data: b, CreatedAt: j.CreatedAt, UpdatedAt: now, Version: version}
	if activeImport(j.Status) {
		it.Index = []string{importActiveIndex + j.JobID}
	}
	return it, nil
}

func decodeImportJob(it *storage.Item) (*importJob, error) {
	var j importJob
	if err := json.Unmarshal(it.Data, &j); err != nil {
		return nil, cognito.Internal(fmt.Errorf("decode import job %q: %w", it.ID, err))
	}
	return &j, nil
}

// importKeys are the keys of the import jobs: the sealer of imported
// password hashes and the key of the upload URLs' MACs.
type importKeys struct {
	hashes *seal.Sealer
	url    []byte
}

func newImportKeys(k seal.Keys) (importKeys, error) {
	if len(k.Current) == 0 {
		k.Current = make([]byte, seal.KeySize)
		rand.Read(k.Current) // crypto/rand.Read never fails
	}
	s, err := k.Derive("hashes").Sealer()
	if err != nil {
		return importKeys{}, err
	}
	return importKeys{hashes: s, url: seal.DeriveKey(k.Current, "upload-url")}, nil
}

const purposeImportedHash = "imported-password-hash"

// sealImportedHash seals an imported hash for the user sub of pool, with
// its algorithm.
func (k importKeys) sealImportedHash(pool, sub, algorithm, encoded string) string {
	return k.hashes.SealString(purposeImportedHash+"/"+pool+"/"+sub, []byte(algorithm+"\x00"+encoded))
}

func (k importKeys) openImportedHash(pool, sub, sealed string) (*password.Imported, error) {
	b, err := k.hashes.OpenString(purposeImportedHash+"/"+pool+"/"+sub, sealed)
	if err != nil {
		return nil, err
	}
	alg, enc, ok := strings.Cut(string(b), "\x00")
	if !ok {
		return nil, password.ErrImportedHash
	}
	return password.ParseImported(alg, enc)
}

// uploadMAC is the MAC of an upload URL for job of pool valid until
// expires (Unix seconds).
func (k importKeys) uploadMAC(pool, job string, expires int64) []byte {
	m := hmac.New(sha256.New, k.url)
	fmt.Fprintf(m, "PUT\n%s\n%s\n%d", pool, job, expires)
	return m.Sum(nil)
}

// preSignedURL is the job's upload URL, valid until the earlier of the
// URL validity and the job's lifetime.
func (s *Service) preSignedURL(j *importJob) string {
	exp := s.now().Add(s.importURLValidity)
	if end := j.CreatedAt.Add(importJobLifetime); end.Before(exp) {
		exp = end
	}
	if j.ObjectKey != "" && s.importObjects != nil {
		u, err := s.importObjects.PresignPut(context.Background(), j.ObjectKey, exp)
		if err != nil {
			s.log.Warn("presign import upload", "job", j.JobID, "error", err.Error())
			return ""
		}
		return u
	}
	e := exp.Unix()
	q := url.Values{"expires": {strconv.FormatInt(e, 10)}, "signature": {hex.EncodeToString(s.importKeys.uploadMAC(j.PoolID, j.JobID, e))}}
	return s.issuerBase + ImportUploadPath + url.PathEscape(j.PoolID) + "/" + url.PathEscape(j.JobID) + "?" + q.Encode()
}

// jobType is the wire form of j; url is its PreSignedUrl ("" for none).
func (s *Service) jobType(j *importJob, withURL bool) *idp.UserImportJobType {
	status := j.Status
	if status == string(idp.UserImportJobStatusTypeCreated) && s.now().After(j.CreatedAt.Add(importJobLifetime)) {
		status = string(idp.UserImportJobStatusTypeExpired)
	}
	st := idp.UserImportJobStatusType(status)
	out := &idp.UserImportJobType{
		JobName: cognito.Ptr(j.JobName), JobId: cognito.Ptr(j.JobID), UserPoolId: cognito.Ptr(j.PoolID),
		CreationDate: &cognito.Timestamp{Time: j.CreatedAt}, Status: &st,
		CloudWatchLogsRoleArn: cognito.Ptr(j.RoleARN),
		ImportedUsers:         cognito.Ptr(j.Imported), SkippedUsers: cognito.Ptr(j.Skipped), FailedUsers: cognito.Ptr(j.Failed),
	}
	if withURL && status == string(idp.UserImportJobStatusTypeCreated) {
		if u := s.preSignedURL(j); u != "" {
			out.PreSignedUrl = cognito.Ptr(u)
		}
	}
	if j.StartedAt != nil {
		out.StartDate = &cognito.Timestamp{Time: *j.StartedAt}
	}
	if j.CompletedAt != nil {
		out.CompletionDate = &cognito.Timestamp{Time: *j.CompletedAt}
	}
	if status == string(idp.UserImportJobStatusTypeExpired) {
		out.CompletionMessage = cognito.Ptr(importExpired)
	} else if j.Message != "" {
		out.CompletionMessage = cognito.Ptr(j.Message)
	}
	if j.Algorithm != "" {
		out.PasswordHashingAlgorithm = cognito.Ptr(idp.PasswordHashingAlgorithmType(j.Algorithm))
	}
	return out
}

// csvHeader is GetCSVHeader's list for p: every attribute of the schema
// but sub and identities, in schema order, then cognito:mfa_enabled and
// cognito:username.
func csvHeader(p *idp.UserPoolType) []string {
	var out []string
	for _, a := range p.SchemaAttributes {
		n := cognito.Deref(a.Name)
		if n == "sub" || n == "identities" || n == "" {
			continue
		}
		if cognito.Deref(a.DeveloperOnlyAttribute) || strings.HasPrefix(n, "dev:") {
			continue
		}
		out = append(out, n)
	}
	return append(out, csvMFAEnabled, csvUsername)
}

// GetCSVHeader returns the header of the pool's import CSV.
func (s *Service) GetCSVHeader(ctx context.Context, c cognito.Caller, in *idp.GetCSVHeaderRequest) (*idp.GetCSVHeaderResponse, error) {
	p, err := s.pools.ReadPool(ctx, c, cognito.Deref(in.UserPoolId))
	if err != nil {
		return nil, err
	}
	return &idp.GetCSVHeaderResponse{UserPoolId: p.Id, CSVHeader: csvHeader(p)}, nil
}

// newImportJobID returns a JobId: import- and ten random alphanumerics,
// the form Cognito's have.
func newImportJobID() string {
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	b := make([]byte, 10)
	rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return "import-" + string(b)
}

// CreateUserImportJob creates a job in status Created and hands back the
// URL its CSV is uploaded to.
func (s *Service) CreateUserImportJob(ctx context.Context, c cognito.Caller, in *idp.CreateUserImportJobRequest) (*idp.CreateUserImportJobResponse, error) {
	p, err := s.pools.ReadPool(ctx, c, cognito.Deref(in.UserPoolId))
	if err != nil {
		return nil, err
	}
	now := s.now()
	j := &importJob{
		JobID: newImportJobID(), JobName: cognito.Deref(in.JobName), PoolID: cognito.Deref(p.Id), Region: c.Region,
		RoleARN: cognito.Deref(in.CloudWatchLogsRoleArn), Algorithm: string(cognito.Deref(in.PasswordHashingAlgorithm)),
		Status: string(idp.UserImportJobStatusTypeCreated), CreatedAt: now,
	}
	if s.importObjects != nil {
		j.ObjectKey = s.importObjects.Key(j.PoolID, j.JobID)
	}
	it, err := importJobItem(j, 0, now)
	if err != nil {
		return nil, err
	}
	err = s.runTx(ctx, func(tx storage.Tx) error {
		// Reading the pool in the transaction holds its row, so two
		// creations at once cannot both take the last place.
		if _, err := tx.GetUserPool(ctx, j.PoolID); err != nil {
			return err
		}
		n, err := tx.CountItems(ctx, kindImportJob, j.PoolID)
		if err != nil {
			return fmt.Errorf("count import jobs: %w", err)
		}
		if n >= MaxImportJobsPerPool {
			return cognito.LimitExceededException(fmt.Sprintf("A user pool can have at most %d user import jobs.", MaxImportJobsPerPool))
		}
		return tx.CreateItem(ctx, it)
	})
	if err != nil {
		return nil, err
	}
	return &idp.CreateUserImportJobResponse{UserImportJob: s.jobType(j, true)}, nil
}

// readImportJob reads the job id of the pool the caller names.
func (s *Service) readImportJob(ctx context.Context, r storage.ItemReader, c cognito.Caller, poolID, id string) (*storage.Item, *importJob, error) {
	p, err := s.pools.ReadPool(ctx, c, poolID)
	if err != nil {
		return nil, nil, err
	}
	it, err := r.GetItem(ctx, kindImportJob, id)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && it.Pool != cognito.Deref(p.Id)) {
		return nil, nil, cognito.ResourceNotFoundException("Import job " + id + " does not exist.")
	}
	if err != nil {
		return nil, nil, cognito.Internal(err)
	}
	j, err := decodeImportJob(it)
	return it, j, err
}

// DescribeUserImportJob returns a job with its status and counts.
func (s *Service) DescribeUserImportJob(ctx context.Context, c cognito.Caller, in *idp.DescribeUserImportJobRequest) (*idp.DescribeUserImportJobResponse, error) {
	_, j, err := s.readImportJob(ctx, s.store, c, cognito.Deref(in.UserPoolId), cognito.Deref(in.JobId))
	if err != nil {
		return nil, err
	}
	return &idp.DescribeUserImportJobResponse{UserImportJob: s.jobType(j, true)}, nil
}

// ListUserImportJobs lists a pool's jobs by JobId, MaxResults a page.
func (s *Service) ListUserImportJobs(ctx context.Context, c cognito.Caller, in *idp.ListUserImportJobsRequest) (*idp.ListUserImportJobsResponse, error) {
	p, err := s.pools.ReadPool(ctx, c, cognito.Deref(in.UserPoolId))
	if err != nil {
		return nil, err
	}
	poolID := cognito.Deref(p.Id)
	items, next, err := s.pages.ListItemsPage(ctx, kindImportJob, poolID, "ListUserImportJobs/"+poolID, in.PaginationToken, userpool.PageLimit(in.MaxResults))
	if err != nil {
		return nil, err
	}
	out := &idp.ListUserImportJobsResponse{}
	for _, it := range items {
		j, err := decodeImportJob(it)
		if err != nil {
			return nil, err
		}
		out.UserImportJobs = append(out.UserImportJobs, *s.jobType(j, true))
	}
	if next != "" {
		out.PaginationToken = &next
	}
	return out, nil
}

// updateImportJob runs mutate on the job the caller names in one
// transaction and stores the result.
func (s *Service) updateImportJob(ctx context.Context, c cognito.Caller, poolID, id string, mutate func(j *importJob, now time.Time) error) (*importJob, error) {
	var out *importJob
	err := s.runTx(ctx, func(tx storage.Tx) error {
		it, j, err := s.readImportJob(ctx, tx, c, poolID, id)
		if err != nil {
			return err
		}
		now := s.now()
		if err := mutate(j, now); err != nil {
			return err
		}
		next, err := importJobItem(j, it.Version, now)
		if err != nil {
			return err
		}
		out = j
		return tx.UpdateItem(ctx, next)
	})
	return out, err
}

// StartUserImportJob starts a Created job whose CSV was uploaded: it is
// Pending until a run takes it, in the background.
func (s *Service) StartUserImportJob(ctx context.Context, c cognito.Caller, in *idp.StartUserImportJobRequest) (*idp.StartUserImportJobResponse, error) {
	p, err := s.pools.ReadPool(ctx, c, cognito.Deref(in.UserPoolId))
	if err != nil {
		return nil, err
	}
	if len(p.AutoVerifiedAttributes) == 0 {
		return nil, cognito.PreconditionNotMetException("User pool has no auto verified attributes; import jobs require at least one.")
	}
	// A job uploading to the bucket: its object, read before the
	// transaction (a call to the bucket).
	var object struct {
		size int64
		etag string
		ok   bool
	}
	_, pre, err := s.readImportJob(ctx, s.store, c, cognito.Deref(in.UserPoolId), cognito.Deref(in.JobId))
	if err != nil {
		return nil, err
	}
	if pre.ObjectKey != "" && pre.Status == string(idp.UserImportJobStatusTypeCreated) {
		if s.importObjects == nil {
			return nil, cognito.Internal(fmt.Errorf("import job %s uploads to a bucket, and user_import.s3 is not configured", pre.JobID))
		}
		object.size, object.etag, object.ok, err = s.importObjects.Stat(ctx, pre.ObjectKey)
		if err != nil {
			return nil, cognito.Internal(err)
		}
		if object.ok && object.size > s.importMaxBytes {
			return nil, cognito.PreconditionNotMetException(fmt.Sprintf("The CSV file of import job %s is larger than %d bytes.", pre.JobID, s.importMaxBytes))
		}
	}
	j, err := s.updateImportJob(ctx, c, cognito.Deref(in.UserPoolId), cognito.Deref(in.JobId), func(j *importJob, now time.Time) error {
		if j.ObjectKey != "" && object.ok {
			j.Upload, j.Bytes, j.ETag = "s3", object.size, object.etag
		}
		if j.Status != string(idp.UserImportJobStatusTypeCreated) {
			return cognito.PreconditionNotMetException("Import job " + j.JobID + " is " + j.Status + "; only a Created job can be started.")
		}
		if now.After(j.CreatedAt.Add(importJobLifetime)) {
			return cognito.PreconditionNotMetException("Import job " + j.JobID + " has expired.")
		}
		if j.Upload == "" {
			return cognito.PreconditionNotMetException("No CSV file was uploaded for import job " + j.JobID + ".")
		}
		j.Status = string(idp.UserImportJobStatusTypePending)
		j.StartedAt = &now
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.launchImport(j.JobID)
	return &idp.StartUserImportJobResponse{UserImportJob: s.jobType(j, false)}, nil
}

// StopUserImportJob stops a Pending or InProgress job: it is Stopping
// until its run reaches the end of the batch it is importing, then
// Stopped.
func (s *Service) StopUserImportJob(ctx context.Context, c cognito.Caller, in *idp.StopUserImportJobRequest) (*idp.StopUserImportJobResponse, error) {
	j, err := s.updateImportJob(ctx, c, cognito.Deref(in.UserPoolId), cognito.Deref(in.JobId), func(j *importJob, now time.Time) error {
		switch idp.UserImportJobStatusType(j.Status) {
		case idp.UserImportJobStatusTypePending, idp.UserImportJobStatusTypeInProgress:
			j.Status = string(idp.UserImportJobStatusTypeStopping)
			return nil
		}
		return cognito.PreconditionNotMetException("Import job " + j.JobID + " is " + j.Status + "; only a Pending or InProgress job can be stopped.")
	})
	if err != nil {
		return nil, err
	}
	s.launchImport(j.JobID) // a job no run holds (after a crash) stops now
	return &idp.StopUserImportJobResponse{UserImportJob: s.jobType(j, false)}, nil
}

// ImportFailure is one row of a job's failure log.
type ImportFailure struct {
	Row      int64  `json:"row"`
	Username string `json:"username,omitempty"`
	Status   string `json:"status"` // FAILED or SKIPPED
	Message  string `json:"message"`
}

// ImportFailures returns up to limit rows of the failure log of a job after
// the row after (0 for the first), in row order. The caller is an
// administrator of the job's region.
func (s *Service) ImportFailures(ctx context.Context, c cognito.Caller, poolID, jobID string, after int64, limit int) ([]ImportFailure, error) {
	if _, _, err := s.readImportJob(ctx, s.store, c, poolID, jobID); err != nil {
		return nil, err
	}
	items, err := s.store.ListItems(ctx, storage.ListItemsInput{Kind: kindImportFailure, Pool: poolID, AfterID: failureID(jobID, after), Limit: limit})
	if err != nil {
		return nil, cognito.Internal(err)
	}
	var out []ImportFailure
	for _, it := range items {
		if !strings.HasPrefix(it.ID, jobID+"/") {
			break
		}
		var f importFailure
		if err := json.Unmarshal(it.Data, &f); err != nil {
			return nil, cognito.Internal(err)
		}
		st := "FAILED"
		if f.Skipped {
			st = "SKIPPED"
		}
		out = append(out, ImportFailure{Row: f.Row, Username: f.Username, Status: st, Message: f.Message})
	}
	return out, nil
}

func failureID(job string, row int64) string { return fmt.Sprintf("%s/%012d", job, row) }

func chunkID(job, upload string, n int) string { return fmt.Sprintf("%s/%s/%06d", job, upload, n) }

// ErrUploadRefused is the cause of every refused upload: the URL's
// signature, expiry, job or state, which the edge answers 403 without
// telling which.
var ErrUploadRefused = errors.New("upload refused")

// ErrUploadTooLarge is the error of an upload beyond the size limit.
var ErrUploadTooLarge = errors.New("upload too large")

// ErrUploadNotCSV is the error of an upload whose first line is not a CSV
// header.
var ErrUploadNotCSV = errors.New("upload is not a CSV file")

// UploadImportCSV stores body as the CSV of the job, when the URL's
// expires and signature (hex) are the ones preSignedURL made for it, it has
// not expired, and the job is still Created. The body is streamed into the
// store in chunks; the job takes the upload in one last transaction, which
// also deletes any earlier upload's chunks, so a job has either its old
// CSV or all of the new one.
func (s *Service) UploadImportCSV(ctx context.Context, poolID, jobID, expires, signature string, body io.Reader) error {
	if err := s.CheckImportUpload(ctx, poolID, jobID, expires, signature); err != nil {
		return err
	}
	upload := userpool.NewUUID()
	var (
		total  int64
		chunks int
		buf    = make([]byte, importChunkBytes)
	)
	for {
		n, rerr := io.ReadFull(body, buf)
		if n > 0 {
			if chunks == 0 && !looksLikeCSVHeader(buf[:n]) {
				s.dropUpload(ctx, poolID, jobID, upload, chunks)
				return ErrUploadNotCSV
			}
			total += int64(n)
			if total > s.importMaxBytes {
				s.dropUpload(ctx, poolID, jobID, upload, chunks)
				return ErrUploadTooLarge
			}
			data, _ := json.Marshal(buf[:n]) // base64 in a JSON string
			now := s.now()
			ci := &storage.Item{Kind: kindImportCSV, ID: chunkID(jobID, upload, chunks), Pool: poolID, Data: data, CreatedAt: now, UpdatedAt: now}
			if err := s.runTx(ctx, func(tx storage.Tx) error { return tx.CreateItem(ctx, ci) }); err != nil {
				s.dropUpload(ctx, poolID, jobID, upload, chunks)
				return err
			}
			chunks++
		}
		if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
			break
		}
		if rerr != nil {
			s.dropUpload(ctx, poolID, jobID, upload, chunks)
			if errors.Is(rerr, ErrUploadTooLarge) {
				return rerr
			}
			return fmt.Errorf("read upload: %w", rerr)
		}
	}
	if chunks == 0 {
		return ErrUploadNotCSV
	}
	err := s.runTx(ctx, func(tx storage.Tx) error {
		it, err := tx.GetItem(ctx, kindImportJob, jobID)
		if err != nil {
			return err
		}
		j, err := decodeImportJob(it)
		if err != nil {
			return err
		}
		if j.Status != string(idp.UserImportJobStatusTypeCreated) {
			return ErrUploadRefused
		}
		if j.Upload != "" {
			for n := 0; n < j.Chunks; n++ {
				if err := tx.DeleteItem(ctx, kindImportCSV, chunkID(jobID, j.Upload, n), 1); err != nil && !errors.Is(err, storage.ErrNotFound) {
					return err
				}
			}
		}
		j.Upload, j.Chunks, j.Bytes = upload, chunks, total
		next, err := importJobItem(j, it.Version, s.now())
		if err != nil {
			return err
		}
		return tx.UpdateItem(ctx, next)
	})
	if err != nil {
		s.dropUpload(ctx, poolID, jobID, upload, chunks)
		if errors.Is(err, ErrUploadRefused) {
			return ErrUploadRefused
		}
	}
	return err
}

// CheckImportUpload returns ErrUploadRefused unless expires and signature
// (hex) are the ones preSignedURL made for the job, the URL has not
// expired, and the job still takes a file (Created).
func (s *Service) CheckImportUpload(ctx context.Context, poolID, jobID, expires, signature string) error {
	e, err := strconv.ParseInt(expires, 10, 64)
	if err != nil {
		return ErrUploadRefused
	}
	mac, err := hex.DecodeString(signature)
	if err != nil || !hmac.Equal(mac, s.importKeys.uploadMAC(poolID, jobID, e)) {
		return ErrUploadRefused
	}
	if s.now().Unix() > e {
		return ErrUploadRefused
	}
	it, err := s.store.GetItem(ctx, kindImportJob, jobID)
	if err != nil || it.Pool != poolID {
		return ErrUploadRefused
	}
	j, err := decodeImportJob(it)
	if err != nil || j.Status != string(idp.UserImportJobStatusTypeCreated) || j.ObjectKey != "" {
		return ErrUploadRefused
	}
	return nil
}

// looksLikeCSVHeader reports whether b starts with a line that could be
// the header of an import CSV: printable text naming cognito:username.
func looksLikeCSVHeader(b []byte) bool {
	line, _, _ := strings.Cut(string(b), "\n")
	if strings.ContainsRune(line, 0) || !strings.Contains(line, csvUsername) {
		return false
	}
	for _, r := range line {
		if r == '\uFFFD' {
			return false
		}
	}
	return true
}

// dropUpload deletes the chunks of an upload that did not complete.
func (s *Service) dropUpload(ctx context.Context, poolID, jobID, upload string, chunks int) {
	// The chunks go even when the request that wrote them was cancelled.
	ctx = context.WithoutCancel(ctx)
	for n := 0; n < chunks; n++ {
		err := s.runTx(ctx, func(tx storage.Tx) error {
			return tx.DeleteItem(ctx, kindImportCSV, chunkID(jobID, upload, n), 1)
		})
		if err != nil && !errors.Is(err, storage.ErrNotFound) {
			s.log.Warn("delete chunk of an incomplete upload", "pool", poolID, "job", jobID, "error", err)
		}
	}
}

// csvReader reads the chunks of a job's upload in order, one at a time.
type csvReader struct {
	ctx     context.Context
	r       storage.ItemReader
	job     string
	upload  string
	chunks  int
	next    int
	current []byte
}

func (c *csvReader) Read(p []byte) (int, error) {
	for len(c.current) == 0 {
		if c.next >= c.chunks {
			return 0, io.EOF
		}
		it, err := c.r.GetItem(c.ctx, kindImportCSV, chunkID(c.job, c.upload, c.next))
		if err != nil {
			return 0, fmt.Errorf("read chunk %d of job %s: %w", c.next, c.job, err)
		}
		if err := json.Unmarshal(it.Data, &c.current); err != nil {
			return 0, fmt.Errorf("decode chunk %d of job %s: %w", c.next, c.job, err)
		}
		c.next++
	}
	n := copy(p, c.current)
	c.current = c.current[n:]
	return n, nil
}
