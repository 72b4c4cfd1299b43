package messaging

import (
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// OutboxPath is where cognate serves Outbox.Handler:
// GET /_cognate/messages?to=<recipient>.
const OutboxPath = "/_cognate/messages"

// Outbox defaults.
const (
	DefaultPerRecipient  = 20
	DefaultRecent        = 100
	DefaultMaxRecipients = 1000
)

// OutboxOptions configures an Outbox. Zero values take the defaults.
type OutboxOptions struct {
	// Logger receives one record per message; nil means slog.Default().
	Logger *slog.Logger
	// PerRecipient is how many messages are kept per recipient.
	PerRecipient int
	// Recent is how many messages the listing without a recipient keeps.
	Recent int
	// MaxRecipients bounds how many recipients are remembered; past it,
	// the recipient written to least recently is forgotten.
	MaxRecipients int
}

// Outbox is the development Sender: it delivers nothing, but logs each
// message (recipient, purpose and, since it is for development, the body
// with its codes) and keeps the latest ones in memory for Handler to serve.
// It is safe for concurrent use.
type Outbox struct {
	log                                *slog.Logger
	perRecipient, recent, maxRecipient int

	// mu guards the fields below.
	mu sync.Mutex
	// byTo holds each recipient's messages, oldest first, keyed by the
	// recipient folded to lower case.
	byTo map[string]*mailbox
	// latest holds the most recent messages overall, oldest first.
	latest []Message
	// seq counts messages, to order recipients by their last write.
	seq uint64
}

type mailbox struct {
	msgs []Message
	last uint64
}

var _ Sender = (*Outbox)(nil)

// NewOutbox returns an empty Outbox.
func NewOutbox(opts OutboxOptions) *Outbox {
	o := &Outbox{
		log:          opts.Logger,
		perRecipient: opts.PerRecipient,
		recent:       opts.Recent,
		maxRecipient: opts.MaxRecipients,
		byTo:         map[string]*mailbox{},
	}
	if o.log == nil {
		o.log = slog.Default()
	}
	if o.perRecipient <= 0 {
		o.perRecipient = DefaultPerRecipient
	}
	if o.recent <= 0 {
		o.recent = DefaultRecent
	}
	if o.maxRecipient <= 0 {
		o.maxRecipient = DefaultMaxRecipients
	}
	return o
}

// recipientKey folds a recipient for lookup: email addresses are compared
// without regard to case.
func recipientKey(to string) string { return strings.ToLower(strings.TrimSpace(to)) }

// Send logs m and keeps it. It never fails.
func (o *Outbox) Send(ctx context.Context, m Message) error {
	if m.At.IsZero() {
		m.At = time.Now().UTC()
	}
	o.log.LogAttrs(ctx, slog.LevelInfo, "message sent to the development outbox",
		slog.String("pool", m.Pool), slog.String("channel", m.Channel), slog.String("to", m.To),
		slog.String("purpose", m.Purpose), slog.String("username", m.Username),
		slog.String("subject", m.Subject), slog.String("body", m.Body))

	o.mu.Lock()
	defer o.mu.Unlock()
	o.seq++
	key := recipientKey(m.To)
	box := o.byTo[key]
	if box == nil {
		if len(o.byTo) >= o.maxRecipient {
			o.forgetOldestLocked()
		}
		box = &mailbox{}
		o.byTo[key] = box
	}
	box.msgs = keepLast(box.msgs, m, o.perRecipient)
	box.last = o.seq
	o.latest = keepLast(o.latest, m, o.recent)
	return nil
}

// keepLast appends m to msgs and drops the oldest beyond limit, without
// letting the backing array grow.
func keepLast(msgs []Message, m Message, limit int) []Message {
	if len(msgs) < limit {
		return append(msgs, m)
	}
	copy(msgs, msgs[1:])
	msgs[len(msgs)-1] = m
	return msgs
}

func (o *Outbox) forgetOldestLocked() {
	var (
		oldest string
		seq    uint64
		found  bool
	)
	for k, b := range o.byTo {
		if !found || b.last < seq {
			oldest, seq, found = k, b.last, true
		}
	}
	delete(o.byTo, oldest)
}

// Messages returns the messages kept for the recipient to, newest first;
// with to empty, the most recent messages overall.
func (o *Outbox) Messages(to string) []Message {
	o.mu.Lock()
	defer o.mu.Unlock()
	var src []Message
	if to == "" {
		src = o.latest
	} else if box := o.byTo[recipientKey(to)]; box != nil {
		src = box.msgs
	}
	out := make([]Message, len(src))
	for i, m := range src {
		out[len(src)-1-i] = m
	}
	return out
}

// messageList is the JSON body Handler serves.
type messageList struct {
	Messages []Message `json:"messages"`
}

// OutboxAccess says who may read the outbox through Outbox.Handler. The
// messages hold reset codes and temporary passwords: whoever reads them can
// take over the accounts they were sent to, so only the server's operator
// may. The zero value refuses everyone.
type OutboxAccess struct {
	// Loopback serves requests made from this machine: the listener is a
	// loopback one, the client's address is loopback, the Host header names
	// a loopback host (which defeats DNS rebinding from a web page) and the
	// request carries no proxy header (Forwarded, X-Forwarded-*,
	// X-Real-IP, Via), since a reverse proxy on the same machine would
	// otherwise make every client on the internet look local. Set it only
	// for a listener bound to a loopback address.
	Loopback bool
	// Authorized reports whether r carries the operator's credentials;
	// cmd/cognate checks a SigV4 signature made with the admin key pair.
	// nil authorizes no one.
	Authorized func(r *http.Request) bool
	// Anyone serves every request, from anywhere, unchecked. It exists for
	// isolated test networks; on a reachable server it hands every account
	// to whoever asks.
	Anyone bool
}

// allows reports whether r may read the outbox.
func (a OutboxAccess) allows(r *http.Request) bool {
	switch {
	case a.Anyone:
		return true
	case a.Loopback && FromLoopback(r):
		return true
	case a.Authorized != nil && a.Authorized(r):
		return true
	}
	return false
}

// proxyHeaders are the request headers a proxy adds; a request that carries
// one may come from anywhere, whatever its remote address.
var proxyHeaders = []string{"Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Real-Ip", "Via"}

// FromLoopback reports whether r was made from this machine and not relayed:
// its remote address and its Host are loopback, and it carries no proxy
// header.
func FromLoopback(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return false
	}
	if !loopbackHost(r.Host) {
		return false
	}
	for _, h := range proxyHeaders {
		if _, ok := r.Header[h]; ok {
			return false
		}
	}
	for k := range r.Header {
		if strings.HasPrefix(k, "X-Forwarded-") {
			return false
		}
	}
	return true
}

// loopbackHost reports whether hostport, a Host header with or without a
// port, names localhost or a loopback address.
func loopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// outboxRefused is the body of a refused read: it names the ways in, never
// a message.
const outboxRefused = "the development outbox is served only to requests from this machine to a loopback listener, " +
	"or signed with the admin key pair (see docs/messages.md)"

// Handler serves the kept messages as JSON, newest first, to the requests
// access allows, and 403 to the others:
// GET OutboxPath?to=<recipient> lists one recipient's messages, and without
// to the most recent messages overall. It exposes codes and temporary
// passwords, so cognate mounts it only where the Outbox is the sender.
func (o *Outbox) Handler(access OutboxAccess) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		if !access.allows(r) {
			http.Error(w, outboxRefused, http.StatusForbidden)
			return
		}
		body, err := json.Marshal(messageList{Messages: o.Messages(r.URL.Query().Get("to"))})
		if err != nil {
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(append(body, '\n'))
	})
}
