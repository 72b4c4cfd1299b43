package userpool

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
)

// The package's tests hash with cheap parameters so they stay fast;
// TestPasswordHashDefaults checks the real ones.
func init() { passwordHashParams = argonParams{memory: 64, time: 1, threads: 1} }

func TestPasswordHashDefaults(t *testing.T) {
	saved := passwordHashParams
	t.Cleanup(func() { passwordHashParams = saved })
	passwordHashParams = defaultArgonParams

	h, err := hashPassword(context.Background(), "Corr3ct horse!")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("hash %q does not record argon2id with m=19456,t=2,p=1", h)
	}
	p, salt, key, err := parsePasswordHash(h)
	if err != nil {
		t.Fatal(err)
	}
	if p != defaultArgonParams || len(salt) != 16 || len(key) != 32 {
		t.Errorf("parsed %+v, salt %d bytes, key %d bytes", p, len(salt), len(key))
	}
	if !verifies(h, "Corr3ct horse!") || verifies(h, "corr3ct horse!") {
		t.Error("verification with the default parameters is wrong")
	}
}

func TestPasswordHashVerify(t *testing.T) {
	h1, err := hashPassword(context.Background(), "Secret1!")
	if err != nil {
		t.Fatal(err)
	}
	h2, _ := hashPassword(context.Background(), "Secret1!")
	if h1 == h2 {
		t.Error("two hashes of one password are equal: the salt is not random")
	}
	// A hash made with other parameters still verifies: they are read
	// from the hash.
	saved := passwordHashParams
	passwordHashParams = argonParams{memory: 128, time: 2, threads: 2}
	h3, _ := hashPassword(context.Background(), "Secret1!")
	passwordHashParams = saved

	tests := []struct {
		name, hash, password string
		want                 bool
	}{
		{"right", h1, "Secret1!", true},
		{"wrong", h1, "Secret1?", false},
		{"empty", h1, "", false},
		{"other parameters", h3, "Secret1!", true},
		{"empty hash", "", "Secret1!", false},
		{"bcrypt", "$2a$10$abcdefghijklmnopqrstuv", "Secret1!", false},
		{"argon2i", strings.Replace(h1, "argon2id", "argon2i", 1), "Secret1!", false},
		{"wrong version", strings.Replace(h1, "v=19", "v=16", 1), "Secret1!", false},
		{"zero memory", strings.Replace(h1, "m=64", "m=0", 1), "Secret1!", false},
		{"unknown parameter", strings.Replace(h1, "p=1", "x=1", 1), "Secret1!", false},
		{"bad salt", strings.Join(append(strings.Split(h1, "$")[:4], "!!", strings.Split(h1, "$")[5]), "$"), "Secret1!", false},
		{"truncated", h1[:len(h1)-10], "Secret1!", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := verifies(tc.hash, tc.password); got != tc.want {
				t.Errorf("verifyPassword = %v, want %v", got, tc.want)
			}
		})
	}
}

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
		h, err := hashPassword(context.Background(), pw)
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

// verifies is verifyPassword for tests, which run no client address and
// never meet a busy scheduler.
func verifies(phc, password string) bool {
	ok, err := verifyPassword(context.Background(), phc, password)
	return ok && err == nil
}

// reusedForTest is passwordReused for tests.
func reusedForTest(pp *idp.PasswordPolicyType, u *userRecord, password string) bool {
	ok, err := passwordReused(context.Background(), pp, u, password)
	return ok && err == nil
}
