package relaybook

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestTimeMarshalsWithMilliseconds(t *testing.T) {
	for in, want := range map[time.Time]string{
		time.Date(2026, 2, 18, 16, 52, 56, 0, time.UTC):                      `"2026-02-18T16:52:56.000Z"`,
		time.Date(2026, 2, 18, 16, 52, 56, 123456789, time.UTC):              `"2026-02-18T16:52:56.123Z"`,
		time.Date(2026, 2, 18, 17, 52, 56, 5e6, time.FixedZone("CET", 3600)): `"2026-02-18T16:52:56.005Z"`,
	} {
		b, err := json.Marshal(NewTime(in))
		if err != nil || string(b) != want {
			t.Errorf("%s → %s %v, want %s", in, b, err, want)
		}
	}
}

func TestNewEventPayload(t *testing.T) {
	at := NewTime(time.Date(2026, 2, 18, 16, 52, 56, 0, time.UTC))
	e, err := NewEvent("e1", EventContactDeleted, "t1", "b1", at, IDOnly{ID: "c1"})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"event":"contact.deleted","timestamp":"2026-02-18T16:52:56.000Z","team_id":"t1","book_id":"b1","data":{"id":"c1"}}`
	if string(e.Payload) != want {
		t.Errorf("payload\n%s\nwant\n%s", e.Payload, want)
	}
	m, _ := NewEvent("e2", EventMemberJoined, "t1", "", at, Member{UserID: "u1"})
	var top map[string]json.RawMessage
	json.Unmarshal(m.Payload, &top)
	if _, ok := top["book_id"]; ok {
		t.Errorf("member event must not carry book_id: %s", m.Payload)
	}
}

func TestValidateEventTypes(t *testing.T) {
	cases := []struct {
		events []string
		ok     bool
	}{
		{[]string{"contact.created"}, true},
		{EventTypes, true},
		{nil, false},
		{[]string{}, false},
		{[]string{"contact.exploded"}, false},
		{[]string{"contact.created", "contact.created"}, false},
		{[]string{"Contact.Created"}, false},
	}
	for _, c := range cases {
		err := ValidateEventTypes("events", c.events)
		if (err == nil) != c.ok {
			t.Errorf("%v: err = %v", c.events, err)
		}
		var e *Error
		if err != nil && (!errors.As(err, &e) || e.Field != "events" || e.Code != EINVALID) {
			t.Errorf("%v: error %#v should be EINVALID on events", c.events, err)
		}
	}
}

func TestURLPolicy(t *testing.T) {
	cases := []struct {
		url       string
		allowHTTP bool
		ok        bool
	}{
		{"https://example.com/hook", false, true},
		{"https://example.com:8443/hook?x=1", false, true},
		{"http://example.com/hook", false, false},
		{"http://example.com/hook", true, true},
		{"ftp://example.com/hook", true, false},
		{"https://", false, false},
		{"https://user:pw@example.com/", false, false},
		{"https://example.com/#frag", false, false},
		{"example.com/hook", false, false},
		{"", false, false},
		{"https://example.com/" + strings.Repeat("a", 2100), false, false},
	}
	for _, c := range cases {
		err := URLPolicy{AllowHTTP: c.allowHTTP}.ValidateURL("url", c.url)
		if (err == nil) != c.ok {
			t.Errorf("%q (allow_http=%v): err = %v", c.url, c.allowHTTP, err)
		}
	}
}

func TestContactInputApply(t *testing.T) {
	str := func(s string) *string { return &s }
	cases := []struct {
		name  string
		body  string
		field string // "" when valid
	}{
		{"full", `{"first_name":"Jane","emails":[{"label":"work","value":"jane@acme.test"}],"birthday":"1990-04-01","starred":true}`, ""},
		{"bad email", `{"emails":[{"label":"work","value":"not-an-email"}]}`, "emails[0].value"},
		{"empty phone", `{"phones":[{"label":"home","value":" "}]}`, "phones[0].value"},
		{"bad birthday", `{"birthday":"18/02/1990"}`, "birthday"},
		{"year zero birthday", `{"birthday":"0000-01-01"}`, "birthday"},
		{"long name", `{"first_name":"` + strings.Repeat("x", 501) + `"}`, "first_name"},
		{"too many emails", `{"emails":[` + strings.TrimSuffix(strings.Repeat(`{"label":"a","value":"a@b.c"},`, 51), ",") + `]}`, "emails"},
		{"NUL", `{"notes":"a\u0000b"}`, "notes"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var in ContactInput
			if err := json.Unmarshal([]byte(c.body), &in); err != nil {
				t.Fatal(err)
			}
			var contact Contact
			err := in.Apply(&contact)
			var e *Error
			switch {
			case c.field == "" && err != nil:
				t.Errorf("unexpected error %v", err)
			case c.field != "" && (!errors.As(err, &e) || e.Field != c.field):
				t.Errorf("error %v, want one on %s", err, c.field)
			}
		})
	}
	// PATCH semantics: absent leaves, null clears birthday.
	c := Contact{FirstName: "Jane", Birthday: str("1990-04-01")}
	var in ContactInput
	json.Unmarshal([]byte(`{"last_name":"Cooper","birthday":null}`), &in)
	if err := in.Apply(&c); err != nil {
		t.Fatal(err)
	}
	if c.FirstName != "Jane" || c.LastName != "Cooper" || c.Birthday != nil {
		t.Errorf("patch result %+v", c)
	}
	if err := (&Contact{}).Validate(); err == nil {
		t.Error("a contact with nothing to call it by must be refused")
	}
}
