package api

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/relaybook/relaybook/internal/relaybook"
)

// The byte scan in front of the field-name walk must never accept a body
// the walk refuses: for each body, the scan's verdict is checked against
// the walk's, and a body with exact names must pass the scan alone (the
// point of having it).
func TestExactFieldNamesScanAgreesWithWalk(t *testing.T) {
	typ := reflect.TypeFor[*relaybook.ContactInput]()
	names := knownNames(typ)
	if names == nil || !names["first_name"] || !names["value"] || !names["postal_code"] {
		t.Fatalf("knownNames(ContactInput) = %v, want every field name at every depth", names)
	}
	for _, tc := range []struct {
		body     string
		scanOK   bool // every key is a known name as written
		refusing bool // exactFieldNames refuses it
	}{
		{`{"first_name":"Jane","emails":[{"label":"work","value":"a@b.co"}]}`, true, false},
		{` { "first_name" : "a:b" , "notes" : "\"x\": y" } `, true, false},
		{`{"FIRST_NAME":"a"}`, false, true},
		{`{"first_name":"a","emails":[{"label":"w","Value":"a@b.co"}]}`, false, true},
		{`{"first_n\u0061me":"a"}`, false, false}, // an escape: walked, and exact once decoded
		{`{"notes":"First_Name:"}`, true, false},  // a value, not a key
	} {
		if got := allKeysKnown([]byte(tc.body), names); got != tc.scanOK {
			t.Errorf("allKeysKnown(%s) = %v, want %v", tc.body, got, tc.scanOK)
		}
		walked := walkFields(json.NewDecoder(bytes.NewReader([]byte(tc.body))), typ, "") != nil
		if walked != tc.refusing {
			t.Errorf("walk refuses %s: %v, want %v", tc.body, walked, tc.refusing)
		}
		if got := exactFieldNames([]byte(tc.body), typ) != nil; got != tc.refusing {
			t.Errorf("exactFieldNames refuses %s: %v, want %v", tc.body, got, tc.refusing)
		}
	}
}

// Two names that differ only in case turn the scan off: a key exact for one
// field could then be the other field in another case.
func TestKnownNamesOffWhenNamesFoldTogether(t *testing.T) {
	type inner struct {
		Label string `json:"Label"`
	}
	type outer struct {
		Label string  `json:"label"`
		Items []inner `json:"items"`
	}
	if names := knownNames(reflect.TypeFor[outer]()); names != nil {
		t.Fatalf("knownNames = %v, want nil (label and Label fold together)", names)
	}
}
