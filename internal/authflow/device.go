package authflow

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/ratelimit"
	"github.com/cognate-dev/cognate/internal/srp"
	"github.com/cognate-dev/cognate/internal/storage"
	"github.com/cognate-dev/cognate/internal/tokens"
	"github.com/cognate-dev/cognate/internal/userpool"
)

// This file is remembered devices: the device records, the device key a
// sign-in hands out (NewDeviceMetadata), and the operations on devices
// (ConfirmDevice, GetDevice, ListDevices, UpdateDeviceStatus, ForgetDevice
// and their Admin forms). The device's own sign-in step, DEVICE_SRP_AUTH
// and DEVICE_PASSWORD_VERIFIER, is challenge_device.go.

// kindDevice is one confirmed device of a user (ID "<pool>/<device key>").
// It replicates, so that a remembered device signs in in every region.
const kindDevice = "device"

func init() { storage.DeclareKind(kindDevice, storage.Replicated) }

// Device attribute names, as Cognito lists them in DeviceAttributes.
const (
	deviceAttrStatus     = "device_status"
	deviceAttrName       = "device_name"
	deviceAttrRemembered = "dev:device_remembered_status"
	deviceAttrLastIP     = "last_ip_used"
)

// Messages of the device exceptions.
const (
	msgDeviceNotFound = "Device does not exist."
	msgDeviceExists   = "Device already exists."
	msgDeviceVerifier = "Invalid device secret verifier config."
)

// deviceRecord is a confirmed device (kind device). JSON names are part
// of the stored format.
type deviceRecord struct {
	Sub string `json:"sub"`
	Key string `json:"key"`
	// GroupKey is the DeviceGroupKey the device's verifier was made with
	// (it stands in for the pool name in the device's SRP).
	GroupKey string `json:"group_key"`
	// Verifier is the device's SRP verifier (ConfirmDevice's
	// DeviceSecretVerifierConfig), sealed for the device
	// (srp.Verifiers.SealDevice): it lets whoever holds it test guesses of
	// the device's secret, so it is never stored in the clear.
	Verifier string `json:"verifier"`
	Name     string `json:"name,omitempty"`
	// Remembered is the device's remembered status (UpdateDeviceStatus).
	Remembered bool   `json:"remembered"`
	LastIP     string `json:"last_ip,omitempty"`
	CreatedAt  time.Time
	ModifiedAt time.Time
	// AuthenticatedAt is when the device last signed in: the sign-in that
	// confirmed it (and, before kindDeviceSignIn, each
	// DEVICE_PASSWORD_VERIFIER); later sign-ins are recorded in the
	// device's device_signin item, and the later of the two is shown.
	AuthenticatedAt time.Time
}

func deviceID(pool, key string) string { return pool + "/" + key }

// devicesOfPrefix is the index prefix of a user's devices: each carries
// "<pool>/devices-of/<sub>/<device key>", in device-key order, which
// ListDevices pages through.
func devicesOfPrefix(pool, sub string) string { return pool + "/devices-of/" + sub + "/" }

// familiesOfDevicePrefix is the index prefix of the token families signed
// in on a device: each carries "<pool>/families-of-device/<device
// key>/<origin_jti>", so that forgetting the device ends them.
func familiesOfDevicePrefix(pool, key string) string {
	return pool + "/families-of-device/" + key + "/"
}

func deviceItem(pool string, d *deviceRecord, version int64) (*storage.Item, error) {
	data, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("encode device: %w", err)
	}
	return &storage.Item{
		Kind: kindDevice, ID: deviceID(pool, d.Key), Pool: pool, Data: data,
		Index:     []string{devicesOfPrefix(pool, d.Sub) + d.Key},
		CreatedAt: d.CreatedAt, UpdatedAt: d.ModifiedAt, Version: version,
	}, nil
}

func decodeDevice(it *storage.Item) (*deviceRecord, error) {
	var d deviceRecord
	if err := json.Unmarshal(it.Data, &d); err != nil {
		return nil, fmt.Errorf("decode device %q: %w", it.ID, err)
	}
	return &d, nil
}

