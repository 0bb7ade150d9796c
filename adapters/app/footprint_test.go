package app_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	_ "modernc.org/sqlite" // database/sql driver "sqlite", to checkpoint the files before measuring

	"github.com/chronicle-crm/chronicle/adapters/httpapi/apitest"
	"github.com/chronicle-crm/chronicle/adapters/pgtest"
	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/commands/customercmd"
	"github.com/chronicle-crm/chronicle/commands/followup"
	"github.com/chronicle-crm/chronicle/commands/leadcmd"
	"github.com/chronicle-crm/chronicle/domain/contact"
	"github.com/chronicle-crm/chronicle/domain/customer"
	"github.com/chronicle-crm/chronicle/domain/lead"
)

// maxFootprint is the most the disk of the event log plus what the read-model tables grew by may
// be, as a multiple of the event log's own disk (see docs/performance.md, "Disk footprint"). The
// fixed part, every module's empty tables and indexes measured before any record is entered
// (about 2.4 MiB on PostgreSQL with opportunities and products, 0.9 MiB on SQLite), grows with the modules, not with
// the business, and would otherwise dominate at this test's 5,312 events; the part that grows must
// stay within the target, 2.5.
var maxFootprint = map[string]float64{"sqlite": 2.5, "postgres": 2.5}

// footprintRounds of footprintRound commands each are what the footprint test seeds: enough that
// the fixed part of the read models' disk (empty tables and indexes, free-space maps, the pending
// lists of the search indexes: about 3 MiB on PostgreSQL) weighs little beside the part that grows
// with the log. CHRONICLE_FOOTPRINT_ROUNDS changes the number of rounds (docs/performance.md).
var footprintRounds, footprintRound = envInt("CHRONICLE_FOOTPRINT_ROUNDS", 5), 1000

// TestDiskFootprint seeds a working CRM's mix of events through the commands (leads and customers
// entered, edited and followed up, contacts added, leads released and claimed, by a dozen users),
// lets every projection catch up, and compares the disk of the read models with that of the event
// log: the read models index the log, they must not copy it.
//
// On PostgreSQL every table is vacuumed after each round of commands, as autovacuum does about
// every minute on a server taking tens of commands a second (the test server may run without
// autovacuum): without it, the dead row versions of every edit and the pending lists of the search
// indexes would grow for as long as the test runs, which no production database shows. SQLite
// reuses freed pages by itself.
func TestDiskFootprint(t *testing.T) {
	for _, engine := range pgtest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			h := apitest.New(t, engine)
			ctx := context.Background()
			team := newTeam(t, h)
			caughtUp(t, h)
			// the fixed part: every table and index of every module, with the organisation only
			sizes := sqliteSizes
			if engine == "postgres" {
				vacuum(t, h)
				sizes = postgresSizes
			}
			_, fixed, _ := sizes(t, h)
			seeded := 0
			for range footprintRounds {
				seeded += team.work(t, footprintRound)
				caughtUp(t, h)
				if engine == "postgres" {
					vacuum(t, h)
				}
			}
			head, err := h.App.Store.Head(ctx)
			if err != nil {
				t.Fatal(err)
			}
			events, readModels, tables := sizes(t, h)
			total := float64(events+readModels) / float64(events)
			ratio := float64(events+readModels-fixed) / float64(events)
			var b strings.Builder
			for _, ts := range tables {
				fmt.Fprintf(&b, "\n  %-40s %8.1f KiB", ts.name, float64(ts.bytes)/1024)
			}
			t.Logf("%s: %d commands (log head %d); event log %.1f KiB, read models and operational tables %.1f KiB, of which %.1f KiB before any record; (event log + the rest) / event log = %.2f, without the fixed part %.2f%s",
				engine, seeded, head, float64(events)/1024, float64(readModels)/1024, float64(fixed)/1024, total, ratio, b.String())
			if ratio > maxFootprint[engine] {
				t.Errorf("the event log and what the read models grew by take %.2f times the event log's disk, want at most %.2f", ratio, maxFootprint[engine])
			}
		})
	}
}

// caughtUp waits until every projection has processed the log's head.
func caughtUp(t *testing.T, h *apitest.Harness) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	head, err := h.App.Store.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.App.Engine.WaitFor(ctx, head, h.App.Engine.Names()...); err != nil {
		t.Fatalf("projections did not reach %d: %v", head, err)
	}
}

