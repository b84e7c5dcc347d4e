// Package webhooks sends audit events out as signed HTTP POSTs: endpoints
// (a URL, the events it wants, a secret shown once and sealed at rest), the
// deliveries the store queues in the audit write's own transaction, and the
// dispatcher that claims due deliveries (once across instances), signs and
// posts them through netguard, and retries with exponential backoff for 24
// hours.
package webhooks

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	sb "switchboard"
	"switchboard/access"
	"switchboard/db"
	"switchboard/netguard"
	"switchboard/secrets"
)

// SecretPrefix begins every endpoint signing secret.
const SecretPrefix = "sbwh_"

// SignatureHeader carries "t=<unix>,v1=<hex HMAC-SHA256(secret, t.body)>".
const SignatureHeader = "Switchboard-Signature"

// Service manages endpoints and their delivery logs.
type Service struct {
	store *db.DB
	keys  *secrets.Keyring
	log   *slog.Logger
	// Now is the clock, replaceable in tests.
	Now func() time.Time
	// Guard dials every delivery; AllowPrivate also allows plain http.
	Guard netguard.Guard
}

// New returns a Service.
func New(store *db.DB, keys *secrets.Keyring, log *slog.Logger) *Service {
	return &Service{store: store, keys: keys, log: log, Now: time.Now, Guard: netguard.Guard{Timeout: 10 * time.Second}}
}

func aad(id string) []byte { return []byte("webhook:" + id) }

// Input is what adding an endpoint takes.
type Input struct {
	// TeamID is the team whose events it gets; "" (admins only) is every
	// team's and the events of none.
	TeamID string
	URL    string
	// Events is "all" (or empty), a prefix ending in "." such as
	// "integration.", or a list of actions separated by commas or spaces.
	Events string
}

// Endpoint is an endpoint as pages show it (never its secret).
type Endpoint struct {
	db.WebhookEndpoint
}

// EventsLabel says which events it gets.
func (e Endpoint) EventsLabel() string {
	switch e.EventsMode {
	case "all":
		return "all events"
	case "prefix":
		return e.Events + "*"
	default:
		return strings.ReplaceAll(strings.Trim(e.Events, ","), ",", ", ")
	}
}

// parseEvents turns the events field into a mode and its stored value.
func parseEvents(v sb.Validation, in string) (string, string) {
	in = strings.TrimSpace(in)
	if in == "" || in == "all" || in == "*" {
		return "all", ""
	}
	known := func(a string) bool { return slices.Contains(access.AuditActions, access.Action(a)) }
	if strings.HasSuffix(in, ".") && !strings.ContainsAny(in, ", ") {
		for _, a := range access.AuditActions {
			if strings.HasPrefix(string(a), in) {
				return "prefix", in
			}
		}
		v.Add("events", "no action starts with "+in)
		return "", ""
	}
	var list []string
	for _, a := range strings.FieldsFunc(in, func(r rune) bool { return r == ',' || r == ' ' }) {
		if !known(a) {
			v.Add("events", "unknown action "+strconv.Quote(a)+": use all, a prefix such as integration., or actions from the audit log")
			return "", ""
		}
		if !slices.Contains(list, a) {
			list = append(list, a)
		}
	}
	return "list", "," + strings.Join(list, ",") + ","
}

