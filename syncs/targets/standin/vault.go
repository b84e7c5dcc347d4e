package standin

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
)

// Vault is a stand-in for HashiCorp Vault's AppRole login and KV v2 engine.
type Vault struct {
	base
	// RoleID, SecretID are the AppRole credentials it accepts.
	RoleID, SecretID string
	// Namespace, when set, must be sent as X-Vault-Namespace on every call.
	Namespace string
	tokens    map[string]bool
	data      map[string]map[string]string // "mount/path" → data
	versions  map[string]int
}

// Data returns the current data of mount/path.
func (v *Vault) Data(mountPath string) map[string]string {
	v.mu.Lock()
	defer v.mu.Unlock()
	out := map[string]string{}
	for k, val := range v.data[mountPath] {
		out[k] = val
	}
	return out
}

// Put sets a key directly, as another writer of the secret would.
func (v *Vault) Put(mountPath, key, value string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.init()
	if v.data[mountPath] == nil {
		v.data[mountPath] = map[string]string{}
	}
	v.data[mountPath][key] = value
	v.versions[mountPath]++
}

func (v *Vault) init() {
	if v.tokens == nil {
		v.tokens, v.data, v.versions = map[string]bool{}, map[string]map[string]string{}, map[string]int{}
	}
}

func vaultErr(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]any{"errors": []string{msg}})
}

// ServeHTTP implements http.Handler.
func (v *Vault) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.init()
	if v.fail != nil {
		vaultErr(w, v.fail.Status, v.fail.Message)
		return
	}
	if v.Namespace != "" && r.Header.Get("X-Vault-Namespace") != v.Namespace {
		v.refused++
		vaultErr(w, http.StatusForbidden, "permission denied")
		return
	}
	if r.URL.Path == "/v1/auth/approle/login" && r.Method == http.MethodPost {
		var body struct {
			RoleID   string `json:"role_id"`
			SecretID string `json:"secret_id"`
		}
		if json.NewDecoder(r.Body).Decode(&body) != nil || body.RoleID != v.RoleID || body.SecretID != v.SecretID {
			v.refused++
			vaultErr(w, http.StatusBadRequest, "invalid role or secret ID")
			return
		}
		b := make([]byte, 16)
		rand.Read(b)
		tok := "hvs." + hex.EncodeToString(b)
		v.tokens[tok] = true
		writeJSON(w, http.StatusOK, map[string]any{"auth": map[string]any{"client_token": tok, "lease_duration": 3600, "renewable": true}})
		return
	}
	if !v.tokens[r.Header.Get("X-Vault-Token")] {
		v.refused++
		vaultErr(w, http.StatusForbidden, "permission denied")
		return
	}
	mount, path, ok := strings.Cut(strings.TrimPrefix(r.URL.Path, "/v1/"), "/data/")
	if !ok || mount == "" || path == "" {
		vaultErr(w, http.StatusNotFound, "no handler for route")
		return
	}
	key := mount + "/" + path
	switch r.Method {
	case http.MethodGet:
		d, ok := v.data[key]
		if !ok {
			writeJSON(w, http.StatusNotFound, map[string]any{"errors": []string{}})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{"data": d, "metadata": map[string]any{"version": v.versions[key]}}})
	case http.MethodPost, http.MethodPut:
		var body struct {
			Data    map[string]any `json:"data"`
			Options struct {
				CAS *int `json:"cas"`
			} `json:"options"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.Data == nil {
			vaultErr(w, http.StatusBadRequest, "no data provided")
			return
		}
		if body.Options.CAS != nil && *body.Options.CAS != v.versions[key] {
			vaultErr(w, http.StatusBadRequest, "check-and-set parameter did not match the current version")
			return
		}
		d := map[string]string{}
		for k, val := range body.Data {
			s, ok := val.(string)
			if !ok {
				vaultErr(w, http.StatusBadRequest, "stand-in keeps string values only")
				return
			}
			d[k] = s
		}
		v.data[key] = d
		v.versions[key]++
		v.wrote(key)
		writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{"version": v.versions[key]}})
	default:
		vaultErr(w, http.StatusMethodNotAllowed, "unsupported operation")
	}
}
