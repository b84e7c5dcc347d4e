package integrations

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	sb "switchboard"
	"switchboard/db"
	"switchboard/secrets"
)

// ProviderNodeKey is the provider key of node API keys.
const ProviderNodeKey = "node-api-key"

// Prefixes of the generated node key values; both carry a checksum.
const (
	NodeKeyPrefix    = "apex_"
	NodeSecretPrefix = "apexs_"
)

// Permission is one grant a node key may carry.
type Permission struct {
	Name        string
	Description string
}

// Permissions is the catalogue of node key permissions, in display order.
var Permissions = []Permission{
	{"payments.read", "Read payments"},
	{"payments.create", "Create payments"},
	{"payments.refund", "Refund payments"},
	{"payouts.read", "Read payouts"},
	{"payouts.create", "Create payouts"},
	{"webhooks.manage", "Manage webhooks"},
}

// NodeKeyInput is what creating a node API key takes, from the form or the API.
type NodeKeyInput struct {
	// TeamID, when set (the form sends it), must be the node's team.
	TeamID      string
	NodeID      string
	Name        string
	Permissions []string
	ExpiresAt   *time.Time
}

// NodeKey is a node API key as responses show it (never its secret).
type NodeKey struct {
	ID          string
	TeamID      string
	NodeID      string
	Name        string
	APIKey      string
	Permissions []string
	ExpiresAt   *time.Time
	CreatedAt   time.Time
	Status      string
	// LastUsedAt is the last successful verification (to the minute).
	LastUsedAt *time.Time
	// RolledTo is the successor of a key rolled with a grace period: this
	// one keeps verifying until ExpiresAt.
	RolledTo string
}

// NodeKeyCreated is a new key with its secret, which exists only here and
// in the reveal.
type NodeKeyCreated struct {
	NodeKey
	Secret   string
	RevealID string
}

type nodeKeyAttrs struct {
	APIKey      string   `json:"api_key"`
	Permissions []string `json:"permissions"`
}

// ValidateNodeKey checks a node key input and normalises it (trimmed name,
// permissions deduplicated in catalogue order). Field names are the JSON
// ones, which the form uses too.
func ValidateNodeKey(in *NodeKeyInput, now time.Time) error {
	v := sb.Validation{}
	in.NodeID = strings.TrimSpace(in.NodeID)
	if in.NodeID == "" {
		v.Add("node_id", "is required")
	} else if u, err := uuid.Parse(in.NodeID); err != nil || len(in.NodeID) != 36 {
		v.Add("node_id", "must be a UUID")
	} else {
		in.NodeID = u.String()
	}
	in.Name = strings.TrimSpace(in.Name)
	if n := utf8.RuneCountInString(in.Name); n < 1 || n > 255 {
		v.Add("name", "must be 1–255 characters")
	}
	var perms []string
	for _, p := range Permissions {
		if slices.Contains(in.Permissions, p.Name) {
			perms = append(perms, p.Name)
		}
	}
	for _, p := range in.Permissions {
		if !slices.ContainsFunc(Permissions, func(c Permission) bool { return c.Name == p }) {
			v.Add("permissions", "unknown permission "+quote(p)+"; known: "+permissionNames())
		}
	}
	if perms == nil {
		perms = []string{}
	}
	in.Permissions = perms
	if in.ExpiresAt != nil && !in.ExpiresAt.After(now) {
		v.Add("expires_at", "must be in the future")
	}
	return v.Err()
}

func quote(s string) string {
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return "\"" + s + "\""
}

func permissionNames() string {
	names := make([]string, len(Permissions))
	for i, p := range Permissions {
		names[i] = p.Name
	}
	return strings.Join(names, ", ")
}

func (in *NodeKeyInput) create(ctx context.Context, s *Service, actor sb.Actor, refused error) (*Created, error) {
	return create(ctx, s, actor, nodeKeyProvider{}, in, refused)
}

// nodeKeyProvider declares node API keys.
type nodeKeyProvider struct{}

func (nodeKeyProvider) Info() ProviderInfo {
	return ProviderInfo{Key: ProviderNodeKey, Title: "Node API key", Description: "Generate an API key and secret for one node of a team, with the permissions it needs.", Available: true}
}

func (nodeKeyProvider) Validate(s *Service, in *NodeKeyInput) (*NodeKeyInput, error) {
	return in, ValidateNodeKey(in, s.Now())
}

