package storage

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"
)

// Item is a stored record of one of the kinds that live inside a user pool:
// app clients, users, groups, group memberships, resource servers, domains,
// UI customizations, and the records later issues add (devices, refresh
// tokens, …). The store keeps Data as opaque JSON; the engine that owns a
// kind defines its shape. Keys and Index are what the store looks items up
// and lists them by, so every kind is served by the same few methods and the
// same two tables, without a migration per kind.
type Item struct {
	// Kind names the record type, e.g. "client" or "user".
	Kind string
	// ID is unique within Kind across the whole store (engines prefix it
	// with the pool ID where the natural name is only unique in a pool).
	ID string
	// Pool is the ID of the user pool the item belongs to, or "".
	Pool string
	// Data is the item's state as JSON; it round-trips byte for byte.
	Data []byte
	// Keys are unique lookup strings, unique within Kind across the store
	// (e.g. "<pool>/username/<folded name>"). Create and Update fail with a
	// *KeyConflictError when another item of the kind holds one of them.
	Keys []string
	// Index are non-unique strings that ScanIndex finds the item by, in
	// byte order (e.g. "<pool>/email/<value>").
	Index []string
	// The store keeps Keys and Index as sets: it returns each sorted in
	// byte order without duplicates (nil when empty). Kind and ID must not
	// be empty, and Kind, ID, Pool, Keys and Index must be valid UTF-8
	// without NUL bytes, which PostgreSQL's text type cannot hold; Create
	// and Update reject other items before writing anything.
	// CreatedAt and UpdatedAt are set by the caller.
	CreatedAt time.Time
	UpdatedAt time.Time
	// Version counts writes, as for UserPool: Create stores 1; Update and
	// Delete require the stored version; Update sets Version to the new one.
	Version int64
}

// KeyConflictError reports the unique key another item already holds. It
// matches ErrAlreadyExists with errors.Is.
type KeyConflictError struct {
	Kind, Key string
}

func (e *KeyConflictError) Error() string {
	return "storage: key already exists: " + e.Kind + " " + e.Key
}

// Is makes errors.Is(err, ErrAlreadyExists) true.
func (e *KeyConflictError) Is(target error) bool { return target == ErrAlreadyExists }

// ConflictingKey returns the key of a *KeyConflictError in err's chain, or
// "" when there is none.
func ConflictingKey(err error) string {
	var kc *KeyConflictError
	if errors.As(err, &kc) {
		return kc.Key
	}
	return ""
}

// ListItemsInput selects a page of one pool's items of a kind, by ID.
type ListItemsInput struct {
	Kind, Pool string
	// AfterID starts the page after this ID ("" for the first page).
	AfterID string
	// Limit is the page size; it must be positive.
	Limit int
}

// ScanInput selects index entries of a kind whose key starts with Prefix
// (byte-wise and literal: no character is a wildcard), or equals it when
// Exact is set, in (key, ID) order.
type ScanInput struct {
	Kind   string
	Prefix string
	Exact  bool
	// AfterKey and AfterID continue after the entry (AfterKey, AfterID);
	// both empty for the first page.
	AfterKey, AfterID string
	// Limit is the page size; it must be positive.
	Limit int
	// DataOnly leaves the entries' items without their Keys and Index
	// (nil), for a reader of their Data alone (a listing), which the store
	// then answers with less work. Such an item must never be written
	// back: the write would drop its keys and index entries.
	DataOnly bool
}

// IndexEntry is one index key and the item that carries it.
type IndexEntry struct {
	Key  string
	Item *Item
}

// ItemReader reads items. A Store answers it outside any transaction; a Tx
// answers it inside its transaction, where GetItem and GetItemByKey also
// lock the row they return until the transaction ends, so a read-check-write
// inside one Tx cannot interleave with another writer of the same item.
type ItemReader interface {
	// GetItem returns the item of kind with id, or ErrNotFound.
	GetItem(ctx context.Context, kind, id string) (*Item, error)
	// GetItemByKey returns the item of kind holding the unique key, or
	// ErrNotFound.
	GetItemByKey(ctx context.Context, kind, key string) (*Item, error)
	// ListItems returns up to in.Limit items of in.Kind in in.Pool with IDs
	// greater than in.AfterID, in ID order.
	ListItems(ctx context.Context, in ListItemsInput) ([]*Item, error)
	// ScanIndex returns up to in.Limit index entries matching in, in
	// (key, ID) order. It must use the index: its cost grows with the
	// entries returned, not with the size of the kind.
	ScanIndex(ctx context.Context, in ScanInput) ([]IndexEntry, error)
	// CountItems returns how many items of kind belong to pool.
	CountItems(ctx context.Context, kind, pool string) (int64, error)
}

