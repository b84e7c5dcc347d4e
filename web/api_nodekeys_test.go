package web_test

// In-process HTTP tests of the node API key JSON family
// (/api/v1/integrations), held to the vendor's document in
// seeds/node-api-key-create-integration.md: request and response fields,
// validation with the failing fields named, and the status codes.

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	sb "switchboard"
	"switchboard/access"
	"switchboard/integrations"
	"switchboard/secrets"
	"switchboard/web/webtest"
)

// htAPIError checks the family's error body: {"error": code, "message": …}
// (plus "fields" on 400) and returns the failing field names.
func htAPIError(t *testing.T, resp *http.Response, m map[string]any, raw string, wantStatus int, wantCode string) []string {
	t.Helper()
	if resp.StatusCode != wantStatus {
		t.Errorf("status = %d, want %d; body %s", resp.StatusCode, wantStatus, raw)
	}
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Errorf("Content-Type = %q, want application/json", resp.Header.Get("Content-Type"))
	}
	if m == nil {
		t.Fatalf("body is not a JSON object: %s", raw)
	}
	if got, _ := m["error"].(string); got != wantCode {
		t.Errorf("error = %v, want %q", m["error"], wantCode)
	}
	if msg, _ := m["message"].(string); msg == "" {
		t.Errorf("message = %v, want a non-empty string", m["message"])
	}
	for k := range m {
		if k != "error" && k != "message" && k != "fields" {
			t.Errorf("error body has an unexpected key %q", k)
		}
	}
	var fields []string
	if f, ok := m["fields"]; ok {
		fm, ok := f.(map[string]any)
		if !ok {
			t.Errorf("fields = %v, want an object", f)
		}
		for k, v := range fm {
			if s, _ := v.(string); s == "" {
				t.Errorf("fields[%q] = %v, want a reason", k, v)
			}
			fields = append(fields, k)
		}
	}
	slices.Sort(fields)
	return fields
}

func htKeys(m map[string]any) []string {
	return slices.Sorted(maps.Keys(m))
}

