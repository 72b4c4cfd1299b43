package cognito

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestViolations(t *testing.T) {
	var v Violations
	if err := v.Err(); err != nil {
		t.Fatalf("empty: %v", err)
	}
	v.Null(MemberPath("", "poolName"))
	v.Add(MemberPath(MemberPath("", "policies"), "minimumLength"), int32(3), false, "have value greater than or equal to 6")
	v.Add(ElementPath("userAttributes", 0)+".value", "secret", true, "have length less than or equal to 2")
	v.Add(MapKeyPath("tags"), "", false, "have length greater than or equal to 1")
	v.Add(KeyPath("tags", "k"), "vvv", false, "have length less than or equal to 2")
	err := v.Err()
	var ce *Error
	if !errors.As(err, &ce) || ce.Code != CodeInvalidParameterException || ce.Status != 400 {
		t.Fatalf("Err() = %#v", err)
	}
	want := "5 validation errors detected: " +
		"Value null at 'poolName' failed to satisfy constraint: Member must not be null; " +
		"Value '3' at 'policies.minimumLength' failed to satisfy constraint: Member must have value greater than or equal to 6; " +
		"Value at 'userAttributes.1.member.value' failed to satisfy constraint: Member must have length less than or equal to 2; " +
		"Value '' at 'tags.key' failed to satisfy constraint: Member must have length greater than or equal to 1; " +
		"Value 'vvv' at 'tags.k' failed to satisfy constraint: Member must have length less than or equal to 2"
	if diff := cmp.Diff(want, ce.Message); diff != "" {
		t.Errorf("message (-want +got):\n%s", diff)
	}
	if v.Len() != 5 || len(v.Messages()) != 5 {
		t.Errorf("Len = %d", v.Len())
	}
}

func TestRenderValue(t *testing.T) {
	type attr struct {
		Name  *string
		Value *string
	}
	name := "email"
	for _, tc := range []struct {
		in   any
		want string
	}{
		{"x", "'x'"},
		{int32(7), "'7'"},
		{int64(-7), "'-7'"},
		{[]string{}, "'[]'"},
		{[]string{"a", "b"}, "'[a, b]'"},
		{map[string]string{"b": "2", "a": "1"}, "'{a=1, b=2}'"},
		{[]attr{{Name: &name}}, "'[{Name=email}]'"},
		{[]byte("abc"), "'java.nio.HeapByteBuffer[pos=0 lim=3 cap=3]'"},
		{NewTimestamp(time.Unix(0, 0).UTC()), "'1970-01-01 00:00:00 +0000 UTC'"},
	} {
		if got := RenderValue(tc.in); got != tc.want {
			t.Errorf("RenderValue(%#v) = %s, want %s", tc.in, got, tc.want)
		}
	}
}
