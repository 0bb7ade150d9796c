package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/chronicle-crm/chronicle/adapters/app"
)

const privacyUsage = "usage: chronicle privacy rotate-master-key --new-key-file FILE"

// privacyCmd rotates the master key that wraps the data subjects' keys.
func privacyCmd(ctx context.Context, args []string, stdout io.Writer, getenv func(string) string) error {
	if len(args) == 0 || args[0] != "rotate-master-key" {
		return errors.New(privacyUsage)
	}
	fs := flag.NewFlagSet("privacy rotate-master-key", flag.ContinueOnError)
	newKey := fs.String("new-key-file", "", "the new master key: 32 raw bytes, 64 hex digits or base64 of 32 bytes")
	cfg, _, err := configLevel(fs, args[1:], getenv, "warn")
	if err != nil {
		return err
	}
	if *newKey == "" || fs.NArg() > 0 {
		return errors.New(privacyUsage)
	}
	if err := existingData(cfg); err != nil {
		return err
	}
	r, err := app.RotateMasterKey(ctx, cfg, *newKey)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "rewrapped %d data subject keys from master key %s to %s\n", r.Keys, r.From, r.To)
	if r.Replaced != "" {
		fmt.Fprintf(stdout, "%s now holds the new master key\n", r.Replaced)
	} else {
		fmt.Fprintf(stdout, "set CHRONICLE_MASTER_KEY_FILE=%s before the servers start again\n", *newKey)
	}
	return nil
}
