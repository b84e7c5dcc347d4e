package access

import (
	"context"
	"encoding/base64"
	"strings"
	"time"

	"github.com/google/uuid"
	sb "switchboard"
	"switchboard/db"
)

// AuditQuery is what the audit page, the API and the exports filter by. Its
// values come from a query string; none is ever a secret.
type AuditQuery struct {
	// Team is a team id.
	Team string
	// Actor is a user or token id (exact) or part of an actor's label
	// (email, "token NAME"), compared without case.
	Actor string
	// Action is an action name, or a prefix ending in "." or ".*"
	// ("integration." keeps every integration action).
	Action string
	// From (inclusive) and To (exclusive) bound the time.
	From, To *time.Time
	// Cursor is the NextCursor of the page before.
	Cursor string
	// Limit is the page size: 0 means DefaultAuditLimit, at most db.MaxAuditLimit.
	Limit int
}

// AuditEvent is one audit row as the audit page, its exports and its API
// show it (the store's row, converted so no handler needs the store).
type AuditEvent struct {
	ID         string
	At         time.Time
	ActorType  string
	ActorID    string
	ActorLabel string
	TeamID     *string
	Action     string
	TargetType string
	TargetID   string
	IP         string
	UserAgent  string
	Details    string
}

// DefaultAuditLimit is the page size when a query names none.
const DefaultAuditLimit = 50

// AuditPage is one page of audit events, newest first.
type AuditPage struct {
	Events []AuditEvent
	// NextCursor fetches the older events; empty on the last page.
	NextCursor string
	// TargetNames names the page's targets that still exist, by
	// "type/id" (the console shows a name and a link instead of an id).
	TargetNames map[string]string
}

// AuditEvents returns one page of the audit events actor may see: admins
// every row; support users the rows of their teams and their own sign-ins;
// a token its team's rows. A team filter naming a team the actor may not
// see matches nothing (an empty page, not an error that would confirm the
// team exists).
func (s *Service) AuditEvents(ctx context.Context, actor sb.Actor, q AuditQuery) (*AuditPage, error) {
	f, ok, err := auditFilter(actor, q)
	if err != nil {
		return nil, err
	}
	page := &AuditPage{}
	if !ok {
		return page, nil
	}
	f.Limit++ // one more row tells whether an older page exists
	events, err := s.store.ListAudit(ctx, f)
	if err != nil {
		return nil, sb.Internal(err)
	}
	if len(events) == f.Limit {
		events = events[:f.Limit-1]
		last := events[len(events)-1]
		page.NextCursor = EncodeAuditCursor(last.At, last.ID)
	}
	page.Events = make([]AuditEvent, len(events))
	ids := map[string][]string{}
	for i, e := range events {
		page.Events[i] = AuditEvent(e)
		if e.TargetID != "" && isUUID(e.TargetID) {
			ids[e.TargetType] = append(ids[e.TargetType], e.TargetID)
		}
	}
	if page.TargetNames, err = s.store.AuditTargetNames(ctx, ids); err != nil {
		return nil, sb.Internal(err)
	}
	return page, nil
}

// CheckAuditQuery reports a query's invalid values as AuditEvents and
// ExportAudit would, so an export can refuse before its answer starts.
func (s *Service) CheckAuditQuery(actor sb.Actor, q AuditQuery) error {
	_, _, err := auditFilter(actor, q)
	return err
}

// ExportAudit calls fn for every event of the filtered set actor may see
// (the query's cursor and limit are ignored), newest first, in keyset
// batches: memory stays bounded whatever the set's size.
func (s *Service) ExportAudit(ctx context.Context, actor sb.Actor, q AuditQuery, fn func(AuditEvent) error) error {
	q.Cursor, q.Limit = "", 0
	f, ok, err := auditFilter(actor, q)
	if err != nil || !ok {
		return err
	}
	f.Limit = db.MaxAuditLimit
	if err := s.store.EachAudit(ctx, f, func(e db.AuditEvent) error { return fn(AuditEvent(e)) }); err != nil {
		return sb.Internal(err) // the store's, or fn's (the client went away)
	}
	return nil
}

// auditFilter turns a query into the store's filter within actor's scope;
// ok is false when nothing can match.
func auditFilter(actor sb.Actor, q AuditQuery) (db.AuditFilter, bool, error) {
	v := sb.Validation{}
	f := db.AuditFilter{From: q.From, To: q.To}
	if q.Limit < 0 || q.Limit > db.MaxAuditLimit {
		v.Add("limit", "must be between 1 and 500")
	}
	f.Limit = q.Limit
	if f.Limit == 0 {
		f.Limit = DefaultAuditLimit
	}
	if q.From != nil && q.To != nil && !q.To.After(*q.From) {
		v.Add("to", "must be after from")
	}
	if team := strings.TrimSpace(q.Team); team != "" {
		u, err := uuid.Parse(team)
		if err != nil {
			v.Add("team", "must be a team id")
		}
		f.TeamID = u.String()
	}
	if a := strings.TrimSpace(q.Actor); a != "" {
		if u, err := uuid.Parse(a); err == nil && len(a) == 36 {
			f.ActorID = u.String()
		} else if len(a) > 254 {
			v.Add("actor", "must be at most 254 characters")
		} else {
			f.ActorLike = a
		}
	}
	switch a := strings.TrimSpace(q.Action); {
	case len(a) > 100:
		v.Add("action", "must be at most 100 characters")
	case strings.HasSuffix(a, ".*"):
		f.ActionPrefix = strings.TrimSuffix(a, "*")
	case strings.HasSuffix(a, "."):
		f.ActionPrefix = a
	default:
		f.Action = a
	}
	if q.Cursor != "" {
		at, id, err := ParseAuditCursor(q.Cursor)
		if err != nil {
			v.Add("cursor", "is not a cursor this API returned")
		}
		f.BeforeAt, f.BeforeID = &at, id
	}
	if err := v.Err(); err != nil {
		return f, false, err
	}
	if !actor.IsAdmin() {
		f.Scoped, f.TeamIDs = true, append([]string{}, actor.Teams...)
		if actor.TokenID == "" {
			f.SelfID = actor.UserID
		}
		if f.TeamID != "" && !actor.CanUseTeam(f.TeamID) {
			return f, false, nil
		}
	}
	return f, true, nil
}

// EncodeAuditCursor returns the opaque cursor of the page after the event
// at (at, id).
func EncodeAuditCursor(at time.Time, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(at.UTC().Format(time.RFC3339Nano) + "|" + id))
}

// ParseAuditCursor reads a cursor made by EncodeAuditCursor.
func ParseAuditCursor(c string) (time.Time, string, error) {
	bad := sb.Errorf(sb.CodeInvalid, "bad cursor")
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return time.Time{}, "", bad
	}
	ts, id, ok := strings.Cut(string(b), "|")
	at, err := time.Parse(time.RFC3339Nano, ts)
	if !ok || err != nil {
		return time.Time{}, "", bad
	}
	u, err := uuid.Parse(id)
	if err != nil || len(id) != 36 {
		return time.Time{}, "", bad
	}
	return at, u.String(), nil
}
