package httpapi

import (
	"context"
	"fmt"
	"maps"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/domain/customer"
	"github.com/chronicle-crm/chronicle/domain/role"
	"github.com/chronicle-crm/chronicle/readmodels"
	"github.com/chronicle-crm/chronicle/readmodels/customerview"
	"github.com/chronicle-crm/chronicle/readmodels/leadview"
)

// Exports: GET /api/v1/{customers,leads,contacts}/export?format=csv|xlsx plus the list endpoint's
// query parameters writes the whole search (filters and the reader's data scope) as a file with
// Chinese headers. It pages through the search with the keyset cursor and writes each page as it
// arrives: CSV goes to the client page by page, XLSX rows go to excelize's stream writer (which
// keeps them on disk beyond 16 MiB) and the workbook is sent at the end.

const exportPage = 500

// exportColumn is one column of an export: its header and how a record shows in it.
type exportColumn[R any] struct {
	header string
	get    func(R) string
}

func exportFormat(v url.Values) (string, error) {
	switch f := v.Get("format"); f {
	case "", formatCSV:
		return formatCSV, nil
	case formatXLSX:
		return formatXLSX, nil
	default:
		return "", invalid("format", "must be csv or xlsx; got %q", f)
	}
}

// mayExport: reading the records and exporting them are both needed.
func mayExport(a access.Actor, read, export string) error {
	if !a.Can(read) || !a.Can(export) {
		return commands.ErrForbidden
	}
	return nil
}

