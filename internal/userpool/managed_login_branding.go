package userpool

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/storage"
)

// Managed login branding (CreateManagedLoginBranding and its siblings) is
// the style of the managed login pages (ManagedLoginVersion 2) of one app
// client: a Settings document of colours, layout and switches for light
// and dark mode, and image Assets. A client has at most one style.

// kindBranding is the item kind of a managed login branding style: ID = the
// style's ID (a UUID), Pool = the pool ID, and the unique key
// brandingClientKey, so that a client has one style at most.
const kindBranding = "managed_login_branding"

// brandingClientKey is the unique key of the style of a client.
func brandingClientKey(pool, client string) string { return pool + "/client/" + client }

// brandingRecord is a stored managed login branding style. JSON names are
// part of the stored format.
type brandingRecord struct {
	ClientID string `json:"client_id"`
	// UseCognitoProvidedValues is set when the style is the defaults;
	// Settings and Assets are then empty.
	UseCognitoProvidedValues bool `json:"use_cognito_provided_values"`
	// Settings is the customized part of the settings document: a JSON
	// object, merged over defaultBrandingSettings when the pages render it
	// or ReturnMergedResources asks for it.
	Settings  json.RawMessage `json:"settings,omitempty"`
	Assets    []brandingAsset `json:"assets,omitempty"`
	CreatedAt time.Time       `json:"created_at"`
	UpdatedAt time.Time       `json:"updated_at"`
}

// brandingAsset is one image of a style. A style has at most one per
// category and colour mode.
type brandingAsset struct {
	Category   idp.AssetCategoryType   `json:"category"`
	ColorMode  idp.ColorSchemeModeType `json:"color_mode"`
	Extension  idp.AssetExtensionType  `json:"extension"`
	Bytes      []byte                  `json:"bytes"`
	ResourceID string                  `json:"resource_id,omitempty"`
}

//go:embed managed_login_defaults.json
var defaultBrandingSettingsJSON []byte

// defaultBrandingSettings returns cognate's default settings document, the
// values a style has for every option it does not customize. It is
// decoded anew for each caller, which may change it.
func defaultBrandingSettings() map[string]any {
	m, err := decodeSettings(defaultBrandingSettingsJSON)
	if err != nil {
		panic("managed_login_defaults.json: " + err.Error())
	}
	return m
}

// decodeSettings decodes a settings document, keeping numbers as written.
func decodeSettings(raw []byte) (map[string]any, error) {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		return nil, err
	}
	if m == nil {
		m = map[string]any{}
	}
	return m, nil
}

// brandingColor is the form of every colour in a settings document: red,
// green, blue and alpha as eight hexadecimal digits.
var brandingColor = regexp.MustCompile(`^[0-9a-fA-F]{8}$`)

// isColorKey reports whether a settings member holds a colour: its name is
// "color" or ends in "Color".
func isColorKey(k string) bool { return k == "color" || strings.HasSuffix(k, "Color") }

// checkSettings checks a Settings document: a JSON object whose colours
// (members named color or …Color) are eight hexadecimal digits. The pages
// put those colours into their stylesheet, so nothing else may pass.
func checkSettings(raw json.RawMessage) (map[string]any, error) {
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, cognito.InvalidParameterException("Settings must be a JSON object.")
	}
	m, err := decodeSettings(trimmed)
	if err != nil {
		return nil, cognito.InvalidParameterException("Settings must be a JSON object.")
	}
	if err := checkColors("", m); err != nil {
		return nil, err
	}
	return m, nil
}

// checkColors checks every colour under v, whose path is path.
func checkColors(path string, v any) error {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			p := k
			if path != "" {
				p = path + "." + k
			}
			if isColorKey(k) && e != nil {
				if s, ok := e.(string); !ok || !brandingColor.MatchString(s) {
					return cognito.InvalidParameterException(fmt.Sprintf("Settings %s must be a colour of eight hexadecimal digits (RRGGBBAA).", p))
				}
				continue
			}
			if err := checkColors(p, e); err != nil {
				return err
			}
		}
	case []any:
		for i, e := range x {
			if err := checkColors(fmt.Sprintf("%s[%d]", path, i), e); err != nil {
				return err
			}
		}
	}
	return nil
}

