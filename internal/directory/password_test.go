package directory

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/password"
)

// testPasswords is the Hasher of the package's tests: the cheapest
// parameters password.New accepts, so that they stay fast (the password
// package tests the real ones).
var testPasswords = func() *password.Hasher {
	h, err := password.New(password.Config{Params: password.Params{MemoryKiB: 1024, Iterations: 1, Parallelism: 1}})
	if err != nil {
		panic(err)
	}
	return h
}()

func policy(minLen int32, upper, lower, numbers, symbols bool) *idp.PasswordPolicyType {
	return &idp.PasswordPolicyType{
		MinimumLength: cognito.Ptr(minLen), RequireUppercase: cognito.Ptr(upper), RequireLowercase: cognito.Ptr(lower),
		RequireNumbers: cognito.Ptr(numbers), RequireSymbols: cognito.Ptr(symbols),
	}
}

func TestCheckPassword(t *testing.T) {
	all := policy(8, true, true, true, true)
	tests := []struct {
		name     string
		policy   *idp.PasswordPolicyType
		password string
		want     string // "" for no error
	}{
		{"conforms", all, "Abcdef1!", ""},
		{"too short", all, "Abcd1!", "Password did not conform with policy: Password not long enough"},
		{"length counts characters, not bytes", policy(6, false, false, false, false), "ééééé", "Password did not conform with policy: Password not long enough"},
		{"no uppercase", all, "abcdef1!", "Password did not conform with policy: Password must have uppercase characters"},
		{"no lowercase", all, "ABCDEF1!", "Password did not conform with policy: Password must have lowercase characters"},
		{"no number", all, "Abcdefg!", "Password did not conform with policy: Password must have numeric characters"},
		{"no symbol", all, "Abcdefg1", "Password did not conform with policy: Password must have symbol characters"},
		{"length first", all, "abc", "Password did not conform with policy: Password not long enough"},
		{"inner space is a symbol", all, "Abc def1", ""},
		{"non-Latin letters are no case", all, "Ábcdef1!", "Password did not conform with policy: Password must have uppercase characters"},
		{"other unicode is no symbol", all, "Abcdef1€", "Password did not conform with policy: Password must have symbol characters"},
		{"relaxed policy", policy(6, false, false, false, false), "aaaaaa", ""},
		{"default minimum", &idp.PasswordPolicyType{}, "aaaaaaa", "Password did not conform with policy: Password not long enough"},
	}
	for _, sym := range passwordSymbols {
		tests = append(tests, struct {
			name     string
			policy   *idp.PasswordPolicyType
			password string
			want     string
		}{"symbol " + string(sym), all, "Abcdef1" + string(sym) + "x", ""})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := checkPassword(tc.policy, tc.password)
			got := ""
			if err != nil {
				var ce *cognito.Error
				if !errors.As(err, &ce) || ce.Code != cognito.CodeInvalidPasswordException {
					t.Fatalf("error %v is not InvalidPasswordException", err)
				}
				got = ce.Message
			}
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestGenerateTemporaryPassword(t *testing.T) {
	tests := []struct {
		name    string
		policy  *idp.PasswordPolicyType
		wantLen int
	}{
		{"default policy", policy(8, true, true, true, true), minTempPasswordLength},
		{"long minimum", policy(40, true, true, true, true), 40},
		{"nothing required", policy(6, false, false, false, false), minTempPasswordLength},
		{"unset policy", &idp.PasswordPolicyType{}, minTempPasswordLength},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			seen := map[string]bool{}
			for range 200 {
				pw, err := generateTemporaryPassword(tc.policy)
				if err != nil {
					t.Fatal(err)
				}
				if len(pw) != tc.wantLen {
					t.Fatalf("len(%q) = %d, want %d", pw, len(pw), tc.wantLen)
				}
				if err := checkPassword(policy(int32(tc.wantLen), true, true, true, true), pw); err != nil {
					t.Fatalf("%q: %v", pw, err)
				}
				if seen[pw] {
					t.Fatalf("%q generated twice", pw)
				}
				seen[pw] = true
			}
		})
	}
}

func TestPasswordHistory(t *testing.T) {
	now := time.Unix(1700000000, 0).UTC()
	hashes := map[string]string{}
	for _, pw := range []string{"Passw0rd!1", "Passw0rd!2", "Passw0rd!3", "Passw0rd!4"} {
		h, err := testPasswords.Hash(context.Background(), pw)
		if err != nil {
			t.Fatal(err)
		}
		hashes[pw] = h
	}
	tests := []struct {
		name        string
		size        int32
		set         []string // passwords set in order
		try         string
		wantReused  bool
		wantHistory int
	}{
		{"no history policy", 0, []string{"Passw0rd!1", "Passw0rd!2"}, "Passw0rd!2", false, 0},
		{"size 1 forbids the current", 1, []string{"Passw0rd!1", "Passw0rd!2"}, "Passw0rd!2", true, 0},
		{"size 1 allows the previous", 1, []string{"Passw0rd!1", "Passw0rd!2"}, "Passw0rd!1", false, 0},
		{"size 3 forbids two back", 3, []string{"Passw0rd!1", "Passw0rd!2", "Passw0rd!3"}, "Passw0rd!1", true, 2},
		{"size 2 forgets three back", 2, []string{"Passw0rd!1", "Passw0rd!2", "Passw0rd!3"}, "Passw0rd!1", false, 1},
		{"new password", 3, []string{"Passw0rd!1", "Passw0rd!2"}, "Passw0rd!4", false, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pp := &idp.PasswordPolicyType{PasswordHistorySize: cognito.Ptr(tc.size)}
			u := &userRecord{}
			for _, pw := range tc.set {
				setPassword(pp, u, hashes[pw], now)
			}
			if got := reusedForTest(pp, u, tc.try); got != tc.wantReused {
				t.Errorf("passwordReused = %v, want %v", got, tc.wantReused)
			}
			if len(u.PasswordHistory) != tc.wantHistory {
				t.Errorf("history keeps %d hashes, want %d", len(u.PasswordHistory), tc.wantHistory)
			}
			if diff := cmp.Diff(hashes[tc.set[len(tc.set)-1]], u.PasswordHash); diff != "" {
				t.Errorf("current hash (-want +got):\n%s", diff)
			}
			if u.PasswordSetAt == nil || !u.PasswordSetAt.Equal(now) {
				t.Errorf("PasswordSetAt = %v", u.PasswordSetAt)
			}
		})
	}
}

// verifies is password verification for tests, which run no client address and
// never meet a busy scheduler.
func verifies(phc, password string) bool {
	ok, err := testPasswords.Verify(context.Background(), phc, password)
	return ok && err == nil
}

// reusedForTest is passwordReused for tests.
func reusedForTest(pp *idp.PasswordPolicyType, u *userRecord, password string) bool {
	ok, err := (&Service{passwords: testPasswords}).passwordReused(context.Background(), pp, u, password)
	return ok && err == nil
}