func TestAPINodeKeys_Post(t *testing.T) {
	createdKeys := []string{"api_key", "created_at", "expires_at", "id", "name", "node_id", "permissions", "secret"}
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		a := env.CreateTeam("payments")
		b := env.CreateTeam("ledger")
		nodes := make([]string, 6)
		for i := range nodes {
			nodes[i] = env.CreateNode(a.ID, fmt.Sprintf("edge-%d", i)).ID
		}
		nb := env.CreateNode(b.ID, "edge-b").ID
		token := env.CreateToken(a.ID, false)

		for i, tc := range []struct {
			name      string
			body      map[string]any
			wantName  string
			wantPerms []string
			wantExp   any
		}{
			{"seed example", map[string]any{"name": "Production API", "permissions": []string{"payments.read", "payments.create"}, "expires_at": "2099-12-31T23:59:59Z"},
				"Production API", []string{"payments.read", "payments.create"}, "2099-12-31T23:59:59Z"},
			{"only required fields", map[string]any{"name": "Minimal"}, "Minimal", []string{}, nil},
			{"explicit nulls", map[string]any{"name": "Nulls", "permissions": nil, "expires_at": nil}, "Nulls", []string{}, nil},
			{"255-character name", map[string]any{"name": strings.Repeat("é", 255)}, strings.Repeat("é", 255), []string{}, nil},
			{"offset expiry", map[string]any{"name": "Offset", "expires_at": "2099-06-01T12:00:00+02:00", "permissions": []string{"webhooks.manage", "webhooks.manage"}},
				"Offset", []string{"webhooks.manage"}, "2099-06-01T10:00:00Z"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				body := maps.Clone(tc.body)
				body["node_id"] = nodes[i]
				start := time.Now().Add(-time.Second)
				resp, m, raw := env.API(http.MethodPost, "/api/v1/integrations", token, body)
				if resp.StatusCode != http.StatusCreated {
					t.Fatalf("status = %d, want 201; body %s", resp.StatusCode, raw)
				}
				if !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
					t.Errorf("Content-Type = %q, want application/json", resp.Header.Get("Content-Type"))
				}
				if got := resp.Header.Get("Cache-Control"); got != "no-store" {
					t.Errorf("Cache-Control = %q, want no-store", got)
				}
				if got := htKeys(m); !slices.Equal(got, createdKeys) {
					t.Errorf("keys = %v, want exactly %v", got, createdKeys)
				}
				id, _ := m["id"].(string)
				if _, err := uuid.Parse(id); err != nil {
					t.Errorf("id = %q, want a UUID", id)
				}
				if m["node_id"] != nodes[i] {
					t.Errorf("node_id = %v, want %s", m["node_id"], nodes[i])
				}
				if m["name"] != tc.wantName {
					t.Errorf("name = %v, want %q", m["name"], tc.wantName)
				}
				apiKey, _ := m["api_key"].(string)
				if !strings.HasPrefix(apiKey, "apex_") || !secrets.CheckToken("apex_", apiKey) {
					t.Errorf("api_key = %q, want apex_ with a valid checksum", apiKey)
				}
				secret, _ := m["secret"].(string)
				if len(secret) < 32 || secret == apiKey {
					t.Errorf("secret = %q, want a long value distinct from the key", secret)
				}
				var perms []string
				list, ok := m["permissions"].([]any)
				if !ok {
					t.Errorf("permissions = %v, want an array", m["permissions"])
				}
				for _, p := range list {
					s, _ := p.(string)
					perms = append(perms, s)
				}
				if !slices.Equal(htSorted(perms), htSorted(tc.wantPerms)) {
					t.Errorf("permissions = %v, want %v", perms, tc.wantPerms)
				}
				if m["expires_at"] != tc.wantExp {
					t.Errorf("expires_at = %v, want %v", m["expires_at"], tc.wantExp)
				}
				created, err := time.Parse(time.RFC3339, fmt.Sprint(m["created_at"]))
				if err != nil || created.Before(start.Truncate(time.Second)) || created.After(time.Now().Add(time.Second)) {
					t.Errorf("created_at = %v, want now as RFC 3339 (%v)", m["created_at"], err)
				}
				// Stored: active, the secret only as a keyed hash.
				row, err := env.Store.IntegrationByID(context.Background(), id)
				if err != nil {
					t.Fatalf("row %s: %v", id, err)
				}
				if row.Status != integrations.StatusActive || row.TeamID != a.ID {
					t.Errorf("row status %q team %s, want active %s", row.Status, row.TeamID, a.ID)
				}
				if row.SecretHash == nil || strings.Contains(*row.SecretHash, secret) || !env.App.Services.VerifyNodeSecret(htRecord(t, env, row.ID), secret) {
					t.Errorf("the stored hash does not verify the secret")
				}
				if strings.Contains(env.Logs.String(), secret) {
					t.Errorf("the secret is in the server log")
				}
			})
		}

		t.Run("invalid", func(t *testing.T) {
			n := nodes[5]
			before := htCount(t, env, "integrations")
			for _, tc := range []struct {
				name       string
				body       string
				wantFields []string
			}{
				{"missing node_id", `{"name":"x"}`, []string{"node_id"}},
				{"empty node_id", `{"node_id":"","name":"x"}`, []string{"node_id"}},
				{"node_id not a uuid", `{"node_id":"node-1","name":"x"}`, []string{"node_id"}},
				{"node_id uuid without hyphens", fmt.Sprintf(`{"node_id":%q,"name":"x"}`, strings.ReplaceAll(n, "-", "")), []string{"node_id"}},
				{"node_id uuid in braces", fmt.Sprintf(`{"node_id":"{%s}","name":"x"}`, n), []string{"node_id"}},
				{"missing name", fmt.Sprintf(`{"node_id":%q}`, n), []string{"name"}},
				{"empty name", fmt.Sprintf(`{"node_id":%q,"name":""}`, n), []string{"name"}},
				{"blank name", fmt.Sprintf(`{"node_id":%q,"name":"   "}`, n), []string{"name"}},
				{"256-character name", fmt.Sprintf(`{"node_id":%q,"name":%q}`, n, strings.Repeat("n", 256)), []string{"name"}},
				{"node_id a number", `{"node_id":42,"name":"x"}`, []string{"node_id"}},
				{"name a number", fmt.Sprintf(`{"node_id":%q,"name":7}`, n), []string{"name"}},
				{"name an object", fmt.Sprintf(`{"node_id":%q,"name":{"a":1}}`, n), []string{"name"}},
				{"permissions a string", fmt.Sprintf(`{"node_id":%q,"name":"x","permissions":"payments.read"}`, n), []string{"permissions"}},
				{"permissions of numbers", fmt.Sprintf(`{"node_id":%q,"name":"x","permissions":[1,2]}`, n), []string{"permissions"}},
				{"expires_at a number", fmt.Sprintf(`{"node_id":%q,"name":"x","expires_at":1767225599}`, n), []string{"expires_at"}},
				{"unknown permission", fmt.Sprintf(`{"node_id":%q,"name":"x","permissions":["payments.read","payments.steal"]}`, n), []string{"permissions"}},
				{"expiry in the past", fmt.Sprintf(`{"node_id":%q,"name":"x","expires_at":"2020-01-01T00:00:00Z"}`, n), []string{"expires_at"}},
				{"expiry now-ish", fmt.Sprintf(`{"node_id":%q,"name":"x","expires_at":%q}`, n, time.Now().UTC().Format(time.RFC3339)), []string{"expires_at"}},
				{"expiry not ISO 8601", fmt.Sprintf(`{"node_id":%q,"name":"x","expires_at":"next tuesday"}`, n), []string{"expires_at"}},
				{"expiry in US format", fmt.Sprintf(`{"node_id":%q,"name":"x","expires_at":"12/31/2099"}`, n), []string{"expires_at"}},
				{"every field wrong", `{"node_id":"x","name":"","permissions":["nope"],"expires_at":"soon"}`, []string{"expires_at", "name", "node_id", "permissions"}},
				// A type error must not hide the other failing fields.
				{"two fields of the wrong type", `{"node_id":42,"name":7}`, []string{"name", "node_id"}},
				{"wrong type and a missing field", fmt.Sprintf(`{"node_id":%q,"permissions":"payments.read"}`, n), []string{"name", "permissions"}},
				{"invalid JSON", `{"node_id":`, nil},
				{"not JSON at all", `node_id=x&name=y`, nil},
				{"empty body", ``, nil},
				{"JSON array", `[]`, nil},
				{"JSON string", `"hello"`, nil},
				{"two objects", fmt.Sprintf(`{"node_id":%q,"name":"x"} {}`, n), nil},
			} {
				t.Run(tc.name, func(t *testing.T) {
					var body any = tc.body
					if tc.body == "" {
						body = nil
					}
					resp, m, raw := env.API(http.MethodPost, "/api/v1/integrations", token, body)
					fields := htAPIError(t, resp, m, raw, http.StatusBadRequest, "invalid_request")
					if !slices.Equal(fields, tc.wantFields) {
						t.Errorf("fields = %v, want %v; body %s", fields, tc.wantFields, raw)
					}
				})
			}
			if after := htCount(t, env, "integrations"); after != before {
				t.Errorf("integrations = %d, want %d (invalid requests create nothing)", after, before)
			}
		})

		t.Run("not found", func(t *testing.T) {
			for _, tc := range []struct{ name, node string }{
				{"unknown node", uuid.NewString()},
				{"another team's node", nb},
			} {
				t.Run(tc.name, func(t *testing.T) {
					resp, m, raw := env.API(http.MethodPost, "/api/v1/integrations", token, map[string]any{"node_id": tc.node, "name": "x"})
					htAPIError(t, resp, m, raw, http.StatusNotFound, "not_found")
					if strings.Contains(raw, "ledger") || strings.Contains(raw, "edge-b") {
						t.Errorf("the 404 tells about the other team: %s", raw)
					}
				})
			}
			if n := htActive(t, env, nb); n != 0 {
				t.Errorf("the other team's node has %d keys, want 0", n)
			}
		})

		t.Run("conflict", func(t *testing.T) {
			resp, m, raw := env.API(http.MethodPost, "/api/v1/integrations", token, map[string]any{"node_id": nodes[0], "name": "Second"})
			htAPIError(t, resp, m, raw, http.StatusConflict, "conflict")
			if n := htActive(t, env, nodes[0]); n != 1 {
				t.Errorf("active keys = %d, want exactly 1", n)
			}
		})

		t.Run("expired key does not block a new one", func(t *testing.T) {
			n := nodes[5]
			exp := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
			resp, first, raw := env.API(http.MethodPost, "/api/v1/integrations", token, map[string]any{"node_id": n, "name": "Short-lived", "expires_at": exp})
			if resp.StatusCode != http.StatusCreated {
				t.Fatalf("create = %d %s", resp.StatusCode, raw)
			}
			later := func() time.Time { return time.Now().Add(2 * time.Hour) }
			env.Store.Now, env.App.Services.Now = later, later
			defer func() { env.Store.Now, env.App.Services.Now = time.Now, time.Now }()
			resp, _, raw = env.API(http.MethodPost, "/api/v1/integrations", token, map[string]any{"node_id": n, "name": "Replacement"})
			if resp.StatusCode != http.StatusCreated {
				t.Fatalf("create after expiry = %d %s, want 201", resp.StatusCode, raw)
			}
			_, old, _ := env.API(http.MethodGet, "/api/v1/integrations/"+fmt.Sprint(first["id"]), token, nil)
			if old["status"] != integrations.StatusExpired {
				t.Errorf("old key status = %v, want expired", old["status"])
			}
			if n := htActive(t, env, n); n != 1 {
				t.Errorf("active keys = %d, want 1", n)
			}
		})
	})
}

