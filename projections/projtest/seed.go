package projtest

// Generated lead logs for benchmarks. The event log is seeded by bulk inserts into the store's
// own tables (the port appends one stream per call, and 100,000 fsynced single-stream appends
// would dominate the run); the events themselves are what the commands would have appended:
// recorded by the lead aggregate and encoded by commands.Encode, one stream per lead, with
// consecutive versions.

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/chronicle-crm/chronicle/adapters/eventstore/postgres"
	esqlite "github.com/chronicle-crm/chronicle/adapters/eventstore/sqlite"
	"github.com/chronicle-crm/chronicle/adapters/pgtest"
	rpostgres "github.com/chronicle-crm/chronicle/adapters/readstore/postgres"
	rsqlite "github.com/chronicle-crm/chronicle/adapters/readstore/sqlite"
	"github.com/chronicle-crm/chronicle/adapters/runtimecfg"
	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/domain/lead"
	"github.com/chronicle-crm/chronicle/domain/user"
	"github.com/chronicle-crm/chronicle/projections/engine"
	"github.com/chronicle-crm/chronicle/projections/leadproj"
	"github.com/chronicle-crm/chronicle/projections/orgproj"
	"github.com/chronicle-crm/chronicle/readmodels"
	"github.com/chronicle-crm/chronicle/readmodels/leadview"
)

// CleanupOn is tb with its cleanups deferred to owner: a fixture built inside a sub-benchmark
// (which skips or fails the sub-benchmark) can outlive the sub-benchmark's repeated runs.
type CleanupOn struct {
	testing.TB
	Owner testing.TB
}

func (c CleanupOn) Cleanup(f func()) { c.Owner.Cleanup(f) }
func (c CleanupOn) TempDir() string  { return c.Owner.TempDir() }

// BenchBackend opens stores for benchmarks on one engine.
type BenchBackend struct {
	Name string
	// Store opens a fresh, empty event store and returns a bulk loader for it.
	Store func(tb testing.TB) (eventstore.Store, bulkLoader)
	// DB opens a fresh, empty read-model database.
	DB func(tb testing.TB) *readmodels.DB
}

// bulkLoader appends seeded events, in order, in large batches.
type bulkLoader func(ctx context.Context, events []seedEvent) error

// BenchBackends are SQLite and PostgreSQL, for benchmarks.
func BenchBackends() []BenchBackend {
	return []BenchBackend{
		{"sqlite", func(tb testing.TB) (eventstore.Store, bulkLoader) {
			path := filepath.Join(tb.TempDir(), "events.db")
			s, err := esqlite.Open(context.Background(), path)
			if err != nil {
				tb.Fatal(err)
			}
			tb.Cleanup(func() { s.Close() })
			return s, func(ctx context.Context, events []seedEvent) error { return sqliteBulkLoad(ctx, path, events) }
		}, func(tb testing.TB) *readmodels.DB {
			db, err := rsqlite.Open(context.Background(), filepath.Join(tb.TempDir(), "read.db"))
			if err != nil {
				tb.Fatal(err)
			}
			tb.Cleanup(func() { db.Close() })
			return db
		}},
		{"postgres", func(tb testing.TB) (eventstore.Store, bulkLoader) {
			s, err := postgres.Open(context.Background(), pgtest.URL(tb))
			if err != nil {
				tb.Fatal(err)
			}
			tb.Cleanup(func() { s.Close() })
			return s, func(ctx context.Context, events []seedEvent) error { return postgresBulkLoad(ctx, s, events) }
		}, func(tb testing.TB) *readmodels.DB {
			db, err := rpostgres.Open(context.Background(), pgtest.URL(tb))
			if err != nil {
				tb.Fatal(err)
			}
			tb.Cleanup(func() { db.Close() })
			return db
		}},
	}
}

// seedEvent is one event of the seeded log, in log order.
type seedEvent struct {
	stream  string
	version int64
	eventstore.EventData
}

