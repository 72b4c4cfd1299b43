package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Sources are the places Load reads settings from. Later sources win:
// defaults < File < Env < Flags.
type Sources struct {
	// File is the path of a YAML (or JSON) config file, or "" for none.
	File string
	// Env looks up an environment variable, like os.Getenv; nil reads
	// none. An empty value counts as unset.
	Env func(string) string
	// Flags maps key paths ("listen", "data_dir", "database", …) to the
	// values given on the command line. Only flags the user set belong
	// here.
	Flags map[string]string
}

// Load builds the configuration from src, in order: decode the file
// (renaming deprecated keys), then the environment, then flags, then
// defaults for whatever is still unset, then Validate.
//
// The warnings name deprecated keys the file used; the caller logs them.
// The error is a ValidationErrors listing every problem (unknown keys,
// values of the wrong type, and everything Validate finds), or an error
// reading the file. The Config is nil whenever the error is not.
func Load(src Sources) (*Config, []string, error) {
	c, _, warnings, err := load(src, deprecations)
	return c, warnings, err
}

// Origins says where each key that the file, the environment or a flag
// set got its value, keyed by key path ("listen", "rate_limits.scale",
// "rate_limits.categories"): "file (line 3)", "environment
// COGNATE_LISTEN" or "flag". A key it does not list has its default.
type Origins map[string]string

// Of returns the origin of the key at path: its own, or that of the
// nearest enclosing key that was set whole (a map or a list), or
// "default".
func (o Origins) Of(path string) string {
	for p := path; ; {
		if v, ok := o[p]; ok {
			return v
		}
		i := strings.LastIndexAny(p, ".[")
		if i < 0 {
			return "default"
		}
		p = p[:i]
	}
}

// LoadWithOrigins is Load that also says where each value came from.
func LoadWithOrigins(src Sources) (*Config, Origins, []string, error) {
	return load(src, deprecations)
}

func load(src Sources, table []Deprecation) (*Config, Origins, []string, error) {
	var (
		c        Config
		warnings []string
		problems ValidationErrors
		origins  = Origins{}
	)
	if src.File != "" {
		data, err := os.ReadFile(src.File)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("read config file: %w", err)
		}
		warnings, problems = decode(data, &c, table, origins)
	}
	if src.Env != nil {
		problems = append(problems, applyEnv(&c, src.Env, origins)...)
	}
	problems = append(problems, applyFlags(&c, src.Flags, origins)...)
	problems = append(problems, c.explicitZeros(origins)...)
	c.applyDefaults()
	if err := c.Validate(); err != nil {
		problems = append(problems, err.(ValidationErrors)...)
	}
	if len(problems) > 0 {
		return nil, nil, warnings, problems
	}
	return &c, origins, warnings, nil
}

// explicitZeros refuses a 0 written for a key whose zero value otherwise
// means "unset, take the default": such a 0 is a mistake (a scale of 0
// would block everything, a rate of 0 would admit nothing), and replacing
// it silently by the default would hide it.
func (c *Config) explicitZeros(origins Origins) ValidationErrors {
	var problems ValidationErrors
	for _, z := range []struct {
		key  string
		v    float64
		want string
	}{
		{"rate_limits.scale", c.RateLimits.Scale, "must be a positive number"},
		{"rate_limits.per_user.rate", c.RateLimits.PerUser.Rate, "must be a positive number of requests per second"},
		{"rate_limits.per_user.burst", c.RateLimits.PerUser.Burst, "must be a number of requests of at least 1"},
		{"rate_limits.per_address.rate", c.RateLimits.PerAddress.Rate, "must be a positive number of requests per second"},
		{"rate_limits.per_address.burst", c.RateLimits.PerAddress.Burst, "must be a number of requests of at least 1"},
	} {
		if _, set := origins[z.key]; set && z.v == 0 {
			problems = append(problems, fmt.Sprintf("%s: %s, not 0 (leave the key out for the default; to turn a limit off, set its enabled: false)", z.key, z.want))
		}
	}
	return problems
}

