// Package backup takes online, consistent backups of the embedded stores of a data directory (the
// SQLite event store and read-model database, the data subjects' key store keys.db, the key files
// — master.key among them —, the anchors), checks them against
// their manifest and restores them into a new data directory.
//
// A database is copied with SQLite's VACUUM INTO, which writes a consistent snapshot of the file
// as of one read transaction: safe in WAL mode with writers in other processes, which go on
// writing meanwhile. The read-model database is copied before the event store, so every
// projection checkpoint in the backup is at or below the backup's head of the log: the restored
// server's projections catch up from their checkpoints, and never hold an event the restored log
// lacks (positions after the head are given to new events after a restore).
//
// A backup is written under a hidden temporary name in the target directory and renamed to
// chronicle-backup-YYYYMMDDTHHMMSSZ only once its files and manifest.json are written and synced,
// so a directory under that name is always complete.
package backup

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	_ "modernc.org/sqlite" // database/sql driver "sqlite"

	esqlite "github.com/chronicle-crm/chronicle/adapters/eventstore/sqlite"
)

// The files of a data directory.
const (
	EventsFile     = "events.db"
	ReadModelsFile = "readmodels.db"
	// KeysFile is the key store of the data subjects' keys (adapters/privacy), when there is one.
	KeysFile     = "keys.db"
	AnchorsDir   = "anchors"
	ManifestName = "manifest.json"
	// NamePrefix starts the name of every complete backup directory.
	NamePrefix = "chronicle-backup-"
	// NameLayout is the UTC time in a backup directory's name.
	NameLayout = "20060102T150405Z"
	// Format is the manifest format this package writes and reads.
	Format = 1
)

const partialPrefix = ".partial-" + NamePrefix

// File is one file of a backup: its path inside the backup (slash-separated), size and SHA-256.
type File struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Manifest describes a backup: what wrote it and when, the head of its event log, and every file
// with its size and hash.
type Manifest struct {
	Format    int       `json:"format"`
	CreatedAt time.Time `json:"createdAt"`
	Version   string    `json:"version"` // the Chronicle version that wrote it
	// Head is the position of the last event in the backup's event log (0: an empty log), and
	// Events the number of events in it.
	Head   uint64 `json:"head"`
	Events int64  `json:"events"`
	// Slot is the scheduled time the backup was taken for (RFC 3339), empty for one taken by hand.
	Slot  string `json:"slot,omitempty"`
	Files []File `json:"files"`
}

// Bytes is the size of the backup's files together.
func (m Manifest) Bytes() int64 {
	var n int64
	for _, f := range m.Files {
		n += f.Size
	}
	return n
}

// Options say what to back up, where to, and what to write into the manifest.
type Options struct {
	DataDir string // the data directory of the embedded stores
	To      string // the directory the backup directory is created in (made if missing)
	Version string // the Chronicle version
	Slot    string // the scheduled slot, for the manifest (empty: a backup by hand)
	Now     func() time.Time
}

// Result is a backup written.
type Result struct {
	Dir      string // the backup directory
	Manifest Manifest
	Took     time.Duration
}