// mergeSettings merges patch into base, changing base: objects merge
// member by member, any other value replaces the one in base, and a null
// removes the member. It returns base.
func mergeSettings(base, patch map[string]any) map[string]any {
	for k, v := range patch {
		if v == nil {
			delete(base, k)
			continue
		}
		if pm, ok := v.(map[string]any); ok {
			if bm, ok := base[k].(map[string]any); ok {
				base[k] = mergeSettings(bm, pm)
				continue
			}
			base[k] = mergeSettings(map[string]any{}, pm)
			continue
		}
		base[k] = v
	}
	return base
}

// assetExtensions are the file types each asset category takes: the two
// favicon categories one each, every other category the image types.
func assetExtensions(c idp.AssetCategoryType) []idp.AssetExtensionType {
	switch c {
	case "FAVICON_ICO":
		return []idp.AssetExtensionType{"ICO"}
	case "FAVICON_SVG":
		return []idp.AssetExtensionType{"SVG"}
	}
	return []idp.AssetExtensionType{"JPEG", "PNG", "SVG", "WEBP"}
}

// assetLooksLike reports whether b is a file of type ext, by its first bytes.
func assetLooksLike(b []byte, ext idp.AssetExtensionType) bool {
	switch ext {
	case "PNG":
		return bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n"))
	case "JPEG":
		return bytes.HasPrefix(b, []byte{0xff, 0xd8, 0xff})
	case "ICO":
		return bytes.HasPrefix(b, []byte{0, 0, 1, 0})
	case "WEBP":
		return len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP"
	case "SVG":
		head := b[:min(len(b), 4096)]
		return bytes.Contains(bytes.ToLower(head), []byte("<svg"))
	}
	return false
}

// checkAssets checks a request's Assets and returns them to store: one per
// category and colour mode, each with its bytes, of a type its category
// takes, whose content is of the type it names.
func checkAssets(in []idp.AssetType) ([]brandingAsset, error) {
	out := make([]brandingAsset, 0, len(in))
	for _, a := range in {
		cat, mode, ext := cognito.Deref(a.Category), cognito.Deref(a.ColorMode), cognito.Deref(a.Extension)
		if slices.ContainsFunc(out, func(o brandingAsset) bool { return o.Category == cat && o.ColorMode == mode }) {
			return nil, cognito.InvalidParameterException(fmt.Sprintf("Assets has more than one %s asset for color mode %s.", cat, mode))
		}
		if !slices.Contains(assetExtensions(cat), ext) {
			return nil, cognito.InvalidParameterException(fmt.Sprintf("Extension %s is not supported for asset category %s.", ext, cat))
		}
		if len(a.Bytes) == 0 {
			return nil, cognito.InvalidParameterException(fmt.Sprintf("The %s asset for color mode %s has no Bytes.", cat, mode))
		}
		if !assetLooksLike(a.Bytes, ext) {
			return nil, cognito.InvalidParameterException(fmt.Sprintf("The %s asset for color mode %s is not a valid %s file.", cat, mode, ext))
		}
		out = append(out, brandingAsset{
			Category: cat, ColorMode: mode, Extension: ext, Bytes: bytes.Clone(a.Bytes), ResourceID: cognito.Deref(a.ResourceId),
		})
	}
	return out, nil
}

// mergeAssets replaces the assets of base that patch has for the same
// category and colour mode, and adds the others.
func mergeAssets(base, patch []brandingAsset) []brandingAsset {
	out := slices.Clone(base)
	for _, p := range patch {
		i := slices.IndexFunc(out, func(o brandingAsset) bool { return o.Category == p.Category && o.ColorMode == p.ColorMode })
		if i >= 0 {
			out[i] = p
		} else {
			out = append(out, p)
		}
	}
	return out
}

// isNullDocument reports whether a Document member was left out or null.
func isNullDocument(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) == 0 || string(t) == "null"
}

// checkDefaultsOnly applies the rule that a request asking for Cognito's
// default style carries no settings or assets of its own.
func checkDefaultsOnly(useDefaults bool, settings json.RawMessage, assets []idp.AssetType) error {
	if useDefaults && (!isNullDocument(settings) || len(assets) > 0) {
		return cognito.InvalidParameterException("When UseCognitoProvidedValues is true, the request cannot have Settings or Assets.")
	}
	return nil
}

