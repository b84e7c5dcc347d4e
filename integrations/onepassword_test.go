package integrations_test

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"switchboard/integrations"
)

// syntheticToken builds a service account token shaped like 1Password's:
// ops_ + base64 of a JSON object. No real token is ever committed.
func syntheticToken(t testing.TB, enc *base64.Encoding, drop ...string) string {
	t.Helper()
	payload := map[string]any{
		"signInAddress": "https://example.1password.com", "userAuth": map[string]any{"method": "SRPg-4096"},
		"email": "svc-abc@1passwordserviceaccounts.com", "srpX": strings.Repeat("a1", 32),
		"muk":            map[string]any{"alg": "A256GCM", "ext": true, "k": "c2VjcmV0", "key_ops": []string{"encrypt", "decrypt"}, "kty": "oct", "kid": "mp"},
		"secretKey":      "A3-TEST00-XXXXXX-XXXXX-XXXXX-XXXXX-XXXXX",
		"throttleSecret": map[string]any{"seed": "00", "deviceUuid": "x"}, "deviceUuid": "testdeviceuuid0000000000",
	}
	for _, d := range drop {
		delete(payload, d)
	}
	b, _ := json.Marshal(payload)
	return "ops_" + enc.EncodeToString(b)
}

func TestParseServiceAccountToken(t *testing.T) {
	good := syntheticToken(t, base64.StdEncoding)
	tests := []struct {
		name  string
		token string
		want  string // "" = valid; else a fragment of the message
	}{
		{"standard padded", good, ""},
		{"standard unpadded", syntheticToken(t, base64.RawStdEncoding), ""},
		{"url alphabet", syntheticToken(t, base64.URLEncoding), ""},
		{"url unpadded", syntheticToken(t, base64.RawURLEncoding), ""},
		{"surrounding spaces", "  " + good + "\n", ""},
		{"empty", "", "is required"},
		{"connect JWT", "eyJhbGciOiJFUzI1NiIsImtpZCI6Inh4In0.eyJ0b2tlbiI6IngifQ.c2ln", "Connect token"},
		{"other text", "hunter2", "start with ops_"},
		{"truncated payload", good[:len(good)/2], "truncated"},
		{"truncated to a bad base64 length", good[:len("ops_")+4*20+1], "truncated"},
		{"prefix only", "ops_", "truncated"},
		{"not base64", "ops_!!!notbase64!!!", "not base64"},
		{"base64 of text", "ops_" + base64.StdEncoding.EncodeToString([]byte("hello world")), "malformed"},
		{"missing fields", syntheticToken(t, base64.StdEncoding, "srpX", "muk"), "lacks srpX, muk"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr, err := integrations.ParseServiceAccountToken(tt.token)
			if tt.want == "" {
				if err != nil || addr != "https://example.1password.com" {
					t.Fatalf("ParseServiceAccountToken = %q, %v; want the sign-in address", addr, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want it to contain %q", err, tt.want)
			}
			if len(tt.token) > 8 && strings.Contains(err.Error(), tt.token[4:12]) {
				t.Errorf("the message quotes the token")
			}
		})
	}
}
