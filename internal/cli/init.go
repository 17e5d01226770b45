package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/spf13/cobra"

	"github.com/relaybook/relaybook/config"
)

type initOptions struct {
	IO        *IOStreams
	Path      string
	IfMissing bool
}

func newCmdInit(f *Factory, runF func(*initOptions) error) *cobra.Command {
	opts := &initOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Write a local development config (relaybook.yaml) with fresh secrets",
		Long: `Write relaybook.yaml for local development: a fresh random JWT secret and
encryption key, and http:// / loopback webhook targets allowed. It refuses to
overwrite an existing file (with --if-missing it leaves it alone quietly).`,
		Args: requireArgs(),
		RunE: func(cmd *cobra.Command, args []string) error {
			return run(cmd.Context(), opts, runF, initRun)
		},
	}
	cmd.Flags().StringVar(&opts.Path, "path", "relaybook.yaml", "where to write the file")
	cmd.Flags().BoolVar(&opts.IfMissing, "if-missing", false, "do nothing when the file exists")
	return cmd
}

func initRun(_ context.Context, opts *initOptions) error {
	if _, err := os.Stat(opts.Path); err == nil {
		if opts.IfMissing {
			return nil
		}
		return fmt.Errorf("%s already exists; remove it first to write a new one", opts.Path)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	body, err := config.DevFile()
	if err != nil {
		return err
	}
	// 0600: the file holds secrets.
	file, err := os.OpenFile(opts.Path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := file.Write(body); err != nil {
		file.Close()
		return err
	}
	if err := file.Close(); err != nil {
		return err
	}
	_, err = fmt.Fprintf(opts.IO.ErrOut, "wrote %s: a development config with fresh secrets (git-ignored; not for production)\n", opts.Path)
	return err
}
