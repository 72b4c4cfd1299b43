package oidc

import (
	"html/template"
	"net/http"
)

// errorView is what the error page shows.
type errorView struct {
	Code, Description string
}

// errorPage shows an error to the user on the domain, with a status; it
// never redirects.
func (h *Handler) errorPage(w http.ResponseWriter, r *http.Request, status int, code, desc string) {
	st := siteOf(r.Context())
	base := ""
	if st != nil {
		base = st.base
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	d := pageData{Title: "Something went wrong", Base: base, Data: errorView{Code: code, Description: desc}, Authorize: template.URL("")}
	if err := templates.ExecuteTemplate(w, "error.html", d); err != nil {
		h.log.ErrorContext(r.Context(), "render error page", "err", err)
	}
}

// errorEndpoint is GET /error, where Cognito shows what went wrong:
// error and error_description from the query, shown as text.
func (h *Handler) errorEndpoint(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	code := q.Get("error")
	if code == "" {
		code = "invalid_request"
	}
	if len(code) > 100 {
		code = code[:100]
	}
	desc := q.Get("error_description")
	if len(desc) > 500 {
		desc = desc[:500]
	}
	h.errorPage(w, r, http.StatusBadRequest, code, desc)
}

// serverError logs an unexpected error and shows the error page, status
// 500, without the cause.
func (h *Handler) serverError(w http.ResponseWriter, r *http.Request, err error) {
	h.log.ErrorContext(r.Context(), "hosted UI", "path", r.URL.Path, "err", err)
	h.errorPage(w, r, http.StatusInternalServerError, "server_error", "Something went wrong on our side. Try again.")
}

// notFound is the answer to a path the domain does not serve.
func (h *Handler) notFound(w http.ResponseWriter, r *http.Request) {
	h.errorPage(w, r, http.StatusNotFound, "not_found", "There is no page here.")
}
