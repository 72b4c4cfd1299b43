package cognito

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestTimestampMarshal(t *testing.T) {
	for _, tc := range []struct {
		in   time.Time
		want string
	}{
		{time.Unix(1732561234, 0), "1732561234"},
		{time.Unix(1732561234, 123_000_000), "1732561234.123"},
		{time.Unix(1732561234, 120_000_000), "1732561234.12"},
		{time.Unix(1732561234, 100_000_000), "1732561234.1"},
		{time.Unix(1732561234, 999_999_999), "1732561234.999"}, // truncated to ms
		{time.Unix(1732561234, 500), "1732561234"},
		{time.Unix(0, 0), "0"},
		{time.Unix(0, 1_000_000), "0.001"},
		{time.Unix(-2, 500_000_000), "-1.5"},
		{time.Unix(-1, 999_000_000), "-0.001"},
		{time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC), "253402300799"},
	} {
		b, err := json.Marshal(Timestamp{tc.in})
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != tc.want {
			t.Errorf("Marshal(%v) = %s, want %s", tc.in, b, tc.want)
		}
		// Through a pointer, as in generated structs.
		if b, _ := json.Marshal(NewTimestamp(tc.in)); string(b) != tc.want {
			t.Errorf("Marshal(&%v) = %s, want %s", tc.in, b, tc.want)
		}
	}
}

func TestTimestampUnmarshal(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    time.Time
		wantErr bool
	}{
		{in: "1732561234", want: time.Unix(1732561234, 0)},
		{in: "1732561234.123", want: time.Unix(1732561234, 123_000_000)},
		{in: " 1732561234.5 ", want: time.Unix(1732561234, 500_000_000)},
		{in: "1732561234.123456789123", want: time.Unix(1732561234, 123_456_789)},
		{in: "1.732561234123E9", want: time.Unix(1732561234, 123_000_000)},
		{in: "1732561234e-3", want: time.Unix(1732561, 234_000_000)},
		{in: "0", want: time.Unix(0, 0)},
		{in: "0.0e999999999999", want: time.Unix(0, 0)},
		{in: "-1.5", want: time.Unix(-2, 500_000_000)},
		{in: "1e-30", want: time.Unix(0, 0)},
		{in: `"1732561234"`, wantErr: true},
		{in: `"2024-11-25T19:00:34Z"`, wantErr: true},
		{in: "null", wantErr: true},
		{in: "true", wantErr: true},
		{in: "{}", wantErr: true},
		{in: "", wantErr: true},
		{in: "1.", wantErr: true},
		{in: "01", wantErr: true},
		{in: "+1", wantErr: true},
		{in: "NaN", wantErr: true},
		{in: "1e400", wantErr: true},
		{in: "1e99999999999999999999", wantErr: true},
		{in: "99999999999999999999", wantErr: true},
	} {
		var ts Timestamp
		err := ts.UnmarshalJSON([]byte(tc.in))
		if tc.wantErr {
			if err == nil {
				t.Errorf("Unmarshal(%s) = %v, want an error", tc.in, ts.Time)
			}
			continue
		}
		if err != nil {
			t.Errorf("Unmarshal(%s): %v", tc.in, err)
			continue
		}
		if !ts.Equal(tc.want) {
			t.Errorf("Unmarshal(%s) = %v, want %v", tc.in, ts.Time, tc.want)
		}
	}
}

func TestTimestampInStruct(t *testing.T) {
	type wire struct {
		When  *Timestamp `json:"When,omitzero"`
		Other *Timestamp `json:"Other,omitzero"`
		List  []string   `json:"List,omitzero"`
		Flag  *bool      `json:"Flag,omitzero"`
	}
	f := false
	in := wire{When: NewTimestamp(time.Unix(1732561234, 5_000_000)), List: []string{}, Flag: &f}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(`{"When":1732561234.005,"List":[],"Flag":false}`, string(b)); diff != "" {
		t.Errorf("JSON (-want +got):\n%s", diff)
	}
	var out wire
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(in, out); diff != "" {
		t.Errorf("round trip (-in +out):\n%s", diff)
	}
	// JSON null leaves the pointer nil without calling UnmarshalJSON.
	if err := json.Unmarshal([]byte(`{"When":null}`), &out); err != nil || out.When != nil {
		t.Errorf("null: %v, %v", out.When, err)
	}
	if err := json.Unmarshal([]byte(`{"When":"soon"}`), &out); err == nil {
		t.Error("a string timestamp was accepted")
	}
}
