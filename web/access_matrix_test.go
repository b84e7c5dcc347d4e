package web_test

// The route × role × team matrix: every route of the app, for every role
// that can reach it (anonymous, admin, support on its own team's object,
// support on another team's; for the JSON families no token, a read-write
// token, a read-only token, and a token on another team's object), with
// the status it must answer. A route registered without a row fails the
// test, so a new route cannot skip the access rules. Each request gets
// fresh objects, so destructive actions never disturb another row.
// On SQLite and PostgreSQL.

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/google/uuid"
	sb "switchboard"
	"switchboard/access"
	"switchboard/db"
	"switchboard/integrations"
	"switchboard/web/webtest"
	"switchboard/webhooks"
)

// Role keys of the matrix.
const (
	mxAnon    = "anon"    // no session
	mxAdmin   = "admin"   // an administrator, on the own team's object
	mxOwn     = "own"     // a support user, on its own team's object
	mxOther   = "other"   // the same support user, on another team's object
	mxNone    = "none"    // a JSON request without a token
	mxRW      = "rw"      // a read-write token of the own team
	mxRO      = "ro"      // a read-only token of the own team
	mxRWOther = "rwother" // the read-write token, on another team's object
)

// mxFix is the world the matrix runs in.
type mxFix struct {
	t          *testing.T
	env        *webtest.Env
	own, other *db.Team
	adminUser  *db.User
	supportU   *db.User
	admin      *webtest.Client
	support    *webtest.Client
	anon       *webtest.Client
	rw, ro     string
}

var mxRoot = sb.Actor{Role: sb.RoleAdmin, Email: "matrix"}

func (f *mxFix) team(scope string) *db.Team {
	if scope == mxOther || scope == mxRWOther {
		return f.other
	}
	return f.own
}

// fresh objects of a team, made through the domain.
func (f *mxFix) node(scope string) string {
	return f.env.CreateNode(f.team(scope).ID, "n-"+uuid.NewString()[:8]).ID
}

func (f *mxFix) nodeKey(scope string) string {
	return f.create(&integrations.NodeKeyInput{NodeID: f.node(scope), Name: "k"})
}

