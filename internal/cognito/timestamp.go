package cognito

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"
)

// Timestamp is a model timestamp. On the wire (the awsJson1_1 protocol) it
// is a JSON number of seconds since the Unix epoch, with a fraction for
// sub-second precision.
//
// Timestamp embeds time.Time, so a non-nil *Timestamp that holds the zero
// time reports IsZero and is left out of a field tagged omitzero.
type Timestamp struct{ time.Time }

// NewTimestamp returns a pointer to a Timestamp holding t.
func NewTimestamp(t time.Time) *Timestamp { return &Timestamp{Time: t} }

// MarshalJSON writes the epoch seconds as a plain decimal JSON number with at
// most millisecond precision and no exponent, e.g. 1732561234.123 or
// 1732561234. Sub-millisecond digits are truncated toward the past.
func (t Timestamp) MarshalJSON() ([]byte, error) {
	ms := t.UnixMilli()
	var b []byte
	// Work on the magnitude so that negative instants print as -1.5, not
	// -2.500.
	var mag uint64
	if ms < 0 {
		b = append(b, '-')
		mag = uint64(-(ms + 1)) + 1 // safe for math.MinInt64
	} else {
		mag = uint64(ms)
	}
	b = strconv.AppendUint(b, mag/1000, 10)
	if frac := mag % 1000; frac != 0 {
		s := fmt.Sprintf("%03d", frac)
		b = append(b, '.')
		b = append(b, strings.TrimRight(s, "0")...)
	}
	return b, nil
}

// maxTimestampDigits bounds how many significant digits UnmarshalJSON
// accepts, so that an absurd number cannot make it allocate without limit.
const maxTimestampDigits = 64

// UnmarshalJSON reads a JSON number of epoch seconds, integer or fractional
// (an exponent is accepted too). Anything else, including null and strings,
// is an error. Precision beyond nanoseconds is truncated toward the past.
func (t *Timestamp) UnmarshalJSON(data []byte) error {
	s := string(bytes.TrimSpace(data))
	if !isJSONNumber(s) {
		return fmt.Errorf("cognito: timestamp must be a JSON number of epoch seconds, got %.40q", s)
	}
	// Split into sign, digits and decimal exponent so the work stays
	// proportional to the input's length, whatever its exponent says.
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	mant, exp := s, 0
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		mant = s[:i]
		e, err := strconv.Atoi(strings.TrimPrefix(s[i+1:], "+"))
		if err != nil {
			return fmt.Errorf("cognito: timestamp %.40q: exponent out of range", string(data))
		}
		exp = e
	}
	intPart, fracPart, _ := strings.Cut(mant, ".")
	digits := strings.TrimLeft(intPart+fracPart, "0")
	exp -= len(fracPart)
	if digits == "" {
		t.Time = time.Unix(0, 0)
		return nil
	}
	if len(digits) > maxTimestampDigits {
		return fmt.Errorf("cognito: timestamp %.40q: too many digits", string(data))
	}
	// value = digits × 10^exp seconds. Seconds that fit in an int64 have at
	// most 19 integer digits.
	if len(digits)+exp > 19 {
		return fmt.Errorf("cognito: timestamp %.40q: out of range", string(data))
	}
	if exp < -(len(digits) + 10) {
		// Smaller than a nanosecond.
		if neg {
			t.Time = time.Unix(-1, 999999999)
		} else {
			t.Time = time.Unix(0, 0)
		}
		return nil
	}
	n, ok := new(big.Int).SetString(digits, 10)
	if !ok {
		return errors.New("cognito: timestamp: bad digits")
	}
	if neg {
		n.Neg(n)
	}
	// Nanoseconds = n × 10^(exp+9), floored.
	nanos := new(big.Int)
	if e := exp + 9; e >= 0 {
		nanos.Mul(n, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(e)), nil))
	} else {
		d := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(-e)), nil)
		nanos.Div(n, d) // Euclidean division: floors for a positive divisor.
	}
	sec, nsec := new(big.Int), new(big.Int)
	sec.DivMod(nanos, big.NewInt(1e9), nsec)
	if !sec.IsInt64() || sec.Int64() == math.MinInt64 {
		return fmt.Errorf("cognito: timestamp %.40q: out of range", string(data))
	}
	t.Time = time.Unix(sec.Int64(), nsec.Int64())
	return nil
}

// isJSONNumber reports whether s is exactly one JSON number.
func isJSONNumber(s string) bool {
	if s == "" || (s[0] != '-' && (s[0] < '0' || s[0] > '9')) {
		return false
	}
	var n json.Number
	return json.Unmarshal([]byte(s), &n) == nil
}
