package cognito

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// Violations collects the constraint violations of one request, in the
// order the generated Validate methods find them, and turns them into the
// InvalidParameterException AWS sends:
//
//	2 validation errors detected: Value null at 'poolName' failed to satisfy
//	constraint: Member must not be null; Value 'x' at ...
//
// The zero value is ready to use.
type Violations struct {
	msgs []string
}

// Null records a required member that is missing.
func (v *Violations) Null(path string) {
	v.msgs = append(v.msgs, "Value null at '"+path+"' failed to satisfy constraint: Member must not be null")
}

// Add records that value at path breaks rule, which reads on from "Member
// must", e.g. "have length less than or equal to 128". When hide is true
// (the value is, or holds, sensitive data) the value is left out of the
// message.
func (v *Violations) Add(path string, value any, hide bool, rule string) {
	var b strings.Builder
	b.WriteString("Value ")
	if !hide {
		b.WriteString(RenderValue(value))
		b.WriteByte(' ')
	}
	b.WriteString("at '")
	b.WriteString(path)
	b.WriteString("' failed to satisfy constraint: Member must ")
	b.WriteString(rule)
	v.msgs = append(v.msgs, b.String())
}

// Len returns how many violations were recorded.
func (v *Violations) Len() int { return len(v.msgs) }

// Messages returns the recorded violations.
func (v *Violations) Messages() []string { return slices.Clone(v.msgs) }

// Err returns nil when nothing was recorded, otherwise an
// InvalidParameterException listing every violation.
func (v *Violations) Err() error {
	switch len(v.msgs) {
	case 0:
		return nil
	case 1:
		return InvalidParameterException("1 validation error detected: " + v.msgs[0])
	}
	return InvalidParameterException(strconv.Itoa(len(v.msgs)) + " validation errors detected: " + strings.Join(v.msgs, "; "))
}

// MemberPath returns the path of a structure member: parent + "." + member,
// or member alone at the top. Generated code passes member names with their
// first letter already lowercased, as AWS prints them.
func MemberPath(parent, member string) string {
	if parent == "" {
		return member
	}
	return parent + "." + member
}

// ElementPath returns the path of the list element at index i (0-based),
// which AWS numbers from 1: parent.<i+1>.member.
func ElementPath(parent string, i int) string {
	return parent + "." + strconv.Itoa(i+1) + ".member"
}

// KeyPath returns the path of the map value stored under key: parent.<key>.
func KeyPath(parent, key string) string {
	return parent + "." + key
}

// MapKeyPath returns the path reported for a map key that breaks its
// constraints: parent.key (the message shows the key itself as the value).
func MapKeyPath(parent string) string {
	return parent + ".key"
}

// RenderValue formats a value for a violation message, in single quotes as
// AWS prints every value: strings and numbers as they are, lists as '[a, b]', maps as '{k=v}', structures as
// '{Member=value, ...}' without unset members, and blobs the way a Java
// ByteBuffer prints itself.
func RenderValue(value any) string {
	return "'" + render(reflect.ValueOf(value)) + "'"
}

func render(rv reflect.Value) string {
	if !rv.IsValid() {
		return "null"
	}
	if rv.Kind() != reflect.Pointer && rv.Kind() != reflect.Interface && rv.CanInterface() {
		if s, ok := rv.Interface().(fmt.Stringer); ok {
			return s.String()
		}
	}
	switch rv.Kind() {
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return "null"
		}
		return render(rv.Elem())
	case reflect.String:
		return rv.String()
	case reflect.Bool:
		return strconv.FormatBool(rv.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(rv.Int(), 10)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.FormatUint(rv.Uint(), 10)
	case reflect.Float32, reflect.Float64:
		return strconv.FormatFloat(rv.Float(), 'f', -1, 64)
	case reflect.Slice, reflect.Array:
		if rv.Type().Elem().Kind() == reflect.Uint8 {
			if rv.Type().Name() == "RawMessage" {
				return string(rv.Bytes())
			}
			n := rv.Len()
			return fmt.Sprintf("java.nio.HeapByteBuffer[pos=0 lim=%d cap=%d]", n, n)
		}
		parts := make([]string, rv.Len())
		for i := range parts {
			parts[i] = render(rv.Index(i))
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case reflect.Map:
		keys := rv.MapKeys()
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = render(k) + "=" + render(rv.MapIndex(k))
		}
		slices.Sort(parts)
		return "{" + strings.Join(parts, ", ") + "}"
	case reflect.Struct:
		var parts []string
		t := rv.Type()
		for i := range t.NumField() {
			f := rv.Field(i)
			if !t.Field(i).IsExported() || f.IsZero() {
				continue
			}
			parts = append(parts, t.Field(i).Name+"="+render(f))
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return fmt.Sprint(rv.Interface())
}
