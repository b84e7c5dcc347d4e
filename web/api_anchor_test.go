package web_test

// In-process HTTP tests of Anchor's 1Password family (/v1/integrations),
// held to ../shared/seeds/anchor-browser-create-integration.md: the seed's
// example request with only the base URL changed, the exact response
// shapes, every documented error in {"error":{"code","message"}} and team
// isolation. Helpers shared with ui_onepassword_test.go and
// browser_onepassword_test.go carry the op prefix.

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
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

// ---- helpers ----

// opToken is a synthetic 1Password service account token: ops_ + base64 of
// a JSON object with the fields 1Password puts in one. Never a real token.
// Its secret parts are random, so every token differs and each part can be
// looked for on its own (the token's base64 hides them; a leak that
// decodes the token would not).
type opToken struct {
	Token     string
	SecretKey string
	SRPX      string
	MUK       string
}

// opSignIn is the sign-in address every synthetic token carries.
const opSignIn = "https://example.1password.com"

func newOPToken(t testing.TB) opToken {
	t.Helper()
	rnd := func(n int) []byte {
		b := make([]byte, n)
		if _, err := rand.Read(b); err != nil {
			t.Fatal(err)
		}
		return b
	}
	tok := opToken{
		SecretKey: "A3-SYNTH-" + strings.ToUpper(hex.EncodeToString(rnd(12))),
		SRPX:      hex.EncodeToString(rnd(32)),
		MUK:       base64.RawURLEncoding.EncodeToString(rnd(32)),
	}
	payload := map[string]any{
		"signInAddress":  opSignIn,
		"userAuth":       map[string]any{"method": "SRPg-4096", "alg": "PBES2g-HS256", "iterations": 650000, "salt": "c2FsdA"},
		"email":          "svc-" + hex.EncodeToString(rnd(4)) + "@1passwordserviceaccounts.com",
		"srpX":           tok.SRPX,
		"muk":            map[string]any{"alg": "A256GCM", "ext": true, "k": tok.MUK, "key_ops": []string{"encrypt", "decrypt"}, "kty": "oct", "kid": "mp"},
		"secretKey":      tok.SecretKey,
		"throttleSecret": map[string]any{"seed": hex.EncodeToString(rnd(8)), "deviceUuid": "x"},
		"deviceUuid":     hex.EncodeToString(rnd(13)),
	}
	b, err := json.Marshal(payload)
	if err != nil {
		t.Fatal(err)
	}
	tok.Token = "ops_" + base64.StdEncoding.EncodeToString(b)
	return tok
}

// canaries are the strings that must never show up after the token's one
// showing: the token, its base64 body and its secret parts.
func (o opToken) canaries() map[string]string {
	return map[string]string{
		"token":             o.Token,
		"token body":        strings.TrimPrefix(o.Token, "ops_"),
		"secretKey":         o.SecretKey,
		"srpX":              o.SRPX,
		"muk key":           o.MUK,
		"token (truncated)": o.Token[:len(o.Token)/2],
	}
}

// opConnectJWT is shaped like a 1Password Connect token (a JWT), which
// people paste by mistake.
const opConnectJWT = "eyJhbGciOiJFUzI1NiIsImtpZCI6InN5bnRoIiwidHlwIjoiSldUIn0.eyJ0b2tlbiI6InN5bnRoZXRpYyJ9.c2lnbmF0dXJl"

// opBody is the seed's example request with name and token filled in.
func opBody(name, token string) string {
	b, _ := json.Marshal(map[string]any{
		"name": name, "type": "1PASSWORD",
		"credentials": map[string]any{"type": "serviceAccount", "data": map[string]any{"serviceAccount": token}},
	})
	return string(b)
}

// opAuth says how a request carries its API token.
type opAuth int

const (
	opNoKey     opAuth = iota
	opAnchorKey        // anchor-api-key: <token>, as the seed documents
	opBearer           // Authorization: Bearer <token>
)

