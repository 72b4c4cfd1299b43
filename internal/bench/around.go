package bench

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// Where a bound measured around a scenario's timed window was measured.
const (
	WhenBefore = "before"
	WhenAfter  = "after"
)

// aroundReuse is how recent a bound measured after one timed window must
// be for the next window to take it as its own "before" measurement
// instead of measuring again: the next scenario's probe and its workers'
// preparation come between the two.
const aroundReuse = 5 * time.Second

// aroundBounds measures the bound terms a scenario needs right before and
// right after each of its timed windows, so that its ratio is taken against
// the bound as the machine ran it at that time: on a shared or virtualized
// machine a bound's CPU per operation drifts by a fifth or more over a run,
// and a bound measured once at the start moves every ratio with it.
type aroundBounds struct {
	// measure measures one bound (measureBound; tests replace it).
	measure func(ctx context.Context, name string, par int) (Bound, error)
	now     func() time.Time
	// last holds the bounds measured after the last window, by name and
	// parallelism, and when; the next window reuses them as its before
	// measurements when they are recent enough.
	last   map[aroundKey]Bound
	lastAt time.Time
}

type aroundKey struct {
	name string
	par  int
}

func newAroundBounds(opts Options) *aroundBounds {
	return &aroundBounds{
		measure: func(ctx context.Context, name string, par int) (Bound, error) {
			return measureBound(ctx, name, par, opts.BoundTime, opts.PasswordHashing)
		},
		now: time.Now,
	}
}

// before measures terms at par for the window about to start (or reuses
// what the last window's after measured, if recent).
func (a *aroundBounds) before(ctx context.Context, terms boundTerms, par int, p *progress, label string) ([]Bound, error) {
	reuse := a.last != nil && a.now().Sub(a.lastAt) <= aroundReuse
	var out []Bound
	for _, name := range terms.names() {
		if b, ok := a.last[aroundKey{name, par}]; ok && reuse {
			b.When = WhenBefore
			out = append(out, b)
			continue
		}
		p.set(fmt.Sprintf("%s: bound %s on %d goroutines, before", label, name, par), nil)
		b, err := a.measure(ctx, name, par)
		if err != nil {
			return nil, err
		}
		b.When = WhenBefore
		out = append(out, b)
	}
	a.last = nil
	return out, nil
}

// after measures terms at par right after a window.
func (a *aroundBounds) after(ctx context.Context, terms boundTerms, par int, p *progress, label string) ([]Bound, error) {
	var out []Bound
	last := map[aroundKey]Bound{}
	for _, name := range terms.names() {
		p.set(fmt.Sprintf("%s: bound %s on %d goroutines, after", label, name, par), nil)
		b, err := a.measure(ctx, name, par)
		if err != nil {
			return nil, err
		}
		b.When = WhenAfter
		out = append(out, b)
		last[aroundKey{name, par}] = b
	}
	a.last, a.lastAt = last, a.now()
	return out, nil
}

// names lists the terms' bounds in the order Run measures them.
func (t boundTerms) names() []string {
	var out []string
	for _, name := range boundNames {
		if t[name] > 0 {
			out = append(out, name)
		}
	}
	return out
}

// pooledBounds merges the measurements of each bound (those before and
// after one window) into one, by name, as if they were one measurement
// over both spans: operations and seconds add up, and the CPU per
// operation is the total CPU over the total operations. A bound whose CPU
// time could not be read in one of them has none in the pool.
func pooledBounds(bs []Bound) map[string]Bound {
	out := map[string]Bound{}
	cpu := map[string]float64{}
	for _, b := range bs {
		m, seen := out[b.Name]
		if !seen {
			m = Bound{Name: b.Name, Parallelism: b.Parallelism, Detail: b.Detail}
			cpu[b.Name] = 0
		}
		m.Ops += b.Ops
		m.Seconds += b.Seconds
		if b.CPUNsPerOp <= 0 || cpu[b.Name] < 0 {
			cpu[b.Name] = -1
		} else {
			cpu[b.Name] += b.CPUNsPerOp * float64(b.Ops)
		}
		out[b.Name] = m
	}
	for name, m := range out {
		if m.Ops <= 0 || m.Seconds <= 0 {
			delete(out, name)
			continue
		}
		m.OpsPerSecond = float64(m.Ops) / m.Seconds
		m.NsPerOp = m.Seconds * 1e9 * float64(m.Parallelism) / float64(m.Ops)
		if c := cpu[name]; c > 0 {
			m.CPUNsPerOp = c / float64(m.Ops)
		}
		out[name] = m
	}
	return out
}

// setBounds fills r's bound figures: the rate and CPU ratios against the
// bounds measured around its window (around), and the CPU ratio against
// the bounds measured at the start of the run (start, by name at r's
// parallelism), which earlier records used.
func (r *Result) setBounds(terms boundTerms, note string, around []Bound, start map[string]Bound) {
	r.Bound = terms.String()
	r.BoundNote = note
	r.BoundsAround = slices.Clone(around)
	near := start
	if len(around) > 0 {
		near = pooledBounds(around)
	}
	if rate, ok := terms.rate(near); ok {
		r.BoundOpsPerSecond = rate
		r.OfBound = r.OpsPerSecond / rate
	}
	if ns, ok := terms.cpuNs(near); ok {
		r.setBoundCPU(ns)
	}
	if len(around) > 0 && r.ServerCPUUsPerOp > 0 {
		if ns, ok := terms.cpuNs(start); ok && ns > 0 {
			r.StartBoundCPUUsPerOp = ns / 1000
			r.OfStartBoundCPU = r.StartBoundCPUUsPerOp / r.ServerCPUUsPerOp
		}
	}
}
