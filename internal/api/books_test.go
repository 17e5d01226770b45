package api_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/relaybook/relaybook/internal/api"
	"github.com/relaybook/relaybook/internal/relaybook"
)

func TestBooks(t *testing.T) {
	e := newEnv(t, api.Options{})
	tm := e.newTeam(t)
	second, err := e.svc.Books.CreateBook(context.Background(), tm.ID, "Suppliers")
	must(t, err)
	h := map[string]string{"Authorization": "Bearer " + tm.Key} // books need no X-Book-ID

	var books []relaybook.Book
	do(t, "GET", e.url+"/api/v1/books", h, nil).expect(t, http.StatusOK).data(t, &books)
	if len(books) != 2 || books[0].ID != tm.Book.ID || books[1].ID != second.ID || books[1].Name != "Suppliers" || books[0].TeamID != tm.ID {
		t.Errorf("books = %+v", books)
	}
	var b relaybook.Book
	do(t, "GET", e.url+"/api/v1/books/"+second.ID, h, nil).expect(t, http.StatusOK).data(t, &b)
	if b != *second {
		t.Errorf("book = %+v, want %+v", b, *second)
	}

	var labels []relaybook.Label
	do(t, "GET", e.url+"/api/v1/books/"+second.ID+"/labels", h, nil).expect(t, http.StatusOK).data(t, &labels)
	if labels == nil || len(labels) != 0 {
		t.Errorf("labels of a new book = %v, want []", labels)
	}
	_, err = e.svc.Books.CreateLabel(context.Background(), tm.ID, second.ID, relaybook.LabelInput{Name: "b-label", Color: "blue"})
	must(t, err)
	_, err = e.svc.Books.CreateLabel(context.Background(), tm.ID, second.ID, relaybook.LabelInput{Name: "A-label", Color: ""})
	must(t, err)
	do(t, "GET", e.url+"/api/v1/books/"+second.ID+"/labels", h, nil).expect(t, http.StatusOK).data(t, &labels)
	if len(labels) != 2 || labels[0].Name != "A-label" || labels[1].Color != "blue" || labels[1].BookID != second.ID {
		t.Errorf("labels = %+v", labels)
	}
}

func TestLabels(t *testing.T) {
	e := newEnv(t, api.Options{})
	tm := e.newTeam(t)
	h := tm.keyHeaders()
	c := newContact(t, e, tm, "Jane")
	labelsURL := e.url + "/api/v1/contacts/" + c.ID + "/labels"

	// By name: the label is created in the book.
	var got relaybook.Contact
	do(t, "POST", labelsURL, h, `{"name":"VIP","color":"gold"}`).expect(t, http.StatusOK).data(t, &got)
	if len(got.Labels) != 1 || got.Labels[0].Name != "VIP" || got.Labels[0].Color != "gold" {
		t.Fatalf("labels after add = %+v", got.Labels)
	}
	vip := got.Labels[0].ID
	var labels []relaybook.Label
	do(t, "GET", e.url+"/api/v1/books/"+tm.Book.ID+"/labels", h, nil).expect(t, http.StatusOK).data(t, &labels)
	if len(labels) != 1 || labels[0].ID != vip {
		t.Errorf("book labels = %+v", labels)
	}
	// Again by id: already there, nothing changes and no event.
	do(t, "POST", labelsURL, h, map[string]string{"label_id": vip}).expect(t, http.StatusOK).data(t, &got)
	if len(got.Labels) != 1 {
		t.Errorf("labels after re-add = %+v", got.Labels)
	}
	// An existing label by name, case-insensitively.
	other := newContact(t, e, tm, "Bob")
	do(t, "POST", e.url+"/api/v1/contacts/"+other.ID+"/labels", h, `{"name":"vip"}`).expect(t, http.StatusOK).data(t, &got)
	if len(got.Labels) != 1 || got.Labels[0].ID != vip {
		t.Errorf("label by name reused? %+v", got.Labels)
	}

	do(t, "DELETE", labelsURL+"/"+vip, h, nil).expect(t, http.StatusOK).data(t, &got)
	if len(got.Labels) != 0 {
		t.Errorf("labels after remove = %+v", got.Labels)
	}
	do(t, "DELETE", labelsURL+"/"+vip, h, nil).expect(t, http.StatusNotFound, relaybook.ENOTFOUND)
	do(t, "DELETE", labelsURL+"/not-a-label", h, nil).expect(t, http.StatusNotFound, relaybook.ENOTFOUND)

	// Validation.
	for body, field := range map[string]string{
		`{}`:                                     "label_id",
		`{"name":"  "}`:                          "label_id",
		`{"color":"red"}`:                        "label_id",
		`{"label_id":"` + vip + `","name":"x"}`:  "label_id",
		`{"name":"x","colour":"red"}`:            "colour",
		`{"name":5}`:                             "name",
		`{"name":"x","color":"` + long33 + `"}`:  "color",
		`{"name":"` + string(make201()) + `"}`:   "name",
		`{"label_id":["` + vip + `"]}`:           "label_id",
		`{"name":"ok","color":{"hex":"#fff"}}`:   "color",
		`{"name":"ok","label_id":null,"x":true}`: "x",
	} {
		do(t, "POST", labelsURL, h, body).expect(t, http.StatusUnprocessableEntity, relaybook.EINVALID, field)
	}
	do(t, "POST", labelsURL, h, `{"label_id":"00000000-0000-0000-0000-000000000000"}`).expect(t, http.StatusNotFound)
	do(t, "POST", labelsURL, h, `{"label_id":"nope"}`).expect(t, http.StatusNotFound)
	do(t, "POST", labelsURL, h, `{"name":`).expect(t, http.StatusBadRequest, relaybook.EMALFORMED)

	// Events: created ×2 (fixtures), then one contact.updated per change:
	// add to Jane, add to Bob, remove from Jane.
	evs := e.contactEvents(t, tm.ID)
	var types []string
	for _, ev := range evs {
		types = append(types, ev.Type)
	}
	want := []string{"contact.created", "contact.updated", "contact.created", "contact.updated", "contact.updated"}
	if len(types) != len(want) {
		t.Fatalf("event types %v, want %v", types, want)
	}
	for i := range want {
		if types[i] != want[i] {
			t.Fatalf("event types %v, want %v", types, want)
		}
	}
	// The label add carries the full contact with its labels.
	data := evs[1].Payload["data"].(map[string]any)
	if data["id"] != c.ID || len(data["labels"].([]any)) != 1 || data["first_name"] != "Jane" {
		t.Errorf("contact.updated after label add: %v", data)
	}
	if data := evs[4].Payload["data"].(map[string]any); data["id"] != c.ID || len(data["labels"].([]any)) != 0 {
		t.Errorf("contact.updated after label remove: %v", data)
	}
}

const long33 = "123456789012345678901234567890123"

func make201() []byte {
	b := make([]byte, 201)
	for i := range b {
		b[i] = 'n'
	}
	return b
}
