package replication

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/cognate-dev/cognate/internal/storage"
)

// startNATS runs an embedded NATS server for the test and returns a
// JetStream context on it.
func startNATS(t *testing.T) jetstream.JetStream {
	t.Helper()
	e, err := StartEmbedded("127.0.0.1:0", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	nc, err := nats.Connect(e.URL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

func TestJoin(t *testing.T) {
	ctx := context.Background()
	js := startNATS(t)
	peers := []string{"us-east-1", "eu-west-1"}
	us := Member{Region: "us-east-1", StoreID: "s1", KeyCheck: "k", Issuer: "https://auth.example.com", AccountID: "000000000000", Peers: peers,
		DefaultPoolRegions: DefaultAllRegions}
	if err := Join(ctx, js, us, 1); err != nil {
		t.Fatal(err)
	}
	// The same store joins again (a restart, or another node of it).
	if err := Join(ctx, js, us, 1); err != nil {
		t.Fatalf("rejoin: %v", err)
	}
	eu := us
	eu.Region, eu.StoreID, eu.Peers = "eu-west-1", "s2", []string{"eu-west-1", "us-east-1"}
	tests := []struct {
		name   string
		change func(m *Member)
	}{
		{"a second store claiming a region", func(m *Member) { m.Region, m.Peers = "us-east-1", peers }},
		{"a store of another region claiming this one", func(m *Member) { m.StoreID = us.StoreID }},
		{"another encryption key", func(m *Member) { m.KeyCheck = "other" }},
		{"another issuer", func(m *Member) { m.Issuer = "https://other.example.com" }},
		{"another account", func(m *Member) { m.AccountID = "111111111111" }},
		{"another peer list", func(m *Member) { m.Peers = []string{"eu-west-1", "us-east-1", "ap-southeast-2"} }},
		{"another default of pool regions", func(m *Member) { m.DefaultPoolRegions = DefaultOwnRegion }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := eu
			tc.change(&m)
			if err := Join(ctx, js, m, 1); !errors.Is(err, ErrRefused) {
				t.Fatalf("Join: %v, want ErrRefused", err)
			}
		})
	}
	if err := Join(ctx, js, eu, 1); err != nil {
		t.Fatalf("a region that agrees: %v", err)
	}
}

// TestPublishResumes publishes a store's entries, stops, writes more,
// starts again, and checks that the stream holds each of the region's
// entries once, and none of another region's.
func TestPublishResumes(t *testing.T) {
	ctx := context.Background()
	js := startNATS(t)
	st := openStore(t, "us-east-1")
	for _, id := range []string{"w1", "w2", "w3"} {
		localChange(t, st, id, widget{Name: id})
	}
	// An entry applied from another region is not published again.
	other := newNode(t, st, "us-east-1")
	if _, err := other.Apply(ctx, itemChange(t, "eu-west-1", at(1), kindWidget, "w9", widget{Name: "eu"})); err != nil {
		t.Fatal(err)
	}
	run := func(want uint64) {
		t.Helper()
		n, err := New(Options{Store: st, Region: "us-east-1", Peers: []string{"us-east-1", "eu-west-1"}, JetStream: js})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- n.Run(ctx) }()
		deadline := time.Now().Add(20 * time.Second)
		for {
			s, err := js.Stream(ctx, StreamName("us-east-1"))
			if err == nil {
				info, err := s.Info(ctx)
				if err == nil && info.State.Msgs >= want {
					break
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("the stream did not reach %d messages", want)
			}
			time.Sleep(20 * time.Millisecond)
		}
		// Let the position be saved.
		time.Sleep(200 * time.Millisecond)
		cancel()
		<-done
	}
	run(3)
	localChange(t, st, "w1", widget{Name: "w1 again"})
	localChange(t, st, "w4", widget{Name: "w4"})
	run(5)
	s, err := js.Stream(ctx, StreamName("us-east-1"))
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 5 {
		t.Errorf("stream holds %d messages, want 5 (each local entry once)", info.State.Msgs)
	}
	set, err := st.GetSetting(ctx, publishedSetting)
	if err != nil {
		t.Fatal(err)
	}
	changes, _ := st.Changes(ctx, 0, 100)
	if want := `{"seq":` + strconv.FormatInt(changes[len(changes)-1].Seq, 10) + `}`; string(set.Value) != want {
		t.Errorf("position %s, want %s", set.Value, want)
	}
	for seq := uint64(1); seq <= info.State.Msgs; seq++ {
		m, err := s.GetMsg(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		c, err := decode(m.Data)
		if err != nil {
			t.Fatal(err)
		}
		if c.Region != "us-east-1" || c.Entity != storage.Entity(kindWidget) {
			t.Errorf("message %d: %s %s", seq, c.Region, c.Entity)
		}
	}
}