// brandingNotFound is the exception for a style that does not exist, or
// that belongs to another pool.
func brandingNotFound(id string) error {
	return cognito.ResourceNotFoundException(fmt.Sprintf("Managed login branding %s does not exist.", id))
}

// decodeBranding decodes a style item.
func decodeBranding(it *storage.Item) (*brandingRecord, error) {
	var b brandingRecord
	if err := json.Unmarshal(it.Data, &b); err != nil {
		return nil, cognito.Internal(fmt.Errorf("decode managed login branding %q: %w", it.ID, err))
	}
	return &b, nil
}

// brandingItem returns the storage item of style id of pool.
func brandingItem(pool, id string, b *brandingRecord, version int64) (*storage.Item, error) {
	data, err := json.Marshal(b)
	if err != nil {
		return nil, cognito.Internal(fmt.Errorf("encode managed login branding: %w", err))
	}
	return &storage.Item{
		Kind: kindBranding, ID: id, Pool: pool, Data: data, Keys: []string{brandingClientKey(pool, b.ClientID)},
		CreatedAt: b.CreatedAt, UpdatedAt: b.UpdatedAt, Version: version,
	}, nil
}

// settings returns the style's settings document: what it customized, or
// with merged every option, the customized values over the defaults.
func (b *brandingRecord) settings(merged bool) (map[string]any, error) {
	custom := map[string]any{}
	if len(b.Settings) > 0 {
		var err error
		if custom, err = decodeSettings(b.Settings); err != nil {
			return nil, cognito.Internal(fmt.Errorf("decode managed login branding settings: %w", err))
		}
	}
	if !merged {
		return custom, nil
	}
	return mergeSettings(defaultBrandingSettings(), custom), nil
}

// wire returns the wire form of style id of pool. Without merged it holds
// only what the style customized (no Settings at all for a style of
// Cognito's values); with merged, the whole settings document.
func (b *brandingRecord) wire(pool, id string, merged bool) (*idp.ManagedLoginBrandingType, error) {
	out := &idp.ManagedLoginBrandingType{
		ManagedLoginBrandingId:   cognito.Ptr(id),
		UserPoolId:               cognito.Ptr(pool),
		UseCognitoProvidedValues: cognito.Ptr(b.UseCognitoProvidedValues),
		Assets:                   []idp.AssetType{},
		CreationDate:             &cognito.Timestamp{Time: b.CreatedAt},
		LastModifiedDate:         &cognito.Timestamp{Time: b.UpdatedAt},
	}
	if merged || len(b.Settings) > 0 {
		s, err := b.settings(merged)
		if err != nil {
			return nil, err
		}
		if out.Settings, err = json.Marshal(s); err != nil {
			return nil, cognito.Internal(fmt.Errorf("encode managed login branding settings: %w", err))
		}
	}
	for _, a := range b.Assets {
		w := idp.AssetType{
			Category: cognito.Ptr(a.Category), ColorMode: cognito.Ptr(a.ColorMode), Extension: cognito.Ptr(a.Extension),
			Bytes: bytes.Clone(a.Bytes),
		}
		if a.ResourceID != "" {
			w.ResourceId = cognito.Ptr(a.ResourceID)
		}
		out.Assets = append(out.Assets, w)
	}
	return out, nil
}

// findBranding reads style id of pool.
func findBranding(ctx context.Context, r storage.ItemReader, pool, id string) (*storage.Item, *brandingRecord, error) {
	it, err := r.GetItem(ctx, kindBranding, id)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil, brandingNotFound(id)
	}
	if err != nil {
		return nil, nil, cognito.Internal(fmt.Errorf("get managed login branding %q: %w", id, err))
	}
	if it.Pool != pool {
		return nil, nil, brandingNotFound(id)
	}
	b, err := decodeBranding(it)
	return it, b, err
}

// clientBranding reads the style of an app client; found is false when the
// client has none.
func clientBranding(ctx context.Context, r storage.ItemReader, pool, client string) (it *storage.Item, b *brandingRecord, found bool, err error) {
	it, err = r.GetItemByKey(ctx, kindBranding, brandingClientKey(pool, client))
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil, false, nil
	}
	if err != nil {
		return nil, nil, false, cognito.Internal(fmt.Errorf("get managed login branding of client %q: %w", client, err))
	}
	b, err = decodeBranding(it)
	return it, b, err == nil, err
}

