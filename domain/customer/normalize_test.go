package customer_test

import (
	"testing"

	"github.com/chronicle-crm/chronicle/domain/customer"
)

func TestNormalizeName(t *testing.T) {
	t.Parallel()
	same := [][]string{
		{"北京星河科技有限公司", "北京星河科技", "北京星河科技（有限公司）", " 北京 星河科技 有限责任公司 "},
		{"Acme Co., Ltd.", "ACME", "acme limited", "ＡＣＭＥ　Ｃｏ．，Ｌｔｄ．"},
		{"上海银河集团有限公司", "上海银河集团", "上海银河"},
	}
	for _, group := range same {
		want := customer.NormalizeName(group[0])
		for _, n := range group[1:] {
			if got := customer.NormalizeName(n); got != want {
				t.Errorf("NormalizeName(%q) = %q, want %q (as %q)", n, got, want, group[0])
			}
		}
	}
	if customer.NormalizeName("北京星河科技") == customer.NormalizeName("北京星空科技") {
		t.Error("different companies normalise alike")
	}
	if customer.NormalizeName("有限公司") == "" {
		t.Error("a name that is only a suffix normalised to nothing")
	}
}
