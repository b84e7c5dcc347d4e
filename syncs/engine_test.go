package syncs_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	sb "switchboard"
	"switchboard/db"
	"switchboard/db/dbtest"
	"switchboard/syncs"
	"switchboard/syncs/targets"
	"switchboard/syncs/targets/standin"
)

// TestEngine_FailingTarget: a target answering 500 with a message that
// echoes the value it was sent, and an AWS stand-in refusing a wrong secret
// key, leave the integration not synced with the target's message, scrubbed
// of every secret value, and queue a retry; the value is in no log line and
// no audit row. When the target recovers, the retry syncs.
func TestEngine_FailingTarget(t *testing.T) {
	const value = "s3cr3t-value-that-must-not-leak"
	for _, d := range dbtest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			f := newFixture(t, d)
			gl := &standin.GitLab{Token: "glpat-exampletoken"}
			srv := httptest.NewServer(gl)
			defer srv.Close()
			f.set(t, "TOKEN", value)
			auth, err := f.svc.CreateAuth(context.Background(), admin, syncs.AuthInput{WorkspaceID: f.team, Integration: "gitlab", URL: srv.URL, AccessToken: "glpat-exampletoken"})
			if err != nil {
				t.Fatal(err)
			}
			gl.Fail(&standin.Failure{Status: http.StatusInternalServerError, Message: "could not store value " + value + " (token glpat-exampletoken)"})
			integ, err := f.svc.CreateIntegration(context.Background(), admin, syncs.IntegrationInput{IntegrationAuthID: auth.ID, SourceEnvironment: ptr("dev"), Spec: targets.Spec{AppID: "42"}})
			if err != nil {
				t.Fatal(err)
			}
			f.eng.BackoffBase, f.eng.BackoffMax = time.Hour, 2*time.Hour
			f.drain(t)
			g, _ := f.svc.GetIntegration(context.Background(), admin, integ.ID)
			if g.IsSynced == nil || *g.IsSynced {
				t.Fatalf("isSynced = %v, want false", g.IsSynced)
			}
			if !strings.Contains(g.SyncMessage, "GitLab answered 500") || !strings.Contains(g.SyncMessage, "[redacted]") {
				t.Errorf("syncMessage = %q, want the target's message with the value redacted", g.SyncMessage)
			}
			state, attempts, runAfter, err := f.store.SyncJobState(context.Background(), integ.ID)
			if err != nil || state != "queued" || attempts != 1 || !runAfter.After(time.Now().Add(30*time.Minute)) {
				t.Errorf("job = %s attempts %d run_after %v (%v), want queued for a retry an hour on", state, attempts, runAfter, err)
			}
			dump := dumpAll(t, f.store)
			for name, secret := range map[string]string{"secret value": value, "GitLab token": "glpat-exampletoken"} {
				for where, text := range map[string]string{"sync message": g.SyncMessage, "log": f.logs.String(), "database": dump} {
					if strings.Contains(text, secret) {
						t.Errorf("the %s appears in the %s", name, where)
					}
				}
			}
			if !strings.Contains(dump, "secret_sync.run") {
				t.Fatalf("no secret_sync.run audit row: the scan proves nothing")
			}
			// Recovery: the retry (due now) syncs.
			gl.Fail(nil)
			f.store.SQLX().MustExec(f.store.SQLX().Rebind(`UPDATE sync_jobs SET run_after = ?`), time.Now().Add(-time.Second).UTC())
			f.drain(t)
			g, _ = f.svc.GetIntegration(context.Background(), admin, integ.ID)
			if g.IsSynced == nil || !*g.IsSynced || gl.Variables("42", "*")["TOKEN"].Value != value {
				t.Errorf("after recovery isSynced = %v, target TOKEN = %q", g.IsSynced, gl.Variables("42", "*")["TOKEN"].Value)
			}
		})
	}
}

