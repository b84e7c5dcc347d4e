package switchboard_test

import (
	"bufio"
	"bytes"
	"os/exec"
	"strings"
	"testing"
)

// layers ranks the module's packages: a package imports only packages of a
// lower rank (or its own subpackages). Higher is nearer the user.
var layers = []struct {
	prefix string
	rank   int
}{
	{"switchboard/cmd", 9},
	{"switchboard/loadtest", 9},
	{"switchboard/web/webtest", 8},
	{"switchboard/web", 7},
	{"switchboard/handlers/session", 5},
	{"switchboard/handlers", 6},
	{"switchboard/syncs/targets/standin", 5},
	{"switchboard/syncs", 4},
	{"switchboard/integrations/conntest", 2},
	{"switchboard/integrations/launchdarkly", 1},
	{"switchboard/integrations", 4},
	{"switchboard/webhooks", 4},
	{"switchboard/access", 3},
	{"switchboard/db/dbtest", 3},
	{"switchboard/db", 2},
	{"switchboard/views", 1},
	{"switchboard/static", 1},
	{"switchboard/secrets", 1},
	{"switchboard/netguard", 1},
	{"switchboard/metrics", 1},
	{"switchboard", 0},
}

// forbidden are direct imports refused whatever the ranks say: handlers
// speak the domain's types, never the store's rows, and know nothing of
// the app that mounts them.
var forbidden = map[string][]string{
	"switchboard/handlers": {"switchboard/db", "switchboard/web"},
}

func rankOf(pkg string) (int, bool) {
	for _, l := range layers {
		if pkg == l.prefix || (l.rank > 0 && strings.HasPrefix(pkg, l.prefix+"/")) {
			return l.rank, true
		}
	}
	return 0, false
}

func under(pkg, prefix string) bool { return pkg == prefix || strings.HasPrefix(pkg, prefix+"/") }

// importProblems returns what is wrong with the module's import graph
// (package → its direct imports within the module).
func importProblems(graph map[string][]string) []string {
	var out []string
	for pkg, imports := range graph {
		r, ok := rankOf(pkg)
		if !ok {
			out = append(out, pkg+" has no layer: add it to layers")
			continue
		}
		for _, imp := range imports {
			for from, refused := range forbidden {
				for _, f := range refused {
					if under(pkg, from) && under(imp, f) {
						out = append(out, pkg+" imports "+imp+" (forbidden)")
					}
				}
			}
			ri, ok := rankOf(imp)
			if ok && ri >= r && !strings.HasPrefix(imp, pkg+"/") {
				out = append(out, pkg+" imports "+imp+", a layer at or above its own")
			}
		}
	}
	return out
}

// TestImports_Layers reads the import graph with go list and fails on an
// import of a package above (or beside) the importer, or a forbidden one.
func TestImports_Layers(t *testing.T) {
	cmd := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, "./...")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	graph := map[string][]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		var own []string
		for _, imp := range f[1:] {
			if under(imp, "switchboard") {
				own = append(own, imp)
			}
		}
		graph[f[0]] = own
	}
	if len(graph) < 10 {
		t.Fatalf("go list found %d packages: the listing is broken", len(graph))
	}
	for _, p := range importProblems(graph) {
		t.Error(p)
	}
}

// TestImports_Problems: the check itself catches each kind of mistake.
func TestImports_Problems(t *testing.T) {
	cases := map[string]map[string][]string{
		"handlers imports db":     {"switchboard/handlers": {"switchboard/db"}},
		"handlers imports web/x":  {"switchboard/handlers": {"switchboard/web/webtest"}},
		"db imports integrations": {"switchboard/db": {"switchboard/integrations"}},
		"subpackage imports root": {"switchboard/integrations/launchdarkly": {"switchboard/integrations"}},
		"launchdarkly imports db": {"switchboard/integrations/launchdarkly": {"switchboard/db"}},
		"conntest imports db":     {"switchboard/integrations/conntest": {"switchboard/db"}},
		"unknown package":         {"switchboard/newthing": nil},
	}
	for name, g := range cases {
		if len(importProblems(g)) == 0 {
			t.Errorf("%s: no problem reported", name)
		}
	}
	if p := importProblems(map[string][]string{"switchboard/web": {"switchboard/handlers", "switchboard/integrations"}, "switchboard/integrations": {"switchboard/integrations/launchdarkly", "switchboard/integrations/conntest"}}); len(p) != 0 {
		t.Errorf("a good graph reported %v", p)
	}
}
