package views

import (
	"net/url"
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

// MaxDotenvLabel is the upload limit of a .env file, as the page says it.
const MaxDotenvLabel = "256 KiB"

// secretConfirmURL asks before deleting a secret (no-JS: a page of its own).
func secretConfirmURL(v SecretsView, key string) string {
	q := url.Values{"team": {v.TeamID}, "env": {v.Env}, "path": {v.Path}, "key": {key}}
	return "/secrets/confirm/delete?" + q.Encode()
}
