package views

import (
	"sort"
	"strconv"
	"strings"
)

func joinKeys(k []string) string {
	if len(k) == 0 {
		return "none yet"
	}
	return strings.Join(k, ", ")
}

// sortedErrorKeys returns the error fields starting with prefix, in line order.
func sortedErrorKeys(e Errors, prefix string) []string {
	var out []string
	for k := range e {
		if strings.HasPrefix(k, prefix) {
			out = append(out, k)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, _ := strconv.Atoi(strings.TrimPrefix(out[i], prefix))
		b, _ := strconv.Atoi(strings.TrimPrefix(out[j], prefix))
		return a < b
	})
	return out
}
