package handlers

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	sb "switchboard"
	"switchboard/access"
	"switchboard/views"
)

// auditParams are the query parameters of the audit page, the API and the exports.
var auditParams = []string{"team", "actor", "action", "from", "to"}

// parseAuditTime reads an RFC 3339 time, or a datetime-local value (the
// page's inputs: no zone, read as UTC).
func parseAuditTime(s string) (*time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04"} {
		if t, err := time.Parse(layout, s); err == nil {
			t = t.UTC()
			return &t, true
		}
	}
	return nil, false
}

// auditQuery decodes the filter of the query string; withLimit reads limit
// too (the API's). Bad values are one invalid error naming each parameter.
func auditQuery(c *fiber.Ctx, withLimit bool) (access.AuditQuery, error) {
	q := access.AuditQuery{Team: c.Query("team"), Actor: c.Query("actor"), Action: c.Query("action"), Cursor: c.Query("cursor")}
	v := sb.Validation{}
	for name, dst := range map[string]**time.Time{"from": &q.From, "to": &q.To} {
		if s := strings.TrimSpace(c.Query(name)); s != "" {
			t, ok := parseAuditTime(s)
			if !ok {
				if withLimit {
					v.Add(name, "must be an RFC 3339 time such as 2026-01-02T15:04:05Z")
				} else {
					// The page's date pickers (and a hand-edited URL).
					v.Add(name, "must be a date and time, such as 2026-01-02 15:04 (UTC): pick one or leave it empty")
				}
			}
			*dst = t
		}
	}
	if s := c.Query("limit"); withLimit && s != "" {
		// The range is the domain's to check (access.AuditEvents).
		n, err := strconv.Atoi(s)
		if err != nil || n == 0 {
			v.Add("limit", "must be a number between 1 and 500")
		}
		q.Limit = n
	}
	return q, v.Err()
}

// auditFilterQuery is the query string of the filter alone ("" when none).
func auditFilterQuery(c *fiber.Ctx) url.Values {
	vals := url.Values{}
	for _, p := range auditParams {
		if s := c.Query(p); s != "" {
			vals.Set(p, s)
		}
	}
	return vals
}

// AuditList shows the audit log page with its filters; an htmx request (the
// "Older events" link) gets only the next rows.
func (h *Handlers) AuditList(c *fiber.Ctx) error {
	ctx, actor := c.UserContext(), Actor(c)
	teams, err := h.Access.Teams(ctx, actor)
	if err != nil {
		return uiError(c, err)
	}
	names := map[string]string{}
	actions := make([]string, len(access.AuditActions))
	for i, a := range access.AuditActions {
		actions[i] = string(a)
	}
	v := views.AuditView{Actions: actions, Team: c.Query("team"), Actor: c.Query("actor"), Action: c.Query("action"), From: c.Query("from"), To: c.Query("to")}
	for _, t := range teams {
		v.Teams = append(v.Teams, views.Option{Value: t.ID, Label: t.Name})
		names[t.ID] = t.Name
	}
	filter := auditFilterQuery(c)
	if len(filter) > 0 {
		v.ExportQuery = "?" + filter.Encode()
	}
	status := fiber.StatusOK
	q, err := auditQuery(c, false)
	var p *access.AuditPage
	if err == nil {
		p, err = h.Access.AuditEvents(ctx, actor, q)
	}
	if err != nil {
		errs, ok := fieldErrors(err)
		if !ok {
			return uiError(c, err)
		}
		status, v.Errors = fiber.StatusBadRequest, errs
	} else {
		for _, e := range p.Events {
			v.Rows = append(v.Rows, auditRow(e, names, p.TargetNames, actor.IsAdmin()))
		}
		if p.NextCursor != "" {
			filter.Set("cursor", p.NextCursor)
			v.NextHref = "/audit?" + filter.Encode()
		}
	}
	return page(c, status, "Audit log", "audit", views.Audit(v), views.AuditRows(v))
}

func auditRow(e access.AuditEvent, teams, targets map[string]string, admin bool) views.AuditRow {
	compact, recorded := details(e.Details)
	r := views.AuditRow{At: e.At.UTC().Format("2006-01-02 15:04:05 UTC"), Actor: e.ActorLabel, ActorType: e.ActorType,
		Action: e.Action, IP: e.IP, UserAgent: e.UserAgent, Details: compact}
	if r.Actor == "" {
		r.Actor = e.ActorID
	}
	// A token's label is "token <name>" (its actor's email); the type is
	// shown in front of it already.
	if rest, ok := strings.CutPrefix(r.Actor, e.ActorType+" "); ok && rest != "" {
		r.Actor = rest
	}
	if e.TeamID != nil {
		r.Team = teams[*e.TeamID]
		if r.Team == "" {
			r.Team = *e.TeamID
		}
	}
	if e.TargetType != "" || e.TargetID != "" {
		r.Target = strings.TrimPrefix(e.TargetType+" "+e.TargetID, " ")
		r.TargetType = strings.ReplaceAll(e.TargetType, "_", " ")
		r.TargetID = e.TargetID
		if name, ok := targets[e.TargetType+"/"+e.TargetID]; ok {
			r.TargetName = name
			r.TargetHref = auditTargetHref(e, admin)
		} else {
			r.TargetName = recorded
			r.TargetGone = e.TargetID != ""
		}
	}
	return r
}