// TestEngine_AWSWrongKeyRefused: the AWS stand-in recomputes SigV4 with the
// secret key it knows; an auth with another secret key is refused.
func TestEngine_AWSWrongKeyRefused(t *testing.T) {
	f := newFixture(t, db.SQLite)
	a := &standin.AWS{Keys: map[string]string{"AKIAEXAMPLE": "the-right-secret-key"}, Region: "us-east-1"}
	srv := httptest.NewServer(a)
	defer srv.Close()
	f.set(t, "K", "some-value-1")
	auth, _ := f.svc.CreateAuth(context.Background(), admin, syncs.AuthInput{WorkspaceID: f.team, Integration: "aws-parameter-store", URL: srv.URL, AccessID: "AKIAEXAMPLE", AccessToken: "a-wrong-secret-key"})
	integ, err := f.svc.CreateIntegration(context.Background(), admin, syncs.IntegrationInput{IntegrationAuthID: auth.ID, SourceEnvironment: ptr("dev"), Spec: targets.Spec{Region: "us-east-1"}})
	if err != nil {
		t.Fatal(err)
	}
	f.eng.BackoffBase, f.eng.BackoffMax = time.Hour, 2*time.Hour
	f.drain(t)
	g, _ := f.svc.GetIntegration(context.Background(), admin, integ.ID)
	if g.IsSynced == nil || *g.IsSynced || !strings.Contains(g.SyncMessage, "InvalidSignatureException") || a.Refused() == 0 || len(a.Parameters()) != 0 {
		t.Errorf("isSynced %v message %q refused %d params %v: want a refused signature", g.IsSynced, g.SyncMessage, a.Refused(), a.Parameters())
	}
}

// TestEngine_ExactlyOnce: two instances (two pools, two engines) on one
// PostgreSQL work a queue of 100 integrations; the stand-in counts one
// write per integration.
func TestEngine_ExactlyOnce(t *testing.T) {
	f := newFixture(t, db.Postgres)
	gl := &standin.GitLab{Token: "glpat-exampletoken"}
	srv := httptest.NewServer(gl)
	defer srv.Close()
	f.set(t, "ONLY", "only-value-1")
	auth, err := f.svc.CreateAuth(context.Background(), admin, syncs.AuthInput{WorkspaceID: f.team, Integration: "gitlab", URL: srv.URL, AccessToken: "glpat-exampletoken"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		if _, err := f.svc.CreateIntegration(context.Background(), admin, syncs.IntegrationInput{IntegrationAuthID: auth.ID, SourceEnvironment: ptr("dev"), Spec: targets.Spec{AppID: fmt.Sprint(i)}}); err != nil {
			t.Fatal(err)
		}
	}
	second := secondInstance(t, f)
	var wg sync.WaitGroup
	runs := make([]int, 2)
	for i, e := range []*syncs.Engine{f.eng, second} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				ran, err := e.RunOnce(context.Background())
				if err != nil {
					t.Errorf("instance %d: %v", i, err)
					return
				}
				if !ran {
					return
				}
				runs[i]++
			}
		}()
	}
	wg.Wait()
	w := gl.AllWrites()
	for i := range 100 {
		if w[fmt.Sprint(i)] != 1 {
			t.Errorf("project %d got %d writes, want exactly 1", i, w[fmt.Sprint(i)])
		}
	}
	if runs[0]+runs[1] != 100 {
		t.Errorf("instances ran %d + %d jobs, want 100 in all", runs[0], runs[1])
	}
	t.Logf("instance runs: %v", runs)
}

// TestEngine_LeaseExpiry: a job claimed by an instance that died is taken
// again once its lease has passed, and the dead claim can no longer write.
func TestEngine_LeaseExpiry(t *testing.T) {
	for _, d := range dbtest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			f := newFixture(t, d)
			v := &standin.Vault{RoleID: "r", SecretID: "s-id-1234"}
			srv := httptest.NewServer(v)
			defer srv.Close()
			f.set(t, "K", "value-k-1")
			auth, _ := f.svc.CreateAuth(context.Background(), admin, syncs.AuthInput{WorkspaceID: f.team, Integration: "hashicorp-vault", URL: srv.URL, AccessID: "r", AccessToken: "s-id-1234"})
			integ, err := f.svc.CreateIntegration(context.Background(), admin, syncs.IntegrationInput{IntegrationAuthID: auth.ID, SourceEnvironment: ptr("dev"), Spec: targets.Spec{App: "kv", Path: "p"}})
			if err != nil {
				t.Fatal(err)
			}
			dead, err := f.store.ClaimSyncJob(context.Background(), -time.Second) // a lease already over
			if err != nil || dead == nil {
				t.Fatalf("claim = %v, %v", dead, err)
			}
			if again, _ := f.store.ClaimSyncJob(context.Background(), time.Minute); again == nil {
				t.Fatal("a job whose lease expired was not claimed again")
			} else if kept, err := f.store.FinishSyncJob(context.Background(), dead, db.SyncOutcome{OK: false, Message: "stale"}); err != nil || kept {
				t.Errorf("the dead claim wrote its result (kept=%v, %v)", kept, err)
			} else if none, _ := f.store.ClaimSyncJob(context.Background(), time.Minute); none != nil {
				t.Errorf("a job under a live lease was claimed twice")
			}
			_ = integ
		})
	}
}

