package integrations

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"maps"
	"sort"
	"strings"
	"time"

	sb "switchboard"
	"switchboard/db"
	"switchboard/integrations/launchdarkly"
	"switchboard/secrets"
)

// ProviderLaunchDarkly is the provider key of LaunchDarkly integration
// configurations. The integration key (datadog, splunk…) is kept in Attrs.
const ProviderLaunchDarkly = "launchdarkly"

// LDConfig is an integration configuration as responses show it: secret
// configValues masked, generated values and public keys in full.
type LDConfig struct {
	ID       string
	TeamID   string
	TeamName string
	TeamSlug string
	// Stored are the integration key, name, enabled, tags, configValues
	// (secret ones masked), capabilityConfig and the secrets' keys.
	launchdarkly.Stored
	Status    string
	CreatedAt time.Time
	UpdatedAt time.Time
	CreatedBy string
}

// LDConfigInput is what creating a configuration takes, from the form or
// the JSON family (launchdarkly.Input, as the create pipeline's input).
type LDConfigInput launchdarkly.Input

// ldAttrs is what Attrs holds: everything but the secrets, whose masks
// stand in for them in ConfigValues.
type ldAttrs struct {
	IntegrationKey   string                        `json:"integrationKey"`
	Tags             []string                      `json:"tags"`
	ConfigValues     map[string]any                `json:"configValues"`
	Secrets          []string                      `json:"secrets"`
	CapabilityConfig launchdarkly.CapabilityConfig `json:"capabilityConfig"`
}

// ldSealed is what is sealed to the row: the secret config values and the
// private halves of the key pairs made for publicKey variables.
type ldSealed struct {
	Values      map[string]string `json:"values"`
	PrivateKeys map[string]string `json:"privateKeys,omitempty"`
}

// ldUniqueKey makes a name unique per team and integration key (compared
// without case), so a 409 never tells one team about another's names.
func ldUniqueKey(teamID, integrationKey, name string) *string {
	return ptr(teamID + "/" + integrationKey + "/" + strings.ToLower(name))
}

func errUnknownIntegrationKey(key string) error {
	return sb.Errorf(sb.CodeNotFound, "integration key %q not found", clip(key, 64))
}

func ldNotFound() error { return sb.Errorf(sb.CodeNotFound, "integration configuration not found") }

// Manifest returns the manifest of an integration key, or not found.
func (s *Service) Manifest(key string) (*launchdarkly.Manifest, error) {
	m, ok := s.Manifests.Get(key)
	if !ok {
		return nil, errUnknownIntegrationKey(key)
	}
	return m, nil
}

// ldGenerate makes the values of generated and publicKey variables: a
// random external id, or an RSA-2048 key pair (the public key as base64
// DER, as Snowflake's key-pair authentication takes it; the private key as
// PKCS#8 PEM, sealed).
func ldGenerate(f *launchdarkly.FormVariable) (public string, private string, err error) {
	if f.Type == launchdarkly.FVGenerated {
		return secrets.RandomID(32), "", nil
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return "", "", err
	}
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return "", "", err
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return "", "", err
	}
	priv := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	clear(der)
	return base64.StdEncoding.EncodeToString(pub), string(priv), nil
}

func (in *LDConfigInput) create(ctx context.Context, s *Service, actor sb.Actor, refused error) (*Created, error) {
	return create(ctx, s, actor, launchDarklyProvider{}, in, refused)
}

// ldChecked is a create's input checked against its manifest.
type ldChecked struct {
	teamID   string
	manifest *launchdarkly.Manifest
	valid    *launchdarkly.Valid
}

// launchDarklyProvider declares LaunchDarkly integration configurations:
// the input is checked against its integration's manifest, generated
// values are made, the secret values (and private keys) sealed to the row.
type launchDarklyProvider struct{}

func (launchDarklyProvider) Info() ProviderInfo {
	return ProviderInfo{Key: ProviderLaunchDarkly, Title: "LaunchDarkly integration", Description: "Configure a LaunchDarkly integration (Datadog, Splunk, PagerDuty, Snowflake…) from its manifest; secret values are stored encrypted and only ever shown masked.", Available: true}
}

