package web_test

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	sb "switchboard"
	"switchboard/db"
	"switchboard/db/dbtest"
	"switchboard/integrations"
	"switchboard/web/webtest"
)

// seedListRows writes n 1Password rows of team (names prefix-000…, a minute
// apart, newest first, one in four disabled) straight into the table.
func seedListRows(t testing.TB, env *webtest.Env, teamID, prefix string, n int, newest time.Time) {
	t.Helper()
	x := env.Store.SQLX()
	for i := range n {
		status := "active"
		if i%4 == 0 {
			status = "disabled"
		}
		at := newest.Add(-time.Duration(i) * time.Minute).UTC().Truncate(time.Microsecond) // the store keeps microseconds
		x.MustExec(x.Rebind(`INSERT INTO integrations (id, team_id, provider, name, status, attrs, secret_key_id, secret_ciphertext, created_at, updated_at)
			VALUES (?, ?, '1password', ?, ?, '{}', 'k1', ?, ?, ?)`), uuid.NewString(), teamID, fmt.Sprintf("%s-%03d", prefix, i), status, []byte("sealed"), at, at)
	}
}

var (
	listRowRE   = regexp.MustCompile(`data-testid="integration-row" data-id="([^"]+)"`)
	listOlderRE = regexp.MustCompile(`href="(/integrations\?[^"]*before=[^"]*)"[^>]*data-testid="integrations-older"`)
	listNewerRE = regexp.MustCompile(`href="(/integrations\?[^"]*after=[^"]*)"[^>]*data-testid="integrations-newer"`)
)

func listPage(t *testing.T, c *webtest.Client, path string) (ids []string, older, newer, body string) {
	t.Helper()
	resp, body := c.Get(path)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = %d", path, resp.StatusCode)
	}
	for _, m := range listRowRE.FindAllStringSubmatch(body, -1) {
		ids = append(ids, m[1])
	}
	unescape := func(s string) string { return strings.ReplaceAll(s, "&amp;", "&") }
	if m := listOlderRE.FindStringSubmatch(body); m != nil {
		older = unescape(m[1])
	}
	if m := listNewerRE.FindStringSubmatch(body); m != nil {
		newer = unescape(m[1])
	}
	return ids, older, newer, body
}

// TestUI_IntegrationsList_Pages: the list shows 50 rows a page, newest
// first, with Older/Newer links (plain links, so they work without
// JavaScript) that walk the keyset both ways without a gap or a repeat;
// an htmx request gets only the results fragment.
func TestUI_IntegrationsList_Pages(t *testing.T) {
	for _, d := range dbtest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			env := webtest.New(t, d)
			team := env.CreateTeam("payments")
			seedListRows(t, env, team.ID, "row", 120, time.Now().Add(-time.Hour))
			env.CreateUser("admin@example.com", sb.RoleAdmin)
			c := env.Client()
			c.SignIn("admin@example.com")

			p1, older, newer, _ := listPage(t, c, "/integrations")
			if len(p1) != 50 || older == "" || newer != "" {
				t.Fatalf("first page: %d rows, older %q, newer %q; want 50 rows, an Older link and no Newer", len(p1), older, newer)
			}
			p2, older2, newer2, _ := listPage(t, c, older)
			if len(p2) != 50 || older2 == "" || newer2 == "" {
				t.Fatalf("second page: %d rows, older %q, newer %q; want 50 and both links", len(p2), older2, newer2)
			}
			p3, older3, newer3, _ := listPage(t, c, older2)
			if len(p3) != 20 || older3 != "" || newer3 == "" {
				t.Fatalf("last page: %d rows, older %q, newer %q; want 20, no Older, a Newer", len(p3), older3, newer3)
			}
			seen := map[string]bool{}
			for _, id := range append(append(append([]string{}, p1...), p2...), p3...) {
				if seen[id] {
					t.Errorf("row %s is on two pages", id)
				}
				seen[id] = true
			}
			if len(seen) != 120 {
				t.Errorf("the three pages hold %d distinct rows, want 120", len(seen))
			}
			back, _, _, _ := listPage(t, c, newer3)
			if strings.Join(back, ",") != strings.Join(p2, ",") {
				t.Errorf("Newer from the last page is not the second page:\n got %v\nwant %v", back, p2)
			}
			back, _, newerFirst, _ := listPage(t, c, newer2)
			if strings.Join(back, ",") != strings.Join(p1, ",") || newerFirst != "" {
				t.Errorf("Newer from the second page = %v (newer %q), want the first page without a Newer link", back, newerFirst)
			}

			if c.Header == nil {
				c.Header = http.Header{}
			}
			c.Header.Set("HX-Request", "true")
			resp, frag := c.Get(older)
			c.Header.Del("HX-Request")
			if resp.StatusCode != http.StatusOK || strings.Contains(frag, "<html") || !strings.Contains(frag, `id="integrations-results"`) {
				t.Errorf("htmx page = %d, want only the results fragment; got %.300s", resp.StatusCode, frag)
			}
			if got := len(listRowRE.FindAllString(frag, -1)); got != 50 {
				t.Errorf("htmx page has %d rows, want 50", got)
			}
		})
	}
}

