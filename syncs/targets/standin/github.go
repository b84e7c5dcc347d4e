package standin

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"

	"golang.org/x/crypto/nacl/box"
)

// GitHub is a stand-in for GitHub's repository Actions secrets API. It has
// one X25519 key pair per stand-in; each PUT must carry a sealed box that
// opens with the private key, and the key's id.
type GitHub struct {
	base
	// Token is the bearer token it accepts.
	Token   string
	pub     *[32]byte
	priv    *[32]byte
	secrets map[string]map[string]string // "owner/repo" → name → plaintext
}

// KeyID is the id of the stand-in's public key.
const githubKeyID = "568250167242549743"

func (g *GitHub) init() {
	if g.pub == nil {
		g.pub, g.priv, _ = box.GenerateKey(rand.Reader)
		g.secrets = map[string]map[string]string{}
	}
}

// Secrets returns the plaintexts of a repository's secrets (what the sealed
// boxes opened to).
func (g *GitHub) Secrets(repo string) map[string]string {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := map[string]string{}
	for k, v := range g.secrets[repo] {
		out[k] = v
	}
	return out
}

// Put adds a secret directly, as someone editing the repository would.
func (g *GitHub) Put(repo, name, value string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.init()
	if g.secrets[repo] == nil {
		g.secrets[repo] = map[string]string{}
	}
	g.secrets[repo][name] = value
}

// ServeHTTP implements http.Handler.
func (g *GitHub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.init()
	msg := func(status int, m string) {
		writeJSON(w, status, map[string]string{"message": m, "documentation_url": "https://docs.github.com/rest"})
	}
	if g.fail != nil {
		msg(g.fail.Status, g.fail.Message)
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+g.Token || g.Token == "" {
		g.refused++
		msg(http.StatusUnauthorized, "Bad credentials")
		return
	}
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/repos/"), "/")
	if len(parts) < 4 || parts[2] != "actions" || parts[3] != "secrets" {
		msg(http.StatusNotFound, "Not Found")
		return
	}
	repo := parts[0] + "/" + parts[1]
	switch {
	case len(parts) == 4 && r.Method == http.MethodGet:
		list := []map[string]string{}
		for name := range g.secrets[repo] {
			list = append(list, map[string]string{"name": name, "created_at": "2024-01-01T00:00:00Z", "updated_at": "2024-01-01T00:00:00Z"})
		}
		writeJSON(w, http.StatusOK, map[string]any{"total_count": len(list), "secrets": list})
	case len(parts) == 5 && parts[4] == "public-key" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, map[string]string{"key_id": githubKeyID, "key": base64.StdEncoding.EncodeToString(g.pub[:])})
	case len(parts) == 5 && r.Method == http.MethodPut:
		var body struct {
			EncryptedValue string `json:"encrypted_value"`
			KeyID          string `json:"key_id"`
		}
		if json.NewDecoder(r.Body).Decode(&body) != nil || body.KeyID != githubKeyID {
			msg(http.StatusUnprocessableEntity, "Invalid request: key_id does not match the repository's public key")
			return
		}
		sealed, err := base64.StdEncoding.DecodeString(body.EncryptedValue)
		if err != nil {
			msg(http.StatusUnprocessableEntity, "encrypted_value is not base64")
			return
		}
		plain, ok := box.OpenAnonymous(nil, sealed, g.pub, g.priv)
		if !ok {
			msg(http.StatusUnprocessableEntity, "encrypted_value does not open with the repository's key")
			return
		}
		if g.secrets[repo] == nil {
			g.secrets[repo] = map[string]string{}
		}
		_, existed := g.secrets[repo][parts[4]]
		g.secrets[repo][parts[4]] = string(plain)
		g.wrote(repo)
		if existed {
			w.WriteHeader(http.StatusNoContent)
		} else {
			w.WriteHeader(http.StatusCreated)
		}
	case len(parts) == 5 && r.Method == http.MethodDelete:
		if _, ok := g.secrets[repo][parts[4]]; !ok {
			msg(http.StatusNotFound, "Not Found")
			return
		}
		delete(g.secrets[repo], parts[4])
		w.WriteHeader(http.StatusNoContent)
	default:
		msg(http.StatusNotFound, "Not Found")
	}
}
