package authflow

import (
	"context"
	"encoding/json"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/ratelimit"
	"github.com/cognate-dev/cognate/internal/storage"
)

// TestDeviceSignInRecorded checks, on both stores, that a device sign-in
// writes its time and address to the device's device_signin item and not
// the device, that AdminGetDevice and AdminListDevices show them, and that
// the item goes with its device (AdminForgetDevice) and with its user
// (AdminDeleteUser).
func TestDeviceSignInRecorded(t *testing.T) {
	flowBackends(t, func(t *testing.T, e *flowEnv) {
		ctx := context.Background()
		admin := cognito.Caller{Region: flowRegion}
		const user = "device-user"
		e.addUser(t, user, false)
		f := e.openDeviceFlow(t, e.client, user)
		dev, err := e.store.GetItem(ctx, kindDevice, deviceID(e.pool, f.key))
		if err != nil {
			t.Fatal(err)
		}
		e.clock.advance(90 * time.Second)
		signedAt := e.clock.Now()
		if err := f.begin(); err != nil {
			t.Fatal(err)
		}
		o, err := f.prove(flowPassword)
		wantTokensOutcome(t, o, err)

		after, err := e.store.GetItem(ctx, kindDevice, deviceID(e.pool, f.key))
		if err != nil {
			t.Fatal(err)
		}
		if after.Version != dev.Version || string(after.Data) != string(dev.Data) {
			t.Errorf("the device sign-in rewrote the device: version %d, want %d", after.Version, dev.Version)
		}
		it, rec, err := readDeviceSignIn(ctx, e.store, deviceID(e.pool, f.key))
		if err != nil || it == nil {
			t.Fatalf("the device's last sign-in: %v, %v", it, err)
		}
		if !rec.At.Equal(signedAt) || it.Pool != e.pool {
			t.Errorf("last sign-in = %+v in pool %q, want at %v in %q", rec, it.Pool, signedAt, e.pool)
		}

		// The address of a sign-in's client is recorded too, and kept by a
		// later sign-in that has none.
		e.clock.advance(90 * time.Second)
		ipAt := e.clock.Now()
		ipCtx := ratelimit.WithClientAddr(ctx, netip.MustParseAddr("203.0.113.7"))
		u, err := e.users.AdminGetUser(ctx, admin, &idp.AdminGetUserRequest{UserPoolId: cognito.Ptr(e.pool), Username: cognito.Ptr(user)})
		if err != nil {
			t.Fatal(err)
		}
		sub := ""
		for _, a := range u.UserAttributes {
			if cognito.Deref(a.Name) == "sub" {
				sub = cognito.Deref(a.Value)
			}
		}
		if err := e.store.Tx(ipCtx, func(tx storage.Tx) error {
			return e.s.deviceSignedIn(ipCtx, tx, e.pool, sub, f.key, ipAt, clientIP(ipCtx))
		}); err != nil {
			t.Fatal(err)
		}
		if err := e.store.Tx(ctx, func(tx storage.Tx) error {
			return e.s.deviceSignedIn(ctx, tx, e.pool, "another-sub", f.key, ipAt, "")
		}); !errors.As(err, new(*cognito.Error)) {
			t.Errorf("another user's sign-in on the device: %v, want ResourceNotFoundException", err)
		}

		got, err := e.s.AdminGetDevice(ctx, admin, &idp.AdminGetDeviceRequest{UserPoolId: cognito.Ptr(e.pool), Username: cognito.Ptr(user), DeviceKey: cognito.Ptr(f.key)})
		if err != nil {
			t.Fatal(err)
		}
		checkShown := func(what string, d idp.DeviceType) {
			t.Helper()
			if d.DeviceLastAuthenticatedDate == nil || !d.DeviceLastAuthenticatedDate.Time.Equal(ipAt) {
				t.Errorf("%s: DeviceLastAuthenticatedDate = %v, want %v", what, d.DeviceLastAuthenticatedDate, ipAt)
			}
			ip := ""
			for _, a := range d.DeviceAttributes {
				if cognito.Deref(a.Name) == deviceAttrLastIP {
					ip = cognito.Deref(a.Value)
				}
			}
			if ip != "203.0.113.7" {
				t.Errorf("%s: %s = %q, want 203.0.113.7", what, deviceAttrLastIP, ip)
			}
		}
		checkShown("AdminGetDevice", *got.Device)
		list, err := e.s.AdminListDevices(ctx, admin, &idp.AdminListDevicesRequest{UserPoolId: cognito.Ptr(e.pool), Username: cognito.Ptr(user)})
		if err != nil {
			t.Fatal(err)
		}
		if len(list.Devices) != 1 {
			t.Fatalf("AdminListDevices = %d devices, want 1", len(list.Devices))
		}
		checkShown("AdminListDevices", list.Devices[0])

		// Forgetting the device deletes its last sign-in.
		if _, err := e.s.AdminForgetDevice(ctx, admin, &idp.AdminForgetDeviceRequest{UserPoolId: cognito.Ptr(e.pool), Username: cognito.Ptr(user), DeviceKey: cognito.Ptr(f.key)}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.store.GetItem(ctx, kindDeviceSignIn, deviceID(e.pool, f.key)); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("the forgotten device's last sign-in: %v, want it gone", err)
		}

		// Deleting the user deletes its devices' last sign-ins.
		g := e.openDeviceFlow(t, e.client, user)
		if err := g.begin(); err != nil {
			t.Fatal(err)
		}
		o, err = g.prove(flowPassword)
		wantTokensOutcome(t, o, err)
		if _, err := e.store.GetItem(ctx, kindDeviceSignIn, deviceID(e.pool, g.key)); err != nil {
			t.Fatalf("the second device's last sign-in: %v", err)
		}
		if _, err := e.users.AdminDeleteUser(ctx, admin, &idp.AdminDeleteUserRequest{UserPoolId: cognito.Ptr(e.pool), Username: cognito.Ptr(user)}); err != nil {
			t.Fatal(err)
		}
		for _, kind := range []string{kindDevice, kindDeviceSignIn} {
			if _, err := e.store.GetItem(ctx, kind, deviceID(e.pool, g.key)); !errors.Is(err, storage.ErrNotFound) {
				t.Errorf("the deleted user's %s: %v, want it gone", kind, err)
			}
		}
	})
}

