package targets

import (
	"context"
	"net/http"
	"strings"

	sb "switchboard"
)

// Vault writes the folder's secrets into one KV v2 secret: an AppRole login
// ({url}/v1/auth/approle/login, role id = the auth's accessId, secret id =
// its accessToken) gives a token; the secret at {url}/v1/{app}/data/{path}
// is read and written back with the changes under check-and-set, so keys
// the sync did not write survive and a concurrent writer is not overwritten.
type Vault struct{}

func init() {
	register(Info{Slug: "hashicorp-vault", Title: "HashiCorp Vault (KV v2)", Auth: "url, namespace, accessId = AppRole role id, accessToken = secret id",
		Fields: []string{"app", "path"}, ConnectionApp: "hashicorp-vault", New: func() Target { return Vault{} }})
}

// Validate implements Target: app is the KV v2 mount, path the secret's path.
func (Vault) Validate(v sb.Validation, s *Spec) {
	s.App = strings.Trim(strings.TrimSpace(s.App), "/")
	s.Path = strings.Trim(strings.TrimSpace(s.Path), "/")
	if s.App == "" {
		v.Add("app", "Required: the KV v2 secrets engine mount, for example secret")
	}
	if s.Path == "" {
		v.Add("path", "Required: the path of the secret in the mount, for example app/prod")
	}
}

func (Vault) headers(c *Call, token string) http.Header {
	h := http.Header{}
	if c.Creds.Namespace != "" {
		h.Set("X-Vault-Namespace", c.Creds.Namespace)
	}
	if token != "" {
		h.Set("X-Vault-Token", token)
	}
	return h
}

func (t Vault) login(ctx context.Context, c *Call) (string, error) {
	var out struct {
		Auth struct {
			ClientToken string `json:"client_token"`
		} `json:"auth"`
	}
	_, err := doJSON(ctx, c.HTTP, "Vault", http.MethodPost, baseURL(c, "")+"/v1/auth/approle/login", t.headers(c, ""),
		map[string]string{"role_id": c.Creds.AccessID, "secret_id": c.Creds.AccessToken}, &out)
	if err != nil {
		return "", err
	}
	if out.Auth.ClientToken == "" {
		return "", &VendorError{Vendor: "Vault", Message: "the AppRole login returned no token"}
	}
	return out.Auth.ClientToken, nil
}

func (t Vault) read(ctx context.Context, c *Call, token string) (map[string]string, int, error) {
	var out struct {
		Data struct {
			Data     map[string]any `json:"data"`
			Metadata struct {
				Version int `json:"version"`
			} `json:"metadata"`
		} `json:"data"`
	}
	status, err := doJSON(ctx, c.HTTP, "Vault", http.MethodGet, t.url(c), t.headers(c, token), nil, &out)
	if status == http.StatusNotFound {
		return map[string]string{}, 0, nil
	}
	if err != nil {
		return nil, 0, err
	}
	m := make(map[string]string, len(out.Data.Data))
	for k, v := range out.Data.Data {
		if s, ok := v.(string); ok {
			m[k] = s
		}
	}
	return m, out.Data.Metadata.Version, nil
}

func (Vault) url(c *Call) string {
	return baseURL(c, "") + "/v1/" + c.Spec.App + "/data/" + c.Spec.Path
}

// List implements Target.
func (t Vault) List(ctx context.Context, c *Call) (map[string]Existing, error) {
	token, err := t.login(ctx, c)
	if err != nil {
		return nil, err
	}
	cur, _, err := t.read(ctx, c, token)
	if err != nil {
		return nil, err
	}
	out := make(map[string]Existing, len(cur))
	for k, v := range cur {
		out[k] = Existing{Value: v, Readable: true}
	}
	return out, nil
}

// Apply implements Target.
func (t Vault) Apply(ctx context.Context, c *Call, put map[string]string, remove []string) error {
	token, err := t.login(ctx, c)
	if err != nil {
		return err
	}
	cur, version, err := t.read(ctx, c, token)
	if err != nil {
		return err
	}
	for k, v := range put {
		cur[k] = v
	}
	for _, k := range remove {
		delete(cur, k)
	}
	body := map[string]any{"data": cur, "options": map[string]int{"cas": version}}
	_, err = doJSON(ctx, c.HTTP, "Vault", http.MethodPost, t.url(c), t.headers(c, token), body, nil)
	return err
}
