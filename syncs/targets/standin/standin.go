// Package standin holds local stand-ins for the secret-sync targets (AWS
// Parameter Store and Secrets Manager, HashiCorp Vault, GitHub, GitLab) for
// tests. Each speaks the vendor's documented API and checks what it receives
// as the vendor would: the AWS stand-in verifies the SigV4 signature with
// the secret key it knows, the GitHub stand-in opens each sealed box with
// its private key, the Vault stand-in requires the token its AppRole login
// issued and the namespace header, the GitLab stand-in its token header.
// Each counts the writes it accepted, so tests can count runs.
package standin

import (
	"encoding/json"
	"net/http"
	"sync"
)

// Failure makes a stand-in refuse every request: Status with Message (which
// may echo a received value, as some vendors do, to test scrubbing).
type Failure struct {
	Status  int
	Message string
}

type base struct {
	mu      sync.Mutex
	fail    *Failure
	writes  map[string]int
	refused int
}

// Fail makes every later request fail (nil to stop failing).
func (b *base) Fail(f *Failure) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.fail = f
}

// Writes returns how many writes the stand-in accepted for scope (a
// repository, project, mount/path, parameter path or secret).
func (b *base) Writes(scope string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.writes[scope]
}

// AllWrites returns every scope's write count.
func (b *base) AllWrites() map[string]int {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make(map[string]int, len(b.writes))
	for k, v := range b.writes {
		out[k] = v
	}
	return out
}

// Refused returns how many requests the stand-in refused for bad
// credentials, signatures or tokens.
func (b *base) Refused() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.refused
}

func (b *base) wrote(scope string) {
	if b.writes == nil {
		b.writes = map[string]int{}
	}
	b.writes[scope]++
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
