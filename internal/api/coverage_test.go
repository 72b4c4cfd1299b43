package api

import (
	"flag"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/identity"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
)

var update = flag.Bool("update", false, "rewrite docs/api-coverage.md from the dispatch table")

const coveragePath = "../../docs/api-coverage.md"

// coverageDoc renders docs/api-coverage.md from the generated operation
// tables and the handlers this package dispatches to.
func coverageDoc(h *Handler) string {
	var b strings.Builder
	b.WriteString("# API coverage\n\n")
	b.WriteString("Every operation of the two Cognito services, as AWS's service models list them, and whether cognate serves it.\n")
	b.WriteString("An operation marked *not yet* answers `UnsupportedOperationException` (HTTP 400) after its request is authorized and validated.\n")
	b.WriteString("The authorization column says what the operation needs: an AWS Signature Version 4 made with a configured access key (*IAM*),\n")
	b.WriteString("nothing (*public*: it names an app client or pool), or a user's access token.\n\n")
	b.WriteString("This file is generated from the dispatch table: `go test ./internal/api -run TestAPICoverageDoc -update` rewrites it, and the\n")
	b.WriteString("same test fails when it and the code disagree.\n")
	section := func(title, prefix string, ops []cognito.Operation) {
		n := 0
		for _, op := range ops {
			if h.Implemented(op.Service, op.Name) {
				n++
			}
		}
		fmt.Fprintf(&b, "\n## %s (`%s`): %d of %d implemented\n\n", title, prefix, n, len(ops))
		b.WriteString("| Operation | Authorization | Status |\n|---|---|---|\n")
		for _, op := range ops {
			status := "not yet"
			if h.Implemented(op.Service, op.Name) {
				status = "implemented"
			}
			auth := map[cognito.Auth]string{cognito.AuthIAM: "IAM", cognito.AuthPublic: "public", cognito.AuthAccessToken: "access token"}[op.Auth]
			fmt.Fprintf(&b, "| %s | %s | %s |\n", op.Name, auth, status)
		}
	}
	section("User pools", idp.TargetPrefix, idp.Operations)
	section("Identity pools", identity.TargetPrefix, identity.Operations)
	n := 0
	for _, a := range stsActions {
		if a.implemented {
			n++
		}
	}
	fmt.Fprintf(&b, "\n## Security Token Service (query protocol, `Action=`, version %s): %d of %d implemented\n\n", stsVersion, n, len(stsActions))
	b.WriteString("cognate's own STS, served at the same URL as the Cognito APIs (docs/identity-pools.md). An action marked *not yet*\n")
	b.WriteString("answers `InvalidAction` (HTTP 400).\n\n")
	b.WriteString("| Action | Authorization | Status |\n|---|---|---|\n")
	for _, a := range stsActions {
		status := "not yet"
		if a.implemented {
			status = "implemented"
		}
		fmt.Fprintf(&b, "| %s | %s | %s |\n", a.name, a.auth, status)
	}
	return b.String()
}

func TestAPICoverageDoc(t *testing.T) {
	if len(idp.Operations) != 129 || len(identity.Operations) != 23 {
		t.Fatalf("operation tables have %d and %d entries, want 129 and 23", len(idp.Operations), len(identity.Operations))
	}
	want := coverageDoc(NewHandler(Options{}))
	if *update {
		if err := os.WriteFile(coveragePath, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(coveragePath)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("docs/api-coverage.md is out of date; run go test ./internal/api -run TestAPICoverageDoc -update (-code +doc):\n%s", diff)
	}
}

// TestHandlerInputTypes checks that every handler takes the input type the
// generated table decodes for its operation, and that every handler is for
// an operation of the models.
func TestHandlerInputTypes(t *testing.T) {
	h := NewHandler(Options{})
	served := 0
	for key, op := range h.ops {
		if op.serve == nil {
			continue
		}
		served++
		if got, want := op.inType, reflect.TypeOf(op.NewInput()); got != want {
			t.Errorf("%s: handler takes %v, the table decodes %v", key, got, want)
		}
	}
	if want := len(idpHandlers(nil, nil, nil, nil, nil)) + len(identityHandlers(nil)); served != want {
		t.Errorf("%d operations served, but %d handlers listed: a handler names an operation the models lack", served, want)
	}
}
