package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/relaybook/relaybook/internal/relaybook"
)

func TestWebhooksRecoverOptions(t *testing.T) {
	runF, got := capture[webhooksRecoverOptions]()
	if err := execute(newCmdWebhooksRecover(noServices(), runF), "H1", "--since", "10m"); err != nil {
		t.Fatal(err)
	}
	o := *got
	if o.ID != "H1" || !o.Window.Since.Equal(o.Now.Add(-10*time.Minute)) || !o.Window.Until.Equal(o.Now) {
		t.Errorf("options = %+v, want H1 over the last 10 minutes", o)
	}
	runF, got = capture[webhooksRecoverOptions]()
	if err := execute(newCmdWebhooksRecover(noServices(), runF), "H1", "--since", "2026-01-02T15:00:00Z", "--until", "2026-01-02T18:00:00Z"); err != nil {
		t.Fatal(err)
	}
	if w := (*got).Window; w.Since.Hour() != 15 || w.Until.Hour() != 18 {
		t.Errorf("RFC 3339 window = %+v", w)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"H1"}, "--since is required"},
		{[]string{"H1", "--since", "yesterday"}, "--since"},
		{[]string{"H1", "--since", "1h", "--until", "soon"}, "--until"},
		{[]string{"H1", "--since", "1h", "--until", "2h"}, "--until: 2"},
		{[]string{"--since", "1h"}, "missing ID"},
	} {
		runF, got := capture[webhooksRecoverOptions]()
		requireUsage(t, execute(newCmdWebhooksRecover(noServices(), runF), c.args...), c.want)
		if *got != nil {
			t.Errorf("runF ran with %v", c.args)
		}
	}
}

// fakeRecover is a DeliveryService whose Recover reports progress in two
// batches; nothing else is called.
type fakeRecover struct{ relaybook.DeliveryService }

func (fakeRecover) Recover(_ context.Context, _, id string, w relaybook.Window, progress func(int)) (*relaybook.Recovery, error) {
	if progress != nil {
		progress(500)
		progress(700)
	}
	return &relaybook.Recovery{WebhookID: id, Since: w.Since, Until: w.Until, Queued: 700}, nil
}

func TestWebhooksRecoverProgressOnTerminal(t *testing.T) {
	for _, tty := range []bool{true, false} {
		var out, errOut bytes.Buffer
		now := time.Now()
		opts := &webhooksRecoverOptions{
			printer:    printer{IO: &IOStreams{Out: &out, ErrOut: &errOut, ErrIsTerminal: tty}, Format: "table"},
			Deliveries: func(context.Context) (relaybook.DeliveryService, error) { return fakeRecover{}, nil },
			ID:         "H1",
			Window:     relaybook.Window{Since: now.Add(-time.Hour), Until: now},
		}
		if err := webhooksRecoverRun(context.Background(), opts); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), "queued:     700") {
			t.Errorf("stdout = %q", out.String())
		}
		if shown := strings.Contains(errOut.String(), "queued 700"); shown != tty {
			t.Errorf("stderr is a terminal: %v; progress %q", tty, errOut.String())
		}
	}
}