// sqliteBulkLoad inserts into the SQLite event store's table through a second connection, 500
// rows a statement and 20,000 a transaction. Positions follow the insertion order.
func sqliteBulkLoad(ctx context.Context, path string, events []seedEvent) error {
	db, err := sql.Open("sqlite", esqlite.DSN(path, "synchronous(NORMAL)"))
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	const rowsPerStmt, rowsPerTx = 500, 20_000
	now := time.Now().UnixMicro()
	for start := 0; start < len(events); start += rowsPerTx {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		end := min(start+rowsPerTx, len(events))
		for s := start; s < end; s += rowsPerStmt {
			chunk := events[s:min(s+rowsPerStmt, end)]
			args := make([]any, 0, 8*len(chunk))
			for _, e := range chunk {
				meta, err := jsonMarshal(e.Metadata)
				if err != nil {
					_ = tx.Rollback()
					return err
				}
				args = append(args, e.ID.String(), e.stream, e.version, e.Type, e.OccurredAt.UnixMicro(), now, string(e.Data), meta)
			}
			q := `INSERT INTO events (event_id, stream_id, version, type, occurred_at, recorded_at, data, metadata) VALUES ` +
				strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?, ?, ?), ", len(chunk)), ", ")
			if _, err := tx.ExecContext(ctx, q, args...); err != nil {
				_ = tx.Rollback()
				return fmt.Errorf("bulk insert: %w", err)
			}
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	return nil
}

// postgresBulkLoad copies into the PostgreSQL event store's table under the append lock, as
// the adapter asks of every other writer. Positions follow the COPY order.
func postgresBulkLoad(ctx context.Context, s *postgres.Store, events []seedEvent) error {
	const rowsPerTx = 20_000
	for start := 0; start < len(events); start += rowsPerTx {
		chunk := events[start:min(start+rowsPerTx, len(events))]
		rows := make([][]any, len(chunk))
		for i, e := range chunk {
			meta, err := jsonMarshal(e.Metadata)
			if err != nil {
				return err
			}
			rows[i] = []any{pgtype.UUID{Bytes: e.ID, Valid: true}, e.stream, e.version, e.Type, e.OccurredAt, []byte(e.Data), []byte(meta)}
		}
		err := pgx.BeginFunc(ctx, s.Pool(), func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", postgres.AppendLockKey); err != nil {
				return err
			}
			_, err := tx.CopyFrom(ctx, pgx.Identifier{"events"},
				[]string{"event_id", "stream_id", "version", "type", "occurred_at", "data", "metadata"}, pgx.CopyFromRows(rows))
			return err
		})
		if err != nil {
			return fmt.Errorf("bulk copy: %w", err)
		}
	}
	return nil
}

// jsonMarshal encodes metadata as the adapters store it.
func jsonMarshal(m eventstore.Metadata) (string, error) {
	b, err := json.Marshal(m)
	return string(b), err
}

// LeadData is a generated lead log plus facts about it that searches need.
type LeadData struct {
	Events []seedEvent
	Leads  int
	Sales  []access.Actor
	// final states, by lead
	Owner  map[uuid.UUID]uuid.UUID // uuid.Nil: in the pool
	Fields map[uuid.UUID]lead.Fields
	IDs    []uuid.UUID
}

