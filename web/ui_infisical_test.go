package web_test

// In-process tests of the Infisical app connection pages: the generic form
// at /integrations/new/infisical rendered from the catalogue (app and
// method choose the fields), its 422 re-render, the masked reveal, the
// detail page, the edit page that keeps stored secrets left empty, "Test
// connection" on the form (htmx fragment and whole page) and on the detail
// page against the real test PostgreSQL, the private-target guard, team
// isolation, a revoked connection's page, and a real password refusal from
// the password-checking cluster .ci/run starts (SWITCHBOARD_TEST_PG_PASSWORD_URL).
// Every test runs on SQLite and PostgreSQL. Helpers carry the ifu prefix
// (browser_infisical_test.go's carry ifb).

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	sb "switchboard"
	"switchboard/db"
	"switchboard/db/dbtest"
	"switchboard/integrations"
	"switchboard/web/webtest"
)

// ifuPassword is the password typed into the forms: the test PostgreSQL
// trusts 127.0.0.1, so any password connects; it is a canary that no page,
// fragment or log may carry.
const ifuPassword = "pg-form-canary-7Qx2v9"

// ifuNewPath is the form's address.
const ifuNewPath = "/integrations/new/infisical"

// ifuDoc parses a page or fragment.
func ifuDoc(t *testing.T, body string) *goquery.Document {
	t.Helper()
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parse the page: %v", err)
	}
	return doc
}

func ifuSel(id string) string { return `[data-testid="` + id + `"]` }

// ifuTarget is the test PostgreSQL as the form's fields want it.
type ifuTarget struct{ host, port, database, username string }

func ifuPGTarget(t *testing.T) ifuTarget {
	t.Helper()
	u, err := url.Parse(dbtest.PostgresURL())
	if err != nil {
		t.Fatalf("parse the test PostgreSQL URL: %v", err)
	}
	port := u.Port()
	if port == "" {
		port = "5432"
	}
	return ifuTarget{host: u.Hostname(), port: port, database: strings.TrimPrefix(u.Path, "/"), username: u.User.Username()}
}

// ifuNeedPostgres skips (or, when required, fails) a test that connects to
// the test PostgreSQL when it does not answer.
func ifuNeedPostgres(t *testing.T) ifuTarget {
	t.Helper()
	dbtest.URL(t, db.Postgres)
	return ifuPGTarget(t)
}

// ifuPGForm is a complete postgres create form.
func ifuPGForm(teamID, name string, tg ifuTarget, password string) url.Values {
	return url.Values{
		"team_id": {teamID}, "app": {"postgres"}, "method": {"username-and-password"},
		"name": {name}, "description": {"orders database"},
		"credentials.host": {tg.host}, "credentials.port": {tg.port}, "credentials.database": {tg.database},
		"credentials.username": {tg.username}, "credentials.password": {password},
		"credentials.sslEnabled":            {"false"},
		"credentials.sslRejectUnauthorized": {"false", "true"},
		"credentials.sslCertificate":        {""},
	}
}

// ifuCredFields lists the credential inputs of a form, in order, by name
// without the "credentials." prefix (a checkbox's hidden "false" is not an input of its own).
func ifuCredFields(doc *goquery.Document) []string {
	var out []string
	doc.Find(ifuSel("credential-fields") + ` [data-testid^="field-"]`).Each(func(_ int, s *goquery.Selection) {
		name, _ := s.Attr("name")
		out = append(out, strings.TrimPrefix(name, "credentials."))
	})
	return out
}

// ifuField is the credential input of a field.
func ifuField(doc *goquery.Document, name string) *goquery.Selection {
	return doc.Find(ifuSel("credential-fields") + " " + ifuSel("field-"+name))
}

var ifuErrorRE = regexp.MustCompile(`data-testid="error-([A-Za-z0-9_.]+)"`)

// ifuErrorFields lists the fields that carry an error message, sorted.
func ifuErrorFields(body string) []string {
	var out []string
	for _, m := range ifuErrorRE.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	slices.Sort(out)
	return out
}

// ifuCreate creates a postgres connection through the form and returns the
// reveal path.
func ifuCreate(t *testing.T, c *webtest.Client, form url.Values) string {
	t.Helper()
	resp, body := c.Post(ifuNewPath, form)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create %q: status %d, want 303; field errors %v", form.Get("name"), resp.StatusCode, ifuErrorFields(body))
	}
	loc := resp.Header.Get("Location")
	if !htRevealPathRE.MatchString(loc) {
		t.Fatalf("create %q: Location %q, want /reveal/{id}", form.Get("name"), loc)
	}
	return loc
}

// ifuCreateID creates a connection and uses up its reveal; it returns the
// connection's id.
func ifuCreateID(t *testing.T, c *webtest.Client, form url.Values) string {
	t.Helper()
	reveal := ifuCreate(t, c, form)
	resp, page := c.Get(reveal)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = %d, want 200", reveal, resp.StatusCode)
	}
	href, _ := ifuDoc(t, page).Find(ifuSel("reveal-done")).Attr("href")
	id, ok := strings.CutPrefix(href, "/integrations/")
	if !ok || id == "" {
		t.Fatalf("the reveal's done link is %q, want /integrations/{id}", href)
	}
	return id
}

// ifuDetails reads the detail list of an integration page.
func ifuDetails(t *testing.T, page string) map[string]string {
	t.Helper()
	out := map[string]string{}
	ifuDoc(t, page).Find(ifuSel("integration-details") + " > div").Each(func(_ int, s *goquery.Selection) {
		out[strings.TrimSpace(s.Find("dt").Text())] = strings.TrimSpace(s.Find("dd").Text())
	})
	return out
}

func ifuFlash(t *testing.T, page string) string {
	t.Helper()
	return strings.TrimSpace(ifuDoc(t, page).Find(ifuSel("flash")).Text())
}

// ifuStored opens the sealed credentials of a connection.
func ifuStored(t *testing.T, env *webtest.Env, id string) (db.Integration, map[string]any) {
	t.Helper()
	r, err := env.Store.IntegrationByID(context.Background(), id)
	if err != nil {
		t.Fatalf("read integration %s: %v", id, err)
	}
	var creds map[string]any
	if err := env.App.Services.OpenCredentials(&r.Integration, &creds); err != nil {
		t.Fatalf("open the credentials of %s: %v", id, err)
	}
	return r.Integration, creds
}

// ifuNoSecret fails when s carries the secret.
func ifuNoSecret(t *testing.T, where, s, secret string) {
	t.Helper()
	if strings.Contains(s, secret) || strings.Contains(s, html.EscapeString(secret)) || strings.Contains(s, url.QueryEscape(secret)) {
		t.Errorf("%s carries the secret %s", where, redact(secret))
	}
}

// ---- the form ----