// decode fills c from a YAML or JSON document. It walks the document
// itself instead of using yaml.Decoder.KnownFields, because the
// deprecation step renames keys in the parsed tree (which Node.Decode
// cannot check strictly) and because walking lets every problem carry its
// key path and line, and all of them be reported at once.
func decode(data []byte, c *Config, table []Deprecation, origins Origins) (warnings []string, problems ValidationErrors) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil // an empty file sets nothing
		}
		return nil, ValidationErrors{"config file: " + strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, ValidationErrors{"config file: must hold exactly one document"}
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	root := resolve(doc.Content[0])
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return nil, nil
	}
	if root.Kind != yaml.MappingNode {
		return nil, ValidationErrors{fmt.Sprintf("config file: must be a mapping of keys (line %d)", root.Line)}
	}
	warnings, problems = applyDeprecations(root, table)
	problems = append(problems, decodeMapping(root, reflect.ValueOf(c).Elem(), "", origins)...)
	return warnings, problems
}

var unmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()

// decodeMapping decodes the mapping node n into the struct v, matching
// keys to yaml tags, and returns a problem for every unknown or repeated
// key and every value of the wrong type.
func decodeMapping(n *yaml.Node, v reflect.Value, prefix string, origins Origins) ValidationErrors {
	var problems ValidationErrors
	fields := structFields(v.Type())
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], resolve(n.Content[i+1])
		path := prefix + k.Value
		if first, dup := seen[k.Value]; dup {
			problems = append(problems, fmt.Sprintf("%s: repeated key (lines %d and %d)", path, first, k.Line))
			continue
		}
		seen[k.Value] = k.Line
		idx, ok := fields[k.Value]
		if !ok {
			problems = append(problems, fmt.Sprintf("%s: unknown key (line %d)%s", path, k.Line, didYouMean(k.Value, prefix, fields)))
			continue
		}
		f := v.Field(idx)
		if f.Kind() == reflect.Struct && !reflect.PointerTo(f.Type()).Implements(unmarshalerType) {
			switch {
			case val.Kind == yaml.MappingNode:
				problems = append(problems, decodeMapping(val, f, path+".", origins)...)
			case val.Kind == yaml.ScalarNode && val.Tag == "!!null":
				// "log:" with nothing under it sets nothing.
			default:
				problems = append(problems, fmt.Sprintf("%s: must be a mapping of keys (line %d)", path, val.Line))
			}
			continue
		}
		if f.Kind() == reflect.Slice && f.Type().Elem().Kind() == reflect.Struct && !reflect.PointerTo(f.Type().Elem()).Implements(unmarshalerType) {
			// A list of blocks: each item is a mapping decoded like a
			// block, so that its unknown keys are reported too.
			problems = append(problems, decodeList(val, f, path, origins)...)
			continue
		}
		if err := val.Decode(f.Addr().Interface()); err != nil {
			msg := err.Error()
			var te *yaml.TypeError
			if errors.As(err, &te) {
				msg = "must be " + describe(f.Type())
			}
			problems = append(problems, fmt.Sprintf("%s: %s (line %d)", path, msg, val.Line))
			continue
		}
		if origins != nil {
			origins[path] = fmt.Sprintf("file (line %d)", k.Line)
		}
	}
	return problems
}

// decodeList decodes the sequence node n into the slice of structs v, each
// item as a block whose keys are path[i].key.
func decodeList(n *yaml.Node, v reflect.Value, path string, origins Origins) ValidationErrors {
	switch {
	case n.Kind == yaml.ScalarNode && n.Tag == "!!null":
		return nil
	case n.Kind != yaml.SequenceNode:
		return ValidationErrors{fmt.Sprintf("%s: must be a list (line %d)", path, n.Line)}
	}
	var problems ValidationErrors
	out := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		item = resolve(item)
		itemPath := fmt.Sprintf("%s[%d]", path, i)
		if item.Kind != yaml.MappingNode {
			problems = append(problems, fmt.Sprintf("%s: must be a mapping of keys (line %d)", itemPath, item.Line))
			continue
		}
		problems = append(problems, decodeMapping(item, out.Index(i), itemPath+".", origins)...)
	}
	v.Set(out)
	return problems
}

