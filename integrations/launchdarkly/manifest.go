package launchdarkly

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// LaunchDarkly integration manifests: the description of one integration
// (its form variables and capabilities) that an integration configuration's
// configValues must satisfy. Switchboard ships manifests for a handful of
// integrations (manifests/*.json, embedded) and reads an
// organisation's own from SWITCHBOARD_MANIFEST_DIR. Each is checked against
// manifest.schema.json and then against the rules that span several
// properties (checkFormVariable); one bad manifest stops the start.

//go:embed manifests/*.json
var shippedManifests embed.FS

//go:embed manifest.schema.json
var manifestSchemaJSON []byte

// Form variable types of the integration framework.
const (
	FVString              = "string"
	FVBoolean             = "boolean"
	FVURI                 = "uri"
	FVEnum                = "enum"
	FVMultiselect         = "multiselect"
	FVGenerated           = "generated"
	FVPublicKey           = "publicKey"
	FVDynamicEnum         = "dynamicEnum"
	FVEnvironmentSelector = "environmentSelector"
	FVOAuth               = "oauth"
)

// CapabilityApproval and CapabilityAuditLogEventsHook are the capabilities
// whose configuration an integration configuration carries.
const (
	CapabilityApproval           = "approval"
	CapabilityAuditLogEventsHook = "auditLogEventsHook"
)

// Manifest is one integration's manifest.
type Manifest struct {
	Key           string         `json:"key"`
	Name          string         `json:"name"`
	Description   string         `json:"description"`
	Capabilities  []string       `json:"capabilities"`
	FormVariables []FormVariable `json:"formVariables"`
	// Source is where the manifest was read from ("shipped" or a path).
	Source string `json:"-"`
}

// HasCapability reports whether the manifest declares capability c.
func (m *Manifest) HasCapability(c string) bool { return slices.Contains(m.Capabilities, c) }

// Variable returns the form variable with key, or false.
func (m *Manifest) Variable(key string) (*FormVariable, bool) {
	for i := range m.FormVariables {
		if m.FormVariables[i].Key == key {
			return &m.FormVariables[i], true
		}
	}
	return nil, false
}

// FormVariable is one field of an integration's configuration form.
type FormVariable struct {
	Key                       string              `json:"key"`
	Name                      string              `json:"name"`
	Type                      string              `json:"type"`
	Description               string              `json:"description"`
	Placeholder               string              `json:"placeholder,omitempty"`
	IsSecret                  bool                `json:"isSecret,omitempty"`
	IsHidden                  bool                `json:"isHidden,omitempty"`
	IsOptional                bool                `json:"isOptional,omitempty"`
	DisableAfterSaving        bool                `json:"disableAfterSaving,omitempty"`
	HideEmpty                 bool                `json:"hideEmpty,omitempty"`
	DefaultValue              any                 `json:"defaultValue,omitempty"`
	AllowedValues             []string            `json:"allowedValues,omitempty"`
	DynamicOptions            json.RawMessage     `json:"dynamicOptions,omitempty"`
	DependsOn                 []DependsOn         `json:"dependsOn,omitempty"`
	MultiselectOptions        []MultiselectOption `json:"multiselectOptions,omitempty"`
	MultiselectDefaultOptions []string            `json:"multiselectDefaultOptions,omitempty"`
}

// Supported reports whether Switchboard can take a value of this type. The
// others (dynamicEnum, environmentSelector, oauth) load, are shown as "not
// available yet" and never take a value.
func (f *FormVariable) Supported() bool {
	switch f.Type {
	case FVDynamicEnum, FVEnvironmentSelector, FVOAuth:
		return false
	}
	return true
}

// Generated reports whether Switchboard makes the value (generated,
// publicKey) rather than the caller.
func (f *FormVariable) Generated() bool { return f.Type == FVGenerated || f.Type == FVPublicKey }

// HasDefault reports whether the manifest gives a default.
func (f *FormVariable) HasDefault() bool {
	return f.DefaultValue != nil || (f.Type == FVMultiselect && f.MultiselectDefaultOptions != nil)
}

// Default returns the default value for an omitted optional field.
func (f *FormVariable) Default() any {
	if f.Type == FVMultiselect {
		return append([]string{}, f.MultiselectDefaultOptions...)
	}
	return f.DefaultValue
}

// DependsOn shows or hides a field on the value of another.
type DependsOn struct {
	VariableKey      string      `json:"variableKey"`
	VariableLocation string      `json:"variableLocation"`
	Action           string      `json:"action"`
	Conditions       []Condition `json:"conditions"`
}

// Condition is one test of a dependsOn; a dependsOn holds when all hold.
type Condition struct {
	Operator string `json:"operator"`
	Value    string `json:"value"`
}

// MultiselectOption is one choice of a multiselect.
type MultiselectOption struct {
	Label string `json:"label"`
	Value string `json:"value"`
}

// ManifestSet is every manifest Switchboard knows, by key.
type ManifestSet struct {
	byKey map[string]*Manifest
	keys  []string
}

// Get returns the manifest of an integration key.
func (s *ManifestSet) Get(key string) (*Manifest, bool) {
	m, ok := s.byKey[key]
	return m, ok
}

