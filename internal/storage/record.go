package storage

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// userPoolState is the change-log encoding of a UserPool, without Config,
// which EncodeUserPool splices in verbatim as the last member.
type userPoolState struct {
	ID        string    `json:"id"`
	Region    string    `json:"region"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	Version   int64     `json:"version"`
}

// userPoolStateIn is userPoolState with Config, for decoding.
type userPoolStateIn struct {
	userPoolState
	Config json.RawMessage `json:"config"`
}

// EncodeUserPool returns the change-log state of p: a JSON object with the
// members id, region, name, created_at, updated_at (RFC 3339, UTC), version
// and config. Config is embedded as raw JSON byte for byte (encoding/json
// would compact and re-escape it), so DecodeUserPool returns the caller's
// exact bytes (JSON whitespace around the value is not part of it, so
// leading or trailing whitespace in Config does not survive). An empty
// Config is encoded as null. Every backend encodes
// Change.State with this function so replication reads one format.
func EncodeUserPool(p *UserPool) ([]byte, error) {
	if p == nil {
		return nil, errors.New("storage: encode nil user pool")
	}
	head, err := json.Marshal(userPoolState{
		ID:        p.ID,
		Region:    p.Region,
		Name:      p.Name,
		CreatedAt: p.CreatedAt.UTC(),
		UpdatedAt: p.UpdatedAt.UTC(),
		Version:   p.Version,
	})
	if err != nil {
		return nil, fmt.Errorf("encode user pool %q: %w", p.ID, err)
	}
	config := p.Config
	if len(config) == 0 {
		config = []byte("null")
	} else if !json.Valid(config) {
		return nil, fmt.Errorf("encode user pool %q: config is not valid JSON", p.ID)
	}
	// head is `{...}`; replace its closing brace with `,"config":<raw>}`.
	var b bytes.Buffer
	b.Grow(len(head) + len(config) + len(`,"config":`))
	b.Write(head[:len(head)-1])
	b.WriteString(`,"config":`)
	b.Write(config)
	b.WriteByte('}')
	return b.Bytes(), nil
}

// DecodeUserPool parses a state written by EncodeUserPool. A null config
// decodes to a nil Config.
func DecodeUserPool(state []byte) (*UserPool, error) {
	var in userPoolStateIn
	if err := json.Unmarshal(state, &in); err != nil {
		return nil, fmt.Errorf("decode user pool: %w", err)
	}
	p := &UserPool{
		ID:        in.ID,
		Region:    in.Region,
		Name:      in.Name,
		CreatedAt: in.CreatedAt.UTC(),
		UpdatedAt: in.UpdatedAt.UTC(),
		Version:   in.Version,
	}
	if len(in.Config) > 0 && string(in.Config) != "null" {
		p.Config = []byte(in.Config)
	}
	return p, nil
}

// itemState is the change-log encoding of an Item, without Data, which
// EncodeItem splices in verbatim as the last member.
type itemState struct {
	Kind      string    `json:"kind"`
	ID        string    `json:"id"`
	Pool      string    `json:"pool"`
	Keys      []string  `json:"keys"`
	Index     []string  `json:"index"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	Version   int64     `json:"version"`
}

// itemStateIn is itemState with Data, for decoding.
type itemStateIn struct {
	itemState
	Data json.RawMessage `json:"data"`
}

// EncodeItem returns the change-log state of it: a JSON object with the
// members kind, id, pool, keys, index (arrays, [] when empty), created_at,
// updated_at (RFC 3339, UTC), version and data. Data is embedded as raw JSON
// byte for byte, as EncodeUserPool embeds a pool's Config, and an empty Data
// is encoded as null. Every backend encodes the Change.State of an item with
// this function.
func EncodeItem(it *Item) ([]byte, error) {
	if it == nil {
		return nil, errors.New("storage: encode nil item")
	}
	keys, index := it.Keys, it.Index
	if keys == nil {
		keys = []string{}
	}
	if index == nil {
		index = []string{}
	}
	head, err := json.Marshal(itemState{
		Kind:      it.Kind,
		ID:        it.ID,
		Pool:      it.Pool,
		Keys:      keys,
		Index:     index,
		CreatedAt: it.CreatedAt.UTC(),
		UpdatedAt: it.UpdatedAt.UTC(),
		Version:   it.Version,
	})
	if err != nil {
		return nil, fmt.Errorf("encode %s %q: %w", it.Kind, it.ID, err)
	}
	data := it.Data
	if len(data) == 0 {
		data = []byte("null")
	} else if !json.Valid(data) {
		return nil, fmt.Errorf("encode %s %q: data is not valid JSON", it.Kind, it.ID)
	}
	// head is `{...}`; replace its closing brace with `,"data":<raw>}`.
	var b bytes.Buffer
	b.Grow(len(head) + len(data) + len(`,"data":`))
	b.Write(head[:len(head)-1])
	b.WriteString(`,"data":`)
	b.Write(data)
	b.WriteByte('}')
	return b.Bytes(), nil
}

// DecodeItem parses a state written by EncodeItem. A null data decodes to a
// nil Data, and empty keys or index to nil slices.
func DecodeItem(state []byte) (*Item, error) {
	var in itemStateIn
	if err := json.Unmarshal(state, &in); err != nil {
		return nil, fmt.Errorf("decode item: %w", err)
	}
	it := &Item{
		Kind:      in.Kind,
		ID:        in.ID,
		Pool:      in.Pool,
		CreatedAt: in.CreatedAt.UTC(),
		UpdatedAt: in.UpdatedAt.UTC(),
		Version:   in.Version,
	}
	if len(in.Keys) > 0 {
		it.Keys = in.Keys
	}
	if len(in.Index) > 0 {
		it.Index = in.Index
	}
	if len(in.Data) > 0 && string(in.Data) != "null" {
		it.Data = []byte(in.Data)
	}
	return it, nil
}