func dumpAll(t *testing.T, s *db.DB) string {
	t.Helper()
	var b strings.Builder
	for _, table := range s.Tables() {
		rows, err := s.SQLX().Queryx("SELECT * FROM " + table)
		if err != nil {
			t.Fatalf("dump %s: %v", table, err)
		}
		for rows.Next() {
			m := map[string]any{}
			if err := rows.MapScan(m); err != nil {
				t.Fatal(err)
			}
			for k, v := range m {
				if bs, ok := v.([]byte); ok {
					v = string(bs)
				}
				fmt.Fprintf(&b, "%s.%s=%v\n", table, k, v)
			}
		}
		rows.Close()
	}
	return b.String()
}

// TestEngine_UnreadableManagedKeys: a run whose record of the keys it
// manages cannot be read refuses to touch the target (it could not tell
// its keys from the target's own) and says why, instead of treating the
// list as empty.
func TestEngine_UnreadableManagedKeys(t *testing.T) {
	for _, d := range dbtest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			f := newFixture(t, d)
			gl := &standin.GitLab{Token: "glpat-exampletoken"}
			srv := httptest.NewServer(gl)
			defer srv.Close()
			f.set(t, "TOKEN", "first-value")
			auth, err := f.svc.CreateAuth(context.Background(), admin, syncs.AuthInput{WorkspaceID: f.team, Integration: "gitlab", URL: srv.URL, AccessToken: "glpat-exampletoken"})
			if err != nil {
				t.Fatal(err)
			}
			integ, err := f.svc.CreateIntegration(context.Background(), admin, syncs.IntegrationInput{IntegrationAuthID: auth.ID, SourceEnvironment: ptr("dev"), Spec: targets.Spec{AppID: "42"}})
			if err != nil {
				t.Fatal(err)
			}
			f.drain(t)
			x := f.store.SQLX()
			if _, err := x.Exec(x.Rebind(`UPDATE secret_integrations SET managed_keys = ? WHERE id = ?`), "not json", integ.ID); err != nil {
				t.Fatal(err)
			}
			f.set(t, "TOKEN", "second-value")
			f.drain(t)
			var synced *bool
			var message string
			if err := x.QueryRow(x.Rebind(`SELECT is_synced, sync_message FROM secret_integrations WHERE id = ?`), integ.ID).Scan(&synced, &message); err != nil {
				t.Fatal(err)
			}
			if synced == nil || *synced || !strings.Contains(message, "managed-keys record is unreadable") {
				t.Errorf("isSynced %v, message %q; want not synced, saying the managed keys are unreadable", synced, message)
			}
			// Reading the sync is an internal error naming the row, not
			// a sync that manages nothing.
			if g, err := f.svc.GetIntegration(context.Background(), admin, integ.ID); err == nil || sb.ErrorCode(err) != sb.CodeInternal || !strings.Contains(fmt.Sprint(errors.Unwrap(err)), integ.ID) {
				t.Errorf("GetIntegration with unreadable managed keys = %+v, %v; want an internal error naming %s", g, err, integ.ID)
			}
			if got := gl.Variables("42", "*")["TOKEN"].Value; got != "first-value" {
				t.Errorf("the target got %q; want the run refused before writing", got)
			}
		})
	}
}
