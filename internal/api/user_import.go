package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/directory"
)

// serveImport serves the two HTTP endpoints of user import jobs beside the
// JSON API (docs/import.md):
//
//   - PUT <ImportUploadPath><pool>/<job>?expires=…&signature=… is a job's
//     pre-signed upload URL (CreateUserImportJob's PreSignedUrl): the
//     signature is a keyed MAC of the pool, job and expiry that only this
//     server's key makes, checked in constant time; the body is the CSV,
//     streamed into the store.
//   - GET <ImportUploadPath><pool>/<job>/failures[?after=<row>&limit=<n>]
//     is the job's failure log (what Cognito writes to CloudWatch Logs),
//     as JSON lines, for a caller that signs with an administrator's key
//     (SigV4, service cognito-idp) as for the JSON API.
func (h *Handler) serveImport(w http.ResponseWriter, r *http.Request, requestID string) {
	rest := strings.TrimPrefix(r.URL.Path, directory.ImportUploadPath)
	parts := strings.Split(rest, "/")
	switch {
	case r.Method == http.MethodPut && len(parts) == 2:
		h.serveImportUpload(w, r, parts[0], parts[1])
	case r.Method == http.MethodGet && len(parts) == 3 && parts[2] == "failures":
		h.serveImportFailures(w, r, requestID, parts[0], parts[1])
	default:
		http.NotFound(w, r)
	}
}

func (h *Handler) serveImportUpload(w http.ResponseWriter, r *http.Request, pool, job string) {
	q := r.URL.Query()
	err := h.opts.Users.CheckImportUpload(r.Context(), pool, job, q.Get("expires"), q.Get("signature"))
	if err == nil {
		// A large file takes longer than the server's read timeout, which
		// is set for Cognito's small requests: a signed upload has more.
		rc := http.NewResponseController(w)
		_ = rc.SetReadDeadline(time.Now().Add(uploadReadTimeout))
		_ = rc.SetWriteDeadline(time.Now().Add(uploadReadTimeout))
		err = h.opts.Users.UploadImportCSV(r.Context(), pool, job, q.Get("expires"), q.Get("signature"), r.Body)
	}
	switch {
	case err == nil:
		w.WriteHeader(http.StatusOK)
	case errors.Is(err, directory.ErrUploadRefused):
		http.Error(w, "The upload URL is not valid, has expired, or its job no longer takes a file.", http.StatusForbidden)
	case errors.Is(err, directory.ErrUploadTooLarge):
		http.Error(w, "The file is larger than the upload limit.", http.StatusRequestEntityTooLarge)
	case errors.Is(err, directory.ErrUploadNotCSV):
		http.Error(w, "The file is not a CSV file whose first line is the user pool's CSV header.", http.StatusBadRequest)
	default:
		h.log.Error("user import upload", "pool", pool, "job", job, "error", err)
		http.Error(w, "Internal error", http.StatusInternalServerError)
	}
}

// uploadReadTimeout bounds the reading of one upload.
const uploadReadTimeout = 30 * time.Minute

// maxFailuresPage is the most rows one read of a failure log returns.
const maxFailuresPage = 1000

func (h *Handler) serveImportFailures(w http.ResponseWriter, r *http.Request, requestID, pool, job string) {
	scope, cerr := h.sig.Verify(r, []byte{})
	if cerr != nil {
		writeError(w, h.log, requestID, cerr)
		return
	}
	if scope.Service != serviceIDP || !h.regionAllowed(scope.Region) {
		writeError(w, h.log, requestID, cognito.NewError(cognito.CodeInvalidSignatureException, "Credential should be scoped to a valid region and the service 'cognito-idp'. "))
		return
	}
	q := r.URL.Query()
	after, limit := int64(0), maxFailuresPage
	if v := q.Get("after"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			writeError(w, h.log, requestID, cognito.InvalidParameterException("after must be a row number."))
			return
		}
		after = n
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxFailuresPage {
			writeError(w, h.log, requestID, cognito.InvalidParameterException("limit must be between 1 and 1000."))
			return
		}
		limit = n
	}
	rows, err := h.opts.Users.ImportFailures(r.Context(), cognito.Caller{Region: scope.Region, AccessKeyID: scope.AccessKeyID}, pool, job, after, limit)
	if err != nil {
		writeError(w, h.log, requestID, err)
		return
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	enc := json.NewEncoder(w)
	for _, row := range rows {
		if err := enc.Encode(row); err != nil {
			return
		}
	}
}
