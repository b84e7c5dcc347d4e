package integrations

import (
	"context"
	"encoding/base64"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	sb "switchboard"
	"switchboard/db"
)

// PageSize is the number of rows of one page of the integrations list.
const PageSize = 50

// PageQuery is one page of the integrations list: its filters and at most
// one of the two cursors (Before: the page older than it, After: the page
// newer than it), as Page returned them.
type PageQuery struct {
	TeamID   string
	Provider string
	Status   string
	Name     string
	Before   string
	After    string
}

// Page is a page of the integrations list, newest first (in name order
// for a name search: ByName).
type Page struct {
	Rows []*Record
	// Older and Newer are the cursors of the pages either side ("" when
	// there is none): for a name search, the next and the previous page.
	Older, Newer string
	ByName       bool
}

// Cursor is the keyset position of a record in the list, opaque to callers.
func Cursor(r *Record) string {
	return strconv.FormatInt(r.CreatedAt.UnixMicro(), 10) + "." + r.ID
}

// nameCursor is the keyset position of a record in a name search, which
// lists in name order: "n", the lower-cased name as the database orders it
// (base64url), ".", the id.
func nameCursor(r *Record) string {
	key := ""
	if r.row != nil {
		key = r.row.NameKey
	}
	return "n" + base64.RawURLEncoding.EncodeToString([]byte(key)) + "." + r.ID
}

func parseNameCursor(s string) (string, string, bool) {
	rest, ok := strings.CutPrefix(s, "n")
	if !ok {
		return "", "", false
	}
	enc, id, ok := strings.Cut(rest, ".")
	if !ok || len(enc) > 2048 {
		return "", "", false
	}
	key, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil || !utf8.Valid(key) {
		return "", "", false
	}
	if u, err := uuid.Parse(id); err != nil || len(id) != 36 || u.String() != id {
		return "", "", false
	}
	return string(key), id, true
}

func parseCursor(s string) (*time.Time, string, bool) {
	at, id, ok := strings.Cut(s, ".")
	if !ok {
		return nil, "", false
	}
	us, err := strconv.ParseInt(at, 10, 64)
	if err != nil || us < 0 {
		return nil, "", false
	}
	if u, err := uuid.Parse(id); err != nil || len(id) != 36 || u.String() != id {
		return nil, "", false
	}
	t := time.UnixMicro(us).UTC()
	return &t, id, true
}

// ListPage returns a page of the integrations the actor may see, with the
// list's filters, by keyset: the page is PageSize rows read through an
// index whatever the table's size. A bad cursor, status or provider is an
// invalid error naming the parameter; a team the actor may not use is an
// empty page, as for the JSON lists.
func (s *Service) ListPage(ctx context.Context, actor sb.Actor, q PageQuery) (*Page, error) {
	f := db.IntegrationFilter{Provider: q.Provider, Status: q.Status, NamePrefix: strings.TrimSpace(q.Name), Limit: PageSize + 1}
	v := sb.Validation{}
	if q.Provider != "" {
		if _, ok := ProviderByKey(q.Provider); !ok {
			v.Add("provider", "choose a provider from the list")
		}
	}
	switch q.Status {
	case "", StatusActive, StatusDisabled, StatusRevoked, StatusExpired:
	default:
		v.Add("status", "choose active, disabled, revoked or expired")
	}
	if len(f.NamePrefix) > 255 {
		v.Add("name", "is at most 255 characters")
	}
	for name, c := range map[string]string{"before": q.Before, "after": q.After} {
		if c == "" {
			continue
		}
		if f.NamePrefix != "" {
			key, id, ok := parseNameCursor(c)
			if !ok {
				v.Add(name, "is not a page of this list: start again from the first page")
			} else if name == "before" {
				f.BeforeName, f.BeforeID = key, id
			} else {
				f.AfterName, f.AfterID = key, id
			}
			continue
		}
		at, id, ok := parseCursor(c)
		if !ok {
			v.Add(name, "is not a page of this list: start again from the first page")
			continue
		}
		if name == "before" {
			f.BeforeAt, f.BeforeID = at, id
		} else {
			f.AfterAt, f.AfterID = at, id
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if f.BeforeAt != nil && f.AfterAt != nil {
		f.AfterAt = nil // one direction: older wins
	}
	if f.BeforeID != "" && f.AfterID != "" && f.NamePrefix != "" {
		f.AfterName, f.AfterID = "", "" // one direction: next wins
	}
	if !actor.IsAdmin() {
		f.TeamIDs = append([]string{}, actor.Teams...)
	}
	if q.TeamID != "" {
		if !actor.CanUseTeam(q.TeamID) {
			return &Page{}, nil
		}
		f.TeamIDs = []string{q.TeamID}
	}
	rows, err := s.store.ListIntegrationSummaries(ctx, f)
	if err != nil {
		return nil, sb.Internal(err)
	}
	p := &Page{}
	// One row more than a page says whether another follows in the
	// direction read; the direction came from says there is one that way.
	more := len(rows) > PageSize
	// after: the page was read backwards from an After cursor; before: it
	// was read forwards from a Before cursor.
	after, before, cursor := f.AfterAt != nil, f.BeforeAt != nil, Cursor
	if f.NamePrefix != "" {
		p.ByName = true
		after, before, cursor = f.AfterID != "", f.BeforeID != "", nameCursor
	}
	if more && after {
		rows = rows[1:] // read backwards: the extra one is the first of the page before
	} else if more {
		rows = rows[:PageSize]
	}
	p.Rows = make([]*Record, len(rows))
	for i := range rows {
		p.Rows[i] = recordOf(&rows[i])
	}
	if len(p.Rows) == 0 {
		return p, nil
	}
	first, last := p.Rows[0], p.Rows[len(p.Rows)-1]
	if after {
		p.Older = cursor(last)
		if more {
			p.Newer = cursor(first)
		}
	} else {
		if more {
			p.Older = cursor(last)
		}
		if before {
			p.Newer = cursor(first)
		}
	}
	return p, nil
}

// Kind is what a record of the list is in the provider's own words: the
// Infisical app ("PostgreSQL"), the LaunchDarkly integration ("Datadog
// Events"), rather than the provider family. It is the family's title when
// the record has no sub-kind.
func (s *Service) Kind(r *Record) string {
	kind := ""
	if r.row != nil {
		kind = r.row.Kind
	}
	switch r.Provider {
	case ProviderInfisical:
		if a, ok := InfisicalAppBySlug(kind); ok {
			return a.Name
		}
	case ProviderLaunchDarkly:
		if s.Manifests != nil {
			if m, ok := s.Manifests.Get(kind); ok {
				return m.Name
			}
		}
	case ProviderOnePassword:
		return "1Password"
	}
	if p, ok := ProviderByKey(r.Provider); ok {
		return p.Info().Title
	}
	return r.Provider
}

// ReplacedBy is the id of the integration that replaced a rotated record
// (set on list pages' records only), or "".
func (r *Record) ReplacedBy() string {
	if r.row == nil || r.row.ReplacedBy == nil {
		return ""
	}
	return *r.row.ReplacedBy
}

// Replaces is the id of the integration a rotation's successor replaced, or "".
func (r *Record) Replaces() string {
	if r.row == nil || r.row.ReplacesID == nil {
		return ""
	}
	return *r.row.ReplacesID
}
