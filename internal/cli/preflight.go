package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/relaybook/relaybook/config"
	"github.com/relaybook/relaybook/internal/relaybook"
)

type preflightOptions struct {
	printer
	Config func() (*config.Config, error)
	Status func(context.Context) (relaybook.StatusService, error)
}

// newCmdPreflight is what `make run` asks before it starts serve and a
// worker: are their ports free, and does PostgreSQL have the connections
// both will open? Hidden: it is the script's, not an operator's.
func newCmdPreflight(f *Factory, runF func(*preflightOptions) error) *cobra.Command {
	opts := &preflightOptions{Config: f.Config, Status: f.Status}
	return &cobra.Command{
		Use:    "preflight",
		Short:  "Check that serve and one worker can start here (used by make run)",
		Hidden: true,
		Args:   requireArgs(),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.printer = f.printer()
			return run(cmd.Context(), opts, runF, preflightRun)
		},
	}
}

func preflightRun(ctx context.Context, opts *preflightOptions) error {
	cfg, err := opts.Config()
	if err != nil {
		return err
	}
	var problems []string
	for _, l := range []struct{ key, addr string }{
		{"server.addr", cfg.Server.Addr},
		{"worker.admin_addr", cfg.Worker.AdminAddr},
		{"debug.pprof_addr", cfg.Debug.PprofAddr},
	} {
		if l.addr == "" {
			continue
		}
		ln, err := net.Listen("tcp", l.addr)
		if err == nil {
			ln.Close()
			continue
		}
		_, port, _ := net.SplitHostPort(l.addr)
		if errors.Is(err, syscall.EADDRINUSE) {
			problems = append(problems, fmt.Sprintf("port %s (%s) is already in use: is RelayBook already running? (port=%s)", port, l.key, port))
		} else {
			problems = append(problems, fmt.Sprintf("cannot listen on %s (%s): %v", l.addr, l.key, err))
		}
	}
	svc, err := opts.Status(ctx)
	if err != nil {
		return err
	}
	conns, err := svc.Connections(ctx)
	if err != nil {
		return err
	}
	need := 2 * cfg.Database.MaxConns // serve and the worker each open database.max_conns
	if free := conns.Max - conns.Used; free < need {
		problems = append(problems, fmt.Sprintf(
			"PostgreSQL has %d free connections (max_connections %d for clients, %d in use); serve and one worker open %d (2 × database.max_conns %d): lower database.max_conns or raise max_connections",
			free, conns.Max, conns.Used, need, cfg.Database.MaxConns))
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "\nrelaybook: "))
	}
	_, err = fmt.Fprintf(opts.IO.Out, "ok: ports free; PostgreSQL has %d free connections, serve and worker need %d\n", conns.Max-conns.Used, need)
	return err
}