func TestAPINodeKeys_Get(t *testing.T) {
	readKeys := []string{"api_key", "created_at", "expires_at", "id", "name", "node_id", "permissions", "status"}
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		a := env.CreateTeam("payments")
		b := env.CreateTeam("ledger")
		a1 := env.CreateNode(a.ID, "edge-a1").ID
		a2 := env.CreateNode(a.ID, "edge-a2").ID
		b1 := env.CreateNode(b.ID, "edge-b1").ID
		tokA := env.CreateToken(a.ID, false)
		tokB := env.CreateToken(b.ID, false)
		create := func(token, node, name string) (id, secret string) {
			t.Helper()
			resp, m, raw := env.API(http.MethodPost, "/api/v1/integrations", token, map[string]any{"node_id": node, "name": name, "permissions": []string{"payouts.read"}})
			if resp.StatusCode != http.StatusCreated {
				t.Fatalf("create %s = %d %s", name, resp.StatusCode, raw)
			}
			return m["id"].(string), m["secret"].(string)
		}
		idA1, secA1 := create(tokA, a1, "A1")
		idA2, secA2 := create(tokA, a2, "A2")
		idB1, secB1 := create(tokB, b1, "B1")
		allSecrets := []string{secA1, secA2, secB1}

		list := func(t *testing.T, raw string, m map[string]any) []string {
			t.Helper()
			items, ok := m["integrations"].([]any)
			if !ok {
				t.Fatalf("body has no integrations array: %s", raw)
			}
			var ids []string
			for _, it := range items {
				obj, _ := it.(map[string]any)
				if got := htKeys(obj); !slices.Equal(got, readKeys) {
					t.Errorf("item keys = %v, want %v", got, readKeys)
				}
				ids = append(ids, fmt.Sprint(obj["id"]))
			}
			return htSorted(ids)
		}

		for _, tc := range []struct {
			name, token, path string
			want              int
			wantIDs           []string
			wantCode          string
		}{
			{"list of team A", tokA, "/api/v1/integrations", http.StatusOK, htSorted([]string{idA1, idA2}), ""},
			{"list of team B", tokB, "/api/v1/integrations", http.StatusOK, []string{idB1}, ""},
			{"list by node", tokA, "/api/v1/integrations?node_id=" + a2, http.StatusOK, []string{idA2}, ""},
			{"list by another team's node", tokA, "/api/v1/integrations?node_id=" + b1, http.StatusNotFound, nil, "not_found"},
			{"list by unknown node", tokA, "/api/v1/integrations?node_id=" + uuid.NewString(), http.StatusNotFound, nil, "not_found"},
			{"list by a bad node id", tokA, "/api/v1/integrations?node_id=nope", http.StatusBadRequest, nil, "invalid_request"},
			{"one", tokA, "/api/v1/integrations/" + idA1, http.StatusOK, []string{idA1}, ""},
			{"another team's", tokA, "/api/v1/integrations/" + idB1, http.StatusNotFound, nil, "not_found"},
			{"unknown", tokA, "/api/v1/integrations/" + uuid.NewString(), http.StatusNotFound, nil, "not_found"},
			{"not a uuid", tokA, "/api/v1/integrations/nope", http.StatusNotFound, nil, "not_found"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				resp, m, raw := env.API(http.MethodGet, tc.path, tc.token, nil)
				if tc.wantCode != "" {
					htAPIError(t, resp, m, raw, tc.want, tc.wantCode)
					return
				}
				if resp.StatusCode != tc.want {
					t.Fatalf("status = %d, want %d; body %s", resp.StatusCode, tc.want, raw)
				}
				if strings.Contains(raw, `"secret"`) {
					t.Errorf("the body has a secret field: %s", raw)
				}
				for _, s := range allSecrets {
					if strings.Contains(raw, s) {
						t.Errorf("the body carries a secret value")
					}
				}
				var ids []string
				if _, isList := m["integrations"]; isList {
					ids = list(t, raw, m)
				} else {
					if got := htKeys(m); !slices.Equal(got, readKeys) {
						t.Errorf("keys = %v, want %v", got, readKeys)
					}
					if m["status"] != "active" || m["name"] != "A1" || m["node_id"] != a1 {
						t.Errorf("status %v name %v node %v, want active A1 %s", m["status"], m["name"], m["node_id"], a1)
					}
					if k, _ := m["api_key"].(string); !secrets.CheckToken("apex_", k) {
						t.Errorf("api_key = %q, want a valid apex_ key", k)
					}
					ids = []string{fmt.Sprint(m["id"])}
				}
				if !slices.Equal(ids, tc.wantIDs) {
					t.Errorf("ids = %v, want %v", ids, tc.wantIDs)
				}
			})
		}
	})
}