// TestUI_IntegrationsList_Filters: team, provider, status and name filters
// each keep only the matching rows and are kept on the page links; bad
// values answer 400 on the form, never a 500.
func TestUI_IntegrationsList_Filters(t *testing.T) {
	for _, d := range dbtest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			env := webtest.New(t, d)
			ctx := context.Background()
			a, b := env.CreateTeam("alpha"), env.CreateTeam("beta")
			now := time.Now().Add(-time.Hour)
			seedListRows(t, env, a.ID, "Alpha", 60, now)
			seedListRows(t, env, b.ID, "beta", 10, now.Add(-30*time.Second))
			if _, err := env.App.Services.Create(ctx, mxRoot, &integrations.NodeKeyInput{NodeID: env.CreateNode(b.ID, "edge").ID, Name: "edge-key"}, nil); err != nil {
				t.Fatal(err)
			}
			env.CreateUser("admin@example.com", sb.RoleAdmin)
			c := env.Client()
			c.SignIn("admin@example.com")

			names := func(body string) []string {
				return regexp.MustCompile(`>((?:Alpha|beta)-\d{3}|edge-key)</a>`).FindAllString(body, -1)
			}
			_, older, _, body := listPage(t, c, "/integrations?team="+b.ID)
			if got := names(body); len(got) != 11 || strings.Contains(body, "Alpha-") || older != "" {
				t.Errorf("team filter: %d rows %v (older %q), want beta's 11 only", len(got), got, older)
			}
			_, _, _, body = listPage(t, c, "/integrations?provider="+integrations.ProviderNodeKey)
			if got := names(body); len(got) != 1 || got[0] != ">edge-key</a>" {
				t.Errorf("provider filter: %v, want the node key only", got)
			}
			_, older, _, body = listPage(t, c, "/integrations?status=disabled&team="+a.ID)
			if got := names(body); len(got) != 15 || older != "" {
				t.Errorf("status filter: %d rows, want alpha's 15 disabled", len(got))
			}
			if strings.Contains(body, `badge-green`) {
				t.Errorf("status filter: an active row is listed")
			}
			ids, older, _, body := listPage(t, c, "/integrations?name=alpha-0")
			if len(ids) != 50 || strings.Contains(body, "beta-") || older == "" || !strings.Contains(older, "name=alpha-0") {
				t.Errorf("name filter (case-insensitive prefix): %d rows, older %q; want 50 Alpha rows and an Older link that keeps the filter", len(ids), older)
			}
			ids, older, _, _ = listPage(t, c, older)
			if len(ids) != 10 || older != "" {
				t.Errorf("name filter, second page: %d rows (older %q), want 10 and no more", len(ids), older)
			}
			_, _, _, body = listPage(t, c, "/integrations?name=%25")
			if got := names(body); len(got) != 0 {
				t.Errorf("name %%: %d rows, want none (no wildcard)", len(got))
			}

			for _, q := range []string{"status=gone", "provider=nope", "before=garbage", "after=1." + strings.Repeat("x", 36)} {
				resp, body := c.Get("/integrations?" + q)
				if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `data-testid="integrations-filter"`) {
					t.Errorf("GET ?%s = %d, want 400 with the form", q, resp.StatusCode)
				}
			}
		})
	}
}

