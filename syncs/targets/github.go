package targets

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"golang.org/x/crypto/nacl/box"
	sb "switchboard"
)

// GitHub writes repository Actions secrets: each value is sealed (a
// libsodium sealed box, nacl/box.SealAnonymous) for the repository's public
// key and PUT with the key's id. GitHub never gives a value back, so the
// list has names only. The auth's url is GitHub Enterprise's API URL
// (https://HOST/api/v3); empty means api.github.com.
type GitHub struct{}

func init() {
	register(Info{Slug: "github", Title: "GitHub Actions secrets", Auth: "accessToken = a token that may write the repository's secrets; url = GitHub Enterprise API URL",
		Fields: []string{"owner", "app"}, New: func() Target { return GitHub{} }})
}

var ghName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
var ghRepoPart = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,100}$`)

// Validate implements Target: owner and app (the repository) are required.
func (GitHub) Validate(v sb.Validation, s *Spec) {
	s.Owner, s.App = strings.TrimSpace(s.Owner), strings.TrimSpace(s.App)
	if !ghRepoPart.MatchString(s.Owner) {
		v.Add("owner", "Required: the repository's owner (user or organisation)")
	}
	if !ghRepoPart.MatchString(s.App) {
		v.Add("app", "Required: the repository name")
	}
}

func (GitHub) headers(c *Call) http.Header {
	h := http.Header{}
	h.Set("Authorization", "Bearer "+c.Creds.AccessToken)
	h.Set("Accept", "application/vnd.github+json")
	h.Set("X-GitHub-Api-Version", "2022-11-28")
	return h
}

func (GitHub) repo(c *Call) string {
	return baseURL(c, "https://api.github.com") + "/repos/" + url.PathEscape(c.Spec.Owner) + "/" + url.PathEscape(c.Spec.App) + "/actions/secrets"
}

// List implements Target.
func (t GitHub) List(ctx context.Context, c *Call) (map[string]Existing, error) {
	out := map[string]Existing{}
	for page := 1; page <= 100; page++ {
		var body struct {
			TotalCount int `json:"total_count"`
			Secrets    []struct {
				Name string `json:"name"`
			} `json:"secrets"`
		}
		if _, err := doJSON(ctx, c.HTTP, "GitHub", http.MethodGet, fmt.Sprintf("%s?per_page=100&page=%d", t.repo(c), page), t.headers(c), nil, &body); err != nil {
			return nil, err
		}
		for _, s := range body.Secrets {
			out[s.Name] = Existing{}
		}
		if len(body.Secrets) < 100 || len(out) >= body.TotalCount {
			break
		}
	}
	return out, nil
}

// Apply implements Target.
func (t GitHub) Apply(ctx context.Context, c *Call, put map[string]string, remove []string) error {
	for k := range put {
		if !ghName.MatchString(k) || strings.HasPrefix(strings.ToUpper(k), "GITHUB_") {
			return &VendorError{Vendor: "GitHub", Message: fmt.Sprintf("secret name %q is not allowed: use letters, digits and _, not starting with a digit or GITHUB_", k)}
		}
	}
	if len(put) > 0 {
		var pk struct {
			KeyID string `json:"key_id"`
			Key   string `json:"key"`
		}
		if _, err := doJSON(ctx, c.HTTP, "GitHub", http.MethodGet, t.repo(c)+"/public-key", t.headers(c), nil, &pk); err != nil {
			return err
		}
		raw, err := base64.StdEncoding.DecodeString(pk.Key)
		if err != nil || len(raw) != 32 {
			return &VendorError{Vendor: "GitHub", Message: "the repository's public key is not 32 bytes of base64"}
		}
		var pub [32]byte
		copy(pub[:], raw)
		for _, k := range sortedKeys(put) {
			sealed, err := box.SealAnonymous(nil, []byte(put[k]), &pub, rand.Reader)
			if err != nil {
				return fmt.Errorf("github: seal %s: %w", k, err)
			}
			body := map[string]string{"encrypted_value": base64.StdEncoding.EncodeToString(sealed), "key_id": pk.KeyID}
			if _, err := doJSON(ctx, c.HTTP, "GitHub", http.MethodPut, t.repo(c)+"/"+url.PathEscape(k), t.headers(c), body, nil); err != nil {
				return err
			}
		}
	}
	for _, k := range remove {
		status, err := doJSON(ctx, c.HTTP, "GitHub", http.MethodDelete, t.repo(c)+"/"+url.PathEscape(k), t.headers(c), nil, nil)
		if err != nil && status != http.StatusNotFound {
			return err
		}
	}
	return nil
}
