package usercmd_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/chronicle-crm/chronicle/commands/usercmd"
	"github.com/chronicle-crm/chronicle/domain/user"
)

func TestPasswordPolicyNamesTheReason(t *testing.T) {
	t.Parallel()
	cases := []struct {
		pw, username, display, code string
	}{
		{"short-1", "", "", usercmd.PasswordTooShort},
		{strings.Repeat("长", 1025), "", "", usercmd.PasswordTooLong},
		{"1qaz2wsx3edc", "", "", usercmd.PasswordCommon},
		{"Zhang-2026-pass", "zhang", "张伟", usercmd.PasswordContainsUsername},
		{"Secret-ZHANG.SALES-2026", "zhang.sales", "张伟", usercmd.PasswordContainsUsername},
		{"北京-王小明-Sales-2026", "wxm", "王小明", usercmd.PasswordContainsName},
		{"Go-Chen Jing-go-2026", "cj", "Chen Jing", usercmd.PasswordContainsName},
		{"zzzzzzzzzzzz", "", "", usercmd.PasswordRepeated},
		{"############", "", "", usercmd.PasswordRepeated},
		{"密密密密密密密密密密", "", "", usercmd.PasswordRepeated},
		{"asdfghjkl;'", "", "", usercmd.PasswordKeyboardRun},
		{"ZXCVBNM,./zx", "", "", usercmd.PasswordKeyboardRun},
		{"/.,mnbvcxz", "", "", usercmd.PasswordKeyboardRun},
		{"abcdefghijklm", "", "", usercmd.PasswordKeyboardRun},
		{"78901234567", "", "", usercmd.PasswordKeyboardRun},
		{"~!@#$%^&*()_+", "", "", usercmd.PasswordKeyboardRun},
		{"chronicle2026", "", "", usercmd.PasswordTooWeak},
		{"Password2026!", "", "", usercmd.PasswordTooWeak},
		{"qazwsxedcrfv", "", "", usercmd.PasswordTooWeak},
		{"iloveyou2026", "", "", usercmd.PasswordTooWeak},
		{"woaini520520", "", "", usercmd.PasswordTooWeak},
	}
	for _, c := range cases {
		err := usercmd.CheckPassword(c.pw, c.username, c.display)
		var ve *user.ValidationError
		if !errors.As(err, &ve) || ve.Field != "password" || ve.Code != c.code || ve.Message == "" {
			t.Errorf("CheckPassword(%q, %q, %q) = %#v, want %s on password", c.pw, c.username, c.display, err, c.code)
		}
	}
	for _, c := range [][3]string{
		{"Correct-horse-2026", "", ""},
		{"星河科技-销售-2026", "", ""},
		{"Li-manager-2026", "li", "李经理"}, // a two-letter username is not looked for
		{"Beijing-north-office-2026", "zhang", "张伟"},
		{"violet marmalade umbrella tractor", "wang", "王芳"},
	} {
		if err := usercmd.CheckPassword(c[0], c[1], c[2]); err != nil {
			t.Errorf("CheckPassword(%q, %q, %q) = %v, want accepted", c[0], c[1], c[2], err)
		}
	}
}

// zxcvbn's matching grows much faster than the length (a 1,024-character password took over a
// minute): only the first characters are judged.
func TestPasswordStrengthOfALongPasswordIsQuick(t *testing.T) {
	t.Parallel()
	pw := strings.Repeat("aB3$xY-k9", 120)[:1020]
	start := time.Now()
	if err := usercmd.CheckPassword(pw); err != nil {
		t.Fatalf("CheckPassword(1,020 characters) = %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("judging a 1,020-character password took %v", d)
	}
}