// deviceKeyPattern is a device key as Cognito makes them:
// "<region>_<UUID>".
var deviceKeyPattern = regexp.MustCompile(`^[a-z]{2}(-gov)?-[a-z]+-\d_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// newDeviceKey returns a fresh device key of the pool's region.
func newDeviceKey(pool *userpool.SignInPool) string { return pool.Region + "_" + tokens.NewJTI() }

// newDeviceGroupKey returns a fresh DeviceGroupKey: "-" and nine random
// letters and digits, the shape Cognito's have.
func newDeviceGroupKey() string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	var b [9]byte
	_, _ = rand.Read(b[:])
	out := []byte{'-'}
	for _, c := range b {
		out = append(out, alphabet[int(c)%len(alphabet)])
	}
	return string(out)
}

// userDevice reads the device key of the user sub in pool: nil, nil when
// there is no such device, or it is another user's.
func (s *Service) userDevice(ctx context.Context, pool, sub, key string) (*deviceRecord, *storage.Item, error) {
	return s.userDeviceIn(ctx, s.store, pool, sub, key)
}

// userDeviceIn is userDevice reading through r.
func (s *Service) userDeviceIn(ctx context.Context, r storage.ItemReader, pool, sub, key string) (*deviceRecord, *storage.Item, error) {
	if key == "" || sub == "" {
		return nil, nil, nil
	}
	it, err := r.GetItem(ctx, kindDevice, deviceID(pool, key))
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, internal(fmt.Errorf("get device: %w", err))
	}
	d, err := decodeDevice(it)
	if err != nil {
		return nil, nil, internal(err)
	}
	if d.Sub != sub {
		return nil, nil, nil
	}
	return d, it, nil
}

// signInDevice finds the device a sign-in names with DEVICE_KEY, for a
// pool that tracks devices: nil when it names none (or the pool tracks
// none), ResourceNotFoundException when it names a device that is not the
// user's (amazon-cognito-identity-js then forgets its key and answers
// again without it). sub is "" for a user that does not exist.
func (s *Service) signInDevice(ctx context.Context, pool *userpool.SignInPool, sub, key string) (*deviceRecord, error) {
	if !pool.TracksDevices || key == "" {
		return nil, nil
	}
	d, _, err := s.userDevice(ctx, pool.ID, sub, key)
	if err != nil {
		return nil, err
	}
	if d == nil {
		return nil, cognito.ResourceNotFoundException(msgDeviceNotFound)
	}
	return d, nil
}

// clientIP is the address of the request's client, as the API edge found
// it, or "".
func clientIP(ctx context.Context) string {
	if a := ratelimit.ClientAddrFrom(ctx); a.IsValid() {
		return a.String()
	}
	return ""
}

// deviceType is a device as GetDevice and ListDevices return it.
func deviceType(d *deviceRecord) idp.DeviceType {
	status := idp.DeviceRememberedStatusTypeNotRemembered
	if d.Remembered {
		status = idp.DeviceRememberedStatusTypeRemembered
	}
	attrs := []idp.AttributeType{
		{Name: cognito.Ptr(deviceAttrStatus), Value: cognito.Ptr("valid")},
		{Name: cognito.Ptr(deviceAttrRemembered), Value: cognito.Ptr(string(status))},
	}
	if d.Name != "" {
		attrs = append(attrs, idp.AttributeType{Name: cognito.Ptr(deviceAttrName), Value: cognito.Ptr(d.Name)})
	}
	if d.LastIP != "" {
		attrs = append(attrs, idp.AttributeType{Name: cognito.Ptr(deviceAttrLastIP), Value: cognito.Ptr(d.LastIP)})
	}
	return idp.DeviceType{
		DeviceKey:                   cognito.Ptr(d.Key),
		DeviceAttributes:            attrs,
		DeviceCreateDate:            &cognito.Timestamp{Time: d.CreatedAt},
		DeviceLastModifiedDate:      &cognito.Timestamp{Time: d.ModifiedAt},
		DeviceLastAuthenticatedDate: &cognito.Timestamp{Time: d.AuthenticatedAt},
	}
}

// accessUser is the user an access token names, for the device
// operations: the grant the edge verified, or for GetDevice and
// ForgetDevice (whose AccessToken the edge does not check) the token
// verified here.
func (s *Service) accessUser(ctx context.Context, c cognito.Caller, token *string) (*cognito.AccessGrant, error) {
	g := c.Access
	if g == nil {
		if token == nil || *token == "" {
			return nil, cognito.NotAuthorizedException(msgInvalidAccess)
		}
		var err error
		if g, err = s.AuthenticateAccessToken(ctx, *token); err != nil {
			return nil, err
		}
	}
	if !hasScope(g.Scopes, tokens.DefaultScope) {
		return nil, cognito.NotAuthorizedException(msgMissingScope)
	}
	return g, nil
}

// adminUser is the pool and user an administrator's device operation
// names.
func (s *Service) adminUser(ctx context.Context, c cognito.Caller, poolID, username string) (*userpool.SignInPool, string, error) {
	pool, err := s.pools.SignInPool(ctx, c, poolID)
	if err != nil {
		return nil, "", err
	}
	u, err := s.users.LookupUser(ctx, pool, username)
	if err != nil {
		return nil, "", err
	}
	return pool, u.Sub, nil
}

// ConfirmDevice remembers the device a sign-in handed out in
// NewDeviceMetadata, with the verifier the client made of the device's
// secret (DeviceSecretVerifierConfig: base64 salt and verifier, as
// amazon-cognito-identity-js sends them). Only the device key of the
// access token's own sign-in can be confirmed, once. The device is
// remembered at once, unless the pool remembers devices only on the
// user's prompt (DeviceOnlyRememberedOnUserPrompt): then it starts not
// remembered and UserConfirmationNecessary is true.
func (s *Service) ConfirmDevice(ctx context.Context, c cognito.Caller, in *idp.ConfirmDeviceRequest) (*idp.ConfirmDeviceResponse, error) {
	g, err := s.accessUser(ctx, c, in.AccessToken)
	if err != nil {
		return nil, err
	}
	pool, err := s.pools.SignInPool(ctx, cognito.Caller{Region: cognito.RegionOfPoolID(g.PoolID)}, g.PoolID)
	if err != nil {
		return nil, err
	}
	if !pool.TracksDevices {
		return nil, cognito.InvalidParameterException("Device tracking is not enabled for this user pool.")
	}
	key := cognito.Deref(in.DeviceKey)
	fam, err := s.refreshFamily(ctx, pool.ID, g.OriginJTI)
	if err != nil {
		return nil, err
	}
	if fam.DeviceKey == "" || fam.DeviceKey != key || fam.Sub != g.Sub {
		return nil, cognito.ResourceNotFoundException(msgDeviceNotFound)
	}
	cfg := in.DeviceSecretVerifierConfig
	if cfg == nil {
		return nil, cognito.InvalidParameterException(msgDeviceVerifier)
	}
	salt, err1 := base64.StdEncoding.DecodeString(cognito.Deref(cfg.Salt))
	ver, err2 := base64.StdEncoding.DecodeString(cognito.Deref(cfg.PasswordVerifier))
	if err1 != nil || err2 != nil {
		return nil, cognito.InvalidParameterException(msgDeviceVerifier)
	}
	v, err := srp.ClientVerifier(salt, ver)
	if err != nil {
		return nil, cognito.InvalidParameterException(msgDeviceVerifier).WithCause(err)
	}
	sealed, err := s.verifiers.SealDevice(pool.ID, g.Sub, key, v)
	if err != nil {
		return nil, internal(err)
	}
	now := s.now()
	d := &deviceRecord{
		Sub: g.Sub, Key: key, GroupKey: fam.DeviceGroupKey, Verifier: sealed, Name: cognito.Deref(in.DeviceName),
		Remembered: !pool.DeviceOnUserPrompt, LastIP: clientIP(ctx),
		CreatedAt: now, ModifiedAt: now, AuthenticatedAt: fam.AuthTime,
	}
	it, err := deviceItem(pool.ID, d, 0)
	if err != nil {
		return nil, internal(err)
	}
	err = s.runTx(ctx, func(tx storage.Tx) error {
		err := tx.CreateItem(ctx, it)
		if errors.Is(err, storage.ErrAlreadyExists) {
			return cognito.DeviceKeyExistsException(msgDeviceExists)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &idp.ConfirmDeviceResponse{UserConfirmationNecessary: cognito.Ptr(pool.DeviceOnUserPrompt)}, nil
}

// getDevice is GetDevice and AdminGetDevice.
func (s *Service) getDevice(ctx context.Context, pool, sub, key string) (*idp.DeviceType, error) {
	d, _, err := s.userDevice(ctx, pool, sub, key)
	if err != nil {
		return nil, err
	}
	if d == nil {
		return nil, cognito.ResourceNotFoundException(msgDeviceNotFound)
	}
	if d, err = deviceWithSignIn(ctx, s.store, pool, d); err != nil {
		return nil, internal(err)
	}
	out := deviceType(d)
	return &out, nil
}

// GetDevice returns one of the caller's devices.
func (s *Service) GetDevice(ctx context.Context, c cognito.Caller, in *idp.GetDeviceRequest) (*idp.GetDeviceResponse, error) {
	g, err := s.accessUser(ctx, c, in.AccessToken)
	if err != nil {
		return nil, err
	}
	d, err := s.getDevice(ctx, g.PoolID, g.Sub, cognito.Deref(in.DeviceKey))
	if err != nil {
		return nil, err
	}
	return &idp.GetDeviceResponse{Device: d}, nil
}

// AdminGetDevice returns one of a user's devices, as an administrator.
func (s *Service) AdminGetDevice(ctx context.Context, c cognito.Caller, in *idp.AdminGetDeviceRequest) (*idp.AdminGetDeviceResponse, error) {
	pool, sub, err := s.adminUser(ctx, c, cognito.Deref(in.UserPoolId), cognito.Deref(in.Username))
	if err != nil {
		return nil, err
	}
	d, err := s.getDevice(ctx, pool.ID, sub, cognito.Deref(in.DeviceKey))
	if err != nil {
		return nil, err
	}
	return &idp.AdminGetDeviceResponse{Device: d}, nil
}

// maxDeviceLimit is the largest Limit ListDevices takes, and its default.
const maxDeviceLimit = 60

// listDevices is ListDevices and AdminListDevices: the user's devices in
// device-key order, a page of limit (at most 60) at a time; the
// PaginationToken is the last device key of the page before.
func (s *Service) listDevices(ctx context.Context, pool, sub string, limit *int32, token *string) ([]idp.DeviceType, *string, error) {
	n := maxDeviceLimit
	if limit != nil {
		n = int(*limit)
		if n < 0 || n > maxDeviceLimit {
			return nil, nil, cognito.InvalidParameterException(fmt.Sprintf("1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must have value less than or equal to %d", n, maxDeviceLimit))
		}
		if n == 0 {
			n = maxDeviceLimit
		}
	}
	in := storage.ScanInput{Kind: kindDevice, Prefix: devicesOfPrefix(pool, sub), Limit: n + 1}
	if t := cognito.Deref(token); t != "" {
		if !deviceKeyPattern.MatchString(t) {
			return nil, nil, cognito.InvalidParameterException("Invalid pagination token.")
		}
		in.AfterKey, in.AfterID = devicesOfPrefix(pool, sub)+t, deviceID(pool, t)
	}
	entries, err := s.store.ScanIndex(ctx, in)
	if err != nil {
		return nil, nil, internal(fmt.Errorf("list devices: %w", err))
	}
	var next *string
	if len(entries) > n {
		entries = entries[:n]
		next = cognito.Ptr(entries[n-1].Key[len(devicesOfPrefix(pool, sub)):])
	}
	out := make([]idp.DeviceType, 0, len(entries))
	for _, e := range entries {
		d, err := decodeDevice(e.Item)
		if err != nil {
			return nil, nil, internal(err)
		}
		if d, err = deviceWithSignIn(ctx, s.store, pool, d); err != nil {
			return nil, nil, internal(err)
		}
		out = append(out, deviceType(d))
	}
	return out, next, nil
}

// ListDevices lists the caller's devices.
func (s *Service) ListDevices(ctx context.Context, c cognito.Caller, in *idp.ListDevicesRequest) (*idp.ListDevicesResponse, error) {
	g, err := s.accessUser(ctx, c, in.AccessToken)
	if err != nil {
		return nil, err
	}
	devs, next, err := s.listDevices(ctx, g.PoolID, g.Sub, in.Limit, in.PaginationToken)
	if err != nil {
		return nil, err
	}
	return &idp.ListDevicesResponse{Devices: devs, PaginationToken: next}, nil
}

// AdminListDevices lists a user's devices, as an administrator.
func (s *Service) AdminListDevices(ctx context.Context, c cognito.Caller, in *idp.AdminListDevicesRequest) (*idp.AdminListDevicesResponse, error) {
	pool, sub, err := s.adminUser(ctx, c, cognito.Deref(in.UserPoolId), cognito.Deref(in.Username))
	if err != nil {
		return nil, err
	}
	devs, next, err := s.listDevices(ctx, pool.ID, sub, in.Limit, in.PaginationToken)
	if err != nil {
		return nil, err
	}
	return &idp.AdminListDevicesResponse{Devices: devs, PaginationToken: next}, nil
}

// updateDeviceStatus is UpdateDeviceStatus and AdminUpdateDeviceStatus.
func (s *Service) updateDeviceStatus(ctx context.Context, pool, sub, key string, status *idp.DeviceRememberedStatusType) error {
	var remembered bool
	switch cognito.Deref(status) {
	case idp.DeviceRememberedStatusTypeRemembered:
		remembered = true
	case idp.DeviceRememberedStatusTypeNotRemembered:
	default:
		return cognito.InvalidParameterException("1 validation error detected: Value at 'deviceRememberedStatus' failed to satisfy constraint: Member must satisfy enum value set: [remembered, not_remembered]")
	}
	return s.runTx(ctx, func(tx storage.Tx) error {
		it, err := tx.GetItem(ctx, kindDevice, deviceID(pool, key))
		if errors.Is(err, storage.ErrNotFound) {
			return cognito.ResourceNotFoundException(msgDeviceNotFound)
		}
		if err != nil {
			return fmt.Errorf("get device: %w", err)
		}
		d, err := decodeDevice(it)
		if err != nil {
			return err
		}
		if d.Sub != sub {
			return cognito.ResourceNotFoundException(msgDeviceNotFound)
		}
		d.Remembered, d.ModifiedAt = remembered, s.now()
		upd, err := deviceItem(pool, d, it.Version)
		if err != nil {
			return err
		}
		return tx.UpdateItem(ctx, upd)
	})
}

// UpdateDeviceStatus sets whether one of the caller's devices is
// remembered.
func (s *Service) UpdateDeviceStatus(ctx context.Context, c cognito.Caller, in *idp.UpdateDeviceStatusRequest) (*idp.UpdateDeviceStatusResponse, error) {
	g, err := s.accessUser(ctx, c, in.AccessToken)
	if err != nil {
		return nil, err
	}
	if err := s.updateDeviceStatus(ctx, g.PoolID, g.Sub, cognito.Deref(in.DeviceKey), in.DeviceRememberedStatus); err != nil {
		return nil, err
	}
	return &idp.UpdateDeviceStatusResponse{}, nil
}

// AdminUpdateDeviceStatus sets whether one of a user's devices is
// remembered, as an administrator.
func (s *Service) AdminUpdateDeviceStatus(ctx context.Context, c cognito.Caller, in *idp.AdminUpdateDeviceStatusRequest) (*idp.AdminUpdateDeviceStatusResponse, error) {
	pool, sub, err := s.adminUser(ctx, c, cognito.Deref(in.UserPoolId), cognito.Deref(in.Username))
	if err != nil {
		return nil, err
	}
	if err := s.updateDeviceStatus(ctx, pool.ID, sub, cognito.Deref(in.DeviceKey), in.DeviceRememberedStatus); err != nil {
		return nil, err
	}
	return &idp.AdminUpdateDeviceStatusResponse{}, nil
}

// forgetDevice is ForgetDevice and AdminForgetDevice: it deletes the
// device with its last sign-in (kindDeviceSignIn) and, in the same transaction, every token family signed in on
// it, so that its refresh tokens (and the access tokens minted from them)
// stop working.
func (s *Service) forgetDevice(ctx context.Context, pool, sub, key string) error {
	return s.runTx(ctx, func(tx storage.Tx) error {
		it, err := tx.GetItem(ctx, kindDevice, deviceID(pool, key))
		if errors.Is(err, storage.ErrNotFound) {
			return cognito.ResourceNotFoundException(msgDeviceNotFound)
		}
		if err != nil {
			return fmt.Errorf("get device: %w", err)
		}
		d, err := decodeDevice(it)
		if err != nil {
			return err
		}
		if d.Sub != sub {
			return cognito.ResourceNotFoundException(msgDeviceNotFound)
		}
		if err := tx.DeleteItem(ctx, kindDevice, it.ID, it.Version); err != nil {
			return fmt.Errorf("delete device: %w", err)
		}
		if err := deleteKindIfThere(ctx, tx, kindDeviceSignIn, it.ID); err != nil {
			return err
		}
		return deleteAllIndexed(ctx, tx, kindTokenFamily, familiesOfDevicePrefix(pool, key))
	})
}

// ForgetDevice forgets one of the caller's devices.
func (s *Service) ForgetDevice(ctx context.Context, c cognito.Caller, in *idp.ForgetDeviceRequest) (*cognito.Empty, error) {
	g, err := s.accessUser(ctx, c, in.AccessToken)
	if err != nil {
		return nil, err
	}
	if err := s.forgetDevice(ctx, g.PoolID, g.Sub, cognito.Deref(in.DeviceKey)); err != nil {
		return nil, err
	}
	return &cognito.Empty{}, nil
}

// AdminForgetDevice forgets one of a user's devices, as an administrator.
func (s *Service) AdminForgetDevice(ctx context.Context, c cognito.Caller, in *idp.AdminForgetDeviceRequest) (*cognito.Empty, error) {
	pool, sub, err := s.adminUser(ctx, c, cognito.Deref(in.UserPoolId), cognito.Deref(in.Username))
	if err != nil {
		return nil, err
	}
	if err := s.forgetDevice(ctx, pool.ID, sub, cognito.Deref(in.DeviceKey)); err != nil {
		return nil, err
	}
	return &cognito.Empty{}, nil
}

// DeviceItemKind is the kind of remembered devices, whose records keep a
// sealed SRP verifier, for the re-seal pass of a key rotation
// (internal/cluster).
const DeviceItemKind = kindDevice

// ResealDeviceVerifier re-seals a device's stored verifier that opened
// with a previous key with the current one: the re-sealer of device
// items. Every other field of the record is kept as stored.
func (s *Service) ResealDeviceVerifier(it *storage.Item) ([]byte, bool, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(it.Data, &fields); err != nil {
		return nil, false, fmt.Errorf("device %s: %w", it.ID, err)
	}
	var sealed, sub, key string
	if json.Unmarshal(fields["verifier"], &sealed) != nil || json.Unmarshal(fields["sub"], &sub) != nil ||
		json.Unmarshal(fields["key"], &key) != nil || sealed == "" {
		return nil, false, fmt.Errorf("device %s: no verifier", it.ID)
	}
	next, changed, err := s.verifiers.ResealDevice(it.Pool, sub, key, sealed)
	if err != nil || !changed {
		return nil, false, err
	}
	if fields["verifier"], err = json.Marshal(next); err != nil {
		return nil, false, err
	}
	data, err := json.Marshal(fields)
	return data, err == nil, err
}