// TestInfisicalForm_Fields renders the form for chosen apps and methods:
// exactly the catalogue's fields, with the right input types, secrets as
// empty password inputs, defaults filled in, and the first app (and
// method) when the query names none or an unknown one.
func TestInfisicalForm_Fields(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		team := env.CreateTeam("payments")
		env.CreateUser("support@example.com", sb.RoleSupport, "payments")
		c, _ := htSignIn(t, env, "support@example.com")

		t.Run("postgres", func(t *testing.T) {
			resp, page := c.Get(ifuNewPath + "?app=postgres&method=username-and-password")
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET = %d, want 200", resp.StatusCode)
			}
			doc := ifuDoc(t, page)
			form := doc.Find(ifuSel("infisical-form"))
			if m, _ := form.Attr("method"); m != "post" {
				t.Errorf("form method = %q, want post", m)
			}
			if a, _ := form.Attr("action"); a != ifuNewPath {
				t.Errorf("form action = %q, want %s", a, ifuNewPath)
			}
			want := []string{"host", "port", "database", "username", "password", "sslEnabled", "sslRejectUnauthorized", "sslCertificate"}
			if got := ifuCredFields(doc); !slices.Equal(got, want) {
				t.Fatalf("credential fields = %v, want %v", got, want)
			}
			for name, typ := range map[string]string{"host": "text", "port": "number", "database": "text", "username": "text", "password": "password", "sslEnabled": "checkbox", "sslRejectUnauthorized": "checkbox"} {
				if got, _ := ifuField(doc, name).Attr("type"); got != typ {
					t.Errorf("%s input type = %q, want %q", name, got, typ)
				}
			}
			if got := goquery.NodeName(ifuField(doc, "sslCertificate")); got != "textarea" {
				t.Errorf("sslCertificate is a <%s>, want a <textarea>", got)
			}
			if v, _ := ifuField(doc, "port").Attr("value"); v != "5432" {
				t.Errorf("port value = %q, want the default 5432", v)
			}
			pw := ifuField(doc, "password")
			if v, ok := pw.Attr("value"); ok && v != "" {
				t.Errorf("the password input has a value %q, want none", v)
			}
			if ac, _ := pw.Attr("autocomplete"); ac != "off" && ac != "new-password" {
				t.Errorf("password autocomplete = %q, want off or new-password", ac)
			}
			for _, name := range []string{"host", "database", "username", "password"} {
				if _, ok := ifuField(doc, name).Attr("required"); !ok {
					t.Errorf("%s is not marked required", name)
				}
			}
			if _, ok := ifuField(doc, "sslEnabled").Attr("checked"); ok {
				t.Errorf("Use SSL/TLS is ticked, want the default false")
			}
			// The catalogue's default for sslRejectUnauthorized is true: a
			// user who turns SSL on must get a verified connection unless
			// they untick it.
			if _, ok := ifuField(doc, "sslRejectUnauthorized").Attr("checked"); !ok {
				t.Errorf("\"Reject unauthorized certificates\" is not ticked on a fresh form, want its catalogue default true " +
					"(handlers/ui_infisical.go draftValues takes FormCredentials' false for every absent checkbox)")
			}
			// Each label points at its input.
			doc.Find(ifuSel("credential-fields") + " label[for]").Each(func(_ int, l *goquery.Selection) {
				id, _ := l.Attr("for")
				if doc.Find("#"+id).Length() != 1 {
					t.Errorf("label for=%q has no input with that id", id)
				}
			})
			if v, _ := doc.Find(ifuSel("app-select") + " option[selected]").Attr("value"); v != "postgres" {
				t.Errorf("app select = %q, want postgres", v)
			}
			if v, _ := doc.Find(ifuSel("method-select") + " option[selected]").Attr("value"); v != "username-and-password" {
				t.Errorf("method select = %q, want username-and-password", v)
			}
			if v, _ := doc.Find(ifuSel("team-select") + " option[selected]").Attr("value"); v != team.ID {
				t.Errorf("team select = %q, want the support user's only team %s", v, team.ID)
			}
			for _, sel := range []string{"app-select", "method-select"} {
				s := doc.Find(ifuSel(sel))
				if g, _ := s.Attr("hx-get"); g != ifuNewPath {
					t.Errorf("%s hx-get = %q, want %s", sel, g, ifuNewPath)
				}
				if tr, _ := s.Attr("hx-trigger"); tr != "change" {
					t.Errorf("%s hx-trigger = %q, want change", sel, tr)
				}
			}
			// A parser with scripting on (as browsers and goquery are) reads
			// <noscript> as text: parse its content on its own.
			nb := ifuDoc(t, form.Find("noscript").Text()).Find(`button[type="submit"]`)
			if nb.Length() != 1 {
				t.Fatalf("the form has %d <noscript> reload buttons, want 1", nb.Length())
			}
			if a, ok := nb.Attr("formaction"); ok && a != ifuNewPath {
				t.Errorf("the <noscript> reload button's formaction = %q, want %s", a, ifuNewPath)
			}
			if _, ok := nb.Attr("formnovalidate"); !ok {
				t.Errorf("the <noscript> reload button lacks formnovalidate: the browser would refuse it while required fields are empty")
			}
			tb := form.Find(ifuSel("test-connection"))
			if n, _ := tb.Attr("name"); n != "test" {
				t.Errorf("Test connection button name = %q, want test", n)
			}
			if g, _ := tb.Attr("hx-target"); g != "#test-result" {
				t.Errorf("Test connection hx-target = %q, want #test-result", g)
			}
			if doc.Find("#test-result").Length() != 1 {
				t.Errorf("the form has no #test-result box")
			}
		})

		t.Run("aws assume-role", func(t *testing.T) {
			_, page := c.Get(ifuNewPath + "?app=aws&method=assume-role")
			doc := ifuDoc(t, page)
			if got := ifuCredFields(doc); !slices.Equal(got, []string{"roleArn"}) {
				t.Errorf("credential fields = %v, want [roleArn]", got)
			}
			if typ, _ := ifuField(doc, "roleArn").Attr("type"); typ != "text" {
				t.Errorf("roleArn type = %q, want text", typ)
			}
			var methods []string
			doc.Find(ifuSel("method-select") + " option").Each(func(_ int, s *goquery.Selection) {
				v, _ := s.Attr("value")
				methods = append(methods, v)
			})
			if !slices.Equal(methods, []string{"access-key", "assume-role"}) {
				t.Errorf("methods offered = %v, want [access-key assume-role]", methods)
			}
			if v, _ := doc.Find(ifuSel("method-select") + " option[selected]").Attr("value"); v != "assume-role" {
				t.Errorf("method select = %q, want assume-role", v)
			}
		})

		t.Run("aws without a method", func(t *testing.T) {
			_, page := c.Get(ifuNewPath + "?app=aws")
			doc := ifuDoc(t, page)
			if got := ifuCredFields(doc); !slices.Equal(got, []string{"accessKeyId", "secretAccessKey"}) {
				t.Errorf("credential fields = %v, want the first method's [accessKeyId secretAccessKey]", got)
			}
		})

		for _, q := range []string{"?app=no-such-app", "?app=no-such-app&method=assume-role", ""} {
			t.Run("fallback "+q, func(t *testing.T) {
				resp, page := c.Get(ifuNewPath + q)
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("GET = %d, want 200", resp.StatusCode)
				}
				doc := ifuDoc(t, page)
				first := integrations.InfisicalApps[0]
				if v, _ := doc.Find(ifuSel("app-select") + " option[selected]").Attr("value"); v != first.Slug {
					t.Errorf("app select = %q, want the first app %s", v, first.Slug)
				}
				var want []string
				for _, f := range first.Methods[0].Fields {
					want = append(want, f.Name)
				}
				if got := ifuCredFields(doc); !slices.Equal(got, want) {
					t.Errorf("credential fields = %v, want %v", got, want)
				}
				if strings.Contains(page, "no-such-app") {
					t.Errorf("the page echoes the unknown app")
				}
			})
		}

		// Every app and method of the catalogue: exactly its fields, each
		// secret a password input, every other field not one.
		t.Run("catalogue", func(t *testing.T) {
			var wrongButton []string
			// "Test connection" only where the app has a check, as
			// HasConnectionTester documents ("the form shows the button
			// only then") and the detail page does; reported once below.
			defer func() {
				if len(wrongButton) > 0 {
					t.Errorf("the form's Test connection button is shown for %v, which have no connection test "+
						"(pressing it only says \"Testing credentials is not supported\"); views/infisical.templ shows it for every app", wrongButton)
				}
			}()
			for _, app := range integrations.InfisicalApps {
				for _, m := range app.Methods {
					_, page := c.Get(ifuNewPath + "?app=" + app.Slug + "&method=" + m.Slug)
					doc := ifuDoc(t, page)
					var want []string
					for _, f := range m.Fields {
						want = append(want, f.Name)
						typ, _ := ifuField(doc, f.Name).Attr("type")
						if f.Secret != (typ == "password") {
							t.Errorf("%s/%s: %s has type %q (secret %v)", app.Slug, m.Slug, f.Name, typ, f.Secret)
						}
					}
					if got := ifuCredFields(doc); !slices.Equal(got, want) {
						t.Errorf("%s/%s: credential fields = %v, want %v", app.Slug, m.Slug, got, want)
					}
					if has, shown := env.App.Services.HasConnectionTester(app.Slug), doc.Find(ifuSel("test-connection")).Length() == 1; has != shown {
						wrongButton = append(wrongButton, app.Slug+"/"+m.Slug)
					}
				}
			}
		})

		// htmx reloads the form: the fragment only, with Vary.
		t.Run("htmx reload", func(t *testing.T) {
			c.Header.Set("HX-Request", "true")
			defer c.Header.Del("HX-Request")
			resp, frag := c.Get(ifuNewPath + "?app=postgres&method=username-and-password&name=orders-db&team_id=" + team.ID)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET = %d, want 200", resp.StatusCode)
			}
			if strings.Contains(frag, "<html") || !strings.HasPrefix(strings.TrimSpace(frag), `<form id="infisical-form"`) {
				t.Errorf("the htmx answer is not the form alone: %.120s…", frag)
			}
			if !strings.Contains(resp.Header.Get("Vary"), "HX-Request") {
				t.Errorf("Vary = %q, want HX-Request", resp.Header.Get("Vary"))
			}
			doc := ifuDoc(t, frag)
			if v, _ := doc.Find(`input[name="name"]`).Attr("value"); v != "orders-db" {
				t.Errorf("name after reload = %q, want orders-db kept", v)
			}
			if got := ifuCredFields(doc); len(got) != 8 || got[0] != "host" {
				t.Errorf("credential fields after reload = %v, want postgres's", got)
			}
		})

		// The provider chooser links to the form.
		_, chooser := c.Get("/integrations/new")
		if href, _ := ifuDoc(t, chooser).Find(ifuSel("provider-infisical")).Attr("href"); href != ifuNewPath {
			t.Errorf("provider card infisical links to %q, want %s", href, ifuNewPath)
		}
	})
}

