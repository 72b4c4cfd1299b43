package userpool

import (
	"fmt"
	"runtime"
)

// PasswordHashing are the argon2id cost parameters new password hashes use.
// Verification always reads the parameters from the stored hash, so
// changing them never locks anyone out: existing hashes keep theirs until
// the password is next set.
type PasswordHashing struct {
	// MemoryKiB is the memory per hash, in KiB (default 19456, 19 MiB).
	MemoryKiB uint32
	// Iterations is the number of passes (default 2).
	Iterations uint32
	// Parallelism is the number of lanes (default 1).
	Parallelism uint8
}

// DefaultPasswordHashing returns OWASP's minimum recommendation for
// argon2id, cognate's default.
func DefaultPasswordHashing() PasswordHashing {
	return PasswordHashing{MemoryKiB: defaultArgonParams.memory, Iterations: defaultArgonParams.time, Parallelism: defaultArgonParams.threads}
}

// Validate reports parameters argon2id cannot use or that are unsafe.
func (h PasswordHashing) Validate() error {
	switch {
	case h.Parallelism < 1:
		return fmt.Errorf("parallelism must be at least 1")
	case h.Iterations < 1:
		return fmt.Errorf("iterations must be at least 1")
	case h.MemoryKiB < 8*uint32(h.Parallelism) || h.MemoryKiB < 1024:
		return fmt.Errorf("memory must be at least 1024 KiB and 8 KiB per lane")
	case h.MemoryKiB > 4<<20:
		return fmt.Errorf("memory must be at most 4 GiB")
	}
	return nil
}

// SetPasswordHashing sets the parameters of every password hash the
// process makes from now on. The cost of a hash is a property of the
// server (its memory and CPU), not of a pool, so it is process-wide;
// cmd/cognate calls it once, before it creates the services. It also
// sizes the cap on argon2id computations running at once (hashes and
// verifications together) to runtime.GOMAXPROCS(0): see argonLimit.
func SetPasswordHashing(h PasswordHashing) error {
	if err := h.Validate(); err != nil {
		return err
	}
	passwordHashParams = argonParams{memory: h.MemoryKiB, time: h.Iterations, threads: h.Parallelism}
	setArgonConcurrency(runtime.GOMAXPROCS(0))
	return nil
}
