package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/spf13/cobra"

	"github.com/relaybook/relaybook/config"
)

func newCmdInit(f *Factory) *cobra.Command {
	var path string
	var ifMissing bool
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Write a local development config (relaybook.yaml) with fresh secrets",
		Long: `Write relaybook.yaml for local development: a fresh random JWT secret and
encryption key, and http:// / loopback webhook targets allowed. It refuses to
overwrite an existing file (with --if-missing it leaves it alone quietly).`,
		Args: requireArgs(),
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := os.Stat(path); err == nil {
				if ifMissing {
					return nil
				}
				return fmt.Errorf("%s already exists; remove it first to write a new one", path)
			} else if !errors.Is(err, fs.ErrNotExist) {
				return err
			}
			body, err := config.DevFile()
			if err != nil {
				return err
			}
			// 0600: the file holds secrets.
			file, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
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
			_, err = fmt.Fprintf(f.IO.ErrOut, "wrote %s: a development config with fresh secrets (git-ignored; not for production)\n", path)
			return err
		},
	}
	cmd.Flags().StringVar(&path, "path", "relaybook.yaml", "where to write the file")
	cmd.Flags().BoolVar(&ifMissing, "if-missing", false, "do nothing when the file exists")
	return cmd
}