// Take writes a backup of the data directory's embedded stores into a new directory under
// o.To while they may be in use by running servers. See the package comment.
func Take(ctx context.Context, o Options) (res Result, err error) {
	start := time.Now()
	if o.Now == nil {
		o.Now = func() time.Time { return time.Now().UTC() }
	}
	for _, f := range []string{EventsFile, ReadModelsFile} {
		if _, err := os.Stat(filepath.Join(o.DataDir, f)); err != nil {
			return res, fmt.Errorf("backup: no Chronicle data in %s (looked for %s): %w", o.DataDir, f, err)
		}
	}
	if err := os.MkdirAll(o.To, 0o750); err != nil {
		return res, fmt.Errorf("backup: %w", err)
	}
	tmp, err := os.MkdirTemp(o.To, partialPrefix)
	if err != nil {
		return res, fmt.Errorf("backup: %w", err)
	}
	defer func() {
		if err != nil {
			_ = os.RemoveAll(tmp)
		}
	}()
	// The read models first: see the package comment.
	if err := snapshot(ctx, filepath.Join(o.DataDir, ReadModelsFile), filepath.Join(tmp, ReadModelsFile)); err != nil {
		return res, err
	}
	if err := forgetProcesses(ctx, filepath.Join(tmp, ReadModelsFile)); err != nil {
		return res, err
	}
	if err := snapshot(ctx, filepath.Join(o.DataDir, EventsFile), filepath.Join(tmp, EventsFile)); err != nil {
		return res, err
	}
	// The subjects' keys after the events: every key an event of the backup needs was made before
	// the event was appended, so it is in the copy (an erasure made between the two copies shows
	// in the restored key store, and the restored log lacks only its event).
	if _, err := os.Stat(filepath.Join(o.DataDir, KeysFile)); err == nil {
		if err := snapshot(ctx, filepath.Join(o.DataDir, KeysFile), filepath.Join(tmp, KeysFile)); err != nil {
			return res, err
		}
		if err := os.Chmod(filepath.Join(tmp, KeysFile), 0o600); err != nil {
			return res, fmt.Errorf("backup: %w", err)
		}
	}
	m := Manifest{Format: Format, CreatedAt: o.Now().UTC(), Version: o.Version, Slot: o.Slot}
	if m.Head, m.Events, err = logHead(ctx, filepath.Join(tmp, EventsFile)); err != nil {
		return res, err
	}
	if err := copyKeysAndAnchors(o.DataDir, tmp); err != nil {
		return res, err
	}
	if m.Files, err = describe(tmp); err != nil {
		return res, err
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return res, err
	}
	if err := writeSynced(filepath.Join(tmp, ManifestName), append(b, '\n'), 0o640); err != nil {
		return res, fmt.Errorf("backup: %w", err)
	}
	if err := syncDir(tmp); err != nil {
		return res, fmt.Errorf("backup: %w", err)
	}
	name := NamePrefix + m.CreatedAt.Format(NameLayout)
	final := filepath.Join(o.To, name)
	for i := 2; ; i++ { // two backups within one second
		if _, err := os.Lstat(final); errors.Is(err, fs.ErrNotExist) {
			break
		}
		final = filepath.Join(o.To, fmt.Sprintf("%s-%d", name, i))
	}
	if err := os.Rename(tmp, final); err != nil {
		return res, fmt.Errorf("backup: %w", err)
	}
	if err := syncDir(o.To); err != nil {
		return res, fmt.Errorf("backup: %w", err)
	}
	return Result{Dir: final, Manifest: m, Took: time.Since(start)}, nil
}

