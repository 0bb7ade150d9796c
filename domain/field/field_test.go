package field

import (
	"errors"
	"strconv"
	"strings"
	"testing"
)

func TestUnsafeText(t *testing.T) {
	for _, tc := range []struct {
		in   string
		bad  rune
		pos  int // character position, from 1; 0: the text is fine
		what string
	}{
		{"王小明", 0, 0, ""},
		{"line one\r\nline two\tcol", 0, 0, ""},
		{"عربي\u200fEnglish\u200e\u061c", 0, 0, ""}, // bidi marks are allowed
		{"\ufffd is a character", 0, 0, ""},         // U+FFFD itself is valid text
		{"a\x00b", 0, 2, "U+0000"},
		{"星河\x1b[31m", 0x1b, 3, "U+001B"},
		{"x\x7f", 0x7f, 2, "U+007F"},
		{"x\u0085", 0x85, 2, "U+0085"},
		{"invoice\u202egpj.exe", 0x202e, 8, "U+202E"},
		{"\u2066x", 0x2066, 1, "U+2066"},
		{"\u2069", 0x2069, 1, "U+2069"},
		{"ok\xffno", 0xfffd, 3, "not valid UTF-8"},
	} {
		err := SafeText("name", tc.in)
		if tc.pos == 0 {
			if err != nil {
				t.Errorf("%q: %v, want accepted", tc.in, err)
			}
			continue
		}
		var fe *Error
		if !errors.As(err, &fe) || fe.Field != "name" || !strings.Contains(fe.Message, tc.what) {
			t.Errorf("%q: %v, want an error on name about %s", tc.in, err, tc.what)
			continue
		}
		if want := "character " + strconv.Itoa(tc.pos); !strings.Contains(fe.Message, want) {
			t.Errorf("%q: %q does not say %q", tc.in, fe.Message, want)
		}
		if err := Text("name", tc.in, 100); err == nil {
			t.Errorf("Text accepted %q", tc.in)
		}
	}
}

// TestEmailRefusesAMaskedAddress: an address as the API shows it masked (z***@example.com) is
// refused, so that a form or client saving a masked answer back cannot replace the real one.
func TestEmailRefusesAMaskedAddress(t *testing.T) {
	for v, ok := range map[string]bool{"zhang@example.com": true, "": true, "z***@example.com": false, "li.s***@corp.example.cn": false,
		"a*b@example.com": true, "not-an-address": false} {
		if err := Email("email", v); (err == nil) != ok {
			t.Errorf("Email(%q) = %v, want ok %v", v, err, ok)
		}
	}
}
