package api

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/storage"
)

// errorBody is the JSON body of an error response.
type errorBody struct {
	Type    string `json:"__type"`
	Message string `json:"message"`
}

// writeError writes err as Cognito does: the status of its code, a JSON
// body with __type and message, and the x-amzn-ErrorType header. Anything
// but a *cognito.Error becomes InternalErrorException; its cause is logged
// with the request ID and never sent. A write refused because a newer
// release has migrated the store (storage.ErrSchemaNewer: this node is
// stopping) is InternalErrorException saying so, for the client to retry
// on another node.
func writeError(w http.ResponseWriter, log *slog.Logger, requestID string, err error) *cognito.Error {
	var ce *cognito.Error
	switch {
	case errors.Is(err, storage.ErrSchemaNewer):
		ce = cognito.InternalErrorException(schemaNewerMessage).WithCause(err)
	case !errors.As(err, &ce):
		ce = cognito.InternalErrorException("Internal error").WithCause(err)
	}
	if ce.Status >= 500 {
		log.Error("request failed", "request_id", requestID, "error_type", ce.Code, "error", err)
	}
	body, _ := json.Marshal(errorBody{Type: ce.Code, Message: ce.Message})
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("x-amzn-ErrorType", ce.Code)
	w.WriteHeader(ce.Status)
	_, _ = w.Write(body)
	return ce
}

// schemaNewerMessage is the message of a request refused because a newer
// release has migrated the store while this node ran.
const schemaNewerMessage = "This server is stopping: a newer version of cognate has upgraded its database. Retry the request."