// Team is the node's team: a node of another team is not found; a node of
// a team other than the one the form chose is a field error.
func (nodeKeyProvider) Team(ctx context.Context, s *Service, actor sb.Actor, k *NodeKeyInput) (*db.Team, error) {
	node, err := s.store.NodeByID(ctx, k.NodeID)
	if errors.Is(err, db.ErrNotFound) || (err == nil && !actor.CanUseTeam(node.TeamID)) {
		return nil, &sb.Error{Code: sb.CodeNotFound, Message: "node not found", Fields: map[string]string{"node_id": "no such node"}}
	} else if err != nil {
		return nil, sb.Internal(err)
	}
	if k.TeamID != "" && k.TeamID != node.TeamID {
		return nil, &sb.Error{Code: sb.CodeInvalid, Message: "invalid request", Fields: map[string]string{"node_id": "is not a node of the chosen team"}}
	}
	t, err := s.store.TeamByID(ctx, node.TeamID)
	if err != nil {
		return nil, sb.Internal(err)
	}
	return t, nil
}

// Draft generates the key and secret; the secret is kept only as its
// keyed hash. A node with a live key is a conflict.
func (nodeKeyProvider) Draft(s *Service, actor sb.Actor, team *db.Team, k *NodeKeyInput) (*Draft, error) {
	d, err := s.nodeKeyDraft(k.NodeID, k.Name, k.Permissions, k.ExpiresAt)
	if err != nil {
		return nil, err
	}
	d.Audit["permissions"] = k.Permissions
	return d, nil
}

func (nodeKeyProvider) Status(r *Record) string { return nodeKeyStatus(r.row) }

// Actions: a key rolled into a successor cannot be rolled again (roll the
// successor) but can still be revoked to end its grace at once.
func (p nodeKeyProvider) Actions(r *Record) []string {
	return defaultActions(r, p.Status(r), r.row.RolledTo == nil)
}

// nodeKeyDraft makes a node key's draft with a new key and secret.
func (s *Service) nodeKeyDraft(nodeID, name string, perms []string, expires *time.Time) (*Draft, error) {
	apiKey, err := secrets.NewToken(NodeKeyPrefix)
	if err != nil {
		return nil, sb.Internal(err)
	}
	secret, err := secrets.NewToken(NodeSecretPrefix)
	if err != nil {
		return nil, sb.Internal(err)
	}
	return &Draft{
		Name: name, NodeID: &nodeID, UniqueKey: &nodeID, ExpiresAt: expires,
		Attrs:      nodeKeyAttrs{APIKey: apiKey, Permissions: perms},
		SecretHash: ptr(s.keys.MAC("node-secret", []byte(secret))),
		Shown: []RevealField{
			{Label: "API key", Name: "api_key", Value: apiKey},
			{Label: "Secret", Name: "secret", Value: secret},
		},
		RevealTitle: "Node API key " + name,
		Audit:       map[string]any{"name": name, "node_id": nodeID, "api_key_prefix": apiKey[:len(NodeKeyPrefix)+6]},
		Conflict:    &sb.Error{Code: sb.CodeConflict, Message: "API key already exists for this node", Fields: map[string]string{"node_id": "this node already has an active API key: revoke it first"}},
	}, nil
}

// NodeKeyOf reads a node key from its record, or false for another
// provider's. Stored attributes that do not parse are an internal error.
func NodeKeyOf(r *Record) (NodeKey, bool, error) {
	if r.Provider != ProviderNodeKey {
		return NodeKey{}, false, nil
	}
	k, err := nodeKeyFrom(r.row)
	return k, true, err
}

// nodeKeyStatus is a node key's status: active past its expiry is expired.
func nodeKeyStatus(r *db.IntegrationRow) string { return nodeKeyStatusAt(r, time.Now()) }

// nodeKeyStatusAt is nodeKeyStatus at now (the service's clock).
func nodeKeyStatusAt(r *db.IntegrationRow, now time.Time) string {
	if r.Status == StatusActive && r.ExpiresAt != nil && !now.Before(*r.ExpiresAt) {
		return StatusExpired
	}
	return r.Status
}

// nodeKeyFrom reads a node key from its row; attributes that do not parse
// are an internal error (a corrupt row, never shown as an empty key).
func nodeKeyFrom(r *db.IntegrationRow) (NodeKey, error) {
	var a nodeKeyAttrs
	if err := json.Unmarshal([]byte(r.Attrs), &a); err != nil {
		return NodeKey{}, sb.Internal(fmt.Errorf("node key %s: attrs: %w", r.ID, err))
	}
	if a.Permissions == nil {
		a.Permissions = []string{}
	}
	k := NodeKey{ID: r.ID, TeamID: r.TeamID, Name: r.Name, APIKey: a.APIKey, Permissions: a.Permissions, ExpiresAt: r.ExpiresAt, CreatedAt: r.CreatedAt, Status: r.Status, LastUsedAt: r.LastUsedAt}
	if r.NodeID != nil {
		k.NodeID = *r.NodeID
	}
	if r.RolledTo != nil {
		k.RolledTo = *r.RolledTo
	}
	k.Status = nodeKeyStatus(r)
	return k, nil
}

