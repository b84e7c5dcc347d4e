package integrations_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/google/uuid"
	sb "switchboard"
	"switchboard/access"
	"switchboard/db"
	"switchboard/db/dbtest"
	"switchboard/integrations"
	"switchboard/netguard"
	"switchboard/secrets"
)

// oktaToken is a well-formed (fake) Okta API token: 00 and 40 characters.
var oktaToken = "00" + strings.Repeat("aB3_-", 8)

// TestInfisicalCatalogue_Shape holds the catalogue to the reference: the
// twelve apps with their pasteable methods and display names, and sane
// field declarations (a secret is never returned, an enum has values, a
// pattern has a message).
func TestInfisicalCatalogue_Shape(t *testing.T) {
	want := map[string][]string{
		"1password": {"api-token"}, "gitlab": {"access-token"}, "aws": {"access-key", "assume-role"},
		"gcp": {"service-account-impersonation"}, "postgres": {"username-and-password"}, "mysql": {"username-and-password"},
		"vercel": {"api-token"}, "netlify": {"access-token"}, "cloudflare": {"api-token"},
		"hashicorp-vault": {"access-token", "app-role"}, "databricks": {"service-principal"}, "okta": {"api-token"},
	}
	methodNames := map[string]string{
		"api-token": "API Token", "access-token": "Access Token", "access-key": "Access Key", "assume-role": "Assume Role",
		"service-account-impersonation": "Service Account Impersonation", "username-and-password": "Username & Password",
		"app-role": "App Role", "service-principal": "Service Principal",
	}
	if len(integrations.InfisicalApps) != len(want) {
		t.Errorf("catalogue has %d apps, want %d", len(integrations.InfisicalApps), len(want))
	}
	for _, a := range integrations.InfisicalApps {
		methods, ok := want[a.Slug]
		if !ok {
			t.Errorf("unexpected app %q", a.Slug)
			continue
		}
		if got := a.MethodSlugs(); !slices.Equal(got, methods) {
			t.Errorf("%s methods = %v, want %v", a.Slug, got, methods)
		}
		for _, m := range a.Methods {
			if m.Name != methodNames[m.Slug] {
				t.Errorf("%s/%s display name = %q, want %q", a.Slug, m.Slug, m.Name, methodNames[m.Slug])
			}
			secrets := 0
			for _, f := range m.Fields {
				if f.Secret {
					secrets++
				}
				switch {
				case f.Secret && f.Returned:
					t.Errorf("%s/%s.%s is secret and returned", a.Slug, m.Slug, f.Name)
				case f.Type == integrations.CredEnum && len(f.Enum) == 0:
					t.Errorf("%s/%s.%s is an enum without values", a.Slug, m.Slug, f.Name)
				case f.Pattern != "" && f.PatternMessage == "":
					t.Errorf("%s/%s.%s has a pattern without a message", a.Slug, m.Slug, f.Name)
				case f.Label == "" || f.Name == "":
					t.Errorf("%s/%s has a field without name or label", a.Slug, m.Slug)
				}
			}
			if secrets == 0 && m.Slug != "assume-role" && m.Slug != "service-account-impersonation" {
				t.Errorf("%s/%s has no secret field", a.Slug, m.Slug)
			}
		}
	}
	gl, _ := integrations.InfisicalAppBySlug("gitlab")
	m, _ := gl.Method("access-token")
	f, _ := m.Field("accessTokenType")
	if !slices.Equal(f.Enum, []string{"project", "personal"}) {
		t.Errorf("gitlab accessTokenType values = %v, want Infisical's [project personal]", f.Enum)
	}
}

func infMethod(t *testing.T, app, m string) *integrations.InfisicalMethod {
	t.Helper()
	a, ok := integrations.InfisicalAppBySlug(app)
	if !ok {
		t.Fatalf("no app %s", app)
	}
	meth, ok := a.Method(m)
	if !ok {
		t.Fatalf("no method %s/%s", app, m)
	}
	return meth
}