// opAPI sends one request to the app with the token in the given header and
// returns the response, its JSON object (nil if it is not one) and its text.
func opAPI(t *testing.T, env *webtest.Env, method, path string, auth opAuth, token, body string) (*http.Response, map[string]any, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, "http://127.0.0.1"+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	switch auth {
	case opAnchorKey:
		req.Header.Set("anchor-api-key", token)
	case opBearer:
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := env.App.Fiber.Test(req, -1)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var m map[string]any
	if json.Unmarshal(b, &m) != nil {
		m = nil
	}
	return resp, m, string(b)
}

// opKeys returns the sorted keys of a JSON object, or nil for anything else.
func opKeys(v any) []string {
	m, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// opAnchorError checks the family's error body — exactly
// {"error":{"code":<status>,"message":"…"}} — and returns the message.
func opAnchorError(t *testing.T, resp *http.Response, m map[string]any, raw string, wantStatus int) string {
	t.Helper()
	if resp.StatusCode != wantStatus {
		t.Errorf("status = %d, want %d; body %s", resp.StatusCode, wantStatus, raw)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	if m == nil {
		t.Fatalf("body is not a JSON object: %q", raw)
	}
	if got := opKeys(m); !slices.Equal(got, []string{"error"}) {
		t.Errorf("body keys = %v, want [error]; body %s", got, raw)
	}
	e, _ := m["error"].(map[string]any)
	if got := opKeys(e); !slices.Equal(got, []string{"code", "message"}) {
		t.Errorf("error keys = %v, want [code message]; body %s", got, raw)
	}
	if code, ok := e["code"].(float64); !ok || int(code) != wantStatus {
		t.Errorf("error.code = %v, want the number %d", e["code"], wantStatus)
	}
	msg, _ := e["message"].(string)
	if msg == "" {
		t.Errorf("error.message = %v, want a non-empty string", e["message"])
	}
	return msg
}

// opItem checks one IntegrationItem: exactly id, name, type, path and
// createdAt, with the values the seed documents.
func opItem(t *testing.T, v any, wantName, teamID string) map[string]any {
	t.Helper()
	item, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("integration = %v, want an object", v)
	}
	if got, want := opKeys(item), []string{"createdAt", "id", "name", "path", "type"}; !slices.Equal(got, want) {
		t.Errorf("integration keys = %v, want exactly %v", got, want)
	}
	id, _ := item["id"].(string)
	if u, err := uuid.Parse(id); err != nil || u.String() != id {
		t.Errorf("id = %v, want a lower-case UUID", item["id"])
	}
	if item["name"] != wantName {
		t.Errorf("name = %v, want %q", item["name"], wantName)
	}
	if item["type"] != "1PASSWORD" {
		t.Errorf("type = %v, want \"1PASSWORD\"", item["type"])
	}
	if want := "integrations/" + teamID + "/" + id; item["path"] != want {
		t.Errorf("path = %v, want %q (integrations/{team-id}/{id})", item["path"], want)
	}
	createdAt, _ := item["createdAt"].(string)
	if !opJSTime.MatchString(createdAt) {
		t.Errorf("createdAt = %v, want the form 2024-01-01T00:00:00.000Z (milliseconds, Z)", item["createdAt"])
	}
	return item
}

// opJSTime is JavaScript's toISOString form, as in the seed's example.
var opJSTime = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$`)

// opCreate creates a 1Password integration through the API and returns its id.
func opCreate(t *testing.T, env *webtest.Env, apiToken, teamID, name, token string) string {
	t.Helper()
	resp, m, raw := opAPI(t, env, http.MethodPost, "/v1/integrations", opAnchorKey, apiToken, opBody(name, token))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("create %q: status %d, want 200; body %s", name, resp.StatusCode, raw)
	}
	data, _ := m["data"].(map[string]any)
	item := opItem(t, data["integration"], name, teamID)
	return item["id"].(string)
}

// opExists reports whether the integrations table has a row with id.
func opExists(t *testing.T, env *webtest.Env, id string) bool {
	t.Helper()
	var n int
	if err := env.Store.SQLX().GetContext(context.Background(), &n, env.Store.SQLX().Rebind("SELECT COUNT(*) FROM integrations WHERE id = ?"), id); err != nil {
		t.Fatalf("count integration %s: %v", id, err)
	}
	return n == 1
}

// opStored opens the sealed token of an integration row.
func opStored(t *testing.T, env *webtest.Env, id string) string {
	t.Helper()
	r, err := env.Store.IntegrationByID(context.Background(), id)
	if err != nil {
		t.Fatalf("read integration %s: %v", id, err)
	}
	var s struct {
		ServiceAccount string `json:"serviceAccount"`
	}
	if err := env.App.Services.OpenCredentials(&r.Integration, &s); err != nil {
		t.Fatalf("open the sealed token of %s: %v", id, err)
	}
	return s.ServiceAccount
}

// ---- POST /v1/integrations ----

// TestAPIAnchor_PostSeedExample sends the seed's example request verbatim
// (only the base URL changed and a synthetic token in place of ops_xxx)
// and checks the seed's response shape, then the stored row.
func TestAPIAnchor_PostSeedExample(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		team := env.CreateTeam("payments")
		env.CreateTeam("ledger")
		apiToken := env.CreateToken(team.ID, false)
		tok := newOPToken(t)

		// The seed's example, byte for byte, with the placeholder replaced.
		body := `{
  "name": "My 1Password Integration",
  "type": "1PASSWORD",
  "credentials": {
    "type": "serviceAccount",
    "data": {
      "serviceAccount": "ops_xxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
    }
  }
}`
		body = strings.Replace(body, "ops_xxxxxxxxxxxxxxxxxxxxxxxxxxxxx", tok.Token, 1)
		before := time.Now().Add(-time.Second)
		resp, m, raw := opAPI(t, env, http.MethodPost, "/v1/integrations", opAnchorKey, apiToken, body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status = %d, want 200 (the seed documents 200, not 201); body %s", resp.StatusCode, raw)
		}
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("Content-Type = %q, want application/json", ct)
		}
		if got := opKeys(m); !slices.Equal(got, []string{"data"}) {
			t.Fatalf("body keys = %v, want exactly [data]; body %s", got, raw)
		}
		data := m["data"].(map[string]any)
		if got := opKeys(data); !slices.Equal(got, []string{"integration"}) {
			t.Fatalf("data keys = %v, want exactly [integration]; body %s", got, raw)
		}
		item := opItem(t, data["integration"], "My 1Password Integration", team.ID)
		id, _ := item["id"].(string)
		createdAt, err := time.Parse(time.RFC3339Nano, item["createdAt"].(string))
		if err != nil || createdAt.Before(before.Truncate(time.Millisecond)) || createdAt.After(time.Now().Add(time.Second)) {
			t.Errorf("createdAt = %v, want the time of the request (between %s and now)", item["createdAt"], before.UTC().Format(time.RFC3339))
		}
		for name, c := range tok.canaries() {
			if strings.Contains(raw, c) {
				t.Errorf("the 200 body carries the %s; Anchor's IntegrationItem has no secret field", name)
			}
		}

		// The row: the token's team, sealed, openable, with its fingerprint.
		r, err := env.Store.IntegrationByID(context.Background(), id)
		if err != nil {
			t.Fatalf("the created integration %s is not in the database: %v", id, err)
		}
		if r.Provider != integrations.ProviderOnePassword || r.TeamID != team.ID || r.Name != "My 1Password Integration" || r.Version != 1 {
			t.Errorf("row = provider %q team %s name %q version %d, want 1password, %s, the name, 1", r.Provider, r.TeamID, r.Name, r.Version, team.ID)
		}
		if r.CreatedByToken == nil {
			t.Errorf("row.created_by_token = nil, want the API token that created it")
		}
		if got := opStored(t, env, id); got != tok.Token {
			t.Errorf("the sealed token opens to something else (%d bytes), want the token sent", len(got))
		}
		var attrs map[string]any
		json.Unmarshal([]byte(r.Attrs), &attrs)
		if attrs["fingerprint"] != secrets.Fingerprint(tok.Token) || attrs["signInAddress"] != opSignIn {
			t.Errorf("attrs = %s, want the token's fingerprint %s and sign-in address %s", r.Attrs, secrets.Fingerprint(tok.Token), opSignIn)
		}

		// GET by id answers the very same item.
		resp, m2, raw2 := opAPI(t, env, http.MethodGet, "/v1/integrations/"+id, opAnchorKey, apiToken, "")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /v1/integrations/%s = %d, want 200; body %s", id, resp.StatusCode, raw2)
		}
		if got := opKeys(m2); !slices.Equal(got, []string{"data"}) {
			t.Errorf("GET body keys = %v, want [data]", got)
		}
		got := opItem(t, m2["data"].(map[string]any)["integration"], "My 1Password Integration", team.ID)
		for _, k := range []string{"id", "name", "type", "path", "createdAt"} {
			if got[k] != item[k] {
				t.Errorf("GET %s = %v, want %v as the POST answered", k, got[k], item[k])
			}
		}
	})
}

// TestAPIAnchor_PostValid covers the accepted edges: Bearer as well as
// anchor-api-key, names of exactly 255 characters (ASCII and not), the URL
// alphabet without padding and a token with white space around it.
func TestAPIAnchor_PostValid(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		team := env.CreateTeam("payments")
		apiToken := env.CreateToken(team.ID, false)
		urlTok := newOPToken(t)
		raw, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(urlTok.Token, "ops_"))
		urlTok.Token = "ops_" + base64.RawURLEncoding.EncodeToString(raw)
		spaced := newOPToken(t)
		for _, tc := range []struct {
			name      string
			auth      opAuth
			intName   string
			token     string
			wantName  string
			wantToken string
		}{
			{"bearer", opBearer, "Bearer vault", newOPToken(t).Token, "Bearer vault", ""},
			{"name of 255 ASCII characters", opAnchorKey, strings.Repeat("n", 255), newOPToken(t).Token, strings.Repeat("n", 255), ""},
			{"name of 255 non-ASCII characters", opAnchorKey, strings.Repeat("ü", 255), newOPToken(t).Token, strings.Repeat("ü", 255), ""},
			{"name with spaces around", opAnchorKey, "  Trimmed vault  ", newOPToken(t).Token, "Trimmed vault", ""},
			{"URL alphabet without padding", opAnchorKey, "URL vault", urlTok.Token, "URL vault", ""},
			{"token with white space around", opAnchorKey, "Spaced vault", " " + spaced.Token + "\n", "Spaced vault", spaced.Token},
		} {
			t.Run(tc.name, func(t *testing.T) {
				resp, m, raw := opAPI(t, env, http.MethodPost, "/v1/integrations", tc.auth, apiToken, opBody(tc.intName, tc.token))
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("status = %d, want 200; body %s", resp.StatusCode, raw)
				}
				item := opItem(t, m["data"].(map[string]any)["integration"], tc.wantName, team.ID)
				want := tc.wantToken
				if want == "" {
					want = tc.token
				}
				if got := opStored(t, env, item["id"].(string)); got != want {
					t.Errorf("stored token differs from the one sent (len %d, want %d)", len(got), len(want))
				}
			})
		}
	})
}

// TestAPIAnchor_PostCreatedAt pins the store's clock to a time with
// nanoseconds in a zone east of UTC: createdAt is toISOString's form,
// milliseconds and Z, on the POST and on every later read.
func TestAPIAnchor_PostCreatedAt(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		team := env.CreateTeam("payments")
		apiToken := env.CreateToken(team.ID, false)
		at := time.Date(2024, 1, 1, 1, 0, 0, 123987654, time.FixedZone("CET", 3600))
		env.Store.Now = func() time.Time { return at }
		defer func() { env.Store.Now = time.Now }()
		const want = "2024-01-01T00:00:00.123Z"

		resp, m, raw := opAPI(t, env, http.MethodPost, "/v1/integrations", opAnchorKey, apiToken, opBody("Clocked", newOPToken(t).Token))
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status = %d, want 200; body %s", resp.StatusCode, raw)
		}
		item := opItem(t, m["data"].(map[string]any)["integration"], "Clocked", team.ID)
		if item["createdAt"] != want {
			t.Errorf("POST createdAt = %v, want %q", item["createdAt"], want)
		}
		id := item["id"].(string)
		_, m, _ = opAPI(t, env, http.MethodGet, "/v1/integrations/"+id, opAnchorKey, apiToken, "")
		if got := m["data"].(map[string]any)["integration"].(map[string]any)["createdAt"]; got != want {
			t.Errorf("GET by id createdAt = %v, want %q", got, want)
		}
		_, m, _ = opAPI(t, env, http.MethodGet, "/v1/integrations", opAnchorKey, apiToken, "")
		list, _ := m["data"].(map[string]any)["integrations"].([]any)
		if len(list) != 1 {
			t.Fatalf("list has %d items, want 1", len(list))
		}
		if got := list[0].(map[string]any)["createdAt"]; got != want {
			t.Errorf("GET list createdAt = %v, want %q", got, want)
		}
	})
}

// TestAPIAnchor_PostErrors sends each documented kind of bad request: a 400
// in the family's body whose message names the failing field (and only
// it), that never quotes the token, and nothing stored.
func TestAPIAnchor_PostErrors(t *testing.T) {
	allFields := []string{"name", "type", "credentials", "credentials.type", "credentials.data", "credentials.data.serviceAccount"}
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		team := env.CreateTeam("payments")
		apiToken := env.CreateToken(team.ID, false)
		tok := newOPToken(t)
		truncated := tok.Token[:len(tok.Token)*2/3]
		lacking := func() string {
			raw, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(tok.Token, "ops_"))
			var p map[string]any
			json.Unmarshal(raw, &p)
			delete(p, "srpX")
			delete(p, "muk")
			b, _ := json.Marshal(p)
			return "ops_" + base64.StdEncoding.EncodeToString(b)
		}()
		// body builds a request from the seed's example with mut applied.
		body := func(mut func(m map[string]any)) string {
			m := map[string]any{}
			json.Unmarshal([]byte(opBody("My 1Password Integration", tok.Token)), &m)
			mut(m)
			b, _ := json.Marshal(m)
			return string(b)
		}
		data := func(m map[string]any) map[string]any {
			return m["credentials"].(map[string]any)["data"].(map[string]any)
		}
		tests := []struct {
			name      string
			body      string
			wantField string // named as "field:" in the message; "" for a body that is not an object
			wantText  string // also in the message
			sent      string // a token the message must not quote
		}{
			{"missing name", body(func(m map[string]any) { delete(m, "name") }), "name", "", ""},
			{"empty name", body(func(m map[string]any) { m["name"] = "" }), "name", "", ""},
			{"blank name", body(func(m map[string]any) { m["name"] = " \t " }), "name", "", ""},
			{"name of 256 characters", body(func(m map[string]any) { m["name"] = strings.Repeat("n", 256) }), "name", "255", ""},
			{"name not a string", body(func(m map[string]any) { m["name"] = 42 }), "name", "", ""},
			{"missing type", body(func(m map[string]any) { delete(m, "type") }), "type", "", ""},
			{"other type", body(func(m map[string]any) { m["type"] = "2PASSWORD" }), "type", "1PASSWORD", ""},
			{"type in lower case", body(func(m map[string]any) { m["type"] = "1password" }), "type", "1PASSWORD", ""},
			{"missing credentials", body(func(m map[string]any) { delete(m, "credentials") }), "credentials", "", ""},
			{"null credentials", body(func(m map[string]any) { m["credentials"] = nil }), "credentials", "", ""},
			{"credentials a string", body(func(m map[string]any) { m["credentials"] = tok.Token }), "credentials", "", tok.Token},
			{"credentials.type other", body(func(m map[string]any) { m["credentials"].(map[string]any)["type"] = "connect" }), "credentials.type", "serviceAccount", ""},
			{"credentials.type missing", body(func(m map[string]any) { delete(m["credentials"].(map[string]any), "type") }), "credentials.type", "", ""},
			{"missing credentials.data", body(func(m map[string]any) { delete(m["credentials"].(map[string]any), "data") }), "credentials.data", "", ""},
			{"missing data.serviceAccount", body(func(m map[string]any) { delete(data(m), "serviceAccount") }), "credentials.data.serviceAccount", "", ""},
			{"serviceAccount not a string", body(func(m map[string]any) { data(m)["serviceAccount"] = 7 }), "credentials.data.serviceAccount", "", ""},
			{"empty serviceAccount", body(func(m map[string]any) { data(m)["serviceAccount"] = "" }), "credentials.data.serviceAccount", "", ""},
			{"blank serviceAccount", body(func(m map[string]any) { data(m)["serviceAccount"] = "   " }), "credentials.data.serviceAccount", "", ""},
			{"a Connect JWT", body(func(m map[string]any) { data(m)["serviceAccount"] = opConnectJWT }), "credentials.data.serviceAccount", "Connect", opConnectJWT},
			{"other text", body(func(m map[string]any) { data(m)["serviceAccount"] = "hunter2-hunter2" }), "credentials.data.serviceAccount", "ops_", "hunter2-hunter2"},
			{"a truncated token", body(func(m map[string]any) { data(m)["serviceAccount"] = truncated }), "credentials.data.serviceAccount", "truncated", truncated},
			{"a malformed token (not base64)", body(func(m map[string]any) { data(m)["serviceAccount"] = "ops_!!not*base64!!" + tok.SRPX }), "credentials.data.serviceAccount", "malformed", tok.SRPX},
			{"a malformed token (missing fields)", body(func(m map[string]any) { data(m)["serviceAccount"] = lacking }), "credentials.data.serviceAccount", "srpX", lacking},
			{"invalid JSON", `{"name": "My 1Password Integration", "type": "1PASSWORD",`, "", "JSON", ""},
			{"a JSON array", "[" + opBody("My 1Password Integration", tok.Token) + "]", "", "JSON object", tok.Token},
			{"JSON null", "null", "", "JSON object", ""},
			{"empty body", "", "", "JSON", ""},
			{"two JSON objects", opBody("a", tok.Token) + opBody("b", tok.Token), "", "one JSON object", tok.Token},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				resp, m, raw := opAPI(t, env, http.MethodPost, "/v1/integrations", opAnchorKey, apiToken, tc.body)
				msg := opAnchorError(t, resp, m, raw, http.StatusBadRequest)
				if tc.wantField != "" {
					if !opNamesField(msg, tc.wantField) {
						t.Errorf("message %q does not name the failing field %q", msg, tc.wantField)
					}
					for _, f := range allFields {
						if f != tc.wantField && opNamesField(msg, f) {
							t.Errorf("message %q also blames %q, which was valid", msg, f)
						}
					}
				}
				if tc.wantText != "" && !strings.Contains(msg, tc.wantText) {
					t.Errorf("message %q does not say %q", msg, tc.wantText)
				}
				if tc.sent != "" && strings.Contains(raw, tc.sent) {
					t.Errorf("the error body quotes the value sent (%s)", redact(tc.sent))
				}
				if strings.Contains(raw, tok.SRPX) || strings.Contains(raw, tok.SecretKey) {
					t.Errorf("the error body carries a part of the token")
				}
			})
		}
		if n := htCount(t, env, "integrations"); n != 0 {
			t.Errorf("%d integrations stored after bad requests only, want 0", n)
		}
		for name, c := range tok.canaries() {
			if strings.Contains(env.Logs.String(), c) {
				t.Errorf("the log carries the %s of a refused request", name)
			}
		}
	})
}

// opNamesField reports whether an error message names field as "field:"
// ("invalid request: a: why; b: why").
func opNamesField(msg, field string) bool {
	return regexp.MustCompile(`(^|[ ;])` + regexp.QuoteMeta(field) + `:`).MatchString(msg)
}

// ---- 401, 403, 404 ----

// TestAPIAnchor_Unauthorized sends no key, a bad key in either header, and a
// valid key where Anchor does not read one: 401 in the family's body on
// every route, and the key never echoed.
func TestAPIAnchor_Unauthorized(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		team := env.CreateTeam("payments")
		apiToken := env.CreateToken(team.ID, false)
		id := opCreate(t, env, apiToken, team.ID, "Vault", newOPToken(t).Token)
		expired, _, err := env.App.Access.CreateToken(context.Background(), sb.Actor{Role: sb.RoleAdmin, Email: "test"}, access.TokenInput{TeamID: team.ID, Name: "short-lived", ExpiresIn: time.Millisecond})
		if err != nil {
			t.Fatalf("create a short-lived token: %v", err)
		}
		time.Sleep(5 * time.Millisecond)
		forged := apiToken[:len(apiToken)-4] + "AAAA"
		routes := []struct{ method, path, body string }{
			{http.MethodPost, "/v1/integrations", opBody("Sneaky", newOPToken(t).Token)},
			{http.MethodGet, "/v1/integrations", ""},
			{http.MethodGet, "/v1/integrations/" + id, ""},
			{http.MethodDelete, "/v1/integrations/" + id, ""},
		}
		cases := []struct {
			name string
			hdr  http.Header
			key  string // must not be echoed
		}{
			{"no key", http.Header{}, ""},
			{"empty anchor-api-key", http.Header{"Anchor-Api-Key": {""}}, ""},
			{"bad anchor-api-key", http.Header{"Anchor-Api-Key": {"not-a-key-at-all"}}, "not-a-key-at-all"},
			{"forged anchor-api-key", http.Header{"Anchor-Api-Key": {forged}}, forged},
			{"expired anchor-api-key", http.Header{"Anchor-Api-Key": {expired}}, expired},
			{"expired bearer", http.Header{"Authorization": {"Bearer " + expired}}, expired},
			{"bad bearer", http.Header{"Authorization": {"Bearer not-a-key-at-all"}}, "not-a-key-at-all"},
			{"forged bearer", http.Header{"Authorization": {"Bearer " + forged}}, forged},
			{"empty bearer", http.Header{"Authorization": {"Bearer "}}, ""},
			{"valid key without Bearer", http.Header{"Authorization": {apiToken}}, apiToken},
			{"valid key as Basic", http.Header{"Authorization": {"Basic " + apiToken}}, apiToken},
		}
		for _, tc := range cases {
			for _, rt := range routes {
				t.Run(tc.name+"/"+rt.method+" "+rt.path, func(t *testing.T) {
					hdr := tc.hdr.Clone()
					if rt.body != "" {
						hdr.Set("Content-Type", "application/json")
					}
					resp, raw := htRaw(t, env, rt.method, rt.path, nil, hdr, rt.body)
					var m map[string]any
					json.Unmarshal([]byte(raw), &m)
					opAnchorError(t, resp, m, raw, http.StatusUnauthorized)
					if tc.key != "" && strings.Contains(raw, tc.key) {
						t.Errorf("the 401 body echoes the key sent")
					}
				})
			}
		}
		if !opExists(t, env, id) {
			t.Errorf("the integration is gone after unauthorised DELETEs")
		}
		if n := htCount(t, env, "integrations"); n != 1 {
			t.Errorf("%d integrations after unauthorised POSTs, want 1", n)
		}
		// Both header styles work with a valid key (the control).
		for _, auth := range []opAuth{opAnchorKey, opBearer} {
			if resp, _, raw := opAPI(t, env, http.MethodGet, "/v1/integrations", auth, apiToken, ""); resp.StatusCode != http.StatusOK {
				t.Errorf("GET /v1/integrations with a valid key (auth %d) = %d, want 200; body %s", auth, resp.StatusCode, raw)
			}
		}
	})
}

// TestAPIAnchor_ReadOnly: a read-only team token lists and reads but
// cannot create or delete (403 in the family's body).
func TestAPIAnchor_ReadOnly(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		team := env.CreateTeam("payments")
		rw := env.CreateToken(team.ID, false)
		ro := env.CreateToken(team.ID, true)
		id := opCreate(t, env, rw, team.ID, "Vault", newOPToken(t).Token)
		for _, p := range []string{"/v1/integrations", "/v1/integrations/" + id} {
			if resp, _, raw := opAPI(t, env, http.MethodGet, p, opAnchorKey, ro, ""); resp.StatusCode != http.StatusOK {
				t.Errorf("read-only GET %s = %d, want 200; body %s", p, resp.StatusCode, raw)
			}
		}
		resp, m, raw := opAPI(t, env, http.MethodPost, "/v1/integrations", opAnchorKey, ro, opBody("Nope", newOPToken(t).Token))
		opAnchorError(t, resp, m, raw, http.StatusForbidden)
		resp, m, raw = opAPI(t, env, http.MethodDelete, "/v1/integrations/"+id, opAnchorKey, ro, "")
		opAnchorError(t, resp, m, raw, http.StatusForbidden)
		if !opExists(t, env, id) {
			t.Errorf("a read-only token deleted the integration")
		}
		if n := htCount(t, env, "integrations"); n != 1 {
			t.Errorf("%d integrations, want 1 (a read-only token created one)", n)
		}
	})
}

// TestAPIAnchor_NotFound: an unknown id, a malformed one, another team's
// integration and a node key of the token's own team all answer 404 in the
// family's body on GET and DELETE, and nothing is deleted.
func TestAPIAnchor_NotFound(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		a := env.CreateTeam("payments")
		b := env.CreateTeam("ledger")
		tokA := env.CreateToken(a.ID, false)
		tokB := env.CreateToken(b.ID, false)
		own := opCreate(t, env, tokA, a.ID, "Own vault", newOPToken(t).Token)
		theirs := opCreate(t, env, tokB, b.ID, "Their vault", newOPToken(t).Token)
		node := env.CreateNode(a.ID, "edge-1")
		resp, nk, raw := env.API(http.MethodPost, "/api/v1/integrations", tokA, map[string]any{"node_id": node.ID, "name": "Node key"})
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("create node key = %d, want 201; body %s", resp.StatusCode, raw)
		}
		nodeKey, _ := nk["id"].(string)

		ids := []struct{ name, id string }{
			{"unknown id", uuid.NewString()},
			{"malformed id", "not-a-uuid"},
			{"id with braces", "{" + own + "}"},
			{"urn id", "urn:uuid:" + own},
			{"id with a quote", "x'%20OR%20'1'='1"},
			{"another team's integration", theirs},
			{"a node key of the same team", nodeKey},
		}
		for _, method := range []string{http.MethodGet, http.MethodDelete} {
			for _, tc := range ids {
				for _, auth := range []opAuth{opAnchorKey, opBearer} {
					t.Run(method+" "+tc.name+map[opAuth]string{opAnchorKey: " (anchor-api-key)", opBearer: " (bearer)"}[auth], func(t *testing.T) {
						resp, m, raw := opAPI(t, env, method, "/v1/integrations/"+tc.id, auth, tokA, "")
						opAnchorError(t, resp, m, raw, http.StatusNotFound)
						if strings.Contains(raw, "Their vault") || strings.Contains(raw, b.ID) {
							t.Errorf("the 404 body tells about the other team's integration: %s", raw)
						}
					})
				}
			}
		}
		for name, id := range map[string]string{"own": own, "other team's": theirs, "node key": nodeKey} {
			if !opExists(t, env, id) {
				t.Errorf("the %s integration is gone after the 404s", name)
			}
		}
		// An unknown route under /v1 is a 404 in the same family.
		resp, m, raw := opAPI(t, env, http.MethodGet, "/v1/nothing-here", opAnchorKey, tokA, "")
		opAnchorError(t, resp, m, raw, http.StatusNotFound)
	})
}

// ---- 500 ----

// TestAPIAnchor_InternalError makes the database fail under each route: a
// 500 in the family's body that names no internals and no secret, with the
// cause logged under the request id.
func TestAPIAnchor_InternalError(t *testing.T) {
	for _, how := range []string{"store closed", "table gone"} {
		t.Run(how, func(t *testing.T) {
			htEachDialect(t, func(t *testing.T, env *webtest.Env) {
				team := env.CreateTeam("payments")
				apiToken := env.CreateToken(team.ID, false)
				id := opCreate(t, env, apiToken, team.ID, "Vault", newOPToken(t).Token)
				tok := newOPToken(t)
				switch how {
				case "store closed":
					env.Store.Close()
				case "table gone":
					// Authentication still works; the integration queries fail.
					if _, err := env.Store.SQLX().Exec("ALTER TABLE integrations RENAME TO integrations_moved"); err != nil {
						t.Fatalf("rename the table: %v", err)
					}
				}
				for _, rt := range []struct{ method, path, body string }{
					{http.MethodPost, "/v1/integrations", opBody("Vault 2", tok.Token)},
					{http.MethodGet, "/v1/integrations", ""},
					{http.MethodGet, "/v1/integrations/" + id, ""},
					{http.MethodDelete, "/v1/integrations/" + id, ""},
				} {
					t.Run(rt.method+" "+rt.path, func(t *testing.T) {
						resp, m, raw := opAPI(t, env, rt.method, rt.path, opAnchorKey, apiToken, rt.body)
						msg := opAnchorError(t, resp, m, raw, http.StatusInternalServerError)
						if msg != "internal error" {
							t.Errorf("message = %q, want %q", msg, "internal error")
						}
						for _, leak := range []string{"sql", "closed", "db:", "database", "relation", "table", "integrations_moved", "pq:", "select", "insert", apiToken, tok.Token} {
							if strings.Contains(strings.ToLower(raw), strings.ToLower(leak)) {
								t.Errorf("500 body %s reveals %q", raw, redact(leak))
							}
						}
						reqID := resp.Header.Get("X-Request-Id")
						if reqID == "" || !strings.Contains(env.Logs.String(), "request_id="+reqID) {
							t.Errorf("no log line carries the request id %q", reqID)
						}
					})
				}
				if !strings.Contains(env.Logs.String(), "internal error") {
					t.Errorf("the log does not record the internal error")
				}
				for name, c := range tok.canaries() {
					if strings.Contains(env.Logs.String(), c) {
						t.Errorf("the log carries the %s of the failed create", name)
					}
				}
			})
		})
	}
}

// ---- GET list, DELETE ----

// TestAPIAnchor_ListAndDelete: the list holds exactly the token's team's
// 1Password integrations (no node keys, no other team's); DELETE answers
// the documented body, removes the row, and a later GET is a 404.
func TestAPIAnchor_ListAndDelete(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		a := env.CreateTeam("payments")
		b := env.CreateTeam("ledger")
		empty := env.CreateTeam("empty")
		tokA := env.CreateToken(a.ID, false)
		tokB := env.CreateToken(b.ID, false)
		tokEmpty := env.CreateToken(empty.ID, false)
		op1 := opCreate(t, env, tokA, a.ID, "Vault one", newOPToken(t).Token)
		op2 := opCreate(t, env, tokA, a.ID, "Vault two", newOPToken(t).Token)
		op3 := opCreate(t, env, tokB, b.ID, "Ledger vault", newOPToken(t).Token)
		node := env.CreateNode(a.ID, "edge-1")
		if resp, _, raw := env.API(http.MethodPost, "/api/v1/integrations", tokA, map[string]any{"node_id": node.ID, "name": "Node key"}); resp.StatusCode != http.StatusCreated {
			t.Fatalf("create node key = %d; body %s", resp.StatusCode, raw)
		}

		list := func(token string) (ids []string, raw string) {
			t.Helper()
			resp, m, raw := opAPI(t, env, http.MethodGet, "/v1/integrations", opAnchorKey, token, "")
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET /v1/integrations = %d, want 200; body %s", resp.StatusCode, raw)
			}
			if got := opKeys(m); !slices.Equal(got, []string{"data"}) {
				t.Errorf("list body keys = %v, want [data]", got)
			}
			data, _ := m["data"].(map[string]any)
			if got := opKeys(data); !slices.Equal(got, []string{"integrations"}) {
				t.Errorf("list data keys = %v, want [integrations]; body %s", got, raw)
			}
			items, ok := data["integrations"].([]any)
			if !ok {
				t.Fatalf("data.integrations = %v, want an array; body %s", data["integrations"], raw)
			}
			for _, it := range items {
				item, _ := it.(map[string]any)
				team := map[string]string{op1: a.ID, op2: a.ID, op3: b.ID}[item["id"].(string)]
				opItem(t, item, item["name"].(string), team)
				ids = append(ids, item["id"].(string))
			}
			slices.Sort(ids)
			return ids, raw
		}
		sorted := func(s ...string) []string { slices.Sort(s); return s }

		if got, raw := list(tokA); !slices.Equal(got, sorted(op1, op2)) {
			t.Errorf("team A's list = %v, want exactly its 1Password integrations %v (no node key, nothing of team B); body %s", got, sorted(op1, op2), raw)
		}
		if got, _ := list(tokB); !slices.Equal(got, []string{op3}) {
			t.Errorf("team B's list = %v, want [%s]", got, op3)
		}
		if got, raw := list(tokEmpty); len(got) != 0 || !strings.Contains(raw, `"integrations":[]`) {
			t.Errorf("an empty team's list = %s, want \"integrations\":[]", raw)
		}

		// DELETE: the documented body, then the row is gone.
		resp, m, raw := opAPI(t, env, http.MethodDelete, "/v1/integrations/"+op1, opAnchorKey, tokA, "")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("DELETE = %d, want 200; body %s", resp.StatusCode, raw)
		}
		if got := opKeys(m); !slices.Equal(got, []string{"data"}) {
			t.Errorf("DELETE body keys = %v, want [data]", got)
		}
		data, _ := m["data"].(map[string]any)
		if got := opKeys(data); !slices.Equal(got, []string{"integration"}) {
			t.Errorf("DELETE data keys = %v, want [integration]", got)
		}
		item, _ := data["integration"].(map[string]any)
		if got := opKeys(item); !slices.Equal(got, []string{"deleted", "id", "path"}) {
			t.Errorf("DELETE integration keys = %v, want exactly [deleted id path]", got)
		}
		if item["id"] != op1 || item["deleted"] != true || item["path"] != "integrations/"+a.ID+"/"+op1 {
			t.Errorf("DELETE integration = %v, want id %s, deleted true, path integrations/%s/%s", item, op1, a.ID, op1)
		}
		if opExists(t, env, op1) {
			t.Errorf("the row of %s is still in the database after DELETE", op1)
		}
		resp, m, raw = opAPI(t, env, http.MethodGet, "/v1/integrations/"+op1, opAnchorKey, tokA, "")
		opAnchorError(t, resp, m, raw, http.StatusNotFound)
		resp, m, raw = opAPI(t, env, http.MethodDelete, "/v1/integrations/"+op1, opBearer, tokA, "")
		opAnchorError(t, resp, m, raw, http.StatusNotFound)
		if got, _ := list(tokA); !slices.Equal(got, []string{op2}) {
			t.Errorf("team A's list after DELETE = %v, want [%s]", got, op2)
		}
		var audits int
		env.Store.SQLX().Get(&audits, env.Store.SQLX().Rebind("SELECT COUNT(*) FROM audit_events WHERE action = 'integration.delete' AND target_id = ?"), op1)
		if audits != 1 {
			t.Errorf("%d integration.delete audit rows for %s, want 1", audits, op1)
		}
		// The other team's and the node key survive.
		if !opExists(t, env, op3) || !opExists(t, env, op2) {
			t.Errorf("DELETE removed more than the one integration")
		}
		if n := htCount(t, env, "integrations"); n != 3 {
			t.Errorf("%d integrations left, want 3 (op2, op3, the node key)", n)
		}
	})
}

// TestAPIAnchor_IDCase asks for an integration by its id in upper case.
// UUIDs compare without regard to case (RFC 9562), and the store must not
// decide the answer: SQLite and PostgreSQL must agree, either both finding
// the integration (and answering its canonical lower-case id) or both 404.
func TestAPIAnchor_IDCase(t *testing.T) {
	got := map[string]int{}
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		team := env.CreateTeam("payments")
		apiToken := env.CreateToken(team.ID, false)
		id := opCreate(t, env, apiToken, team.ID, "Vault", newOPToken(t).Token)
		resp, m, raw := opAPI(t, env, http.MethodGet, "/v1/integrations/"+strings.ToUpper(id), opAnchorKey, apiToken, "")
		switch resp.StatusCode {
		case http.StatusOK:
			item := opItem(t, m["data"].(map[string]any)["integration"], "Vault", team.ID)
			if item["id"] != id {
				t.Errorf("id = %v, want the canonical %s", item["id"], id)
			}
		case http.StatusNotFound:
			opAnchorError(t, resp, m, raw, http.StatusNotFound)
		default:
			t.Errorf("status = %d, want 200 or 404; body %s", resp.StatusCode, raw)
		}
		got[string(env.Store.Dialect())] = resp.StatusCode
	})
	if len(got) == 2 && got["sqlite"] != got["postgres"] {
		t.Errorf("GET /v1/integrations/{ID IN UPPER CASE}: SQLite answers %d, PostgreSQL %d; the dialects must agree", got["sqlite"], got["postgres"])
	}
}
