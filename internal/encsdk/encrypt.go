package encsdk

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha512"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
)

// The constants of the message format and of suite 0x0578
// (AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384), from the AWS Encryption
// SDK specification (data-format/, framework/algorithm-suites.md).
const (
	formatVersion   = 0x02
	suiteID         = 0x0578
	messageIDLen    = 32
	dataKeyLen      = 32
	commitKeyLen    = 32
	ivLen           = 12
	tagLen          = 16
	contentFramed   = 0x02
	finalFrameMark  = 0xFFFFFFFF
	frameAADContent = "AWSKMSEncryptionClient Frame"
	finalAADContent = "AWSKMSEncryptionClient Final Frame"

	// PublicKeyContextKey is the encryption context key under which a
	// signing suite stores the verification key; a caller may not use it.
	PublicKeyContextKey = "aws-crypto-public-key"
	// FrameLength is the length of a regular frame's content, the SDKs'
	// default.
	FrameLength = 4096
)

// EncryptedDataKey is a data key encrypted by a key provider, as the header
// carries it: for AWS KMS, ProviderID "aws-kms", ProviderInfo the KMS key's
// ARN and Ciphertext KMS's ciphertext blob.
type EncryptedDataKey struct {
	ProviderID   string
	ProviderInfo []byte
	Ciphertext   []byte
}

// DataKey is a fresh data key: its plaintext (32 bytes) and the same key
// encrypted under the master key.
type DataKey struct {
	Plaintext []byte
	Encrypted EncryptedDataKey
}

// DataKeyGenerator makes the data key of one message under a master key
// (AWS KMS: GenerateDataKey). encryptionContext is the message's whole
// context, the verification key included, which a KMS keyring binds the
// data key to and asks again when it decrypts.
type DataKeyGenerator interface {
	GenerateDataKey(ctx context.Context, encryptionContext map[string]string, size int) (DataKey, error)
}

// ErrEncryptionContext is a caller's encryption context the format cannot
// carry: a reserved key, or a key or value longer than 65,535 bytes.
var ErrEncryptionContext = errors.New("encsdk: invalid encryption context")

// Encrypt returns plaintext as one message of the AWS Encryption SDK's
// format, version 2, with suite 0x0578, under a data key from gen, bound to
// encryptionContext (which the message carries in the clear, with the
// verification key added). A decrypting SDK with a keyring that can
// decrypt the data key, and the default commitment policy, returns
// plaintext and the context.
//
// gen's error is returned as it is (wrapped), so that the caller can tell a
// master key that refused from a malformed context.
func Encrypt(ctx context.Context, gen DataKeyGenerator, encryptionContext map[string]string, plaintext []byte) ([]byte, error) {
	if _, ok := encryptionContext[PublicKeyContextKey]; ok {
		return nil, fmt.Errorf("%w: %s is reserved", ErrEncryptionContext, PublicKeyContextKey)
	}
	signer, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("encsdk: signing key: %w", err)
	}
	// The verification key travels as the base64 of its compressed point,
	// as every implementation writes and reads it.
	ec := make(map[string]string, len(encryptionContext)+1)
	for k, v := range encryptionContext {
		ec[k] = v
	}
	ec[PublicKeyContextKey] = base64.StdEncoding.EncodeToString(elliptic.MarshalCompressed(elliptic.P384(), signer.X, signer.Y))
	aad, err := serializeContext(ec)
	if err != nil {
		return nil, err
	}

	dk, err := gen.GenerateDataKey(ctx, ec, dataKeyLen)
	if err != nil {
		return nil, fmt.Errorf("encsdk: generate data key: %w", err)
	}
	defer clear(dk.Plaintext)
	if len(dk.Plaintext) != dataKeyLen {
		return nil, fmt.Errorf("encsdk: data key of %d bytes, want %d", len(dk.Plaintext), dataKeyLen)
	}
	edk := dk.Encrypted
	if len(edk.ProviderID) > math.MaxUint16 || len(edk.ProviderInfo) > math.MaxUint16 || len(edk.Ciphertext) > math.MaxUint16 {
		return nil, errors.New("encsdk: encrypted data key too large for the header")
	}

	messageID := make([]byte, messageIDLen)
	if _, err := rand.Read(messageID); err != nil {
		return nil, fmt.Errorf("encsdk: message ID: %w", err)
	}
	// One extract, two expands: the encryption key (info: the suite ID and
	// "DERIVEKEY") and the commitment to the data key (info: "COMMITKEY"),
	// both salted with the message ID.
	prk, err := hkdf.Extract(sha512.New, dk.Plaintext, messageID)
	if err != nil {
		return nil, fmt.Errorf("encsdk: hkdf: %w", err)
	}
	defer clear(prk)
	encKey, err := hkdf.Expand(sha512.New, prk, string(binary.BigEndian.AppendUint16(nil, suiteID))+"DERIVEKEY", dataKeyLen)
	if err != nil {
		return nil, fmt.Errorf("encsdk: hkdf: %w", err)
	}
	defer clear(encKey)
	commitKey, err := hkdf.Expand(sha512.New, prk, "COMMITKEY", commitKeyLen)
	if err != nil {
		return nil, fmt.Errorf("encsdk: hkdf: %w", err)
	}
	block, err := aes.NewCipher(encKey)
	if err != nil {
		return nil, fmt.Errorf("encsdk: %w", err)
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("encsdk: %w", err)
	}

	// The header body.
	var msg bytes.Buffer
	msg.WriteByte(formatVersion)
	msg.Write(binary.BigEndian.AppendUint16(nil, suiteID))
	msg.Write(messageID)
	msg.Write(binary.BigEndian.AppendUint16(nil, uint16(len(aad))))
	msg.Write(aad)
	msg.Write(binary.BigEndian.AppendUint16(nil, 1))
	writeField(&msg, []byte(edk.ProviderID))
	writeField(&msg, edk.ProviderInfo)
	writeField(&msg, edk.Ciphertext)
	msg.WriteByte(contentFramed)
	msg.Write(binary.BigEndian.AppendUint32(nil, FrameLength))
	msg.Write(commitKey)
	// The header authentication: the tag of an empty plaintext under a
	// zero IV, with the header body as AAD (no context is kept out of the
	// message, so nothing is appended to it).
	msg.Write(gcm.Seal(nil, make([]byte, ivLen), nil, msg.Bytes()))

	// The body: regular frames while more than a frame's worth is left, then
	// the final frame (perhaps empty). The IV of a frame is its sequence
	// number, padded to 12 bytes.
	seq := uint32(1)
	rest := plaintext
	for len(rest) > FrameLength {
		writeFrame(&msg, gcm, messageID, seq, rest[:FrameLength], false)
		rest = rest[FrameLength:]
		seq++
		if seq == finalFrameMark {
			return nil, errors.New("encsdk: plaintext too long")
		}
	}
	writeFrame(&msg, gcm, messageID, seq, rest, true)

	// The footer: an ECDSA P-384 signature over SHA-384 of header and body,
	// DER-encoded.
	digest := sha512.Sum384(msg.Bytes())
	sig, err := ecdsa.SignASN1(rand.Reader, signer, digest[:])
	if err != nil {
		return nil, fmt.Errorf("encsdk: sign: %w", err)
	}
	msg.Write(binary.BigEndian.AppendUint16(nil, uint16(len(sig))))
	msg.Write(sig)
	return msg.Bytes(), nil
}

