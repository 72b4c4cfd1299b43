package config

import (
	"log/slog"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// ReplicationEmbedded is the value of replication.nats_url that runs a NATS
// server with JetStream inside the process.
const ReplicationEmbedded = "embedded"

// ReplicationConfig is the topology of active/active replication between
// regions (docs/regions.md). Replication is off while NATSURL is empty.
type ReplicationConfig struct {
	// NATSURL is the NATS server (with JetStream) the regions exchange
	// their change logs through, as a nats:// URL, or "embedded" to run
	// one in this process. Empty turns replication off.
	NATSURL string `yaml:"nats_url"`
	// Peers lists every region of the topology, this one included, the
	// same list in every region.
	Peers []string `yaml:"peers"`
	// EmbeddedListen is the host:port the embedded NATS server listens on
	// (nats_url: embedded), for the other regions to connect to.
	EmbeddedListen string `yaml:"embedded_listen"`
	// StreamReplicas is how many JetStream servers keep each region's
	// stream (1 for a single NATS server; 3 for a JetStream cluster).
	StreamReplicas int `yaml:"stream_replicas"`
	// DefaultPoolRegions is where a pool lives until its replicas are
	// changed through the replica API: "all" (every peer; the default)
	// or "own" (the region of its ID alone, as on Cognito). The same in
	// every region.
	DefaultPoolRegions string `yaml:"default_pool_regions"`
}

// The values of replication.default_pool_regions.
const (
	PoolRegionsAll = "all"
	PoolRegionsOwn = "own"
)

// On reports whether replication is configured.
func (r ReplicationConfig) On() bool { return r.NATSURL != "" }

func (r *ReplicationConfig) applyDefaults() {
	setDefault(&r.StreamReplicas, 1)
	setDefault(&r.DefaultPoolRegions, PoolRegionsAll)
}

// validate checks the block and what replication needs of the rest of the
// configuration: a region whose data the others cannot read, or whose
// tokens they cannot verify, must not start.
func (c *Config) validateReplication(add func(key, format string, args ...any)) {
	r := c.Replication
	if !r.On() {
		if len(r.Peers) > 0 {
			add("replication.peers", "set without replication.nats_url; set both, or neither")
		}
		return
	}
	if r.NATSURL != ReplicationEmbedded {
		u, err := url.Parse(r.NATSURL)
		if err != nil || (u.Scheme != "nats" && u.Scheme != "tls") || u.Host == "" {
			add("replication.nats_url", `must be "embedded" or a nats:// (tls://) URL, not %q`, r.NATSURL)
		}
	} else if !validListen(r.EmbeddedListen) {
		add("replication.embedded_listen", "must be host:port when nats_url is embedded")
	}
	if len(r.Peers) < 2 {
		add("replication.peers", "must list every region of the topology, this one included: at least two")
	}
	for i, p := range r.Peers {
		key := "replication.peers[" + strconv.Itoa(i) + "]"
		switch {
		case !regionPattern.MatchString(p):
			add(key, "%q is not a valid region name", p)
		case slices.Index(r.Peers, p) < i:
			add(key, "%q is listed twice", p)
		case len(c.Regions) > 0 && !slices.Contains(c.Regions, p):
			add(key, "%q is not in regions: requests must be able to address the pools of every peer", p)
		}
	}
	if len(r.Peers) >= 2 && !slices.Contains(r.Peers, c.Region) {
		add("replication.peers", "does not include this server's region %q: every region lists the whole topology, itself included", c.Region)
	}
	if r.DefaultPoolRegions != PoolRegionsAll && r.DefaultPoolRegions != PoolRegionsOwn {
		add("replication.default_pool_regions", "must be %q or %q, not %q", PoolRegionsAll, PoolRegionsOwn, r.DefaultPoolRegions)
	}
	if r.StreamReplicas < 1 || r.StreamReplicas > 5 {
		add("replication.stream_replicas", "must be from 1 to 5")
	}
	if c.EncryptionKey == "" {
		add("replication", "needs encryption_key set, the same in every region: signing keys, SRP verifiers, TOTP secrets and client secrets replicate sealed with it (a generated key differs per data directory)")
	}
	if c.IssuerBaseURL == "" {
		add("replication", "needs issuer_base_url set, the same in every region, so that a token minted in one region verifies in every other")
	}
}

// logValue returns the block for Config.LogValue.
func (r ReplicationConfig) logValue() slog.Value {
	return slog.GroupValue(
		slog.String("nats_url", redactURL(r.NATSURL)),
		slog.String("peers", strings.Join(r.Peers, ",")),
		slog.String("embedded_listen", r.EmbeddedListen),
		slog.Int("stream_replicas", r.StreamReplicas),
		slog.String("default_pool_regions", r.DefaultPoolRegions))
}

// redactURL drops the user information of a URL, which may hold a password.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	u.User = url.User("REDACTED")
	return u.String()
}

// replicationSettings are the replication keys the environment (and flags)
// can set.
var replicationSettings = []setting{
	{"replication.nats_url", "COGNATE_REPLICATION_NATS_URL", setString(func(c *Config) *string { return &c.Replication.NATSURL })},
	{"replication.peers", "COGNATE_REPLICATION_PEERS", func(c *Config, s string) error {
		c.Replication.Peers = nil
		for p := range strings.SplitSeq(s, ",") {
			if p = strings.TrimSpace(p); p != "" {
				c.Replication.Peers = append(c.Replication.Peers, p)
			}
		}
		return nil
	}},
	{"replication.embedded_listen", "COGNATE_REPLICATION_EMBEDDED_LISTEN", setString(func(c *Config) *string { return &c.Replication.EmbeddedListen })},
	{"replication.default_pool_regions", "COGNATE_REPLICATION_DEFAULT_POOL_REGIONS", setString(func(c *Config) *string { return &c.Replication.DefaultPoolRegions })},
}