// Create adds an endpoint and returns its signing secret, once. Support
// staff add endpoints for their teams only; an endpoint for every team is
// an admin's. The URL must be https unless private targets are allowed.
func (s *Service) Create(ctx context.Context, actor sb.Actor, in Input) (string, *Endpoint, error) {
	if actor.UserID == "" || actor.TokenID != "" {
		return "", nil, sb.Errorf(sb.CodeForbidden, "webhooks are added by people")
	}
	v := sb.Validation{}
	in.TeamID = strings.TrimSpace(in.TeamID)
	switch {
	case in.TeamID == "" && !actor.IsAdmin():
		v.Add("team_id", "choose one of your teams")
	case in.TeamID != "" && !actor.CanUseTeam(in.TeamID):
		v.Add("team_id", "choose one of your teams")
	}
	raw := strings.TrimSpace(in.URL)
	u, err := url.Parse(raw)
	switch {
	case raw == "":
		v.Add("url", "is required")
	case err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http"):
		v.Add("url", "must be an absolute https:// URL")
	case u.Scheme != "https" && !s.Guard.AllowPrivate:
		v.Add("url", "must use https")
	case u.User != nil:
		v.Add("url", "must not carry a user name or password")
	case len(raw) > 2000:
		v.Add("url", "must be at most 2000 characters")
	}
	mode, events := parseEvents(v, in.Events)
	if err := v.Err(); err != nil {
		return "", nil, err
	}
	if in.TeamID != "" {
		if _, err := s.store.TeamByID(ctx, in.TeamID); errors.Is(err, db.ErrNotFound) {
			return "", nil, &sb.Error{Code: sb.CodeInvalid, Message: "invalid request", Fields: map[string]string{"team_id": "choose one of your teams"}}
		} else if err != nil {
			return "", nil, sb.Internal(err)
		}
	}
	secret, err := secrets.NewToken(SecretPrefix)
	if err != nil {
		return "", nil, sb.Internal(err)
	}
	w := &db.WebhookEndpoint{ID: uuid.NewString(), URL: raw, EventsMode: mode, Events: events, Enabled: true, CreatedBy: &actor.UserID}
	if in.TeamID != "" {
		w.TeamID = &in.TeamID
	}
	w.SecretKeyID, w.SecretCiphertext, err = s.keys.Seal([]byte(secret), aad(w.ID))
	if err != nil {
		return "", nil, sb.Internal(err)
	}
	ep := &Endpoint{*w}
	audit := access.Audit(actor, access.Event{Action: access.ActionWebhookCreate, TargetType: "webhook", TargetID: w.ID, TeamID: in.TeamID,
		Details: map[string]any{"url": raw, "events": ep.EventsLabel()}})
	if err := s.store.CreateWebhookEndpoint(ctx, w, audit); err != nil {
		return "", nil, sb.Internal(err)
	}
	return secret, ep, nil
}

// List returns the endpoints the actor may see: an admin every one,
// support staff their teams'.
func (s *Service) List(ctx context.Context, actor sb.Actor) ([]Endpoint, error) {
	var teams []string
	if !actor.IsAdmin() {
		teams = append([]string{}, actor.Teams...)
	}
	rows, err := s.store.ListWebhookEndpoints(ctx, teams)
	if err != nil {
		return nil, sb.Internal(err)
	}
	out := make([]Endpoint, len(rows))
	for i := range rows {
		out[i] = Endpoint{rows[i]}
	}
	return out, nil
}

var errNotFound = sb.Errorf(sb.CodeNotFound, "webhook not found")

// Get returns an endpoint the actor may see; any other is not found.
func (s *Service) Get(ctx context.Context, actor sb.Actor, id string) (*Endpoint, error) {
	if u, err := uuid.Parse(id); err != nil || len(id) != 36 {
		return nil, errNotFound
	} else {
		id = u.String()
	}
	w, err := s.store.WebhookEndpointByID(ctx, id)
	if errors.Is(err, db.ErrNotFound) {
		return nil, errNotFound
	} else if err != nil {
		return nil, sb.Internal(err)
	}
	if actor.UserID == "" || (!actor.IsAdmin() && (w.TeamID == nil || !actor.CanUseTeam(*w.TeamID))) {
		return nil, errNotFound
	}
	return &Endpoint{*w}, nil
}

