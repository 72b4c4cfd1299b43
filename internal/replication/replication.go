package replication

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/cognate-dev/cognate/internal/storage"
)

// Store is what a Node needs of the store: the change log to publish, the
// transactions to apply in (whose Tx must be a storage.ReplicaTx), and
// the settings that keep the published position.
type Store interface {
	storage.Transactor
	storage.Settings
	storage.ItemReader
	Changes(ctx context.Context, afterSeq int64, limit int) ([]storage.Change, error)
	// GetUserPool and ListUserPools read the pools a snapshot is made of.
	GetUserPool(ctx context.Context, id string) (*storage.UserPool, error)
	ListUserPools(ctx context.Context, in storage.ListUserPoolsInput) ([]*storage.UserPool, error)
}

// MergeFunc merges the security state of two states of one item: winner is
// the state the order of changes keeps, loser the other. It returns a copy
// of the winner with what of the loser's security state is newer (a
// password set later, a disable made later, a TOTP step used later), its
// keys and index entries kept in step with its data, and whether it
// changed anything; merged is ignored when changed is false. It must be
// deterministic, so that every region reaches the same state.
type MergeFunc func(winner, loser *storage.Item) (merged *storage.Item, changed bool, err error)

// YieldFunc returns a copy of loser without the unique key key, which
// winner, a record of the same kind made earlier in another region, keeps:
// the engine decides what of the record goes with the key (a username
// renamed, an alias unverified), and keeps the record's other keys and
// index entries in step with its data. Every region settles the same
// conflict with it, so it must be deterministic: the same loser gives the
// same result (no clock, no randomness). tx reads what else it needs (the
// pool's configuration).
type YieldFunc func(ctx context.Context, tx storage.Tx, loser, winner *storage.Item, key string) (*storage.Item, error)

// Options configure a Node.
type Options struct {
	// Store is the local store.
	Store Store
	// Region is the local region; Peers every region of the topology,
	// Region included.
	Region string
	Peers  []string
	// JetStream is the JetStream context of the NATS connection; Run
	// needs it, Apply does not.
	JetStream jetstream.JetStream
	// StreamReplicas is how many JetStream servers keep each stream.
	StreamReplicas int
	// DefaultPoolRegions is where a pool without replica records lives:
	// DefaultAllRegions (every peer; the default) or DefaultOwnRegion (the
	// region of its ID). The replica API writes a pool's records.
	DefaultPoolRegions string
	// Merge holds the merge function of the item kinds that have one.
	Merge map[string]MergeFunc
	// Yield holds, by item kind, how a record of the kind gives up a
	// unique key another record made earlier keeps (KeyConflict); a kind
	// without one loses the whole record instead.
	Yield map[string]YieldFunc
	// PollInterval is how often the publisher looks for new entries when
	// it found none; zero means 50ms.
	PollInterval time.Duration
	// Clock returns the time for the settings written; nil means time.Now.
	Clock  func() time.Time
	Logger *slog.Logger
}

// Node publishes the local region's changes and applies the other regions'.
type Node struct {
	o   Options
	log *slog.Logger

	published, applied, skipped, merged, conflicts, errs atomic.Int64
	// notHeld counts the entries of pools this region does not hold, and
	// copies the replicas copied here.
	notHeld, copies atomic.Int64
	sets            sets
	// pageHook, when set (by tests), runs after each page of a snapshot
	// is applied.
	pageHook func(pool string, step int)
	// publishedSeq is the sequence number of the local change log up to
	// which the publisher has published (-1 until it has read it), and
	// unpublished the local entries after it, as last counted.
	publishedSeq, unpublished atomic.Int64

	// mu guards peers.
	mu    sync.Mutex
	peers map[string]*PeerStatus
}

// PeerStatus is how far this region has applied a peer's stream.
type PeerStatus struct {
	// Pending is the number of the peer's entries not yet applied here,
	// as JetStream last reported it.
	Pending uint64
	// LastHLC is the HLC of the last entry of the peer applied or dropped
	// here; Lag is the wall-clock time since that entry was made, when
	// entries are pending, else zero.
	LastHLC int64
	Lag     time.Duration
	// Reachable is false while the last attempt to read the peer's
	// consumer from JetStream failed (Pending is then the last known).
	Reachable bool
}

