package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
)

// Ops are the operations a mix may name, in report order.
var Ops = []string{"list", "page", "customers", "search2", "search4", "phone", "detail", "create", "update"}

// DefaultMix is the mix when none is given.
const DefaultMix = "list=30,page=10,customers=10,search2=10,search4=5,phone=5,detail=20,create=5,update=5"

// DriveOptions say how to drive a server.
type DriveOptions struct {
	URL           string // the server, e.g. http://127.0.0.1:8080
	As            string // admin | sales | manager: who the virtual users sign in as
	AdminUser     string
	AdminPassword string
	Password      string // of the seeded sales users and managers
	Sessions      int    // sales users (or managers) signed in; the virtual users share them
	VUs           int
	Duration      time.Duration
	Mix           string
	Seed          uint64
	Timeout       time.Duration // of one request
	PageDepth     int           // next pages followed before starting from the first again
	Think         time.Duration // pause between a virtual user's requests
	// MinEach makes the run go on after Duration until every operation of the mix has run at
	// least this many times (a smoke run on a slow machine still covers every operation).
	MinEach  int
	Progress io.Writer // a line every 10 s; nil for none
}

// Defaults fills in zero values.
func (o *DriveOptions) Defaults() {
	if o.URL == "" {
		o.URL = "http://127.0.0.1:8080"
	}
	o.URL = strings.TrimRight(o.URL, "/")
	if o.As == "" {
		o.As = "admin"
	}
	if o.AdminUser == "" {
		o.AdminUser = "admin"
	}
	if o.Password == "" {
		o.Password = DefaultPassword
	}
	if o.Sessions <= 0 {
		o.Sessions = 10
	}
	if o.VUs <= 0 {
		o.VUs = 32
	}
	if o.Duration <= 0 {
		o.Duration = 30 * time.Second
	}
	if o.Mix == "" {
		o.Mix = DefaultMix
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.Timeout <= 0 {
		o.Timeout = 60 * time.Second
	}
	if o.PageDepth <= 0 {
		o.PageDepth = 10
	}
}

// mixEntry is an operation and its cumulative weight.
type mixEntry struct {
	op  string
	cum int
}

// ParseMix reads "list=40,search2=15,…" into operations with cumulative weights.
func ParseMix(s string) ([]mixEntry, error) {
	var out []mixEntry
	total := 0
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, w, ok := strings.Cut(part, "=")
		weight, err := strconv.Atoi(w)
		if !ok || err != nil || weight < 0 {
			return nil, fmt.Errorf("mix %q: %q is not op=weight", s, part)
		}
		known := false
		for _, op := range Ops {
			known = known || op == name
		}
		if !known {
			return nil, fmt.Errorf("mix %q: unknown operation %q (known: %s)", s, name, strings.Join(Ops, ", "))
		}
		if weight == 0 {
			continue
		}
		total += weight
		out = append(out, mixEntry{name, total})
	}
	if total == 0 {
		return nil, fmt.Errorf("mix %q: no operation with a weight", s)
	}
	return out, nil
}

// session is a signed-in user.
type session struct {
	token, userID, username string
}

// driver is a run in progress.
type driver struct {
	o      DriveOptions
	client *http.Client
	mix    []mixEntry
	done   atomic.Int64             // requests answered, for the progress lines
	counts map[string]*atomic.Int64 // requests per operation, for MinEach
	caller context.Context          // Drive's context: when it ends, MinEach is not waited for
}

// NewClient is an HTTP client for vus concurrent users: one kept-alive connection each.
func NewClient(vus int, timeout time.Duration) *http.Client {
	tr := &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        vus + 16,
		MaxIdleConnsPerHost: vus + 16,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	return &http.Client{Transport: tr, Timeout: timeout}
}