func TestAPINodeKeys_Delete(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		a := env.CreateTeam("payments")
		b := env.CreateTeam("ledger")
		a1 := env.CreateNode(a.ID, "edge-a1").ID
		b1 := env.CreateNode(b.ID, "edge-b1").ID
		tokA := env.CreateToken(a.ID, false)
		tokB := env.CreateToken(b.ID, false)
		_, m, _ := env.API(http.MethodPost, "/api/v1/integrations", tokA, map[string]any{"node_id": a1, "name": "A1"})
		idA := fmt.Sprint(m["id"])
		_, m, _ = env.API(http.MethodPost, "/api/v1/integrations", tokB, map[string]any{"node_id": b1, "name": "B1"})
		idB := fmt.Sprint(m["id"])

		for _, tc := range []struct {
			name, token, id string
			want            int
			wantCode        string
		}{
			{"another team's", tokA, idB, http.StatusNotFound, "not_found"},
			{"unknown", tokA, uuid.NewString(), http.StatusNotFound, "not_found"},
			{"not a uuid", tokA, "nope", http.StatusNotFound, "not_found"},
			{"no token", "", idA, http.StatusUnauthorized, "unauthorized"},
			{"own", tokA, idA, http.StatusNoContent, ""},
			{"own again", tokA, idA, http.StatusNoContent, ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				resp, m, raw := env.API(http.MethodDelete, "/api/v1/integrations/"+tc.id, tc.token, nil)
				if tc.wantCode != "" {
					htAPIError(t, resp, m, raw, tc.want, tc.wantCode)
					return
				}
				if resp.StatusCode != tc.want || raw != "" {
					t.Errorf("DELETE = %d %q, want %d with no body", resp.StatusCode, raw, tc.want)
				}
			})
		}
		resp, m, raw := env.API(http.MethodGet, "/api/v1/integrations/"+idA, tokA, nil)
		if resp.StatusCode != http.StatusOK || m["status"] != integrations.StatusRevoked {
			t.Errorf("GET after DELETE = %d status %v, want 200 revoked; %s", resp.StatusCode, m["status"], raw)
		}
		if _, m, _ := env.API(http.MethodGet, "/api/v1/integrations/"+idB, tokB, nil); m["status"] != integrations.StatusActive {
			t.Errorf("the other team's key status = %v, want active", m["status"])
		}
		resp, _, raw = env.API(http.MethodPost, "/api/v1/integrations", tokA, map[string]any{"node_id": a1, "name": "A1 again"})
		if resp.StatusCode != http.StatusCreated {
			t.Errorf("new key after revoke = %d %s, want 201", resp.StatusCode, raw)
		}
	})
}

