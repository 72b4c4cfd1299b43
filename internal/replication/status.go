package replication

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// RegionStatus is what JetStream knows of one region of the topology: its
// record, its stream, and how far it has applied each peer's stream.
type RegionStatus struct {
	Region string `json:"region"`
	// Member is the region's record in the topology bucket; nil when it
	// has not joined yet.
	Member *Member `json:"member,omitempty"`
	// Published is the number of entries in the region's stream, and
	// LastPublished when the last of them reached it (zero when none).
	Published     uint64    `json:"published"`
	LastPublished time.Time `json:"last_published,omitzero"`
	// Peers is, for each other region, how far this region has applied
	// that region's stream.
	Peers []PeerApply `json:"peers"`
	// Error says what could not be read, if anything.
	Error string `json:"error,omitempty"`
}

// PeerApply is how far a region has applied a peer's stream, as its
// durable consumer reports it.
type PeerApply struct {
	Peer string `json:"peer"`
	// Pending is the number of the peer's entries not yet applied:
	// those not delivered yet and those delivered but not acknowledged.
	Pending uint64 `json:"pending"`
	// Applied is the stream sequence up to which every entry is
	// acknowledged; LastActive when the region last took an entry
	// (zero when never).
	Applied    uint64    `json:"applied"`
	LastActive time.Time `json:"last_active,omitzero"`
	// Error says why the consumer could not be read (for example: the
	// region has not consumed this stream yet).
	Error string `json:"error,omitempty"`
}

// TopologyStatus reads, from JetStream, the status of every region of
// peers: each region's record, stream and consumers. It reads only; a
// region that cannot be read is reported with its error.
func TopologyStatus(ctx context.Context, js jetstream.JetStream, peers []string) ([]RegionStatus, error) {
	peers = slices.Sorted(slices.Values(peers))
	kv, err := js.KeyValue(ctx, TopologyBucket)
	if err != nil && !errors.Is(err, jetstream.ErrBucketNotFound) {
		return nil, fmt.Errorf("replication: topology bucket: %w", err)
	}
	out := make([]RegionStatus, 0, len(peers))
	for _, r := range peers {
		rs := RegionStatus{Region: r, Peers: []PeerApply{}}
		if kv != nil {
			e, err := kv.Get(ctx, r)
			switch {
			case err == nil:
				var m Member
				if err := json.Unmarshal(e.Value(), &m); err != nil {
					rs.Error = "the region's record is damaged: " + err.Error()
				} else {
					rs.Member = &m
				}
			case !errors.Is(err, jetstream.ErrKeyNotFound):
				rs.Error = "read the region's record: " + err.Error()
			}
		}
		stream, err := js.Stream(ctx, StreamName(r))
		if err != nil {
			if rs.Error == "" {
				rs.Error = "read the region's stream: " + err.Error()
			}
		} else {
			info := stream.CachedInfo()
			rs.Published = info.State.Msgs
			if info.State.Msgs > 0 {
				rs.LastPublished = info.State.LastTime
			}
		}
		for _, p := range peers {
			if p == r {
				continue
			}
			rs.Peers = append(rs.Peers, peerApply(ctx, js, r, p))
		}
		out = append(out, rs)
	}
	return out, nil
}

// peerApply reads region's consumer of peer's stream.
func peerApply(ctx context.Context, js jetstream.JetStream, region, peer string) PeerApply {
	pa := PeerApply{Peer: peer}
	cons, err := js.Consumer(ctx, StreamName(peer), consumerName(region))
	if err != nil {
		if errors.Is(err, jetstream.ErrConsumerNotFound) {
			// Nothing applied yet: everything in the stream is pending.
			pa.Error = "not consuming yet"
			if s, serr := js.Stream(ctx, StreamName(peer)); serr == nil {
				pa.Pending = s.CachedInfo().State.Msgs
			}
			return pa
		}
		pa.Error = err.Error()
		return pa
	}
	info := cons.CachedInfo()
	pa.Pending = info.NumPending + uint64(max(info.NumAckPending, 0))
	pa.Applied = info.AckFloor.Stream
	if info.Delivered.Last != nil {
		pa.LastActive = *info.Delivered.Last
	}
	return pa
}

// refreshPending asks JetStream how many entries of each peer's stream are
// not yet applied here, every interval until ctx is done, so that the
// backlog is known even while no entry arrives; a failed read marks the
// peer unreachable until the next one succeeds.
func (n *Node) refreshPending(ctx context.Context, interval time.Duration) {
	for {
		for p := range n.peerNames() {
			rctx, cancel := context.WithTimeout(ctx, interval)
			pa := peerApply(rctx, n.o.JetStream, n.o.Region, p)
			cancel()
			if ctx.Err() != nil {
				return
			}
			n.mu.Lock()
			if ps := n.peers[p]; ps != nil {
				ps.Reachable = pa.Error == "" || pa.Error == "not consuming yet"
				if ps.Reachable {
					ps.Pending = pa.Pending
				}
			}
			n.mu.Unlock()
		}
		if _, err := n.countUnpublished(ctx); err != nil && ctx.Err() == nil {
			n.log.Warn("count the entries not yet published", "error", err.Error())
		}
		if !sleep(ctx, interval) {
			return
		}
	}
}

func (n *Node) peerNames() map[string]bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := make(map[string]bool, len(n.peers))
	for p := range n.peers {
		out[p] = true
	}
	return out
}

// maxUnpublishedCount bounds how many change-log entries countUnpublished
// reads: a larger backlog is reported as this many.
const maxUnpublishedCount = 10000

// countUnpublished counts the local region's entries of the change log
// after the position published (up to maxUnpublishedCount), and keeps the
// count for Stats.
func (n *Node) countUnpublished(ctx context.Context) (int64, error) {
	after := n.publishedSeq.Load()
	if after < 0 {
		// The publisher has not read its position yet.
		return 0, nil
	}
	var count int64
	for count < maxUnpublishedCount {
		changes, err := n.o.Store.Changes(ctx, after, 1000)
		if err != nil {
			return 0, err
		}
		for _, c := range changes {
			if c.Region == n.o.Region {
				count++
			}
			after = c.Seq
		}
		if len(changes) < 1000 {
			break
		}
	}
	count = min(count, maxUnpublishedCount)
	n.unpublished.Store(count)
	return count, nil
}