// Stats are the counters of a Node.
type Stats struct {
	// Published counts the entries published to the local stream.
	Published int64
	// Applied counts the peers' entries applied; Skipped those dropped as
	// older than (or the same as) the local state; Merged the merges that
	// wrote a new local state; Conflicts the unique keys claimed in two
	// regions that were settled here (KeyConflict), and the entries left
	// unapplied because a claim could not be settled; Errors the failed
	// attempts to apply an entry (which is retried).
	Applied, Skipped, Merged, Conflicts, Errors int64
	// NotHeld counts the entries of pools this region does not hold, left
	// unapplied; Copies the pools copied here for a new replica.
	NotHeld, Copies int64
	// Unpublished is the number of the local region's change-log entries
	// not yet published, as last counted (at most 10000).
	Unpublished int64
	// Connected reports whether the NATS connection is up.
	Connected bool
	// Peers is the status of each peer, by region.
	Peers map[string]PeerStatus
}

// New returns a Node; Run starts it.
func New(o Options) (*Node, error) {
	if o.Store == nil || o.Region == "" {
		return nil, errors.New("replication: store and region are required")
	}
	if o.PollInterval <= 0 {
		o.PollInterval = 50 * time.Millisecond
	}
	if o.StreamReplicas <= 0 {
		o.StreamReplicas = 1
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	switch o.DefaultPoolRegions {
	case "":
		o.DefaultPoolRegions = DefaultAllRegions
	case DefaultAllRegions, DefaultOwnRegion:
	default:
		return nil, fmt.Errorf("replication: default pool regions %q is neither %q nor %q", o.DefaultPoolRegions, DefaultAllRegions, DefaultOwnRegion)
	}
	n := &Node{o: o, log: o.Logger.With("component", "replication"), peers: map[string]*PeerStatus{},
		sets: sets{region: o.Region, def: o.DefaultPoolRegions, peers: o.Peers}}
	n.publishedSeq.Store(-1)
	for _, p := range o.Peers {
		if p != o.Region {
			n.peers[p] = &PeerStatus{}
		}
	}
	return n, nil
}

// StreamName is the JetStream stream of the changes made in region.
func StreamName(region string) string { return "COGNATE_CHANGES_" + region }

// Subject is the subject the changes made in region are published on.
func Subject(region string) string { return "cognate.changes." + region }

// consumerName is the durable consumer through which region applies a
// peer's stream.
func consumerName(region string) string { return "apply_" + region }

// Stats returns the node's counters.
func (n *Node) Stats() Stats {
	s := Stats{
		Published: n.published.Load(), Applied: n.applied.Load(), Skipped: n.skipped.Load(),
		Merged: n.merged.Load(), Conflicts: n.conflicts.Load(), Errors: n.errs.Load(),
		Unpublished: n.unpublished.Load(), NotHeld: n.notHeld.Load(), Copies: n.copies.Load(),
		Peers: map[string]PeerStatus{},
	}
	if n.o.JetStream != nil {
		s.Connected = n.o.JetStream.Conn().IsConnected()
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	for r, p := range n.peers {
		ps := *p
		if ps.Pending > 0 && ps.LastHLC > 0 {
			ps.Lag = n.o.Clock().Sub(storage.HLCTime(ps.LastHLC))
		}
		s.Peers[r] = ps
	}
	return s
}

// EnsureStreams creates the stream of every region of the topology, or
// updates it to the configuration every region gives it.
func (n *Node) EnsureStreams(ctx context.Context) error {
	for _, r := range n.o.Peers {
		_, err := n.o.JetStream.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
			Name:        StreamName(r),
			Description: "cognate change log of region " + r,
			Subjects:    []string{Subject(r)},
			Storage:     jetstream.FileStorage,
			Retention:   jetstream.LimitsPolicy,
			Replicas:    n.o.StreamReplicas,
			Duplicates:  10 * time.Minute,
		})
		if err != nil {
			return fmt.Errorf("replication: stream of %s: %w", r, err)
		}
	}
	return nil
}