// structFields maps the yaml key of every field of t to its index.
func structFields(t reflect.Type) map[string]int {
	m := map[string]int{}
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if name != "" && name != "-" {
			m[name] = i
		}
	}
	return m
}

// describe says what a value of type t looks like, for type errors.
func describe(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice:
		return "a list of " + strings.TrimPrefix(describe(t.Elem()), "a ") + "s"
	case reflect.Map:
		return "a mapping of keys to " + strings.TrimPrefix(describe(t.Elem()), "a ") + "s"
	case reflect.Pointer:
		return describe(t.Elem())
	}
	return "a " + t.String()
}

// resolve follows aliases.
func resolve(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// setting is one key that the environment or a flag can set.
type setting struct {
	// key is the key path, as in the file and in Flags.
	key string
	// env is the environment variable, or "" for none.
	env string
	// set parses s into c.
	set func(c *Config, s string) error
}

// settings lists every key that can be set from the environment or a
// flag. The same parser serves both, so the two never disagree.
var settings = append([]setting{
	{"listen", "COGNATE_LISTEN", setString(func(c *Config) *string { return &c.Listen })},
	{"pprof_listen", "COGNATE_PPROF_LISTEN", setString(func(c *Config) *string { return &c.PprofListen })},
	{"data_dir", "COGNATE_DATA_DIR", setString(func(c *Config) *string { return &c.DataDir })},
	{"database", "COGNATE_DATABASE_URL", setString(func(c *Config) *string { return &c.Database })},
	{"sqlite.synchronous", "COGNATE_SQLITE_SYNCHRONOUS", setString(func(c *Config) *string { return &c.SQLite.Synchronous })},
	{"region", "COGNATE_REGION", setString(func(c *Config) *string { return &c.Region })},
	{"regions", "COGNATE_REGIONS", func(c *Config, s string) error {
		c.Regions = nil
		for r := range strings.SplitSeq(s, ",") {
			if r = strings.TrimSpace(r); r != "" {
				c.Regions = append(c.Regions, r)
			}
		}
		return nil
	}},
	{"account_id", "COGNATE_ACCOUNT_ID", setString(func(c *Config) *string { return &c.AccountID })},
	{"admin.access_key_id", "COGNATE_ACCESS_KEY_ID", setString(func(c *Config) *string { return &c.Admin.AccessKeyID })},
	{"admin.secret_access_key", "COGNATE_SECRET_ACCESS_KEY", func(c *Config, s string) error {
		c.Admin.SecretAccessKey = Secret(s)
		return nil
	}},
	{"accept_any_signature", "COGNATE_ACCEPT_ANY_SIGNATURE", func(c *Config, s string) error {
		b, err := strconv.ParseBool(s)
		if err != nil {
			return errors.New("must be true or false")
		}
		c.AcceptAnySignature = b
		return nil
	}},
	{"max_body_bytes", "COGNATE_MAX_BODY_BYTES", func(c *Config, s string) error {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return errors.New("must be an integer")
		}
		c.MaxBodyBytes = n
		return nil
	}},
	{"shutdown_timeout", "COGNATE_SHUTDOWN_TIMEOUT", func(c *Config, s string) error {
		d, err := parseDuration(s)
		if err != nil {
			return errDuration
		}
		c.ShutdownTimeout = d
		return nil
	}},
	{"log.level", "COGNATE_LOG_LEVEL", setString(func(c *Config) *string { return &c.Log.Level })},
	{"log.format", "COGNATE_LOG_FORMAT", setString(func(c *Config) *string { return &c.Log.Format })},
	{"password_hashing.memory_kib", "COGNATE_PASSWORD_HASHING_MEMORY_KIB", setUint(func(c *Config) *uint32 { return &c.PasswordHashing.MemoryKiB })},
	{"password_hashing.iterations", "COGNATE_PASSWORD_HASHING_ITERATIONS", setUint(func(c *Config) *uint32 { return &c.PasswordHashing.Iterations })},
	{"password_hashing.parallelism", "COGNATE_PASSWORD_HASHING_PARALLELISM", func(c *Config, s string) error {
		n, err := strconv.ParseUint(s, 10, 8)
		if err != nil {
			return errors.New("must be an integer from 1 to 255")
		}
		c.PasswordHashing.Parallelism = uint8(n)
		return nil
	}},
	{"issuer_base_url", "COGNATE_ISSUER_BASE_URL", setString(func(c *Config) *string { return &c.IssuerBaseURL })},
	{"encryption_key", "COGNATE_ENCRYPTION_KEY", func(c *Config, s string) error {
		c.EncryptionKey = Secret(s)
		return nil
	}},
	{"encryption_keys_previous", "COGNATE_ENCRYPTION_KEYS_PREVIOUS", func(c *Config, s string) error {
		c.EncryptionKeysPrevious = nil
		for k := range strings.SplitSeq(s, ",") {
			if k = strings.TrimSpace(k); k != "" {
				c.EncryptionKeysPrevious = append(c.EncryptionKeysPrevious, Secret(k))
			}
		}
		return nil
	}},
}, slices.Concat(messagingSettings, rateLimitSettings, corsSettings, changeLogSettings, userImportSettings, stsSettings, hostedUISettings, consoleSettings, replicationSettings)...)

