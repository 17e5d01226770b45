package queue

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/relaybook/relaybook/internal/relaybook"
)

func TestDeliverTaskCarriesIDsOnly(t *testing.T) {
	job := relaybook.DeliveryTask{DeliveryID: "0193c8f0-0000-7000-8000-000000000001", Attempt: 2, RunAt: time.Now().Add(time.Minute)}
	task, err := NewDeliverTask(job, DefaultQueue, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if task.Type() != TypeDeliver {
		t.Errorf("type %q", task.Type())
	}
	p, err := ParseDeliverTask(task.Payload())
	if err != nil || p.DeliveryID != job.DeliveryID || p.Attempt != 2 {
		t.Errorf("payload round trip: %+v %v", p, err)
	}
	if want := `{"delivery_id":"0193c8f0-0000-7000-8000-000000000001","attempt":2}`; string(task.Payload()) != want {
		t.Errorf("payload %s, want %s", task.Payload(), want)
	}
	if TaskID(job.DeliveryID, 2) == TaskID(job.DeliveryID, 3) {
		t.Error("attempts of one delivery share a task id")
	}
}

func TestParseDeliverTaskRejectsGarbage(t *testing.T) {
	for _, body := range []string{"", "{", `{"attempt":1}`, `{"delivery_id":"x","attempt":0}`} {
		if _, err := ParseDeliverTask([]byte(body)); !errors.Is(err, asynq.SkipRetry) {
			t.Errorf("%q: err = %v, want SkipRetry", body, err)
		}
	}
}

func TestCeilSecondNeverEarly(t *testing.T) {
	base := time.Date(2026, 2, 18, 16, 52, 56, 0, time.UTC)
	for _, frac := range []time.Duration{0, time.Nanosecond, 400 * time.Millisecond, 999 * time.Millisecond} {
		in := base.Add(frac)
		got := ceilSecond(in)
		if got.Before(in) || got.Sub(in) >= time.Second || got.Nanosecond() != 0 {
			t.Errorf("ceilSecond(%s) = %s", in.Format(time.RFC3339Nano), got.Format(time.RFC3339Nano))
		}
	}
}

func TestSlogAdapterQuietsRepeats(t *testing.T) {
	a := &slogAdapter{last: map[string]time.Time{}}
	if a.quiet("Dequeue error: dial tcp: refused") {
		t.Error("the first line of a kind must be logged")
	}
	if !a.quiet("Dequeue error: dial tcp: timeout") {
		t.Error("a repeat of the same kind within repeatEvery must be quiet")
	}
	if a.quiet("Failed to forward scheduled tasks: refused") {
		t.Error("another kind must be logged")
	}
	a.last["Dequeue error"] = time.Now().Add(-repeatEvery)
	if a.quiet("Dequeue error: again") {
		t.Error("after repeatEvery the kind must be logged again")
	}
}

// TestServersShareOneLogger: the servers of one worker given one NewLogger
// log an error they both repeat once, not once each.
func TestServersShareOneLogger(t *testing.T) {
	var buf bytes.Buffer
	shared := NewLogger(slog.New(slog.NewTextHandler(&buf, nil)))
	a := ServerConfig(ServerOptions{Queue: "q", Logger: shared})
	b := ServerConfig(ServerOptions{Queue: "q", Logger: shared})
	a.Logger.Error("Dequeue error: dial tcp: refused")
	b.Logger.Error("Dequeue error: dial tcp: refused")
	if n := strings.Count(buf.String(), "Dequeue error"); n != 1 {
		t.Fatalf("two servers sharing a logger wrote %d lines, want 1:\n%s", n, buf.String())
	}
	if ServerConfig(ServerOptions{Queue: "q"}).Logger == nil {
		t.Fatal("a config without a logger must still get one")
	}
}
