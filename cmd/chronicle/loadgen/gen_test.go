package loadgen

import (
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/customer"
	"github.com/chronicle-crm/chronicle/domain/field"
	"github.com/chronicle-crm/chronicle/domain/lead"
)

var now = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// Every generated lead is one the API accepts: the aggregate validates it as a create would.
func TestGeneratedLeadsAreValid(t *testing.T) {
	g := Gen{Seed: 7}
	var withMobile, withPhone, withEmail, withCompany int
	const n = 5000
	for i := range n {
		f := g.Lead(i, now)
		if _, err := lead.New(uuid.New(), f, uuid.Nil, uuid.New(), now); err != nil {
			t.Fatalf("lead %d %+v: %v", i, f, err)
		}
		if f.Mobile != "" {
			withMobile++
			if d := field.Digits(f.Mobile); len(d) != 11 || d[0] != '1' {
				t.Fatalf("lead %d: mobile %q is not an 11-digit mobile number", i, f.Mobile)
			}
		}
		if f.Phone != "" {
			withPhone++
			if err := field.Phone("phone", f.Phone); err != nil || !strings.HasPrefix(f.Phone, "0") {
				t.Fatalf("lead %d: landline %q: %v", i, f.Phone, err)
			}
		}
		if f.Email != "" {
			withEmail++
		}
		if f.Company != "" {
			withCompany++
		}
		if f.Mobile == "" && f.Phone == "" {
			t.Fatalf("lead %d has no number", i)
		}
	}
	// The shares the generator promises, within what 5,000 draws allow.
	for _, c := range []struct {
		name      string
		got, want int
	}{{"mobile", withMobile, 70}, {"email", withEmail, 30}, {"company", withCompany, 90}} {
		if pct := 100 * c.got / n; pct < c.want-4 || pct > c.want+4 {
			t.Errorf("%d%% of the leads have a %s, want about %d%%", pct, c.name, c.want)
		}
	}
	if withPhone == 0 {
		t.Error("no lead has a landline")
	}
}

// The same seed and index make the same record; another seed makes others.
func TestGeneratorsAreDeterministic(t *testing.T) {
	a, b, other := Gen{Seed: 42}, Gen{Seed: 42}, Gen{Seed: 43}
	same := 0
	for i := range 200 {
		if !reflect.DeepEqual(a.Lead(i, now), b.Lead(i, now)) {
			t.Fatalf("lead %d differs between two generators of one seed", i)
		}
		ca, sa := a.Customer(i)
		cb, sb := b.Customer(i)
		if !reflect.DeepEqual(ca, cb) || sa != sb {
			t.Fatalf("customer %d differs between two generators of one seed", i)
		}
		if reflect.DeepEqual(a.Lead(i, now), other.Lead(i, now)) {
			same++
		}
	}
	if same > 0 {
		t.Errorf("%d of 200 leads are the same under another seed", same)
	}
	// A record does not depend on what was generated before it.
	if !reflect.DeepEqual(a.Lead(150, now), Gen{Seed: 42}.Lead(150, now)) {
		t.Fatal("lead 150 depends on the leads generated before it")
	}
}

// Customers are valid and their names differ after normalisation (their ids follow from it, as
// an import's do).
func TestGeneratedCustomersAreValidAndDistinct(t *testing.T) {
	g := Gen{Seed: 3}
	seen := map[string]int{}
	for i := range 30_000 {
		f, status := g.Customer(i)
		if _, err := customer.New(uuid.New(), f, status, uuid.Nil, "", uuid.New(), now); err != nil {
			t.Fatalf("customer %d %+v: %v", i, f, err)
		}
		key := customer.NormalizeName(f.Name)
		if j, dup := seen[key]; dup {
			t.Fatalf("customers %d and %d normalise alike: %q", j, i, key)
		}
		seen[key] = i
	}
}

// The name parts split one way only, so every index below the capacity makes another name.
func TestCustomerNamePartsAreUnambiguous(t *testing.T) {
	cityNames := map[string]bool{}
	for _, c := range cities {
		if utf8.RuneCountInString(c.Name) != 2 || cityNames[c.Name] {
			t.Fatalf("city %q: names must be two characters and distinct", c.Name)
		}
		cityNames[c.Name] = true
	}
	brandNames := map[string]bool{}
	for _, b := range brands {
		if utf8.RuneCountInString(b) != 2 || brandNames[b] {
			t.Fatalf("brand %q: brands must be two characters and distinct", b)
		}
		brandNames[b] = true
	}
	tails := map[string]bool{}
	for _, q := range qualifiers {
		for _, tr := range trades {
			if tails[q+tr] {
				t.Fatalf("qualifier and trade %q arise twice", q+tr)
			}
			tails[q+tr] = true
		}
	}
	if CustomerCapacity() < 500_000 {
		t.Fatalf("capacity %d: too few names for a large seed", CustomerCapacity())
	}
}

// Person names look like Chinese names, and a two-character needle such as 王伟 matches a small
// but real share of them (王 is 7% of the population, 伟 the commonest given character).
func TestPersonNamesMatchRealisticShares(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const n = 100_000
	wang, wangWei := 0, 0
	for range n {
		name := PersonName(r)
		if c := utf8.RuneCountInString(name); c < 2 || c > 4 {
			t.Fatalf("name %q has %d characters", name, c)
		}
		if strings.HasPrefix(name, "王") {
			wang++
		}
		if strings.Contains(name, "王伟") {
			wangWei++
		}
	}
	if pct := 100 * float64(wang) / n; pct < 6 || pct > 9 {
		t.Errorf("%.1f%% of the names are 王, want about 7%%", pct)
	}
	if pct := 100 * float64(wangWei) / n; pct < 0.1 || pct > 1 {
		t.Errorf("%.2f%% of the names contain 王伟, want a fraction of a percent", pct)
	}
}

func TestNeedles(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for range 1000 {
		if n := Needle2(r); utf8.RuneCountInString(n) != 2 {
			t.Fatalf("two-character needle %q", n)
		}
		if n := Needle4(r); utf8.RuneCountInString(n) != 4 {
			t.Fatalf("four-character needle %q", n)
		}
		if n := PhoneNeedle(r); len(n) != 7 || field.Digits(n) != n || n[0] != '1' {
			t.Fatalf("phone needle %q", n)
		}
		if e := Email(r); field.Email("email", e) != nil {
			t.Fatalf("e-mail address %q refused", e)
		}
	}
}

func TestSurnamesAreListedOnce(t *testing.T) {
	seen := map[string]bool{}
	prev := ""
	for _, s := range surnames {
		if s != prev && seen[s] {
			t.Fatalf("surname %s is listed twice", s)
		}
		seen[s], prev = true, s
	}
}