func TestInfisicalMethod_ValidateCredentials(t *testing.T) {
	pg := func() map[string]any {
		return map[string]any{"host": "db.example.com", "port": 5432.0, "database": "app", "username": "app", "password": "pw",
			"sslEnabled": true, "sslRejectUnauthorized": false}
	}
	with := func(base map[string]any, kv ...any) map[string]any {
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == "<delete>" {
				delete(base, kv[i].(string))
			} else {
				base[kv[i].(string)] = kv[i+1]
			}
		}
		return base
	}
	tests := []struct {
		name, app, method string
		in                map[string]any
		// errs maps a field key to a fragment of its message; nil = valid.
		errs map[string]string
		// want checks normalised values on success.
		want map[string]any
	}{
		{"1password good", "1password", "api-token", map[string]any{"apiToken": " tok ", "instanceUrl": "https://1pass.example.com"}, nil,
			map[string]any{"apiToken": "tok", "instanceUrl": "https://1pass.example.com"}},
		{"1password missing token", "1password", "api-token", map[string]any{"instanceUrl": "https://1pass.example.com"},
			map[string]string{"credentials.apiToken": "API Token required"}, nil},
		{"1password blank token", "1password", "api-token", map[string]any{"apiToken": "   ", "instanceUrl": "https://x.example"},
			map[string]string{"credentials.apiToken": "required"}, nil},
		{"1password bad url", "1password", "api-token", map[string]any{"apiToken": "t", "instanceUrl": "1pass.example.com"},
			map[string]string{"credentials.instanceUrl": "Invalid Connect Server instance URL"}, nil},
		{"1password ftp url", "1password", "api-token", map[string]any{"apiToken": "t", "instanceUrl": "ftp://1pass.example.com"},
			map[string]string{"credentials.instanceUrl": "Invalid Connect Server instance URL"}, nil},
		{"unknown key", "1password", "api-token", map[string]any{"apiToken": "t", "instanceUrl": "https://x.example", "extra": 1, "b": 2},
			map[string]string{"credentials": "Unrecognized key(s) in object: 'b', 'extra'"}, nil},
		{"string field given a number", "vercel", "api-token", map[string]any{"apiToken": 12},
			map[string]string{"credentials.apiToken": "Expected string, received number"}, nil},
		{"gitlab enum good, optional url absent", "gitlab", "access-token", map[string]any{"accessToken": "glpat", "accessTokenType": "personal", "instanceUrl": ""}, nil,
			map[string]any{"accessToken": "glpat", "accessTokenType": "personal"}},
		{"gitlab enum bad", "gitlab", "access-token", map[string]any{"accessToken": "glpat", "accessTokenType": "group"},
			map[string]string{"credentials.accessTokenType": "Expected 'project' | 'personal', received 'group'"}, nil},
		{"gitlab enum missing", "gitlab", "access-token", map[string]any{"accessToken": "glpat"},
			map[string]string{"credentials.accessTokenType": "required"}, nil},
		{"gitlab optional url bad", "gitlab", "access-token", map[string]any{"accessToken": "glpat", "accessTokenType": "project", "instanceUrl": "gitlab"},
			map[string]string{"credentials.instanceUrl": "Invalid Instance URL"}, nil},
		{"aws access key", "aws", "access-key", map[string]any{"accessKeyId": "AKIA", "secretAccessKey": "s"}, nil, nil},
		{"aws assume role without arn", "aws", "assume-role", map[string]any{},
			map[string]string{"credentials.roleArn": "Role ARN required"}, nil},
		{"gcp email good", "gcp", "service-account-impersonation", map[string]any{"serviceAccountEmail": "sa@proj.iam.gserviceaccount.com"}, nil, nil},
		{"gcp email bad", "gcp", "service-account-impersonation", map[string]any{"serviceAccountEmail": "not-an-email"},
			map[string]string{"credentials.serviceAccountEmail": "Invalid email"}, nil},
		{"gcp email with display name", "gcp", "service-account-impersonation", map[string]any{"serviceAccountEmail": "SA <sa@x.example>"},
			map[string]string{"credentials.serviceAccountEmail": "Invalid email"}, nil},
		{"postgres good", "postgres", "username-and-password", pg(), nil,
			map[string]any{"port": 5432.0, "sslEnabled": true, "sslRejectUnauthorized": false}},
		{"postgres defaults", "postgres", "username-and-password", with(pg(), "port", "<delete>", "sslEnabled", "<delete>", "sslRejectUnauthorized", "<delete>", "sslCertificate", ""), nil,
			map[string]any{"port": 5432.0, "sslEnabled": false, "sslRejectUnauthorized": true}},
		{"mysql default port", "mysql", "username-and-password", with(pg(), "port", nil), nil, map[string]any{"port": 3306.0}},
		{"postgres port as string coerced", "postgres", "username-and-password", with(pg(), "port", "6543"), nil, map[string]any{"port": 6543.0}},
		{"postgres port not a number", "postgres", "username-and-password", with(pg(), "port", "five"),
			map[string]string{"credentials.port": "Expected number"}, nil},
		{"postgres port fraction", "postgres", "username-and-password", with(pg(), "port", 5432.5),
			map[string]string{"credentials.port": "integer"}, nil},
		{"postgres port out of range", "postgres", "username-and-password", with(pg(), "port", 70000.0),
			map[string]string{"credentials.port": "between 1 and 65535"}, nil},
		{"postgres bool as string", "postgres", "username-and-password", with(pg(), "sslEnabled", "true"),
			map[string]string{"credentials.sslEnabled": "Expected boolean, received string"}, nil},
		{"postgres several missing", "postgres", "username-and-password", with(pg(), "host", "<delete>", "password", ""),
			map[string]string{"credentials.host": "Host required", "credentials.password": "Password required"}, nil},
		{"netlify 255", "netlify", "access-token", map[string]any{"accessToken": strings.Repeat("n", 255)}, nil, nil},
		{"netlify 256", "netlify", "access-token", map[string]any{"accessToken": strings.Repeat("n", 256)},
			map[string]string{"credentials.accessToken": "at most 255"}, nil},
		{"cloudflare account pattern", "cloudflare", "api-token", map[string]any{"accountId": "acc id!", "apiToken": "t"},
			map[string]string{"credentials.accountId": "Account ID can only contain alphanumeric characters, underscores, and hyphens"}, nil},
		{"cloudflare good", "cloudflare", "api-token", map[string]any{"accountId": "a_1-b", "apiToken": "t"}, nil, nil},
		{"vault access token", "hashicorp-vault", "access-token", map[string]any{"instanceUrl": "https://vault.example.com:8200", "accessToken": "hvs.x"}, nil, nil},
		{"vault app role missing secret id", "hashicorp-vault", "app-role", map[string]any{"instanceUrl": "https://vault.example.com", "roleId": "r"},
			map[string]string{"credentials.secretId": "Secret ID required"}, nil},
		{"databricks bad workspace url", "databricks", "service-principal", map[string]any{"clientId": "c", "clientSecret": "s", "workspaceUrl": "dbc.cloud"},
			map[string]string{"credentials.workspaceUrl": "Invalid Workspace URL"}, nil},
		{"okta good", "okta", "api-token", map[string]any{"instanceUrl": "https://dev-1.okta.com", "apiToken": oktaToken}, nil, nil},
		{"okta bad token", "okta", "api-token", map[string]any{"instanceUrl": "https://dev-1.okta.com", "apiToken": "01" + oktaToken[2:]},
			map[string]string{"credentials.apiToken": "Invalid Okta API Token format"}, nil},
		{"okta url too long", "okta", "api-token", map[string]any{"instanceUrl": "https://" + strings.Repeat("a", 250) + ".com", "apiToken": oktaToken},
			map[string]string{"credentials.instanceUrl": "at most 255"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := infMethod(t, tt.app, tt.method).ValidateCredentials(tt.in)
			if tt.errs == nil {
				if err != nil {
					t.Fatalf("ValidateCredentials = %v, want valid", err)
				}
				for k, v := range tt.want {
					if got[k] != v {
						t.Errorf("%s = %#v, want %#v", k, got[k], v)
					}
				}
				for k := range got {
					if _, ok := infMethod(t, tt.app, tt.method).Field(k); !ok {
						t.Errorf("normalised credentials carry unknown key %q", k)
					}
				}
				return
			}
			e := sb.AsError(err)
			if e.Code != sb.CodeInvalid || len(e.Fields) != len(tt.errs) {
				t.Fatalf("ValidateCredentials = %v, want invalid %v", err, tt.errs)
			}
			for k, frag := range tt.errs {
				if !strings.Contains(e.Fields[k], frag) {
					t.Errorf("field %s = %q, want it to contain %q", k, e.Fields[k], frag)
				}
			}
		})
	}
}

