package config

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestValidateReplication checks that a misconfigured region is refused
// before it starts: each problem is reported, with its key.
func TestValidateReplication(t *testing.T) {
	const key = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
	valid := func(c *Config) {
		c.Region = "eu-west-1"
		c.EncryptionKey = key
		c.IssuerBaseURL = "https://auth.example.com"
		c.Replication = ReplicationConfig{NATSURL: "nats://127.0.0.1:4222", Peers: []string{"us-east-1", "eu-west-1"}, StreamReplicas: 1,
			DefaultPoolRegions: PoolRegionsAll}
	}
	tests := []struct {
		name   string
		change func(*Config)
		want   ValidationErrors
	}{
		{name: "off by default", change: func(*Config) {}},
		{name: "a valid topology", change: valid},
		{
			name: "on PostgreSQL",
			change: func(c *Config) {
				valid(c)
				c.Database = "postgres://h/db"
			},
		},
		{
			name: "embedded with its address",
			change: func(c *Config) {
				valid(c)
				c.Replication.NATSURL = ReplicationEmbedded
				c.Replication.EmbeddedListen = "127.0.0.1:4250"
			},
		},
		{
			name:   "peers without a NATS server",
			change: func(c *Config) { c.Replication.Peers = []string{"us-east-1"} },
			want:   ValidationErrors{"replication.peers: set without replication.nats_url; set both, or neither"},
		},
		{
			name: "a peer list without this region",
			change: func(c *Config) {
				valid(c)
				c.Region = "ap-southeast-2"
			},
			want: ValidationErrors{`replication.peers: does not include this server's region "ap-southeast-2": every region lists the whole topology, itself included`},
		},
		{
			name: "bad peers",
			change: func(c *Config) {
				valid(c)
				c.Regions = []string{"eu-west-1", "us-east-1"}
				c.Replication.Peers = []string{"eu-west-1", "moon", "eu-west-1", "us-west-2"}
			},
			want: ValidationErrors{
				`replication.peers[1]: "moon" is not a valid region name`,
				`replication.peers[2]: "eu-west-1" is listed twice`,
				`replication.peers[3]: "us-west-2" is not in regions: requests must be able to address the pools of every peer`,
			},
		},
		{
			name: "one region",
			change: func(c *Config) {
				valid(c)
				c.Replication.Peers = []string{"eu-west-1"}
			},
			want: ValidationErrors{"replication.peers: must list every region of the topology, this one included: at least two"},
		},
		{
			name: "no shared key or issuer",
			change: func(c *Config) {
				valid(c)
				c.EncryptionKey = ""
				c.IssuerBaseURL = ""
				c.Replication.NATSURL = "http://127.0.0.1:4222"
				c.Replication.StreamReplicas = 9
			},
			want: ValidationErrors{
				`replication.nats_url: must be "embedded" or a nats:// (tls://) URL, not "http://127.0.0.1:4222"`,
				"replication.stream_replicas: must be from 1 to 5",
				"replication: needs encryption_key set, the same in every region: signing keys, SRP verifiers, TOTP secrets and client secrets replicate sealed with it (a generated key differs per data directory)",
				"replication: needs issuer_base_url set, the same in every region, so that a token minted in one region verifies in every other",
			},
		},
		{
			name: "pools in their own region",
			change: func(c *Config) {
				valid(c)
				c.Replication.DefaultPoolRegions = PoolRegionsOwn
			},
		},
		{
			name: "an unknown default of pool regions",
			change: func(c *Config) {
				valid(c)
				c.Replication.DefaultPoolRegions = "some"
			},
			want: ValidationErrors{`replication.default_pool_regions: must be "all" or "own", not "some"`},
		},
		{
			name: "embedded without an address",
			change: func(c *Config) {
				valid(c)
				c.Replication.NATSURL = ReplicationEmbedded
			},
			want: ValidationErrors{"replication.embedded_listen: must be host:port when nats_url is embedded"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := Default()
			tc.change(&c)
			var got ValidationErrors
			if err := c.Validate(); err != nil {
				got = err.(ValidationErrors)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Validate (-want +got):\n%s", diff)
			}
		})
	}
}

// TestReplicationEnvironment checks the replication keys the environment
// sets.
func TestReplicationEnvironment(t *testing.T) {
	got, _, err := Load(Sources{Env: envMap(map[string]string{
		"COGNATE_REGION":                           "eu-west-1",
		"COGNATE_ENCRYPTION_KEY":                   "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
		"COGNATE_ISSUER_BASE_URL":                  "https://auth.example.com",
		"COGNATE_REPLICATION_NATS_URL":             "embedded",
		"COGNATE_REPLICATION_PEERS":                " us-east-1 ,eu-west-1,, ap-southeast-2",
		"COGNATE_REPLICATION_EMBEDDED_LISTEN":      "127.0.0.1:4250",
		"COGNATE_REPLICATION_DEFAULT_POOL_REGIONS": "own",
	})})
	if err != nil {
		t.Fatal(err)
	}
	want := ReplicationConfig{NATSURL: "embedded", Peers: []string{"us-east-1", "eu-west-1", "ap-southeast-2"},
		EmbeddedListen: "127.0.0.1:4250", StreamReplicas: 1, DefaultPoolRegions: PoolRegionsOwn}
	if diff := cmp.Diff(want, got.Replication); diff != "" {
		t.Errorf("replication (-want +got):\n%s", diff)
	}
}