// Run publishes and applies until ctx is done, and returns ctx's error.
// While NATS cannot be reached it keeps trying; writes go on meanwhile,
// and are published when it is back.
func (n *Node) Run(ctx context.Context) error {
	if n.o.JetStream == nil {
		return errors.New("replication: no JetStream")
	}
	for {
		err := n.EnsureStreams(ctx)
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		n.log.Warn("set up the streams; trying again", "error", err.Error())
		if !sleep(ctx, time.Second) {
			return ctx.Err()
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errc := make(chan error, len(n.o.Peers)+2)
	wg.Go(func() { errc <- n.publishLoop(ctx) })
	wg.Go(func() { n.refreshPending(ctx, refreshInterval) })
	wg.Go(func() { errc <- n.serveSnapshots(ctx, n.o.JetStream.Conn()) })
	wg.Go(func() { n.reconcileLoop(ctx) })
	for _, p := range n.o.Peers {
		if p == n.o.Region {
			continue
		}
		wg.Go(func() { errc <- n.applyLoop(ctx, p) })
	}
	err := <-errc
	cancel()
	wg.Wait()
	return err
}

// refreshInterval is how often a running Node reads its consumers'
// backlog from JetStream and counts its unpublished entries.
const refreshInterval = 2 * time.Second

// message is the wire form of a change-log entry.
type message struct {
	Seq    int64              `json:"seq"`
	Region string             `json:"region"`
	HLC    int64              `json:"hlc"`
	Kind   storage.ChangeKind `json:"kind"`
	Entity storage.Entity     `json:"entity"`
	Key    string             `json:"key"`
	State  json.RawMessage    `json:"state"`
	// Actor is who made the change in its region (storage.Actor), so that
	// every region's log says who changed what.
	Actor *storage.Actor `json:"actor,omitempty"`
}

func encode(c storage.Change) ([]byte, error) {
	m := message{Seq: c.Seq, Region: c.Region, HLC: c.HLC, Kind: c.Kind, Entity: c.Entity, Key: c.Key, Actor: c.Actor}
	if c.State != nil {
		m.State = c.State
	}
	return json.Marshal(m)
}

func decode(data []byte) (storage.Change, error) {
	var m message
	if err := json.Unmarshal(data, &m); err != nil {
		return storage.Change{}, fmt.Errorf("decode change: %w", err)
	}
	c := storage.Change{Seq: m.Seq, Region: m.Region, HLC: m.HLC, Kind: m.Kind, Entity: m.Entity, Key: m.Key, Actor: m.Actor}
	if len(m.State) > 0 && string(m.State) != "null" {
		c.State = []byte(m.State)
	}
	switch {
	case c.Region == "" || c.Entity == "" || c.Key == "" || c.HLC <= 0:
		return c, errors.New("decode change: region, entity, key and hlc are required")
	case c.Kind == storage.ChangeCreate || c.Kind == storage.ChangeUpdate:
		if c.State == nil {
			return c, fmt.Errorf("decode change: a %s entry without state", c.Kind)
		}
	case c.Kind == storage.ChangeDelete || c.Kind == storage.ChangePurge:
	default:
		return c, fmt.Errorf("decode change: unknown kind %q", c.Kind)
	}
	return c, nil
}

// publishedSetting names the setting that keeps the last sequence number
// of the local change log published.
const publishedSetting = "replication_published"

type position struct {
	Seq int64 `json:"seq"`
}

// publishLoop publishes the local region's entries in sequence order,
// saving the position after each batch the stream acknowledged.
func (n *Node) publishLoop(ctx context.Context) error {
	st := n.o.Store
	var (
		pos position
		set *storage.Setting
	)
	for {
		var err error
		set, err = st.GetSetting(ctx, publishedSetting)
		if errors.Is(err, storage.ErrNotFound) {
			set = &storage.Setting{Name: publishedSetting, Value: []byte(`{"seq":0}`), UpdatedAt: n.o.Clock()}
			err = st.CreateSetting(ctx, set)
			if errors.Is(err, storage.ErrAlreadyExists) {
				continue
			}
		}
		if err == nil {
			err = json.Unmarshal(set.Value, &pos)
		}
		if err == nil {
			n.publishedSeq.Store(pos.Seq)
			break
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		n.log.Error("read the published position", "error", err.Error())
		if !sleep(ctx, time.Second) {
			return ctx.Err()
		}
	}
	for {
		changes, err := st.Changes(ctx, pos.Seq, 256)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			n.log.Error("read the change log", "error", err.Error())
			if !sleep(ctx, time.Second) {
				return ctx.Err()
			}
			continue
		}
		if len(changes) == 0 {
			if !sleep(ctx, n.o.PollInterval) {
				return ctx.Err()
			}
			continue
		}
		next := pos.Seq
		for _, c := range changes {
			if c.Region == n.o.Region {
				if err := n.publish(ctx, c); err != nil {
					break
				}
				n.published.Add(1)
			}
			next = c.Seq
		}
		if next == pos.Seq {
			if !sleep(ctx, time.Second) {
				return ctx.Err()
			}
			continue
		}
		if err := n.savePosition(ctx, set, next); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			n.log.Error("save the published position", "error", err.Error())
			// Publish again from the saved position: the stream drops
			// the duplicates.
			if s, gerr := st.GetSetting(ctx, publishedSetting); gerr == nil && json.Unmarshal(s.Value, &pos) == nil {
				set = s
				n.publishedSeq.Store(pos.Seq)
			}
			continue
		}
		pos.Seq = next
		n.publishedSeq.Store(next)
	}
}

// publish sends one entry and waits for the stream's acknowledgement.
func (n *Node) publish(ctx context.Context, c storage.Change) error {
	data, err := encode(c)
	if err != nil {
		n.log.Error("encode a change", "seq", c.Seq, "error", err.Error())
		return err
	}
	msg := &nats.Msg{Subject: Subject(n.o.Region), Data: data}
	_, err = n.o.JetStream.PublishMsg(ctx, msg, jetstream.WithMsgID(n.o.Region+":"+strconv.FormatInt(c.Seq, 10)),
		jetstream.WithExpectStream(StreamName(n.o.Region)))
	if err != nil {
		if ctx.Err() == nil {
			n.log.Warn("publish a change", "seq", c.Seq, "error", err.Error())
			sleep(ctx, time.Second)
		}
		return err
	}
	return nil
}

func (n *Node) savePosition(ctx context.Context, set *storage.Setting, seq int64) error {
	v, _ := json.Marshal(position{Seq: seq})
	set.Value = v
	set.UpdatedAt = n.o.Clock()
	return n.o.Store.UpdateSetting(ctx, set)
}

// applyLoop applies peer's stream through the local durable consumer,
// one entry at a time in stream order, until ctx is done. When NATS cannot
// be reached it keeps trying, every second: the consumer's position is
// kept by JetStream, so the region catches up when NATS is back.
func (n *Node) applyLoop(ctx context.Context, peer string) error {
	for {
		err := n.consume(ctx, peer)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		n.log.Warn("read a peer's stream; trying again", "peer", peer, "error", err.Error())
		if !sleep(ctx, time.Second) {
			return ctx.Err()
		}
	}
}

// consume sets up the consumer of peer's stream and applies its messages
// until it fails.
func (n *Node) consume(ctx context.Context, peer string) error {
	cons, err := n.o.JetStream.CreateOrUpdateConsumer(ctx, StreamName(peer), jetstream.ConsumerConfig{
		Durable:       consumerName(n.o.Region),
		Description:   "region " + n.o.Region + " applies the changes of " + peer,
		DeliverPolicy: jetstream.DeliverAllPolicy,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       30 * time.Second,
		MaxAckPending: 1024,
	})
	if err != nil {
		return fmt.Errorf("set up the consumer: %w", err)
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(256))
	if err != nil {
		return fmt.Errorf("consume: %w", err)
	}
	defer it.Stop()
	for {
		msg, err := it.Next(jetstream.NextContext(ctx))
		if err != nil {
			return err
		}
		n.handle(ctx, peer, msg)
	}
}

// handle applies one message and acknowledges it, or asks for it again.
func (n *Node) handle(ctx context.Context, peer string, msg jetstream.Msg) {
	c, err := decode(msg.Data())
	if err != nil || c.Region != peer {
		n.errs.Add(1)
		n.log.Error("drop a malformed change", "peer", peer, "error", fmt.Sprint(err), "region", c.Region)
		_ = msg.Term()
		return
	}
	if pool, ok := poolOf(c); ok {
		// Only the regions that hold a pool apply its changes.
		held, err := n.applies(ctx, pool)
		if err != nil {
			n.errs.Add(1)
			if ctx.Err() == nil {
				n.log.Error("read a pool's replicas", "peer", peer, "pool", pool, "error", err.Error())
				_ = msg.NakWithDelay(time.Second)
			}
			return
		}
		if !held {
			n.notHeld.Add(1)
			_ = msg.Ack()
			n.noteApplied(peer, msg, c)
			return
		}
	}
	out, err := n.Apply(ctx, c)
	switch {
	case errors.Is(err, errKeyConflict):
		n.conflicts.Add(1)
		n.log.Error("a change of another region conflicts with a local item's unique key that could not be settled; not applied",
			"peer", peer, "entity", c.Entity, "key", c.Key, "hlc", c.HLC, "error", err.Error())
		_ = msg.Term()
	case err != nil:
		n.errs.Add(1)
		if ctx.Err() == nil {
			n.log.Error("apply a change", "peer", peer, "entity", c.Entity, "key", c.Key, "error", err.Error())
			_ = msg.NakWithDelay(time.Second)
		}
		return
	default:
		switch out {
		case outcomeApplied:
			n.applied.Add(1)
		case outcomeMerged:
			n.applied.Add(1)
			n.merged.Add(1)
		case outcomeSkipped:
			n.skipped.Add(1)
		}
		_ = msg.Ack()
	}
	n.noteApplied(peer, msg, c)
}

// noteApplied records how far the peer's stream is applied.
func (n *Node) noteApplied(peer string, msg jetstream.Msg, c storage.Change) {
	if meta, err := msg.Metadata(); err == nil {
		n.mu.Lock()
		if p := n.peers[peer]; p != nil {
			p.Pending = meta.NumPending
			p.LastHLC = c.HLC
			p.Reachable = true
		}
		n.mu.Unlock()
	}
}

// sleep waits d or until ctx is done, and reports whether ctx is live.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
