package replication

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Embedded is a NATS server with JetStream run inside the process, for a
// laptop or a test: the other regions connect to its URL.
type Embedded struct {
	srv *server.Server
}

// StartEmbedded starts a NATS server with JetStream listening on listen
// (host:port), keeping its streams under dir.
func StartEmbedded(listen, dir string) (*Embedded, error) {
	host, portText, err := net.SplitHostPort(listen)
	if err != nil {
		return nil, fmt.Errorf("embedded NATS: listen %q: %w", listen, err)
	}
	port, err := strconv.Atoi(portText)
	if err != nil {
		return nil, fmt.Errorf("embedded NATS: listen %q: %w", listen, err)
	}
	if port == 0 {
		port = server.RANDOM_PORT
	}
	srv, err := server.NewServer(&server.Options{
		ServerName: "cognate", Host: host, Port: port,
		JetStream: true, StoreDir: dir, NoSigs: true, NoLog: true,
	})
	if err != nil {
		return nil, fmt.Errorf("embedded NATS: %w", err)
	}
	srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		srv.Shutdown()
		return nil, errors.New("embedded NATS: not ready after 10s")
	}
	return &Embedded{srv: srv}, nil
}

// URL is the nats:// URL clients connect to.
func (e *Embedded) URL() string { return e.srv.ClientURL() }

// Close shuts the server down.
func (e *Embedded) Close() {
	e.srv.Shutdown()
	e.srv.WaitForShutdown()
}