// deleteClientBranding deletes the style of a client, if any, with the
// client.
func deleteClientBranding(ctx context.Context, tx storage.Tx, pool, client string) error {
	it, _, found, err := clientBranding(ctx, tx, pool, client)
	if err != nil || !found {
		return err
	}
	if err := tx.DeleteItem(ctx, kindBranding, it.ID, it.Version); err != nil {
		return fmt.Errorf("delete managed login branding: %w", err)
	}
	return nil
}

// CreateManagedLoginBranding creates the managed login style of an app
// client: Cognito's values (UseCognitoProvidedValues, with no Settings or
// Assets), or the request's settings and assets over them. A client has
// one style; a second is ManagedLoginBrandingExistsException.
func (s *Service) CreateManagedLoginBranding(ctx context.Context, c cognito.Caller, in *idp.CreateManagedLoginBrandingRequest) (*idp.CreateManagedLoginBrandingResponse, error) {
	useDefaults := cognito.Deref(in.UseCognitoProvidedValues)
	if err := checkDefaultsOnly(useDefaults, in.Settings, in.Assets); err != nil {
		return nil, err
	}
	rec := &brandingRecord{ClientID: cognito.Deref(in.ClientId), UseCognitoProvidedValues: useDefaults}
	if !isNullDocument(in.Settings) {
		m, err := checkSettings(in.Settings)
		if err != nil {
			return nil, err
		}
		if rec.Settings, err = json.Marshal(m); err != nil {
			return nil, cognito.Internal(fmt.Errorf("encode managed login branding settings: %w", err))
		}
	}
	assets, err := checkAssets(in.Assets)
	if err != nil {
		return nil, err
	}
	rec.Assets = assets
	poolID, id := cognito.Deref(in.UserPoolId), NewUUID()
	err = s.runTx(ctx, func(tx storage.Tx) error {
		if _, _, err := loadPoolFrom(ctx, tx, c, poolID); err != nil {
			return err
		}
		if _, _, err := s.poolClient(ctx, tx, c, poolID, rec.ClientID); err != nil {
			return err
		}
		now := s.now()
		rec.CreatedAt, rec.UpdatedAt = now, now
		it, err := brandingItem(poolID, id, rec, 0)
		if err != nil {
			return err
		}
		err = tx.CreateItem(ctx, it)
		if errors.Is(err, storage.ErrAlreadyExists) {
			return cognito.ManagedLoginBrandingExistsException(fmt.Sprintf("App client %s already has a managed login branding style.", rec.ClientID))
		}
		if err != nil {
			return fmt.Errorf("create managed login branding: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out, err := rec.wire(poolID, id, false)
	if err != nil {
		return nil, err
	}
	return &idp.CreateManagedLoginBrandingResponse{ManagedLoginBranding: out}, nil
}

// DescribeManagedLoginBranding returns a style by its ID: what it
// customized, or with ReturnMergedResources every option.
func (s *Service) DescribeManagedLoginBranding(ctx context.Context, c cognito.Caller, in *idp.DescribeManagedLoginBrandingRequest) (*idp.DescribeManagedLoginBrandingResponse, error) {
	poolID, id := cognito.Deref(in.UserPoolId), cognito.Deref(in.ManagedLoginBrandingId)
	if _, _, err := s.loadPool(ctx, c, poolID); err != nil {
		return nil, err
	}
	_, rec, err := findBranding(ctx, s.store, poolID, id)
	if err != nil {
		return nil, err
	}
	out, err := rec.wire(poolID, id, cognito.Deref(in.ReturnMergedResources))
	if err != nil {
		return nil, err
	}
	return &idp.DescribeManagedLoginBrandingResponse{ManagedLoginBranding: out}, nil
}

// DescribeManagedLoginBrandingByClient returns the style of an app client.
func (s *Service) DescribeManagedLoginBrandingByClient(ctx context.Context, c cognito.Caller, in *idp.DescribeManagedLoginBrandingByClientRequest) (*idp.DescribeManagedLoginBrandingByClientResponse, error) {
	poolID, client := cognito.Deref(in.UserPoolId), cognito.Deref(in.ClientId)
	if _, _, err := s.loadPool(ctx, c, poolID); err != nil {
		return nil, err
	}
	if _, _, err := s.poolClient(ctx, s.store, c, poolID, client); err != nil {
		return nil, err
	}
	it, rec, found, err := clientBranding(ctx, s.store, poolID, client)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, cognito.ResourceNotFoundException(fmt.Sprintf("App client %s has no managed login branding style.", client))
	}
	out, err := rec.wire(poolID, it.ID, cognito.Deref(in.ReturnMergedResources))
	if err != nil {
		return nil, err
	}
	return &idp.DescribeManagedLoginBrandingByClientResponse{ManagedLoginBranding: out}, nil
}

// UpdateManagedLoginBranding changes a style. UseCognitoProvidedValues
// returns it to Cognito's values (with no Settings or Assets in the
// request). Otherwise what the request leaves out is kept: Settings merge
// member by member into the stored ones (a null removes a member, so that
// it takes the default again), and each asset replaces the style's asset
// of its category and colour mode.
func (s *Service) UpdateManagedLoginBranding(ctx context.Context, c cognito.Caller, in *idp.UpdateManagedLoginBrandingRequest) (*idp.UpdateManagedLoginBrandingResponse, error) {
	var v cognito.Violations
	if in.UserPoolId == nil {
		v.Null("userPoolId")
	}
	if in.ManagedLoginBrandingId == nil {
		v.Null("managedLoginBrandingId")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	useDefaults := cognito.Deref(in.UseCognitoProvidedValues)
	if err := checkDefaultsOnly(useDefaults, in.Settings, in.Assets); err != nil {
		return nil, err
	}
	var patch map[string]any
	if !isNullDocument(in.Settings) {
		var err error
		if patch, err = checkSettings(in.Settings); err != nil {
			return nil, err
		}
	}
	assets, err := checkAssets(in.Assets)
	if err != nil {
		return nil, err
	}
	poolID, id := cognito.Deref(in.UserPoolId), cognito.Deref(in.ManagedLoginBrandingId)
	var out *brandingRecord
	err = s.runTx(ctx, func(tx storage.Tx) error {
		if _, _, err := loadPoolFrom(ctx, tx, c, poolID); err != nil {
			return err
		}
		it, rec, err := findBranding(ctx, tx, poolID, id)
		if err != nil {
			return err
		}
		switch {
		case useDefaults:
			rec.UseCognitoProvidedValues, rec.Settings, rec.Assets = true, nil, nil
		case patch != nil || len(assets) > 0:
			rec.UseCognitoProvidedValues = false
			if patch != nil {
				cur, err := rec.settings(false)
				if err != nil {
					return err
				}
				merged := mergeSettings(cur, patch)
				rec.Settings = nil
				if len(merged) > 0 {
					if rec.Settings, err = json.Marshal(merged); err != nil {
						return cognito.Internal(fmt.Errorf("encode managed login branding settings: %w", err))
					}
				}
			}
			rec.Assets = mergeAssets(rec.Assets, assets)
		}
		rec.UpdatedAt = s.now()
		upd, err := brandingItem(poolID, id, rec, it.Version)
		if err != nil {
			return err
		}
		if err := tx.UpdateItem(ctx, upd); err != nil {
			return fmt.Errorf("update managed login branding: %w", err)
		}
		out = rec
		return nil
	})
	if err != nil {
		return nil, err
	}
	w, err := out.wire(poolID, id, false)
	if err != nil {
		return nil, err
	}
	return &idp.UpdateManagedLoginBrandingResponse{ManagedLoginBranding: w}, nil
}

// DeleteManagedLoginBranding deletes a style. The client's managed login
// pages then have no style until it gets a new one.
func (s *Service) DeleteManagedLoginBranding(ctx context.Context, c cognito.Caller, in *idp.DeleteManagedLoginBrandingRequest) (*cognito.Empty, error) {
	poolID, id := cognito.Deref(in.UserPoolId), cognito.Deref(in.ManagedLoginBrandingId)
	if err := deletePoolItem(ctx, s, c, poolID, id, kindBranding, "managed login branding", findBranding); err != nil {
		return nil, err
	}
	return &cognito.Empty{}, nil
}

// DefaultBrandingSettings returns the settings document a new managed
// login style starts from (the values every option has until a style
// changes it), for the caller to change.
func DefaultBrandingSettings() map[string]any { return defaultBrandingSettings() }