func setUint(field func(*Config) *uint32) func(*Config, string) error {
	return func(c *Config, s string) error {
		n, err := strconv.ParseUint(s, 10, 32)
		if err != nil {
			return errors.New("must be a non-negative integer")
		}
		*field(c) = uint32(n)
		return nil
	}
}

func setString(field func(*Config) *string) func(*Config, string) error {
	return func(c *Config, s string) error {
		*field(c) = s
		return nil
	}
}

// Keys returns the key path of every setting Config accepts
// ("listen", "log.level", "rate_limits.categories"), in the order of its
// fields: a map or a list is one key.
func Keys() []string { return keysOf(reflect.TypeFor[Config](), "") }

// keysOf returns the key paths of the struct type t, walking the yaml tags
// of its fields: a struct field (other than one that decodes itself) is a
// block whose keys are listed, anything else is a key.
func keysOf(t reflect.Type, prefix string) []string {
	var keys []string
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" || name == "-" {
			continue
		}
		if f.Type.Kind() == reflect.Struct && !reflect.PointerTo(f.Type).Implements(unmarshalerType) {
			keys = append(keys, keysOf(f.Type, prefix+name+".")...)
			continue
		}
		keys = append(keys, prefix+name)
	}
	return keys
}

// EnvVars returns the environment variables Load reads, keyed by key path.
func EnvVars() map[string]string {
	m := map[string]string{}
	for _, s := range settings {
		if s.env != "" {
			m[s.key] = s.env
		}
	}
	return m
}

func applyEnv(c *Config, env func(string) string, origins Origins) ValidationErrors {
	var problems ValidationErrors
	for _, s := range settings {
		if s.env == "" {
			continue
		}
		v := env(s.env)
		if v == "" {
			continue
		}
		if err := s.set(c, v); err != nil {
			problems = append(problems, fmt.Sprintf("%s: %s: %v", s.key, s.env, err))
			continue
		}
		if origins != nil {
			origins[s.key] = "environment " + s.env
		}
	}
	return problems
}

func applyFlags(c *Config, flags map[string]string, origins Origins) ValidationErrors {
	var problems ValidationErrors
	for _, k := range slices.Sorted(maps.Keys(flags)) {
		i := slices.IndexFunc(settings, func(s setting) bool { return s.key == k })
		if i < 0 {
			problems = append(problems, fmt.Sprintf("%s: cannot be set by a flag", k))
			continue
		}
		if err := settings[i].set(c, flags[k]); err != nil {
			problems = append(problems, fmt.Sprintf("%s: flag: %v", k, err))
			continue
		}
		if origins != nil {
			origins[k] = "flag"
		}
	}
	return problems
}
