package db

import (
	"strings"
	"testing"
)

// TestPrefixUpper: every string starting with the prefix sorts below the
// bound and at or above the prefix; the strings just outside do not.
func TestPrefixUpper(t *testing.T) {
	for _, c := range []struct{ p, want string }{
		{"seed-09", "seed-0:"}, {"a", "b"}, {"é", "ê"}, {"a\U0010FFFF", "b"}, {"\ud7ff", "\ue000"},
	} {
		got, ok := prefixUpper(c.p)
		if !ok || got != c.want {
			t.Errorf("prefixUpper(%q) = %q, %v; want %q", c.p, got, ok, c.want)
		}
		for _, s := range []string{c.p, c.p + "\U0010FFFF", c.p + "zzz", c.p + "\x00"} {
			if !(s >= c.p && s < got) || !strings.HasPrefix(s, c.p) {
				t.Errorf("%q (prefix %q) is outside [%q, %q)", s, c.p, c.p, got)
			}
		}
		if s := got; s >= c.p && s < got {
			t.Errorf("the bound %q is inside its own range", s)
		}
	}
	if _, ok := prefixUpper("\U0010FFFF\U0010FFFF"); ok {
		t.Errorf("a prefix of U+10FFFF only has a bound, want none")
	}
}
