package access

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestAuditActions_ListsEveryAction reads the module's source for audit
// action names ("integration.rotate", "user.disable" …) and fails when one
// is missing from AuditActions, so the audit page's suggestions and the
// README's list cannot fall behind a new action.
func TestAuditActions_ListsEveryAction(t *testing.T) {
	action := regexp.MustCompile(`"((?:user|team|node|token|integration|reveal|keys|session)\.[a-z_]+)"`)
	found := map[string]string{}
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || strings.HasPrefix(d.Name(), ".")) && path != ".." {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") || strings.HasSuffix(path, "_templ.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range action.FindAllStringSubmatch(string(b), -1) {
			found[m[1]] = path
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(found) < 10 {
		t.Fatalf("found only %d action names in the source: the scan is broken", len(found))
	}
	for a, path := range found {
		if !slices.Contains(AuditActions, a) {
			t.Errorf("%s (in %s) is not in AuditActions", a, path)
		}
	}
}