// TestInfisicalForm_PostErrors submits bad input: 422 with each error next
// to its field, the non-secret values kept, the secret never written back,
// and nothing stored.
func TestInfisicalForm_PostErrors(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		a := env.CreateTeam("payments")
		b := env.CreateTeam("ledger")
		env.CreateUser("admin@example.com", sb.RoleAdmin)
		env.CreateUser("support@example.com", sb.RoleSupport, "payments")
		admin, _ := htSignIn(t, env, "admin@example.com")
		support, _ := htSignIn(t, env, "support@example.com")
		tg := ifuTarget{host: "db.internal.example", port: "6543", database: "orders", username: "orders_app"}
		with := func(f url.Values, kv ...string) url.Values {
			out := url.Values{}
			for k, v := range f {
				out[k] = slices.Clone(v)
			}
			for i := 0; i < len(kv); i += 2 {
				out.Set(kv[i], kv[i+1])
			}
			return out
		}
		good := ifuPGForm(a.ID, "orders-db", tg, ifuPassword)
		tests := []struct {
			name       string
			c          *webtest.Client
			form       url.Values
			wantFields []string
			wantText   map[string]string
		}{
			// The form's one wording ("is required", "can only contain …"),
			// where the JSON API keeps Infisical's own messages.
			{"bad slug name", admin, with(good, "name", "Bad Name"), []string{"name"},
				map[string]string{"name": "can only contain lowercase letters, numbers, and hyphens"}},
			{"name of 65", admin, with(good, "name", strings.Repeat("a", 65)), []string{"name"}, map[string]string{"name": "at most 64"}},
			{"missing host", admin, with(good, "credentials.host", " "), []string{"credentials.host"}, map[string]string{"credentials.host": "is required"}},
			{"port out of range", admin, with(good, "credentials.port", "70000"), []string{"credentials.port"}, map[string]string{"credentials.port": "between 1 and 65535"}},
			{"port not a number", admin, with(good, "credentials.port", "abc"), []string{"credentials.port"}, map[string]string{"credentials.port": "Expected number"}},
			{"empty password", admin, with(good, "credentials.password", ""), []string{"credentials.password"}, map[string]string{"credentials.password": "is required"}},
			{"description of 257", admin, with(good, "description", strings.Repeat("d", 257)), []string{"description"}, map[string]string{"description": "256"}},
			{"several at once", admin, with(good, "name", "Bad Name", "credentials.database", "", "credentials.username", ""),
				[]string{"credentials.database", "credentials.username", "name"},
				map[string]string{"credentials.database": "is required", "credentials.username": "is required"}},
			{"no team (admin of two)", admin, with(good, "team_id", ""), []string{"projectId"}, map[string]string{"projectId": "is required"}},
			{"another team", support, with(good, "team_id", b.ID), []string{"projectId"}, map[string]string{"projectId": "team"}},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				resp, page := tc.c.Post(ifuNewPath, tc.form)
				if resp.StatusCode != http.StatusUnprocessableEntity {
					t.Fatalf("status = %d, want 422 (field errors %v)", resp.StatusCode, ifuErrorFields(page))
				}
				if got := ifuErrorFields(page); !slices.Equal(got, tc.wantFields) {
					t.Errorf("field errors = %v, want %v", got, tc.wantFields)
				}
				doc := ifuDoc(t, page)
				for field, want := range tc.wantText {
					errEl := doc.Find(ifuSel("error-" + field))
					if !strings.Contains(errEl.Text(), want) {
						t.Errorf("error-%s says %q, want it to say %q", field, strings.TrimSpace(errEl.Text()), want)
					}
					// Beside its field: in the same field block.
					input := field
					if field == "projectId" {
						input = "team_id"
					}
					if errEl.Parent().Find(`[name="`+input+`"]`).Length() == 0 {
						t.Errorf("error-%s is not next to the %s field", field, input)
					}
				}
				if !htHasTestID(page, "form-error") {
					t.Errorf("no form-level alert")
				}
				// Entered non-secret values are kept.
				if v, _ := doc.Find(`input[name="name"]`).Attr("value"); v != tc.form.Get("name") {
					t.Errorf("name = %q, want the entered %q kept", v, tc.form.Get("name"))
				}
				if v, _ := doc.Find(`input[name="description"]`).Attr("value"); v != tc.form.Get("description") {
					t.Errorf("description = %q, want the entered value kept", v)
				}
				for _, f := range []string{"host", "port", "database", "username"} {
					want := strings.TrimSpace(tc.form.Get("credentials." + f))
					if v, _ := ifuField(doc, f).Attr("value"); strings.TrimSpace(v) != want {
						t.Errorf("%s = %q, want the entered %q kept", f, v, want)
					}
				}
				if v, _ := doc.Find(ifuSel("app-select") + " option[selected]").Attr("value"); v != "postgres" {
					t.Errorf("app select = %q, want postgres kept", v)
				}
				// The secret is not written back.
				if v, ok := ifuField(doc, "password").Attr("value"); ok && v != "" {
					t.Errorf("the password input holds %s, want it empty", redact(v))
				}
				ifuNoSecret(t, "the 422 page", page, ifuPassword)
			})
		}
		if n := htCount(t, env, "integrations"); n != 0 {
			t.Errorf("%d integrations after refused forms, want 0", n)
		}
		if n := htCount(t, env, "reveals"); n != 0 {
			t.Errorf("%d reveals after refused forms, want 0", n)
		}
		ifuNoSecret(t, "the server log", env.Logs.String(), ifuPassword)

		// A name taken by another connection, of any app: Infisical's wording.
		ifuCreate(t, admin, good)
		for _, app := range []url.Values{
			with(good, "credentials.host", "other.example"),
			{"team_id": {a.ID}, "app": {"vercel"}, "method": {"api-token"}, "name": {"orders-db"}, "credentials.apiToken": {"vercel-canary-1"}},
		} {
			resp, page := admin.Post(ifuNewPath, app)
			if resp.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("duplicate name (%s): status %d, want 422", app.Get("app"), resp.StatusCode)
			}
			if got := ifuErrorFields(page); !slices.Equal(got, []string{"name"}) {
				t.Errorf("duplicate name (%s): field errors %v, want [name]", app.Get("app"), got)
			}
			want := `An App Connection with the name "orders-db" already exists`
			if got := strings.TrimSpace(ifuDoc(t, page).Find(ifuSel("error-name")).Text()); got != want {
				t.Errorf("duplicate name (%s): error-name = %q, want %q", app.Get("app"), got, want)
			}
			ifuNoSecret(t, "the duplicate-name page", page, ifuPassword)
			ifuNoSecret(t, "the duplicate-name page", page, "vercel-canary-1")
		}
		if n := htCount(t, env, "integrations"); n != 1 {
			t.Errorf("%d integrations after one create and two duplicates, want 1", n)
		}
	})
}

