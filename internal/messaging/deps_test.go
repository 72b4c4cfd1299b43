package messaging

import (
	"testing"

	"github.com/cognate-dev/cognate/internal/deptest"
)

func TestDeps(t *testing.T) {
	deptest.Check(t,
		[]string{"internal/cognito"},
		[]deptest.Rule{
			{Prefix: "internal/storage", Reason: "messaging is a leaf: it delivers messages and keeps no records"},
			{Prefix: "internal/userpool", Reason: "engines import messaging, not the reverse"},
			{Prefix: "internal/authflow", Reason: "engines import messaging, not the reverse"},
			{Prefix: "internal/api", Reason: "messaging never imports an edge"},
			{Prefix: "internal/oidc", Reason: "messaging never imports an edge"},
			{Prefix: "internal/admin", Reason: "messaging never imports an edge"},
			{Prefix: "testing", Reason: "only _test.go files import testing"},
		})
}