// All returns the manifests ordered by name.
func (s *ManifestSet) All() []*Manifest {
	out := make([]*Manifest, 0, len(s.keys))
	for _, k := range s.keys {
		out = append(out, s.byKey[k])
	}
	sort.SliceStable(out, func(i, j int) bool { return strings.ToLower(out[i].Name) < strings.ToLower(out[j].Name) })
	return out
}

// compiled schemas: the whole manifest and one form variable (for the
// approvals capability's additionalFormVariables).
var manifestSchema, formVariableSchema = mustCompileManifestSchema()

var messagePrinter = message.NewPrinter(language.English)

func mustCompileManifestSchema() (*jsonschema.Schema, *jsonschema.Schema) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(manifestSchemaJSON))
	if err != nil {
		panic("launchdarkly: manifest.schema.json: " + err.Error())
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("manifest.schema.json", doc); err != nil {
		panic("launchdarkly: manifest.schema.json: " + err.Error())
	}
	whole, err := c.Compile("manifest.schema.json")
	if err != nil {
		panic("launchdarkly: manifest.schema.json: " + err.Error())
	}
	fv, err := c.Compile("manifest.schema.json#/$defs/formVariable")
	if err != nil {
		panic("launchdarkly: manifest.schema.json: " + err.Error())
	}
	return whole, fv
}

// schemaProblems validates doc (decoded with jsonschema.UnmarshalJSON) and
// returns each failure as "<json pointer>: <reason>", the innermost ones only.
func schemaProblems(sch *jsonschema.Schema, doc any) []string {
	err := sch.Validate(doc)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return []string{err.Error()}
	}
	var out []string
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) > 0 {
			for _, c := range e.Causes {
				walk(c)
			}
			return
		}
		switch e.ErrorKind.(type) {
		case *kind.Group, *kind.Schema, *kind.Reference:
			return
		}
		loc := "/" + strings.Join(e.InstanceLocation, "/")
		out = append(out, loc+": "+e.ErrorKind.LocalizedString(messagePrinter))
	}
	walk(ve)
	sort.Strings(out)
	return slices.Compact(out)
}

// ManifestError is a manifest that cannot be used: the file and each rule it breaks.
type ManifestError struct {
	File     string
	Problems []string
}

func (e *ManifestError) Error() string {
	return "manifest " + e.File + ": " + strings.Join(e.Problems, "; ")
}

// ParseManifest reads and checks one manifest. file names it in errors and
// must be "<key>.json".
func ParseManifest(file string, raw []byte) (*Manifest, error) {
	fail := func(problems ...string) error { return &ManifestError{File: file, Problems: problems} }
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, fail("not valid JSON: " + err.Error())
	}
	if p := schemaProblems(manifestSchema, doc); len(p) > 0 {
		return nil, fail(p...)
	}
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, fail("cannot be read: " + err.Error())
	}
	if want := m.Key + ".json"; filepath.Base(file) != want {
		return nil, fail(fmt.Sprintf("key %q must match the file name (%s)", m.Key, want))
	}
	if p := checkFormVariables(m.FormVariables, "formVariables", "/formVariables"); len(p) > 0 {
		return nil, fail(p...)
	}
	return &m, nil
}

// LoadManifests reads the shipped manifests and, when dir is not empty,
// every *.json file in dir. A manifest in dir with the key of a shipped one
// replaces it. Every manifest is checked; the error names each bad file and
// the rules it breaks.
func LoadManifests(dir string) (*ManifestSet, error) {
	set := &ManifestSet{byKey: map[string]*Manifest{}}
	var bad []string
	add := func(file string, raw []byte, source string) {
		m, err := ParseManifest(file, raw)
		if err != nil {
			bad = append(bad, err.Error())
			return
		}
		m.Source = source
		if _, dup := set.byKey[m.Key]; !dup {
			set.keys = append(set.keys, m.Key)
		}
		set.byKey[m.Key] = m
	}
	shipped, err := fs.Glob(shippedManifests, "manifests/*.json")
	if err != nil {
		return nil, err
	}
	for _, f := range shipped {
		raw, err := shippedManifests.ReadFile(f)
		if err != nil {
			return nil, err
		}
		add(filepath.Base(f), raw, "shipped")
	}
	if dir != "" {
		files, err := filepath.Glob(filepath.Join(dir, "*.json"))
		if err != nil {
			return nil, fmt.Errorf("manifest folder %s: %w", dir, err)
		}
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			return nil, fmt.Errorf("manifest folder %s: not a readable folder", dir)
		}
		for _, f := range files {
			raw, err := os.ReadFile(f)
			if err != nil {
				return nil, fmt.Errorf("manifest %s: %w", f, err)
			}
			add(f, raw, f)
		}
	}
	if len(bad) > 0 {
		return nil, errors.New(strings.Join(bad, "\n"))
	}
	return set, nil
}

// ShippedManifests returns the manifests built into Switchboard, parsed and
// checked once per process (a set is never changed after loading, so every
// Service may share it). They are checked by a test too, so a failure here
// is a programming error.
var ShippedManifests = sync.OnceValue(func() *ManifestSet {
	set, err := LoadManifests("")
	if err != nil {
		panic("launchdarkly: shipped manifests: " + err.Error())
	}
	return set
})