// TestInfisicalForm_CreateReveal saves a connection: 303 to a reveal that
// holds the password only masked (its value in data-value) and the
// credentials hash, once; 410 afterwards; a detail page with the returned
// fields, version 1 and the hash, and without the password.
func TestInfisicalForm_CreateReveal(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		team := env.CreateTeam("payments")
		env.CreateUser("admin@example.com", sb.RoleAdmin)
		c, _ := htSignIn(t, env, "admin@example.com")
		tg := ifuTarget{host: "db.internal.example", port: "6543", database: "orders", username: "orders_app"}

		revealPath := ifuCreate(t, c, ifuPGForm(team.ID, "orders-db", tg, ifuPassword))
		resp, page := c.Get(revealPath)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s = %d, want 200", revealPath, resp.StatusCode)
		}
		if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("reveal Cache-Control = %q, want no-store", cc)
		}
		doc := ifuDoc(t, page)
		box := doc.Find(ifuSel("reveal-password"))
		if box.Length() != 1 {
			t.Fatalf("the reveal has %d reveal-password elements, want 1", box.Length())
		}
		// The value waits in the no-JavaScript field; app.js moves it into
		// the box's data-value.
		if v := doc.Find(`textarea[data-reveal-nojs="#reveal-password"]`).Text(); v != ifuPassword {
			t.Errorf("the reveal's read-only password field holds %s, want the password", redact(v))
		}
		masked, _ := box.Attr("data-masked")
		if got := strings.TrimSpace(box.Text()); got == "" || got != masked || strings.Contains(got, ifuPassword[:6]) {
			t.Errorf("reveal-password shows %q (data-masked %q), want the mask", redact(got), masked)
		}
		if doc.Find(`[data-toggle-secret="#reveal-password"]`).Length() != 1 {
			t.Errorf("no Show toggle for the password")
		}
		// Only the password is a secret; the hash identifies the version.
		var shown []string
		doc.Find(`[data-testid^="reveal-"][id^="reveal-"]`).Each(func(_ int, s *goquery.Selection) {
			id, _ := s.Attr("data-testid")
			shown = append(shown, strings.TrimPrefix(id, "reveal-"))
		})
		if !slices.Equal(shown, []string{"password", "credentialsHash"}) {
			t.Errorf("the reveal shows %v, want [password credentialsHash]", shown)
		}
		// The password appears once: in data-value, nowhere else.
		if n := strings.Count(page, ifuPassword); n != 1 {
			t.Errorf("the reveal carries the password %d times, want once (data-value)", n)
		}
		hash := strings.TrimSpace(doc.Find(ifuSel("reveal-credentialsHash")).Text())
		if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(hash) {
			t.Errorf("reveal credentialsHash = %q, want 64 hex digits", hash)
		}
		if !strings.Contains(doc.Find("h1").Text(), "orders-db") {
			t.Errorf("reveal heading = %q, want it to name the connection", strings.TrimSpace(doc.Find("h1").Text()))
		}
		href, _ := doc.Find(ifuSel("reveal-done")).Attr("href")
		id := strings.TrimPrefix(href, "/integrations/")

		// Once only.
		resp, gone := c.Get(revealPath)
		if resp.StatusCode != http.StatusGone {
			t.Errorf("second GET of the reveal = %d, want 410", resp.StatusCode)
		}
		ifuNoSecret(t, "the 410 page", gone, ifuPassword)

		// The detail page.
		resp, detail := c.Get("/integrations/" + id)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET the detail page = %d, want 200", resp.StatusCode)
		}
		d := ifuDetails(t, detail)
		for label, want := range map[string]string{
			"App": "PostgreSQL · Username & Password", "Description": "orders database", "Host": tg.host, "Port": tg.port,
			"Database": tg.database, "Username": tg.username, "Password": "stored encrypted", "Version": "1", "Credentials hash": hash,
			"Use SSL/TLS": "no", "Team": "Payments",
		} {
			if d[label] != want {
				t.Errorf("detail %q = %q, want %q", label, d[label], want)
			}
		}
		if !htHasTestID(detail, "test-connection") || !htHasTestID(detail, "test-result") {
			t.Errorf("the detail page has no Test connection button or result box")
		}
		if href, _ := ifuDoc(t, detail).Find(ifuSel("edit")).Attr("href"); href != "/integrations/"+id+"/edit" {
			t.Errorf("edit link = %q, want /integrations/%s/edit", href, id)
		}
		ifuNoSecret(t, "the detail page", detail, ifuPassword)
		_, list := c.Get("/integrations")
		ifuNoSecret(t, "the integrations list", list, ifuPassword)
		if !strings.Contains(list, "orders-db") {
			t.Errorf("the integrations list does not show orders-db")
		}

		// Stored sealed, the hash is the ciphertext's.
		row, creds := ifuStored(t, env, id)
		if creds["password"] != ifuPassword || creds["host"] != tg.host || creds["port"] != float64(6543) {
			t.Errorf("stored credentials = host %v port %v password ok %v; want %s 6543 true", creds["host"], creds["port"], creds["password"] == ifuPassword, tg.host)
		}
		if got := integrations.CredentialsHash(row.SecretCiphertext); got != hash {
			t.Errorf("credentials hash of the stored ciphertext = %s, the reveal said %s", got, hash)
		}
		ifuNoSecret(t, "the database", dumpDB(t, env.Store), ifuPassword)
		ifuNoSecret(t, "the server log", env.Logs.String(), ifuPassword)
	})
}