// Drive signs in, runs the mix with o.VUs virtual users for o.Duration and reports.
func Drive(ctx context.Context, o DriveOptions) (*Report, error) {
	o.Defaults()
	mix, err := ParseMix(o.Mix)
	if err != nil {
		return nil, err
	}
	d := &driver{o: o, client: NewClient(o.VUs, o.Timeout), mix: mix, counts: map[string]*atomic.Int64{}, caller: ctx}
	for _, op := range Ops {
		d.counts[op] = new(atomic.Int64)
	}
	defer d.client.CloseIdleConnections()
	signInStart := time.Now()
	sessions, err := d.signIn(ctx)
	if err != nil {
		return nil, err
	}
	if o.Progress != nil {
		fmt.Fprintf(o.Progress, "signed in %d session(s) as %s in %s; driving with %d virtual users for %s\n", len(sessions), o.As,
			time.Since(signInStart).Round(time.Millisecond), o.VUs, o.Duration)
	}
	recs := make([]*recorder, o.VUs)
	var wg sync.WaitGroup
	runCtx, cancel := context.WithTimeout(ctx, o.Duration)
	defer cancel()
	start := time.Now()
	for n := range o.VUs {
		recs[n] = newRecorder()
		v := &vu{d: d, n: n, s: sessions[n%len(sessions)], rec: recs[n], versions: map[string]int64{},
			r: rand.New(rand.NewPCG(o.Seed, uint64(n)))}
		wg.Add(1)
		go func() { defer wg.Done(); v.run(runCtx) }()
	}
	progressDone := make(chan struct{})
	go d.progress(runCtx, start, progressDone)
	wg.Wait()
	elapsed := time.Since(start)
	<-progressDone
	ops, overall := summarize(recs, Ops, elapsed)
	return &Report{Target: o.URL, As: o.As, Sessions: len(sessions), VUs: o.VUs, Mix: o.Mix, Seconds: elapsed.Seconds(), Ops: ops, Overall: overall}, nil
}

func (d *driver) progress(ctx context.Context, start time.Time, done chan<- struct{}) {
	defer close(done)
	if d.o.Progress == nil {
		return
	}
	tick := time.NewTicker(10 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			fmt.Fprintf(d.o.Progress, "%4.0f s: %d requests answered\n", time.Since(start).Seconds(), d.done.Load())
		}
	}
}

// signIn opens the sessions the virtual users share: the administrator's, or Sessions seeded
// sales users' (managers': at most one per branch).
func (d *driver) signIn(ctx context.Context) ([]*session, error) {
	var users []string
	pw := d.o.Password
	switch d.o.As {
	case "admin":
		users, pw = []string{d.o.AdminUser}, d.o.AdminPassword
		if pw == "" {
			return nil, errors.New("the administrator's password is needed: set CHRONICLE_ADMIN_PASSWORD")
		}
	case "sales":
		for i := range d.o.Sessions {
			users = append(users, SalesUsername(i+1))
		}
	case "manager":
		for i := range min(d.o.Sessions, Managers()) {
			users = append(users, ManagerUsername(i+1))
		}
	default:
		return nil, fmt.Errorf("-as %q: use admin, sales or manager", d.o.As)
	}
	var out []*session
	for _, u := range users {
		s, err := d.login(ctx, u, pw)
		if err != nil {
			return nil, fmt.Errorf("sign in as %s: %w", u, err)
		}
		out = append(out, s)
	}
	return out, nil
}

// login signs one user in, waiting out 429 and 503 answers (sign-ins are throttled per address
// and password checks take turns).
func (d *driver) login(ctx context.Context, username, password string) (*session, error) {
	body, _ := json.Marshal(map[string]string{"username": username, "password": password})
	for attempt := 1; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.o.URL+"/api/v1/auth/login", bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := d.client.Do(req)
		if err != nil {
			return nil, err
		}
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		switch {
		case resp.StatusCode == http.StatusOK:
			var in struct {
				Token string `json:"token"`
				User  struct {
					ID string `json:"id"`
				} `json:"user"`
			}
			if err := json.Unmarshal(b, &in); err != nil || in.Token == "" {
				return nil, fmt.Errorf("unexpected answer %.200s", b)
			}
			return &session{token: in.Token, userID: in.User.ID, username: username}, nil
		case (resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable) && attempt < 10:
			wait := time.Second
			if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
				wait = time.Duration(s) * time.Second
			}
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(wait):
			}
		default:
			return nil, fmt.Errorf("%s: %.200s", resp.Status, b)
		}
	}
}

// vu is one virtual user: a loop of operations drawn from the mix. It remembers leads it has
// seen (for detail and update), the cursor of its last list page and the versions of the leads it
// changed.
type vu struct {
	d        *driver
	n        int
	s        *session
	r        *rand.Rand
	rec      *recorder
	seen     []seenLead // a ring of leads from lists and searches
	next     int
	mobiles  []string // mobiles seen, for exact phone searches
	cursor   string
	depth    int
	versions map[string]int64 // leads this user changed, at the version it made
	visits   int
	body     bytes.Buffer
}

type seenLead struct {
	ID      string  `json:"id"`
	Version int64   `json:"version"`
	OwnerID *string `json:"ownerId"`
	Mobile  string  `json:"mobile"`
}

const seenCap = 256

