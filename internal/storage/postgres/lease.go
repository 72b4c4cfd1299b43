package postgres

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// leaseLockClass keys the session-level advisory locks of TryLease; the
// second key is a hash of the schema and the lease's name, so that stores
// in other schemas of one database hold leases of their own.
const leaseLockClass = 0x636f6720 // "cog "

// Timing of a Lease's watch. Variables so that tests can shorten them.
var (
	// leaseCheckEvery is how often a Lease checks that its connection,
	// and so its lock, is still there.
	leaseCheckEvery = time.Second
	// leaseCheckTimeout bounds each check: a connection that does not
	// answer within it is taken as lost.
	leaseCheckTimeout = time.Second
)

// LeaseGrace is the longest a holder whose session is gone can take to
// notice it: a node that has just taken a lease waits this long before it
// starts the work the lease guards, so that a previous holder has stopped.
func LeaseGrace() time.Duration { return leaseCheckEvery + leaseCheckTimeout + 500*time.Millisecond }

// Lease is a session-level advisory lock held on a connection of its own.
// PostgreSQL releases it when that session ends: Release, the process
// exiting or killed, or the connection dropped. Lost is closed as soon as
// the lease finds its connection gone.
type Lease struct {
	conn *pgx.Conn
	lost chan struct{}
	stop context.CancelFunc
	done chan struct{}
	once sync.Once
}

// TryLease takes the lease called name of the store's schema without
// waiting, on a new connection: it returns nil and no error when another
// session holds it.
func (db *DB) TryLease(ctx context.Context, name string) (*Lease, error) {
	cc := db.pool.Config().ConnConfig.Copy()
	cc.Tracer = nil
	conn, err := pgx.ConnectConfig(ctx, cc)
	if err != nil {
		return nil, fmt.Errorf("postgres: lease: %w", err)
	}
	var got bool
	err = conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1, hashtext(current_schema() || '/' || $2::text))`,
		int32(leaseLockClass), name).Scan(&got)
	if err != nil || !got {
		conn.Close(context.WithoutCancel(ctx))
		if err != nil {
			return nil, fmt.Errorf("postgres: lease: %w", err)
		}
		return nil, nil
	}
	wctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	l := &Lease{conn: conn, lost: make(chan struct{}), stop: stop, done: make(chan struct{})}
	go l.watch(wctx)
	return l, nil
}

// Lost is closed when the lease's connection is found gone or the lease
// released: its holder must stop the work it guards.
func (l *Lease) Lost() <-chan struct{} { return l.lost }

// Release ends the lease's session, which releases the lock.
func (l *Lease) Release() {
	l.stop()
	<-l.done
}

// watch checks the connection until it fails or ctx ends, then closes
// Lost and the connection.
func (l *Lease) watch(ctx context.Context) {
	defer close(l.done)
	defer l.conn.Close(context.Background())
	defer l.once.Do(func() { close(l.lost) })
	t := time.NewTicker(leaseCheckEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		cctx, cancel := context.WithTimeout(ctx, leaseCheckTimeout)
		err := l.conn.Ping(cctx)
		cancel()
		if err != nil {
			return
		}
	}
}