func TestInfisicalMethod_FormCredentials(t *testing.T) {
	m := infMethod(t, "postgres", "username-and-password")
	form := url.Values{
		"credentials.host": {"db.example.com"}, "credentials.port": {"5433"}, "credentials.database": {"app"},
		"credentials.username": {"u"}, "credentials.password": {"pw"},
		"credentials.sslEnabled": {"false", "true"}, "credentials.sslRejectUnauthorized": {"false"}, "other": {"x"},
	}
	got, err := m.ValidateCredentials(m.FormCredentials(form, "credentials."))
	if err != nil {
		t.Fatal(err)
	}
	if got["port"] != 5433.0 || got["sslEnabled"] != true || got["sslRejectUnauthorized"] != false || got["host"] != "db.example.com" {
		t.Errorf("form credentials = %v, want port 5433, SSL on, no verification", got)
	}
	if r := m.Returned(got); r["password"] != nil || r["host"] != "db.example.com" {
		t.Errorf("Returned = %v, want host and no password", r)
	}
}

func TestValidateAppConnection(t *testing.T) {
	good := func() integrations.AppConnectionInput {
		return integrations.AppConnectionInput{App: "1password", Method: "api-token", Name: "my-1password",
			Credentials: map[string]any{"apiToken": "t", "instanceUrl": "https://1pass.example.com"}}
	}
	f, tr := false, true
	long := strings.Repeat("d", 257)
	gw := uuid.NewString()
	tests := []struct {
		name   string
		mutate func(*integrations.AppConnectionInput)
		errs   map[string]string
	}{
		{"valid", func(*integrations.AppConnectionInput) {}, nil},
		{"valid with false platform flag and empty gateway", func(in *integrations.AppConnectionInput) {
			in.IsPlatformManagedCredentials, in.GatewayID = &f, new(string)
		}, nil},
		{"name 64", func(in *integrations.AppConnectionInput) { in.Name = strings.Repeat("a", 64) }, nil},
		{"name 65", func(in *integrations.AppConnectionInput) { in.Name = strings.Repeat("a", 65) }, map[string]string{"name": "at most 64"}},
		{"name empty", func(in *integrations.AppConnectionInput) { in.Name = " " }, map[string]string{"name": "at least 1"}},
		{"name upper case", func(in *integrations.AppConnectionInput) { in.Name = "My-1password" },
			map[string]string{"name": "name field can only contain lowercase letters, numbers, and hyphens"}},
		{"name underscore", func(in *integrations.AppConnectionInput) { in.Name = "my_conn" }, map[string]string{"name": "lowercase letters"}},
		{"name leading hyphen", func(in *integrations.AppConnectionInput) { in.Name = "-conn" }, map[string]string{"name": "lowercase letters"}},
		{"name double hyphen", func(in *integrations.AppConnectionInput) { in.Name = "a--b" }, map[string]string{"name": "lowercase letters"}},
		{"description 257", func(in *integrations.AppConnectionInput) { in.Description = &long },
			map[string]string{"description": "Description cannot exceed 256 characters"}},
		{"platform managed", func(in *integrations.AppConnectionInput) { in.IsPlatformManagedCredentials = &tr },
			map[string]string{"isPlatformManagedCredentials": "Not supported for 1Password Connections"}},
		{"gateway", func(in *integrations.AppConnectionInput) { in.GatewayID = &gw },
			map[string]string{"gatewayId": "Not supported for 1Password Connections"}},
		{"method missing", func(in *integrations.AppConnectionInput) { in.Method = "" }, map[string]string{"method": "Required"}},
		{"method unknown", func(in *integrations.AppConnectionInput) { in.Method = "oauth" },
			map[string]string{"method": "Invalid enum value. Expected 'api-token', received 'oauth'"}},
		{"credentials missing", func(in *integrations.AppConnectionInput) { in.Credentials = nil }, map[string]string{"credentials": "Required"}},
		{"credential field", func(in *integrations.AppConnectionInput) { delete(in.Credentials, "apiToken") },
			map[string]string{"credentials.apiToken": "required"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := good()
			tt.mutate(&in)
			err := integrations.ValidateAppConnection(&in)
			if tt.errs == nil {
				if err != nil {
					t.Fatalf("ValidateAppConnection = %v, want nil", err)
				}
				return
			}
			e := sb.AsError(err)
			if e.Code != sb.CodeInvalid || len(e.Fields) != len(tt.errs) {
				t.Fatalf("ValidateAppConnection = %v, want invalid %v", err, tt.errs)
			}
			for k, frag := range tt.errs {
				if !strings.Contains(e.Fields[k], frag) {
					t.Errorf("field %s = %q, want it to contain %q", k, e.Fields[k], frag)
				}
			}
		})
	}
	t.Run("unknown app is not found", func(t *testing.T) {
		in := good()
		in.App = "github"
		if err := integrations.ValidateAppConnection(&in); sb.ErrorCode(err) != sb.CodeNotFound {
			t.Errorf("err = %v, want not found", err)
		}
	})
}