// TestInfisicalForm_Edit edits a connection: the form shows the stored
// non-secret values and leaves the password empty with a hint; a save
// with the password empty keeps it (version and hash unchanged when only
// the description changes); a new password or host makes a new version.
func TestInfisicalForm_Edit(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		team := env.CreateTeam("payments")
		env.CreateUser("admin@example.com", sb.RoleAdmin)
		c, _ := htSignIn(t, env, "admin@example.com")
		tg := ifuTarget{host: "db.internal.example", port: "6543", database: "orders", username: "orders_app"}
		id := ifuCreateID(t, c, ifuPGForm(team.ID, "orders-db", tg, ifuPassword))
		editPath := "/integrations/" + id + "/edit"
		before, _ := ifuStored(t, env, id)
		hash1 := integrations.CredentialsHash(before.SecretCiphertext)

		resp, page := c.Get(editPath)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s = %d, want 200", editPath, resp.StatusCode)
		}
		doc := ifuDoc(t, page)
		form := doc.Find(ifuSel("infisical-form"))
		if a, _ := form.Attr("action"); a != editPath {
			t.Errorf("edit form action = %q, want %s", a, editPath)
		}
		if got := strings.TrimSpace(doc.Find(ifuSel("app-name")).Text()); got != "PostgreSQL · Username & Password" {
			t.Errorf("app shown = %q, want PostgreSQL · Username & Password", got)
		}
		if doc.Find(ifuSel("app-select")).Length() != 0 {
			t.Errorf("the edit page offers to change the app")
		}
		for name, want := range map[string]string{"host": tg.host, "port": tg.port, "database": tg.database, "username": tg.username} {
			if v, _ := ifuField(doc, name).Attr("value"); v != want {
				t.Errorf("edit %s = %q, want the stored %q", name, v, want)
			}
		}
		if v, _ := doc.Find(`input[name="name"]`).Attr("value"); v != "orders-db" {
			t.Errorf("edit name = %q, want orders-db", v)
		}
		if v, _ := doc.Find(`input[name="description"]`).Attr("value"); v != "orders database" {
			t.Errorf("edit description = %q, want the stored one", v)
		}
		pw := ifuField(doc, "password")
		if v, ok := pw.Attr("value"); ok && v != "" {
			t.Errorf("the edit page's password input holds %s, want it empty", redact(v))
		}
		if _, ok := pw.Attr("required"); ok {
			t.Errorf("the edit page's password input is required; a stored one must be kept when it is left empty")
		}
		if got := doc.Find(ifuSel("kept-password")).Text(); !strings.Contains(got, "A value is stored") {
			t.Errorf("kept-password hint = %q, want \"A value is stored…\"", strings.TrimSpace(got))
		}
		if doc.Find(ifuSel("kept-host")).Length() != 0 {
			t.Errorf("a non-secret field carries the kept hint")
		}
		ifuNoSecret(t, "the edit page", page, ifuPassword)

		editForm := func(kv ...string) url.Values {
			f := ifuPGForm("", "orders-db", tg, "")
			f.Del("team_id")
			f.Set("description", "orders database")
			for i := 0; i < len(kv); i += 2 {
				f.Set(kv[i], kv[i+1])
			}
			return f
		}
		detail := func() map[string]string {
			t.Helper()
			_, page := c.Get("/integrations/" + id)
			ifuNoSecret(t, "the detail page", page, ifuPassword)
			return ifuDetails(t, page)
		}

		// Only the description changes: the credentials stay as they are.
		resp, body := c.Post(editPath, editForm("description", "orders database (EU)"))
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/integrations/"+id {
			t.Fatalf("save the description: %d to %q, want 303 to /integrations/%s; errors %v", resp.StatusCode, resp.Header.Get("Location"), id, ifuErrorFields(body))
		}
		_, page = c.Get("/integrations/" + id)
		if f := ifuFlash(t, page); !strings.Contains(f, "The stored credentials did not change") {
			t.Errorf("flash = %q, want it to say the stored credentials did not change", f)
		}
		d := ifuDetails(t, page)
		if d["Version"] != "1" || d["Credentials hash"] != hash1 || d["Description"] != "orders database (EU)" {
			t.Errorf("after a description change: version %q hash %q description %q; want 1, %s, the new one", d["Version"], d["Credentials hash"], d["Description"], hash1)
		}
		row, creds := ifuStored(t, env, id)
		if row.Version != 1 || integrations.CredentialsHash(row.SecretCiphertext) != hash1 || creds["password"] != ifuPassword {
			t.Errorf("stored after a description change: version %d, hash changed %v, password kept %v; want 1, false, true",
				row.Version, integrations.CredentialsHash(row.SecretCiphertext) != hash1, creds["password"] == ifuPassword)
		}

		// Another host, the password left empty: a new version that keeps it.
		resp, _ = c.Post(editPath, editForm("credentials.host", "db2.internal.example"))
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("save a new host: %d, want 303", resp.StatusCode)
		}
		row, creds = ifuStored(t, env, id)
		hash2 := integrations.CredentialsHash(row.SecretCiphertext)
		if row.Version != 2 || hash2 == hash1 || creds["password"] != ifuPassword || creds["host"] != "db2.internal.example" {
			t.Errorf("after a new host: version %d, hash changed %v, password kept %v, host %v; want 2, true, true, db2.internal.example",
				row.Version, hash2 != hash1, creds["password"] == ifuPassword, creds["host"])
		}
		if d := detail(); d["Version"] != "2" || d["Host"] != "db2.internal.example" || d["Credentials hash"] != hash2 {
			t.Errorf("detail after a new host: version %q host %q; want 2, db2.internal.example", d["Version"], d["Host"])
		}

		// A new password: version 3 and a new hash.
		const newPassword = "pg-form-canary-second-4Kd8"
		resp, _ = c.Post(editPath, editForm("credentials.host", "db2.internal.example", "credentials.password", newPassword))
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("save a new password: %d, want 303", resp.StatusCode)
		}
		_, page = c.Get("/integrations/" + id)
		if f := ifuFlash(t, page); !strings.Contains(f, "version 3") {
			t.Errorf("flash after a new password = %q, want it to name version 3", f)
		}
		ifuNoSecret(t, "the detail page", page, newPassword)
		row, creds = ifuStored(t, env, id)
		if row.Version != 3 || integrations.CredentialsHash(row.SecretCiphertext) == hash2 || creds["password"] != newPassword {
			t.Errorf("after a new password: version %d, hash changed %v, new password stored %v; want 3, true, true",
				row.Version, integrations.CredentialsHash(row.SecretCiphertext) != hash2, creds["password"] == newPassword)
		}
		if d := ifuDetails(t, page); d["Version"] != "3" || d["Credentials hash"] != integrations.CredentialsHash(row.SecretCiphertext) {
			t.Errorf("detail after a new password: version %q hash %q", d["Version"], d["Credentials hash"])
		}

		// An invalid edit: 422 beside the field, the typed password not sent back, nothing changed.
		resp, page = c.Post(editPath, editForm("name", "Bad Name", "credentials.password", ifuPassword))
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("edit with a bad name: %d, want 422", resp.StatusCode)
		}
		if got := ifuErrorFields(page); !slices.Equal(got, []string{"name"}) {
			t.Errorf("edit with a bad name: field errors %v, want [name]", got)
		}
		doc = ifuDoc(t, page)
		if v, _ := doc.Find(`input[name="name"]`).Attr("value"); v != "Bad Name" {
			t.Errorf("edit with a bad name: name = %q, want the typed one kept", v)
		}
		if doc.Find(ifuSel("kept-password")).Length() != 1 {
			t.Errorf("the 422 edit page lost the kept-password hint")
		}
		ifuNoSecret(t, "the 422 edit page", page, ifuPassword)
		ifuNoSecret(t, "the 422 edit page", page, newPassword)
		if after, _ := ifuStored(t, env, id); after.Version != 3 || after.Name != "orders-db" {
			t.Errorf("a refused edit changed the row: version %d name %q", after.Version, after.Name)
		}
		ifuNoSecret(t, "the server log", env.Logs.String(), ifuPassword)
		ifuNoSecret(t, "the server log", env.Logs.String(), newPassword)
		ifuNoSecret(t, "the database", dumpDB(t, env.Store), newPassword)
	})
}