// auditTargetHref is the page of a target that still exists, or "" when
// there is none the viewer may open.
func auditTargetHref(e access.AuditEvent, admin bool) string {
	team := ""
	if e.TeamID != nil {
		team = *e.TeamID
	}
	switch {
	case e.TargetType == "integration":
		return "/integrations/" + e.TargetID
	case e.TargetType == "api_token" && team != "":
		return "/tokens?team=" + team
	case e.TargetType == "node" && team != "":
		return "/nodes?team=" + team
	case e.TargetType == "user" && admin:
		return "/users/" + e.TargetID
	case e.TargetType == "team" && admin:
		return "/teams/" + e.TargetID
	}
	return ""
}

// details reads an event's details object once: as sorted key=value
// pairs (string values unquoted; the raw details when they are not an
// object), and the name it recorded ("name", else "email"; a deleted
// target's last name), or "".
func details(raw string) (compact, name string) {
	members, ok := flatMembers(raw)
	if !ok {
		var m map[string]json.RawMessage
		if json.Unmarshal([]byte(raw), &m) != nil {
			return raw, ""
		}
		members = members[:0]
		for k, v := range m {
			members = append(members, [2]string{k, string(v)})
		}
	}
	// Sorted by key; of a key given twice the last counts, as for json.
	sort.SliceStable(members, func(i, j int) bool { return members[i][0] < members[j][0] })
	for i := len(members) - 2; i >= 0; i-- {
		if members[i][0] == members[i+1][0] {
			members = append(members[:i], members[i+1:]...)
		}
	}
	var b strings.Builder
	email := ""
	for i, kv := range members {
		if i > 0 {
			b.WriteByte(' ')
		}
		k, v := kv[0], kv[1]
		b.WriteString(k)
		b.WriteByte('=')
		if str, ok := jsonString(v); ok {
			b.WriteString(str)
			switch k {
			case "name":
				name = str
			case "email":
				email = str
			}
			continue
		}
		b.WriteString(v)
	}
	if name == "" {
		name = email
	}
	return b.String(), name
}

// flatMembers splits the JSON object raw into its members (key unquoted,
// value raw) when every key is a plain string and every value a string,
// number, true, false or null: what the audit details we write hold. ok is
// false for anything else, which json then reads.
func flatMembers(raw string) (members [][2]string, ok bool) {
	s := strings.TrimSpace(raw)
	if len(s) < 2 || s[0] != '{' || s[len(s)-1] != '}' {
		return nil, false
	}
	s = strings.TrimSpace(s[1 : len(s)-1])
	for s != "" {
		if s[0] != '"' {
			return nil, false
		}
		end := strings.IndexByte(s[1:], '"') + 1
		if end <= 0 || strings.ContainsAny(s[1:end], `\`) {
			return nil, false
		}
		key := s[1:end]
		s = strings.TrimSpace(s[end+1:])
		if s == "" || s[0] != ':' {
			return nil, false
		}
		s = strings.TrimSpace(s[1:])
		var v string
		if s != "" && s[0] == '"' {
			k := 1
			for ; k < len(s) && s[k] != '"'; k++ {
				if s[k] == '\\' {
					k++
				}
			}
			if k >= len(s) {
				return nil, false
			}
			v, s = s[:k+1], s[k+1:]
		} else {
			k := strings.IndexAny(s, ",")
			if k < 0 {
				k = len(s)
			}
			v, s = strings.TrimSpace(s[:k]), s[k:]
			if v == "" || strings.ContainsAny(v, `{}[]"`) || !json.Valid([]byte(v)) {
				return nil, false
			}
		}
		members = append(members, [2]string{key, v})
		s = strings.TrimSpace(s)
		if s == "" {
			break
		}
		if s[0] != ',' {
			return nil, false
		}
		s = strings.TrimSpace(s[1:])
		if s == "" {
			return nil, false
		}
	}
	return members, true
}

// jsonString unquotes a raw JSON string value; ok is false for another
// value but null, which reads as "", as json reads it into a string.
func jsonString(v string) (string, bool) {
	if v == "null" {
		return "", true
	}
	if len(v) < 2 || v[0] != '"' {
		return "", false
	}
	if !strings.ContainsAny(v[1:len(v)-1], "\\\"") && utf8.ValidString(v) {
		return v[1 : len(v)-1], true
	}
	var str string
	if json.Unmarshal([]byte(v), &str) != nil {
		return "", false
	}
	return str, true
}

