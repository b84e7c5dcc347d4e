package targets

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	sb "switchboard"
)

// GitLab writes project CI/CD variables (appId = the project's numeric id or
// its path, targetEnvironment = the environment scope, "*" when empty) with
// the PRIVATE-TOKEN header, on the auth's url for self-managed GitLab. A
// value GitLab can mask (8+ characters of its masking alphabet, one line)
// is masked; any other value is stored unmasked rather than refused.
type GitLab struct{}

func init() {
	register(Info{Slug: "gitlab", Title: "GitLab CI/CD variables", Auth: "accessToken = a token with the api scope; url = self-managed GitLab",
		Fields: []string{"appId", "targetEnvironment"}, ConnectionApp: "gitlab", New: func() Target { return GitLab{} }})
}

var gitlabMaskable = regexp.MustCompile(`^[A-Za-z0-9+/=@:.~_-]{8,}$`)

// Maskable reports whether GitLab can mask a variable with this value.
func Maskable(v string) bool { return gitlabMaskable.MatchString(v) }

// Validate implements Target.
func (GitLab) Validate(v sb.Validation, s *Spec) {
	s.AppID = strings.Trim(strings.TrimSpace(s.AppID), "/")
	s.TargetEnvironment = strings.TrimSpace(s.TargetEnvironment)
	if s.AppID == "" {
		v.Add("appId", "Required: the GitLab project id or its path (group/project)")
	}
}

func (GitLab) scope(c *Call) string {
	if c.Spec.TargetEnvironment == "" {
		return "*"
	}
	return c.Spec.TargetEnvironment
}

func (GitLab) vars(c *Call) string {
	return baseURL(c, "https://gitlab.com") + "/api/v4/projects/" + url.PathEscape(c.Spec.AppID) + "/variables"
}

func (GitLab) headers(c *Call) http.Header {
	h := http.Header{}
	h.Set("PRIVATE-TOKEN", c.Creds.AccessToken)
	return h
}

// List implements Target: the variables of the integration's scope.
func (t GitLab) List(ctx context.Context, c *Call) (map[string]Existing, error) {
	out := map[string]Existing{}
	for page := 1; page <= 100; page++ {
		var vars []struct {
			Key              string `json:"key"`
			Value            string `json:"value"`
			EnvironmentScope string `json:"environment_scope"`
		}
		if _, err := doJSON(ctx, c.HTTP, "GitLab", http.MethodGet, fmt.Sprintf("%s?per_page=100&page=%d", t.vars(c), page), t.headers(c), nil, &vars); err != nil {
			return nil, err
		}
		for _, v := range vars {
			if v.EnvironmentScope == t.scope(c) {
				out[v.Key] = Existing{Value: v.Value, Readable: true}
			}
		}
		if len(vars) < 100 {
			break
		}
	}
	return out, nil
}

// Apply implements Target.
func (t GitLab) Apply(ctx context.Context, c *Call, put map[string]string, remove []string) error {
	have, err := t.List(ctx, c)
	if err != nil {
		return err
	}
	filter := "?filter%5Benvironment_scope%5D=" + url.QueryEscape(t.scope(c))
	for _, k := range sortedKeys(put) {
		body := map[string]any{"key": k, "value": put[k], "variable_type": "env_var", "masked": Maskable(put[k]), "raw": true,
			"protected": false, "environment_scope": t.scope(c)}
		if _, ok := have[k]; ok {
			_, err = doJSON(ctx, c.HTTP, "GitLab", http.MethodPut, t.vars(c)+"/"+url.PathEscape(k)+filter, t.headers(c), body, nil)
		} else {
			_, err = doJSON(ctx, c.HTTP, "GitLab", http.MethodPost, t.vars(c), t.headers(c), body, nil)
		}
		if err != nil {
			return err
		}
	}
	for _, k := range remove {
		status, err := doJSON(ctx, c.HTTP, "GitLab", http.MethodDelete, t.vars(c)+"/"+url.PathEscape(k)+filter, t.headers(c), nil, nil)
		if err != nil && status != http.StatusNotFound {
			return err
		}
	}
	return nil
}
