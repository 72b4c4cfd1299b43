package directory

import (
	"crypto/sha256"
	"sync"

	"github.com/cognate-dev/cognate/internal/storage"
)

// userMemoMaxBytes bounds what a userMemo holds, by an estimate of each
// entry's size (userMemoEntry.size).
const userMemoMaxBytes = 4 << 20

// userMemo keeps, by item ID, the part of each user that AdminGetUser
// answers, decoded from its stored JSON, for the read-only path that
// decodes the same users again and again. An entry is used only when the
// item just read holds exactly the bytes it was decoded from (compared by
// their SHA-256), so a user written since (here, by another node, or by
// replication) is decoded afresh: the memo saves decoding, never a read,
// and cannot serve a stale user. It keeps no password hash, verifier, code
// or secret: those members of the records it returns are empty.
//
// The records it returns are shared between goroutines: callers must not
// modify them.
type userMemo struct {
	// mu guards users and size.
	mu    sync.Mutex
	users map[string]userMemoEntry
	size  int
}

type userMemoEntry struct {
	digest [sha256.Size]byte
	user   *userRecord
	size   int
}

// public returns the user it holds, decoded, with only the members that
// AdminGetUser answers (name, sub, attributes, status, enabled, dates, MFA
// settings), shared with other callers.
func (m *userMemo) public(it *storage.Item) (*userRecord, error) {
	digest := sha256.Sum256(it.Data)
	m.mu.Lock()
	e, ok := m.users[it.ID]
	m.mu.Unlock()
	if ok && e.digest == digest {
		return e.user, nil
	}
	full, err := decodeUser(it)
	if err != nil {
		return nil, err
	}
	u := &userRecord{
		Username: full.Username, Sub: full.Sub, Attributes: full.Attributes,
		Enabled: full.Enabled, Status: full.Status, CreatedAt: full.CreatedAt, UpdatedAt: full.UpdatedAt,
		MFAOptions: full.MFAOptions, PreferredMFA: full.PreferredMFA, EnabledMFA: full.EnabledMFA,
	}
	m.put(it.ID, userMemoEntry{digest: digest, user: u, size: publicSize(u)})
	return u, nil
}

// publicSize estimates the bytes an entry takes: its strings, and a fixed
// share for the record, the map and the entry themselves.
func publicSize(u *userRecord) int {
	n := 256 + len(u.Username) + len(u.Sub) + len(u.PreferredMFA)
	for k, v := range u.Attributes {
		n += 48 + len(k) + len(v)
	}
	for _, f := range u.EnabledMFA {
		n += 16 + len(f)
	}
	return n + 48*len(u.MFAOptions)
}

func (m *userMemo) put(id string, e userMemoEntry) {
	if e.size > userMemoMaxBytes/64 {
		return // an unusually large user: not worth a sixty-fourth of the memo
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.users == nil {
		m.users = map[string]userMemoEntry{}
	}
	if old, ok := m.users[id]; ok {
		m.size -= old.size
		delete(m.users, id)
	}
	// Make room by dropping arbitrary entries (map order), as the store's
	// read cache does: with reads spread over more users than fit, about
	// the share that fits is found.
	for k, v := range m.users {
		if m.size+e.size <= userMemoMaxBytes {
			break
		}
		m.size -= v.size
		delete(m.users, k)
	}
	m.users[id] = e
	m.size += e.size
}
