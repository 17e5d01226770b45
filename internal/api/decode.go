package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"github.com/relaybook/relaybook/internal/relaybook"
)

// decodeJSON reads one JSON object from the body into dst. Every way a body
// can be wrong becomes a coded error: too large 413, unparseable 400,
// null, unknown, wrongly typed or wrongly cased fields 422 naming the field.
func decodeJSON(w http.ResponseWriter, r *http.Request, dst any) error {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		return decodeError(err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeError(err)
	}
	// Exactly one value: `{…} garbage` or `{…}{…}` is not a valid body.
	var extra json.RawMessage
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return relaybook.Errorf(relaybook.EMALFORMED, "request body must hold a single JSON object")
	}
	if bytes.Equal(bytes.TrimSpace(data), []byte("null")) {
		return relaybook.Invalid("body", "must be a JSON object, got null")
	}
	return exactFieldNames(data, reflect.TypeOf(dst))
}

func decodeError(err error) error {
	var (
		maxErr    *http.MaxBytesError
		syntaxErr *json.SyntaxError
		typeErr   *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &maxErr):
		return relaybook.Errorf(relaybook.ETOOLARGE, "request body must be at most %d bytes", MaxBodyBytes)
	case errors.Is(err, io.EOF):
		return relaybook.Errorf(relaybook.EMALFORMED, "request body is empty; send a JSON object")
	case errors.As(err, &syntaxErr):
		return relaybook.Errorf(relaybook.EMALFORMED, "request body is not valid JSON: %s (at byte %d)", syntaxErr.Error(), syntaxErr.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return relaybook.Errorf(relaybook.EMALFORMED, "request body is not valid JSON: unexpected end")
	case errors.As(err, &typeErr):
		if typeErr.Field == "" {
			return relaybook.Errorf(relaybook.EMALFORMED, "request body must be a JSON object, got %s", typeErr.Value)
		}
		want := "of another type"
		if typeErr.Type != nil {
			want = jsonKind(typeErr.Type.Kind().String())
		}
		return relaybook.Invalid(typeErr.Field, "must be %s, got %s", want, typeErr.Value)
	}
	// encoding/json reports unknown fields only as text.
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		field := strings.Trim(name, `"`)
		return relaybook.Invalid(field, "unknown field %q", field)
	}
	return relaybook.Errorf(relaybook.EMALFORMED, "request body could not be read: %s", oneLine(err.Error()))
}

// jsonKind names a Go kind the way a JSON client thinks of it.
func jsonKind(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "slice", "array":
		return "an array"
	case "struct", "map":
		return "an object"
	case "int", "int64", "int32", "uint", "uint64", "float64", "float32":
		return "a number"
	default:
		return "of another type"
	}
}

// exactFieldNames refuses a field whose name matches one of dst's only when
// case is ignored: encoding/json would take {"FIRST_NAME": …} as
// first_name, but the API documents exact names and calls the rest unknown.
//
// Almost every body names its fields exactly, so a byte scan checks first
// that every key in the body is one of the type's names; only a body with
// another key is walked with a decoder, which costs more than the decode
// itself (BENCHMARKS.md, "Plans that stay fast").
func exactFieldNames(data []byte, t reflect.Type) error {
	if names := knownNames(t); names != nil && allKeysKnown(data, names) {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	return walkFields(dec, t, "")
}

var namesCache sync.Map // reflect.Type → map[string]bool (nil: no fast path)

// knownNames is the set of every JSON field name of the structs t holds, at
// any depth. A body whose keys are all in it names every field exactly: a
// key that is not a field of its own object is refused as unknown by the
// decode, and it cannot stand for another field of that object in another
// case, since no two names in the set differ only in case. When two do,
// knownNames is nil and every body is walked.
func knownNames(t reflect.Type) map[string]bool {
	if v, ok := namesCache.Load(t); ok {
		return v.(map[string]bool)
	}
	names := map[string]bool{}
	collectNames(t, names, map[reflect.Type]bool{})
	for a := range names {
		for b := range names {
			if a != b && strings.EqualFold(a, b) {
				names = nil
				break
			}
		}
		if names == nil {
			break
		}
	}
	namesCache.Store(t, names)
	return names
}

func collectNames(t reflect.Type, names map[string]bool, seen map[reflect.Type]bool) {
	for t != nil && (t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array || t.Kind() == reflect.Map) {
		t = t.Elem()
	}
	if t == nil || seen[t] {
		return
	}
	seen[t] = true
	for name, ft := range jsonFields(t) {
		names[name] = true
		collectNames(ft, names, seen)
	}
}

// allKeysKnown reports whether every object key in data, a JSON text that
// has decoded already, is in names as written: a key with an escape in it
// is not, and sends the body to the walk.
func allKeysKnown(data []byte, names map[string]bool) bool {
	for i := 0; i < len(data); i++ {
		if data[i] != '"' {
			continue
		}
		start, escaped := i+1, false
		for i = start; i < len(data) && data[i] != '"'; i++ {
			if data[i] == '\\' {
				escaped = true
				i++
			}
		}
		end := i
		j := end + 1
		for j < len(data) && (data[j] == ' ' || data[j] == '\t' || data[j] == '\n' || data[j] == '\r') {
			j++
		}
		// In valid JSON only an object key is followed by a colon.
		if j < len(data) && data[j] == ':' && (escaped || !names[string(data[start:end])]) {
			return false
		}
	}
	return true
}

func walkFields(dec *json.Decoder, t reflect.Type, path string) error {
	tok, err := dec.Token()
	if err != nil {
		return nil // decoded once already: cannot happen
	}
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch tok {
	case json.Delim('{'):
		fields := jsonFields(t)
		for dec.More() {
			keyTok, _ := dec.Token()
			key, _ := keyTok.(string)
			ft, ok := fields[key]
			if !ok && fields != nil {
				for name := range fields {
					if strings.EqualFold(name, key) {
						return relaybook.Invalid(path+key, "unknown field %q (field names are case-sensitive: %q)", key, name)
					}
				}
			}
			if err := walkFields(dec, ft, path+key+"."); err != nil {
				return err
			}
		}
		_, _ = dec.Token() // '}'
	case json.Delim('['):
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = t.Elem()
		}
		prefix := strings.TrimSuffix(path, ".")
		for i := 0; dec.More(); i++ {
			if err := walkFields(dec, elem, prefix+"["+strconv.Itoa(i)+"]."); err != nil {
				return err
			}
		}
		_, _ = dec.Token() // ']'
	}
	return nil
}

var (
	fieldCache  sync.Map // reflect.Type → map[string]reflect.Type
	unmarshaler = reflect.TypeFor[json.Unmarshaler]()
)

// jsonFields maps the JSON names of a struct's fields to their types; nil
// for anything that is not a plain struct (maps, scalars, and types that
// decode themselves, like relaybook.Optional).
func jsonFields(t reflect.Type) map[string]reflect.Type {
	if t == nil || t.Kind() != reflect.Struct || reflect.PointerTo(t).Implements(unmarshaler) {
		return nil
	}
	if f, ok := fieldCache.Load(t); ok {
		return f.(map[string]reflect.Type)
	}
	fields := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		fields[name] = f.Type
	}
	fieldCache.Store(t, fields)
	return fields
}
