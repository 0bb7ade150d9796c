package secretbox

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSealOpen(t *testing.T) {
	dir := t.TempDir()
	b := FromFiles("", dir)
	if _, err := os.Stat(filepath.Join(dir, KeyFileName)); !os.IsNotExist(err) {
		t.Fatalf("the key file exists before first use: %v", err)
	}
	s, err := b.Seal([]byte("hunter2-smtp"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(s, "hunter2") || !strings.HasPrefix(s, "v1:") {
		t.Fatalf("sealed: %q", s)
	}
	st, err := os.Stat(filepath.Join(dir, KeyFileName))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, want 0600", st.Mode().Perm())
	}
	// Another process (a new box) reads the same key back.
	p, err := FromFiles("", dir).Open(s)
	if err != nil || string(p) != "hunter2-smtp" {
		t.Fatalf("open: %q %v", p, err)
	}
	s2, _ := b.Seal([]byte("hunter2-smtp"))
	if s2 == s {
		t.Fatal("two seals of one secret are equal: the nonce is not random")
	}
	// Another key cannot read it; a damaged value is refused.
	other := New(make([]byte, 32))
	if _, err := other.Open(s); err != ErrUnreadable {
		t.Fatalf("other key: %v", err)
	}
	if _, err := b.Open(s[:len(s)-4] + "AAAA"); err != ErrUnreadable {
		t.Fatalf("damaged: %v", err)
	}
}

func TestKeyFile(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "k")
	if err := os.WriteFile(f, []byte(strings.Repeat("ab", 32)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := FromFiles(f, dir).Seal([]byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, KeyFileName)); !os.IsNotExist(err) {
		t.Fatal("a key file was created although CHRONICLE_SECRET_KEY_FILE is set")
	}
	key := make([]byte, 32)
	for i := range key {
		key[i] = 0xab
	}
	if p, err := New(key).Open(s); err != nil || string(p) != "x" {
		t.Fatalf("%q %v", p, err)
	}
	bad := filepath.Join(dir, "bad")
	_ = os.WriteFile(bad, []byte("short"), 0o600)
	if _, err := FromFiles(bad, dir).Seal([]byte("x")); err == nil {
		t.Fatal("a short key was accepted")
	}
}