// VerifyNodeSecret reports whether secret is the one issued with the key
// (constant time; for the services that accept node keys).
func (s *Service) VerifyNodeSecret(rec *Record, secret string) bool {
	r := rec.row
	if r.SecretHash == nil || !secrets.CheckToken(NodeSecretPrefix, secret) {
		return false
	}
	return s.keys.VerifyMAC("node-secret", []byte(secret), *r.SecretHash)
}

// CheckNode returns not found unless the node exists and the actor may use its team.
func (s *Service) CheckNode(ctx context.Context, actor sb.Actor, nodeID string) error {
	node, err := s.store.NodeByID(ctx, nodeID)
	if errors.Is(err, db.ErrNotFound) || (err == nil && !actor.CanUseTeam(node.TeamID)) {
		return sb.Errorf(sb.CodeNotFound, "node not found")
	} else if err != nil {
		return sb.Internal(err)
	}
	return nil
}

// Verification of node keys by the services of their team.

// errKeyUnverified is the one answer to every failed verification: an
// unknown key, another team's, revoked, disabled, expired, or a wrong
// secret all look the same to the caller.
var errKeyUnverified = sb.Errorf(sb.CodeUnauthorized, "invalid API key or secret")

// keyUse tallies successful verifications per key between flushes, so a
// busy service costs no write per call; FlushKeyUse adds the tally to the
// per-key daily counts (a crash loses at most one interval's count, which
// is statistics, never access).
type keyUse struct {
	mu     sync.Mutex
	counts map[string]int64
	once   sync.Once
	dummy  string
	row    *db.IntegrationRow
	// decoy is the api_key of a real node key that the lookup of an
	// unknown key reads instead (see db.NodeKeyLookup); nil until picked,
	// and again when it is deleted.
	decoy atomic.Pointer[string]
}

// dummyHash is a keyed hash no secret matches, compared against when the
// key is unknown so that the unknown and the wrong-secret paths do the
// same work.
func (s *Service) dummyHash() string {
	s.dummyRow()
	return s.keyUse.dummy
}

// dummyRow stands in for a row when the lookup finds none (no node key
// exists, or the decoy was deleted): a node key of the same shape and size
// as a real one (uuids, a key of the real length, the permissions of a
// typical key, a creator token) whose hash no secret matches, decoded and
// compared as a row would be.
func (s *Service) dummyRow() *db.IntegrationRow {
	s.keyUse.once.Do(func() {
		s.keyUse.dummy = s.keys.MAC("node-secret", []byte(secrets.RandomID(32)))
		apiKey, err := secrets.NewToken(NodeKeyPrefix)
		if err != nil {
			apiKey = NodeKeyPrefix + secrets.RandomID(32)
		}
		attrs, _ := json.Marshal(nodeKeyAttrs{APIKey: apiKey, Permissions: []string{"payments.read"}})
		str := func(v string) *string { return &v }
		at := time.Unix(1700000000, 0).UTC()
		s.keyUse.row = &db.IntegrationRow{
			Integration: db.Integration{ID: uuid.NewString(), TeamID: uuid.NewString(), Provider: ProviderNodeKey, Name: "key 00000000",
				NodeID: str(uuid.NewString()), Status: StatusActive, UniqueKey: str(apiKey), Attrs: string(attrs),
				SecretHash: str(s.keyUse.dummy), Version: 1, CreatedByToken: str(uuid.NewString()), CreatedAt: at, UpdatedAt: at},
		}
	})
	return s.keyUse.row
}

// nodeKeyDecoy is the decoy for db.NodeKeyLookup: picked once (the oldest
// node key) and kept until a lookup finds it gone; "" while none exists.
func (s *Service) nodeKeyDecoy(ctx context.Context) (string, error) {
	if d := s.keyUse.decoy.Load(); d != nil {
		return *d, nil
	}
	d, err := s.store.NodeKeyDecoy(ctx, ProviderNodeKey)
	if err != nil || d == "" {
		return "", err
	}
	s.keyUse.decoy.Store(&d)
	return d, nil
}