// lacking is an operation of the mix that has run fewer than MinEach times, the one that ran
// fewest; "" when there is none.
func (d *driver) lacking() string {
	op, least := "", int64(d.o.MinEach)
	for _, e := range d.mix {
		if n := d.counts[e.op].Load(); n < least {
			op, least = e.op, n
		}
	}
	return op
}

func (v *vu) run(ctx context.Context) {
	for {
		if ctx.Err() != nil { // the time is up: finish the operations MinEach asks for
			op := v.d.lacking()
			if op == "" || v.d.caller.Err() != nil {
				return
			}
			v.do(ctx, op)
			continue
		}
		k := v.r.IntN(v.d.mix[len(v.d.mix)-1].cum)
		op := ""
		for _, e := range v.d.mix {
			if k < e.cum {
				op = e.op
				break
			}
		}
		v.do(ctx, op)
		if v.d.o.Think > 0 {
			select {
			case <-ctx.Done():
			case <-time.After(v.d.o.Think):
			}
		}
	}
}

func (v *vu) do(ctx context.Context, op string) {
	switch op {
	case "list":
		v.list(ctx)
	case "page":
		if v.cursor == "" || v.depth >= v.d.o.PageDepth {
			v.list(ctx) // a first page to follow next time
			return
		}
		if b, ok := v.call(ctx, "page", http.MethodGet, "/api/v1/leads?limit=50&cursor="+url.QueryEscape(v.cursor), nil, "", http.StatusOK); ok {
			v.depth++
			v.cursor = nextCursor(b)
			v.learn(b)
		}
	case "customers":
		v.call(ctx, "customers", http.MethodGet, "/api/v1/customers?limit=50", nil, "", http.StatusOK)
	case "search2":
		v.search(ctx, op, Needle2(v.r))
	case "search4":
		v.search(ctx, op, Needle4(v.r))
	case "phone":
		needle := PhoneNeedle(v.r)
		if len(v.mobiles) > 0 && v.r.IntN(2) == 0 {
			needle = pick(v.r, v.mobiles)
		}
		v.search(ctx, op, needle)
	case "detail":
		if len(v.seen) == 0 {
			v.list(ctx)
			return
		}
		l := v.seen[v.r.IntN(len(v.seen))]
		v.call(ctx, "detail", http.MethodGet, "/api/v1/leads/"+l.ID, nil, "", http.StatusOK)
	case "create":
		v.create(ctx)
	case "update":
		v.update(ctx)
	}
}

func (v *vu) list(ctx context.Context) {
	if b, ok := v.call(ctx, "list", http.MethodGet, "/api/v1/leads?limit=50", nil, "", http.StatusOK); ok {
		v.cursor, v.depth = nextCursor(b), 0
		v.learn(b)
	}
}

func (v *vu) search(ctx context.Context, op, q string) {
	if b, ok := v.call(ctx, op, http.MethodGet, "/api/v1/leads?limit=50&q="+url.QueryEscape(q), nil, "", http.StatusOK); ok {
		v.learn(b)
	}
}

// mine reports whether this virtual user alone updates the lead: leads are split among the
// virtual users by id, so no two of them change one lead at once (If-Match would fail).
func (v *vu) mine(id string) bool {
	h := fnv.New32a()
	h.Write([]byte(id))
	return int(h.Sum32()%uint32(v.d.o.VUs)) == v.n
}

// create enters a lead owned by the signed-in user, with an id of this virtual user's share.
func (v *vu) create(ctx context.Context) (string, bool) {
	id := uuid.Must(uuid.NewV7()).String()
	for !v.mine(id) {
		id = uuid.Must(uuid.NewV7()).String()
	}
	r := v.r
	body, _ := json.Marshal(map[string]any{"id": id, "name": PersonName(r), "company": Company(r), "mobile": Mobile(r), "source": pick(r, sources),
		"industry": pick(r, industries), "level": pick(r, levels), "address": Address(r, pick(r, cities).Name), "remark": pick(r, remarks)})
	hdr, ok := v.callHeader(ctx, "create", http.MethodPost, "/api/v1/leads", body, "", http.StatusCreated, http.StatusAccepted)
	if ok {
		if ver, err := strconv.ParseInt(strings.Trim(hdr.Get("ETag"), `"`), 10, 64); err == nil {
			v.versions[id] = ver
		}
	}
	return id, ok
}

