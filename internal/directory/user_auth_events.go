package directory

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/storage"
	"github.com/cognate-dev/cognate/internal/userpool"
)

// kindAuthEvent is the item kind of a recorded authentication event: Data
// is the idp.AuthEventType as AdminListUserAuthEvents returns it, ID is
// "<pool>/<sub>/<event id>". Sign-in writes them, in the same transaction
// as the change it records; AdminDeleteUser deletes them with the user.
// They are the one source of a user's events: a local kind, kept by the
// region that recorded them and never written to the change log.
const kindAuthEvent = "auth_event"

// maxAuthEvents is AdminListUserAuthEvents' page size when MaxResults is
// 0 or absent, and its largest.
const maxAuthEvents = 60

// authEventIndex is the index prefix of a user's authentication events.
func authEventIndex(pool, sub string) string { return pool + "/auth-events/" + sub + "/" }

// authEventItem returns the storage item of an event of the user sub, with
// mac the MAC of its notification's feedback token ("" for none). Its
// index entry sorts newest first: the prefix, then the inverted creation
// time in milliseconds as 16 hex digits, then the event ID.
func authEventItem(pool, sub string, ev *idp.AuthEventType, mac string) (*storage.Item, error) {
	data, err := json.Marshal(&storedAuthEvent{AuthEventType: *ev, FeedbackMAC: mac})
	if err != nil {
		return nil, cognito.Internal(fmt.Errorf("encode auth event: %w", err))
	}
	var at cognito.Timestamp
	if ev.CreationDate != nil {
		at = *ev.CreationDate
	}
	id := cognito.Deref(ev.EventId)
	inverted := uint64(math.MaxInt64 - at.UnixMilli())
	return &storage.Item{
		Kind: kindAuthEvent, ID: pool + "/" + sub + "/" + id, Pool: pool, Data: data,
		Index:     []string{fmt.Sprintf("%s%016x/%s", authEventIndex(pool, sub), inverted, id)},
		CreatedAt: at.Time, UpdatedAt: at.Time,
	}, nil
}

// AdminListUserAuthEvents lists a user's authentication events, newest
// first. Cognito records them only with threat protection on, and refuses
// the call otherwise.
func (s *Service) AdminListUserAuthEvents(ctx context.Context, c cognito.Caller, in *idp.AdminListUserAuthEventsRequest) (*idp.AdminListUserAuthEventsResponse, error) {
	p, err := s.pools.LoadPool(ctx, c, cognito.Deref(in.UserPoolId))
	if err != nil {
		return nil, err
	}
	if !userpool.ThreatProtectionOn(p) {
		return nil, cognito.UserPoolAddOnNotEnabledException("Advanced security features are not enabled for this user pool.")
	}
	_, u, err := findUser(ctx, s.store, p, cognito.Deref(in.Username))
	if err != nil {
		return nil, err
	}
	pool := cognito.Deref(p.Id)
	scope := "AdminListUserAuthEvents/" + pool + "/" + u.Sub
	var afterKey, afterID string
	if in.NextToken != nil {
		after, ok := s.pages.Cursor(scope, *in.NextToken)
		if !ok {
			return nil, cognito.InvalidParameterException("Invalid pagination token.")
		}
		afterKey, afterID, _ = strings.Cut(after, "\n")
	}
	limit := int(cognito.Deref(in.MaxResults))
	if limit <= 0 || limit > maxAuthEvents {
		limit = maxAuthEvents
	}
	entries, err := s.store.ScanIndex(ctx, storage.ScanInput{
		Kind: kindAuthEvent, Prefix: authEventIndex(pool, u.Sub), AfterKey: afterKey, AfterID: afterID, Limit: limit + 1,
	})
	if err != nil {
		return nil, cognito.Internal(fmt.Errorf("list auth events: %w", err))
	}
	out := &idp.AdminListUserAuthEventsResponse{AuthEvents: []idp.AuthEventType{}}
	for i, e := range entries {
		if i == limit {
			last := entries[i-1]
			out.NextToken = cognito.Ptr(s.pages.Token(scope, last.Key+"\n"+last.Item.ID))
			break
		}
		var ev idp.AuthEventType
		if err := json.Unmarshal(e.Item.Data, &ev); err != nil {
			return nil, cognito.Internal(fmt.Errorf("decode auth event %q: %w", e.Item.ID, err))
		}
		out.AuthEvents = append(out.AuthEvents, ev)
	}
	return out, nil
}

// RecentSignIn is one of a user's recorded sign-ins, as threat
// protection weighs it: when, from which client address ("" when none was
// recorded), and whether it passed or failed (an InProgress one is
// neither).
type RecentSignIn struct {
	At             time.Time
	IP             string
	Passed, Failed bool
}

// RecentSignIns returns the user sub's last n recorded sign-ins in pool,
// newest first: the history threat protection compares a sign-in with
// (its addresses, its failures, where it was).
func (s *Service) RecentSignIns(ctx context.Context, pool, sub string, n int) ([]RecentSignIn, error) {
	entries, err := s.store.ScanIndex(ctx, storage.ScanInput{Kind: kindAuthEvent, Prefix: authEventIndex(pool, sub), Limit: n, DataOnly: true})
	if err != nil {
		return nil, fmt.Errorf("list auth events: %w", err)
	}
	out := make([]RecentSignIn, 0, len(entries))
	for _, e := range entries {
		var ev idp.AuthEventType
		if err := json.Unmarshal(e.Item.Data, &ev); err != nil {
			return nil, fmt.Errorf("decode auth event %q: %w", e.Item.ID, err)
		}
		r := RecentSignIn{
			Passed: cognito.Deref(ev.EventResponse) == idp.EventResponseTypePass,
			Failed: cognito.Deref(ev.EventResponse) == idp.EventResponseTypeFail,
		}
		if ev.CreationDate != nil {
			r.At = ev.CreationDate.Time
		}
		if ev.EventContextData != nil {
			r.IP = cognito.Deref(ev.EventContextData.IpAddress)
		}
		out = append(out, r)
	}
	return out, nil
}