// TestDeviceForgottenWhileIssuing forgets a device (AdminForgetDevice)
// after its right proof was checked and before the transaction that would
// issue the tokens, on both stores: that transaction rolls back, and the
// answer is still the end of the sign-in, ResourceNotFoundException with
// the state used up and the sign-in's event recorded failed.
func TestDeviceForgottenWhileIssuing(t *testing.T) {
	flowBackends(t, func(t *testing.T, e *flowEnv) {
		ctx := context.Background()
		admin := cognito.Caller{Region: flowRegion}
		if _, err := e.pools.UpdateUserPool(ctx, admin, &idp.UpdateUserPoolRequest{
			UserPoolId: cognito.Ptr(e.pool), UserPoolTier: cognito.Ptr(idp.UserPoolTierType("PLUS")),
			UserPoolAddOns: &idp.UserPoolAddOnsType{AdvancedSecurityMode: cognito.Ptr(idp.AdvancedSecurityModeTypeAudit)},
		}); err != nil {
			t.Fatal(err)
		}
		f := e.openDeviceFlow(t, e.client, flowUser)
		if err := f.begin(); err != nil {
			t.Fatal(err)
		}
		w := &beforeTxStore{engineStore: e.s.store, before: func() {
			if _, err := e.s.AdminForgetDevice(ctx, admin, &idp.AdminForgetDeviceRequest{UserPoolId: cognito.Ptr(e.pool), Username: cognito.Ptr(flowUser), DeviceKey: cognito.Ptr(f.key)}); err != nil {
				t.Error(err)
			}
		}}
		e.s.store = w
		_, err := f.prove(flowPassword)
		var ce *cognito.Error
		if !errors.As(err, &ce) || ce.Code != cognito.CodeResourceNotFoundException || ce.Message != msgDeviceNotFound {
			t.Fatalf("proof of a device forgotten before its tokens = %v, want ResourceNotFoundException (%s)", err, msgDeviceNotFound)
		}
		if w.before != nil {
			t.Fatal("the device was not forgotten")
		}
		events, err := e.users.AdminListUserAuthEvents(ctx, admin, &idp.AdminListUserAuthEventsRequest{UserPoolId: cognito.Ptr(e.pool), Username: cognito.Ptr(flowUser)})
		if err != nil {
			t.Fatal(err)
		}
		if len(events.AuthEvents) != 1 || cognito.Deref(events.AuthEvents[0].EventResponse) != idp.EventResponseTypeFail {
			t.Errorf("auth events = %+v, want one Fail", events.AuthEvents)
		}
		if _, err := f.prove(flowPassword); !errors.Is(err, cognito.NotAuthorizedException("")) {
			t.Errorf("the same proof again = %v, want NotAuthorizedException (the state is used up)", err)
		}
	})
}