// writeFrame appends one frame: a regular one (sequence number, IV,
// content, tag) or the final one (the end mark, sequence number, IV,
// content length, content, tag).
func writeFrame(msg *bytes.Buffer, gcm cipher.AEAD, messageID []byte, seq uint32, content []byte, final bool) {
	iv := make([]byte, ivLen)
	binary.BigEndian.PutUint32(iv[ivLen-4:], seq)
	label := frameAADContent
	if final {
		label = finalAADContent
	}
	aad := make([]byte, 0, len(messageID)+len(label)+12)
	aad = append(aad, messageID...)
	aad = append(aad, label...)
	aad = binary.BigEndian.AppendUint32(aad, seq)
	aad = binary.BigEndian.AppendUint64(aad, uint64(len(content)))
	sealed := gcm.Seal(nil, iv, content, aad)
	if final {
		msg.Write(binary.BigEndian.AppendUint32(nil, finalFrameMark))
	}
	msg.Write(binary.BigEndian.AppendUint32(nil, seq))
	msg.Write(iv)
	if final {
		msg.Write(binary.BigEndian.AppendUint32(nil, uint32(len(content))))
	}
	msg.Write(sealed)
}

// writeField appends b with its 2-byte length.
func writeField(msg *bytes.Buffer, b []byte) {
	msg.Write(binary.BigEndian.AppendUint16(nil, uint16(len(b))))
	msg.Write(b)
}

// serializeContext is the encryption context as the header's AAD holds it:
// the pair count, then each key and value with its 2-byte length, sorted by
// the keys' UTF-8 bytes. An empty context is no bytes at all.
func serializeContext(ec map[string]string) ([]byte, error) {
	if len(ec) == 0 {
		return nil, nil
	}
	if len(ec) > math.MaxUint16 {
		return nil, fmt.Errorf("%w: %d pairs", ErrEncryptionContext, len(ec))
	}
	keys := make([]string, 0, len(ec))
	for k := range ec {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b bytes.Buffer
	b.Write(binary.BigEndian.AppendUint16(nil, uint16(len(ec))))
	for _, k := range keys {
		v := ec[k]
		if len(k) > math.MaxUint16 || len(v) > math.MaxUint16 {
			return nil, fmt.Errorf("%w: key or value of %q longer than 65535 bytes", ErrEncryptionContext, k)
		}
		writeField(&b, []byte(k))
		writeField(&b, []byte(v))
	}
	if b.Len() > math.MaxUint16 {
		return nil, fmt.Errorf("%w: %d bytes", ErrEncryptionContext, b.Len())
	}
	return b.Bytes(), nil
}
