package sts

import (
	"errors"
	"fmt"
	"net/http"
)

// Error is an error the Security Token Service answers: its code (the
// Code element of STS's XML error), the message the caller sees, the HTTP
// status, and a cause that is logged but never sent. cognate's own STS
// returns them, and the client of a delegated STS turns the service's
// errors into them, so that an identity pool maps both the same way.
type Error struct {
	Code    string
	Message string
	Status  int
	cause   error
}

// STS's error codes, with the status each is sent with.
const (
	CodeInvalidIdentityToken       = "InvalidIdentityToken"
	CodeExpiredToken               = "ExpiredTokenException"
	CodeIDPRejectedClaim           = "IDPRejectedClaim"
	CodeIDPCommunicationError      = "IDPCommunicationError"
	CodeAccessDenied               = "AccessDenied"
	CodeValidationError            = "ValidationError"
	CodeMissingAction              = "MissingAction"
	CodeInvalidAction              = "InvalidAction"
	CodeMalformedQueryString       = "MalformedQueryString"
	CodeMissingAuthenticationToken = "MissingAuthenticationToken"
	CodeIncompleteSignature        = "IncompleteSignature"
	CodeSignatureDoesNotMatch      = "SignatureDoesNotMatch"
	CodeInvalidClientTokenID       = "InvalidClientTokenId"
	CodeExpiredSessionToken        = "ExpiredToken"
	CodeRequestEntityTooLarge      = "RequestEntityTooLarge"
	CodeServiceUnavailable         = "ServiceUnavailable"
	CodeThrottling                 = "Throttling"
	CodeInternalFailure            = "InternalFailure"
)

var statuses = map[string]int{
	CodeIDPRejectedClaim:           http.StatusForbidden,
	CodeAccessDenied:               http.StatusForbidden,
	CodeMissingAuthenticationToken: http.StatusForbidden,
	CodeSignatureDoesNotMatch:      http.StatusForbidden,
	CodeInvalidClientTokenID:       http.StatusForbidden,
	CodeExpiredSessionToken:        http.StatusForbidden,
	CodeRequestEntityTooLarge:      http.StatusRequestEntityTooLarge,
	CodeServiceUnavailable:         http.StatusServiceUnavailable,
	CodeInternalFailure:            http.StatusInternalServerError,
}

// NewError returns a fresh error for code with the status STS sends it
// with (400 unless the table above says otherwise).
func NewError(code, msg string) *Error {
	status, ok := statuses[code]
	if !ok {
		status = http.StatusBadRequest
	}
	return &Error{Code: code, Message: msg, Status: status}
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

// Is reports whether target is an *Error with the same code.
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

// Sender reports whether the caller is at fault (STS's Type element:
// Sender for a 4xx status, Receiver otherwise).
func (e *Error) Sender() bool { return e.Status < 500 }