// beforeTxStore is the engine's store running before, once, ahead of the
// first transaction the engine begins after it is set.
type beforeTxStore struct {
	engineStore
	before func()
}

func (b *beforeTxStore) Tx(ctx context.Context, fn func(tx storage.Tx) error) error {
	if f := b.before; f != nil {
		b.before = nil
		f()
	}
	return b.engineStore.Tx(ctx, fn)
}

// TestMergeDeviceSignInReplicas keeps the later of two replicas of a
// device's last sign-in, whichever the order of changes keeps, and the
// earlier one's address when the later has none.
func TestMergeDeviceSignInReplicas(t *testing.T) {
	base := time.Date(2026, 12, 7, 6, 0, 0, 0, time.UTC)
	item := func(sec int, ip string) *storage.Item {
		data, _ := json.Marshal(deviceSignInRecord{At: base.Add(time.Duration(sec) * time.Second), IP: ip})
		return &storage.Item{Kind: DeviceSignInItemKind, ID: "us-east-1_abcdefghi/key", Pool: "us-east-1_abcdefghi", Data: data, Version: 3}
	}
	tests := []struct {
		name          string
		winner, loser *storage.Item
		want          *deviceSignInRecord // nil: the winner unchanged
	}{
		{name: "the loser's later sign-in is kept", winner: item(10, "192.0.2.1"), loser: item(20, "192.0.2.2"), want: &deviceSignInRecord{At: base.Add(20 * time.Second), IP: "192.0.2.2"}},
		{name: "the winner's later sign-in stays", winner: item(20, "192.0.2.1"), loser: item(10, "192.0.2.2")},
		{name: "the same time changes nothing", winner: item(10, "192.0.2.1"), loser: item(10, "192.0.2.2")},
		{name: "a later sign-in without an address keeps the winner's", winner: item(10, "192.0.2.1"), loser: item(20, ""), want: &deviceSignInRecord{At: base.Add(20 * time.Second), IP: "192.0.2.1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, changed, err := MergeDeviceSignInReplicas(tc.winner, tc.loser)
			if err != nil {
				t.Fatal(err)
			}
			if changed != (tc.want != nil) {
				t.Fatalf("changed = %v, want %v", changed, tc.want != nil)
			}
			if !changed {
				return
			}
			var rec deviceSignInRecord
			if err := json.Unmarshal(got.Data, &rec); err != nil {
				t.Fatal(err)
			}
			if !rec.At.Equal(tc.want.At) || rec.IP != tc.want.IP || got.Version != 3 || got.ID != tc.winner.ID {
				t.Errorf("merged = %+v, version %d, ID %q; want %+v on the winner's item", rec, got.Version, got.ID, *tc.want)
			}
		})
	}
	if _, _, err := MergeDeviceSignInReplicas(item(1, ""), &storage.Item{Data: []byte("{")}); err == nil {
		t.Error("a malformed loser merged without an error")
	}
}
