package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/cognate-dev/cognate/internal/api"
	"github.com/cognate-dev/cognate/internal/config"
	"github.com/cognate-dev/cognate/internal/messaging"
)

// outboxPlan is how the development outbox is served: the handler to
// mount on the API listener (nil when it is not served there at all) and a
// description of who may read it, for the start-up warning and screen.
type outboxPlan struct {
	handler http.Handler
	// readAt is the outbox's URL on the API listener, and who may read it.
	readAt, who string
	// stop closes the outbox's own listener, if any.
	stop func()
	// own is the URL of the outbox's own listener, if any.
	own string
}

// serveOutbox decides who may read the development outbox and starts its
// own listener when messaging.outbox.listen asks for one. The outbox is
// served only while it is the sole sender, and then only to the operator:
// requests from this machine when the API listens on loopback (apiAddr),
// requests signed with the admin key pair (creds) from anywhere, and
// everyone only when messaging.outbox.unsafe_serve_to_anyone says so. It
// logs a warning whenever messages go to the outbox.
func serveOutbox(ctx context.Context, cfg *config.Config, apiAddr net.Addr, endpoint string, creds config.AdminConfig,
	outbox *messaging.Outbox, router *messaging.Router, log *slog.Logger) (outboxPlan, error) {
	plan := outboxPlan{stop: func() {}}
	oc := cfg.Messaging.Outbox
	if !router.OnlyOutbox() {
		if chs := router.OutboxChannels(); len(chs) > 0 {
			log.Warn("messages that no configured sender carries go to the development outbox, which logs their body "+
				"(codes, temporary passwords) and does not serve them", "channels", strings.Join(chs, ","))
		}
		if oc.Listen != "" {
			log.Warn("messaging.outbox.listen is ignored: a mail or SMS sender is configured, so the outbox is not served")
		}
		return plan, nil
	}

	loopback := loopbackAddr(apiAddr)
	access := messaging.OutboxAccess{
		Loopback:   loopback,
		Authorized: adminSigned(creds),
		Anyone:     oc.UnsafeServeToAnyone,
	}
	plan.handler = outbox.Handler(access)
	plan.readAt = endpoint + messaging.OutboxPath
	switch {
	case oc.UnsafeServeToAnyone:
		plan.who = "to anyone who reaches the server (messaging.outbox.unsafe_serve_to_anyone)"
	case loopback:
		plan.who = "from this machine, or signed with the admin key pair"
	default:
		plan.who = "signed with the admin key pair only (the API does not listen on loopback)"
	}

	if oc.Listen != "" {
		own := outbox.Handler(messaging.OutboxAccess{Loopback: true, Anyone: oc.UnsafeServeToAnyone})
		addr, stop, err := startOutboxListener(ctx, oc.Listen, own, log)
		if err != nil {
			return outboxPlan{}, err
		}
		plan.stop = stop
		plan.own = endpointURL(oc.Listen, addr) + messaging.OutboxPath
	}

	attrs := []any{"url", plan.readAt, "readable", plan.who}
	if plan.own != "" {
		attrs = append(attrs, "own_listener", plan.own)
	}
	log.Warn("no mail or SMS sender is configured: every message goes to the development outbox, which logs its body "+
		"(codes, temporary passwords) and serves it; configure messaging before real users sign up", attrs...)
	if oc.UnsafeServeToAnyone {
		log.Warn("messaging.outbox.unsafe_serve_to_anyone is on: anyone who reaches the server can read reset codes and take over any account")
	}
	return plan, nil
}

// loopbackAddr reports whether a listener's bound address is a loopback one.
func loopbackAddr(a net.Addr) bool {
	tcp, ok := a.(*net.TCPAddr)
	return ok && tcp.IP.IsLoopback()
}

// adminSigned returns a check that a request carries an AWS Signature
// Version 4, made with the admin key pair for cognito-idp or
// cognito-identity, as the API checks them: what `curl --aws-sigv4
// "aws:amz:us-east-1:cognito-idp" --user KEY:SECRET` sends. Unlike the
// API, it never accepts any signature: accept_any_signature does not open
// the outbox.
func adminSigned(creds config.AdminConfig) func(*http.Request) bool {
	v := &api.SigV4Verifier{
		Lookup: func(id string) (string, bool) {
			if id != creds.AccessKeyID {
				return "", false
			}
			return creds.SecretAccessKey.Reveal(), true
		},
		Services: []string{"cognito-idp", "cognito-identity"},
	}
	return func(r *http.Request) bool {
		if r.Header.Get("Authorization") == "" {
			return false
		}
		// GET and HEAD carry no body: the signature covers the empty one.
		_, err := v.Verify(r, nil)
		return err == nil
	}
}

// startOutboxListener serves h alone on addr, on a listener of its own,
// until the returned stop function is called.
func startOutboxListener(ctx context.Context, addr string, h http.Handler, log *slog.Logger) (net.Addr, func(), error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, nil, fmt.Errorf("messaging.outbox.listen: listen on %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle(messaging.OutboxPath, h)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("outbox listener stopped", "error", err.Error())
		}
	}()
	return ln.Addr(), func() {
		_ = srv.Close()
		<-done
	}, nil
}
