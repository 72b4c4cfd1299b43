package replication

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/cognate-dev/cognate/internal/storage"
)

// TopologyBucket is the JetStream key-value bucket where each region
// records what the others must agree with.
const TopologyBucket = "cognate_topology"

// Member is what a region records about itself in the topology bucket, and
// checks against the other regions' records before it replicates.
type Member struct {
	// Region is the member's region; StoreID identifies its store
	// (StoreID): two stores claiming one region would each publish changes
	// the other never has.
	Region  string `json:"region"`
	StoreID string `json:"store_id"`
	// KeyCheck is the check value of the encryption key the region seals
	// with (seal.CheckValue): every region must hold the same key to open
	// what the others sealed.
	KeyCheck string `json:"key_check"`
	// Issuer is the token issuer base URL, AccountID the account of the
	// ARNs: the same everywhere so that tokens and ARNs are.
	Issuer    string `json:"issuer"`
	AccountID string `json:"account_id"`
	// Peers is the member's list of the topology's regions, sorted.
	Peers []string `json:"peers"`
	// DefaultPoolRegions is where the member keeps a pool without
	// replica records (Options.DefaultPoolRegions): regions that differ
	// would disagree on which regions hold such a pool.
	DefaultPoolRegions string `json:"default_pool_regions,omitempty"`
}

// ErrRefused is what Join returns, wrapped, when this region must not
// replicate: a misconfiguration that would damage shared data.
var ErrRefused = errors.New("replication refused")

func refused(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrRefused, fmt.Sprintf(format, args...))
}

// Join checks m against the records of the other regions in the topology
// bucket, and records m when they agree. It refuses (ErrRefused) a region
// already recorded with another store, a store already recorded as
// another region (a server pointed at another region's database), and a
// region whose key, issuer, account or peer list differs from another
// region's.
func Join(ctx context.Context, js jetstream.JetStream, m Member, replicas int) error {
	m.Peers = slices.Sorted(slices.Values(m.Peers))
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket: TopologyBucket, Description: "cognate regions and what they must agree on", Replicas: max(replicas, 1),
	})
	if err != nil {
		return fmt.Errorf("replication: topology bucket: %w", err)
	}
	for _, peer := range m.Peers {
		e, err := kv.Get(ctx, peer)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			continue
		}
		if err != nil {
			return fmt.Errorf("replication: read the record of %s: %w", peer, err)
		}
		var other Member
		if err := json.Unmarshal(e.Value(), &other); err != nil {
			return fmt.Errorf("replication: the record of %s is damaged: %w", peer, err)
		}
		if err := agree(m, other); err != nil {
			return err
		}
	}
	v, err := json.Marshal(m)
	if err != nil {
		return err
	}
	for range 5 {
		e, err := kv.Get(ctx, m.Region)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			if _, err := kv.Create(ctx, m.Region, v); errors.Is(err, jetstream.ErrKeyExists) {
				continue
			} else if err != nil {
				return fmt.Errorf("replication: record this region: %w", err)
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("replication: read this region's record: %w", err)
		}
		var was Member
		if err := json.Unmarshal(e.Value(), &was); err == nil {
			if err := agree(m, was); err != nil {
				return err
			}
		}
		if _, err := kv.Update(ctx, m.Region, v, e.Revision()); err != nil {
			continue
		}
		return nil
	}
	return errors.New("replication: this region's record kept changing; try again")
}

// agree compares m with other, the record of a region of the topology (m's
// own earlier record included).
func agree(m, other Member) error {
	switch {
	case other.Region == m.Region && other.StoreID != m.StoreID:
		return refused("region %s is already served by another store (%s; this one is %s): two stores claiming one region "+
			"would each publish changes the other never has. Give this server its own region name, or point it at that store", m.Region, other.StoreID, m.StoreID)
	case other.Region != m.Region && other.StoreID == m.StoreID:
		return refused("this server's store (%s) already serves region %s, and this server is configured as region %s: a store "+
			"serving two regions would publish its changes under both names and apply its own changes as another region's. "+
			"Point this server at region %s's own store (database or data_dir), or give it the region %s", m.StoreID, other.Region, m.Region, m.Region, other.Region)
	case other.KeyCheck != m.KeyCheck:
		return refused("region %s seals with another encryption key than this server (check value %s, here %s): "+
			"the regions could not open each other's signing keys, verifiers and secrets. Set the same encryption_key in every region", other.Region, other.KeyCheck, m.KeyCheck)
	case other.Issuer != m.Issuer:
		return refused("region %s issues tokens as %s, this server as %s: tokens would not verify across regions. Set the same issuer_base_url in every region",
			other.Region, other.Issuer, m.Issuer)
	case other.AccountID != m.AccountID:
		return refused("region %s has account_id %s, this server %s: set the same account_id in every region", other.Region, other.AccountID, m.AccountID)
	case other.DefaultPoolRegions != "" && m.DefaultPoolRegions != "" && other.DefaultPoolRegions != m.DefaultPoolRegions:
		return refused("region %s keeps pools by default in %q regions, this server in %q: set the same replication.default_pool_regions in every region",
			other.Region, other.DefaultPoolRegions, m.DefaultPoolRegions)
	case !slices.Equal(other.Peers, m.Peers):
		return refused("region %s lists the peers %s, this server %s: set the same replication.peers in every region",
			other.Region, strings.Join(other.Peers, ","), strings.Join(m.Peers, ","))
	}
	return nil
}

// storeIDSetting names the setting that identifies a store.
const storeIDSetting = "store_id"

// StoreID returns the identifier of the store, made at random and
// recorded the first time it is asked for.
func StoreID(ctx context.Context, st storage.Settings, now time.Time) (string, error) {
	for range 5 {
		s, err := st.GetSetting(ctx, storeIDSetting)
		if err == nil {
			var id string
			if err := json.Unmarshal(s.Value, &id); err != nil || id == "" {
				return "", fmt.Errorf("the store's %s setting is damaged: %q", storeIDSetting, s.Value)
			}
			return id, nil
		}
		if !errors.Is(err, storage.ErrNotFound) {
			return "", fmt.Errorf("read the store's ID: %w", err)
		}
		b := make([]byte, 16)
		rand.Read(b)
		v, _ := json.Marshal(hex.EncodeToString(b))
		err = st.CreateSetting(ctx, &storage.Setting{Name: storeIDSetting, Value: v, UpdatedAt: now})
		if err != nil && !errors.Is(err, storage.ErrAlreadyExists) {
			return "", fmt.Errorf("record the store's ID: %w", err)
		}
	}
	return "", errors.New("the store's ID kept changing; try again")
}