func (launchDarklyProvider) Validate(s *Service, in *LDConfigInput) (ldChecked, error) {
	m, err := s.Manifest(in.IntegrationKey)
	if err != nil {
		return ldChecked{}, err
	}
	valid, err := launchdarkly.Validate(m, (*launchdarkly.Input)(in))
	return ldChecked{teamID: in.TeamID, manifest: m, valid: valid}, err
}

func (launchDarklyProvider) Team(ctx context.Context, s *Service, actor sb.Actor, c ldChecked) (*db.Team, error) {
	return s.ResolveTeam(ctx, actor, c.teamID, TeamRule{Missing: errChooseTeam, Unknown: errChooseTeam})
}

func (launchDarklyProvider) Draft(_ *Service, _ sb.Actor, team *db.Team, c ldChecked) (*Draft, error) {
	m, valid := c.manifest, c.valid
	attrs, sealed, shown, err := ldAssemble(m, valid, nil, nil)
	if err != nil {
		return nil, sb.Internal(err)
	}
	keys := make([]string, 0, len(attrs.ConfigValues))
	for k := range attrs.ConfigValues {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	d := &Draft{
		Name: valid.Name, UniqueKey: ldUniqueKey(team.ID, m.Key, valid.Name),
		Attrs: attrs, Seal: sealed, Shown: shown, RevealTitle: valid.Name + " (" + m.Name + ")",
		Audit: map[string]any{"integrationKey": m.Key, "name": valid.Name, "enabled": valid.Enabled, "configKeys": keys, "secretKeys": attrs.Secrets},
	}
	if !valid.Enabled {
		d.Status = StatusDisabled
	}
	msg := fmt.Sprintf("an integration configuration named %q already exists for %s", valid.Name, m.Name)
	d.Conflict = &sb.Error{Code: sb.CodeConflict, Message: msg, Fields: map[string]string{"name": msg}}
	return d, nil
}

func (launchDarklyProvider) Status(r *Record) string { return r.Status }

func (launchDarklyProvider) Actions(r *Record) []string { return defaultActions(r, r.Status, false) }

// LDConfigOfRecord reads the response view of a record the caller has (a
// create's).
func LDConfigOfRecord(r *Record) (*LDConfig, error) {
	c, err := ldConfigFrom(r.row)
	if err != nil {
		return nil, sb.Internal(err)
	}
	return c, nil
}

// ldAssemble splits validated values into what Attrs keeps (non-secret
// values, the masks of secret ones) and what is sealed (secret values,
// private keys), making the generated values: kept ones (an edit's
// previous values and private keys) are never made again. The reveal
// fields show each secret and each value made now.
func ldAssemble(m *launchdarkly.Manifest, valid *launchdarkly.Valid, kept map[string]any, keptKeys map[string]string) (ldAttrs, ldSealed, []RevealField, error) {
	attrs := ldAttrs{IntegrationKey: m.Key, Tags: valid.Tags, ConfigValues: map[string]any{}, Secrets: []string{}, CapabilityConfig: valid.CapabilityConfig}
	sealed := ldSealed{Values: map[string]string{}, PrivateKeys: maps.Clone(keptKeys)}
	var reveal []RevealField
	for _, f := range m.FormVariables {
		val, ok := valid.Values[f.Key]
		if !ok {
			continue
		}
		if sv, isStr := val.(string); f.IsSecret && isStr && sv != "" {
			sealed.Values[f.Key] = sv
			attrs.ConfigValues[f.Key] = launchdarkly.MaskSecret(sv)
			attrs.Secrets = append(attrs.Secrets, f.Key)
			reveal = append(reveal, RevealField{Label: f.Name, Name: f.Key, Value: sv, Masked: true})
			continue
		}
		attrs.ConfigValues[f.Key] = val
	}
	for _, f := range valid.Generate {
		if old, ok := kept[f.Key]; ok && !launchdarkly.IsBlank(old) {
			attrs.ConfigValues[f.Key] = old
			continue
		}
		pub, priv, err := ldGenerate(f)
		if err != nil {
			return attrs, sealed, nil, err
		}
		attrs.ConfigValues[f.Key] = pub
		if priv != "" {
			if sealed.PrivateKeys == nil {
				sealed.PrivateKeys = map[string]string{}
			}
			sealed.PrivateKeys[f.Key] = priv
		}
		reveal = append(reveal, RevealField{Label: f.Name, Name: f.Key, Value: pub})
	}
	return attrs, sealed, reveal, nil
}

func ldConfigFrom(r *db.IntegrationRow) (*LDConfig, error) {
	var a ldAttrs
	if err := json.Unmarshal([]byte(r.Attrs), &a); err != nil {
		return nil, fmt.Errorf("integration configuration %s: attrs: %w", r.ID, err)
	}
	if a.ConfigValues == nil {
		a.ConfigValues = map[string]any{}
	}
	if a.Tags == nil {
		a.Tags = []string{}
	}
	return &LDConfig{
		ID: r.ID, TeamID: r.TeamID, TeamName: r.TeamName, TeamSlug: r.TeamSlug,
		Stored: launchdarkly.Stored{
			IntegrationKey: a.IntegrationKey, Name: r.Name, Enabled: r.Status == StatusActive, Tags: a.Tags,
			ConfigValues: a.ConfigValues, CapabilityConfig: a.CapabilityConfig, Secrets: a.Secrets,
		},
		Status: r.Status, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, CreatedBy: r.CreatedBy,
	}, nil
}

// LDConfigOf reads the configuration view of a row the caller has loaded,
// or false for a row of another provider.
func LDConfigOf(r *Record) (*LDConfig, bool, error) {
	if r.Provider != ProviderLaunchDarkly {
		return nil, false, nil
	}
	c, err := LDConfigOfRecord(r)
	return c, true, err
}

// LDConfig returns one configuration the actor may see. Another team's,
// another provider's row, or a revoked one is not found.
func (s *Service) LDConfig(ctx context.Context, actor sb.Actor, id string) (*LDConfig, error) {
	_, c, err := s.ldRow(ctx, actor, id)
	return c, err
}

// ldRow loads a live configuration the actor may see, row and view.
func (s *Service) ldRow(ctx context.Context, actor sb.Actor, id string) (*db.IntegrationRow, *LDConfig, error) {
	r, err := s.get(ctx, actor, id)
	if sb.ErrorCode(err) == sb.CodeNotFound {
		return nil, nil, ldNotFound()
	} else if err != nil {
		return nil, nil, err
	}
	if r.Provider != ProviderLaunchDarkly || r.Status == StatusRevoked {
		return nil, nil, ldNotFound()
	}
	c, err := ldConfigFrom(r)
	if err != nil {
		return nil, nil, sb.Internal(err)
	}
	return r, c, nil
}

// ListLDConfigs returns the configurations of one integration key that the
// actor may see, newest first.
func (s *Service) ListLDConfigs(ctx context.Context, actor sb.Actor, integrationKey string) ([]LDConfig, error) {
	if _, err := s.Manifest(integrationKey); err != nil {
		return nil, err
	}
	out := []LDConfig{}
	err := s.eachLive(ctx, actor, db.IntegrationFilter{Provider: ProviderLaunchDarkly}, func(r *db.IntegrationRow) error {
		c, err := ldConfigFrom(r)
		if err != nil {
			return err
		}
		if c.IntegrationKey == integrationKey {
			out = append(out, *c)
		}
		return nil
	})
	if err != nil {
		return nil, sb.Internal(err)
	}
	return out, nil
}

// DeleteLDConfig deletes a configuration and its sealed values.
func (s *Service) DeleteLDConfig(ctx context.Context, actor sb.Actor, id string) error {
	c, err := s.LDConfig(ctx, actor, id)
	if err != nil {
		return err
	}
	if _, err := s.Delete(ctx, actor, c.ID); err != nil {
		if sb.ErrorCode(err) == sb.CodeNotFound {
			return ldNotFound()
		}
		return err
	}
	return nil
}