// AuditExportCSV streams the filtered events as CSV.
func (h *Handlers) AuditExportCSV(c *fiber.Ctx) error {
	return h.auditExport(c, "csv", uiError)
}

// AuditExportJSONL streams the filtered events as JSON Lines.
func (h *Handlers) AuditExportJSONL(c *fiber.Ctx) error {
	return h.auditExport(c, "jsonl", uiError)
}

// auditExport checks the filter (bad input answers 400 before the first
// byte), then streams every matching event in the format.
func (h *Handlers) auditExport(c *fiber.Ctx, format string, writeErr func(*fiber.Ctx, error) error) error {
	actor := Actor(c)
	q, err := auditQuery(c, false)
	if err == nil {
		err = h.Access.CheckAuditQuery(actor, q)
	}
	if err != nil {
		return writeErr(c, err)
	}
	acc := h.Access
	return streamAuditExport(c, format, func(ctx context.Context, fn func(access.AuditEvent) error) error {
		return acc.ExportAudit(ctx, actor, q, fn)
	})
}

// streamAuditExport answers 200 and streams the events export yields, in
// chunked encoding. An error after the answer started (the database
// failing mid-stream) is logged and aborts the connection without the
// terminating chunk, so the client sees a broken download, never a short
// one that looks complete.
func streamAuditExport(c *fiber.Ctx, format string, export func(context.Context, func(access.AuditEvent) error) error) error {
	log := Logger(c)
	name := "audit-" + time.Now().UTC().Format("20060102T150405Z")
	switch format {
	case "csv":
		c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	default:
		c.Set(fiber.HeaderContentType, "application/x-ndjson; charset=utf-8")
	}
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="%s.%s"`, name, format))
	pr, pw := io.Pipe()
	go func() {
		// The request's context ends with the handler; the stream outlives it.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		w := bufio.NewWriterSize(pw, 32<<10)
		var write func(access.AuditEvent) error
		n := 0
		if format == "csv" {
			cw := csv.NewWriter(w)
			cw.Write(auditCSVHeader)
			write = func(e access.AuditEvent) error {
				cw.Write(auditCSVRecord(e))
				cw.Flush()
				return cw.Error()
			}
		} else {
			enc := json.NewEncoder(w)
			write = func(e access.AuditEvent) error { return enc.Encode(auditJSON(e)) }
		}
		err := export(ctx, func(e access.AuditEvent) error {
			n++
			return write(e)
		})
		if err == nil {
			err = w.Flush()
		}
		if err != nil {
			log.Error("audit export failed mid-stream: connection aborted", "rows", n, "err", sb.AsError(err).Err)
			pw.CloseWithError(err)
			return
		}
		pw.Close()
	}()
	c.Context().SetBodyStream(pr, -1)
	return nil
}

var auditCSVHeader = []string{"id", "at", "actor_type", "actor_id", "actor_label", "team_id", "action", "target_type", "target_id", "ip", "user_agent", "details"}

func auditCSVRecord(e access.AuditEvent) []string {
	team := ""
	if e.TeamID != nil {
		team = *e.TeamID
	}
	rec := []string{e.ID, auditTime(e.At), e.ActorType, e.ActorID, e.ActorLabel, team, e.Action, e.TargetType, e.TargetID, e.IP, e.UserAgent, e.Details}
	for i, s := range rec {
		rec[i] = csvCell(s)
	}
	return rec
}

// csvCell keeps a spreadsheet from reading a cell as a formula: a value
// beginning with = + - @ (or a tab or carriage return) gets a leading '.
func csvCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// auditTime renders an event time: RFC 3339 in UTC with microseconds.
func auditTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000Z07:00") }

// auditEventJSON is an audit event in the API's and the JSON Lines export's shape.
type auditEventJSON struct {
	ID         string          `json:"id"`
	At         string          `json:"at"`
	ActorType  string          `json:"actor_type"`
	ActorID    string          `json:"actor_id"`
	ActorLabel string          `json:"actor_label"`
	TeamID     *string         `json:"team_id"`
	Action     string          `json:"action"`
	TargetType string          `json:"target_type"`
	TargetID   string          `json:"target_id"`
	IP         string          `json:"ip"`
	UserAgent  string          `json:"user_agent"`
	Details    json.RawMessage `json:"details"`
}

func auditJSON(e access.AuditEvent) auditEventJSON {
	details := json.RawMessage(e.Details)
	if !json.Valid(details) {
		details = json.RawMessage("{}")
	}
	return auditEventJSON{ID: e.ID, At: auditTime(e.At), ActorType: e.ActorType, ActorID: e.ActorID, ActorLabel: e.ActorLabel,
		TeamID: e.TeamID, Action: e.Action, TargetType: e.TargetType, TargetID: e.TargetID, IP: e.IP, UserAgent: e.UserAgent, Details: details}
}
