package web_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"switchboard/db/dbtest"
	"switchboard/web/webtest"
)

// TestConformance_VendorClients drives Switchboard over a real listener
// with the vendors' own published clients from npm (LaunchDarkly's
// launchdarkly-api-typescript, Anchor's anchorbrowser) and with Infisical's
// and the node key API's documented requests, through the node scripts in
// conformance/. A change that breaks what a vendor's client expects fails
// here. Without node (or the npm packages) it skips on a laptop and fails
// when SWITCHBOARD_REQUIRE_NODE is set (.ci/run sets it). SQLite and
// PostgreSQL.
func TestConformance_VendorClients(t *testing.T) {
	nodeBin, err := exec.LookPath("node")
	root, _ := filepath.Abs("..")
	if err == nil {
		for _, pkg := range []string{"launchdarkly-api-typescript", "anchorbrowser"} {
			if _, serr := os.Stat(filepath.Join(root, "node_modules", pkg, "package.json")); serr != nil {
				err = serr
			}
		}
	}
	if err != nil {
		msg := "node or the vendors' npm clients are missing (" + err.Error() + "): run npm ci --no-audit --no-fund"
		if os.Getenv("SWITCHBOARD_REQUIRE_NODE") != "" {
			t.Fatal(msg + " (SWITCHBOARD_REQUIRE_NODE is set)")
		}
		t.Skip(msg)
	}
	for _, d := range dbtest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			env := webtest.New(t, d)
			base := env.Listen()
			team := env.CreateTeam("payments")
			node := env.CreateNode(team.ID, "edge-1")
			token := env.CreateToken(team.ID, false)
			for _, script := range []string{"launchdarkly.mjs", "anchor.mjs", "documented.mjs"} {
				t.Run(strings.TrimSuffix(script, ".mjs"), func(t *testing.T) {
					ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
					defer cancel()
					cmd := exec.CommandContext(ctx, nodeBin, filepath.Join(root, "conformance", script))
					cmd.Dir = root
					cmd.Env = append(os.Environ(), "SB_BASE="+base, "SB_TOKEN="+token, "SB_NODE_ID="+node.ID, "SB_OP_TOKEN="+newOPToken(t).Token)
					out, err := cmd.CombinedOutput()
					if err != nil {
						t.Errorf("node %s: %v\n%s", script, err, out)
					} else if !strings.Contains(string(out), "ok   ") {
						t.Errorf("node %s ran no checks:\n%s", script, out)
					}
				})
			}
		})
	}
}
