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
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// fixedKey is a generator that hands out one data key and remembers the
// encryption context it was asked for.
type fixedKey struct {
	key []byte
	ec  map[string]string
	err error
}

func (f *fixedKey) GenerateDataKey(_ context.Context, ec map[string]string, size int) (DataKey, error) {
	if f.err != nil {
		return DataKey{}, f.err
	}
	f.ec = ec
	return DataKey{Plaintext: bytes.Clone(f.key[:size]), Encrypted: EncryptedDataKey{
		ProviderID: "aws-kms", ProviderInfo: []byte("arn:aws:kms:us-east-1:111122223333:key/k"), Ciphertext: []byte("wrapped"),
	}}, nil
}

// reader walks a message as the specification lays it out; the tests read
// back what Encrypt wrote with it (the end-to-end tests decrypt with the
// AWS Encryption SDK for JavaScript).
type reader struct {
	t *testing.T
	b []byte
}

func (r *reader) take(n int) []byte {
	r.t.Helper()
	if len(r.b) < n {
		r.t.Fatalf("message ends %d bytes early", n-len(r.b))
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}
func (r *reader) u16() int    { return int(binary.BigEndian.Uint16(r.take(2))) }
func (r *reader) u32() uint32 { return binary.BigEndian.Uint32(r.take(4)) }
func (r *reader) field() []byte {
	return r.take(r.u16())
}

// TestEncryptReadsBack checks each field of a message of more than one
// frame: the header, its tag, the commitment, each frame decrypted with
// the derived key and its body AAD, and the signature with the key the
// context carries.
func TestEncryptReadsBack(t *testing.T) {
	key := make([]byte, 32)
	rand.Read(key)
	gen := &fixedKey{key: key}
	plaintext := bytes.Repeat([]byte("0123456789"), FrameLength/10*2+7) // two regular frames and a final one
	msg, err := Encrypt(context.Background(), gen, map[string]string{"userpool-id": "us-east-1_abc"}, plaintext)
	if err != nil {
		t.Fatal(err)
	}
	r := &reader{t: t, b: msg}
	if v := r.take(1)[0]; v != 2 {
		t.Fatalf("version %d", v)
	}
	if s := r.u16(); s != 0x0578 {
		t.Fatalf("suite %#x", s)
	}
	messageID := r.take(32)
	aad := r.field()
	ar := &reader{t: t, b: aad}
	ec := map[string]string{}
	var keys []string
	for n := ar.u16(); n > 0; n-- {
		k := string(ar.field())
		ec[k] = string(ar.field())
		keys = append(keys, k)
	}
	if !cmp.Equal(keys, []string{PublicKeyContextKey, "userpool-id"}) || ec["userpool-id"] != "us-east-1_abc" {
		t.Errorf("context %v in order %v", ec, keys)
	}
	if !cmp.Equal(gen.ec, ec) {
		t.Errorf("data key asked for context %v, message carries %v", gen.ec, ec)
	}
	if n := r.u16(); n != 1 {
		t.Fatalf("%d data keys", n)
	}
	if id, info, ct := string(r.field()), string(r.field()), string(r.field()); id != "aws-kms" || !strings.HasPrefix(info, "arn:aws:kms:") || ct != "wrapped" {
		t.Errorf("data key %q %q %q", id, info, ct)
	}
	if ct := r.take(1)[0]; ct != 2 {
		t.Errorf("content type %d", ct)
	}
	if fl := r.u32(); fl != FrameLength {
		t.Errorf("frame length %d", fl)
	}
	commit := r.take(32)
	headerBody := msg[:len(msg)-len(r.b)]
	headerTag := r.take(16)

	prk, _ := hkdf.Extract(sha512.New, key, messageID)
	encKey, _ := hkdf.Expand(sha512.New, prk, "\x05\x78DERIVEKEY", 32)
	wantCommit, _ := hkdf.Expand(sha512.New, prk, "COMMITKEY", 32)
	if !bytes.Equal(commit, wantCommit) {
		t.Error("commitment is not HKDF-SHA512(data key, message ID, COMMITKEY)")
	}
	block, _ := aes.NewCipher(encKey)
	gcm, _ := cipher.NewGCM(block)
	if _, err := gcm.Open(nil, make([]byte, 12), headerTag, headerBody); err != nil {
		t.Errorf("header tag: %v", err)
	}

	var got []byte
	for seq := uint32(1); ; seq++ {
		final := false
		n := r.u32()
		if n == 0xFFFFFFFF {
			final = true
			n = r.u32()
		}
		if n != seq {
			t.Fatalf("sequence number %d, want %d", n, seq)
		}
		iv := r.take(12)
		if binary.BigEndian.Uint32(iv[8:]) != seq || !bytes.Equal(iv[:8], make([]byte, 8)) {
			t.Errorf("frame %d IV %x", seq, iv)
		}
		size := FrameLength
		label := "AWSKMSEncryptionClient Frame"
		if final {
			size = int(r.u32())
			label = "AWSKMSEncryptionClient Final Frame"
		}
		sealed := r.take(size + 16)
		bodyAAD := append(append(bytes.Clone(messageID), label...), binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint32(nil, seq), uint64(size))...)
		pt, err := gcm.Open(nil, iv, sealed, bodyAAD)
		if err != nil {
			t.Fatalf("frame %d: %v", seq, err)
		}
		got = append(got, pt...)
		if final {
			break
		}
	}
	if !bytes.Equal(got, plaintext) {
		t.Error("frames do not decrypt to the plaintext")
	}

	signed := msg[:len(msg)-len(r.b)]
	sig := r.field()
	if len(r.b) != 0 {
		t.Errorf("%d bytes after the footer", len(r.b))
	}
	point, err := base64.StdEncoding.DecodeString(ec[PublicKeyContextKey])
	if err != nil || len(point) != 49 {
		t.Fatalf("verification key %q is not a compressed P-384 point", ec[PublicKeyContextKey])
	}
	x, y := elliptic.UnmarshalCompressed(elliptic.P384(), point)
	digest := sha512.Sum384(signed)
	if x == nil || !ecdsa.VerifyASN1(&ecdsa.PublicKey{Curve: elliptic.P384(), X: x, Y: y}, digest[:], sig) {
		t.Error("signature does not verify with the context's key")
	}
}

// TestEncryptRefuses: a context that uses the reserved key, and a
// generator that fails, give no message.
func TestEncryptRefuses(t *testing.T) {
	key := make([]byte, 32)
	if _, err := Encrypt(context.Background(), &fixedKey{key: key}, map[string]string{PublicKeyContextKey: "x"}, []byte("1")); !errors.Is(err, ErrEncryptionContext) {
		t.Errorf("reserved key: %v, want ErrEncryptionContext", err)
	}
	refused := errors.New("key disabled")
	if _, err := Encrypt(context.Background(), &fixedKey{err: refused}, nil, []byte("1")); !errors.Is(err, refused) {
		t.Errorf("generator error: %v, want it wrapped", err)
	}
}