func TestService_AppConnections(t *testing.T) {
	const secret = "pg-secret-canary-81d2"
	for _, d := range dbtest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			keys := keyring(t, mustKey(t))
			fx := setup(t, d, keys)
			ctx := context.Background()
			tok := infTokenActor(t, fx, keys)
			in := integrations.AppConnectionInput{App: "postgres", Method: "username-and-password", Name: "orders-db",
				Credentials: map[string]any{"host": "db.example.com", "database": "orders", "username": "app", "password": secret}}
			c, revealID, err := createConn(ctx, fx.svc, tok, in)
			if err != nil {
				t.Fatalf("create: %v (%v)", err, sb.AsError(err).Err)
			}
			if revealID != "" || c.Version != 1 || c.TeamID != fx.team.ID || c.TeamSlug != "payments" || c.OrgID == "" {
				t.Errorf("created = %+v, reveal %q; want version 1 in the token's team with an org id and no reveal", c, revealID)
			}
			if c.Credentials["password"] != nil || c.Credentials["host"] != "db.example.com" || c.Credentials["port"] != 5432.0 {
				t.Errorf("returned credentials = %v", c.Credentials)
			}
			row, err := fx.store.IntegrationByID(ctx, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(row.Attrs, secret) || strings.Contains(string(row.SecretCiphertext), secret) || c.CredentialsHash != integrations.CredentialsHash(row.SecretCiphertext) {
				t.Errorf("the password is stored in clear, or the hash is not of the ciphertext")
			}
			var sealed map[string]any
			if err := fx.svc.OpenCredentials(&row.Integration, &sealed); err != nil || sealed["password"] != secret || sealed["host"] != "db.example.com" {
				t.Errorf("sealed credentials = %v, %v; want every field, password included", sealed, err)
			}

			// Duplicates, also across apps and under concurrency.
			dup := in
			dup.App, dup.Method, dup.Credentials = "vercel", "api-token", map[string]any{"apiToken": "v"}
			if _, _, err := createConn(ctx, fx.svc, tok, dup); sb.ErrorCode(err) != sb.CodeConflict ||
				sb.AsError(err).Message != `An App Connection with the name "orders-db" already exists` {
				t.Errorf("duplicate name in another app: err = %v, want Infisical's conflict", err)
			}
			var wg sync.WaitGroup
			var mu sync.Mutex
			wins, conflicts := 0, 0
			for range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					race := dup
					race.Name = "raced"
					_, _, err := createConn(ctx, fx.svc, tok, race)
					mu.Lock()
					defer mu.Unlock()
					switch sb.ErrorCode(err) {
					case "":
						wins++
					case sb.CodeConflict:
						conflicts++
					default:
						t.Errorf("concurrent create: %v (%v)", err, sb.AsError(err).Err)
					}
				}()
			}
			wg.Wait()
			if wins != 1 || conflicts != 7 {
				t.Errorf("8 concurrent creates of one name: %d created, %d conflicts; want 1 and 7", wins, conflicts)
			}

			// Access.
			other := sb.Actor{TokenID: uuid.NewString(), Role: sb.RoleSupport, Teams: []string{uuid.NewString()}}
			if _, err := fx.svc.AppConnection(ctx, other, "postgres", c.ID); sb.ErrorCode(err) != sb.CodeNotFound {
				t.Errorf("another team: err = %v, want not found", err)
			}
			if _, err := fx.svc.AppConnection(ctx, tok, "mysql", c.ID); sb.ErrorCode(err) != sb.CodeNotFound {
				t.Errorf("wrong app: err = %v, want not found", err)
			}
			if _, _, err := createConn(ctx, fx.svc, other, dup); sb.ErrorCode(err) != sb.CodeNotFound {
				t.Errorf("create in no visible team: err = %v, want not found (the token's team does not exist)", err)
			}
			if _, _, err := createConn(ctx, fx.svc, fx.admin, dup); sb.ErrorCode(err) != sb.CodeInvalid {
				t.Errorf("admin without projectId: err = %v, want projectId required", err)
			}
			ro := tok
			ro.ReadOnly = true
			if _, err := fx.svc.UpdateAppConnection(ctx, ro, "postgres", c.ID, integrations.AppConnectionUpdate{Name: infPtr("x")}); sb.ErrorCode(err) != sb.CodeForbidden {
				t.Errorf("read-only update: err = %v, want forbidden", err)
			}
			list, err := fx.svc.ListAppConnections(ctx, tok, integrations.AppConnectionFilter{})
			if err != nil || len(list) != 2 || list[0].Name != "orders-db" || list[1].Name != "raced" {
				t.Errorf("list = %v, %v; want orders-db and raced, by name", connNames(list), err)
			}
			list, _ = fx.svc.ListAppConnections(ctx, tok, integrations.AppConnectionFilter{App: "postgres"})
			if len(list) != 1 {
				t.Errorf("postgres list = %v, want orders-db only", connNames(list))
			}

			// Update: secrets left out are kept; identical credentials change nothing.
			up, err := fx.svc.UpdateAppConnection(ctx, tok, "postgres", c.ID, integrations.AppConnectionUpdate{
				DescriptionSet: true, Description: infPtr("Orders"),
				Credentials: map[string]any{"host": "db.example.com", "database": "orders", "username": "app"},
			})
			if err != nil {
				t.Fatal(err)
			}
			if up.Version != 1 || up.CredentialsHash != c.CredentialsHash || up.Description == nil || *up.Description != "Orders" {
				t.Errorf("unchanged credentials: version %d, hash changed %v, description %v; want 1, false, Orders", up.Version, up.CredentialsHash != c.CredentialsHash, up.Description)
			}
			up, err = fx.svc.UpdateAppConnection(ctx, tok, "postgres", c.ID, integrations.AppConnectionUpdate{
				Credentials: map[string]any{"host": "db2.example.com", "database": "orders", "username": "app", "password": ""},
			})
			if err != nil {
				t.Fatal(err)
			}
			if up.Version != 2 || up.CredentialsHash == c.CredentialsHash || up.Credentials["host"] != "db2.example.com" {
				t.Errorf("changed host: version %d, hash changed %v, host %v; want 2, true, db2", up.Version, up.CredentialsHash != c.CredentialsHash, up.Credentials["host"])
			}
			row, _ = fx.store.IntegrationByID(ctx, c.ID)
			sealed = nil
			if err := fx.svc.OpenCredentials(&row.Integration, &sealed); err != nil || sealed["password"] != secret {
				t.Errorf("password after an update that left it blank = %v, want the stored one", sealed["password"])
			}
			if _, err := fx.svc.UpdateAppConnection(ctx, tok, "postgres", c.ID, integrations.AppConnectionUpdate{Name: infPtr("raced")}); sb.ErrorCode(err) != sb.CodeConflict {
				t.Errorf("rename onto another: err = %v, want conflict", err)
			}
			if _, err := fx.svc.UpdateAppConnection(ctx, tok, "postgres", c.ID, integrations.AppConnectionUpdate{Method: infPtr("other")}); sb.ErrorCode(err) != sb.CodeInvalid {
				t.Errorf("method change: err = %v, want invalid", err)
			}
			vals, err := fx.svc.AppConnectionEditValues(ctx, tok, "postgres", c.ID)
			if err != nil || vals["password"] != nil || vals["host"] != "db2.example.com" {
				t.Errorf("edit values = %v, %v; want non-secret fields only", vals, err)
			}

			// A revoked row (the browser's revoke) is gone for the family.
			if err := fx.svc.Revoke(ctx, tok, c.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := fx.svc.AppConnection(ctx, tok, "", c.ID); sb.ErrorCode(err) != sb.CodeNotFound {
				t.Errorf("revoked: err = %v, want not found", err)
			}
			c2, _, err := createConn(ctx, fx.svc, tok, in)
			if err != nil {
				t.Fatalf("re-create the revoked name: %v", err)
			}
			if _, err := fx.svc.DeleteAppConnection(ctx, tok, "mysql", c2.ID); sb.ErrorCode(err) != sb.CodeNotFound {
				t.Errorf("delete under another app: err = %v, want not found", err)
			}
			if _, err := fx.svc.DeleteAppConnection(ctx, tok, "postgres", c2.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := fx.svc.AppConnection(ctx, tok, "postgres", c2.ID); sb.ErrorCode(err) != sb.CodeNotFound {
				t.Errorf("after delete: err = %v, want not found", err)
			}
		})
	}
}

