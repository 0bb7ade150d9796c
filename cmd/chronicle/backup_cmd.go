package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/chronicle-crm/chronicle/adapters/backup"
)

// backupCmd writes an online backup of the embedded stores of the configured data directory
// into a new directory under --to (default CHRONICLE_BACKUP_DIR). Servers may go on running
// and writing: see package backup.
func backupCmd(ctx context.Context, args []string, stdout io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	to := fs.String("to", "", "the directory to write the backup into (default CHRONICLE_BACKUP_DIR, <data dir>/backups)")
	cfg, _, err := configLevel(fs, args, getenv, "warn")
	if err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return errors.New("usage: chronicle backup [--to DIR] [flags]")
	}
	if err := cfg.CheckEmbedded(); err != nil {
		return err
	}
	if err := existingData(cfg); err != nil {
		return err
	}
	if *to == "" {
		*to = cfg.Backup.Dir
	}
	res, err := backup.Take(ctx, backup.Options{DataDir: cfg.DataDir, To: *to, Version: Version})
	if err != nil {
		return err
	}
	m := res.Manifest
	fmt.Fprintf(stdout, "backup written to %s\n  event log up to position %d (%d events), %d files, %s, in %s\n",
		res.Dir, m.Head, m.Events, len(m.Files), byteSize(m.Bytes()), res.Took.Round(time.Millisecond))
	if outside(cfg.SecretKeyFile, cfg.DataDir) {
		fmt.Fprintf(stdout, "  note: CHRONICLE_SECRET_KEY_FILE %s is outside the data directory and not in the backup: keep a copy of it with the backups\n", cfg.SecretKeyFile)
	}
	return nil
}

// restoreCmd checks a backup against its manifest and copies it into a new (or empty) data
// directory, --data-dir (or CHRONICLE_DATA_DIR); with --check it only checks.
func restoreCmd(_ context.Context, args []string, stdout io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("restore", flag.ContinueOnError)
	from := fs.String("from", "", "the backup directory (chronicle-backup-…) to restore")
	check := fs.Bool("check", false, "only check the backup's files against its manifest")
	cfg, _, err := configLevel(fs, args, getenv, "warn")
	if err != nil {
		return err
	}
	if *from == "" || fs.NArg() > 0 {
		return errors.New("usage: chronicle restore --from BACKUP_DIR --data-dir NEW_DIR [--check]")
	}
	if *check {
		m, err := backup.Verify(*from)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s is complete: %d files match the manifest (taken %s by chronicle %s, event log up to position %d)\n",
			*from, len(m.Files), m.CreatedAt.Format(time.RFC3339), m.Version, m.Head)
		return nil
	}
	if err := cfg.CheckEmbedded(); err != nil {
		return err
	}
	m, err := backup.Restore(*from, cfg.DataDir)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "restored the backup taken %s (event log up to position %d, %d events) into %s\n"+
		"start chronicle serve with CHRONICLE_DATA_DIR=%s: the projections catch up from their checkpoints\n",
		m.CreatedAt.Format(time.RFC3339), m.Head, m.Events, cfg.DataDir, cfg.DataDir)
	if outside(cfg.SecretKeyFile, cfg.DataDir) {
		fmt.Fprintf(stdout, "note: CHRONICLE_SECRET_KEY_FILE is set (%s): the server uses that key, not a secret.key of the backup\n", cfg.SecretKeyFile)
	}
	return nil
}

// outside reports whether file is set and not directly in dir.
func outside(file, dir string) bool {
	if file == "" {
		return false
	}
	f, err1 := filepath.Abs(file)
	d, err2 := filepath.Abs(dir)
	return err1 != nil || err2 != nil || filepath.Dir(f) != d
}

// byteSize is n bytes for people.
func byteSize(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