var (
	surnames = []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦傅方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
	given    = []rune("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国志红玉文辉海燕鹏飞宇浩然子轩欣怡晨阳思雨佳琪俊峰晓东丹丽萍春梅永健")
	cities   = []struct{ name, code string }{
		{"北京", "010"}, {"上海", "021"}, {"广州", "020"}, {"深圳", "0755"}, {"杭州", "0571"}, {"南京", "025"}, {"苏州", "0512"},
		{"成都", "028"}, {"武汉", "027"}, {"西安", "029"}, {"重庆", "023"}, {"天津", "022"}, {"长沙", "0731"}, {"郑州", "0371"},
		{"青岛", "0532"}, {"厦门", "0592"}, {"宁波", "0574"}, {"合肥", "0551"}, {"济南", "0531"}, {"福州", "0591"},
	}
	// One brand in 25 is 星河; one industry word in 15 is 科技.
	brands     = []string{"星河", "华信", "中科", "东方", "恒达", "金鼎", "宏图", "瑞丰", "天成", "博远", "鑫源", "锦程", "新锐", "联创", "汇通", "海纳", "凯盛", "安泰", "永昌", "盛世", "银河", "明德", "正泰", "远景", "润华"}
	trades     = []string{"科技", "贸易", "实业", "信息技术", "网络", "电子", "机械", "医药", "食品", "建材", "物流", "文化传媒", "环保", "教育", "咨询"}
	suffixes   = []string{"有限公司", "有限公司", "有限公司", "股份有限公司", "集团有限公司", "有限责任公司"}
	districts  = []string{"朝阳区", "海淀区", "浦东新区", "天河区", "南山区", "西湖区", "鼓楼区", "高新区", "经开区", "滨江区"}
	roads      = []string{"建设路", "人民路", "解放路", "中山路", "文三路", "科技路", "长江路", "世纪大道", "工业园路", "创业路"}
	sources    = []string{"官网咨询", "展会", "客户转介绍", "电话营销", "百度推广", "微信公众号", "阿里巴巴"}
	industries = []string{"制造业", "互联网", "零售", "教育", "医疗", "金融", "物流", "建筑"}
	remarks    = []string{"客户对报价敏感，下周回访", "已发送产品资料", "需要对接技术负责人", "预算在审批中", "约了下周二上门拜访", "对竞品有兴趣，需跟进", ""}
	mobilePfx  = []string{"130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "155", "158", "159", "166", "177", "180", "181", "186", "187", "188", "189", "199"}
	reasons    = []string{"无意向", "联系不上", "预算不足", "已选择其他供应商", "转交同事跟进"}
)

func pick[T any](r *rand.Rand, s []T) T { return s[r.IntN(len(s))] }

func chineseName(r *rand.Rand) string {
	n := string(pick(r, surnames)) + string(pick(r, given))
	if r.IntN(3) > 0 {
		n += string(pick(r, given))
	}
	return n
}

func randomFields(r *rand.Rand, i int) lead.Fields {
	c := pick(r, cities)
	company := pick(r, brands) + pick(r, trades) + pick(r, suffixes)
	if r.IntN(5) > 0 {
		company = c.name + company
	}
	f := lead.Fields{
		Name: chineseName(r), Company: company, Source: pick(r, sources), Industry: pick(r, industries),
		Level:   string(rune('A' + r.IntN(3))),
		Address: fmt.Sprintf("%s市%s%s%d号", c.name, pick(r, districts), pick(r, roads), 1+r.IntN(999)),
		Remark:  pick(r, remarks),
	}
	if r.IntN(10) < 7 {
		m := pick(r, mobilePfx) + fmt.Sprintf("%08d", r.IntN(100_000_000))
		if r.IntN(3) == 0 {
			m = m[:3] + " " + m[3:7] + " " + m[7:]
		}
		f.Mobile = m
	}
	if f.Mobile == "" || r.IntN(2) == 0 {
		digits := 8
		if len(c.code) == 4 {
			digits = 7 + r.IntN(2)
		}
		num := fmt.Sprintf("%0*d", digits, r.IntN(100_000_000)%pow10(digits))
		f.Phone = c.code + "-" + num[:len(num)-4] + " " + num[len(num)-4:]
	}
	if r.IntN(10) < 3 {
		f.Email = fmt.Sprintf("contact%06d@example.com.cn", i)
	}
	return f
}

func pow10(n int) int {
	p := 1
	for range n {
		p *= 10
	}
	return p
}

// generateLeadEvents builds a log of nEvents lead events of which nLeads create leads; the
// others (updates, claims, releases of earlier leads, mostly of leads created long before)
// are interleaved as they would be in a working CRM. It is deterministic.
func generateLeadEvents(tb testing.TB, nLeads, nEvents int) *LeadData {
	tb.Helper()
	r := rand.New(rand.NewPCG(20240101, uint64(nEvents)))
	d := &LeadData{Leads: nLeads, Owner: map[uuid.UUID]uuid.UUID{}, Fields: map[uuid.UUID]lead.Fields{}}
	for i := range 20 {
		d.Sales = append(d.Sales, access.Actor{ID: uuid.MustParse(fmt.Sprintf("0190b000-0000-7000-8000-%012d", i+1)),
			Name: chineseName(r), Roles: []string{user.RoleSales}})
	}
	type state struct {
		agg     *lead.Lead
		version int64
		seen    int
		visits  int
	}
	var leads []*state
	at := time.Date(2024, 1, 2, 1, 0, 0, 0, time.UTC)
	emit := func(s *state, m commands.Meta) {
		changes := s.agg.Changes()
		if len(changes) != s.seen+1 {
			tb.Fatalf("lead %s recorded %d events, want 1", s.agg.ID(), len(changes)-s.seen)
		}
		data, err := commands.Encode(m, at, changes[s.seen:])
		if err != nil {
			tb.Fatal(err)
		}
		s.seen++
		s.version++
		d.Events = append(d.Events, seedEvent{stream: lead.Stream(s.agg.ID()), version: s.version, EventData: data[0]})
	}
	meta := func(a access.Actor, command string) commands.Meta {
		return commands.Meta{Actor: a, Command: command, RequestID: fmt.Sprintf("%016x", r.Uint64()), CorrelationID: uuid.NewString()}
	}
	creates, others := nLeads, nEvents-nLeads
	for creates+others > 0 {
		at = at.Add(time.Duration(r.IntN(600_000_000)) * time.Microsecond)
		if len(leads) == 0 || others == 0 || (creates > 0 && r.IntN(creates+others) < creates) {
			creates--
			id := uuid.Must(uuid.NewV7())
			actor := pick(r, d.Sales)
			owner := actor.ID
			if r.IntN(4) == 0 {
				actor, owner = Manager.Actor, uuid.Nil // entered straight into the pool
			}
			agg, err := lead.New(id, randomFields(r, len(leads)), owner, actor.ID, at)
			if err != nil {
				tb.Fatal(err)
			}
			s := &state{agg: agg}
			leads = append(leads, s)
			d.IDs = append(d.IDs, id)
			emit(s, meta(actor, "lead.create"))
			continue
		}
		others--
		s := pick(r, leads)
		owner := s.agg.Owner()
		actor := Manager.Actor
		for _, u := range d.Sales {
			if u.ID == owner {
				actor = u
			}
		}
		var err error
		var command string
		switch k := r.IntN(100); {
		case k < 55:
			command = "lead.update"
			s.visits++
			remark := fmt.Sprintf("第%d次回访：%s", s.visits, pick(r, remarks[:len(remarks)-1]))
			next := at.Add(time.Duration(24+r.IntN(24*14)) * time.Hour).Truncate(time.Hour)
			p := lead.Patch{Remark: &remark, NextFollowUpAt: &next}
			switch st := s.agg.Status(); {
			case st == lead.StatusNew:
				following := lead.StatusFollowing
				p.Status = &following
			case r.IntN(10) == 0:
				invalid := lead.StatusInvalid
				p.Status = &invalid
			}
			err = s.agg.Update(p, actor.ID, at)
		case s.agg.InPool():
			command = "lead.claim"
			actor = pick(r, d.Sales)
			err = s.agg.Claim(actor.ID, at)
		default:
			command = "lead.release"
			err = s.agg.Release(pick(r, reasons), actor.ID, at)
		}
		if err != nil {
			tb.Fatal(err)
		}
		emit(s, meta(actor, command))
	}
	for _, s := range leads {
		d.Owner[s.agg.ID()] = s.agg.Owner()
		d.Fields[s.agg.ID()] = s.agg.Fields()
	}
	return d
}

// Seeded is an event store holding a generated lead log.
type Seeded struct {
	Store eventstore.Store
	Data  *LeadData
	Head  uint64
}

// Seed opens a fresh event store of the backend and bulk-loads a generated log into it.
func Seed(tb testing.TB, be BenchBackend, nLeads, nEvents int) *Seeded {
	tb.Helper()
	t0 := time.Now()
	data := generateLeadEvents(tb, nLeads, nEvents)
	gen := time.Since(t0)
	store, load := be.Store(tb)
	ctx := context.Background()
	if err := load(ctx, data.Events); err != nil {
		tb.Fatal(err)
	}
	head, err := store.Head(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	if head != uint64(len(data.Events)) {
		tb.Fatalf("seeded log head %d, want %d", head, len(data.Events))
	}
	// The store reads back what the commands would have appended.
	last := data.Events[len(data.Events)-1]
	evs, err := store.Load(ctx, last.stream, eventstore.LoadOptions{})
	if err != nil || int64(len(evs)) != last.version || evs[len(evs)-1].ID != last.ID || evs[len(evs)-1].Type != last.Type {
		tb.Fatalf("seeded stream %s reads back as %d events (%v), want %d ending with %s", last.stream, len(evs), err, last.version, last.ID)
	}
	tb.Logf("%s: generated %d events (%d leads) in %v, loaded in %v", be.Name, len(data.Events), nLeads, gen.Round(time.Millisecond), (time.Since(t0) - gen).Round(time.Millisecond))
	return &Seeded{Store: store, Data: data, Head: head}
}

// RunEngine starts a projection engine (leads and users, as the server runs it) over store and
// db, from whatever checkpoints db holds; stop ends it.
// A non-nil wrap wraps the leads projector.
func RunEngine(tb testing.TB, store eventstore.Store, db *readmodels.DB, wrap func(engine.Projector) engine.Projector) (eng *engine.Engine, stop func()) {
	tb.Helper()
	reg := Registry()
	var leads engine.Projector = leadproj.New(reg)
	if wrap != nil {
		leads = wrap(leads)
	}
	eng, err := engine.New(store, db, engine.Options{PageSize: 1000, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))},
		leads, orgproj.New(reg))
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := eng.Prepare(ctx); err != nil {
		cancel()
		tb.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- eng.Run(ctx) }()
	select {
	case <-eng.Running():
	case err := <-done:
		cancel()
		tb.Fatalf("engine stopped at start: %v", err)
	}
	return eng, func() { cancel(); <-done }
}