func TestService_CreateAppConnectionReveal(t *testing.T) {
	fx := setup(t, db.SQLite, keyring(t, mustKey(t)))
	ctx := context.Background()
	in := integrations.AppConnectionInput{App: "aws", Method: "access-key", Name: "aws-prod", ProjectID: fx.team.ID,
		Credentials: map[string]any{"accessKeyId": "AKIAEXAMPLE", "secretAccessKey": "aws-secret-canary"}}
	c, revealID, err := createConn(ctx, fx.svc, fx.admin, in)
	if err != nil || revealID == "" {
		t.Fatalf("create = %v, reveal %q", err, revealID)
	}
	p, err := fx.svc.Reveal(ctx, fx.admin, revealID)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]integrations.RevealField{}
	for _, f := range p.Fields {
		got[f.Name] = f
	}
	if f := got["secretAccessKey"]; f.Value != "aws-secret-canary" || !f.Masked {
		t.Errorf("reveal secretAccessKey = %+v, want the secret, masked", f)
	}
	if got["credentialsHash"].Value != c.CredentialsHash || got["accessKeyId"].Value != "" {
		t.Errorf("reveal = %v, want the secret and the credentials hash only", p.Fields)
	}
}

// infTokenActor is the actor of a real API token of the fixture's team.
func infTokenActor(t *testing.T, fx fixture, keys *secrets.Keyring) sb.Actor {
	t.Helper()
	acc := access.New(fx.store, keys, quiet)
	plain, _, err := acc.CreateToken(context.Background(), sb.Actor{Role: sb.RoleAdmin, Email: "test"}, access.TokenInput{TeamID: fx.team.ID, Name: "infisical"})
	if err != nil {
		t.Fatal(err)
	}
	a, err := acc.Authenticate(context.Background(), plain, access.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func connNames(list []integrations.AppConnection) []string {
	out := []string{}
	for _, c := range list {
		out = append(out, c.Name)
	}
	return out
}

func infPtr[T any](v T) *T { return &v }

// ---- Test connection ----

// pgTarget is the test PostgreSQL server as postgres credentials.
func pgTarget(t *testing.T) map[string]any {
	t.Helper()
	u, err := url.Parse(dbtest.PostgresURL())
	if err != nil {
		t.Fatal(err)
	}
	dbtest.URL(t, db.Postgres) // skips (or, when required, fails) without a server
	port := 5432
	if p := u.Port(); p != "" {
		port, _ = strconv.Atoi(p)
	}
	pw, _ := u.User.Password()
	if pw == "" {
		pw = "unused-with-trust-auth"
	}
	return map[string]any{"host": u.Hostname(), "port": float64(port), "database": strings.TrimPrefix(u.Path, "/"),
		"username": u.User.Username(), "password": pw, "sslEnabled": false}
}

func infCreds(c map[string]any, kv ...any) map[string]any {
	out := map[string]any{}
	for k, v := range c {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

func infAllowPrivate() *integrations.Service {
	svc := integrations.New(nil, nil, quiet)
	svc.Guard = netguard.Guard{AllowPrivate: true, Timeout: 5 * time.Second}
	return svc
}

var infTester = sb.Actor{TokenID: "t", Role: sb.RoleSupport}

// TestConnTest_Postgres runs "Test connection" against the test PostgreSQL,
// which trusts 127.0.0.1 (any password works there): success, the server's
// own refusals of an unknown role or database, the guard, a socket path and
// a server that never answers. A wrong password is refused by the
// password-checking cluster in conntest_password_test.go.
func TestConnTest_Postgres(t *testing.T) {
	target := pgTarget(t)
	const canary = "pw-canary-5c1e9"
	ctx := context.Background()
	svc := infAllowPrivate()

	t.Run("success", func(t *testing.T) {
		sum, err := svc.TestAppCredentials(ctx, infTester, "postgres", "username-and-password", target, "")
		if err != nil {
			t.Fatalf("test = %v, want success", err)
		}
		if !strings.Contains(sum, "SELECT 1 succeeded") {
			t.Errorf("summary = %q", sum)
		}
	})
	t.Run("refused role, in PostgreSQL's words, without the password", func(t *testing.T) {
		_, err := svc.TestAppCredentials(ctx, infTester, "postgres", "username-and-password", infCreds(target, "username", "sb_no_such_role", "password", canary), "")
		e := sb.AsError(err)
		want := `Failed to validate credentials: role "sb_no_such_role" does not exist`
		if e.Code != sb.CodeBadRequest || e.Message != want {
			t.Errorf("err = %v (%s), want %s", err, e.Code, want)
		}
		if strings.Contains(err.Error(), canary) {
			t.Errorf("the message carries the password")
		}
	})
	t.Run("refused database", func(t *testing.T) {
		_, err := svc.TestAppCredentials(ctx, infTester, "postgres", "username-and-password", infCreds(target, "database", "sb_no_such_db"), "")
		if e := sb.AsError(err); e.Message != `Failed to validate credentials: database "sb_no_such_db" does not exist` {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("private target refused by the guard", func(t *testing.T) {
		guarded := integrations.New(nil, nil, quiet)
		guarded.Guard = netguard.Guard{Timeout: time.Second}
		_, err := guarded.TestAppCredentials(ctx, infTester, "postgres", "username-and-password", infCreds(target, "host", "127.0.0.1"), "")
		e := sb.AsError(err)
		if e.Code != sb.CodeBadRequest || !strings.HasPrefix(e.Message, "Failed to validate credentials: refusing to connect to 127.0.0.1:") || !strings.Contains(e.Message, "loopback") {
			t.Errorf("err = %v, want the guard's loopback refusal", err)
		}
	})
	t.Run("unix socket host refused", func(t *testing.T) {
		_, err := svc.TestAppCredentials(ctx, infTester, "postgres", "username-and-password", infCreds(target, "host", "/var/run/postgresql"), "")
		if e := sb.AsError(err); !strings.Contains(e.Message, "host name or an IP address") {
			t.Errorf("err = %v, want a refused socket path", err)
		}
	})
	t.Run("server that never answers", func(t *testing.T) {
		t.Parallel()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				defer c.Close()
			}
		}()
		port := ln.Addr().(*net.TCPAddr).Port
		start := time.Now()
		_, err = svc.TestAppCredentials(ctx, infTester, "postgres", "username-and-password", infCreds(target, "port", float64(port)), "")
		if e := sb.AsError(err); e.Code != sb.CodeBadRequest || !strings.Contains(e.Message, "did not answer within 5s") {
			t.Errorf("err = %v, want a timeout", err)
		}
		if d := time.Since(start); d > 8*time.Second {
			t.Errorf("gave up after %s, want about 5s", d)
		}
	})
}

// mariaDB returns root access to the MariaDB on 127.0.0.1:3306, skipping
// the test when none answers (failing it when SWITCHBOARD_REQUIRE_MYSQL is set).
func mariaDB(t *testing.T) *sql.DB {
	t.Helper()
	cfg := mysql.NewConfig()
	cfg.Net, cfg.Addr, cfg.User, cfg.Timeout = "tcp", "127.0.0.1:3306", "root", 3*time.Second
	cfg.Logger = &mysql.NopLogger{}
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	root := sql.OpenDB(conn)
	if err := root.Ping(); err != nil {
		root.Close()
		msg := fmt.Sprintf("MariaDB/MySQL on 127.0.0.1:3306 (root, empty password) not reachable: %v", err)
		if os.Getenv("SWITCHBOARD_REQUIRE_MYSQL") != "" {
			t.Fatal(msg + " (SWITCHBOARD_REQUIRE_MYSQL is set)")
		}
		t.Skip(msg)
	}
	t.Cleanup(func() { root.Close() })
	return root
}

func TestConnTest_MySQL(t *testing.T) {
	root := mariaDB(t)
	const pw, canary = "sb-mysql-pw-31c7", "mysql-canary-0d4e"
	for _, q := range []string{
		`CREATE USER IF NOT EXISTS 'sb_conn_test'@'127.0.0.1' IDENTIFIED BY '` + pw + `'`,
		`ALTER USER 'sb_conn_test'@'127.0.0.1' IDENTIFIED BY '` + pw + `'`,
	} {
		if _, err := root.Exec(q); err != nil {
			t.Fatalf("%s: %v", strings.SplitN(q, " IDENTIFIED", 2)[0], err)
		}
	}
	t.Cleanup(func() { root.Exec(`DROP USER IF EXISTS 'sb_conn_test'@'127.0.0.1'`) })
	ctx := context.Background()
	svc := infAllowPrivate()
	creds := map[string]any{"host": "127.0.0.1", "port": 3306.0, "database": "information_schema", "username": "sb_conn_test", "password": pw}

	sum, err := svc.TestAppCredentials(ctx, infTester, "mysql", "username-and-password", creds, "")
	if err != nil || !strings.Contains(sum, "SELECT 1 succeeded") {
		t.Fatalf("test = %q, %v; want success", sum, err)
	}
	_, err = svc.TestAppCredentials(ctx, infTester, "mysql", "username-and-password", infCreds(creds, "password", canary), "")
	e := sb.AsError(err)
	if e.Code != sb.CodeBadRequest || !strings.HasPrefix(e.Message, "Failed to validate credentials: Access denied for user 'sb_conn_test'@") {
		t.Errorf("wrong password: err = %v, want MySQL's access denied", err)
	}
	if strings.Contains(e.Message, canary) || strings.Contains(e.Message, pw) {
		t.Errorf("the message carries a password")
	}
	guarded := integrations.New(nil, nil, quiet)
	guarded.Guard = netguard.Guard{Timeout: time.Second}
	_, err = guarded.TestAppCredentials(ctx, infTester, "mysql", "username-and-password", creds, "")
	if e := sb.AsError(err); !strings.Contains(e.Message, "refusing to connect to 127.0.0.1:3306") {
		t.Errorf("guarded: err = %v, want the guard's refusal", err)
	}
}

// TestConnTest_Plugin checks the infTester registry: an app without a infTester
// says so, and whatever a infTester answers is scrubbed of the secrets.
func TestConnTest_Plugin(t *testing.T) {
	ctx := context.Background()
	svc := infAllowPrivate()
	creds := map[string]any{"apiToken": "vercel-token-canary"}
	if _, err := svc.TestAppCredentials(ctx, infTester, "vercel", "api-token", creds, ""); sb.AsError(err).Message != "Testing credentials is not supported for Vercel Connections" {
		t.Errorf("no infTester: err = %v", err)
	}
	svc.Testers["vercel"] = func(ctx context.Context, _ netguard.Guard, method string, c map[string]any) (string, error) {
		if _, ok := ctx.Deadline(); !ok {
			return "", errors.New("no deadline")
		}
		return "", fmt.Errorf("server said: bad token %s", c["apiToken"])
	}
	_, err := svc.TestAppCredentials(ctx, infTester, "vercel", "api-token", creds, "")
	e := sb.AsError(err)
	if e.Code != sb.CodeBadRequest || e.Message != "Failed to validate credentials: server said: bad token [redacted]" {
		t.Errorf("err = %v (%s), want the scrubbed failure", err, e.Code)
	}
	if !svc.HasConnectionTester("postgres") || !svc.HasConnectionTester("mysql") || integrations.New(nil, nil, quiet).HasConnectionTester("vercel") {
		t.Errorf("postgres and mysql have no tester, or a test's own tester reached another service")
	}
	ro := infTester
	ro.ReadOnly = true
	if _, err := svc.TestAppCredentials(ctx, ro, "vercel", "api-token", creds, ""); sb.ErrorCode(err) != sb.CodeForbidden {
		t.Errorf("read-only: err = %v, want forbidden", err)
	}
}

// createConn creates an app connection through the one create pipeline and
// returns its response view and reveal id.
func createConn(ctx context.Context, svc *integrations.Service, actor sb.Actor, in integrations.AppConnectionInput) (*integrations.AppConnection, string, error) {
	created, err := svc.Create(ctx, actor, &in, nil)
	if err != nil {
		return nil, "", err
	}
	c, err := svc.AppConnectionOfRecord(ctx, created.Record)
	return c, created.RevealID, err
}
