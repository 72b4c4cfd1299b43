package userpool

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/storage"
)

// allClients is the ClientId of a pool's default UI customization, which
// applies to every app client without one of its own.
const allClients = "ALL"

// uiCustomizationRecord is a stored classic hosted-UI customization (item
// kind "ui_customization", ID = "<pool>/<client ID or ALL>", Pool = the
// pool ID). The hosted UI's classic pages draw it (internal/oidc), and its
// logo is served at a public URL returned as ImageUrl. JSON names are part
// of the stored format.
type uiCustomizationRecord struct {
	CSS        string    `json:"css,omitempty"`
	Image      []byte    `json:"image,omitempty"`
	CSSVersion string    `json:"css_version"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// uiCustomizationID is the item ID of a pool's customization for client.
func uiCustomizationID(pool, client string) string { return pool + "/" + client }

// allowedCSSClasses are the selectors the classic hosted UI lets a
// stylesheet style.
var allowedCSSClasses = []string{
	"background-customizable",
	"banner-customizable",
	"errorMessage-customizable",
	"idpButton-customizable",
	"idpButton-customizable:hover",
	"inputField-customizable",
	"inputField-customizable:focus",
	"label-customizable",
	"legalText-customizable",
	"logo-customizable",
	"submitButton-customizable",
	"submitButton-customizable:hover",
	"textDescription-customizable",
}

// forbiddenCSS are constructs a hosted-UI stylesheet may not contain:
// markup, at-rules that pull in or scope other styles, and script.
var forbiddenCSS = regexp.MustCompile(`(?i)<|@import|@supports|@page|@media|javascript:|expression\s*\(`)

var cssComment = regexp.MustCompile(`(?s)/\*.*?\*/`)

// checkCSS checks a hosted-UI stylesheet: every rule must select only the
// customizable classes, and no value may carry markup, at-rules or script.
func checkCSS(css string) error {
	css = cssComment.ReplaceAllString(css, "")
	if forbiddenCSS.MatchString(css) {
		return cognito.InvalidParameterException("The CSS cannot contain HTML, @import, @supports, @page, @media statements or JavaScript.")
	}
	for _, chunk := range strings.Split(css, "}") {
		head, _, found := strings.Cut(chunk, "{")
		if !found {
			if strings.TrimSpace(chunk) != "" {
				return cognito.InvalidParameterException("The CSS is not valid.")
			}
			continue
		}
		for _, sel := range strings.Split(head, ",") {
			sel = strings.TrimSpace(sel)
			class, dotted := strings.CutPrefix(sel, ".")
			if !dotted || !slices.Contains(allowedCSSClasses, class) {
				return cognito.InvalidParameterException(fmt.Sprintf("The CSS class %s is not in the list of allowed classes.", class))
			}
		}
	}
	return nil
}

// checkLogo checks the logo: a PNG or JPEG image.
func checkLogo(img []byte) error {
	if logoType(img) == "" {
		return cognito.InvalidParameterException("The image file must be a PNG or JPEG image.")
	}
	return nil
}

// logoType is the media type of a logo, by its first bytes: image/png,
// image/jpeg, or "" for neither.
func logoType(img []byte) string {
	switch {
	case bytes.HasPrefix(img, []byte("\x89PNG\r\n\x1a\n")):
		return "image/png"
	case bytes.HasPrefix(img, []byte{0xff, 0xd8, 0xff}):
		return "image/jpeg"
	}
	return ""
}

// logoFile is the file name a logo of media type typ is served as.
func logoFile(typ string) string {
	if typ == "image/jpeg" {
		return "logo.jpg"
	}
	return "logo.png"
}

// logoDigest names a logo's content in its URL: the first 16 bytes of its
// SHA-256, in hex.
func logoDigest(img []byte) string {
	sum := sha256.Sum256(img)
	return hex.EncodeToString(sum[:16])
}

// UICustomizationImageURL is the path, under Options.AssetBaseURL, at
// which the logo img of a pool's customization for client (ALL for the
// pool's default) is served:
// /<pool>/ui-customization/<client>/<digest>/logo.png (or logo.jpg), where
// digest names the logo's content. A URL names one logo for good, so it
// may be cached without limit, as Cognito's CloudFront URL of the logo is.
func UICustomizationImageURL(pool, client string, img []byte) string {
	return "/" + pool + "/ui-customization/" + client + "/" + logoDigest(img) + "/" + logoFile(logoType(img))
}

// decodeUICustomization decodes a UI customization item.
func decodeUICustomization(it *storage.Item) (*uiCustomizationRecord, error) {
	var u uiCustomizationRecord
	if err := json.Unmarshal(it.Data, &u); err != nil {
		return nil, cognito.Internal(fmt.Errorf("decode UI customization %q: %w", it.ID, err))
	}
	return &u, nil
}

// wire returns the wire form of a stored customization; assetBase is
// Options.AssetBaseURL, for the logo's URL.
func (u *uiCustomizationRecord) wire(pool, client, assetBase string) *idp.UICustomizationType {
	out := &idp.UICustomizationType{
		UserPoolId:       cognito.Ptr(pool),
		ClientId:         cognito.Ptr(client),
		CSSVersion:       cognito.Ptr(u.CSSVersion),
		CreationDate:     &cognito.Timestamp{Time: u.CreatedAt},
		LastModifiedDate: &cognito.Timestamp{Time: u.UpdatedAt},
	}
	if u.CSS != "" {
		out.CSS = cognito.Ptr(u.CSS)
	}
	if logoType(u.Image) != "" && assetBase != "" {
		out.ImageUrl = cognito.Ptr(assetBase + UICustomizationImageURL(pool, client, u.Image))
	}
	return out
}

// deleteUICustomization deletes the customization of a client, if any.
func deleteUICustomization(ctx context.Context, tx storage.Tx, pool, client string) error {
	it, err := tx.GetItem(ctx, kindUICustomize, uiCustomizationID(pool, client))
	if errors.Is(err, storage.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("get UI customization: %w", err)
	}
	if err := tx.DeleteItem(ctx, kindUICustomize, it.ID, it.Version); err != nil {
		return fmt.Errorf("delete UI customization: %w", err)
	}
	return nil
}

// uiClientID returns the ClientId a UI customization request addresses:
// the pool default when it names none.
func uiClientID(id *string) string {
	if id == nil || *id == "" {
		return allClients
	}
	return *id
}

// SetUICustomization stores the classic hosted-UI CSS and logo of a pool
// (ClientId ALL or left out) or of one app client. CSS and logo are set
// together: what the request leaves out is removed. The pool needs a
// domain, as on Cognito.
func (s *Service) SetUICustomization(ctx context.Context, c cognito.Caller, in *idp.SetUICustomizationRequest) (*idp.SetUICustomizationResponse, error) {
	poolID, client := cognito.Deref(in.UserPoolId), uiClientID(in.ClientId)
	if in.CSS != nil {
		if err := checkCSS(*in.CSS); err != nil {
			return nil, err
		}
	}
	if len(in.ImageFile) > 0 {
		if err := checkLogo(in.ImageFile); err != nil {
			return nil, err
		}
	}
	var out *uiCustomizationRecord
	err := s.runTx(ctx, func(tx storage.Tx) error {
		if _, _, err := loadPoolFrom(ctx, tx, c, poolID); err != nil {
			return err
		}
		prefix, custom, err := poolDomainsFrom(ctx, tx, poolID)
		if err != nil {
			return err
		}
		if prefix == "" && custom == "" {
			return cognito.InvalidParameterException("A domain must be associated with this user pool.")
		}
		if client != allClients {
			if _, _, err := s.poolClient(ctx, tx, c, poolID, client); err != nil {
				return err
			}
		}
		now := s.now()
		rec := &uiCustomizationRecord{
			CSS: cognito.Deref(in.CSS), Image: bytes.Clone(in.ImageFile),
			CSSVersion: strconv.FormatInt(now.UnixMilli(), 10), CreatedAt: now, UpdatedAt: now,
		}
		id := uiCustomizationID(poolID, client)
		old, err := tx.GetItem(ctx, kindUICustomize, id)
		switch {
		case errors.Is(err, storage.ErrNotFound):
			old = nil
		case err != nil:
			return fmt.Errorf("get UI customization: %w", err)
		default:
			prev, err := decodeUICustomization(old)
			if err != nil {
				return err
			}
			rec.CreatedAt = prev.CreatedAt
		}
		data, err := json.Marshal(rec)
		if err != nil {
			return fmt.Errorf("encode UI customization: %w", err)
		}
		it := &storage.Item{Kind: kindUICustomize, ID: id, Pool: poolID, Data: data, CreatedAt: rec.CreatedAt, UpdatedAt: now}
		if old == nil {
			err = tx.CreateItem(ctx, it)
		} else {
			it.Version = old.Version
			err = tx.UpdateItem(ctx, it)
		}
		if err != nil {
			return fmt.Errorf("store UI customization: %w", err)
		}
		out = rec
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &idp.SetUICustomizationResponse{UICustomization: out.wire(poolID, client, s.assetBase)}, nil
}

// GetUICustomization returns the UI customization that applies to an app
// client: its own, or else the pool default (ClientId ALL). With neither,
// it returns only the pool and client IDs.
func (s *Service) GetUICustomization(ctx context.Context, c cognito.Caller, in *idp.GetUICustomizationRequest) (*idp.GetUICustomizationResponse, error) {
	poolID, client := cognito.Deref(in.UserPoolId), uiClientID(in.ClientId)
	if _, _, err := s.loadPool(ctx, c, poolID); err != nil {
		return nil, err
	}
	if client != allClients {
		if _, _, err := s.poolClient(ctx, s.store, c, poolID, client); err != nil {
			return nil, err
		}
	}
	for _, id := range []string{client, allClients} {
		it, err := s.store.GetItem(ctx, kindUICustomize, uiCustomizationID(poolID, id))
		if errors.Is(err, storage.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, cognito.Internal(fmt.Errorf("get UI customization: %w", err))
		}
		rec, err := decodeUICustomization(it)
		if err != nil {
			return nil, err
		}
		return &idp.GetUICustomizationResponse{UICustomization: rec.wire(poolID, id, s.assetBase)}, nil
	}
	return &idp.GetUICustomizationResponse{UICustomization: &idp.UICustomizationType{
		UserPoolId: cognito.Ptr(poolID), ClientId: cognito.Ptr(client),
	}}, nil
}

// UICustomizationLogo returns the logo SetUICustomization stored for the
// pool (client "" or ALL) or for one app client itself, without falling
// back to the pool's: nil when that customization has none. The admin
// console shows it and keeps it when only the CSS changes, since
// SetUICustomization replaces both.
func (s *Service) UICustomizationLogo(ctx context.Context, c cognito.Caller, poolID, client string) ([]byte, error) {
	if _, _, err := s.loadPool(ctx, c, poolID); err != nil {
		return nil, err
	}
	it, err := s.store.GetItem(ctx, kindUICustomize, uiCustomizationID(poolID, uiClientID(&client)))
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, cognito.Internal(fmt.Errorf("get UI customization: %w", err))
	}
	rec, err := decodeUICustomization(it)
	if err != nil {
		return nil, err
	}
	return rec.Image, nil
}

// UICustomizationImage returns the logo served at UICustomizationImageURL
// and its media type: the logo of the customization of pool for client
// (ALL for the pool's default), when its content has digest and it is
// served as file. Anything else is ResourceNotFoundException: the URL of
// a replaced or removed logo serves nothing. The URL is public, as
// Cognito's is; the pool's region is the one its ID names.
func (s *Service) UICustomizationImage(ctx context.Context, poolID, client, digest, file string) ([]byte, string, error) {
	notFound := cognito.ResourceNotFoundException("The image does not exist.")
	region := cognito.RegionOfPoolID(poolID)
	if region == "" || client == "" || digest == "" {
		return nil, "", notFound
	}
	if _, _, err := s.loadPool(ctx, cognito.Caller{Region: region}, poolID); err != nil {
		return nil, "", err
	}
	it, err := s.store.GetItem(ctx, kindUICustomize, uiCustomizationID(poolID, client))
	if errors.Is(err, storage.ErrNotFound) {
		return nil, "", notFound
	}
	if err != nil {
		return nil, "", cognito.Internal(fmt.Errorf("get UI customization: %w", err))
	}
	rec, err := decodeUICustomization(it)
	if err != nil {
		return nil, "", err
	}
	typ := logoType(rec.Image)
	if typ == "" || logoFile(typ) != file || logoDigest(rec.Image) != digest {
		return nil, "", notFound
	}
	return rec.Image, typ, nil
}