// TestInfisicalForm_TestConnection presses "Test connection" on the new
// form against the real test PostgreSQL: with htmx, only the result box;
// without, the whole form with the result and the secret field empty;
// PostgreSQL's own refusal for a missing role or database; the guard's
// refusal when private targets are not allowed. Nothing is stored.
func TestInfisicalForm_TestConnection(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		tg := ifuNeedPostgres(t)
		team := env.CreateTeam("payments")
		env.CreateUser("admin@example.com", sb.RoleAdmin)
		c, _ := htSignIn(t, env, "admin@example.com")
		form := func(kv ...string) url.Values {
			f := ifuPGForm(team.ID, "orders-db", tg, ifuPassword)
			f.Set("test", "1")
			for i := 0; i < len(kv); i += 2 {
				f.Set(kv[i], kv[i+1])
			}
			return f
		}
		htmx := func(f url.Values) (*http.Response, string) {
			t.Helper()
			c.Header.Set("HX-Request", "true")
			defer c.Header.Del("HX-Request")
			return c.Post(ifuNewPath, f)
		}
		// resultBox presses Test with htmx, checks that the answer is the
		// result box alone and returns its kind and text.
		resultBox := func(t *testing.T, f url.Values) (string, string) {
			t.Helper()
			resp, frag := htmx(f)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status = %d, want 200; body %.300s", resp.StatusCode, frag)
			}
			if strings.Contains(frag, "<form") || strings.Contains(frag, "<html") {
				t.Errorf("the htmx answer is more than the result box: %.200s…", frag)
			}
			if !strings.Contains(resp.Header.Get("Vary"), "HX-Request") {
				t.Errorf("Vary = %q, want HX-Request", resp.Header.Get("Vary"))
			}
			doc := ifuDoc(t, frag)
			ok, failed := doc.Find(ifuSel("test-ok")), doc.Find(ifuSel("test-failed"))
			if ok.Length()+failed.Length() != 1 {
				t.Fatalf("the answer has %d test-ok and %d test-failed boxes, want one in all: %s", ok.Length(), failed.Length(), frag)
			}
			ifuNoSecret(t, "the result box", frag, ifuPassword)
			if ok.Length() == 1 {
				return "test-ok", strings.TrimSpace(ok.Text())
			}
			return "test-failed", strings.TrimSpace(failed.Text())
		}

		t.Run("htmx, works", func(t *testing.T) {
			kind, text := resultBox(t, form())
			if kind != "test-ok" || !strings.Contains(text, "PostgreSQL") || !strings.Contains(text, "SELECT 1 succeeded") {
				t.Errorf("result = %s %q, want test-ok naming PostgreSQL and SELECT 1", kind, text)
			}
		})
		for _, tc := range []struct{ name, field, value, want string }{
			{"htmx, no such role", "credentials.username", "sb_no_such_role_x", `role "sb_no_such_role_x" does not exist`},
			{"htmx, no such database", "credentials.database", "sb_no_such_db_x", `database "sb_no_such_db_x" does not exist`},
			{"htmx, nothing listens", "credentials.port", "1", "connect"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				kind, text := resultBox(t, form(tc.field, tc.value))
				if kind != "test-failed" || !strings.Contains(text, tc.want) {
					t.Errorf("result = %s %q, want test-failed with %q", kind, text, tc.want)
				}
				if !strings.HasPrefix(text, "Failed to validate credentials: ") {
					t.Errorf("result %q does not start with Infisical's \"Failed to validate credentials: \"", text)
				}
			})
		}
		t.Run("htmx, the password in the role name", func(t *testing.T) {
			// PostgreSQL quotes the role back; the password must still not appear.
			kind, text := resultBox(t, form("credentials.username", ifuPassword))
			if kind != "test-failed" || !strings.Contains(text, "does not exist") {
				t.Errorf("result = %s %q, want test-failed", kind, text)
			}
		})

		t.Run("htmx, field errors", func(t *testing.T) {
			resp, frag := htmx(form("credentials.host", ""))
			if resp.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("status = %d, want 422", resp.StatusCode)
			}
			if resp.Header.Get("HX-Retarget") != "#infisical-form" || resp.Header.Get("HX-Reswap") != "outerHTML" {
				t.Errorf("HX-Retarget %q HX-Reswap %q, want the whole form swapped", resp.Header.Get("HX-Retarget"), resp.Header.Get("HX-Reswap"))
			}
			if !strings.HasPrefix(strings.TrimSpace(frag), `<form id="infisical-form"`) {
				t.Errorf("the answer is not the form alone: %.120s", frag)
			}
			if got := ifuErrorFields(frag); !slices.Equal(got, []string{"credentials.host"}) {
				t.Errorf("field errors = %v, want [credentials.host]", got)
			}
			ifuNoSecret(t, "the 422 fragment", frag, ifuPassword)
		})

		t.Run("no JavaScript", func(t *testing.T) {
			resp, page := c.Post(ifuNewPath, form())
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status = %d, want 200", resp.StatusCode)
			}
			if !strings.Contains(page, "<html") {
				t.Fatalf("without htmx the answer is not a whole page")
			}
			doc := ifuDoc(t, page)
			res := doc.Find(ifuSel("infisical-form") + " " + ifuSel("test-ok"))
			if !strings.Contains(res.Text(), "PostgreSQL") {
				t.Errorf("the form shows no test-ok result naming PostgreSQL; test-ok = %q", res.Text())
			}
			if v, ok := ifuField(doc, "password").Attr("value"); ok && v != "" {
				t.Errorf("the password input holds %s, want it empty", redact(v))
			}
			for name, want := range map[string]string{"host": tg.host, "port": tg.port, "database": tg.database, "username": tg.username} {
				if v, _ := ifuField(doc, name).Attr("value"); v != want {
					t.Errorf("%s = %q, want %q kept", name, v, want)
				}
			}
			if v, _ := doc.Find(`input[name="name"]`).Attr("value"); v != "orders-db" {
				t.Errorf("name = %q, want orders-db kept", v)
			}
			if v, _ := doc.Find(ifuSel("team-select") + " option[selected]").Attr("value"); v != team.ID {
				t.Errorf("team = %q, want %s kept", v, team.ID)
			}
			ifuNoSecret(t, "the page", page, ifuPassword)

			resp, page = c.Post(ifuNewPath, form("credentials.username", "sb_no_such_role_x"))
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("failed test: status = %d, want 200", resp.StatusCode)
			}
			if got := ifuDoc(t, page).Find(ifuSel("test-failed")).Text(); !strings.Contains(got, `role "sb_no_such_role_x" does not exist`) {
				t.Errorf("failed test shows %q, want PostgreSQL's refusal", strings.TrimSpace(got))
			}
			ifuNoSecret(t, "the page", page, ifuPassword)
		})

		t.Run("private targets refused", func(t *testing.T) {
			env.App.Services.Guard.AllowPrivate = false
			defer func() { env.App.Services.Guard.AllowPrivate = true }()
			kind, text := resultBox(t, form())
			if kind != "test-failed" || !strings.Contains(text, "refusing to connect") || !strings.Contains(text, "loopback") {
				t.Errorf("result = %s %q, want test-failed with the guard's refusal naming loopback", kind, text)
			}
		})

		if n := htCount(t, env, "integrations"); n != 0 {
			t.Errorf("%d integrations after tests only, want 0", n)
		}
		ifuNoSecret(t, "the server log", env.Logs.String(), ifuPassword)
		ifuNoSecret(t, "the database", dumpDB(t, env.Store), ifuPassword)
	})
}