// snapshot writes a consistent copy of the SQLite database src to dst (VACUUM INTO) and syncs it.
func snapshot(ctx context.Context, src, dst string) error {
	// A connection like the stores' own (WAL, a busy timeout), not query_only: SQLite counts
	// VACUUM INTO as a write and refuses it there, though it writes only the new file.
	db, err := sql.Open("sqlite", esqlite.DSN(src, "busy_timeout(30000)"))
	if err != nil {
		return fmt.Errorf("backup of %s: %w", filepath.Base(src), err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, dst); err != nil {
		return fmt.Errorf("backup of %s (VACUUM INTO): %w", filepath.Base(src), err)
	}
	if err := os.Chmod(dst, 0o640); err != nil {
		return fmt.Errorf("backup of %s: %w", filepath.Base(src), err)
	}
	if err := syncFile(dst); err != nil {
		return fmt.Errorf("backup of %s: %w", filepath.Base(src), err)
	}
	return nil
}

// forgetProcesses removes from a read-model copy what belongs to the processes running at the
// time of the backup, not to the data: their leases (projections, scheduled jobs) and their
// records of the generations they read. A server started on the restored copy takes the leases
// at once instead of waiting for those of processes that do not run there to expire.
func forgetProcesses(ctx context.Context, file string) error {
	db, err := sql.Open("sqlite", "file:"+file)
	if err != nil {
		return fmt.Errorf("backup of %s: %w", ReadModelsFile, err)
	}
	defer db.Close()
	for _, q := range []string{`DELETE FROM leases`, `DELETE FROM projection_readers`} {
		if _, err := db.ExecContext(ctx, q); err != nil && !strings.Contains(err.Error(), "no such table") {
			return fmt.Errorf("backup of %s: %s: %w", ReadModelsFile, q, err)
		}
	}
	if err := db.Close(); err != nil {
		return err
	}
	return syncFile(file)
}

// logHead answers the position of the last event and the number of events in an event-store file.
func logHead(ctx context.Context, file string) (head uint64, events int64, err error) {
	db, err := sql.Open("sqlite", "file:"+file+"?mode=ro")
	if err != nil {
		return 0, 0, err
	}
	defer db.Close()
	if err := db.QueryRowContext(ctx, `SELECT coalesce(max(position), 0), count(*) FROM events`).Scan(&head, &events); err != nil {
		return 0, 0, fmt.Errorf("backup: the head of the copied event log: %w", err)
	}
	return head, events, nil
}

// copyKeysAndAnchors copies the data directory's key files (*.key) and its anchors directory, if
// any, into the backup.
func copyKeysAndAnchors(dataDir, to string) error {
	keys, err := filepath.Glob(filepath.Join(dataDir, "*.key"))
	if err != nil {
		return err
	}
	for _, k := range keys {
		if fi, err := os.Stat(k); err != nil || !fi.Mode().IsRegular() {
			continue
		}
		if _, err := copyFile(k, filepath.Join(to, filepath.Base(k)), 0o600); err != nil {
			return fmt.Errorf("backup of %s: %w", filepath.Base(k), err)
		}
	}
	anchors := filepath.Join(dataDir, AnchorsDir)
	if fi, err := os.Stat(anchors); err != nil || !fi.IsDir() {
		return nil
	}
	return filepath.WalkDir(anchors, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dataDir, p)
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			return os.MkdirAll(filepath.Join(to, rel), 0o750)
		case d.Type().IsRegular():
			if _, err := copyFile(p, filepath.Join(to, rel), 0o640); err != nil {
				return fmt.Errorf("backup of %s: %w", rel, err)
			}
		}
		return nil
	})
}

// describe lists every file under dir with its size and SHA-256, in path order.
func describe(dir string) ([]File, error) {
	var files []File
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		size, sum, err := hashFile(p)
		if err != nil {
			return err
		}
		files = append(files, File{Path: filepath.ToSlash(rel), Size: size, SHA256: sum})
		return nil
	})
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	return files, err
}