// TestUI_IntegrationsList_KindAndRotation: the provider column names the
// concrete app (PostgreSQL, Honeycomb), not the family alone, and a rotated
// node key's revoked predecessor links to its successor and back.
func TestUI_IntegrationsList_KindAndRotation(t *testing.T) {
	for _, d := range dbtest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			env := webtest.New(t, d)
			ctx := context.Background()
			team := env.CreateTeam("payments")
			for _, in := range []integrations.Input{
				&integrations.AppConnectionInput{App: "postgres", Method: "username-and-password", Name: "warehouse", ProjectID: team.ID,
					Credentials: map[string]any{"host": "db.example.com", "port": 5432, "database": "app", "username": "u", "password": "p-0123456789"}},
				&integrations.LDConfigInput{IntegrationKey: "honeycomb", TeamID: team.ID, Name: "hc",
					ConfigValues: map[string]any{"datasetName": "prod", "apiKey": "hc-0123456789"}},
			} {
				if _, err := env.App.Services.Create(ctx, mxRoot, in, nil); err != nil {
					t.Fatalf("create %T: %v", in, err)
				}
			}
			old, err := env.App.Services.Create(ctx, mxRoot, &integrations.NodeKeyInput{NodeID: env.CreateNode(team.ID, "edge").ID, Name: "Production API"}, nil)
			if err != nil {
				t.Fatal(err)
			}
			rotated, err := env.App.Services.RotateNodeKey(ctx, mxRoot, old.Record.ID)
			if err != nil {
				t.Fatal(err)
			}
			env.CreateUser("admin@example.com", sb.RoleAdmin)
			c := env.Client()
			c.SignIn("admin@example.com")
			_, _, _, body := listPage(t, c, "/integrations")
			kinds := regexp.MustCompile(`(?s)data-testid="integration-kind">\s*([^<]+?)\s*<`).FindAllStringSubmatch(body, -1)
			var got []string
			for _, k := range kinds {
				got = append(got, k[1])
			}
			want := "Node API key,Node API key,Honeycomb,PostgreSQL"
			if strings.Join(got, ",") != want {
				t.Errorf("provider column = %v, want %s", got, want)
			}
			row := func(id string) string {
				i := strings.Index(body, `data-id="`+id+`"`)
				if i < 0 {
					t.Fatalf("row %s missing", id)
				}
				j := strings.Index(body[i:], "</tr>")
				return body[i : i+j]
			}
			if r := row(old.Record.ID); !strings.Contains(r, `data-testid="integration-replaced-by"`) || !strings.Contains(r, `href="/integrations/`+rotated.Record.ID+`"`) {
				t.Errorf("the revoked predecessor does not link to its successor:\n%s", r)
			}
			if r := row(rotated.Record.ID); !strings.Contains(r, `data-testid="integration-replaces"`) || !strings.Contains(r, `href="/integrations/`+old.Record.ID+`"`) {
				t.Errorf("the successor does not link to the key it replaced:\n%s", r)
			}
		})
	}
}

