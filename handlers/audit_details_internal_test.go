package handlers

import (
	"encoding/json"
	"sort"
	"strings"
	"testing"
)

// detailsByJSON is what details must answer, read with encoding/json alone.
func detailsByJSON(raw string) (compact, name string) {
	var m map[string]json.RawMessage
	if json.Unmarshal([]byte(raw), &m) != nil {
		return raw, ""
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	email := ""
	for i, k := range keys {
		val := string(m[k])
		var s string
		if json.Unmarshal(m[k], &s) == nil {
			val = s
			switch k {
			case "name":
				name = s
			case "email":
				email = s
			}
		}
		parts[i] = k + "=" + val
	}
	if name == "" {
		name = email
	}
	return strings.Join(parts, " "), name
}

// TestDetails: the flat-object fast path reads every details object as
// encoding/json does, and leaves what it does not know to json.
func TestDetails(t *testing.T) {
	for _, raw := range []string{
		`{}`, ` { } `, `{"provider":"1password","name":"seed"}`, `{"name":"b","email":"a@example.com","z":1}`,
		`{"email":"only@example.com"}`, `{"name":"","email":"e@example.com"}`,
		`{"n":-1.5e3,"t":true,"f":false,"x":null}`, `{ "a" : "x y" , "b":2 }`,
		`{"q":"say \"hi\"","u":"caf\u00e9","s":"back\\slash","nl":"a\nb"}`, `{"key\"q":"v"}`,
		`{"nested":{"a":1},"arr":[1,"x"],"name":"n"}`, `{"a":"comma, inside","b":"brace } inside"}`,
		`{"teams":["a","b"],"role":"support"}`, `{"a":1,}`, `{"a":}`, `{"a" 1}`, `{"a":"open}`, `{"a":1 "b":2}`,
		`{"a":tru}`, `not json`, ``, `null`, `[]`, `"str"`, `{"b":"2","a":"1"}`, `{"dup":"1","dup":"2"}`,
	} {
		gotC, gotN := details(raw)
		wantC, wantN := detailsByJSON(raw)
		if gotC != wantC || gotN != wantN {
			t.Errorf("details(%q) = %q, %q; want %q, %q", raw, gotC, gotN, wantC, wantN)
		}
	}
}
