// Package syncs is the secret-sync family's domain: a team's secrets
// (environments, folders, keys with sealed, write-only values and versions),
// integration auths (sealed credentials for a target, or a reference to an
// Infisical app connection), integrations (one environment and folder kept
// synced into one target) and the sync engine that runs them from jobs
// claimed in the database. It knows nothing of HTTP; handlers call it.
package syncs

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
	sb "switchboard"
	"switchboard/access"
	"switchboard/db"
	"switchboard/netguard"
	"switchboard/secrets"
)

// ConnectionSource opens an Infisical app connection of a team for a sync,
// so an auth that references one uses its current credentials (a rotation
// of the connection reaches every sync at its next run).
type ConnectionSource interface {
	// ConnectionCredentials returns the connection's app, method and
	// credentials; sb.CodeNotFound when the team has no such connection.
	ConnectionCredentials(ctx context.Context, teamID, id string) (app, method string, creds map[string]any, err error)
}

// Service is the family's domain service.
type Service struct {
	store *db.DB
	keys  *secrets.Keyring
	log   *slog.Logger
	// Connections opens referenced app connections; nil refuses references.
	Connections ConnectionSource
	// Guard dials every outbound call of a sync.
	Guard netguard.Guard
	// CallTimeout bounds each outbound HTTP request.
	CallTimeout time.Duration
	// kick wakes this process's engine after an enqueue (other instances
	// find the job on their next poll).
	kick func()
}

// New returns a Service over an open, migrated store.
func New(store *db.DB, keys *secrets.Keyring, log *slog.Logger) *Service {
	return &Service{store: store, keys: keys, log: log, Guard: netguard.Guard{Timeout: 5 * time.Second}, CallTimeout: 15 * time.Second, kick: func() {}}
}

// HTTPClient is the client every target call uses: netguard's dialer (so a
// private address is refused after resolution unless allowed), no proxy
// from the environment, a time limit on each request.
func (s *Service) HTTPClient() *http.Client {
	tr := &http.Transport{DialContext: s.Guard.DialContext, TLSHandshakeTimeout: 5 * time.Second, ResponseHeaderTimeout: s.CallTimeout,
		MaxIdleConnsPerHost: 4, IdleConnTimeout: 30 * time.Second}
	return &http.Client{Transport: tr, Timeout: s.CallTimeout, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

var errReadOnly = sb.Errorf(sb.CodeForbidden, "You are not allowed to perform this action: this token is read-only")

// Team is the project (Infisical) a request names, as the domain sees it.
type Team struct {
	ID, Slug, Name string
}

// team resolves an Infisical projectId (workspaceId) to a team the actor
// may use; another team's id is not found, as if it did not exist.
func (s *Service) team(ctx context.Context, actor sb.Actor, projectID string) (*db.Team, error) {
	projectID = strings.TrimSpace(projectID)
	u, err := uuid.Parse(projectID)
	if err != nil || len(projectID) != 36 || !actor.CanUseTeam(u.String()) {
		return nil, sb.Errorf(sb.CodeNotFound, "Project with ID '%s' not found", clip(projectID, 64))
	}
	t, err := s.store.TeamByID(ctx, u.String())
	if errors.Is(err, db.ErrNotFound) {
		return nil, sb.Errorf(sb.CodeNotFound, "Project with ID '%s' not found", clip(projectID, 64))
	} else if err != nil {
		return nil, sb.Internal(err)
	}
	return t, nil
}

// Teams lists the teams the actor may use, for the pages' pickers.
func (s *Service) Teams(ctx context.Context, actor sb.Actor) ([]Team, error) {
	var ids []string
	if !actor.IsAdmin() {
		ids = append([]string{}, actor.Teams...)
	}
	ts, err := s.store.ListTeams(ctx, ids)
	if err != nil {
		return nil, sb.Internal(err)
	}
	out := make([]Team, len(ts))
	for i, t := range ts {
		out[i] = Team{ID: t.ID, Slug: t.Slug, Name: t.Name}
	}
	return out, nil
}

// Team returns one team the actor may use.
func (s *Service) Team(ctx context.Context, actor sb.Actor, id string) (*Team, error) {
	t, err := s.team(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	return &Team{ID: t.ID, Slug: t.Slug, Name: t.Name}, nil
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

func canonicalID(id string) (string, bool) {
	u, err := uuid.Parse(strings.TrimSpace(id))
	if err != nil || len(strings.TrimSpace(id)) != 36 {
		return "", false
	}
	return u.String(), true
}

// audit builds the family's audit rows the way every family does; action
// must be one of access's Action constants (the access test lists them).
func audit(actor sb.Actor, action access.Action, targetType, targetID, teamID string, details any) *db.AuditEvent {
	return access.Audit(actor, access.Event{Action: action, TargetType: targetType, TargetID: targetID, TeamID: teamID, Details: details})
}

func actorLabel(a sb.Actor) string {
	if a.Email != "" {
		return a.Email
	}
	if a.TokenID != "" {
		return "token " + a.TokenID[:8]
	}
	return ""
}

func secretAAD(id string) []byte { return []byte("team_secret:" + id) }
func authAAD(id string) []byte   { return []byte("integration_auth:" + id) }
