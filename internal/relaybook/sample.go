package relaybook

// SampleEvent builds the event that "webhooks test" sends: the real payload
// shape of eventType with made-up data, so a receiver's parsing is tested
// too. bookID and userID are fresh ids that name nothing.
func SampleEvent(id, eventType, teamID, bookID, userID string, at Time) (Event, error) {
	var data any
	switch eventType {
	case EventContactCreated, EventContactUpdated:
		data = Contact{
			ID: userID, BookID: bookID, FirstName: "Test", LastName: "Contact", Company: "RelayBook",
			Emails: []LabeledValue{{Label: "work", Value: "test@example.com"}}, Phones: []LabeledValue{},
			Addresses: []Address{}, Socials: []LabeledValue{}, Labels: []ContactLabel{}, CreatedAt: at, UpdatedAt: at,
		}
	case EventMemberJoined, EventMemberRemoved:
		data = Member{UserID: userID, TeamID: teamID, Email: "test@example.com", Name: "Test Member", Role: "member", JoinedAt: at}
		bookID = "" // member events carry no book
	case EventBookCreated:
		data = Book{ID: bookID, TeamID: teamID, Name: "Test Book", CreatedAt: at}
	case EventContactDeleted:
		data = IDOnly{ID: userID}
	case EventBookDeleted:
		data = IDOnly{ID: bookID}
	default:
		return Event{}, Invalid("event", "unknown event %q", trimInput(eventType))
	}
	return NewEvent(id, eventType, teamID, bookID, at, data)
}
