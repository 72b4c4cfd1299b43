package directory

import (
	"bytes"
	"sync"

	"github.com/cognate-dev/cognate/internal/storage"
)

// userMemoMaxBytes bounds what a userMemo holds, counted as three times
// each user's stored bytes (the bytes themselves and the decoded record,
// whose maps and strings take about twice as much).
const userMemoMaxBytes = 4 << 20

// userMemo keeps users decoded from their stored JSON, by item ID, for the
// read-only paths that decode the same users again and again (AdminGetUser).
// An entry is used only when the item just read holds exactly the bytes it
// was decoded from, so a user written since (here, by another node, or by
// replication) is decoded afresh: the memo saves decoding, never a read, and
// cannot serve a stale user.
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
	data []byte
	user *userRecord
}

// decode returns the user it holds, decoded, shared with other callers.
func (m *userMemo) decode(it *storage.Item) (*userRecord, error) {
	m.mu.Lock()
	e, ok := m.users[it.ID]
	m.mu.Unlock()
	if ok && bytes.Equal(e.data, it.Data) {
		return e.user, nil
	}
	u, err := decodeUser(it)
	if err != nil {
		return nil, err
	}
	m.put(it.ID, bytes.Clone(it.Data), u)
	return u, nil
}

func (m *userMemo) put(id string, data []byte, u *userRecord) {
	size := 3 * len(data)
	if size > userMemoMaxBytes/64 {
		return // an unusually large user: not worth a sixty-fourth of the memo
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.users == nil {
		m.users = map[string]userMemoEntry{}
	}
	if old, ok := m.users[id]; ok {
		m.size -= 3 * len(old.data)
		delete(m.users, id)
	}
	// Make room by dropping arbitrary entries (map order), as the store's
	// read cache does: with reads spread over more users than fit, about
	// the share that fits is found.
	for k, v := range m.users {
		if m.size+size <= userMemoMaxBytes {
			break
		}
		m.size -= 3 * len(v.data)
		delete(m.users, k)
	}
	m.users[id] = userMemoEntry{data: data, user: u}
	m.size += size
}
