package integrations

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
// integrations (integrations/manifests/*.json, embedded) and reads an
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
		panic("integrations: manifest.schema.json: " + err.Error())
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("manifest.schema.json", doc); err != nil {
		panic("integrations: manifest.schema.json: " + err.Error())
	}
	whole, err := c.Compile("manifest.schema.json")
	if err != nil {
		panic("integrations: manifest.schema.json: " + err.Error())
	}
	fv, err := c.Compile("manifest.schema.json#/$defs/formVariable")
	if err != nil {
		panic("integrations: manifest.schema.json: " + err.Error())
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

// checkFormVariables applies the cross-field rules to a list of form
// variables; location is the dependsOn variableLocation that refers to the
// list itself, at is the JSON pointer of the list in problems.
func checkFormVariables(vars []FormVariable, location, at string) []string {
	var out []string
	seen := map[string]bool{}
	for i := range vars {
		f := &vars[i]
		where := fmt.Sprintf("%s/%d (%s)", at, i, f.Key)
		if seen[f.Key] {
			out = append(out, where+": key is used by an earlier form variable")
		}
		seen[f.Key] = true
		for _, p := range checkFormVariable(f) {
			out = append(out, where+": "+p)
		}
		for j, d := range f.DependsOn {
			dw := fmt.Sprintf("%s: dependsOn/%d", where, j)
			switch {
			case d.VariableLocation != location:
				out = append(out, fmt.Sprintf("%s: variableLocation %q is not supported here: dependsOn may refer only to %s", dw, d.VariableLocation, location))
			case d.VariableKey == f.Key:
				out = append(out, dw+": a form variable cannot depend on itself")
			default:
				found := false
				for k := range vars {
					found = found || vars[k].Key == d.VariableKey
				}
				if !found {
					out = append(out, fmt.Sprintf("%s: variableKey %q names no form variable of %s", dw, d.VariableKey, location))
				}
			}
		}
	}
	if len(out) == 0 {
		if cyc := dependsOnCycle(vars); cyc != "" {
			out = append(out, at+": dependsOn goes round in a circle: "+cyc)
		}
	}
	return out
}

// checkFormVariable applies the rules that span properties of one variable.
func checkFormVariable(f *FormVariable) []string {
	var out []string
	add := func(s string) { out = append(out, s) }
	if f.DefaultValue != nil && !f.IsOptional {
		add("defaultValue is set but isOptional is not true: a required field has no default")
	}
	if f.IsOptional && f.DefaultValue == nil && f.Type != FVMultiselect {
		add("isOptional is true but there is no defaultValue: an optional field needs one (only multiselect may go without)")
	}
	if f.IsSecret && f.Type != FVString {
		add(fmt.Sprintf("isSecret is only allowed on string variables, not on %s", f.Type))
	}
	if f.Type == FVEnum && len(f.AllowedValues) == 0 {
		add("type enum needs allowedValues")
	}
	if f.Type != FVEnum && f.AllowedValues != nil {
		add("allowedValues is only for type enum")
	}
	if f.Type == FVMultiselect && len(f.MultiselectOptions) == 0 {
		add("type multiselect needs multiselectOptions")
	}
	if f.Type != FVMultiselect && (f.MultiselectOptions != nil || f.MultiselectDefaultOptions != nil) {
		add("multiselectOptions and multiselectDefaultOptions are only for type multiselect")
	}
	if f.Type == FVMultiselect && f.DefaultValue != nil {
		add("a multiselect takes its default from multiselectDefaultOptions, not defaultValue")
	}
	if f.Type == FVDynamicEnum && f.DynamicOptions == nil {
		add("type dynamicEnum needs dynamicOptions")
	}
	if f.Type != FVDynamicEnum && f.DynamicOptions != nil {
		add("dynamicOptions is only for type dynamicEnum")
	}
	values := map[string]bool{}
	for _, o := range f.MultiselectOptions {
		if values[o.Value] {
			add(fmt.Sprintf("multiselectOptions has the value %q twice", o.Value))
		}
		values[o.Value] = true
	}
	for _, d := range f.MultiselectDefaultOptions {
		if !values[d] {
			add(fmt.Sprintf("multiselectDefaultOptions %q is not one of the multiselectOptions values", d))
		}
	}
	if dups := duplicates(f.AllowedValues); dups != "" {
		add("allowedValues has " + dups + " twice")
	}
	if f.DefaultValue != nil {
		switch dv := f.DefaultValue.(type) {
		case bool:
			if f.Type != FVBoolean {
				add(fmt.Sprintf("defaultValue is a boolean but the type is %s", f.Type))
			}
		case string:
			switch {
			case f.Type == FVBoolean:
				add("defaultValue of a boolean must be true or false, not a string")
			case f.Type == FVEnum && !slices.Contains(f.AllowedValues, dv):
				add(fmt.Sprintf("defaultValue %q is not one of allowedValues", dv))
			case f.Type == FVURI && dv != "" && !isHTTPURL(dv):
				add(fmt.Sprintf("defaultValue %q is not an absolute http(s) URL", dv))
			case f.Generated() && dv != "":
				add("defaultValue of a " + f.Type + " must be empty: Switchboard makes the value")
			}
		}
	}
	if f.Generated() && f.DisableAfterSaving {
		add("disableAfterSaving makes no sense on a " + f.Type + ": it is never edited")
	}
	return out
}

func duplicates(list []string) string {
	seen := map[string]bool{}
	for _, s := range list {
		if seen[s] {
			return fmt.Sprintf("%q", s)
		}
		seen[s] = true
	}
	return ""
}

// dependsOnCycle returns "a → b → a" when the variables' dependsOn refer
// round in a circle, else "".
func dependsOnCycle(vars []FormVariable) string {
	deps := map[string][]string{}
	for _, f := range vars {
		for _, d := range f.DependsOn {
			deps[f.Key] = append(deps[f.Key], d.VariableKey)
		}
	}
	state := map[string]int{} // 1 visiting, 2 done
	var path []string
	var visit func(k string) string
	visit = func(k string) string {
		switch state[k] {
		case 1:
			i := slices.Index(path, k)
			return strings.Join(append(append([]string{}, path[i:]...), k), " → ")
		case 2:
			return ""
		}
		state[k] = 1
		path = append(path, k)
		for _, d := range deps[k] {
			if c := visit(d); c != "" {
				return c
			}
		}
		path = path[:len(path)-1]
		state[k] = 2
		return ""
	}
	for _, f := range vars {
		if c := visit(f.Key); c != "" {
			return c
		}
	}
	return ""
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
		panic("integrations: shipped manifests: " + err.Error())
	}
	return set
})
