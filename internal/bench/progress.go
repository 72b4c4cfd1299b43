package bench

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// progress keeps one live line on a terminal (or a log of lines
// elsewhere) saying what the run is doing.
type progress struct {
	w io.Writer

	// mu guards the fields below.
	mu       sync.Mutex
	label    string
	line     func() string
	last     string
	stop     chan struct{}
	finished chan struct{}
}

func newProgress(w io.Writer) *progress {
	p := &progress{w: w, stop: make(chan struct{}), finished: make(chan struct{})}
	if w == nil {
		close(p.finished)
		return p
	}
	go func() {
		defer close(p.finished)
		tick := time.NewTicker(500 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-tick.C:
				p.mu.Lock()
				p.drawLocked()
				p.mu.Unlock()
			}
		}
	}()
	return p
}

// set says what the run does now; line, when not nil, renders the live
// figures.
func (p *progress) set(label string, line func() string) {
	if p.w == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.label, p.line = label, line
	p.drawLocked()
}

func (p *progress) drawLocked() {
	s := p.label
	if p.line != nil {
		s = p.line()
	}
	if s == p.last {
		return
	}
	p.last = s
	fmt.Fprintf(p.w, "\r\033[K%s", s)
}

// done ends the line.
func (p *progress) done() {
	if p.w == nil {
		return
	}
	close(p.stop)
	<-p.finished
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.last != "" {
		fmt.Fprint(p.w, "\r\033[K")
	}
}

// readRSS returns the resident set size and its peak (VmRSS and VmHWM) of
// process pid, in bytes, from /proc; zeros where that cannot be read.
func readRSS(pid int) (rss, peak int64) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, 0
	}
	for line := range strings.Lines(string(b)) {
		name, val, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		f := strings.Fields(val)
		if len(f) != 2 || f[1] != "kB" {
			continue
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			continue
		}
		switch name {
		case "VmRSS":
			rss = n * 1024
		case "VmHWM":
			peak = n * 1024
		}
	}
	return rss, peak
}
