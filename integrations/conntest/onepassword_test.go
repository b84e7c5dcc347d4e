package conntest_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	sb "switchboard"
	"switchboard/integrations/conntest"
	"switchboard/netguard"
)

// connectStandIn is a local stand-in for a 1Password Connect server.
func connectStandIn(t *testing.T, token string, handler http.HandlerFunc) *httptest.Server {
	t.Helper()
	if handler == nil {
		handler = func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/v1/vaults" || r.Header.Get("Authorization") != "Bearer "+token {
				w.WriteHeader(http.StatusUnauthorized)
				w.Write([]byte(`{"status":401,"message":"Invalid bearer token"}`))
				return
			}
			w.Write([]byte(`[{"id":"v1","name":"Private"},{"id":"v2","name":"Shared"}]`))
		}
	}
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	return srv
}

func TestCheckOnePasswordConnect(t *testing.T) {
	const token = "connect-token-canary-7f3a"
	guard := netguard.Guard{AllowPrivate: true, Timeout: time.Second}
	ok := connectStandIn(t, token, nil)
	slow := connectStandIn(t, token, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(7 * time.Second):
		}
	})
	notConnect := connectStandIn(t, token, func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`<html>hello</html>`)) })

	tests := []struct {
		name, url, token string
		vaults           int
		want             string // fragment of the error; "" = success
	}{
		{"success", ok.URL, token, 2, ""},
		{"trailing slash", ok.URL + "/", token, 2, ""},
		{"wrong token", ok.URL, "nope", 0, "refused the token (HTTP 401)"},
		{"not a connect server", notConnect.URL, token, 0, "not a list of vaults"},
		{"nobody listening", "http://127.0.0.1:1", token, 0, "cannot reach"},
		{"bad url", "ftp://x", token, 0, "not an http(s) URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sum, err := conntest.CheckOnePasswordConnect(context.Background(), guard, tt.url, tt.token)
			if tt.want == "" {
				if err != nil || sum.Vaults != tt.vaults || !sum.Authenticated {
					t.Fatalf("check = %+v, %v; want %d vaults", sum, err, tt.vaults)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) || sb.ErrorCode(err) != sb.CodeBadRequest {
				t.Fatalf("check error = %v, want a bad-request error containing %q", err, tt.want)
			}
			if !strings.HasPrefix(err.Error(), "Failed to validate credentials: ") {
				t.Errorf("error %q lacks Infisical's wording", err)
			}
			if strings.Contains(err.Error(), token) {
				t.Errorf("error echoes the token")
			}
		})
	}
	t.Run("timeout", func(t *testing.T) {
		_, err := conntest.CheckOnePasswordConnect(context.Background(), guard, slow.URL, token)
		if err == nil || !strings.Contains(err.Error(), "5 seconds") {
			t.Errorf("slow server: err = %v, want the 5-second timeout", err)
		}
	})
	t.Run("private target refused", func(t *testing.T) {
		_, err := conntest.CheckOnePasswordConnect(context.Background(), netguard.Guard{Timeout: 5 * time.Second}, ok.URL, token)
		if err == nil || !strings.Contains(err.Error(), "refusing to connect") || !strings.Contains(err.Error(), "loopback") {
			t.Errorf("loopback target without AllowPrivate: err = %v, want a refusal that says why", err)
		}
	})
}