// VerifyNodeKey checks an API key and secret for a service of the actor's
// team (a team API token; read-only is enough). Malformed values (wrong
// prefix, length, alphabet or checksum) are refused offline, before any
// query. Then the key is looked up by its value and the secret's keyed
// hash compared in constant time. For an unknown key the same query reads
// the row of a decoy, another real node key, through the same index (see
// db.NodeKeyLookup), and that row is decoded and its hash compared the
// same way: a wrong secret and an unknown key cost the same queries, the
// same row reads and the same hash computations. Any failure
// is the same unauthorized error. A success records the use (last_used_at
// at most once a minute, the daily count in memory until the next flush).
func (s *Service) VerifyNodeKey(ctx context.Context, actor sb.Actor, apiKey, secret string) (*NodeKey, error) {
	if !secrets.CheckToken(NodeKeyPrefix, apiKey) || !secrets.CheckToken(NodeSecretPrefix, secret) {
		return nil, errKeyUnverified
	}
	// One real node-key row whatever the key: its own, or the decoy's
	// (refused whatever the secret, as not found), decoded and compared alike.
	decoy, err := s.nodeKeyDecoy(ctx)
	if err != nil {
		return nil, sb.Internal(err)
	}
	r, found, err := s.store.NodeKeyLookup(ctx, ProviderNodeKey, apiKey, decoy)
	if err != nil {
		return nil, sb.Internal(err)
	}
	if r == nil {
		// Neither the key nor the decoy exists: no node key at all, or
		// the decoy was deleted (pick another next time).
		s.keyUse.decoy.Store(nil)
		r = s.dummyRow()
	}
	hash := s.dummyHash()
	if r.SecretHash != nil {
		hash = *r.SecretHash
	}
	k, kerr := nodeKeyFrom(r)
	// Always one keyed-hash comparison (hmac.Equal inside), whatever was found.
	secretOK := s.keys.VerifyMAC("node-secret", []byte(secret), hash)
	now := s.Now()
	active := nodeKeyStatusAt(r, now) == StatusActive
	teamOK := actor.CanUseTeam(r.TeamID)
	if !found || !secretOK || !teamOK || !active {
		return nil, errKeyUnverified
	}
	if kerr != nil {
		return nil, kerr
	}
	k.Status = StatusActive
	if r.LastUsedAt == nil || now.Sub(*r.LastUsedAt) > time.Minute {
		// Last use is a hint: a failed write does not fail the verification.
		if _, err := s.store.TouchIntegration(ctx, r.ID, now); err != nil {
			s.log.WarnContext(ctx, "record key use", "integration_id", r.ID, "err", err)
		}
	}
	s.keyUse.mu.Lock()
	if s.keyUse.counts == nil {
		s.keyUse.counts = map[string]int64{}
	}
	s.keyUse.counts[r.ID]++
	s.keyUse.mu.Unlock()
	return &k, nil
}

// FlushKeyUse adds the verifications tallied since the last flush to the
// keys' daily counts. On a failed write the tally is kept for the next.
func (s *Service) FlushKeyUse(ctx context.Context) error {
	s.keyUse.mu.Lock()
	counts := s.keyUse.counts
	s.keyUse.counts = nil
	s.keyUse.mu.Unlock()
	if len(counts) == 0 {
		return nil
	}
	if err := s.store.AddKeyVerifications(ctx, s.Now(), counts); err != nil {
		s.keyUse.mu.Lock()
		if s.keyUse.counts == nil {
			s.keyUse.counts = map[string]int64{}
		}
		for id, n := range counts {
			s.keyUse.counts[id] += n
		}
		s.keyUse.mu.Unlock()
		return sb.Internal(err)
	}
	return nil
}

// KeyVerificationsToday is how many times a key was verified today (UTC),
// as flushed so far; another team's key is not found.
func (s *Service) KeyVerificationsToday(ctx context.Context, actor sb.Actor, id string) (int64, error) {
	r, err := s.get(ctx, actor, id)
	if err != nil {
		return 0, err
	}
	n, err := s.store.KeyVerifications(ctx, r.ID, s.Now())
	if err != nil {
		return 0, sb.Internal(err)
	}
	return n, nil
}

// KeyUse is a node key record's last verification and whether it was rolled
// into a successor, from the record's columns (list rows have no attrs).
func (r *Record) KeyUse() (lastUsed *time.Time, rolled bool) {
	if r.row == nil {
		return nil, false
	}
	return r.row.LastUsedAt, r.row.RolledTo != nil
}
