package userpool

import (
	"context"
	"strings"
	"testing"
)

func TestSetPasswordHashing(t *testing.T) {
	saved := passwordHashParams
	t.Cleanup(func() { passwordHashParams = saved })
	cases := []struct {
		name    string
		h       PasswordHashing
		wantErr string
	}{
		{"default", DefaultPasswordHashing(), ""},
		{"stronger", PasswordHashing{MemoryKiB: 64 * 1024, Iterations: 3, Parallelism: 2}, ""},
		{"no lanes", PasswordHashing{MemoryKiB: 19456, Iterations: 2}, "parallelism"},
		{"no passes", PasswordHashing{MemoryKiB: 19456, Parallelism: 1}, "iterations"},
		{"too little memory", PasswordHashing{MemoryKiB: 512, Iterations: 2, Parallelism: 1}, "memory"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := SetPasswordHashing(tc.h)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("SetPasswordHashing(%+v) = %v, want an error about %s", tc.h, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			hash, err := hashPassword(context.Background(), "Correct-Horse-1")
			if err != nil {
				t.Fatal(err)
			}
			p, _, _, err := parsePasswordHash(hash)
			if err != nil || p.memory != tc.h.MemoryKiB || p.time != tc.h.Iterations || p.threads != tc.h.Parallelism {
				t.Errorf("hash %s has parameters %+v, want %+v", hash, p, tc.h)
			}
			if !verifies(hash, "Correct-Horse-1") {
				t.Error("the hash does not verify")
			}
		})
	}
}
