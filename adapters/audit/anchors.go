package audit

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/chronicle-crm/chronicle/domain/auditchain"
)

// AnchorFileName is the file of the anchor at a position: zero-padded, so that names sort as
// positions do.
func AnchorFileName(position uint64) string { return fmt.Sprintf("anchor-%020d.json", position) }

// WriteAnchor writes the anchor into dir atomically: a temporary file, synced, renamed over its
// name, and the directory synced, so that a crash leaves the old file or the new one, never a
// part of one.
func WriteAnchor(dir string, a auditchain.Anchor) error {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("anchor directory: %w", err)
	}
	b, err := json.MarshalIndent(a, "", "  ")
	if err != nil {
		return fmt.Errorf("encode anchor: %w", err)
	}
	f, err := os.CreateTemp(dir, ".anchor-*.tmp")
	if err != nil {
		return fmt.Errorf("write anchor: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // after the rename there is nothing to remove
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("write anchor %s: %w", tmp, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("write anchor %s: %w", tmp, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write anchor %s: %w", tmp, err)
	}
	if err := os.Chmod(tmp, 0o644); err != nil {
		return fmt.Errorf("write anchor %s: %w", tmp, err)
	}
	name := filepath.Join(dir, AnchorFileName(a.Position))
	if err := os.Rename(tmp, name); err != nil {
		return fmt.Errorf("write anchor %s: %w", name, err)
	}
	if d, err := os.Open(dir); err == nil {
		err = d.Sync()
		d.Close()
		if err != nil {
			return fmt.Errorf("write anchor %s: sync directory: %w", name, err)
		}
	}
	return nil
}

// BadAnchor is an anchor file that can not be read as an anchor.
type BadAnchor struct {
	File     string
	Position uint64 // from its name
	Err      error
}

// ReadAnchors reads every anchor file of dir, in position order (none when dir does not exist).
// Files that do not decode are returned apart.
func ReadAnchors(dir string) ([]auditchain.Anchor, []BadAnchor, error) {
	names, err := anchorFiles(dir)
	if err != nil {
		return nil, nil, err
	}
	return readAnchorFiles(names)
}

// ReadLatestAnchors reads the newest n anchor files of dir (by position), in position order, and
// answers how many anchor files dir holds: a directory of a year's anchors (some 50,000) is
// listed, not read.
func ReadLatestAnchors(dir string, n int) ([]auditchain.Anchor, []BadAnchor, int, error) {
	names, err := anchorFiles(dir)
	if err != nil {
		return nil, nil, 0, err
	}
	out, bad, err := readAnchorFiles(names[max(len(names)-n, 0):])
	return out, bad, len(names), err
}

// anchorFiles are the anchor files of dir, sorted (their names sort as positions do).
func anchorFiles(dir string) ([]string, error) {
	names, err := filepath.Glob(filepath.Join(dir, "anchor-*.json"))
	if err != nil {
		return nil, fmt.Errorf("anchor directory %s: %w", dir, err)
	}
	if _, err := os.Stat(dir); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("anchor directory %s: %w", dir, err)
	}
	slices.Sort(names)
	return names, nil
}

func readAnchorFiles(names []string) ([]auditchain.Anchor, []BadAnchor, error) {
	var out []auditchain.Anchor
	var bad []BadAnchor
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			return nil, nil, fmt.Errorf("read anchor: %w", err)
		}
		var a auditchain.Anchor
		if err := json.Unmarshal(b, &a); err != nil {
			pos, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimPrefix(filepath.Base(n), "anchor-"), ".json"), 10, 64)
			bad = append(bad, BadAnchor{File: n, Position: pos, Err: err})
			continue
		}
		out = append(out, a)
	}
	return out, bad, nil
}