// Deliveries is an endpoint's delivery log, newest first.
func (s *Service) Deliveries(ctx context.Context, actor sb.Actor, id string) ([]db.WebhookDelivery, error) {
	ep, err := s.Get(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	out, err := s.store.ListWebhookDeliveries(ctx, ep.ID, 100)
	if err != nil {
		return nil, sb.Internal(err)
	}
	return out, nil
}

// Redeliver queues one delivery of an endpoint again, now.
func (s *Service) Redeliver(ctx context.Context, actor sb.Actor, id, eventID string) error {
	ep, err := s.Get(ctx, actor, id)
	if err != nil {
		return err
	}
	if _, err := uuid.Parse(eventID); err != nil {
		return errNotFound
	}
	if err := s.store.RedeliverWebhook(ctx, ep.ID, eventID, s.Now()); errors.Is(err, db.ErrNotFound) {
		return errNotFound
	} else if err != nil {
		return sb.Internal(err)
	}
	return nil
}

// Enable enables a disabled endpoint again.
func (s *Service) Enable(ctx context.Context, actor sb.Actor, id string) error {
	return s.setEnabled(ctx, actor, id, true)
}

// Disable stops deliveries to an endpoint until it is enabled again: no
// event of the meantime is queued for it, and retries already queued wait.
func (s *Service) Disable(ctx context.Context, actor sb.Actor, id string) error {
	return s.setEnabled(ctx, actor, id, false)
}

func (s *Service) setEnabled(ctx context.Context, actor sb.Actor, id string, enabled bool) error {
	ep, err := s.Get(ctx, actor, id)
	if err != nil {
		return err
	}
	action := access.ActionWebhookDisable
	if enabled {
		action = access.ActionWebhookEnable
	}
	audit := access.Audit(actor, access.Event{Action: action, TargetType: "webhook", TargetID: ep.ID, TeamID: ep.team(), Details: map[string]any{"url": ep.URL}})
	if err := s.store.SetWebhookEnabled(ctx, ep.ID, enabled, audit); errors.Is(err, db.ErrNotFound) {
		return errNotFound
	} else if err != nil {
		return sb.Internal(err)
	}
	return nil
}

// Delete removes an endpoint, its sealed secret and its delivery log.
func (s *Service) Delete(ctx context.Context, actor sb.Actor, id string) (*Endpoint, error) {
	ep, err := s.Get(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	audit := access.Audit(actor, access.Event{Action: access.ActionWebhookDelete, TargetType: "webhook", TargetID: ep.ID, TeamID: ep.team(),
		Details: map[string]any{"url": ep.URL, "events": ep.EventsLabel()}})
	if err := s.store.DeleteWebhookEndpoint(ctx, ep.ID, audit); errors.Is(err, db.ErrNotFound) {
		return nil, errNotFound
	} else if err != nil {
		return nil, sb.Internal(err)
	}
	return ep, nil
}

func (e Endpoint) team() string {
	if e.TeamID == nil {
		return ""
	}
	return *e.TeamID
}

// Sign returns the Switchboard-Signature value of body at t under secret.
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts + "."))
	m.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(m.Sum(nil))
}

// Payload is a delivery's body: the audit event (which never holds a
// secret), without the client's IP address and user agent.
type Payload struct {
	ID     string          `json:"id"`
	Type   string          `json:"type"`
	At     string          `json:"created_at"`
	TeamID *string         `json:"team_id"`
	Actor  PayloadRef      `json:"actor"`
	Target PayloadRef      `json:"target"`
	Data   json.RawMessage `json:"details"`
}

// PayloadRef names an actor or a target.
type PayloadRef struct {
	Type  string `json:"type"`
	ID    string `json:"id"`
	Label string `json:"label,omitempty"`
}

func payload(e *db.AuditEvent) ([]byte, error) {
	details := json.RawMessage(e.Details)
	if !json.Valid(details) {
		details = json.RawMessage("{}")
	}
	return json.Marshal(Payload{ID: e.ID, Type: e.Action, At: e.At.UTC().Format(time.RFC3339Nano), TeamID: e.TeamID,
		Actor: PayloadRef{Type: e.ActorType, ID: e.ActorID, Label: e.ActorLabel}, Target: PayloadRef{Type: e.TargetType, ID: e.TargetID}, Data: details})
}
