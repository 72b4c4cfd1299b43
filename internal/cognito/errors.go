package cognito

import (
	"errors"
	"fmt"
	"net/http"
)

// Error is a Cognito exception: the name the wire carries in __type, the
// message the client sees, the HTTP status, and an unexported cause that is
// logged but never sent.
type Error struct {
	Code    string
	Message string
	Status  int
	cause   error
}

// NewError returns a fresh error for code with the status the code maps to.
func NewError(code, msg string) *Error {
	return &Error{Code: code, Message: msg, Status: StatusFor(code)}
}

// Errorf is NewError with a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return NewError(code, fmt.Sprintf(format, args...))
}

func (e *Error) Error() string {
	if e.cause != nil {
		return e.Code + ": " + e.Message + ": " + e.cause.Error()
	}
	return e.Code + ": " + e.Message
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.cause }

// Is reports whether target is a *Error with the same code.
func (e *Error) Is(target error) bool {
	var t *Error
	if errors.As(target, &t) {
		return t.Code == e.Code
	}
	return false
}

// WithCause returns a copy of e that records cause for the log.
func (e *Error) WithCause(cause error) *Error {
	c := *e
	c.cause = cause
	return &c
}

// Cause returns the recorded cause, or nil.
func (e *Error) Cause() error { return e.cause }

// Internal returns err when it is a Cognito exception, and otherwise
// InternalErrorException with err as its cause: the engines' answer to an
// unexpected error, whose cause the edge logs and never sends.
func Internal(err error) error {
	var ce *Error
	if errors.As(err, &ce) {
		return err
	}
	return InternalErrorException("Internal error").WithCause(err)
}

// Exceptions that the wire protocol and request signing raise. They are not
// in the service models because the AWS front end, not the service, sends them.
const (
	CodeUnknownOperationException           = "UnknownOperationException"
	CodeSerializationException              = "SerializationException"
	CodeMissingAuthenticationTokenException = "MissingAuthenticationTokenException"
	CodeUnrecognizedClientException         = "UnrecognizedClientException"
	CodeInvalidSignatureException           = "InvalidSignatureException"
	CodeIncompleteSignatureException        = "IncompleteSignatureException"
	CodeRequestEntityTooLargeException      = "RequestEntityTooLargeException"
	CodeValidationException                 = "ValidationException"
	CodeInternalFailure                     = "InternalFailure"
)

// statusOverrides lists exceptions whose HTTP status is not 400.
var statusOverrides = map[string]int{
	"InternalErrorException":                http.StatusInternalServerError,
	"InternalServerException":               http.StatusInternalServerError,
	CodeInternalFailure:                     http.StatusInternalServerError,
	"ForbiddenException":                    http.StatusForbidden,
	CodeMissingAuthenticationTokenException: http.StatusForbidden,
	CodeRequestEntityTooLargeException:      http.StatusRequestEntityTooLarge,
}

// StatusFor returns the HTTP status Cognito sends with code.
func StatusFor(code string) int {
	if s, ok := statusOverrides[code]; ok {
		return s
	}
	return http.StatusBadRequest
}
