package main

import (
	"regexp"
	"strings"
	"testing"
	"unicode"
)

// TestConsoleAddAdmin creates the first operator: the administrators'
// pool is made on the way, the temporary password is printed once and
// meets the pool's policy, and a second operator of the same name is
// refused with Cognito's message.
func TestConsoleAddAdmin(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"COGNATE_ACCESS_KEY_ID": "AKIACONSOLETEST00001", "COGNATE_SECRET_ACCESS_KEY": "console-secret-console-secret-console-se"}
	code, stdout, stderr := runCmd(t, env, "console", "add-admin", "--data-dir", dir)
	if code != exitUsage || !strings.Contains(stderr, "usage: cognate console add-admin --username NAME --email ADDRESS") {
		t.Errorf("without flags: exit %d\n%s", code, stderr)
	}
	code, stdout, stderr = runCmd(t, env, "console", "add-admin", "--username", "ops", "--email", "ops@example.com", "--data-dir", dir)
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	m := regexp.MustCompile(`(?m)^temporary password: (\S+)$`).FindStringSubmatch(stdout)
	if m == nil || !strings.Contains(stdout, "operator ops created in the pool cognate-console") {
		t.Fatalf("stdout:\n%s", stdout)
	}
	pw := m[1]
	has := func(f func(rune) bool) bool { return strings.IndexFunc(pw, f) >= 0 }
	if len(pw) < 12 || !has(unicode.IsUpper) || !has(unicode.IsLower) || !has(unicode.IsDigit) {
		t.Errorf("temporary password %q does not meet the administrators' pool's policy", pw)
	}
	code, _, stderr = runCmd(t, env, "console", "add-admin", "--username", "ops", "--email", "ops@example.com", "--data-dir", dir)
	if code != exitError || !strings.Contains(stderr, "UsernameExistsException: User account already exists") {
		t.Errorf("a second ops: exit %d\n%s", code, stderr)
	}
}
