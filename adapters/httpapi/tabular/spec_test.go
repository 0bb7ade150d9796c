package tabular

import "testing"

// TestSpecs: every column of every module has a field, headers and a format, and no two columns
// of a module share a field.
func TestSpecs(t *testing.T) {
	check := func(name string, fields []string, headers [][]string, formats []bool) {
		seen := map[string]bool{}
		for i, f := range fields {
			if f == "" || len(headers[i]) == 0 || !formats[i] {
				t.Errorf("%s column %d (%q): needs a field, headers and a format", name, i, f)
			}
			if seen[f] {
				t.Errorf("%s: field %q twice", name, f)
			}
			seen[f] = true
		}
	}
	describe := func(name string, n int, at func(i int) (string, []string, bool)) {
		fields, headers, formats := make([]string, n), make([][]string, n), make([]bool, n)
		for i := range n {
			fields[i], headers[i], formats[i] = at(i)
		}
		check(name, fields, headers, formats)
	}
	describe("customers", len(Customers.Columns), func(i int) (string, []string, bool) {
		c := Customers.Columns[i]
		return c.Field, c.Headers, c.Format != nil
	})
	describe("leads", len(Leads.Columns), func(i int) (string, []string, bool) {
		c := Leads.Columns[i]
		return c.Field, c.Headers, c.Format != nil
	})
	describe("contacts", len(Contacts.Columns), func(i int) (string, []string, bool) {
		c := Contacts.Columns[i]
		return c.Field, c.Headers, c.Format != nil
	})
	describe("products", len(Products.Columns), func(i int) (string, []string, bool) {
		c := Products.Columns[i]
		return c.Field, c.Headers, c.Format != nil
	})
}