func TestAPINodeKeys_ReadOnly(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		a := env.CreateTeam("payments")
		a1 := env.CreateNode(a.ID, "edge-a1").ID
		a2 := env.CreateNode(a.ID, "edge-a2").ID
		rw := env.CreateToken(a.ID, false)
		ro := env.CreateToken(a.ID, true)
		_, m, _ := env.API(http.MethodPost, "/api/v1/integrations", rw, map[string]any{"node_id": a1, "name": "A1"})
		id := fmt.Sprint(m["id"])
		before := htCounts(t, env)

		for _, tc := range []struct {
			name, method, path string
			body               any
			want               int
		}{
			{"list", http.MethodGet, "/api/v1/integrations", nil, http.StatusOK},
			{"list by node", http.MethodGet, "/api/v1/integrations?node_id=" + a1, nil, http.StatusOK},
			{"one", http.MethodGet, "/api/v1/integrations/" + id, nil, http.StatusOK},
			{"create", http.MethodPost, "/api/v1/integrations", map[string]any{"node_id": a2, "name": "ro"}, http.StatusForbidden},
			{"delete", http.MethodDelete, "/api/v1/integrations/" + id, nil, http.StatusForbidden},
		} {
			t.Run(tc.name, func(t *testing.T) {
				resp, m, raw := env.API(tc.method, tc.path, ro, tc.body)
				if tc.want == http.StatusForbidden {
					htAPIError(t, resp, m, raw, tc.want, "forbidden")
					return
				}
				if resp.StatusCode != tc.want {
					t.Errorf("%s %s = %d, want %d; %s", tc.method, tc.path, resp.StatusCode, tc.want, raw)
				}
			})
		}
		after := htCounts(t, env)
		// Token bookkeeping (last use, the rate-limit count) is not a change.
		for _, m := range []map[string]int{before, after} {
			delete(m, "api_tokens")
			delete(m, "rate_limits")
		}
		if !mapsEqual(before, after) {
			t.Errorf("read-only requests changed the database: before %v, after %v", before, after)
		}
		if r := htOnlyRow(t, env, a1); r.Status != integrations.StatusActive {
			t.Errorf("status = %q, want active", r.Status)
		}
	})
}