// vacuum vacuums every table of the test's PostgreSQL schema (the event store's and the read
// models').
func vacuum(t *testing.T, h *apitest.Harness) {
	t.Helper()
	var names []string
	rows, err := h.App.DB.SQL.Query(`SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = current_schema() AND c.relkind = 'r'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		names = append(names, name)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		if _, err := h.App.DB.SQL.Exec(`VACUUM "` + name + `"`); err != nil {
			t.Fatalf("vacuum %s: %v", name, err)
		}
	}
}

type tableSize struct {
	name  string
	bytes int64
}

// postgresSizes measures pg_total_relation_size (heap, TOAST and indexes) of the events table
// and of every other table of the test's schema: the read models and the operational tables.
func postgresSizes(t *testing.T, h *apitest.Harness) (events, readModels int64, tables []tableSize) {
	t.Helper()
	rows, err := h.App.DB.SQL.Query(`SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c
		JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND c.relkind = 'r'
		ORDER BY 2 DESC`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var ts tableSize
		if err := rows.Scan(&ts.name, &ts.bytes); err != nil {
			t.Fatal(err)
		}
		if ts.name == "events" {
			events = ts.bytes
		} else {
			readModels += ts.bytes
		}
		tables = append(tables, ts)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if events == 0 {
		t.Fatal("no events table in the test schema")
	}
	return events, readModels, tables
}

// sqliteSizes measures the two database files (events.db, readmodels.db) with their write-ahead
// logs, after checkpointing those into the files.
func sqliteSizes(t *testing.T, h *apitest.Harness) (events, readModels int64, tables []tableSize) {
	t.Helper()
	size := func(name string) int64 {
		path := filepath.Join(h.App.Config.DataDir, name)
		db, err := sql.Open("sqlite", "file:"+path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		// The database's own size: its pages as this connection sees them (the WAL's frames
		// included), not the files' sizes. A checkpoint cannot empty the WAL while the application's
		// connections read (a loaded CI machine measured a 15 MiB WAL beside an 8 MiB database
		// once); frames in the WAL that later frames replace are not data the read models keep.
		if _, err := db.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
			t.Fatal(err)
		}
		var pages, pageSize int64
		if err := db.QueryRow(`PRAGMA page_count`).Scan(&pages); err != nil {
			t.Fatal(err)
		}
		if err := db.QueryRow(`PRAGMA page_size`).Scan(&pageSize); err != nil {
			t.Fatal(err)
		}
		total := pages * pageSize
		tables = append(tables, tableSize{name, total})
		return total
	}
	return size("events.db"), size("readmodels.db"), tables
}

// team is a manager and eleven sales users, each at their own desk.
type team struct {
	h      *apitest.Harness
	follow followup.Service
	desks  []*desk
	poolMu sync.Mutex
	pool   []uuid.UUID // leads released to the pool, claimed by whoever comes first
}

// desk is one user's work: their leads and customers, and the dice.
type desk struct {
	actor     access.Actor
	no        int
	r         *rand.Rand
	leads     []uuid.UUID
	customers []uuid.UUID
	done      int
}

func newTeam(t *testing.T, h *apitest.Harness) *team {
	t.Helper()
	admin := h.Login("admin", apitest.AdminPassword)
	tm := &team{h: h, follow: followup.Service{Leads: h.App.Leads, Customers: h.App.Customers, Clock: h.App.Config.Clock}}
	for i := range 12 {
		roleName := "sales"
		if i == 0 {
			roleName = "manager"
		}
		_, token := h.CreateUser(admin, fmt.Sprintf("user%02d", i), roleName)
		a, _, err := h.App.Auth.Authenticate(context.Background(), token)
		if err != nil {
			t.Fatal(err)
		}
		tm.desks = append(tm.desks, &desk{actor: a, no: i, r: rand.New(rand.NewPCG(2026, uint64(i)))})
	}
	return tm
}

// work has the desks issue about n commands between them, concurrently, and returns how many they
// issued: each enters leads and customers, edits them, records follow-ups, adds contacts, releases
// leads to the pool and claims leads from it.
func (tm *team) work(t *testing.T, n int) int {
	t.Helper()
	var wg sync.WaitGroup
	errs := make([]error, len(tm.desks))
	for i, d := range tm.desks {
		wg.Go(func() { errs[i] = tm.commands(d, n/len(tm.desks)) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("desk %d: %v", i, err)
		}
	}
	return n / len(tm.desks) * len(tm.desks)
}

// put releases a lead to the team's pool; take claims the oldest one there.
func (tm *team) put(id uuid.UUID) {
	tm.poolMu.Lock()
	defer tm.poolMu.Unlock()
	tm.pool = append(tm.pool, id)
}

func (tm *team) take() (uuid.UUID, bool) {
	tm.poolMu.Lock()
	defer tm.poolMu.Unlock()
	if len(tm.pool) == 0 {
		return uuid.Nil, false
	}
	id := tm.pool[0]
	tm.pool = tm.pool[1:]
	return id, true
}

// commands issues n commands from desk d.
func (tm *team) commands(d *desk, n int) error {
	ctx, app, r := context.Background(), tm.h.App, d.r
	meta := func() commands.Meta {
		id := uuid.Must(uuid.NewV7()).String()
		return commands.Meta{Actor: d.actor, RequestID: id, CorrelationID: id, CausationID: id,
			ClientAddr: fmt.Sprintf("10.0.%d.%d", d.no, 2+r.IntN(200))}
	}
	for i := 0; i < n; {
		next := time.Now().UTC().Add(time.Duration(24+r.IntN(24*14)) * time.Hour).Truncate(time.Hour)
		var err error
		switch k := r.IntN(100); {
		case k < 14 || len(d.leads) < 3: // enter a lead, now and then straight into the pool
			var res commands.Result
			inPool := r.IntN(5) == 0
			res, err = app.Leads.Create(ctx, meta(), leadcmd.Create{Fields: leadFields(r, d.no*100_000+d.done), Pool: inPool})
			if err == nil && inPool {
				tm.put(res.ID)
			} else if err == nil {
				d.leads = append(d.leads, res.ID)
			}
		case k < 24 || len(d.customers) < 3: // enter a customer
			var res commands.Result
			res, err = app.Customers.Create(ctx, meta(), customercmd.Create{Fields: customerFields(r, d.no*100_000+d.done)})
			d.customers = append(d.customers, res.ID)
		case k < 40: // edit a lead
			remark := pick(r, remarks)
			p := lead.Patch{Remark: &remark, NextFollowUpAt: &next}
			if r.IntN(8) == 0 {
				s := lead.StatusInvalid
				p.Status = &s
			}
			_, err = app.Leads.Update(ctx, meta(), pick(r, d.leads), p)
		case k < 56: // follow a lead up
			_, err = tm.follow.Record(ctx, meta(), followup.Record{Subject: followup.Subject{Kind: "lead", ID: pick(r, d.leads)},
				Type: pick(r, customer.FollowUpTypes), Content: pick(r, followUps), NextFollowUpAt: &next})
		case k < 59: // release a lead to the pool
			j := r.IntN(len(d.leads))
			id := d.leads[j]
			if _, err = app.Leads.Release(ctx, meta(), id, pick(r, reasons)); err == nil {
				d.leads = slices.Delete(d.leads, j, j+1)
				tm.put(id)
			}
		case k < 62: // claim a lead from the pool
			id, ok := tm.take()
			if !ok {
				continue
			}
			if _, err = app.Leads.Claim(ctx, meta(), id); err == nil {
				d.leads = append(d.leads, id)
			}
		case k < 74: // edit a customer
			remark, level, sat := pick(r, remarks), string(rune('A'+r.IntN(3))), 1+r.IntN(5)
			_, err = app.Customers.Update(ctx, meta(), pick(r, d.customers),
				customer.Patch{Remark: &remark, Level: &level, Satisfaction: &sat, NextFollowUpAt: &next})
		case k < 92: // follow a customer up
			_, err = tm.follow.Record(ctx, meta(), followup.Record{Subject: followup.Subject{Kind: "customer", ID: pick(r, d.customers)},
				Type: pick(r, customer.FollowUpTypes), Content: pick(r, followUps), NextFollowUpAt: &next})
		default: // add a contact
			f := contact.Fields{Name: chineseName(r), Title: pick(r, titles), Mobile: mobile(r), Email: fmt.Sprintf("c%05d@example.com.cn", r.IntN(100_000))}
			_, err = app.Contacts.Create(ctx, meta(), customercmd.CreateContact{CustomerID: pick(r, d.customers), Fields: f, Primary: r.IntN(3) == 0})
		}
		if err != nil {
			return err
		}
		i++
		d.done++
	}
	return nil
}

var (
	surnames  = []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖")
	given     = []rune("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国志红玉文辉海燕鹏飞宇浩然子轩欣怡晨阳思雨佳琪俊峰晓东丹萍春梅永健")
	cities    = []string{"北京", "上海", "广州", "深圳", "杭州", "南京", "苏州", "成都", "武汉", "西安", "重庆", "天津", "长沙", "郑州", "青岛", "厦门"}
	brands    = []string{"星河", "华信", "中科", "东方", "恒达", "金鼎", "宏图", "瑞丰", "天成", "博远", "鑫源", "锦程", "新锐", "联创", "汇通", "海纳"}
	trades    = []string{"科技", "贸易", "实业", "信息技术", "网络", "电子", "机械", "医药", "食品", "建材", "物流", "文化传媒"}
	suffixes  = []string{"有限公司", "有限公司", "股份有限公司", "集团有限公司", "有限责任公司"}
	roads     = []string{"建设路", "人民路", "解放路", "中山路", "文三路", "科技路", "长江路", "世纪大道", "工业园路", "创业路"}
	sources   = []string{"官网咨询", "展会", "客户转介绍", "电话营销", "百度推广", "微信公众号", "阿里巴巴"}
	industry  = []string{"制造业", "互联网", "零售", "教育", "医疗", "金融", "物流", "建筑"}
	remarks   = []string{"客户对报价敏感，下周回访", "已发送产品资料", "需要对接技术负责人", "预算在审批中", "约了下周二上门拜访", "对竞品有兴趣，需跟进", "年底前有采购计划"}
	followUps = []string{"电话沟通了需求，客户希望看到详细报价", "上门拜访，见到了采购经理，介绍了产品方案", "发送了产品资料和案例，等待回复",
		"客户反馈预算还在审批，约定月底再联系", "微信沟通，客户对售后服务有疑问，已解答", "参加了客户的技术交流会，对方技术负责人比较认可"}
	reasons = []string{"无意向", "联系不上", "预算不足", "已选择其他供应商", "转交同事跟进"}
	titles  = []string{"采购经理", "总经理", "技术总监", "财务主管", "行政专员", "销售总监"}
)

func pick[T any](r *rand.Rand, s []T) T { return s[r.IntN(len(s))] }

func chineseName(r *rand.Rand) string {
	n := string(pick(r, surnames)) + string(pick(r, given))
	if r.IntN(3) > 0 {
		n += string(pick(r, given))
	}
	return n
}

func company(r *rand.Rand) string {
	return pick(r, cities) + pick(r, brands) + pick(r, trades) + pick(r, suffixes)
}

func mobile(r *rand.Rand) string { return fmt.Sprintf("1%d%09d", 3+r.IntN(7), r.IntN(1_000_000_000)) }

func address(r *rand.Rand) string {
	return fmt.Sprintf("%s市%s%d号", pick(r, cities), pick(r, roads), 1+r.IntN(999))
}

func leadFields(r *rand.Rand, i int) lead.Fields {
	f := lead.Fields{Name: chineseName(r), Company: company(r), Mobile: mobile(r), Source: pick(r, sources),
		Industry: pick(r, industry), Level: string(rune('A' + r.IntN(3))), Address: address(r), Remark: pick(r, remarks)}
	if r.IntN(3) == 0 {
		f.Email = fmt.Sprintf("lead%05d@example.com.cn", i)
	}
	return f
}

func customerFields(r *rand.Rand, i int) customer.Fields {
	city := pick(r, cities)
	name := company(r)
	// Names are unique among customers only by chance; a number keeps them apart.
	name = strings.Replace(name, "有限", fmt.Sprintf("第%d有限", i), 1)
	return customer.Fields{Name: name, LegalRepresentative: chineseName(r), Level: string(rune('A' + r.IntN(3))),
		Industry: pick(r, industry), Source: pick(r, sources), Country: "中国", City: city, Address: address(r),
		Phone: fmt.Sprintf("0%d-%08d", 10+r.IntN(80), r.IntN(100_000_000)), Email: fmt.Sprintf("info%05d@example.com.cn", i),
		Website: fmt.Sprintf("https://www.example%05d.cn", i), Remark: pick(r, remarks)}
}

// envInt is the integer in the environment variable name, or def.
func envInt(name string, def int) int {
	n, err := strconv.Atoi(os.Getenv(name))
	if err != nil || n <= 0 {
		return def
	}
	return n
}
