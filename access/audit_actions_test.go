package access

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestAuditActions_ListsEveryAction parses audit_actions.go and fails when
// a constant of type Action is missing from AuditActions or from the
// README's list, so the audit page's suggestions and the README cannot fall
// behind a new action. (Audit rows can only be written with an Action, so
// the constants are every action there is.)
func TestAuditActions_ListsEveryAction(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "audit_actions.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var consts []Action
	ast.Inspect(f, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok {
			return true
		}
		if id, ok := vs.Type.(*ast.Ident); ok && id.Name == "Action" {
			for _, v := range vs.Values {
				s, err := strconv.Unquote(v.(*ast.BasicLit).Value)
				if err != nil {
					t.Fatal(err)
				}
				consts = append(consts, Action(s))
			}
		}
		return true
	})
	if len(consts) < 10 {
		t.Fatalf("found only %d Action constants: the parse is broken", len(consts))
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range consts {
		if !slices.Contains(AuditActions, a) {
			t.Errorf("%s is not in AuditActions", a)
		}
		if !strings.Contains(string(readme), "`"+string(a)+"`") {
			t.Errorf("%s is not named in the README", a)
		}
	}
	if len(AuditActions) != len(consts) {
		t.Errorf("AuditActions has %d entries, want the %d constants", len(AuditActions), len(consts))
	}
}