func TestAPIAuth_Get(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		a := env.CreateTeam("payments")
		node := env.CreateNode(a.ID, "edge-1").ID
		good := env.CreateToken(a.ID, false)
		ctx := context.Background()
		admin := sb.Actor{Role: sb.RoleAdmin, Email: "test"}

		expired, _, err := env.App.Access.CreateToken(ctx, admin, access.TokenInput{TeamID: a.ID, Name: "expired", ExpiresIn: time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		revoked, rtok, err := env.App.Access.CreateToken(ctx, admin, access.TokenInput{TeamID: a.ID, Name: "revoked"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := env.Store.SQLX().ExecContext(ctx, env.Store.SQLX().Rebind(`UPDATE api_tokens SET revoked_at = ? WHERE id = ?`), time.Now().UTC(), rtok.ID); err != nil {
			t.Fatal(err)
		}
		creator := env.CreateUser("creator@example.com", sb.RoleAdmin)
		orphaned, _, err := env.App.Access.CreateToken(ctx, sb.Actor{UserID: creator.ID, Role: sb.RoleAdmin, Email: creator.Email}, access.TokenInput{TeamID: a.ID, Name: "orphaned"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := env.Store.SQLX().ExecContext(ctx, env.Store.SQLX().Rebind(`UPDATE users SET disabled_at = ? WHERE id = ?`), time.Now().UTC(), creator.ID); err != nil {
			t.Fatal(err)
		}
		unknown, _ := secrets.NewToken("sbt_")
		flipped := good[:len(good)-1] + "a"
		if strings.HasSuffix(good, "a") {
			flipped = good[:len(good)-1] + "b"
		}
		time.Sleep(5 * time.Millisecond) // let the expired token expire

		for _, tc := range []struct {
			name, header string
			want         int
		}{
			{"no header", "", http.StatusUnauthorized},
			{"empty bearer", "Bearer ", http.StatusUnauthorized},
			{"malformed token", "Bearer not-a-token", http.StatusUnauthorized},
			{"bad checksum", "Bearer " + flipped, http.StatusUnauthorized},
			{"node key instead of a token", "Bearer " + strings.Replace(good, "sbt_", "apex_", 1), http.StatusUnauthorized},
			{"unknown token", "Bearer " + unknown, http.StatusUnauthorized},
			{"expired token", "Bearer " + expired, http.StatusUnauthorized},
			{"revoked token", "Bearer " + revoked, http.StatusUnauthorized},
			{"token of a disabled user", "Bearer " + orphaned, http.StatusUnauthorized},
			{"basic scheme", "Basic " + good, http.StatusUnauthorized},
			{"token with a trailing character", "Bearer " + good + "x", http.StatusUnauthorized},
			{"good token", "Bearer " + good, http.StatusOK},
			{"lowercase scheme", "bearer " + good, http.StatusOK},
		} {
			t.Run(tc.name, func(t *testing.T) {
				for _, req := range []struct {
					method, path string
					body         string
				}{
					{http.MethodGet, "/api/v1/integrations", ""},
					{http.MethodPost, "/api/v1/integrations", fmt.Sprintf(`{"node_id":%q}`, node)},
					{http.MethodDelete, "/api/v1/integrations/" + uuid.NewString(), ""},
				} {
					hdr := http.Header{"Content-Type": {"application/json"}}
					if tc.header != "" {
						hdr.Set("Authorization", tc.header)
					}
					resp, raw := htRaw(t, env, req.method, req.path, nil, hdr, req.body)
					if tc.want == http.StatusOK {
						if resp.StatusCode == http.StatusUnauthorized {
							t.Errorf("%s %s = 401 with a good token; %s", req.method, req.path, raw)
						}
						continue
					}
					var m map[string]any
					json.Unmarshal([]byte(raw), &m)
					htAPIError(t, resp, m, raw, tc.want, "unauthorized")
					if strings.Contains(raw, good) || (len(tc.header) > 7 && strings.Contains(raw, tc.header[7:])) {
						t.Errorf("the 401 echoes the token")
					}
				}
			})
		}
		if n := htCount(t, env, "integrations"); n != 0 {
			t.Errorf("integrations = %d, want 0", n)
		}
		for _, tok := range []string{good, expired, revoked, orphaned, unknown} {
			if strings.Contains(env.Logs.String(), tok) {
				t.Errorf("a token is in the server log")
			}
		}
	})
}