// TestInfisicalDetail_TestConnection presses "Test connection" on the
// detail page: a flash with the result (PostgreSQL's refusal for a role
// that does not exist), the result box alone with htmx, the guard's
// refusal with private targets off, and an audit row per test.
func TestInfisicalDetail_TestConnection(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		tg := ifuNeedPostgres(t)
		team := env.CreateTeam("payments")
		env.CreateUser("admin@example.com", sb.RoleAdmin)
		c, _ := htSignIn(t, env, "admin@example.com")
		goodID := ifuCreateID(t, c, ifuPGForm(team.ID, "orders-db", tg, ifuPassword))
		bad := tg
		bad.username = "sb_no_such_role_y"
		badID := ifuCreateID(t, c, ifuPGForm(team.ID, "orders-db-bad", bad, ifuPassword))

		press := func(id string) string {
			t.Helper()
			resp, body := c.Post("/integrations/"+id+"/test", nil)
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/integrations/"+id {
				t.Fatalf("POST test: %d to %q, want 303 to the detail page; body %.200s", resp.StatusCode, resp.Header.Get("Location"), body)
			}
			_, page := c.Get("/integrations/" + id)
			ifuNoSecret(t, "the detail page after a test", page, ifuPassword)
			return page
		}
		page := press(goodID)
		if f := ifuFlash(t, page); !strings.Contains(f, "Connection works") || !strings.Contains(f, "PostgreSQL") {
			t.Errorf("flash after a good test = %q, want it to say the PostgreSQL connection works", f)
		}
		if !strings.Contains(page, "flash-success") {
			t.Errorf("the good test's flash is not a success flash")
		}
		page = press(badID)
		if f := ifuFlash(t, page); !strings.Contains(f, `role "sb_no_such_role_y" does not exist`) {
			t.Errorf("flash after a bad test = %q, want PostgreSQL's refusal", f)
		}
		if !strings.Contains(page, "flash-error") {
			t.Errorf("the bad test's flash is not an error flash")
		}

		c.Header.Set("HX-Request", "true")
		resp, frag := c.Post("/integrations/"+goodID+"/test", nil)
		c.Header.Del("HX-Request")
		if resp.StatusCode != http.StatusOK || strings.Contains(frag, "<html") {
			t.Fatalf("htmx test: %d, a whole page %v; want 200 with the box alone", resp.StatusCode, strings.Contains(frag, "<html"))
		}
		if got := ifuDoc(t, frag).Find(ifuSel("test-ok")).Text(); !strings.Contains(got, "PostgreSQL") {
			t.Errorf("htmx test answered %q, want a test-ok box naming PostgreSQL", frag)
		}
		ifuNoSecret(t, "the htmx result", frag, ifuPassword)

		env.App.Services.Guard.AllowPrivate = false
		page = press(goodID)
		env.App.Services.Guard.AllowPrivate = true
		if f := ifuFlash(t, page); !strings.Contains(f, "loopback") || !strings.Contains(f, "refusing to connect") {
			t.Errorf("flash with private targets off = %q, want the guard's refusal naming loopback", f)
		}

		// No test changed anything stored.
		if row, creds := ifuStored(t, env, goodID); row.Version != 1 || creds["password"] != ifuPassword {
			t.Errorf("after tests: version %d, password kept %v", row.Version, creds["password"] == ifuPassword)
		}
		var tests int
		if err := env.Store.SQLX().GetContext(context.Background(), &tests, "SELECT COUNT(*) FROM audit_events WHERE action = 'integration.test'"); err != nil {
			t.Fatalf("count audit rows: %v", err)
		}
		if tests != 4 {
			t.Errorf("%d integration.test audit rows, want 4", tests)
		}
		ifuNoSecret(t, "the server log", env.Logs.String(), ifuPassword)
		ifuNoSecret(t, "the database", dumpDB(t, env.Store), ifuPassword)
	})
}

// TestInfisicalForm_TeamIsolation: a support user of another team gets
// 404 on the connection's detail, edit and test routes, and changes
// nothing; one of the connection's team may use them.
func TestInfisicalForm_TeamIsolation(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		team := env.CreateTeam("payments")
		env.CreateTeam("ledger")
		env.CreateUser("owner@example.com", sb.RoleSupport, "payments")
		env.CreateUser("other@example.com", sb.RoleSupport, "ledger")
		owner, _ := htSignIn(t, env, "owner@example.com")
		other, _ := htSignIn(t, env, "other@example.com")
		tg := ifuTarget{host: "db.internal.example", port: "6543", database: "orders", username: "orders_app"}
		id := ifuCreateID(t, owner, ifuPGForm(team.ID, "orders-db", tg, ifuPassword))
		before, _ := ifuStored(t, env, id)
		edit := ifuPGForm("", "taken-over", tg, "attacker-password-canary")
		editTest := ifuPGForm("", "orders-db", tg, "")
		editTest.Set("test", "1")

		for _, tc := range []struct {
			method, path string
			form         url.Values
		}{
			{http.MethodGet, "/integrations/" + id, nil},
			{http.MethodGet, "/integrations/" + id + "/edit", nil},
			{http.MethodPost, "/integrations/" + id + "/edit", edit},
			{http.MethodPost, "/integrations/" + id + "/edit", editTest},
			{http.MethodPost, "/integrations/" + id + "/test", url.Values{}},
		} {
			for _, hx := range []bool{false, true} {
				if hx {
					other.Header.Set("HX-Request", "true")
				}
				var resp *http.Response
				var body string
				if tc.method == http.MethodGet {
					resp, body = other.Get(tc.path)
				} else {
					resp, body = other.Post(tc.path, tc.form)
				}
				other.Header.Del("HX-Request")
				if resp.StatusCode != http.StatusNotFound {
					t.Errorf("%s %s (htmx %v) by another team's support user = %d, want 404", tc.method, tc.path, hx, resp.StatusCode)
				}
				for _, leak := range []string{"orders-db", tg.host, ifuPassword} {
					if strings.Contains(body, leak) {
						t.Errorf("%s %s by another team shows %q", tc.method, tc.path, redact(leak))
					}
				}
			}
		}
		after, _ := ifuStored(t, env, id)
		if after.Name != before.Name || after.Version != before.Version || after.Attrs != before.Attrs {
			t.Errorf("another team's requests changed the connection: name %q version %d", after.Name, after.Version)
		}
		var tests int
		env.Store.SQLX().GetContext(context.Background(), &tests, "SELECT COUNT(*) FROM audit_events WHERE action = 'integration.test'")
		if tests != 0 {
			t.Errorf("%d connection tests recorded for another team's requests, want 0", tests)
		}
		// The owner's team may: the same routes answer.
		for _, p := range []string{"/integrations/" + id, "/integrations/" + id + "/edit"} {
			if resp, _ := owner.Get(p); resp.StatusCode != http.StatusOK {
				t.Errorf("GET %s by the team's support user = %d, want 200", p, resp.StatusCode)
			}
		}
		if resp, _ := owner.Post("/integrations/"+id+"/test", nil); resp.StatusCode != http.StatusSeeOther {
			t.Errorf("POST test by the team's support user = %d, want 303", resp.StatusCode)
		}
	})
}

