package directory

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/password"
	"github.com/cognate-dev/cognate/internal/storage"
	"github.com/cognate-dev/cognate/internal/userpool"
)

// The run of an import job: the CSV read as a stream from its chunks, rows
// validated one by one against the pool's schema, and imported in batches,
// each batch's users, failures and the job's progress (NextRow, counts) in
// one transaction. A run that finds the job's Runner or NextRow changed
// under it (another node took the job over) stops without writing; one
// that finds it Stopping marks it Stopped instead of importing the batch.

// errLostImport stops a run whose job another run has taken.
var errLostImport = errors.New("import job taken over by another run")

// RunImports resumes, in the background, every job that was running when
// the server last stopped (Pending, InProgress or Stopping), and runs the
// jobs started from now on under ctx: they stop when it ends, and the next
// start resumes them where their last batch ended.
func (s *Service) RunImports(ctx context.Context) error {
	s.importMu.Lock()
	s.importCtx = ctx
	s.importMu.Unlock()
	after, afterID := "", ""
	for {
		entries, err := s.store.ScanIndex(ctx, storage.ScanInput{Kind: kindImportJob, Prefix: importActiveIndex, AfterKey: after, AfterID: afterID, Limit: 100, DataOnly: true})
		if err != nil {
			return fmt.Errorf("list running import jobs: %w", err)
		}
		for _, e := range entries {
			s.launchImport(e.Item.ID)
		}
		if len(entries) < 100 {
			return nil
		}
		after, afterID = entries[len(entries)-1].Key, entries[len(entries)-1].Item.ID
	}
}

// launchImport runs the job in the background unless this process already
// runs it.
func (s *Service) launchImport(jobID string) {
	s.importMu.Lock()
	defer s.importMu.Unlock()
	if s.importRunning[jobID] {
		return
	}
	s.importRunning[jobID] = true
	ctx := s.importCtx
	s.importWG.Add(1)
	go func() {
		defer s.importWG.Done()
		defer func() {
			s.importMu.Lock()
			delete(s.importRunning, jobID)
			s.importMu.Unlock()
		}()
		if err := s.runImport(ctx, jobID); err != nil && !errors.Is(err, errLostImport) && ctx.Err() == nil {
			s.log.Error("user import job", "job", jobID, "error", err)
		}
	}()
}

// WaitImports waits for the import runs of this process to return (after
// the context RunImports was given ended).
func (s *Service) WaitImports() { s.importWG.Wait() }

// importRow is one data row, ready to write: a user item, or why not.
type importRow struct {
	row      int64
	username string
	user     *storage.Item
	failure  string
}