// create makes an integration through the one create pipeline.
func (f *mxFix) create(in integrations.Input) string {
	c, err := f.env.App.Services.Create(context.Background(), mxRoot, in, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	return c.Record.ID
}

// webhookAt is a request to path under a fresh endpoint of the role's
// team ("/webhooks/{id}" + path).
func webhookAt(path string) func(*mxFix, string) mxReq {
	return func(f *mxFix, role string) mxReq {
		id, _, _ := strings.Cut(f.webhook(role), "/")
		return mxReq{path: "/webhooks/" + id + path}
	}
}

// webhook is an endpoint of the scope's team with one queued delivery,
// as "{endpoint}/deliveries/{event}".
func (f *mxFix) webhook(scope string) string {
	_, ep, err := f.env.App.Webhooks.Create(context.Background(), sb.Actor{UserID: f.adminUser.ID, Role: sb.RoleAdmin, Email: "matrix"},
		webhooks.Input{TeamID: f.team(scope).ID, URL: "http://127.0.0.1:9/hook", Events: "node.create"})
	if err != nil {
		f.t.Fatal(err)
	}
	f.node(scope)
	ds, err := f.env.Store.ListWebhookDeliveries(context.Background(), ep.ID, 1)
	if err != nil || len(ds) != 1 {
		f.t.Fatalf("webhook fixture: %v %v", ds, err)
	}
	return ep.ID + "/deliveries/" + ds[0].EventID
}

func (f *mxFix) onePassword(scope string) string {
	return f.create(&integrations.OnePasswordInput{TeamID: f.team(scope).ID, Name: "op", Token: newOPToken(f.t).Token})
}

func (f *mxFix) infisical(scope string) string {
	return f.create(&integrations.AppConnectionInput{App: "1password", Method: "api-token",
		Name: "c-" + uuid.NewString()[:8], ProjectID: f.team(scope).ID, Credentials: map[string]any{"apiToken": "connect-0123456789", "instanceUrl": "https://1pass.invalid"}})
}

func (f *mxFix) launchDarkly(scope string) string {
	return f.create(&integrations.LDConfigInput{IntegrationKey: "honeycomb", TeamID: f.team(scope).ID,
		Name: "ld-" + uuid.NewString()[:8], ConfigValues: map[string]any{"datasetName": "prod", "apiKey": "hc-0123456789"}})
}

func (f *mxFix) apiToken(scope string) string {
	_, tk, err := f.env.App.Access.CreateToken(context.Background(), mxRoot, access.TokenInput{TeamID: f.team(scope).ID, Name: "t-" + uuid.NewString()[:8]})
	if err != nil {
		f.t.Fatal(err)
	}
	return tk.ID
}

// user is a fresh user of role, in no team.
func (f *mxFix) user(role sb.Role) *db.User {
	return f.env.CreateUser("u-"+uuid.NewString()[:8]+"@example.com", role)
}

// reveal is a reveal of the requester (own scopes) or of somebody else.
func (f *mxFix) reveal(role string) string {
	owner := f.supportU
	switch role {
	case mxAdmin:
		owner = f.adminUser
	case mxOther:
		owner = f.adminUser
	}
	id, err := f.env.App.Services.CreateReveal(context.Background(), sb.Actor{UserID: owner.ID, Email: owner.Email, Role: sb.Role(owner.Role)},
		integrations.RevealPayload{Title: "matrix", Next: "/integrations", Fields: []integrations.RevealField{{Label: "x", Name: "x", Value: "v"}}}, access.Event{Action: access.ActionRevealCreate, TargetType: "reveal"})
	if err != nil {
		f.t.Fatal(err)
	}
	return id
}

// session signs a fresh support user in and returns the user and the id
// of its session row.
func (f *mxFix) session() (*db.User, string) {
	u := f.user(sb.RoleSupport)
	c := f.env.Client()
	c.SignIn(u.Email)
	var id string
	x := f.env.Store.SQLX()
	if err := x.GetContext(context.Background(), &id, x.Rebind(`SELECT id FROM user_sessions WHERE user_id = ?`), u.ID); err != nil {
		f.t.Fatal(err)
	}
	return u, id
}

// mxReq is one request of a row: a path and, for writes, a body.
type mxReq struct {
	path string
	// fresh sends it from a newly signed-in user of the role (an action
	// that would end the shared client's session).
	fresh bool
	form  url.Values // browser forms
	json  any        // JSON bodies
}

// mxRow is one route of the matrix.
type mxRow struct {
	method, route string
	// req builds the request for a role; roles it must answer are in want.
	req  func(f *mxFix, role string) mxReq
	want map[string]int
}

func at(path string) func(*mxFix, string) mxReq {
	return func(*mxFix, string) mxReq { return mxReq{path: path} }
}

// on builds a path around a fresh object of the role's team.
func on(make func(*mxFix, string) string, format string) func(*mxFix, string) mxReq {
	return func(f *mxFix, role string) mxReq {
		return mxReq{path: strings.ReplaceAll(format, "{}", make(f, role))}
	}
}

func withForm(fn func(*mxFix, string) mxReq, form func(*mxFix, string) url.Values) func(*mxFix, string) mxReq {
	return func(f *mxFix, role string) mxReq {
		r := fn(f, role)
		r.form = form(f, role)
		return r
	}
}

func withJSON(fn func(*mxFix, string) mxReq, body func(*mxFix, string) any) func(*mxFix, string) mxReq {
	return func(f *mxFix, role string) mxReq {
		r := fn(f, role)
		r.json = body(f, role)
		return r
	}
}

// Expected answers, named.
var (
	uiPage     = map[string]int{mxAnon: 303, mxAdmin: 200, mxOwn: 200}
	uiObject   = map[string]int{mxAnon: 303, mxAdmin: 200, mxOwn: 200, mxOther: 404}
	uiAction   = map[string]int{mxAnon: 303, mxAdmin: 303, mxOwn: 303, mxOther: 404}
	uiAdmin    = map[string]int{mxAnon: 303, mxAdmin: 200, mxOwn: 404}
	uiAdminAct = map[string]int{mxAnon: 303, mxAdmin: 303, mxOwn: 404}
	// a create form: the support user naming another team is refused on the form
	uiCreate = map[string]int{mxAnon: 303, mxAdmin: 303, mxOwn: 303, mxOther: 422}
	apiRead  = map[string]int{mxNone: 401, mxRW: 200, mxRO: 200, mxRWOther: 404}
	apiList  = map[string]int{mxNone: 401, mxRW: 200, mxRO: 200}
	apiWrite = map[string]int{mxNone: 401, mxRW: 200, mxRO: 403, mxRWOther: 404}
	public   = map[string]int{mxAnon: 200}
)

func with(m map[string]int, k string, v int) map[string]int {
	out := map[string]int{}
	for a, b := range m {
		out[a] = b
	}
	out[k] = v
	return out
}

func mxRows() []mxRow {
	opToken := func(*mxFix, string) url.Values { return url.Values{"name": {"renamed"}} }
	return append([]mxRow{
		// Public and infrastructure.
		{"GET", "/healthz", at("/healthz"), public},
		{"GET", "/readyz", at("/readyz"), public},
		{"GET", "/openapi.json", at("/openapi.json"), public},
		{"GET", "/sign-in", at("/sign-in"), map[string]int{mxAnon: 200, mxAdmin: 303}},
		{"POST", "/sign-in", withForm(at("/sign-in"), func(*mxFix, string) url.Values {
			return url.Values{"email": {"nobody@example.com"}, "password": {"wrong password here"}}
		}), map[string]int{mxAnon: 401}},
		{"POST", "/sign-out", at("/sign-out"), map[string]int{mxAnon: 303}},
		{"GET", "/setup/:token", at("/setup/not-the-token"), map[string]int{mxAnon: 404}},
		{"POST", "/setup/:token", at("/setup/not-the-token"), map[string]int{mxAnon: 404}},

		// Signed-in pages.
		{"GET", "/", at("/"), map[string]int{mxAnon: 303, mxAdmin: 303, mxOwn: 303}},
		{"GET", "/integrations", at("/integrations"), uiPage},
		{"GET", "/integrations/new", at("/integrations/new"), uiPage},
		{"GET", "/integrations/new/node-api-key", at("/integrations/new/node-api-key"), uiPage},
		{"GET", "/integrations/new/node-api-key/nodes", func(f *mxFix, role string) mxReq {
			return mxReq{path: "/integrations/new/node-api-key/nodes?team_id=" + f.team(role).ID}
		}, uiObject},
		{"POST", "/integrations/new/node-api-key", withForm(at("/integrations/new/node-api-key"), func(f *mxFix, role string) url.Values {
			return url.Values{"team_id": {f.team(role).ID}, "node_id": {f.node(role)}, "name": {"k"}}
		}), uiCreate},
		{"GET", "/integrations/new/1password", at("/integrations/new/1password"), uiPage},
		{"POST", "/integrations/new/1password", withForm(at("/integrations/new/1password"), func(f *mxFix, role string) url.Values {
			return url.Values{"team_id": {f.team(role).ID}, "name": {"op"}, "token": {newOPToken(f.t).Token}}
		}), uiCreate},
		{"GET", "/integrations/new/infisical", at("/integrations/new/infisical"), uiPage},
		{"POST", "/integrations/new/infisical", withForm(at("/integrations/new/infisical"), func(f *mxFix, role string) url.Values {
			return url.Values{"team_id": {f.team(role).ID}, "app": {"1password"}, "method": {"api-token"}, "name": {"c-" + uuid.NewString()[:8]},
				"credentials.apiToken": {"connect-0123456789"}, "credentials.instanceUrl": {"https://1pass.invalid"}}
		}), uiCreate},
		{"GET", "/integrations/new/launchdarkly", at("/integrations/new/launchdarkly?integrationKey=honeycomb"), uiPage},
		{"POST", "/integrations/new/launchdarkly", withForm(at("/integrations/new/launchdarkly"), func(f *mxFix, role string) url.Values {
			return url.Values{"integrationKey": {"honeycomb"}, "team_id": {f.team(role).ID}, "name": {"ld-" + uuid.NewString()[:8]},
				"configValues.datasetName": {"prod"}, "configValues.apiKey": {"hc-0123456789"}}
		}), uiCreate},
		{"GET", "/integrations/:id", on((*mxFix).launchDarkly, "/integrations/{}"), uiObject},
		{"POST", "/integrations/:id/test", on((*mxFix).infisical, "/integrations/{}/test"), uiAction},
		{"GET", "/integrations/:id/edit", on((*mxFix).onePassword, "/integrations/{}/edit"), uiObject},
		{"POST", "/integrations/:id/edit", withForm(on((*mxFix).onePassword, "/integrations/{}/edit"), opToken), uiAction},
		{"POST", "/integrations/:id/revoke", on((*mxFix).nodeKey, "/integrations/{}/revoke"), uiAction},
		{"GET", "/integrations/:id/confirm/:action", on((*mxFix).launchDarkly, "/integrations/{}/confirm/delete"), uiObject},
		{"POST", "/integrations/:id/disable", on((*mxFix).launchDarkly, "/integrations/{}/disable"), uiAction},
		{"POST", "/integrations/:id/enable", on((*mxFix).onePassword, "/integrations/{}/enable"), uiAction},
		{"POST", "/integrations/:id/rotate", on((*mxFix).nodeKey, "/integrations/{}/rotate"), uiAction},
		{"POST", "/integrations/:id/delete", func(f *mxFix, role string) mxReq {
			id := f.infisical(role)
			return mxReq{path: "/integrations/" + id + "/delete", form: deleteForm(f.t, f.env, id)}
		}, uiAction},
		{"GET", "/reveal/:id", func(f *mxFix, role string) mxReq { return mxReq{path: "/reveal/" + f.reveal(role)} }, uiObject},
		{"GET", "/audit", at("/audit"), uiPage},
		{"GET", "/audit/export.csv", at("/audit/export.csv"), uiPage},
		{"GET", "/audit/export.jsonl", at("/audit/export.jsonl"), uiPage},
		{"GET", "/nodes", func(f *mxFix, role string) mxReq { return mxReq{path: "/nodes?team=" + f.team(role).ID} }, uiObject},
		{"POST", "/nodes", withForm(at("/nodes"), func(f *mxFix, role string) url.Values {
			return url.Values{"team_id": {f.team(role).ID}, "name": {"n-" + uuid.NewString()[:8]}}
		}), with(uiCreate, mxOther, 404)},
		{"GET", "/tokens", func(f *mxFix, role string) mxReq { return mxReq{path: "/tokens?team=" + f.team(role).ID} }, uiObject},
		{"POST", "/tokens", withForm(at("/tokens"), func(f *mxFix, role string) url.Values {
			return url.Values{"team_id": {f.team(role).ID}, "name": {"t-" + uuid.NewString()[:8]}, "expires": {"30d"}, "access": {"read-only"}}
		}), uiCreate},
		{"GET", "/tokens/:id/confirm/revoke", on((*mxFix).apiToken, "/tokens/{}/confirm/revoke"), uiObject},
		{"POST", "/tokens/:id/revoke", on((*mxFix).apiToken, "/tokens/{}/revoke"), uiAction},
		{"GET", "/webhooks", at("/webhooks"), uiPage},
		{"POST", "/webhooks", withForm(at("/webhooks"), func(f *mxFix, role string) url.Values {
			return url.Values{"team_id": {f.team(role).ID}, "url": {"https://hooks.example.com/x"}, "events": {"all"}}
		}), uiCreate},
		{"GET", "/webhooks/:id", webhookAt(""), uiObject},
		{"POST", "/webhooks/:id/enable", webhookAt("/enable"), uiAction},
		{"POST", "/webhooks/:id/disable", webhookAt("/disable"), uiAction},
		{"GET", "/webhooks/:id/confirm/delete", webhookAt("/confirm/delete"), uiObject},
		{"POST", "/webhooks/:id/delete", webhookAt("/delete"), uiAction},
		{"POST", "/webhooks/:id/deliveries/:event/redeliver", on((*mxFix).webhook, "/webhooks/{}/redeliver"), uiAction},
		{"GET", "/tokens/:id/confirm/roll", on((*mxFix).apiToken, "/tokens/{}/confirm/roll"), uiObject},
		{"POST", "/tokens/:id/roll", on((*mxFix).apiToken, "/tokens/{}/roll"), uiAction},

		// Administration.
		{"GET", "/teams", at("/teams"), uiAdmin},
		{"POST", "/teams", withForm(at("/teams"), func(*mxFix, string) url.Values {
			s := "t" + uuid.NewString()[:8]
			return url.Values{"slug": {s}, "name": {s}}
		}), uiAdminAct},
		{"GET", "/teams/:id", func(f *mxFix, role string) mxReq { return mxReq{path: "/teams/" + f.team(role).ID} }, uiAdmin},
		{"POST", "/teams/:id/members", withForm(func(f *mxFix, role string) mxReq { return mxReq{path: "/teams/" + f.team(role).ID + "/members"} },
			func(f *mxFix, _ string) url.Values { return url.Values{"email": {f.user(sb.RoleSupport).Email}} }), uiAdminAct},
		{"GET", "/users", at("/users"), uiAdmin},
		{"POST", "/users", withForm(at("/users"), func(f *mxFix, _ string) url.Values {
			return url.Values{"email": {"invite-" + uuid.NewString()[:8] + "@example.com"}, "role": {"support"}, "teams": {f.own.ID}}
		}), uiAdminAct},
		{"GET", "/users/:id", func(f *mxFix, _ string) mxReq { return mxReq{path: "/users/" + f.user(sb.RoleSupport).ID} }, uiAdmin},
		{"POST", "/users/:id", withForm(func(f *mxFix, _ string) mxReq { return mxReq{path: "/users/" + f.user(sb.RoleSupport).ID} },
			func(f *mxFix, _ string) url.Values { return url.Values{"role": {"support"}, "teams": {f.other.ID}} }), uiAdminAct},
		{"GET", "/users/:id/confirm/disable", func(f *mxFix, _ string) mxReq {
			return mxReq{path: "/users/" + f.user(sb.RoleSupport).ID + "/confirm/disable"}
		}, uiAdmin},
		{"POST", "/users/:id/disable", func(f *mxFix, _ string) mxReq { return mxReq{path: "/users/" + f.user(sb.RoleSupport).ID + "/disable"} }, uiAdminAct},
		{"POST", "/users/:id/enable", func(f *mxFix, _ string) mxReq { return mxReq{path: "/users/" + f.user(sb.RoleSupport).ID + "/enable"} }, uiAdminAct},
		{"POST", "/users/:id/password-link", func(f *mxFix, _ string) mxReq {
			return mxReq{path: "/users/" + f.user(sb.RoleSupport).ID + "/password-link"}
		}, uiAdminAct},

		// The signed-in user's own account.
		{"GET", "/account", at("/account"), uiPage},
		{"POST", "/account/password", withForm(at("/account/password"), func(*mxFix, string) url.Values {
			return url.Values{"current": {"not the password"}, "password": {"a new long password"}, "confirm": {"a new long password"}}
		}), map[string]int{mxAnon: 303, mxAdmin: 422, mxOwn: 422}},
		{"POST", "/sign-out-everywhere", func(*mxFix, string) mxReq { return mxReq{path: "/sign-out-everywhere", fresh: true} }, map[string]int{mxAnon: 303, mxAdmin: 303, mxOwn: 303}},
		{"POST", "/account/sessions/:id/end", func(f *mxFix, _ string) mxReq {
			_, id := f.session()
			return mxReq{path: "/account/sessions/" + id + "/end"}
		}, map[string]int{mxAnon: 303, mxAdmin: 404, mxOwn: 404}},
		{"GET", "/account/two-factor", at("/account/two-factor"), uiPage},
		{"POST", "/account/two-factor", withForm(at("/account/two-factor"), func(*mxFix, string) url.Values { return url.Values{"code": {"000000"}} }),
			map[string]int{mxAnon: 303, mxAdmin: 422, mxOwn: 422}},
		{"POST", "/users/two-factor-policy", withForm(at("/users/two-factor-policy"), func(*mxFix, string) url.Values { return url.Values{"required": {"false"}} }), uiAdminAct},
		{"POST", "/users/:id/sessions/end", func(f *mxFix, _ string) mxReq {
			u, _ := f.session()
			return mxReq{path: "/users/" + u.ID + "/sessions/end"}
		}, uiAdminAct},
		{"POST", "/users/:id/sessions/:session/end", func(f *mxFix, _ string) mxReq {
			u, id := f.session()
			return mxReq{path: "/users/" + u.ID + "/sessions/" + id + "/end"}
		}, uiAdminAct},
		// Sign-in steps: without a pending sign-in they go back to sign-in;
		// single sign-on is not configured here, so its routes do not exist.
		{"GET", "/sign-in/two-factor", at("/sign-in/two-factor"), map[string]int{mxAnon: 303}},
		{"POST", "/sign-in/two-factor", withForm(at("/sign-in/two-factor"), func(*mxFix, string) url.Values { return url.Values{"code": {"000000"}} }), map[string]int{mxAnon: 303}},
		{"GET", "/sign-in/two-factor/enrol", at("/sign-in/two-factor/enrol"), map[string]int{mxAnon: 303}},
		{"POST", "/sign-in/two-factor/enrol", withForm(at("/sign-in/two-factor/enrol"), func(*mxFix, string) url.Values { return url.Values{"code": {"000000"}} }), map[string]int{mxAnon: 303}},
		{"GET", "/sign-in/oidc", at("/sign-in/oidc"), map[string]int{mxAnon: 404}},
		{"GET", "/sign-in/oidc/callback", at("/sign-in/oidc/callback?state=x&code=y"), map[string]int{mxAnon: 404}},
		{"GET", "/set-password/:token", at("/set-password/sbp_not-a-token"), map[string]int{mxAnon: 404}},
		{"POST", "/set-password/:token", at("/set-password/sbp_not-a-token"), map[string]int{mxAnon: 404}},
		{"POST", "/teams/:id/nodes", withForm(func(f *mxFix, role string) mxReq { return mxReq{path: "/teams/" + f.team(role).ID + "/nodes"} },
			func(*mxFix, string) url.Values { return url.Values{"name": {"n-" + uuid.NewString()[:8]}} }), uiAdminAct},

		// Node API keys.
		{"POST", "/api/v1/integrations", withJSON(at("/api/v1/integrations"), func(f *mxFix, role string) any {
			return map[string]any{"node_id": f.node(role), "name": "k"}
		}), with(with(apiWrite, mxRW, 201), mxRWOther, 404)},
		{"GET", "/api/v1/integrations", at("/api/v1/integrations"), apiList},
		{"GET", "/api/v1/integrations/:id", on((*mxFix).nodeKey, "/api/v1/integrations/{}"), apiRead},
		{"DELETE", "/api/v1/integrations/:id", on((*mxFix).nodeKey, "/api/v1/integrations/{}"), with(apiWrite, mxRW, 204)},
		// Verification answers another team's key like an unknown one, a
		// 401 (TestAPINodeKeyVerify_LiveAndEveryFailure), not the 404 this
		// matrix asks of other teams' objects, so that role is left out here.
		{"POST", "/api/v1/integrations/verify", withJSON(at("/api/v1/integrations/verify"), func(f *mxFix, role string) any {
			c, err := f.env.App.Services.Create(context.Background(), mxRoot, &integrations.NodeKeyInput{NodeID: f.node(role), Name: "k"}, nil)
			if err != nil {
				f.t.Fatal(err)
			}
			return map[string]any{"api_key": c.ShownValue("api_key"), "secret": c.ShownValue("secret")}
		}), map[string]int{mxNone: 401, mxRW: 200, mxRO: 200}},
		{"POST", "/api/v1/integrations/:id/rotate", on((*mxFix).nodeKey, "/api/v1/integrations/{}/rotate"), with(apiWrite, mxRW, 201)},
		{"POST", "/api/v1/integrations/:id/disable", on((*mxFix).nodeKey, "/api/v1/integrations/{}/disable"), apiWrite},
		{"POST", "/api/v1/integrations/:id/enable", on((*mxFix).nodeKey, "/api/v1/integrations/{}/enable"), apiWrite},
		{"GET", "/api/v1/audit-events", at("/api/v1/audit-events"), apiList},

		// Infisical app connections.
		{"GET", "/api/v1/app-connections", at("/api/v1/app-connections"), apiList},
		{"GET", "/api/v1/app-connections/options", at("/api/v1/app-connections/options"), apiList},
		{"POST", "/api/v1/app-connections/:app", withJSON(at("/api/v1/app-connections/1password"), func(f *mxFix, role string) any {
			return map[string]any{"name": "c-" + uuid.NewString()[:8], "method": "api-token", "projectId": f.team(role).ID,
				"credentials": map[string]any{"apiToken": "connect-0123456789", "instanceUrl": "https://1pass.invalid"}}
		}), apiWrite},
		{"GET", "/api/v1/app-connections/:app", at("/api/v1/app-connections/1password"), apiList},
		{"GET", "/api/v1/app-connections/:app/:id", on((*mxFix).infisical, "/api/v1/app-connections/1password/{}"), apiRead},
		{"PATCH", "/api/v1/app-connections/:app/:id", withJSON(on((*mxFix).infisical, "/api/v1/app-connections/1password/{}"), func(*mxFix, string) any {
			return map[string]any{"description": "changed"}
		}), apiWrite},
		{"DELETE", "/api/v1/app-connections/:app/:id", on((*mxFix).infisical, "/api/v1/app-connections/1password/{}"), apiWrite},
		{"POST", "/api/v1/app-connections/:app/:id/test", on((*mxFix).infisical, "/api/v1/app-connections/1password/{}/test"), with(apiWrite, mxRW, 400)},
		{"POST", "/api/v1/app-connections/:app/:id/disable", on((*mxFix).infisical, "/api/v1/app-connections/1password/{}/disable"), apiWrite},
		{"POST", "/api/v1/app-connections/:app/:id/enable", on((*mxFix).infisical, "/api/v1/app-connections/1password/{}/enable"), apiWrite},

		// Anchor's 1Password family.
		{"POST", "/v1/integrations", withJSON(at("/v1/integrations"), func(f *mxFix, _ string) any {
			return map[string]any{"name": "op", "type": "1PASSWORD", "credentials": map[string]any{"type": "serviceAccount", "data": map[string]any{"serviceAccount": newOPToken(f.t).Token}}}
		}), map[string]int{mxNone: 401, mxRW: 200, mxRO: 403}},
		{"GET", "/v1/integrations", at("/v1/integrations"), apiList},
		{"GET", "/v1/integrations/:id", on((*mxFix).onePassword, "/v1/integrations/{}"), apiRead},
		{"DELETE", "/v1/integrations/:id", on((*mxFix).onePassword, "/v1/integrations/{}"), apiWrite},
		{"POST", "/v1/integrations/:id/rotate", withJSON(on((*mxFix).onePassword, "/v1/integrations/{}/rotate"), func(f *mxFix, _ string) any {
			return map[string]any{"credentials": map[string]any{"type": "serviceAccount", "data": map[string]any{"serviceAccount": newOPToken(f.t).Token}}}
		}), apiWrite},
		{"POST", "/v1/integrations/:id/disable", on((*mxFix).onePassword, "/v1/integrations/{}/disable"), apiWrite},
		{"POST", "/v1/integrations/:id/enable", on((*mxFix).onePassword, "/v1/integrations/{}/enable"), apiWrite},

		// LaunchDarkly's integration configurations.
		{"POST", "/api/v2/integration-configurations/keys/:integrationKey", withJSON(at("/api/v2/integration-configurations/keys/honeycomb"), func(*mxFix, string) any {
			return map[string]any{"name": "ld-" + uuid.NewString()[:8], "configValues": map[string]any{"datasetName": "prod", "apiKey": "hc-0123456789"}}
		}), map[string]int{mxNone: 401, mxRW: 201, mxRO: 403}},
		{"GET", "/api/v2/integration-configurations/keys/:integrationKey", at("/api/v2/integration-configurations/keys/honeycomb"), apiList},
		{"GET", "/api/v2/integration-configurations/:id", on((*mxFix).launchDarkly, "/api/v2/integration-configurations/{}"), apiRead},
		{"PATCH", "/api/v2/integration-configurations/:id", withJSON(on((*mxFix).launchDarkly, "/api/v2/integration-configurations/{}"), func(*mxFix, string) any {
			return []any{map[string]any{"op": "replace", "path": "/enabled", "value": false}}
		}), apiWrite},
		{"DELETE", "/api/v2/integration-configurations/:id", on((*mxFix).launchDarkly, "/api/v2/integration-configurations/{}"), with(apiWrite, mxRW, 204)},
	}, mxSyncRows()...)
}

func TestAccessMatrix_EveryRoute(t *testing.T) {
	rows := mxRows()
	htEachDialectSyncs(t, func(t *testing.T, env *webtest.Env) {
		f := &mxFix{t: t, env: env, own: env.CreateTeam("own"), other: env.CreateTeam("other")}
		f.adminUser = env.CreateUser("admin@example.com", sb.RoleAdmin)
		f.supportU = env.CreateUser("support@example.com", sb.RoleSupport, "own")
		f.admin, _ = htSignIn(t, env, "admin@example.com")
		f.support, _ = htSignIn(t, env, "support@example.com")
		f.anon = env.Client()
		f.anon.Get("/sign-in")
		f.rw, f.ro = env.CreateToken(f.own.ID, false), env.CreateToken(f.own.ID, true)

		// Every registered route has a row, and every row a route.
		fiberParam := regexp.MustCompile(`:[A-Za-z_]+`)
		norm := func(p string) string {
			p = strings.TrimSuffix(p, "/")
			if p == "" {
				p = "/"
			}
			return fiberParam.ReplaceAllString(p, ":")
		}
		covered := map[string]bool{}
		for _, r := range rows {
			covered[r.method+" "+norm(r.route)] = true
		}
		registered := map[string]bool{}
		for _, r := range env.App.Fiber.GetRoutes(true) {
			if r.Method == http.MethodHead || r.Method == "USE" || len(r.Handlers) == 0 || strings.HasPrefix(r.Path, "/static") {
				continue
			}
			key := r.Method + " " + norm(r.Path)
			registered[key] = true
			if !covered[key] {
				t.Errorf("route %s %s has no row in the access matrix: add one", r.Method, r.Path)
			}
		}
		for k := range covered {
			if !registered[k] {
				t.Errorf("the access matrix has a row for %s, which is not a route", k)
			}
		}
		for _, r := range rows {
			for role, want := range r.want {
				req := r.req(f, role)
				got := f.send(r.method, role, req)
				if got != want {
					t.Errorf("%s %s as %s (%s) = %d, want %d", r.method, r.route, role, req.path, got, want)
				}
				if (role == mxOther || role == mxRWOther) && got != http.StatusNotFound && got != http.StatusUnprocessableEntity {
					t.Errorf("%s %s on another team's object answered %d: only 404 (or a refused form) may", r.method, r.route, got)
				}
				// An htmx request of a signed-in page obeys the same rules.
				if r.method == http.MethodGet && (role == mxAdmin || role == mxOwn || role == mxOther) && !strings.HasPrefix(r.route, "/api") && !strings.HasPrefix(r.route, "/v1") {
					req := r.req(f, role)
					c := map[string]*webtest.Client{mxAdmin: f.admin, mxOwn: f.support, mxOther: f.support}[role]
					c.Header.Set("HX-Request", "true")
					resp, _ := c.Get(req.path)
					c.Header.Del("HX-Request")
					if resp.StatusCode != want {
						t.Errorf("htmx %s %s as %s (%s) = %d, want %d as without htmx", r.method, r.route, role, req.path, resp.StatusCode, want)
					}
				}
			}
		}
	})
}

// send makes one request as role and returns its status.
func (f *mxFix) send(method, role string, req mxReq) int {
	f.t.Helper()
	switch role {
	case mxNone, mxRW, mxRO, mxRWOther:
		token := map[string]string{mxNone: "", mxRW: f.rw, mxRO: f.ro, mxRWOther: f.rw}[role]
		var body any
		if req.json != nil {
			body = req.json
		} else if method != http.MethodGet && method != http.MethodDelete {
			body = map[string]any{}
		}
		resp, _, _ := f.env.API(method, req.path, token, body)
		return resp.StatusCode
	}
	c := map[string]*webtest.Client{mxAnon: f.anon, mxAdmin: f.admin, mxOwn: f.support, mxOther: f.support}[role]
	if req.fresh && role != mxAnon {
		r := sb.RoleSupport
		if role == mxAdmin {
			r = sb.RoleAdmin
		}
		c, _ = htSignIn(f.t, f.env, f.user(r).Email)
	}
	if method == http.MethodGet {
		resp, _ := c.Get(req.path)
		return resp.StatusCode
	}
	resp, _ := c.Post(req.path, req.form)
	return resp.StatusCode
}
