package bench

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cognate-dev/cognate/internal/password"
	"github.com/cognate-dev/cognate/internal/srp"
	"github.com/cognate-dev/cognate/internal/srp/srpclient"
)

// Names of the bounds: the work that bounds a scenario's rate, measured on
// the machine the bench runs on.
const (
	// BoundArgon2id is one password verification at the parameters the
	// server gives new hashes (by default m=19456 KiB, t=2, p=1; see
	// Options.PasswordHashing).
	BoundArgon2id = "argon2id"
	// BoundSRPServerStep is the SRP server step: a new attempt (b and
	// B = k*v + g^b) and the check of a claim (u, S = (A*v^u)^b, HKDF,
	// HMAC).
	BoundSRPServerStep = "srp-server-step"
	// BoundRS256Sign is one RS256 signature with a 2048-bit key over a
	// token-sized input; BoundRS256Verify one verification.
	BoundRS256Sign   = "rs256-sign"
	BoundRS256Verify = "rs256-verify"
)

// boundNames lists the bounds in the order Run measures them.
var boundNames = []string{BoundArgon2id, BoundSRPServerStep, BoundRS256Sign, BoundRS256Verify}

// Bound is one bound measured at one parallelism: Parallelism goroutines
// doing nothing else for the measuring time.
type Bound struct {
	Name        string  `json:"name"`
	Parallelism int     `json:"parallelism"`
	Ops         int64   `json:"ops"`
	Seconds     float64 `json:"seconds"`
	// OpsPerSecond is the total rate of all goroutines; NsPerOp the time
	// one operation takes one goroutine (Parallelism × Seconds / Ops),
	// which is also its CPU time when the goroutines kept their CPUs.
	OpsPerSecond float64 `json:"ops_per_second"`
	NsPerOp      float64 `json:"ns_per_op"`
	// CPUNsPerOp is the CPU time the bench process used per operation
	// over the measurement (Linux, to a clock tick): about NsPerOp on an
	// otherwise idle machine, less when other processes took CPU from the
	// goroutines, which then inflates NsPerOp.
	CPUNsPerOp float64 `json:"cpu_ns_per_op,omitempty"`
	// Detail says what exactly was measured (e.g. the argon2id parameters).
	Detail string `json:"detail,omitempty"`
	// When is "before" or "after" for a bound measured around a
	// scenario's timed window (Result.BoundsAround), empty for the bounds
	// measured at the start of the run.
	When string `json:"when,omitempty"`
}

// boundWork returns the function that does one operation of the named
// bound, and what it measures; hashing are the argon2id bound's
// parameters (zero for the default).
func boundWork(name string, hashing password.Params) (func() error, string, error) {
	switch name {
	case BoundArgon2id:
		// A verification as the sign-in engine runs it: through a Hasher
		// (its queue, GOMAXPROCS computations at once) against a hash at
		// the server's parameters.
		h, err := password.New(password.Config{Params: hashing})
		if err != nil {
			return nil, "", err
		}
		hash := h.Dummy()
		params := strings.Join(strings.Split(hash, "$")[1:4], "$")
		return func() error {
			_, err := h.Verify(context.Background(), hash, "Bench-Passw0rd!")
			return err
		}, params, nil
	case BoundSRPServerStep:
		v, err := srp.NewVerifier("bench", "bench-user", "Bench-Passw0rd!")
		if err != nil {
			return nil, "", err
		}
		now := time.Now()
		A := srpclient.NewSized(benchABytes, nil).SRPA()
		block := make([]byte, 512)
		ts := srp.FormatTimestamp(now)
		sig := base64.StdEncoding.EncodeToString(make([]byte, 32)) // wrong: costs what a right one does
		return func() error {
			s, err := srp.NewServer(v)
			if err != nil {
				return err
			}
			s.Now = func() time.Time { return now }
			if ok, err := s.VerifyClaim("bench", "bench-user", A, block, ts, sig); ok || err != nil {
				return fmt.Errorf("VerifyClaim = %v, %v", ok, err)
			}
			return nil
		}, "NewSRPServer + VerifyClaim, 3072-bit group", nil
	case BoundRS256Sign, BoundRS256Verify:
		key := rsaKey()
		input := []byte(strings.Repeat("x", 1200))
		if name == BoundRS256Sign {
			return func() error {
				d := sha256.Sum256(input)
				_, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, d[:])
				return err
			}, "RSA 2048, PKCS #1 v1.5, SHA-256", nil
		}
		d := sha256.Sum256(input)
		sig, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, d[:])
		if err != nil {
			return nil, "", err
		}
		return func() error {
			d := sha256.Sum256(input)
			return rsa.VerifyPKCS1v15(&key.PublicKey, crypto.SHA256, d[:], sig)
		}, "RSA 2048, PKCS #1 v1.5, SHA-256", nil
	}
	return nil, "", fmt.Errorf("unknown bound %q", name)
}

var rsaKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic("rsa key: " + err.Error()) // crypto/rand never fails
	}
	return k
})

// maxBoundOps bounds one measurement in count as d bounds it in time.
const maxBoundOps = 10_000_000

// measureBound runs the named bound on p goroutines for d (and at most
// maxBoundOps operations); hashing are the argon2id bound's parameters.
func measureBound(ctx context.Context, name string, p int, d time.Duration, hashing password.Params) (Bound, error) {
	work, detail, err := boundWork(name, hashing)
	if err != nil {
		return Bound{}, err
	}
	if err := work(); err != nil { // warm up (the argon2id dummy hash, the RSA key)
		return Bound{}, fmt.Errorf("bound %s: %w", name, err)
	}
	var ops atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	cpuStart, cpuErr := processCPU(0)
	start := time.Now()
	deadline := start.Add(d)
	for range p {
		wg.Go(func() {
			for ctx.Err() == nil && time.Now().Before(deadline) && ops.Add(1) <= maxBoundOps {
				if err := work(); err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	cpuEnd, cpuEndErr := processCPU(0)
	if err, _ := firstErr.Load().(error); err != nil {
		return Bound{}, fmt.Errorf("bound %s: %w", name, err)
	}
	if err := ctx.Err(); err != nil {
		return Bound{}, err
	}
	n := min(ops.Load(), maxBoundOps)
	// Each goroutine counted one operation it did not do past the deadline.
	n = max(n-int64(p), 1)
	b := Bound{
		Name: name, Parallelism: p, Ops: n, Seconds: elapsed.Seconds(),
		OpsPerSecond: float64(n) / elapsed.Seconds(),
		NsPerOp:      float64(elapsed.Nanoseconds()) * float64(p) / float64(n),
		Detail:       detail,
	}
	if cpuErr == nil && cpuEndErr == nil && cpuEnd > cpuStart {
		b.CPUNsPerOp = float64((cpuEnd - cpuStart).Nanoseconds()) / float64(n)
	}
	return b, nil
}

// boundTerms is what bounds a scenario: how many of each bound one
// iteration does at least.
type boundTerms map[string]int

func (t boundTerms) String() string {
	var parts []string
	for _, name := range boundNames {
		if n := t[name]; n == 1 {
			parts = append(parts, name)
		} else if n > 1 {
			parts = append(parts, fmt.Sprintf("%d×%s", n, name))
		}
	}
	return strings.Join(parts, " + ")
}

// rate is the scenario bound's rate from the bounds measured at one
// parallelism: one over the sum of each term's time per operation.
func (t boundTerms) rate(bounds map[string]Bound) (float64, bool) {
	var perOp float64
	for name, n := range t {
		b, ok := bounds[name]
		if !ok || b.OpsPerSecond == 0 {
			return 0, false
		}
		perOp += float64(n) / b.OpsPerSecond
	}
	if perOp == 0 {
		return 0, false
	}
	return 1 / perOp, true
}

// cpuNs is the scenario bound's CPU time per operation from the bounds
// measured at one parallelism: the sum of each term's CPUNsPerOp, the CPU
// the bench process used per operation while it measured the term (so that
// what concurrent operations cost each other, such as argon2id's contention
// for memory bandwidth, counts as the bound saw it, and another process
// taking the cores away does not). Where the process's CPU time could not
// be read, a term falls back to NsPerOp, its goroutines times its wall time
// over its operations, which equals it on an otherwise idle machine.
func (t boundTerms) cpuNs(bounds map[string]Bound) (float64, bool) {
	var ns float64
	for name, n := range t {
		b, ok := bounds[name]
		if !ok {
			return 0, false
		}
		per := b.CPUNsPerOp
		if per == 0 {
			per = b.NsPerOp
		}
		if per == 0 {
			return 0, false
		}
		ns += float64(n) * per
	}
	return ns, ns > 0
}
