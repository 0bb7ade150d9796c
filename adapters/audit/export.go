package audit

import (
	"archive/zip"
	"bufio"
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/chronicle-crm/chronicle/domain/auditchain"
)

// An export of the operation log (GET /audit/export) is one of two files:
//
//   - jsonl: export.jsonl's lines, one event each, then one last line {"manifest": {...}}; the
//     manifest's hash covers every byte before that last line.
//   - csv: a zip holding export.csv (a UTF-8 byte-order mark, a header row, one row per event)
//     and manifest.json; the hash covers export.csv's bytes.
//
// VerifyExport reads either back without any database.

// ExportCheck is what VerifyExport found.
type ExportCheck struct {
	Manifest auditchain.Manifest
	SHA256   auditchain.Hash // of the data file as read
	Rows     uint64          // rows of the data file as read
	// Problems are the differences: the hash, the rows, the signature, the file's shape. None:
	// the export is what the server signed.
	Problems []string
}

// OK reports whether the export verified.
func (c ExportCheck) OK() bool { return len(c.Problems) == 0 }

// VerifyExport checks the export file at path with the trusted public key: it recomputes the data
// file's SHA-256 and rows and compares them with the manifest, and checks the manifest's
// signature. An error is a file that can not be read as an export at all.
func VerifyExport(path string, pub ed25519.PublicKey) (ExportCheck, error) {
	f, err := os.Open(path)
	if err != nil {
		return ExportCheck{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return ExportCheck{}, err
	}
	var magic [4]byte
	if _, err := io.ReadFull(f, magic[:]); err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return ExportCheck{}, fmt.Errorf("%s: %w", path, err)
	}
	var c ExportCheck
	if string(magic[:]) == "PK\x03\x04" {
		c, err = verifyZip(f, st.Size())
	} else {
		c, err = verifyJSONL(f, st.Size())
	}
	if err != nil {
		return c, fmt.Errorf("%s: %w", path, err)
	}
	c.Problems = append(c.Problems, c.Manifest.Check(c.SHA256, c.Rows)...)
	if err := c.Manifest.Verify(pub); err != nil {
		c.Problems = append(c.Problems, "manifest: "+err.Error())
	}
	return c, nil
}

// verifyJSONL reads a jsonl export: the manifest is its last line, the data everything before.
func verifyJSONL(f *os.File, size int64) (ExportCheck, error) {
	var c ExportCheck
	// The last line: read back from the end until a newline before the final one.
	const chunk = 64 << 10
	end := size
	var tail []byte
	for {
		start := max(0, end-chunk)
		b := make([]byte, end-start)
		if _, err := f.ReadAt(b, start); err != nil {
			return c, err
		}
		tail = append(b, tail...)
		body := bytes.TrimSuffix(tail, []byte("\n"))
		if i := bytes.LastIndexByte(body, '\n'); i >= 0 || start == 0 {
			dataLen := start + int64(i+1) // i = -1: no data lines
			var last struct {
				Manifest *auditchain.Manifest `json:"manifest"`
			}
			if err := json.Unmarshal(body[i+1:], &last); err != nil || last.Manifest == nil {
				return c, errors.New(`the last line is not {"manifest": {...}}`)
			}
			c.Manifest = *last.Manifest
			h := sha256.New()
			rows, err := countLines(io.TeeReader(io.NewSectionReader(f, 0, dataLen), h))
			if err != nil {
				return c, err
			}
			c.SHA256, c.Rows = auditchain.Hash(h.Sum(nil)), rows
			if c.Manifest.Format != "jsonl" {
				c.Problems = append(c.Problems, fmt.Sprintf("a jsonl file, the manifest says format %q", c.Manifest.Format))
			}
			return c, nil
		}
		if len(tail) > 16<<20 {
			return c, errors.New("no manifest line within the last 16 MiB")
		}
		end = start
	}
}

// countLines counts the lines of r (each ends in \n; a last line without one counts too).
func countLines(r io.Reader) (uint64, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var n uint64
	var last byte = '\n'
	buf := make([]byte, 64<<10)
	for {
		k, err := br.Read(buf)
		n += uint64(bytes.Count(buf[:k], []byte("\n")))
		if k > 0 {
			last = buf[k-1]
		}
		if errors.Is(err, io.EOF) {
			if last != '\n' {
				n++
			}
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

// verifyZip reads a zip export: export.csv (or export.jsonl) and manifest.json.
func verifyZip(f *os.File, size int64) (ExportCheck, error) {
	var c ExportCheck
	zr, err := zip.NewReader(f, size)
	if err != nil {
		return c, err
	}
	files := map[string]*zip.File{}
	for _, zf := range zr.File {
		if _, dup := files[zf.Name]; dup {
			return c, fmt.Errorf("the zip holds %s twice", zf.Name)
		}
		files[zf.Name] = zf
	}
	mf, ok := files["manifest.json"]
	if !ok {
		return c, errors.New("the zip holds no manifest.json")
	}
	rc, err := mf.Open()
	if err != nil {
		return c, err
	}
	err = json.NewDecoder(io.LimitReader(rc, 1<<20)).Decode(&c.Manifest)
	rc.Close()
	if err != nil {
		return c, fmt.Errorf("manifest.json: %w", err)
	}
	name := c.Manifest.DataFile
	if name != "export.csv" && name != "export.jsonl" {
		return c, fmt.Errorf("manifest.json names the data file %q, want export.csv or export.jsonl", name)
	}
	df, ok := files[name]
	if !ok {
		return c, fmt.Errorf("the zip holds no %s", name)
	}
	if len(zr.File) != 2 {
		c.Problems = append(c.Problems, fmt.Sprintf("the zip holds %d files, want %s and manifest.json", len(zr.File), name))
	}
	rc, err = df.Open()
	if err != nil {
		return c, err
	}
	defer rc.Close()
	h := sha256.New()
	in := io.TeeReader(rc, h)
	if name == "export.jsonl" {
		c.Rows, err = countLines(in)
	} else {
		c.Rows, err = countCSV(in)
	}
	if err != nil {
		c.Problems = append(c.Problems, fmt.Sprintf("%s: %v", name, err))
		_, _ = io.Copy(io.Discard, in) // hash the rest
	}
	c.SHA256 = auditchain.Hash(h.Sum(nil))
	return c, nil
}

// countCSV counts the rows of a CSV file after its header (a byte-order mark before it skipped).
func countCSV(r io.Reader) (uint64, error) {
	br := bufio.NewReader(r)
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, []byte{0xEF, 0xBB, 0xBF}) {
		_, _ = br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.ReuseRecord = true
	var n uint64
	for {
		_, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return n, err
		}
		n++
	}
	if n == 0 {
		return 0, errors.New("no header row")
	}
	return n - 1, nil
}