// Tx is one transaction. Every write made through it commits together with
// its change-log entries, or not at all.
//
// A method that fails with ErrNotFound, ErrConflict, ErrAlreadyExists or a
// *KeyConflictError has written nothing, and the transaction stays usable:
// fn may go on (e.g. try another name) or return the error. Any other error
// (a lost deadlock, a broken connection) dooms the transaction: Tx rolls
// back and returns that error even if fn returns nil. A Tx is not safe for
// concurrent use.
type Tx interface {
	ItemReader
	// MarkerReader reads markers, the transaction's own among them.
	MarkerReader
	// CreateMarker stores m, or returns ErrAlreadyExists when a marker
	// with its ID exists or another transaction creating one has
	// committed first (where writers run at once, it waits for that
	// transaction to end); like the other sentinel failures, that leaves
	// the transaction usable. It writes no change-log entry: markers stay
	// in the store that writes them.
	CreateMarker(ctx context.Context, m *Marker) error
	// GetUserPool, UpdateUserPool and DeleteUserPool are the Store's pool
	// methods inside the transaction; GetUserPool locks the pool's row.
	GetUserPool(ctx context.Context, id string) (*UserPool, error)
	UpdateUserPool(ctx context.Context, p *UserPool) error
	DeleteUserPool(ctx context.Context, id string, version int64) error

	// The item writes below log their change in the change log when the
	// item's kind is Replicated, and log nothing when it is Local; they
	// refuse a kind declared neither way (ErrUndeclaredKind, see
	// DeclareKind), writing nothing.

	// CreateItem stores it with Version 1. It returns ErrAlreadyExists when
	// an item of the kind has the ID, or a *KeyConflictError (which is also
	// ErrAlreadyExists) when another item holds one of its Keys.
	CreateItem(ctx context.Context, it *Item) error
	// UpdateItem replaces the item, its Keys and its Index when it.Version
	// is the stored version, then sets it.Version to the new version. It
	// returns ErrNotFound, ErrConflict or a *KeyConflictError.
	UpdateItem(ctx context.Context, it *Item) error
	// DeleteItem deletes the item with its keys and index entries when
	// version is the stored version, and erases the item's earlier
	// change-log entries (see Change). It returns ErrNotFound or
	// ErrConflict.
	DeleteItem(ctx context.Context, kind, id string, version int64) error
	// DeleteItems deletes every item of kind in pool and returns how many
	// it deleted. It erases the earlier change-log entries of each, and
	// writes one change-log entry of kind ChangePurge whose Entity is the
	// kind and whose Key is the pool ID.
	DeleteItems(ctx context.Context, kind, pool string) (int64, error)
	// DeletePoolItems deletes every item of pool, whatever its kind, and
	// returns how many it deleted: what DeleteUserPool's transaction runs,
	// so that no package keeps a list of the others' kinds. It erases the
	// earlier change-log entries of each, and those of the pool's items
	// deleted before (the entries whose key is an ID under "<pool>/", or
	// that name the pool as theirs, Change.Pool, but the pool's own), and
	// writes, for each kind it
	// deleted items of that is not declared Local, one ChangePurge entry as
	// DeleteItems does (a kind no package of the process declared counts
	// as replicated). It deletes the pool's markers too (those whose ID
	// starts with "<pool>/"), without counting them.
	DeletePoolItems(ctx context.Context, pool string) (int64, error)
}

// ChangePurge is the change kind of DeleteItems: every item of Entity in
// the pool named by Key is gone.
const ChangePurge ChangeKind = "purge"

// Transactor runs transactions.
type Transactor interface {
	// Tx runs fn in one transaction and commits when fn returns nil. When
	// fn returns an error, or the commit fails, nothing fn wrote remains.
	// A transaction that loses a deadlock or serialization race returns an
	// error matching ErrConflict, so callers may retry it. fn must have no
	// effects outside tx, and must not keep tx after it returns.
	Tx(ctx context.Context, fn func(tx Tx) error) error
}

// Reader is what Read's function reads through: the items and the pools
// of the store.
type Reader interface {
	ItemReader
	// GetUserPool returns the pool with id, or ErrNotFound.
	GetUserPool(ctx context.Context, id string) (*UserPool, error)
}

// ReadTransactor runs reads together.
type ReadTransactor interface {
	// Read runs fn's reads together and returns fn's error as it is. On
	// SQLite they run in one read transaction on one connection, so they
	// see one snapshot of the database. On PostgreSQL they run on one
	// connection, each at READ COMMITTED, the isolation of Tx, without
	// BEGIN and COMMIT (which would add two round trips and show nothing
	// more). Reads take no locks and never wait for a writer. fn must not
	// keep r after it returns; a Reader used after its Read fails with an
	// error that is none of the sentinels.
	//
	// It is for reads that must agree with each other, not for speed: on
	// SQLite, BEGIN, ROLLBACK and database/sql's transaction bookkeeping
	// cost more than the implicit transaction of each statement they
	// replace (two point reads: about 20 % more CPU, measured on
	// AdminGetUser's pool and user), and on PostgreSQL it saves only the
	// pool's acquire per read.
	Read(ctx context.Context, fn func(r Reader) error) error
}