// WaitForLeads blocks until the leads projection has processed position head.
func WaitForLeads(tb testing.TB, eng *engine.Engine, head uint64) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	if err := eng.WaitFor(ctx, head, leadview.Projection); err != nil {
		st, _ := eng.Status(context.Background())
		tb.Fatalf("leads projection did not reach %d: %v; status %+v", head, err, st)
	}
}

// CountLeads is the number of leads the read model serves.
func CountLeads(tb testing.TB, db *readmodels.DB) int64 {
	tb.Helper()
	var n int64 // a list's total stops at readmodels.TotalBound: count the table
	if err := db.SQL.QueryRowContext(context.Background(), "SELECT count(*) FROM "+db.Gens.Table(leadview.Projection, "leads")).Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}

// Concurrently measures run at 32 concurrent callers (30 calls each per b.N) and reports the
// p50 and p99 latencies in milliseconds: how the benchmarks of read queries measure, beside a
// reference query in the same run.
func Concurrently(b *testing.B, run func() error) { Callers(b, 32, 30, run) }

// Callers measures run at the given number of concurrent callers (each calls it each times per
// b.N) and reports the p50 and p99 latencies in milliseconds; one caller measures a reader alone.
// The collector runs as in the server (runtimecfg.ServerGC; GOGC in the environment wins).
func Callers(b *testing.B, workers, each int, run func() error) {
	runtimecfg.ServerGC()
	lat := make([]time.Duration, 0, workers*each*b.N)
	var mu sync.Mutex
	b.ResetTimer()
	for range b.N {
		var wg sync.WaitGroup
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				mine := make([]time.Duration, 0, each)
				for range each {
					t := time.Now()
					if err := run(); err != nil {
						b.Error(err)
						return
					}
					mine = append(mine, time.Since(t))
				}
				mu.Lock()
				lat = append(lat, mine...)
				mu.Unlock()
			}()
		}
		wg.Wait()
	}
	b.StopTimer()
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	p := func(q float64) float64 { return float64(lat[int(q*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(p(0.5), "p50-ms")
	b.ReportMetric(p(0.99), "p99-ms")
	if os.Getenv("CHRONICLE_BENCH_DIST") != "" {
		b.Logf("p90 %.2f p95 %.2f p98 %.2f p99 %.2f max %.2f ms", p(0.9), p(0.95), p(0.98), p(0.99), p(1))
	}
}

// CopyRows COPYs rows into table (cols: the column names as a view's InsertColumns lists them,
// comma-separated), for benchmarks that load a read model as a rebuild would; the read store
// must be able to COPY (PostgreSQL).
func CopyRows(tb testing.TB, ctx context.Context, db *readmodels.DB, table, cols string, rows [][]any) {
	tb.Helper()
	if len(rows) == 0 {
		return
	}
	names := strings.Split(strings.ReplaceAll(cols, " ", ""), ",")
	conn, err := db.SQL.Conn(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	defer conn.Close()
	c, ok := db.Dialect.(readmodels.Copier)
	if !ok {
		tb.Fatal("the read store cannot COPY")
	}
	if err := conn.Raw(func(dc any) error { return c.Copy(ctx, dc, table, names, rows) }); err != nil {
		tb.Fatalf("copy %s: %v", table, err)
	}
}