// ReadManifest reads the manifest of the backup in dir.
func ReadManifest(dir string) (Manifest, error) {
	var m Manifest
	b, err := os.ReadFile(filepath.Join(dir, ManifestName))
	if err != nil {
		return m, fmt.Errorf("%s is not a Chronicle backup: %w", dir, err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("the manifest of %s: %w", dir, err)
	}
	if m.Format != Format {
		return m, fmt.Errorf("the manifest of %s has format %d; this version reads format %d", dir, m.Format, Format)
	}
	for _, f := range m.Files {
		if !safePath(f.Path) {
			return m, fmt.Errorf("the manifest of %s names the file %q outside the backup", dir, f.Path)
		}
	}
	return m, nil
}

// safePath reports whether a manifest path stays inside the backup.
func safePath(p string) bool {
	return p != "" && !path.IsAbs(p) && !strings.Contains(p, "\\") && path.Clean(p) == p && p != ".." && !strings.HasPrefix(p, "../")
}

// Verify checks every file of the backup in dir against its manifest (presence, size, SHA-256)
// and that the manifest names the two databases.
func Verify(dir string) (Manifest, error) {
	m, err := ReadManifest(dir)
	if err != nil {
		return m, err
	}
	names := map[string]bool{}
	for _, f := range m.Files {
		names[f.Path] = true
		size, sum, err := hashFile(filepath.Join(dir, filepath.FromSlash(f.Path)))
		if err != nil {
			return m, fmt.Errorf("backup %s: %w", dir, err)
		}
		if size != f.Size || sum != f.SHA256 {
			return m, fmt.Errorf("backup %s: %s does not match its manifest (size %d, SHA-256 %s; the manifest says %d, %s): the backup is damaged or was changed",
				dir, f.Path, size, sum, f.Size, f.SHA256)
		}
	}
	for _, f := range []string{EventsFile, ReadModelsFile} {
		if !names[f] {
			return m, fmt.Errorf("backup %s: the manifest does not name %s", dir, f)
		}
	}
	return m, nil
}

// Restore checks the backup in from against its manifest and copies its files into dataDir,
// which must not exist or be empty. The files are copied into a temporary directory beside
// dataDir, checked again, and renamed into place, so dataDir holds a whole backup or nothing.
func Restore(from, dataDir string) (Manifest, error) {
	m, err := Verify(from)
	if err != nil {
		return m, err
	}
	if entries, err := os.ReadDir(dataDir); err == nil && len(entries) > 0 {
		return m, fmt.Errorf("restore: %s is not empty; restore into a new directory (or an empty one) and point CHRONICLE_DATA_DIR at it", dataDir)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return m, fmt.Errorf("restore: %w", err)
	}
	target, err := filepath.Abs(dataDir)
	if err != nil {
		return m, err
	}
	if err := os.MkdirAll(filepath.Dir(target), 0o750); err != nil {
		return m, fmt.Errorf("restore: %w", err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(target), ".restore-"+filepath.Base(target)+"-")
	if err != nil {
		return m, fmt.Errorf("restore: %w", err)
	}
	done := false
	defer func() {
		if !done {
			_ = os.RemoveAll(tmp)
		}
	}()
	if err := os.Chmod(tmp, 0o750); err != nil {
		return m, fmt.Errorf("restore: %w", err)
	}
	for _, f := range m.Files {
		dst := filepath.Join(tmp, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
			return m, fmt.Errorf("restore: %w", err)
		}
		mode := os.FileMode(0o640)
		if strings.HasSuffix(f.Path, ".key") || f.Path == KeysFile {
			mode = 0o600
		}
		sum, err := copyFile(filepath.Join(from, filepath.FromSlash(f.Path)), dst, mode)
		if err != nil {
			return m, fmt.Errorf("restore of %s: %w", f.Path, err)
		}
		if sum != f.SHA256 { // changed since Verify read it
			return m, fmt.Errorf("restore: %s changed while it was copied (SHA-256 %s, the manifest says %s)", f.Path, sum, f.SHA256)
		}
	}
	if err := syncTree(tmp); err != nil {
		return m, fmt.Errorf("restore: %w", err)
	}
	if err := os.Remove(target); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return m, fmt.Errorf("restore: %w", err) // no longer empty
	}
	if err := os.Rename(tmp, target); err != nil {
		return m, fmt.Errorf("restore: %w", err)
	}
	done = true
	return m, syncDir(filepath.Dir(target))
}

// Entry is a complete backup found in a directory.
type Entry struct {
	Dir      string
	Manifest Manifest
}

// List answers the complete backups in dir (directories named chronicle-backup-… with a readable
// manifest), oldest first. A directory that does not exist holds none.
func List(dir string) ([]Entry, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []Entry
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), NamePrefix) {
			continue
		}
		m, err := ReadManifest(filepath.Join(dir, e.Name()))
		if err != nil {
			continue
		}
		out = append(out, Entry{Dir: filepath.Join(dir, e.Name()), Manifest: m})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Manifest.CreatedAt.Before(out[j].Manifest.CreatedAt) })
	return out, nil
}

// Prune keeps the newest keep complete backups in dir and deletes the older ones, and deletes
// partial backups (left by a process that stopped while writing one) older than a day. It answers
// the directories it deleted.
func Prune(dir string, keep int, now time.Time) ([]string, error) {
	all, err := List(dir)
	if err != nil {
		return nil, err
	}
	var deleted []string
	var errs []error
	for i := 0; i < len(all)-max(keep, 1); i++ {
		if err := os.RemoveAll(all[i].Dir); err != nil {
			errs = append(errs, err)
			continue
		}
		deleted = append(deleted, all[i].Dir)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), partialPrefix) {
			continue
		}
		if fi, err := e.Info(); err == nil && now.Sub(fi.ModTime()) > 24*time.Hour {
			p := filepath.Join(dir, e.Name())
			if err := os.RemoveAll(p); err != nil {
				errs = append(errs, err)
				continue
			}
			deleted = append(deleted, p)
		}
	}
	return deleted, errors.Join(errs...)
}