// claimImport takes the job for the run runner; it returns nil when there
// is nothing to run (done, or stopped now).
func (s *Service) claimImport(ctx context.Context, jobID, runner string) (*importJob, error) {
	var out *importJob
	err := s.runTx(ctx, func(tx storage.Tx) error {
		out = nil
		it, err := tx.GetItem(ctx, kindImportJob, jobID)
		if errors.Is(err, storage.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		j, err := decodeImportJob(it)
		if err != nil {
			return err
		}
		now := s.now()
		switch idp.UserImportJobStatusType(j.Status) {
		case idp.UserImportJobStatusTypeStopping:
			s.finishImport(j, idp.UserImportJobStatusTypeStopped, importStopped, now)
		case idp.UserImportJobStatusTypePending, idp.UserImportJobStatusTypeInProgress:
			j.Status, j.Runner = string(idp.UserImportJobStatusTypeInProgress), runner
			out = j
		default:
			return nil
		}
		next, err := importJobItem(j, it.Version, now)
		if err != nil {
			return err
		}
		return tx.UpdateItem(ctx, next)
	})
	return out, err
}

func (s *Service) finishImport(j *importJob, status idp.UserImportJobStatusType, msg string, now time.Time) {
	j.Status, j.Message, j.Runner = string(status), msg, ""
	j.CompletedAt = &now
}

// failImport ends the run's job Failed with msg, unless another run took it.
func (s *Service) failImport(ctx context.Context, jobID, runner, msg string) error {
	return s.commitBatch(ctx, jobID, runner, -1, nil, func(j *importJob, now time.Time) {
		s.finishImport(j, idp.UserImportJobStatusTypeFailed, msg, now)
	})
}

// runImport runs the job jobID to its end, or until it is stopped, taken
// over, or ctx ends.
func (s *Service) runImport(ctx context.Context, jobID string) error {
	runner := userpool.NewUUID()
	j, err := s.claimImport(ctx, jobID, runner)
	if err != nil || j == nil {
		return err
	}
	p, err := s.pools.ReadPool(ctx, cognito.Caller{Region: j.Region}, j.PoolID)
	if err != nil {
		return err // the pool is gone, and its jobs with it
	}
	if j.NextRow == 0 {
		// Cognito's quota of users per file, counted before the first
		// row is imported: a file with too many fails whole.
		over, err := s.importTooLarge(ctx, j)
		if errors.Is(err, ErrImportObjectChanged) {
			return s.failImport(ctx, jobID, runner, msgImportObjectChanged)
		}
		if err != nil {
			return err
		}
		if over {
			return s.failImport(ctx, jobID, runner, fmt.Sprintf("The CSV file holds more than %s users, the most one file may hold.", thousands(s.importMaxUsers)))
		}
	}
	src, err := s.openImportCSV(ctx, j)
	if errors.Is(err, ErrImportObjectChanged) {
		return s.failImport(ctx, jobID, runner, msgImportObjectChanged)
	}
	if err != nil {
		return err
	}
	defer src.Close()
	rd := csv.NewReader(bufio.NewReaderSize(src, 64<<10))
	header, err := rd.Read()
	if err != nil {
		return s.failImport(ctx, jobID, runner, "The CSV file's header could not be read.")
	}
	cols, msg := importColumns(p, j, header)
	if msg != "" {
		return s.failImport(ctx, jobID, runner, msg)
	}
	for i := int64(0); i < j.NextRow; i++ {
		if _, err := rd.Read(); err == io.EOF {
			break
		} else if err != nil && !isRowError(err) {
			return err
		}
	}
	row := j.NextRow
	for {
		batch := make([]importRow, 0, importBatchRows)
		eof := false
		for len(batch) < importBatchRows {
			rec, err := rd.Read()
			if err == io.EOF {
				eof = true
				break
			}
			row++
			if err != nil {
				if !isRowError(err) {
					return err
				}
				batch = append(batch, importRow{row: row, failure: "The row is not valid CSV: " + err.Error()})
				continue
			}
			if rowChars(rec) > MaxImportRowChars {
				batch = append(batch, importRow{row: row, failure: msgImportRowTooLong})
				continue
			}
			batch = append(batch, s.prepareImportRow(p, j, cols, rec, row))
		}
		start := row - int64(len(batch))
		stopped := false
		err := s.commitBatch(ctx, jobID, runner, start, batch, func(jj *importJob, now time.Time) {
			if jj.Status == string(idp.UserImportJobStatusTypeStopping) {
				s.finishImport(jj, idp.UserImportJobStatusTypeStopped, importStopped, now)
				stopped = true
				return
			}
			if eof {
				s.finishImport(jj, idp.UserImportJobStatusTypeSucceeded, importSucceeded, now)
			}
		})
		if err != nil {
			return err
		}
		if stopped || eof {
			s.dropCSV(ctx, j)
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

// Messages of a job's failures.
const (
	msgImportObjectChanged = "The CSV file was replaced or deleted after the job started."
	msgImportRowTooLong    = "The row is longer than 16,000 characters, the most a row may hold."
)

// openImportCSV opens the job's CSV file, streamed: from the store's
// chunks, or the version of the bucket's object the job started with (at
// most the size it had then). It is read as the rows are imported, never
// held whole.
func (s *Service) openImportCSV(ctx context.Context, j *importJob) (io.ReadCloser, error) {
	if j.ObjectKey == "" {
		return io.NopCloser(&csvReader{ctx: ctx, r: s.store, job: j.JobID, upload: j.Upload, chunks: j.Chunks}), nil
	}
	if s.importObjects == nil {
		return nil, fmt.Errorf("import job %s reads a bucket, and user_import.s3 is not configured", j.JobID)
	}
	body, err := s.importObjects.Open(ctx, j.ObjectKey, j.ETag)
	if err != nil {
		return nil, err
	}
	return struct {
		io.Reader
		io.Closer
	}{io.LimitReader(body, j.Bytes), body}, nil
}

// importTooLarge reports whether the job's file holds more rows after its
// header than s.importMaxUsers, reading it once as a stream, up to the
// first row past the quota. A row that is not valid CSV counts as a row,
// as the run counts it.
func (s *Service) importTooLarge(ctx context.Context, j *importJob) (bool, error) {
	src, err := s.openImportCSV(ctx, j)
	if err != nil {
		return false, err
	}
	defer src.Close()
	rd := csv.NewReader(bufio.NewReaderSize(src, 64<<10))
	rd.ReuseRecord = true
	rd.FieldsPerRecord = -1
	var rows int64 = -1 // the header
	for rows <= s.importMaxUsers {
		_, err := rd.Read()
		if err == io.EOF {
			return false, nil
		}
		if err != nil && !isRowError(err) {
			return false, err
		}
		rows++
		if rows%importBatchRows == 0 && ctx.Err() != nil {
			return false, ctx.Err()
		}
	}
	return true, nil
}

// rowChars is how many characters a row holds, as Cognito's quota of
// 16,000 per row counts them: its values and the commas between them (the
// file's quoting aside).
func rowChars(rec []string) int {
	n := max(len(rec)-1, 0)
	for _, v := range rec {
		n += utf8.RuneCountInString(v)
	}
	return n
}

// thousands writes n with comma separators, as the messages quote quotas.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// isRowError reports whether err is a CSV error of one row, after which the
// reader goes on with the next.
func isRowError(err error) bool {
	var pe *csv.ParseError
	return errors.As(err, &pe)
}

// commitBatch writes batch, the rows after start, and calls finish on the
// job, in one transaction; it writes nothing when the job is no longer the
// run's, or has moved past start (start < 0 skips that check), or finish
// stops it. The counts and NextRow move with the rows.
func (s *Service) commitBatch(ctx context.Context, jobID, runner string, start int64, batch []importRow, finish func(j *importJob, now time.Time)) error {
	// The rows that did not import, for the CloudWatch Logs results; set
	// by the transaction's last (committed) attempt.
	var logged []importFailure
	var job *importJob
	err := s.runTx(ctx, func(tx storage.Tx) error {
		logged, job = logged[:0], nil
		it, err := tx.GetItem(ctx, kindImportJob, jobID)
		if err != nil {
			if errors.Is(err, storage.ErrNotFound) {
				return errLostImport
			}
			return err
		}
		j, err := decodeImportJob(it)
		if err != nil {
			return err
		}
		if j.Runner != runner || (start >= 0 && j.NextRow != start) {
			return errLostImport
		}
		now := s.now()
		rows := batch
		if j.Status == string(idp.UserImportJobStatusTypeStopping) {
			rows = nil // stopped: the batch is not imported
		}
		for _, r := range rows {
			msg, skipped := r.failure, false
			if msg == "" {
				r.user.CreatedAt, r.user.UpdatedAt = now, now
				err := tx.CreateItem(ctx, r.user)
				switch {
				case err == nil:
					j.Imported++
					continue
				case storage.ConflictingKey(err) != "" && strings.Contains(storage.ConflictingKey(err), "/username/"):
					msg, skipped = "A user with the same username already exists in the user pool.", true
				case storage.ConflictingKey(err) != "":
					msg = "A user with the same " + keyAttributeName(storage.ConflictingKey(err)) + " already exists in the user pool."
				default:
					return err
				}
			}
			if skipped {
				j.Skipped++
			} else {
				j.Failed++
			}
			f := importFailure{Row: r.row, Username: r.username, Skipped: skipped, Message: msg}
			logged = append(logged, f)
			b, err := json.Marshal(f)
			if err != nil {
				return err
			}
			if err := tx.CreateItem(ctx, &storage.Item{Kind: kindImportFailure, ID: failureID(jobID, r.row), Pool: j.PoolID, Data: b, CreatedAt: now, UpdatedAt: now}); err != nil {
				return err
			}
		}
		j.NextRow += int64(len(rows))
		finish(j, now)
		next, err := importJobItem(j, it.Version, now)
		if err != nil {
			return err
		}
		job = j
		return tx.UpdateItem(ctx, next)
	})
	if err == nil && len(logged) > 0 {
		s.exportImportResults(ctx, job, logged)
	}
	return err
}

// exportImportResults sends the rows that did not import to CloudWatch
// Logs, when the server delivers logs there, as Cognito writes them: in
// the log group /aws/cognito/userpools/<pool id>/<pool name>, stream
// <job id>/<job name>, one line per row ("[FAILED] Line Number 2 - …";
// no user data). The rows that imported are not written.
func (s *Service) exportImportResults(ctx context.Context, j *importJob, rows []importFailure) {
	if s.importLog == nil || !s.importLog.ExportsImportResults() {
		return
	}
	p, err := s.pools.ReadPool(ctx, cognito.Caller{Region: j.Region}, j.PoolID)
	if err != nil {
		return
	}
	lines := make([]string, len(rows))
	for i, r := range rows {
		status := "FAILED"
		if r.Skipped {
			status = "SKIPPED"
		}
		lines[i] = fmt.Sprintf("[%s] Line Number %d - %s", status, r.Row, r.Message)
	}
	s.importLog.ExportImportResults("/aws/cognito/userpools/"+j.PoolID+"/"+cognito.Deref(p.Name), j.JobID+"/"+j.JobName, s.now(), lines)
}

// keyAttributeName is the attribute of an alias key ("<pool>/alias/<attr>/...").
func keyAttributeName(key string) string {
	_, rest, _ := strings.Cut(key, "/alias/")
	attr, _, _ := strings.Cut(rest, "/")
	if attr == "" {
		return "alias"
	}
	return attr
}

// dropCSV deletes the chunks of a finished job's CSV, which nothing reads
// again; a failure leaves them to DeleteUserPool.
func (s *Service) dropCSV(ctx context.Context, j *importJob) {
	if j.ObjectKey != "" {
		if s.importObjects != nil {
			if err := s.importObjects.Delete(ctx, j.ObjectKey); err != nil {
				s.log.Warn("delete import CSV", "job", j.JobID, "error", err.Error())
			}
		}
		return
	}
	s.dropUpload(ctx, j.PoolID, j.JobID, j.Upload, j.Chunks)
}

// importColumns maps each column of the header to its index, and says
// what is wrong with a header that is not the pool's: every column of
// GetCSVHeader once, in any order, plus cognito:password_hash when the job
// names a PasswordHashingAlgorithm.
func importColumns(p *idp.UserPoolType, j *importJob, header []string) (map[string]int, string) {
	want := csvHeader(p)
	cols := make(map[string]int, len(header))
	for i, h := range header {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\uFEFF"))
		if _, dup := cols[h]; dup {
			return nil, "The CSV header names the column " + h + " twice."
		}
		if !slices.Contains(want, h) && !(h == csvPasswordHash && j.Algorithm != "") {
			return nil, "The CSV header has the column " + h + ", which is not in the user pool's CSV header."
		}
		cols[h] = i
	}
	for _, w := range want {
		if _, ok := cols[w]; !ok {
			return nil, "The CSV header has no column " + w + "."
		}
	}
	return cols, ""
}

// prepareImportRow validates one row against the pool's schema and
// Cognito's rules for imported users, and builds its user item.
func (s *Service) prepareImportRow(p *idp.UserPoolType, j *importJob, cols map[string]int, rec []string, row int64) importRow {
	r := importRow{row: row, username: rec[cols[csvUsername]]}
	fail := func(msg string) importRow { r.failure = msg; return r }
	name := r.username
	if name == "" {
		return fail("cognito:username is empty.")
	}
	mfa := strings.ToLower(rec[cols[csvMFAEnabled]])
	if mfa != "" && mfa != "true" && mfa != "false" {
		return fail("cognito:mfa_enabled must be true or false.")
	}
	var in []idp.AttributeType
	for col, i := range cols {
		if strings.HasPrefix(col, "cognito:") || rec[i] == "" {
			continue
		}
		in = append(in, idp.AttributeType{Name: cognito.Ptr(col), Value: cognito.Ptr(rec[i])})
	}
	attrs, err := checkAttributes(p, in, attrCreate)
	if err != nil {
		return fail(errorMessage(err))
	}
	username := name
	sub := newUserSub()
	if len(p.UsernameAttributes) > 0 {
		attr, err := usernameAttributeFor(p, name)
		if err != nil {
			return fail(errorMessage(err))
		}
		if v := attrs[attr]; v != "" && v != name {
			return fail("cognito:username must equal the row's " + attr + " in a user pool that signs in with it.")
		}
		attrs[attr] = name
		username = sub
	} else if err := checkAliasUsername(p, name); err != nil {
		return fail(errorMessage(err))
	} else if err := userpool.CheckText("username", ruleUsername, name); err != nil {
		return fail(errorMessage(err))
	}
	for _, a := range []string{"email", "phone_number"} {
		if strings.EqualFold(attrs[a+"_verified"], "true") && attrs[a] == "" {
			return fail(a + "_verified is true but " + a + " is empty.")
		}
	}
	verified := 0
	for _, a := range p.AutoVerifiedAttributes {
		if strings.EqualFold(attrs[string(a)+"_verified"], "true") {
			verified++
		}
	}
	if verified == 0 || (len(p.AutoVerifiedAttributes) == 1 && verified != 1) {
		return fail("At least one auto-verified attribute (email_verified or phone_number_verified) must be true.")
	}
	if err := checkRequired(p, attrs); err != nil {
		return fail(errorMessage(err))
	}
	u := &userRecord{Username: username, Sub: sub, Attributes: attrs, Enabled: true, Status: idp.UserStatusTypeResetRequired}
	if mfa == "true" {
		if attrs["phone_number"] == "" {
			return fail("cognito:mfa_enabled is true but phone_number is empty.")
		}
		u.MFAOptions = []idp.MFAOptionType{{DeliveryMedium: cognito.Ptr(idp.DeliveryMediumTypeSms), AttributeName: cognito.Ptr("phone_number")}}
	}
	if i, ok := cols[csvPasswordHash]; ok && rec[i] != "" {
		if _, err := password.ParseImported(j.Algorithm, rec[i]); err != nil {
			return fail("cognito:password_hash is not a valid " + j.Algorithm + " hash within the accepted parameters.")
		}
		u.ImportedHash = s.importKeys.sealImportedHash(j.PoolID, sub, j.Algorithm, rec[i])
		u.Status = idp.UserStatusTypeConfirmed
	}
	it, err := userItem(p, u, 0)
	if err != nil {
		return fail(errorMessage(err))
	}
	r.user = it
	return r
}

// errorMessage is the client message of a Cognito exception, or a generic
// one.
func errorMessage(err error) string {
	var ce *cognito.Error
	if errors.As(err, &ce) {
		return ce.Message
	}
	return "The row could not be imported."
}