// TestDB_ListIntegrationSummaries_Columns: the list page's query reads no
// attrs, sealed bytes or hashes.
func TestDB_ListIntegrationSummaries_Columns(t *testing.T) {
	for _, d := range dbtest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			env := webtest.New(t, d)
			team := env.CreateTeam("payments")
			seedListRows(t, env, team.ID, "row", 3, time.Now())
			rows, err := env.Store.ListIntegrationSummaries(context.Background(), db.IntegrationFilter{Limit: 10})
			if err != nil || len(rows) != 3 {
				t.Fatalf("ListIntegrationSummaries = %d rows, %v", len(rows), err)
			}
			for _, r := range rows {
				if r.SecretCiphertext != nil || r.Attrs != "" || r.SecretKeyID != nil || r.Name == "" || r.TeamName != "Payments" {
					t.Errorf("summary row read %+v; want names without attrs or sealed bytes", r.Integration)
				}
			}
		})
	}
}

// TestUI_IntegrationsList_NameOrder: a name search lists its matches in
// name order (case-insensitive, then id), 50 a page, with Next and
// Previous links that keep the search: the pages together are every match
// once, in order; Previous from the last page is the page before it; a
// creation-time cursor on a name search (or a name cursor without one) is
// refused with 400.
func TestUI_IntegrationsList_NameOrder(t *testing.T) {
	for _, d := range dbtest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			env := webtest.New(t, d)
			team := env.CreateTeam("alpha")
			// Created newest first in reverse name order, so name order
			// and creation order disagree; case mixed.
			now := time.Now().Add(-time.Hour)
			x := env.Store.SQLX()
			want := make([]string, 0, 120)
			for i := range 120 {
				name := fmt.Sprintf("Key-%03d", i)
				if i%2 == 1 {
					name = fmt.Sprintf("key-%03d", i)
				}
				at := now.Add(time.Duration(i) * time.Minute).UTC().Truncate(time.Microsecond)
				x.MustExec(x.Rebind(`INSERT INTO integrations (id, team_id, provider, name, status, attrs, secret_key_id, secret_ciphertext, created_at, updated_at)
					VALUES (?, ?, '1password', ?, 'active', '{}', 'k1', ?, ?, ?)`), uuid.NewString(), team.ID, name, []byte("sealed"), at, at)
				want = append(want, name)
			}
			seedListRows(t, env, team.ID, "other", 5, now)
			env.CreateUser("admin@example.com", sb.RoleAdmin)
			c := env.Client()
			c.SignIn("admin@example.com")
			nameRE := regexp.MustCompile(`>([Kk]ey-\d{3})</a>`)
			names := func(body string) []string {
				var out []string
				for _, m := range nameRE.FindAllStringSubmatch(body, -1) {
					out = append(out, m[1])
				}
				return out
			}
			var got []string
			var pages [][]string
			path := "/integrations?name=KEY"
			var last string
			for path != "" && len(pages) < 5 {
				_, older, _, body := listPage(t, c, path)
				if len(pages) == 0 && !strings.Contains(body, ">Next") {
					t.Errorf("first page of a name search has no Next link")
				}
				pages = append(pages, names(body))
				got = append(got, names(body)...)
				last, path = path, older
			}
			if strings.Join(got, ",") != strings.Join(want, ",") || len(pages) != 3 || len(pages[0]) != 50 {
				t.Fatalf("name search pages = %v, want the 120 matches in name order, 50 a page", pages)
			}
			_, _, prev, body := listPage(t, c, last)
			if prev == "" || !strings.Contains(body, ">Previous") || !strings.Contains(prev, "name=KEY") {
				t.Fatalf("last page: Previous link %q, want one that keeps the search", prev)
			}
			_, _, _, body = listPage(t, c, prev)
			if g := names(body); strings.Join(g, ",") != strings.Join(pages[1], ",") {
				t.Errorf("Previous from the last page = %v, want the second page %v", g, pages[1])
			}
			for _, q := range []string{"name=key&before=1700000000000000." + uuid.NewString(), "before=n" + "a2V5LTAwMA." + uuid.NewString()} {
				if resp, _ := c.Get("/integrations?" + q); resp.StatusCode != http.StatusBadRequest {
					t.Errorf("GET ?%s = %d, want 400", q, resp.StatusCode)
				}
			}
		})
	}
}