// PrefixEnd returns the least string greater than every string that starts
// with prefix, in byte (and code point) order, and false when there is none
// (prefix is empty or made only of U+10FFFF). It increments the last code
// point, skipping the surrogate range, so the bound stays valid UTF-8 for
// databases that require it: prefix <= s < PrefixEnd(prefix) holds exactly
// for the strings s that start with prefix.
func PrefixEnd(prefix string) (string, bool) {
	if !utf8.ValidString(prefix) {
		// Not UTF-8: byte arithmetic, for stores that compare bytes.
		b := []byte(prefix)
		for len(b) > 0 && b[len(b)-1] == 0xff {
			b = b[:len(b)-1]
		}
		if len(b) == 0 {
			return "", false
		}
		b[len(b)-1]++
		return string(b), true
	}
	for prefix != "" {
		r, size := utf8.DecodeLastRuneInString(prefix)
		prefix = prefix[:len(prefix)-size]
		if r == utf8.MaxRune {
			continue
		}
		next := r + 1
		if next == 0xD800 {
			next = 0xE000
		}
		return prefix + string(next), true
	}
	return "", false
}

// ChangeState returns how the kind of rec is replicated and, for a
// replicated kind, rec's change-log state (EncodeItem): what the backends'
// item writes log. A kind declared neither way is an error wrapping
// ErrUndeclaredKind.
func ChangeState(rec *Item) (Replication, []byte, error) {
	rep, err := KindReplication(rec.Kind)
	if err != nil {
		return 0, nil, fmt.Errorf("write %s %q: %w", rec.Kind, rec.ID, err)
	}
	if rep == Local {
		return rep, nil, nil
	}
	state, err := EncodeItem(rec)
	return rep, state, err
}

// ItemRef names an item by its kind and ID.
type ItemRef struct{ Kind, ID string }

// ItemsGetter is implemented by the stores that read several items by ID
// in one statement: on PostgreSQL, one round trip instead of one each; on
// SQLite, one read transaction instead of one each.
type ItemsGetter interface {
	// GetItems returns the items refs name, in the order of refs, with nil
	// for each that does not exist. It reads as GetItem does (outside a
	// transaction, without locks), but need not read them all from one
	// snapshot. A ref of MarkerKind names a marker (see MarkerKind).
	GetItems(ctx context.Context, refs []ItemRef) ([]*Item, error)
}

// GetItems reads the items refs name through r: in one call when r reads
// several at once (ItemsGetter), else with one GetItem each. The result
// holds the items in the order of refs, with nil for each that does not
// exist.
//
// A ref of MarkerKind names a marker (see MarkerKind); r must then be a
// MarkerReader too.
func GetItems(ctx context.Context, r ItemReader, refs []ItemRef) ([]*Item, error) {
	if g, ok := r.(ItemsGetter); ok {
		return g.GetItems(ctx, refs)
	}
	out := make([]*Item, len(refs))
	for i, ref := range refs {
		if ref.Kind == MarkerKind {
			mr, ok := r.(MarkerReader)
			if !ok {
				return nil, fmt.Errorf("get marker %q: the reader reads no markers", ref.ID)
			}
			m, err := mr.GetMarker(ctx, ref.ID)
			if errors.Is(err, ErrNotFound) {
				continue
			}
			if err != nil {
				return nil, err
			}
			out[i] = MarkerItem(m)
			continue
		}
		it, err := r.GetItem(ctx, ref.Kind, ref.ID)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out[i] = it
	}
	return out, nil
}

// ItemsScanner is implemented by the stores that read several items by ID
// and scan an index in one call: on SQLite one statement (one read of the
// reader connection), on PostgreSQL one round trip (a pgx batch of the two
// statements). A reader that needs both asks through GetItemsScan.
type ItemsScanner interface {
	// GetItemsScan returns what GetItems(refs) and ScanIndex(scan) would,
	// read as they read outside a transaction; the two need not see one
	// snapshot.
	GetItemsScan(ctx context.Context, refs []ItemRef, scan ScanInput) ([]*Item, []IndexEntry, error)
}

// GetItemsScan reads the items refs name and the index entries scan finds
// through r: in one call when r does both at once (ItemsScanner), else
// with GetItems and then ScanIndex. A caller that only might need the
// scan asks r for ItemsScanner itself, and scans later, if it needs to,
// through a reader that would run the two one after the other anyway.
func GetItemsScan(ctx context.Context, r ItemReader, refs []ItemRef, scan ScanInput) ([]*Item, []IndexEntry, error) {
	if g, ok := r.(ItemsScanner); ok {
		return g.GetItemsScan(ctx, refs, scan)
	}
	items, err := GetItems(ctx, r, refs)
	if err != nil {
		return nil, nil, err
	}
	entries, err := r.ScanIndex(ctx, scan)
	if err != nil {
		return nil, nil, err
	}
	return items, entries, nil
}
