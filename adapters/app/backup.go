package app

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/chronicle-crm/chronicle/adapters/backup"
)

// BackupSettings are the scheduled backups of the embedded stores (CHRONICLE_BACKUP_*).
type BackupSettings struct {
	// Schedule is "HH:MM", daily at that time in the organisation's default time zone, or "off"
	// (CHRONICLE_BACKUP_SCHEDULE, default 02:00).
	Schedule string
	// Dir is where backups are written (CHRONICLE_BACKUP_DIR, default <data dir>/backups).
	Dir string
	// Keep is how many backups are kept: older ones are deleted after a successful backup
	// (CHRONICLE_BACKUP_KEEP, default 7).
	Keep int
	// Version is the Chronicle version written into the manifests.
	Version string
}

// DefaultBackupKeep is how many scheduled backups are kept by default.
const DefaultBackupKeep = 7

func (b *BackupSettings) defaults(dataDir string) {
	if b.Schedule == "" {
		b.Schedule = backup.DefaultSchedule
	}
	if b.Dir == "" {
		b.Dir = filepath.Join(dataDir, "backups")
	}
	if b.Keep <= 0 {
		b.Keep = DefaultBackupKeep
	}
}

func (b *BackupSettings) validate() error {
	_, err := backup.ParseSchedule(b.Schedule)
	return err
}

// Embedded reports whether both stores are the embedded SQLite files, the only ones Chronicle
// backs up itself.
func (c *Config) Embedded() bool { return c.EventStore == "sqlite" && c.ReadModels == "sqlite" }

// backupLease is the lease a scheduled backup runs under, and backupLeaseTTL its lifetime,
// renewed while the backup runs.
const (
	backupLease    = "backup"
	backupLeaseTTL = 10 * time.Minute
)

// backupJob takes the scheduled backups: at each slot of the schedule, in one process at a time
// (a lease in the read-model database), a backup into Backup.Dir unless one for that slot is
// there already, then the backups beyond Backup.Keep are deleted. A failed attempt is logged,
// counted in the metrics, and tried again (after 1, 2, 4 … 60 minutes) until the slot's backup
// exists or the next slot comes. When a process starts after a slot that no process took (it
// was down), it takes that one at once if scheduled backups ran before (the directory holds an
// older one): the latest missed slot only, not one per day missed.
func (a *App) backupJob(ctx context.Context) {
	sched, err := backup.ParseSchedule(a.Config.Backup.Schedule)
	if err != nil || sched.Off {
		return
	}
	if !a.Config.Embedded() {
		a.Logger.Info("scheduled backups are for the embedded stores; back up PostgreSQL or EventStoreDB with their own tools (docs/operations.md)")
		return
	}
	a.backups.dir = a.Config.Backup.Dir
	if err := a.Metrics.Register(&a.backups); err != nil {
		a.Logger.Warn("backup metrics not registered", "error", err)
	}
	holder := uuid.NewString()
	select {
	case <-ctx.Done():
		return
	case <-a.Engine.Running():
	}
	now := a.Config.Clock()
	if missed := sched.Prev(now, a.zone(ctx, "")); a.missedSlot(missed) {
		a.Logger.Info("taking the backup of a slot missed while no process ran", "slot", missed.Format(time.RFC3339))
		if !a.takeSlot(ctx, holder, missed, sched.Next(now, a.zone(ctx, ""))) {
			return
		}
	}
	for {
		now := a.Config.Clock()
		slot := sched.Next(now, a.zone(ctx, ""))
		// Wake at the slot, or after an hour to look at the time zone again.
		if !sleep(ctx, min(slot.Sub(now), time.Hour)) {
			return
		}
		if a.Config.Clock().Before(slot) {
			continue
		}
		if !a.takeSlot(ctx, holder, slot, sched.Next(slot, a.zone(ctx, ""))) {
			return
		}
	}
}

// takeSlot runs the backup of slot, trying again after 1, 2, 4 … 60 minutes until it exists or
// the next slot comes. It reports false when ctx ended.
func (a *App) takeSlot(ctx context.Context, holder string, slot, next time.Time) bool {
	for wait := time.Minute; ; wait = min(2*wait, time.Hour) {
		done, err := a.RunBackup(ctx, holder, slot)
		if err != nil && ctx.Err() == nil {
			a.Logger.Warn("scheduled backup failed; trying again", "slot", slot.Format(time.RFC3339), "in", wait, "error", err)
		}
		if ctx.Err() != nil {
			return false
		}
		if done || !a.Config.Clock().Add(wait).Before(next) {
			return true
		}
		if !sleep(ctx, wait) {
			return false
		}
	}
}

// missedSlot reports whether slot has no backup although scheduled backups ran before it: the
// backup directory holds a scheduled backup of an earlier slot and none of this one or later.
func (a *App) missedSlot(slot time.Time) bool {
	existing, err := backup.List(a.Config.Backup.Dir)
	if err != nil {
		return false
	}
	earlier := false
	for _, e := range existing {
		s, err := time.Parse(time.RFC3339, e.Manifest.Slot)
		if err != nil {
			continue // a backup taken by hand
		}
		if !s.Before(slot) {
			return false
		}
		earlier = true
	}
	return earlier
}

