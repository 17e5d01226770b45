package cli

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/relaybook/relaybook/internal/api"
	"github.com/relaybook/relaybook/internal/delivery"
	"github.com/relaybook/relaybook/internal/listen"
	"github.com/relaybook/relaybook/internal/relaybook"
	"github.com/relaybook/relaybook/internal/safehttp"
	"github.com/relaybook/relaybook/internal/signature"
)

// listenOptions need no service: listen talks to a running serve over
// HTTP, never to the database.
type listenOptions struct {
	IO        *IOStreams
	TeamID    string
	ForwardTo string
	// Events is the --events flag, split; empty means every event.
	Events []string
	API    string
	Token  string
}

func newCmdListen(f *Factory, runF func(*listenOptions) error) *cobra.Command {
	opts := &listenOptions{}
	var events string
	cmd := &cobra.Command{
		Use:   "listen --team TEAM --forward-to URL [--events EVENT[,EVENT…]] [--api URL] [--token JWT]",
		Short: "Forward a team's live events to a local URL, for developing a receiver",
		Long: `Follow a team's new events live from a running serve (anywhere: --api) and
POST each one to a local URL, signed like a real delivery (every header,
X-Relay-Signature and the Standard Webhooks ones) with a secret made for this
session and printed as soon as the stream is open. One line per event shows
the local answer.

Live only: no history, no retries to the local URL; the team's webhooks and
their delivery logs are not touched. When the stream drops it reconnects with
backoff; Ctrl-C ends it. The team-admin JWT comes from --token or
RELAYBOOK_TOKEN (relaybook token mints one).`,
		Example: `  export RELAYBOOK_TOKEN=$(relaybook token --user $ADMIN)
  relaybook listen --team $TEAM --forward-to http://localhost:3000/webhook`,
		Args: requireArgs(),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := requireFlags(cmd, "team", "forward-to"); err != nil {
				return err
			}
			if opts.Token == "" {
				opts.Token = os.Getenv("RELAYBOOK_TOKEN")
			}
			if opts.Token == "" {
				return usagef("%s: a team-admin JWT is required: give --token or set RELAYBOOK_TOKEN", cmd.CommandPath())
			}
			for flag, raw := range map[string]string{"--forward-to": opts.ForwardTo, "--api": opts.API} {
				if u, err := url.Parse(raw); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
					return usagef("%s: %s must be an http:// or https:// URL, got %q", cmd.CommandPath(), flag, raw)
				}
			}
			opts.Events = nil
			if events != "" {
				opts.Events = splitList(events)
				if err := relaybook.ValidateEventTypes("--events", opts.Events); err != nil {
					return usagef("%s: %s", cmd.CommandPath(), err.Error())
				}
			}
			opts.IO = f.IO
			return run(cmd.Context(), opts, runF, listenRun)
		},
	}
	cmd.Flags().StringVar(&opts.TeamID, "team", "", "team id (required)")
	cmd.Flags().StringVar(&opts.ForwardTo, "forward-to", "", "the local URL that receives the events (required)")
	cmd.Flags().StringVar(&events, "events", "", eventsHelp+" (default: all)")
	cmd.Flags().StringVar(&opts.API, "api", "http://127.0.0.1:8080", "base URL of a running relaybook serve")
	cmd.Flags().StringVar(&opts.Token, "token", "", "team-admin JWT (default: $RELAYBOOK_TOKEN)")
	return cmd
}

func listenRun(ctx context.Context, opts *listenOptions) error {
	secret, err := signature.NewSecret()
	if err != nil {
		return err
	}
	out := opts.IO.Out
	// The local receiver gets exactly what a webhook would: delivery.Send,
	// its headers and signatures, and the same client (loopback allowed).
	client := safehttp.NewClient(safehttp.Options{AllowPrivateNetworks: true})
	l := &listen.Listener{
		API: opts.API, TeamID: opts.TeamID, Token: opts.Token, Events: opts.Events,
		Out: out, Status: opts.IO.ErrOut,
		Client:      &http.Client{},
		IdleTimeout: 4 * api.DefaultHeartbeat, MaxBackoff: 30 * time.Second,
		// The secret is printed once the stream is open, so a refused
		// listener prints only its error, like every failing command.
		Ready: func() {
			fmt.Fprintf(out, "Forwarding team %s's events to %s\n", opts.TeamID, opts.ForwardTo)
			fmt.Fprintf(out, "Your webhook signing secret for this session is %s\n", secret)
		},
		Forward: func(ctx context.Context, ev relaybook.LiveEvent) string {
			res := delivery.Send(ctx, client, &relaybook.DeliveryJob{
				EventID: ev.ID, EventType: ev.Type, Payload: ev.Payload, URL: opts.ForwardTo, Secret: secret,
			}, 1)
			if res.Status == 0 {
				return res.Err
			}
			return strconv.Itoa(res.Status) + " " + http.StatusText(res.Status)
		},
	}
	if err := l.Run(ctx); err != nil {
		return err
	}
	fmt.Fprintln(opts.IO.ErrOut, "stopped")
	return nil
}