// update changes the remark, status and next follow-up of a lead this virtual user may change,
// with If-Match: the version it knows.
func (v *vu) update(ctx context.Context) {
	var cands []string
	for id := range v.versions {
		cands = append(cands, id)
	}
	for _, l := range v.seen {
		if _, ok := v.versions[l.ID]; !ok && v.mine(l.ID) && v.editable(l) {
			cands = append(cands, l.ID)
		}
	}
	if len(cands) == 0 {
		if _, ok := v.create(ctx); !ok { // something to change next time
			return
		}
		for id := range v.versions {
			cands = append(cands, id)
		}
	}
	id := cands[v.r.IntN(len(cands))]
	version := v.versions[id]
	for _, l := range v.seen {
		if l.ID == id {
			version = max(version, l.Version)
		}
	}
	v.visits++
	next := time.Now().Add(time.Duration(24+v.r.IntN(24*14)) * time.Hour).UTC().Truncate(time.Hour)
	body, _ := json.Marshal(map[string]any{"remark": FollowUpRemark(v.r, v.visits), "status": "following", "nextFollowUpAt": next.Format(time.RFC3339)})
	hdr, ok := v.callHeader(ctx, "update", http.MethodPatch, "/api/v1/leads/"+id, body, `"`+strconv.FormatInt(version, 10)+`"`, http.StatusOK, http.StatusAccepted)
	if ok {
		if ver, err := strconv.ParseInt(strings.Trim(hdr.Get("ETag"), `"`), 10, 64); err == nil {
			v.versions[id] = ver
		}
	}
}

// editable: administrators change any lead; others the leads they own (pool leads are changed
// by those who assign).
func (v *vu) editable(l seenLead) bool {
	if v.d.o.As == "admin" {
		return true
	}
	return l.OwnerID != nil && *l.OwnerID == v.s.userID
}

// learn remembers the leads of a list answer. Decoding a page costs the generator CPU, so once
// the ring is full only one answer in four is read.
func (v *vu) learn(body []byte) {
	if len(v.seen) >= seenCap && v.r.IntN(4) > 0 {
		return
	}
	var page struct {
		Items []seenLead `json:"items"`
	}
	if json.Unmarshal(body, &page) != nil {
		return
	}
	for _, l := range page.Items {
		if len(v.seen) < seenCap {
			v.seen = append(v.seen, l)
		} else {
			v.seen[v.next] = l
			v.next = (v.next + 1) % seenCap
		}
		if m := digits(l.Mobile); len(m) == 11 && len(v.mobiles) < 64 {
			v.mobiles = append(v.mobiles, m)
		}
	}
}

func digits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// nextCursor finds the nextCursor of a list answer without decoding the items.
func nextCursor(body []byte) string {
	const key = `"nextCursor":"`
	i := bytes.LastIndex(body, []byte(key))
	if i < 0 {
		return ""
	}
	rest := body[i+len(key):]
	j := bytes.IndexByte(rest, '"')
	if j < 0 {
		return ""
	}
	return string(rest[:j])
}

func (v *vu) call(ctx context.Context, op, method, path string, body []byte, ifMatch string, want ...int) ([]byte, bool) {
	_, ok := v.callHeader(ctx, op, method, path, body, ifMatch, want...)
	return v.body.Bytes(), ok
}

// callHeader sends one request and records it under op: a success when the status is one of
// want, else an error under its status ("transport" when no answer came). The time counted is
// from sending to the last byte of the answer. The end of the run does not interrupt a request:
// it is answered (or times out) and recorded.
func (v *vu) callHeader(ctx context.Context, op, method, path string, body []byte, ifMatch string, want ...int) (http.Header, bool) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(context.WithoutCancel(ctx), method, v.d.o.URL+path, rd)
	if err != nil {
		v.rec.record(op, 0, "transport", err.Error())
		return nil, false
	}
	req.Header.Set("Authorization", "Bearer "+v.s.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if ifMatch != "" {
		req.Header.Set("If-Match", ifMatch)
	}
	v.body.Reset()
	start := time.Now()
	resp, err := v.d.client.Do(req)
	if err == nil {
		_, err = v.body.ReadFrom(resp.Body)
		resp.Body.Close()
	}
	took := time.Since(start)
	v.d.done.Add(1)
	v.d.counts[op].Add(1)
	if err != nil {
		v.rec.record(op, took, "transport", err.Error())
		return nil, false
	}
	for _, w := range want {
		if resp.StatusCode == w {
			v.rec.record(op, took, "", "")
			return resp.Header, true
		}
	}
	v.rec.record(op, took, strconv.Itoa(resp.StatusCode), fmt.Sprintf("%s %s: %d %.200s", method, path, resp.StatusCode, v.body.Bytes()))
	return resp.Header, false
}