// sleep waits d or until ctx ends; it reports whether ctx is still going.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// RunBackup takes the scheduled backup of slot if this holder gets the lease and no backup of
// that slot exists yet, then deletes the backups beyond Backup.Keep. It reports whether the
// slot's backup exists now (false: another process holds the lease, or this one failed).
func (a *App) RunBackup(ctx context.Context, holder string, slot time.Time) (bool, error) {
	key := slot.Format(time.RFC3339)
	ok, err := a.DB.TryLease(ctx, backupLease, holder, a.Config.Clock(), backupLeaseTTL)
	if err != nil || !ok {
		return false, err
	}
	defer func() { _ = a.DB.ReleaseLease(context.WithoutCancel(ctx), backupLease, holder) }()
	if existing, err := backup.List(a.Config.Backup.Dir); err == nil {
		for _, e := range existing {
			if e.Manifest.Slot == key {
				return true, nil
			}
		}
	}
	// The lease is renewed while the backup runs; a backup that cannot renew it goes on (the
	// slot check above keeps a second one from starting after it).
	renewCtx, stopRenew := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		for sleep(renewCtx, backupLeaseTTL/5) {
			_, _ = a.DB.TryLease(renewCtx, backupLease, holder, a.Config.Clock(), backupLeaseTTL)
		}
	})
	res, err := backup.Take(ctx, backup.Options{DataDir: a.Config.DataDir, To: a.Config.Backup.Dir, Version: a.Config.Backup.Version,
		Slot: key, Now: a.Config.Clock})
	stopRenew()
	wg.Wait()
	if err != nil {
		a.backups.failed(a.Config.Clock())
		return false, err
	}
	a.backups.succeeded(res)
	a.Logger.Info("backup written", "dir", res.Dir, "head", res.Manifest.Head, "bytes", res.Manifest.Bytes(), "took", res.Took.Round(time.Millisecond))
	deleted, err := backup.Prune(a.Config.Backup.Dir, a.Config.Backup.Keep, a.Config.Clock())
	for _, d := range deleted {
		a.Logger.Info("old backup deleted", "dir", d)
	}
	if err != nil {
		a.Logger.Warn("old backups not all deleted", "error", err)
	}
	return true, nil
}

// backupMetrics is the scheduled backups' state in /metrics: when the last backup of this
// process succeeded and failed, how many failed, and the newest complete backup in the backup
// directory (by any process, read at scrape time).
type backupMetrics struct {
	dir string // set before the metrics are registered

	mu           sync.Mutex
	lastSuccess  time.Time
	lastFailure  time.Time
	failures     int
	lastDuration time.Duration
	lastBytes    int64
}

func (m *backupMetrics) succeeded(r backup.Result) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.lastSuccess, m.lastDuration, m.lastBytes = r.Manifest.CreatedAt, r.Took, r.Manifest.Bytes()
}

func (m *backupMetrics) failed(at time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.lastFailure = at
	m.failures++
}

var (
	descBackupNewest   = prometheus.NewDesc("chronicle_backup_newest_timestamp_seconds", "When the newest complete backup in the backup directory was taken (0: none).", nil, nil)
	descBackupSuccess  = prometheus.NewDesc("chronicle_backup_last_success_timestamp_seconds", "When this process last wrote a scheduled backup (0: never).", nil, nil)
	descBackupFailure  = prometheus.NewDesc("chronicle_backup_last_failure_timestamp_seconds", "When a scheduled backup of this process last failed (0: never).", nil, nil)
	descBackupFailures = prometheus.NewDesc("chronicle_backup_failures_total", "Scheduled backups of this process that failed.", nil, nil)
	descBackupDuration = prometheus.NewDesc("chronicle_backup_last_duration_seconds", "How long this process's last scheduled backup took.", nil, nil)
	descBackupBytes    = prometheus.NewDesc("chronicle_backup_last_size_bytes", "The size of this process's last scheduled backup.", nil, nil)
)

func (m *backupMetrics) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descBackupNewest, descBackupSuccess, descBackupFailure, descBackupFailures, descBackupDuration, descBackupBytes} {
		ch <- d
	}
}

func (m *backupMetrics) Collect(ch chan<- prometheus.Metric) {
	var newest float64
	if m.dir != "" {
		if all, err := backup.List(m.dir); err == nil && len(all) > 0 {
			newest = unix(all[len(all)-1].Manifest.CreatedAt)
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	ch <- prometheus.MustNewConstMetric(descBackupNewest, prometheus.GaugeValue, newest)
	ch <- prometheus.MustNewConstMetric(descBackupSuccess, prometheus.GaugeValue, unix(m.lastSuccess))
	ch <- prometheus.MustNewConstMetric(descBackupFailure, prometheus.GaugeValue, unix(m.lastFailure))
	ch <- prometheus.MustNewConstMetric(descBackupFailures, prometheus.CounterValue, float64(m.failures))
	ch <- prometheus.MustNewConstMetric(descBackupDuration, prometheus.GaugeValue, m.lastDuration.Seconds())
	ch <- prometheus.MustNewConstMetric(descBackupBytes, prometheus.GaugeValue, float64(m.lastBytes))
}

func unix(t time.Time) float64 {
	if t.IsZero() {
		return 0
	}
	return float64(t.UnixNano()) / 1e9
}

// ErrNotEmbedded: the configured stores are not the embedded ones, which are all Chronicle backs
// up itself.
var ErrNotEmbedded = errors.New("chronicle backup and restore handle the embedded SQLite stores only; with PostgreSQL use pg_dump or pg_basebackup, with EventStoreDB its own backup (docs/operations.md, \"Backups\")")

// CheckEmbedded answers ErrNotEmbedded, naming the configured stores, unless both are SQLite.
func (c *Config) CheckEmbedded() error {
	if c.Embedded() {
		return nil
	}
	return fmt.Errorf("CHRONICLE_EVENTSTORE=%s, CHRONICLE_READMODELS=%s: %w", c.EventStore, c.ReadModels, ErrNotEmbedded)
}
