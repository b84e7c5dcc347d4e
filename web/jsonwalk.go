package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
)

// errJSONSyntax ends a walk at text that is not JSON: checkJSON leaves
// such a body to the handler, which says so in its family's words.
var errJSONSyntax = errors.New("not JSON")

var jsonLiterals = [][]byte{[]byte("true"), []byte("false"), []byte("null")}

// jsonMaxDepth is encoding/json's nesting limit: deeper is a syntax error.
const jsonMaxDepth = 10000

// jsonWalk reads a JSON body in place, byte by byte, for checkJSON's
// rules: every string and member name is text the store can keep, no
// object names a member twice, and a "name" member holds a fit name. It
// builds nothing but the strings it checks, and the path of a problem
// ("configValues.apiKey", "tags[2]") only once one is found. It reads the
// grammar as encoding/json does (RFC 8259), so a body it finds no problem
// in is one the handlers' decoders read the same way; the reference walk
// over encoding/json's tokens is kept in the tests, which compare the two.
type jsonWalk struct {
	b     []byte
	i     int
	depth int
	// path is the way to the value being read: member names, or array
	// indexes as "[i]".
	path []pathStep
}

type pathStep struct {
	name  string
	index int // an array's element when index >= 0, else the member name
}

func (w *jsonWalk) where() string {
	var b strings.Builder
	for _, s := range w.path {
		if s.index >= 0 {
			b.WriteString("[" + strconv.Itoa(s.index) + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(fieldName(s.name))
	}
	return b.String()
}

func (w *jsonWalk) space() {
	for w.i < len(w.b) {
		switch w.b[w.i] {
		case ' ', '\t', '\n', '\r':
			w.i++
		default:
			return
		}
	}
}

// value reads one value; member is the name it is the value of ("" in an
// array or at the top).
func (w *jsonWalk) value(member string) error {
	w.space()
	if w.i >= len(w.b) {
		return errJSONSyntax
	}
	switch c := w.b[w.i]; {
	case c == '{':
		return w.object()
	case c == '[':
		return w.array()
	case c == '"':
		s, err := w.str()
		if err != nil {
			return err
		}
		path := w.where()
		if path == "" {
			path = "body"
		}
		if bad := badText(s); bad != "" {
			return fieldError(path, bad)
		}
		if isNameField(member) {
			if bad := badName(s); bad != "" {
				return fieldError(path, bad)
			}
		}
		return nil
	case c == '-' || c >= '0' && c <= '9':
		return w.number()
	default:
		for _, lit := range jsonLiterals {
			if bytes.HasPrefix(w.b[w.i:], lit) {
				w.i += len(lit)
				return nil
			}
		}
		return errJSONSyntax
	}
}

// at reports whether the next byte after spaces is c.
func (w *jsonWalk) at(c byte) bool {
	w.space()
	return w.i < len(w.b) && w.b[w.i] == c
}

// open enters the object or array at w.i, which close ends; empty is
// true when it ends at once (and has been read).
func (w *jsonWalk) open(close byte) (empty bool, err error) {
	if w.depth++; w.depth > jsonMaxDepth {
		return false, errJSONSyntax
	}
	w.i++
	if w.at(close) {
		w.i++
		w.depth--
		return true, nil
	}
	return false, nil
}

// next reads what follows a member or an element: a comma (done false)
// or close (done true).
func (w *jsonWalk) next(close byte) (done bool, err error) {
	switch {
	case w.at(','):
		w.i++
		return false, nil
	case w.at(close):
		w.i++
		w.depth--
		return true, nil
	}
	return false, errJSONSyntax
}

func (w *jsonWalk) object() error {
	empty, err := w.open('}')
	if empty || err != nil {
		return err
	}
	var seen map[string]bool
	for done := false; !done; {
		if !w.at('"') {
			return errJSONSyntax
		}
		k, err := w.str()
		if err != nil {
			return err
		}
		w.path = append(w.path, pathStep{name: k, index: -1})
		if bad := badText(k); bad != "" {
			return fieldError(w.where(), "the member name "+bad)
		}
		if seen[k] {
			return fieldError(w.where(), "is given more than once")
		}
		if seen == nil {
			seen = make(map[string]bool, 8)
		}
		seen[k] = true
		if !w.at(':') {
			return errJSONSyntax
		}
		w.i++
		if err := w.value(k); err != nil {
			return err
		}
		w.path = w.path[:len(w.path)-1]
		if done, err = w.next('}'); err != nil {
			return err
		}
	}
	return nil
}

func (w *jsonWalk) array() error {
	empty, err := w.open(']')
	if empty || err != nil {
		return err
	}
	for n, done := 0, false; !done; n++ {
		w.path = append(w.path, pathStep{index: n})
		if err := w.value(""); err != nil {
			return err
		}
		w.path = w.path[:len(w.path)-1]
		if done, err = w.next(']'); err != nil {
			return err
		}
	}
	return nil
}

// str reads a string at w.i (its opening quote) and returns its text. A
// string without escapes is its bytes (checkJSON has checked they are
// UTF-8); one with escapes is unquoted by encoding/json, for its exact
// rules (\u escapes, surrogate pairs, a lone surrogate as U+FFFD).
func (w *jsonWalk) str() (string, error) {
	start := w.i
	w.i++
	escaped := false
	for w.i < len(w.b) {
		c := w.b[w.i]
		switch {
		case c == '"':
			w.i++
			if !escaped {
				return string(w.b[start+1 : w.i-1]), nil
			}
			var s string
			if json.Unmarshal(w.b[start:w.i], &s) != nil {
				return "", errJSONSyntax
			}
			return s, nil
		case c == '\\':
			escaped = true
			if w.i+1 >= len(w.b) {
				return "", errJSONSyntax
			}
			switch w.b[w.i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				w.i += 2
			case 'u':
				if w.i+6 > len(w.b) {
					return "", errJSONSyntax
				}
				for _, h := range w.b[w.i+2 : w.i+6] {
					if !isHex(h) {
						return "", errJSONSyntax
					}
				}
				w.i += 6
			default:
				return "", errJSONSyntax
			}
		case c < 0x20:
			return "", errJSONSyntax
		default:
			w.i++
		}
	}
	return "", errJSONSyntax
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// number reads -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?.
func (w *jsonWalk) number() error {
	digits := func() int {
		n := 0
		for w.i < len(w.b) && w.b[w.i] >= '0' && w.b[w.i] <= '9' {
			w.i++
			n++
		}
		return n
	}
	if w.b[w.i] == '-' {
		w.i++
	}
	switch {
	case w.i < len(w.b) && w.b[w.i] == '0':
		w.i++
	case digits() == 0:
		return errJSONSyntax
	}
	if w.i < len(w.b) && w.b[w.i] == '.' {
		w.i++
		if digits() == 0 {
			return errJSONSyntax
		}
	}
	if w.i < len(w.b) && (w.b[w.i] == 'e' || w.b[w.i] == 'E') {
		w.i++
		if w.i < len(w.b) && (w.b[w.i] == '+' || w.b[w.i] == '-') {
			w.i++
		}
		if digits() == 0 {
			return errJSONSyntax
		}
	}
	return nil
}

// walkBody walks the body's one value. What follows it is not looked at
// (the handler refuses a second value), except that a top-level number
// or literal must be followed by a space or the end, as encoding/json's
// decoder needs to see where such a value ends.
func walkBody(body []byte) error {
	w := &jsonWalk{b: body}
	w.space()
	// A top-level number or literal: its decoder reads one byte past it.
	scalar := w.i < len(body) && body[w.i] != '{' && body[w.i] != '[' && body[w.i] != '"'
	err := w.value("")
	if scalar && !errors.Is(err, errJSONSyntax) && w.i < len(body) {
		switch body[w.i] {
		case ' ', '\t', '\n', '\r':
		default:
			return errJSONSyntax
		}
	}
	return err
}