// hashFile answers a file's size and hex SHA-256.
func hashFile(p string) (int64, string, error) {
	f, err := os.Open(p)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return 0, "", err
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}

// copyFile copies src to a new file dst with mode, syncs it and answers the hex SHA-256 of what
// it wrote.
func copyFile(src, dst string, mode os.FileMode) (string, error) {
	in, err := os.Open(src)
	if err != nil {
		return "", err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(out, h), in); err != nil {
		out.Close()
		return "", err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), out.Close()
}

func writeSynced(p string, b []byte, mode os.FileMode) error {
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func syncFile(p string) error {
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func syncDir(p string) error {
	d, err := os.Open(p)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// syncTree syncs every directory under root (the files were synced as they were written).
func syncTree(root string) error {
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		return syncDir(p)
	})
}

// namePattern is the name of a complete backup directory: the prefix, the UTC time, and a
// counter when two backups were taken within one second.
var namePattern = regexp.MustCompile(`^` + regexp.QuoteMeta(NamePrefix) + `[0-9]{8}T[0-9]{6}Z(-[0-9]{1,4})?$`)

// ValidName reports whether name is the name of a backup directory (no separators, no dots: a
// name that passes can not leave the backup directory).
func ValidName(name string) bool { return namePattern.MatchString(name) }

// Scanned is a directory of a backup directory that bears a backup's name: its manifest, or why
// it could not be read.
type Scanned struct {
	Name     string
	Dir      string
	Manifest Manifest
	Err      error // the manifest could not be read
}

// Scan answers every directory of dir named as a backup (ValidName), with its manifest or the
// error reading it, oldest first by name. A directory that does not exist holds none.
func Scan(dir string) ([]Scanned, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []Scanned
	for _, e := range entries {
		if !e.IsDir() || !ValidName(e.Name()) {
			continue
		}
		s := Scanned{Name: e.Name(), Dir: filepath.Join(dir, e.Name())}
		s.Manifest, s.Err = ReadManifest(s.Dir)
		out = append(out, s)
	}
	return out, nil // os.ReadDir sorts by name, which is by time
}

// Find answers the backup directory named name in dir. ok is false unless name is a valid
// backup name (ValidName) of a directory Scan finds there: no other name reaches the disk.
func Find(dir, name string) (s Scanned, ok bool, err error) {
	if !ValidName(name) {
		return Scanned{}, false, nil
	}
	all, err := Scan(dir)
	if err != nil {
		return Scanned{}, false, err
	}
	for _, s := range all {
		if s.Name == name {
			return s, true, nil
		}
	}
	return Scanned{}, false, nil
}

// QuickCheck checks that every file the manifest of the backup in dir names is there with the
// recorded size (not its hash: see Verify), and that the manifest names the two databases.
func QuickCheck(dir string, m Manifest) error {
	names := map[string]bool{}
	for _, f := range m.Files {
		names[f.Path] = true
		fi, err := os.Stat(filepath.Join(dir, filepath.FromSlash(f.Path)))
		if err != nil {
			return fmt.Errorf("backup %s: %w", filepath.Base(dir), err)
		}
		if !fi.Mode().IsRegular() || fi.Size() != f.Size {
			return fmt.Errorf("backup %s: %s has %d bytes; the manifest says %d", filepath.Base(dir), f.Path, fi.Size(), f.Size)
		}
	}
	for _, f := range []string{EventsFile, ReadModelsFile} {
		if !names[f] {
			return fmt.Errorf("backup %s: the manifest does not name %s", filepath.Base(dir), f)
		}
	}
	return nil
}