// TestInfisicalForm_WrongPassword tests credentials against a PostgreSQL
// that checks passwords (the throwaway scram-sha-256 cluster .ci/run
// starts; the shared test server trusts 127.0.0.1): the form's test shows
// PostgreSQL's "password authentication failed" without either password;
// the edit form's test with the password left empty uses the stored one;
// the detail page's test of a stored wrong password shows the refusal.
func TestInfisicalForm_WrongPassword(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		u := dbtest.PasswordURL(t)
		good, _ := u.User.Password()
		const wrong = "pg-wrong-password-canary-5Tz1"
		tg := ifuTarget{host: u.Hostname(), port: u.Port(), database: strings.TrimPrefix(u.Path, "/"), username: u.User.Username()}
		if _, err := strconv.Atoi(tg.port); err != nil {
			t.Fatalf("SWITCHBOARD_TEST_PG_PASSWORD_URL has no port")
		}
		team := env.CreateTeam("payments")
		env.CreateUser("admin@example.com", sb.RoleAdmin)
		c, _ := htSignIn(t, env, "admin@example.com")
		refusal := `password authentication failed for user "` + tg.username + `"`
		test := func(path string, f url.Values) (string, string) {
			t.Helper()
			f.Set("test", "1")
			c.Header.Set("HX-Request", "true")
			resp, frag := c.Post(path, f)
			c.Header.Del("HX-Request")
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("test on %s: %d, want 200; %.300s", path, resp.StatusCode, frag)
			}
			ifuNoSecret(t, "the result", frag, good)
			ifuNoSecret(t, "the result", frag, wrong)
			doc := ifuDoc(t, frag)
			if s := doc.Find(ifuSel("test-ok")); s.Length() == 1 {
				return "test-ok", strings.TrimSpace(s.Text())
			}
			return "test-failed", strings.TrimSpace(doc.Find(ifuSel("test-failed")).Text())
		}
		if kind, text := test(ifuNewPath, ifuPGForm(team.ID, "pw-db", tg, wrong)); kind != "test-failed" || !strings.Contains(text, refusal) {
			t.Errorf("form test with a wrong password = %s %q, want test-failed with %q", kind, text, refusal)
		}
		if kind, text := test(ifuNewPath, ifuPGForm(team.ID, "pw-db", tg, good)); kind != "test-ok" {
			t.Errorf("form test with the right password = %s %q, want test-ok", kind, text)
		}

		goodID := ifuCreateID(t, c, ifuPGForm(team.ID, "pw-db", tg, good))
		wrongID := ifuCreateID(t, c, ifuPGForm(team.ID, "pw-db-wrong", tg, wrong))
		// The edit form's test: an empty password means the stored one.
		if kind, text := test("/integrations/"+goodID+"/edit", ifuPGForm("", "pw-db", tg, "")); kind != "test-ok" {
			t.Errorf("edit-form test keeping the stored right password = %s %q, want test-ok", kind, text)
		}
		if kind, text := test("/integrations/"+goodID+"/edit", ifuPGForm("", "pw-db", tg, wrong)); kind != "test-failed" || !strings.Contains(text, refusal) {
			t.Errorf("edit-form test with a typed wrong password = %s %q, want the refusal", kind, text)
		}
		if kind, text := test("/integrations/"+wrongID+"/edit", ifuPGForm("", "pw-db-wrong", tg, "")); kind != "test-failed" || !strings.Contains(text, refusal) {
			t.Errorf("edit-form test keeping a stored wrong password = %s %q, want the refusal", kind, text)
		}
		// The detail page.
		resp, _ := c.Post("/integrations/"+wrongID+"/test", nil)
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("detail test: %d, want 303", resp.StatusCode)
		}
		_, page := c.Get("/integrations/" + wrongID)
		if f := ifuFlash(t, page); !strings.Contains(f, refusal) {
			t.Errorf("detail test of a stored wrong password: flash %q, want %q", f, refusal)
		}
		for _, s := range []string{good, wrong} {
			ifuNoSecret(t, "the detail page", page, s)
			ifuNoSecret(t, "the server log", env.Logs.String(), s)
		}
	})
}

// TestInfisicalDetail_Revoked revokes a connection: its detail page still
// says what it was (app, non-secret fields) and nothing about keyed
// hashes, offers no test or edit, and the test and edit routes answer 404.
func TestInfisicalDetail_Revoked(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		team := env.CreateTeam("payments")
		env.CreateUser("admin@example.com", sb.RoleAdmin)
		c, _ := htSignIn(t, env, "admin@example.com")
		tg := ifuTarget{host: "db.internal.example", port: "6543", database: "orders", username: "orders_app"}
		id := ifuCreateID(t, c, ifuPGForm(team.ID, "orders-db", tg, ifuPassword))
		if resp, _ := c.Post("/integrations/"+id+"/revoke", nil); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("revoke = %d, want 303", resp.StatusCode)
		}
		resp, page := c.Get("/integrations/" + id)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET the revoked connection = %d, want 200", resp.StatusCode)
		}
		doc := ifuDoc(t, page)
		if got := strings.TrimSpace(doc.Find(ifuSel("integration-status")).Text()); got != "revoked" {
			t.Errorf("status = %q, want revoked", got)
		}
		if htHasTestID(page, "test-connection") || htHasTestID(page, "edit") || htHasTestID(page, "revoke") {
			t.Errorf("the revoked connection's page offers test, edit or revoke")
		}
		d := ifuDetails(t, page)
		if d["App"] != "PostgreSQL · Username & Password" || d["Host"] != tg.host {
			t.Errorf("the revoked connection's page shows App %q Host %q, want what it was (PostgreSQL, %s); details %v", d["App"], d["Host"], tg.host, d)
		}
		if note := doc.Find("p.hint").Text(); strings.Contains(note, "keyed hash") {
			t.Errorf("the revoked app connection's page says its secret is %q; its credentials were supplied and sealed, not hashed", strings.TrimSpace(note))
		}
		ifuNoSecret(t, "the revoked connection's page", page, ifuPassword)
		if resp, _ := c.Post("/integrations/"+id+"/test", nil); resp.StatusCode != http.StatusNotFound {
			t.Errorf("POST test of a revoked connection = %d, want 404", resp.StatusCode)
		}
		if resp, _ := c.Get("/integrations/" + id + "/edit"); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET edit of a revoked connection = %d, want 404", resp.StatusCode)
		}
		// Its name is free again for a new connection.
		ifuCreate(t, c, ifuPGForm(team.ID, "orders-db", tg, ifuPassword))
	})
}
