package authflow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/cognate-dev/cognate/internal/storage"
)

// kindDeviceSignIn is the item kind of what changes at each sign-in of a
// remembered device: when it last signed in and from which address (ID
// the device's, "<pool>/<device key>"; Data a deviceSignInRecord). It is
// an item of its own, not a member of the device, so that a device
// sign-in writes a few dozen bytes and a change-log row of as many,
// instead of rewriting the whole device (its sealed verifier, its keys,
// its index entry) and its change-log row. It replicates, as the device
// does, and replicas merge by the later sign-in (MergeDeviceSignInReplicas).
// The device's own AuthenticatedAt and LastIP (set at ConfirmDevice, and
// by sign-ins before this kind existed) still count: the device operations
// show the later of the two. It is deleted with its device (ForgetDevice,
// AdminForgetDevice), with the user (eraseUser) and with the pool.
const kindDeviceSignIn = "device_signin"

func init() { storage.DeclareKind(kindDeviceSignIn, storage.Replicated) }

// DeviceSignInItemKind is the kind of devices' last sign-ins, which
// replication merges with MergeDeviceSignInReplicas.
const DeviceSignInItemKind = kindDeviceSignIn

// deviceSignInRecord is the Data of a device_signin item. JSON names are
// part of the stored format.
type deviceSignInRecord struct {
	At time.Time `json:"at"`
	IP string    `json:"ip,omitempty"`
}

// readDeviceSignIn returns, through r, the device_signin item of the
// device ID id with its record (nil, nil when there is none).
func readDeviceSignIn(ctx context.Context, r storage.ItemReader, id string) (*storage.Item, *deviceSignInRecord, error) {
	it, err := r.GetItem(ctx, kindDeviceSignIn, id)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("get device sign-in: %w", err)
	}
	var rec deviceSignInRecord
	if err := json.Unmarshal(it.Data, &rec); err != nil {
		return nil, nil, fmt.Errorf("decode device sign-in %q: %w", id, err)
	}
	return it, &rec, nil
}

// withSignIn returns d with the last sign-in rec records when it is later
// than the device's own.
func (d *deviceRecord) withSignIn(rec *deviceSignInRecord) *deviceRecord {
	if rec == nil || !rec.At.After(d.AuthenticatedAt) {
		return d
	}
	out := *d
	out.AuthenticatedAt = rec.At
	if rec.IP != "" {
		out.LastIP = rec.IP
	}
	return &out
}

// deviceWithSignIn reads the last sign-in of the device d of pool through
// r and returns d as the device operations show it.
func deviceWithSignIn(ctx context.Context, r storage.ItemReader, pool string, d *deviceRecord) (*deviceRecord, error) {
	_, rec, err := readDeviceSignIn(ctx, r, deviceID(pool, d.Key))
	if err != nil {
		return nil, err
	}
	return d.withSignIn(rec), nil
}

// recordDeviceSignIn creates or updates, inside tx, the device_signin
// item of the device ID id of pool: signed in at now from ip (an empty ip
// keeps the address recorded before). Two sign-ins racing to create it
// conflict, and the loser's transaction runs again.
func recordDeviceSignIn(ctx context.Context, tx storage.Tx, pool, id string, now time.Time, ip string) error {
	it, rec, err := readDeviceSignIn(ctx, tx, id)
	if err != nil {
		return err
	}
	next := deviceSignInRecord{At: now, IP: ip}
	if ip == "" && rec != nil {
		next.IP = rec.IP
	}
	data, err := json.Marshal(next)
	if err != nil {
		return fmt.Errorf("encode device sign-in: %w", err)
	}
	if it == nil {
		err = tx.CreateItem(ctx, &storage.Item{Kind: kindDeviceSignIn, ID: id, Pool: pool, Data: data, CreatedAt: now, UpdatedAt: now})
		if errors.Is(err, storage.ErrAlreadyExists) {
			return fmt.Errorf("record device sign-in: %w", storage.ErrConflict)
		}
		return err
	}
	it.Data, it.UpdatedAt = data, now
	return tx.UpdateItem(ctx, it)
}

// deleteDevicesOf deletes, inside tx, every device of the user sub of
// pool and the last sign-in of each.
func deleteDevicesOf(ctx context.Context, tx storage.Tx, pool, sub string) error {
	var afterKey, afterID string
	for {
		entries, err := tx.ScanIndex(ctx, storage.ScanInput{Kind: kindDevice, Prefix: devicesOfPrefix(pool, sub), AfterKey: afterKey, AfterID: afterID, Limit: eraseBatch})
		if err != nil {
			return fmt.Errorf("scan %s: %w", kindDevice, err)
		}
		for _, e := range entries {
			if err := tx.DeleteItem(ctx, kindDevice, e.Item.ID, e.Item.Version); err != nil && !errors.Is(err, storage.ErrNotFound) {
				return fmt.Errorf("delete %s %q: %w", kindDevice, e.Item.ID, err)
			}
			if err := deleteKindIfThere(ctx, tx, kindDeviceSignIn, e.Item.ID); err != nil {
				return err
			}
		}
		if len(entries) < eraseBatch {
			return nil
		}
		last := entries[len(entries)-1]
		afterKey, afterID = last.Key, last.Item.ID
	}
}

// MergeDeviceSignInReplicas merges two states of one device_signin item
// that replication compares (internal/replication's MergeFunc): winner is
// the state the order of changes keeps, loser the other. The later
// sign-in wins, whichever region's write the order of changes keeps (an
// address the later sign-in did not record is kept from the earlier). It
// returns a copy of winner with the loser's sign-in when that is later,
// and whether it changed anything.
func MergeDeviceSignInReplicas(winner, loser *storage.Item) (*storage.Item, bool, error) {
	var w, l deviceSignInRecord
	if err := json.Unmarshal(winner.Data, &w); err != nil {
		return nil, false, fmt.Errorf("decode device sign-in %q: %w", winner.ID, err)
	}
	if err := json.Unmarshal(loser.Data, &l); err != nil {
		return nil, false, fmt.Errorf("decode device sign-in %q: %w", loser.ID, err)
	}
	if !l.At.After(w.At) {
		return nil, false, nil
	}
	if l.IP == "" {
		l.IP = w.IP
	}
	data, err := json.Marshal(l)
	if err != nil {
		return nil, false, err
	}
	out := *winner
	out.Data = data
	if loser.UpdatedAt.After(out.UpdatedAt) {
		out.UpdatedAt = loser.UpdatedAt
	}
	return &out, true, nil
}
