package standin

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
)

// GitLab is a stand-in for GitLab's project CI/CD variables API. It requires
// its token in the PRIVATE-TOKEN header and keeps variables per project and
// environment scope.
type GitLab struct {
	base
	// Token is the PRIVATE-TOKEN it accepts.
	Token string
	vars  map[string]map[string]Variable // project → scope + "\x00" + key → variable
}

// Variable is one stored CI/CD variable.
type Variable struct {
	Key              string `json:"key"`
	Value            string `json:"value"`
	VariableType     string `json:"variable_type"`
	Protected        bool   `json:"protected"`
	Masked           bool   `json:"masked"`
	Raw              bool   `json:"raw"`
	EnvironmentScope string `json:"environment_scope"`
}

// Variables returns a project's variables of one scope, key → value.
func (g *GitLab) Variables(project, scope string) map[string]Variable {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := map[string]Variable{}
	for _, v := range g.vars[project] {
		if v.EnvironmentScope == scope {
			out[v.Key] = v
		}
	}
	return out
}

// Put adds a variable directly, as a project maintainer would.
func (g *GitLab) Put(project string, v Variable) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.vars == nil {
		g.vars = map[string]map[string]Variable{}
	}
	if g.vars[project] == nil {
		g.vars[project] = map[string]Variable{}
	}
	g.vars[project][v.EnvironmentScope+"\x00"+v.Key] = v
}

// ServeHTTP implements http.Handler.
func (g *GitLab) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.vars == nil {
		g.vars = map[string]map[string]Variable{}
	}
	msg := func(status int, m any) { writeJSON(w, status, map[string]any{"message": m}) }
	if g.fail != nil {
		msg(g.fail.Status, g.fail.Message)
		return
	}
	if g.Token == "" || r.Header.Get("PRIVATE-TOKEN") != g.Token {
		g.refused++
		msg(http.StatusUnauthorized, "401 Unauthorized")
		return
	}
	rest, ok := strings.CutPrefix(r.URL.EscapedPath(), "/api/v4/projects/")
	if !ok {
		msg(http.StatusNotFound, "404 Not Found")
		return
	}
	projEsc, tail, _ := strings.Cut(rest, "/")
	project, err := url.PathUnescape(projEsc)
	if err != nil || !(tail == "variables" || strings.HasPrefix(tail, "variables/")) {
		msg(http.StatusNotFound, "404 Not Found")
		return
	}
	key, _ := url.PathUnescape(strings.TrimPrefix(strings.TrimPrefix(tail, "variables"), "/"))
	if g.vars[project] == nil {
		g.vars[project] = map[string]Variable{}
	}
	pv := g.vars[project]
	scope := r.URL.Query().Get("filter[environment_scope]")
	if scope == "" {
		scope = "*"
	}
	switch {
	case key == "" && r.Method == http.MethodGet:
		list := []Variable{}
		for _, v := range pv {
			list = append(list, v)
		}
		writeJSON(w, http.StatusOK, list)
	case key == "" && r.Method == http.MethodPost:
		var v Variable
		if json.NewDecoder(r.Body).Decode(&v) != nil || v.Key == "" {
			msg(http.StatusBadRequest, map[string][]string{"key": {"can't be blank"}})
			return
		}
		if v.EnvironmentScope == "" {
			v.EnvironmentScope = "*"
		}
		if _, ok := pv[v.EnvironmentScope+"\x00"+v.Key]; ok {
			msg(http.StatusBadRequest, map[string][]string{"key": {"(" + v.Key + ") has already been taken"}})
			return
		}
		if v.Masked && !maskable(v.Value) {
			msg(http.StatusBadRequest, map[string][]string{"value": {"is invalid"}})
			return
		}
		pv[v.EnvironmentScope+"\x00"+v.Key] = v
		g.wrote(project)
		writeJSON(w, http.StatusCreated, v)
	case key != "" && r.Method == http.MethodPut:
		old, ok := pv[scope+"\x00"+key]
		if !ok {
			msg(http.StatusNotFound, "404 Variable Not Found")
			return
		}
		var v Variable
		if json.NewDecoder(r.Body).Decode(&v) != nil {
			msg(http.StatusBadRequest, "bad body")
			return
		}
		old.Value, old.Masked, old.Raw, old.Protected = v.Value, v.Masked, v.Raw, v.Protected
		if old.Masked && !maskable(old.Value) {
			msg(http.StatusBadRequest, map[string][]string{"value": {"is invalid"}})
			return
		}
		pv[scope+"\x00"+key] = old
		g.wrote(project)
		writeJSON(w, http.StatusOK, old)
	case key != "" && r.Method == http.MethodDelete:
		if _, ok := pv[scope+"\x00"+key]; !ok {
			msg(http.StatusNotFound, "404 Variable Not Found")
			return
		}
		delete(pv, scope+"\x00"+key)
		w.WriteHeader(http.StatusNoContent)
	default:
		msg(http.StatusNotFound, "404 Not Found")
	}
}

// maskable is GitLab's rule for masked values: 8+ characters from the
// Base64 alphabet plus @ : . ~ - _, one line.
func maskable(v string) bool {
	if len(v) < 8 {
		return false
	}
	for _, r := range v {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("+/=@:.~_-", r)) {
			return false
		}
	}
	return true
}