// export writes first and the pages after it. The first page is fetched before anything is
// written, so a bad query still gets a problem document; a failure later aborts the response
// (the client sees a broken download, never a silently short file).
func export[R any](s *Server, w http.ResponseWriter, r *http.Request, format, name, zhName string, cols []exportColumn[R],
	first readmodels.Page[R], next func(ctx context.Context, cursor string) (readmodels.Page[R], error),
	prepare func(ctx context.Context, items []R) error) {
	ctx := r.Context()
	stamp := s.Clock().In(importZone).Format("20060102-150405")
	file, zhFile := name+"-"+stamp+"."+format, zhName+"-"+stamp+"."+format
	if prepare != nil {
		if err := prepare(ctx, first.Items); err != nil {
			writeProblem(w, r, s.Logger, err)
			return
		}
	}
	ct := "text/csv; charset=utf-8"
	if format == formatXLSX {
		ct = mimeXLSX
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"; filename*=UTF-8''%s`, file, url.PathEscape(zhFile)))
	w.Header().Set("X-Total-Count", strconv.FormatInt(first.Total, 10))
	w.Header().Set("Cache-Control", "no-store")
	var sw sheetWriter
	var err error
	if format == formatXLSX {
		sw, err = newXLSXWriter(w, zhName)
	} else {
		sw, err = newCSVWriter(w)
	}
	abort := func(err error) {
		s.Logger.Error("export failed", "export", name, "request_id", requestID(ctx), "error", err)
		panic(http.ErrAbortHandler)
	}
	if err != nil {
		abort(err)
	}
	head := make([]string, len(cols))
	for i, c := range cols {
		head[i] = c.header
	}
	if err := sw.write(head); err != nil {
		abort(err)
	}
	page := first
	for {
		for _, item := range page.Items {
			row := make([]string, len(cols))
			for i, c := range cols {
				row[i] = c.get(item)
			}
			if err := sw.write(row); err != nil {
				abort(err)
			}
		}
		if err := sw.flush(); err != nil {
			abort(err)
		}
		if f, ok := w.(http.Flusher); ok && format == formatCSV {
			f.Flush()
		}
		if page.NextCursor == "" {
			break
		}
		if page, err = next(ctx, page.NextCursor); err == nil && prepare != nil {
			err = prepare(ctx, page.Items)
		}
		if err != nil {
			abort(err)
		}
	}
	if err := sw.close(); err != nil {
		abort(err)
	}
}

func fmtTime(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.In(importZone).Format("2006-01-02 15:04:05")
}

func fmtRating(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}

func yesNo(b bool) string {
	if b {
		return "是"
	}
	return "否"
}

// ownerNames looks up owners' display names for an export (few owners, many rows).
type ownerNames struct {
	s     *Server
	names map[uuid.UUID]string
}

func (o *ownerNames) name(ctx context.Context, id *uuid.UUID) string {
	if id == nil {
		return ""
	}
	if n, ok := o.names[*id]; ok {
		return n
	}
	n := ""
	if u, err := o.s.OrgViews.GetUser(ctx, *id); err == nil {
		n = u.DisplayName
	}
	o.names[*id] = n
	return n
}

// customerQueryFromURL reads the filters of the customer list and export: GET /api/v1/customers
// and GET /api/v1/customers/export take the same ones.
func (s *Server) customerQueryFromURL(ctx context.Context, v url.Values, scope readmodels.Scope) (customerview.Query, error) {
	q := customerview.Query{Scope: scope, Q: v.Get("q"), Level: v.Get("level"), Industry: v.Get("industry"),
		Source: v.Get("source"), Classification: v.Get("classification"), Sort: v.Get("sort")}
	for _, st := range v["status"] {
		for _, one := range strings.Split(st, ",") {
			if one = strings.TrimSpace(one); one != "" {
				if !slices.Contains(customer.Statuses, one) {
					return q, invalid("status", "must be potential, cooperating or closed_deal; got %q", one)
				}
				q.Status = append(q.Status, one)
			}
		}
	}
	if o := v.Get("ownerId"); o != "" {
		id, err := parseUUID("ownerId", o)
		if err != nil {
			return q, err
		}
		q.OwnerID = &id
	}
	for name, dst := range map[string]**bool{"pool": &q.Pool, "locked": &q.Locked} {
		if p := v.Get(name); p != "" {
			b, err := strconv.ParseBool(p)
			if err != nil {
				return q, invalid(name, "must be true or false")
			}
			*dst = &b
		}
	}
	var err error
	q.Custom, err = s.customFilters(ctx, v)
	return q, err
}

// customFilters reads custom.<key>=value (repeatable) and custom.<key>.min / .max (number and date
// fields) against the field definitions; see readmodels.CustomFilter for what they match.
func (s *Server) customFilters(ctx context.Context, v url.Values) ([]customerview.CustomFilter, error) {
	var defs map[string]customer.CustomField
	byKey := map[string]*customerview.CustomFilter{}
	var order []string
	for _, param := range slices.Sorted(maps.Keys(v)) {
		rest, ok := strings.CutPrefix(param, "custom.")
		if !ok {
			continue
		}
		if defs == nil {
			list, err := s.OrgViews.CustomerFields(ctx)
			if err != nil {
				return nil, err
			}
			defs = map[string]customer.CustomField{}
			for _, d := range list {
				defs[d.Key] = d
			}
		}
		key, bound := rest, ""
		if k, b, cut := strings.Cut(rest, "."); cut {
			key, bound = k, b
		}
		d, ok := defs[key]
		if !ok {
			return nil, invalid(param, "is not a defined custom field")
		}
		ranged := d.Type == customer.CustomNumber || d.Type == customer.CustomDate
		if bound != "" && (!ranged || (bound != "min" && bound != "max")) {
			return nil, invalid(param, "only number and date fields take .min and .max")
		}
		f := byKey[key]
		if f == nil {
			f = &customerview.CustomFilter{Key: key, Type: d.Type}
			byKey[key] = f
			order = append(order, key)
		}
		for _, val := range v[param] {
			if val = strings.TrimSpace(val); val == "" {
				continue
			}
			if err := checkCustomFilterValue(param, d, val); err != nil {
				return nil, err
			}
			switch bound {
			case "min":
				f.Min = val
			case "max":
				f.Max = val
			default:
				f.Values = append(f.Values, val)
			}
		}
	}
	out := make([]customerview.CustomFilter, 0, len(order))
	for _, k := range order {
		out = append(out, *byKey[k])
	}
	return out, nil
}

func checkCustomFilterValue(param string, d customer.CustomField, val string) error {
	switch d.Type {
	case customer.CustomNumber:
		if n, err := strconv.ParseFloat(val, 64); err != nil || math.IsInf(n, 0) || math.IsNaN(n) {
			return invalid(param, "must be a number")
		}
	case customer.CustomDate:
		if _, err := time.Parse(time.DateOnly, val); err != nil {
			return invalid(param, "must be a date YYYY-MM-DD")
		}
	case customer.CustomOption, customer.CustomMultiOption:
		if !slices.Contains(d.Options, val) {
			return invalid(param, "must be one of %s", strings.Join(d.Options, ", "))
		}
	}
	return nil
}

func (s *Server) exportCustomers(w http.ResponseWriter, r *http.Request) {
	a := actorOf(r.Context())
	v := r.URL.Query()
	err := mayExport(a, role.CustomersRead, role.CustomersExport)
	var format string
	if err == nil {
		format, err = exportFormat(v)
	}
	var q customerview.Query
	if err == nil {
		q, err = s.customerQueryFromURL(r.Context(), v, s.customerScope(a))
	}
	if err == nil {
		err = s.waitFor(r, customerview.Projection)
	}
	var first readmodels.Page[*customerview.Customer]
	if err == nil {
		q.Limit = exportPage
		first, err = s.CustomerViews.Search(r.Context(), q)
	}
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	owners := &ownerNames{s: s, names: map[uuid.UUID]string{}}
	ctx := r.Context()
	type C = *customerview.Customer
	cc := customerColumns
	cols := []exportColumn[C]{
		{header(cc, "id"), func(c C) string { return c.ID.String() }},
		{header(cc, "name"), func(c C) string { return c.Name }},
		{header(cc, "legalRepresentative"), func(c C) string { return c.LegalRepresentative }},
		{header(cc, "level"), func(c C) string { return c.Level }},
		{header(cc, "industry"), func(c C) string { return c.Industry }},
		{header(cc, "subIndustry"), func(c C) string { return c.SubIndustry }},
		{header(cc, "source"), func(c C) string { return c.Source }},
		{header(cc, "nature"), func(c C) string { return natureLabels.label(c.Nature) }},
		{header(cc, "type"), func(c C) string { return typeLabels.label(c.Type) }},
		{header(cc, "size"), func(c C) string { return sizeLabels.label(c.Size) }},
		{header(cc, "classification"), func(c C) string { return classLabels.label(c.Classification) }},
		{header(cc, "country"), func(c C) string { return c.Country }},
		{header(cc, "province"), func(c C) string { return c.Province }},
		{header(cc, "city"), func(c C) string { return c.City }},
		{header(cc, "district"), func(c C) string { return c.District }},
		{header(cc, "address"), func(c C) string { return c.Address }},
		{header(cc, "postcode"), func(c C) string { return c.Postcode }},
		{header(cc, "phone"), func(c C) string { return c.Phone }},
		{header(cc, "fax"), func(c C) string { return c.Fax }},
		{header(cc, "email"), func(c C) string { return c.Email }},
		{header(cc, "website"), func(c C) string { return c.Website }},
		{header(cc, "remark"), func(c C) string { return c.Remark }},
		{header(cc, "satisfaction"), func(c C) string { return fmtRating(c.Satisfaction) }},
		{header(cc, "credit"), func(c C) string { return fmtRating(c.Credit) }},
		{header(cc, "nextFollowUpAt"), func(c C) string { return fmtTime(c.Fields.NextFollowUpAt) }},
		{header(cc, "status"), func(c C) string { return customerStatusLabels.label(c.Status) }},
		{header(cc, "ownerId"), func(c C) string { return owners.name(ctx, c.OwnerID) }},
		{header(cc, "inPool"), func(c C) string { return yesNo(c.InPool) }},
		{header(cc, "locked"), func(c C) string { return yesNo(c.Locked) }},
		{header(cc, "lastFollowUpAt"), func(c C) string { return fmtTime(c.LastFollowUpAt) }},
		{header(cc, "createdAt"), func(c C) string { return fmtTime(&c.CreatedAt) }},
		{header(cc, "updatedAt"), func(c C) string { return fmtTime(&c.UpdatedAt) }},
	}
	export(s, w, r, format, "customers", "客户", cols, first, func(ctx context.Context, cursor string) (readmodels.Page[C], error) {
		q.Cursor = cursor
		return s.CustomerViews.Search(ctx, q)
	}, nil)
}

func (s *Server) exportLeads(w http.ResponseWriter, r *http.Request) {
	a := actorOf(r.Context())
	v := r.URL.Query()
	err := mayExport(a, role.LeadsRead, role.LeadsExport)
	var format string
	if err == nil {
		format, err = exportFormat(v)
	}
	var q leadview.Query
	if err == nil {
		v.Del("limit")
		q, err = LeadQueryFromURL(v, scopeOf(a))
	}
	if err == nil {
		err = s.waitFor(r, leadview.Projection)
	}
	var first readmodels.Page[*leadview.Lead]
	if err == nil {
		q.Limit, q.Cursor = exportPage, ""
		first, err = s.LeadViews.Search(r.Context(), q)
	}
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	owners := &ownerNames{s: s, names: map[uuid.UUID]string{}}
	ctx := r.Context()
	type L = *leadview.Lead
	lc := leadColumns
	cols := []exportColumn[L]{
		{header(lc, "id"), func(l L) string { return l.ID.String() }},
		{header(lc, "name"), func(l L) string { return l.Name }},
		{header(lc, "company"), func(l L) string { return l.Company }},
		{header(lc, "phone"), func(l L) string { return l.Phone }},
		{header(lc, "mobile"), func(l L) string { return l.Mobile }},
		{header(lc, "email"), func(l L) string { return l.Email }},
		{header(lc, "source"), func(l L) string { return l.Source }},
		{header(lc, "industry"), func(l L) string { return l.Industry }},
		{header(lc, "level"), func(l L) string { return l.Level }},
		{header(lc, "address"), func(l L) string { return l.Address }},
		{header(lc, "remark"), func(l L) string { return l.Remark }},
		{header(lc, "nextFollowUpAt"), func(l L) string { return fmtTime(l.NextFollowUpAt) }},
		{header(lc, "status"), func(l L) string { return leadStatusLabels.label(l.Status) }},
		{header(lc, "ownerId"), func(l L) string { return owners.name(ctx, l.OwnerID) }},
		{header(lc, "inPool"), func(l L) string { return yesNo(l.InPool) }},
		{header(lc, "createdAt"), func(l L) string { return fmtTime(&l.CreatedAt) }},
		{header(lc, "updatedAt"), func(l L) string { return fmtTime(&l.UpdatedAt) }},
	}
	export(s, w, r, format, "leads", "线索", cols, first, func(ctx context.Context, cursor string) (readmodels.Page[L], error) {
		q.Cursor = cursor
		return s.LeadViews.Search(ctx, q)
	}, nil)
}

func (s *Server) exportContacts(w http.ResponseWriter, r *http.Request) {
	a := actorOf(r.Context())
	v := r.URL.Query()
	err := mayExport(a, role.CustomersRead, role.CustomersExport)
	var format string
	if err == nil {
		format, err = exportFormat(v)
	}
	q := customerview.ContactQuery{Scope: s.customerScope(a), Q: v.Get("q"), Sort: v.Get("sort"), Limit: exportPage}
	if cid := v.Get("customerId"); cid != "" && err == nil {
		var id uuid.UUID
		id, err = parseUUID("customerId", cid)
		q.CustomerID = &id
	}
	if err == nil {
		err = s.waitFor(r, customerview.Projection)
	}
	var first readmodels.Page[*customerview.Contact]
	if err == nil {
		first, err = s.CustomerViews.SearchContacts(r.Context(), q)
	}
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	customerNames := map[uuid.UUID]string{}
	prepare := func(ctx context.Context, items []*customerview.Contact) error {
		var missing []uuid.UUID
		for _, c := range items {
			if _, ok := customerNames[c.CustomerID]; !ok {
				missing = append(missing, c.CustomerID)
				customerNames[c.CustomerID] = ""
			}
		}
		names, err := s.CustomerViews.CustomerNames(ctx, missing)
		for id, n := range names {
			customerNames[id] = n
		}
		return err
	}
	type K = *customerview.Contact
	kc := contactColumns
	cols := []exportColumn[K]{
		{header(kc, "id"), func(c K) string { return c.ID.String() }},
		{header(kc, "customer"), func(c K) string { return customerNames[c.CustomerID] }},
		{header(kc, "customerId"), func(c K) string { return c.CustomerID.String() }},
		{header(kc, "name"), func(c K) string { return c.Name }},
		{header(kc, "gender"), func(c K) string { return genderLabels.label(c.Gender) }},
		{header(kc, "title"), func(c K) string { return c.Title }},
		{header(kc, "officePhone"), func(c K) string { return c.OfficePhone }},
		{header(kc, "mobile"), func(c K) string { return c.Mobile }},
		{header(kc, "email"), func(c K) string { return c.Email }},
		{header(kc, "fax"), func(c K) string { return c.Fax }},
		{header(kc, "birthday"), func(c K) string { return c.Birthday }},
		{header(kc, "remark"), func(c K) string { return c.Remark }},
		{header(kc, "primary"), func(c K) string { return yesNo(c.Primary) }},
		{header(kc, "createdAt"), func(c K) string { return fmtTime(&c.CreatedAt) }},
		{header(kc, "updatedAt"), func(c K) string { return fmtTime(&c.UpdatedAt) }},
	}
	export(s, w, r, format, "contacts", "联系人", cols, first, func(ctx context.Context, cursor string) (readmodels.Page[K], error) {
		q.Cursor = cursor
		return s.CustomerViews.SearchContacts(ctx, q)
	}, prepare)
}
