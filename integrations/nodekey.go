package integrations

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	sb "switchboard"
	"switchboard/access"
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

// CreateNodeKey validates in, generates the key and secret, stores the
// secret only as its keyed hash and, with withReveal, a sealed reveal for the
// browser, all in one transaction. A node that already has a live key is a
// conflict; a node of another team is not found.
func (s *Service) CreateNodeKey(ctx context.Context, actor sb.Actor, in NodeKeyInput, withReveal bool) (*NodeKeyCreated, error) {
	if err := ValidateNodeKey(&in, s.Now()); err != nil {
		return nil, err
	}
	node, err := s.store.NodeByID(ctx, in.NodeID)
	if errors.Is(err, db.ErrNotFound) || (err == nil && !actor.CanUseTeam(node.TeamID)) {
		return nil, &sb.Error{Code: sb.CodeNotFound, Message: "node not found", Fields: map[string]string{"node_id": "no such node"}}
	} else if err != nil {
		return nil, sb.Internal(err)
	}
	if in.TeamID != "" && in.TeamID != node.TeamID {
		return nil, &sb.Error{Code: sb.CodeInvalid, Message: "invalid request", Fields: map[string]string{"node_id": "is not a node of the chosen team"}}
	}
	if actor.ReadOnly {
		return nil, sb.Errorf(sb.CodeForbidden, "this token is read-only")
	}
	row, apiKey, secret, err := s.newNodeKeyRow(actor, node.TeamID, node.ID, in.Name, in.Permissions, in.ExpiresAt)
	if err != nil {
		return nil, sb.Internal(err)
	}
	var reveal *db.Reveal
	if withReveal {
		if reveal, err = s.nodeKeyReveal(actor, row, apiKey, secret); err != nil {
			return nil, sb.Internal(err)
		}
	}
	audit := access.Audit(actor, access.Event{Action: access.ActionIntegrationCreate, TargetType: "integration", TargetID: row.ID, TeamID: node.TeamID, Details: map[string]any{
		"provider": ProviderNodeKey, "name": in.Name, "node_id": node.ID, "permissions": in.Permissions, "api_key_prefix": apiKey[:len(NodeKeyPrefix)+6],
	}})

	if err := s.store.CreateIntegration(ctx, row, reveal, audit); err != nil {
		if errors.Is(err, db.ErrConflict) {
			return nil, &sb.Error{Code: sb.CodeConflict, Message: "API key already exists for this node", Fields: map[string]string{"node_id": "this node already has an active API key: revoke it first"}}
		}
		return nil, sb.Internal(err)
	}
	out := &NodeKeyCreated{NodeKey: nodeKeyFrom(&db.IntegrationRow{Integration: *row}), Secret: secret}
	if reveal != nil {
		out.RevealID = reveal.ID
	}
	return out, nil
}

// newNodeKeyRow makes a node key row with a new key and secret; the secret
// is kept only as its keyed hash.
func (s *Service) newNodeKeyRow(actor sb.Actor, teamID, nodeID, name string, perms []string, expires *time.Time) (row *db.Integration, apiKey, secret string, err error) {
	if apiKey, err = secrets.NewToken(NodeKeyPrefix); err != nil {
		return nil, "", "", err
	}
	if secret, err = secrets.NewToken(NodeSecretPrefix); err != nil {
		return nil, "", "", err
	}
	attrs, err := json.Marshal(nodeKeyAttrs{APIKey: apiKey, Permissions: perms})
	if err != nil {
		return nil, "", "", err
	}
	row = &db.Integration{
		ID: uuid.NewString(), TeamID: teamID, Provider: ProviderNodeKey, Name: name,
		NodeID: &nodeID, Status: StatusActive, UniqueKey: &nodeID, Attrs: string(attrs),
		SecretHash: ptr(s.keys.MAC("node-secret", []byte(secret))), ExpiresAt: expires,
	}
	setCreator(row, actor)
	return row, apiKey, secret, nil
}

// nodeKeyReveal seals a node key's key and secret for its one showing.
func (s *Service) nodeKeyReveal(actor sb.Actor, row *db.Integration, apiKey, secret string) (*db.Reveal, error) {
	return s.NewReveal(actor.UserID, &row.ID, RevealPayload{
		Title: "Node API key " + row.Name, IntegrationID: row.ID, Next: "/integrations/" + row.ID,
		Fields: []RevealField{
			{Label: "API key", Name: "api_key", Value: apiKey},
			{Label: "Secret", Name: "secret", Value: secret},
		},
	})
}

// NodeKeyOf reads a node key from its row.
func NodeKeyOf(r *db.IntegrationRow) (NodeKey, bool) {
	if r.Provider != ProviderNodeKey {
		return NodeKey{}, false
	}
	return nodeKeyFrom(r), true
}

func nodeKeyFrom(r *db.IntegrationRow) NodeKey {
	var a nodeKeyAttrs
	json.Unmarshal([]byte(r.Attrs), &a)
	if a.Permissions == nil {
		a.Permissions = []string{}
	}
	k := NodeKey{ID: r.ID, TeamID: r.TeamID, Name: r.Name, APIKey: a.APIKey, Permissions: a.Permissions, ExpiresAt: r.ExpiresAt, CreatedAt: r.CreatedAt, Status: r.Status}
	if r.NodeID != nil {
		k.NodeID = *r.NodeID
	}
	if k.Status == StatusActive && k.ExpiresAt != nil && !time.Now().Before(*k.ExpiresAt) {
		k.Status = StatusExpired
	}
	return k
}

// VerifyNodeSecret reports whether secret is the one issued with the key
// (constant time; for the services that accept node keys).
func (s *Service) VerifyNodeSecret(r *db.IntegrationRow, secret string) bool {
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
