package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	sb "switchboard"
)

// refCheckJSON is checkJSON as it was written over encoding/json's tokens:
// the reference the byte walk must agree with.
func refCheckJSON(body []byte) error {
	if !utf8.Valid(body) {
		return fieldError("body", "must be UTF-8 text")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	err := walkJSON(dec, "", "")
	var fe *sb.Error
	if errors.As(err, &fe) {
		return fe
	}
	return nil
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// walkJSON reads one value; member is its member name (for the name rule).
func walkJSON(dec *json.Decoder, path, member string) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			seen := map[string]bool{}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return err
				}
				k, _ := kt.(string)
				child := joinPath(path, fieldName(k))
				if bad := badText(k); bad != "" {
					return fieldError(child, "the member name "+bad)
				}
				if seen[k] {
					return fieldError(child, "is given more than once")
				}
				seen[k] = true
				if err := walkJSON(dec, child, k); err != nil {
					return err
				}
			}
			_, err = dec.Token()
			return err
		case '[':
			for i := 0; dec.More(); i++ {
				if err := walkJSON(dec, path+"["+strconv.Itoa(i)+"]", ""); err != nil {
					return err
				}
			}
			_, err = dec.Token()
			return err
		}
	case string:
		if path == "" {
			path = "body"
		}
		if bad := badText(t); bad != "" {
			return fieldError(path, bad)
		}
		if isNameField(member) {
			if bad := badName(t); bad != "" {
				return fieldError(path, bad)
			}
		}
	}
	return nil
}

// jsonWalkCases are bodies for both walks: clean ones, each rule broken at
// several depths, and text that is not JSON in the ways a client gets it
// wrong.
var jsonWalkCases = []string{
	``, ` `, `{}`, `[]`, `{"name":"a"}`, `{"name":"a","type":"1PASSWORD","credentials":{"type":"serviceAccount","data":{"serviceAccount":"ops_x"}}}`,
	`{"name":"a\u0000b"}`, `{"na\u0000me":"x"}`, `{"name":"a","name":"b"}`, `{"a":{"b":1,"b":2}}`, `{"a":[{"x":1},{"x":1,"x":2}]}`,
	`{"tags":["a","b\u0000"]}`, `["\u0000"]`, `"\u0000"`, `"\u0000" x`, `"\u0000"x`, `"ok"`, `12`, `12x`, `12 x`, `-`, `-0`, `01`, `1.`, `1.5e`, `1.5e+3`, `-12.5E-3`,
	`{"name":"x\u202Ey"}`, `{"name":"x` + "\u202E" + `y"}`, `{"Name":"x\u200By"}`, `{"display":"x\u202Ey"}`, `{"a":{"name":"\u2066"}}`,
	`{"a":1,}`, `{"a" 1}`, `{"a":}`, `{,}`, `{"a":1`, `{"a":"b`, `[1,2`, `[1,,2]`, `[1 2]`, `{"a":tru}`, `{"a":true}`, `{"a":nul}`, `{"a":null,"b":false}`,
	`{"a":"\x"}`, `{"a":"\u12"}`, `{"a":"\u12G4"}`, `{"a":"\ud800"}`, `{"a":"\ud83d\ude00"}`, `{"\ud800":1,"\udbff":2}`, `{"a\/b":1,"a/b":2}`,
	"{\"a\":\"tab\there\"}", "{\"a\":\"nl\nhere\"}", "{\"a\":\"x\ty\",\"a\":1}", "{\"a\":\"\x01\",\"name\":\"\\u0000\"}", `{"a":01,"a":2}`, `{"a":1.,"a":2}`, `{"a":"\q","a":2}`, `{"a":"\t"}`, `{"a":1} {"a":1,"a":2}`, `{"a":1}x`, `[{"a":1,"a":1}] junk`,
	`{"` + strings.Repeat("k", 100) + `":"\u0000"}`, `{"a\u0000` + strings.Repeat("k", 100) + `":1}`, `{"a":[[["\u0000"]]]}`,
	strings.Repeat("[", 10001) + strings.Repeat("]", 10001), strings.Repeat("[", 100) + `"\u0000"` + strings.Repeat("]", 100),
	"\xef\xbb\xbf{}", "{\"a\":\"\xff\"}", `  {"a" : [ 1 , { "b" : "c" } ] }  `, `{"":1,"":2}`, `{"a":1e400}`, `true`, `nullx`, `[true,false,null]`,
}

// sameCheck reports how the two walks differ on body, or "".
func sameCheck(body []byte) string {
	got, want := checkJSON(body), refCheckJSON(body)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		return fmt.Sprintf("byte walk %v, token walk %v", got, want)
	}
	var g, w *sb.Error
	if errors.As(got, &g) && errors.As(want, &w) && fmt.Sprint(g.Fields) != fmt.Sprint(w.Fields) {
		return fmt.Sprintf("fields %v, token walk %v", g.Fields, w.Fields)
	}
	return ""
}

// TestCheckJSON_SameAsTokenWalk: the byte walk finds exactly what the walk
// over encoding/json's tokens found, naming the same field with the same
// words, and lets the same bodies through.
func TestCheckJSON_SameAsTokenWalk(t *testing.T) {
	refused := 0
	for _, body := range jsonWalkCases {
		if d := sameCheck([]byte(body)); d != "" {
			t.Errorf("%.80q: %s", body, d)
		}
		if checkJSON([]byte(body)) != nil {
			refused++
		}
	}
	if refused < 15 {
		t.Errorf("only %d of the cases refused: the cases do not exercise the rules", refused)
	}
}

// FuzzCheckJSON compares the two walks on any body (go test -fuzz
// FuzzCheckJSON ./web); the cases above are its seeds.
func FuzzCheckJSON(f *testing.F) {
	for _, body := range jsonWalkCases {
		f.Add([]byte(body))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if d := sameCheck(body); d != "" {
			t.Errorf("%q: %s", body, d)
		}
	})
}

// BenchmarkCheckJSON: an Anchor create body through each walk.
func BenchmarkCheckJSON(b *testing.B) {
	body := []byte(`{"name":"wrk-create-1-123","type":"1PASSWORD","credentials":{"type":"serviceAccount","data":{"serviceAccount":"ops_` + strings.Repeat("eyJzaWduSW5BZGRyZXNzIjoibXkuMXBhc3N3b3JkLmNvbSJ9", 12) + `"}}}`)
	for _, w := range []struct {
		name string
		fn   func([]byte) error
	}{{"bytes", checkJSON}, {"tokens", refCheckJSON}} {
		b.Run(w.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := w.fn(body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
