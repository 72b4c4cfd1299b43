package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// cacheChannel is the notification channel of the read caches. Its payload
// is the schema whose pools or app clients changed, so that stores in other
// schemas of one database (as in tests) drop nothing, or a probe's
// token (probePrefix).
const cacheChannel = "cognate_read_cache"

// notifyQuery tells every node's read cache on this schema to drop what it
// holds: with $1 empty, everything (the payload is the schema, as nodes
// of earlier versions expect); with $1 keyedPrefix, only the items cached
// by key. In a transaction, PostgreSQL delivers it when (and only if) the
// transaction commits, after its writes are visible to other sessions.
const notifyQuery = `SELECT pg_notify('` + cacheChannel + `', $1::text || current_schema())`

// keyedPrefix starts the payload of a notification that drops only the
// items cached by key (storage.DeclareCachedByKey: users), for a
// transaction that wrote such an item and no pool or cached item. A schema
// whose name is another's with this prefix would make the two drop a
// little more than they need: never less.
const keyedPrefix = "keyed "

// probePrefix starts the payload of a probe: a notification a node sends
// itself through another connection to prove that its listening connection
// still hears the others.
const probePrefix = "probe "

// Timing of the listener. Variables so that tests can shorten them.
var (
	// probeEvery is how long the listener waits for a notification before
	// it probes its connection.
	probeEvery = 5 * time.Second
	// probeWait is how long a probe may take to come back before the
	// connection is taken for lost.
	probeWait = 5 * time.Second
	// reconnectWait is the pause before the listener connects again after
	// losing its connection or failing to make one.
	reconnectWait = time.Second
)

// listen keeps the read cache (storage.ReadCache) of a DB opened with
// Options.ReadCache in step with the other nodes' writes, until ctx ends.
//
// Several nodes write one database, so a node's cache is only as fresh as
// what it hears of the others' writes. Every transaction that writes a pool
// or an item of a cacheable kind (app clients) notifies cacheChannel as it
// commits, whichever node runs it and whether or not that node caches; this
// node's own transactions also drop its cache before their Tx returns. This
// loop holds a connection of its own that LISTENs on the channel and drops
// the cache at each notification for its schema. The cache is on only
// while that connection is known to hear notifications:
//
//   - it is turned on after LISTEN, and only once a probe (a notification
//     sent through the pool, another session) has come back on it, which a
//     connection pooler in transaction mode, where LISTEN does not hold,
//     never passes;
//   - it is probed again after every probeEvery without a notification,
//     and a probe that does not come back within probeWait, or any error
//     on the connection, turns the cache off (dropping it) before the loop
//     connects again.
//
// Turning it on or off, and each notification, drops what it held and
// moves its generation on, so a read that began before never stores what
// it read. A node therefore stops serving a changed record once the commit's
// notification reaches it: PostgreSQL sends notifications at commit, so
// that is the time it takes a message to cross from the database to this
// node, never a fixed time to live; if the connection is lost in a way TCP
// does not report, the cache is off within probeEvery + probeWait.
func (db *DB) listen(ctx context.Context) {
	defer close(db.listenDone)
	for ctx.Err() == nil {
		err := db.listenOnce(ctx)
		db.cache.SetOn(false)
		if ctx.Err() != nil {
			return
		}
		db.log.Warn("postgres: read cache off: not hearing other nodes' writes; connecting again", "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(reconnectWait):
		}
	}
}

// listenOnce connects, listens and turns the cache on once a probe has come
// back, then drops the cache at every notification for this schema until
// the connection fails, a probe is lost, or ctx ends.
func (db *DB) listenOnce(ctx context.Context) error {
	cc := db.pool.Config().ConnConfig.Copy()
	cc.Tracer = nil // Options.Tracer traces the pool's statements only
	conn, err := pgx.ConnectConfig(ctx, cc)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var schema string
	if err := conn.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return err
	}
	if _, err := conn.Exec(ctx, `LISTEN `+cacheChannel); err != nil {
		return err
	}
	db.listenPID.Store(conn.PgConn().PID())
	on := false
	for {
		if err := db.probe(ctx, conn, schema); err != nil {
			return err
		}
		if !on {
			db.cache.SetOn(true)
			on = true
		}
		if err := db.drain(ctx, conn, schema); err != nil {
			return err
		}
	}
}

// probe sends a notification with a fresh token through the pool and waits
// for it on conn, dropping the cache at each notification for schema that
// arrives meanwhile.
func (db *DB) probe(ctx context.Context, conn *pgx.Conn, schema string) error {
	var b [12]byte
	rand.Read(b[:])
	token := probePrefix + hex.EncodeToString(b[:])
	if _, err := db.pool.Exec(ctx, `SELECT pg_notify('`+cacheChannel+`', $1)`, token); err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, probeWait)
	defer cancel()
	for {
		n, err := conn.WaitForNotification(wctx)
		if err != nil {
			if ctx.Err() == nil && wctx.Err() != nil {
				return errors.New("a probe did not come back in time")
			}
			return err
		}
		if n.Payload == token {
			return nil
		}
		db.heard(n, schema)
	}
}

// drain drops the cache at each notification for schema, and returns nil
// once probeEvery passes without any, for the caller to probe.
func (db *DB) drain(ctx context.Context, conn *pgx.Conn, schema string) error {
	for {
		wctx, cancel := context.WithTimeout(ctx, probeEvery)
		n, err := conn.WaitForNotification(wctx)
		timedOut := wctx.Err() != nil
		cancel()
		if err != nil {
			if ctx.Err() == nil && timedOut && pgconn.Timeout(err) && !conn.IsClosed() {
				return nil
			}
			return err
		}
		db.heard(n, schema)
	}
}

// heard drops the cache when n tells of a write in schema: all of it, or
// the items cached by key alone.
func (db *DB) heard(n *pgconn.Notification, schema string) {
	switch n.Payload {
	case schema:
		db.cache.Invalidate()
		db.heardWrites.Add(1)
	case keyedPrefix + schema:
		db.cache.InvalidateKeyed()
		db.heardWrites.Add(1)
	case migratedPrefix + schema:
		db.cache.Invalidate()
		go db.heardMigration()
	}
}

// discardLogger is the logger of a DB opened without one.
var discardLogger = slog.New(slog.DiscardHandler)
