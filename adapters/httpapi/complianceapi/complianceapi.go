// Package complianceapi is the HTTP API of the administrators' compliance screen: the state of
// the tamper-evident audit chain and its anchors, verifying the log against them, anchoring on
// demand, and the backups of the embedded stores (listed and checked against their manifests).
//
// Reading the chain's state takes audit.read. Verifying, anchoring and everything about backups
// take settings.manage (the administrators' permission): a verification reads the whole log, and
// the backup directory's listing tells where the data is kept.
package complianceapi

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync/atomic"
	"time"

	"github.com/chronicle-crm/chronicle/adapters/audit"
	"github.com/chronicle-crm/chronicle/adapters/backup"
	"github.com/chronicle-crm/chronicle/adapters/httpapi/httpkit"
	"github.com/chronicle-crm/chronicle/domain/auditchain"
	"github.com/chronicle-crm/chronicle/domain/role"
)

// Bounds of the endpoints.
const (
	// MaxAnchors is how many anchors GET /audit/chain lists (the newest).
	MaxAnchors = 20
	// MaxDivergences is how many divergences a verification answers; More counts the others.
	MaxDivergences = 100
	// VerifyTimeout bounds a verification (under the server's 5-minute write timeout): a longer
	// one is for `chronicle audit verify`.
	VerifyTimeout = 4 * time.Minute
	// AnchorTimeout is how long POST /audit/anchors waits for the anchor when another process
	// holds the sealer's lease; past it the request stays asked for (202).
	AnchorTimeout = 20 * time.Second
	// CheckTimeout bounds the wait for a backup's full check.
	CheckTimeout = 4 * time.Minute
)

// Backups are the backup settings (CHRONICLE_BACKUP_*), read-only here.
type Backups struct {
	// Embedded: both stores are the embedded SQLite files, the only ones Chronicle backs up.
	Embedded   bool
	EventStore string
	ReadModels string
	Schedule   string
	Dir        string
	Keep       int
}

// Deps are what the compliance API needs.
type Deps struct {
	Kit *httpkit.Kit
	// State reads the sealer's checkpoint; Head is the position of the last event in the log.
	State func(ctx context.Context) (audit.State, error)
	Head  func(ctx context.Context) (uint64, error)
	// AnchorDir holds the anchor files; PublicKey is the audit key's public half (nil: none yet).
	AnchorDir string
	PublicKey func() (ed25519.PublicKey, error)
	// Verify compares the log with its chain and anchors from a position (App.VerifyAudit).
	Verify func(ctx context.Context, from uint64) (auditchain.Report, error)
	// Anchor seals the log to its head and anchors it (App.AnchorAudit).
	Anchor  func(ctx context.Context) (audit.State, error)
	Backups Backups
}

// Routes registers the compliance endpoints. At most one verification and one backup check run
// at a time in a process: another request meanwhile is 409 verify_in_progress or
// check_in_progress.
func Routes(rt httpkit.Router, d Deps) {
	a := &api{Deps: d, verifying: make(chan struct{}, 1), checking: make(chan struct{}, 1)}
	rt.Handle(http.MethodGet, "/audit/chain", a.chain)
	// A verification or a check answers what it finds now: never a replay of an earlier answer.
	rt.HandleUnreplayed(http.MethodPost, "/audit/verify", a.verify)
	rt.Handle(http.MethodPost, "/audit/anchors", a.anchor)
	rt.Handle(http.MethodGet, "/backups", a.backups)
	rt.HandleUnreplayed(http.MethodPost, "/backups/{name}/check", a.check)
}

type api struct {
	Deps
	verifying, checking chan struct{}
}

// testHookVerify, when set, runs while a verification holds its turn (tests of the limit).
var testHookVerify atomic.Pointer[func()]

// AnchorView is an anchor file.
type AnchorView struct {
	Position    uint64    `json:"position"`
	Events      uint64    `json:"events"`
	Hash        string    `json:"hash"`
	Time        time.Time `json:"time"`
	Fingerprint string    `json:"fingerprint"`
	// Signed: the signature verifies with the audit key (false also when there is no key yet).
	Signed bool `json:"signed"`
}

// Chain is the answer of GET /audit/chain.
type Chain struct {
	Head            uint64       `json:"head"`           // the last event of the log
	SealedPosition  uint64       `json:"sealedPosition"` // the last event sealed
	SealedEvents    uint64       `json:"sealedEvents"`
	SealedHash      string       `json:"sealedHash,omitempty"`
	PendingEvents   uint64       `json:"pendingEvents"` // sealed since the last anchor
	AnchorPosition  uint64       `json:"anchorPosition"`
	AnchoredAt      *time.Time   `json:"anchoredAt,omitempty"`
	AnchorRequested bool         `json:"anchorRequested"`
	KeyFingerprint  string       `json:"keyFingerprint,omitempty"`
	AnchorFiles     int          `json:"anchorFiles"`    // anchor files in the directory
	BadAnchorFiles  int          `json:"badAnchorFiles"` // of the newest MaxAnchors files, those not readable as anchors
	Anchors         []AnchorView `json:"anchors"`        // the newest MaxAnchors, newest first
}

func (a *api) chainOf(ctx context.Context, st audit.State) (Chain, error) {
	head, err := a.Head(ctx)
	if err != nil {
		return Chain{}, err
	}
	c := Chain{Head: head, SealedPosition: st.Position, SealedEvents: st.Seq, PendingEvents: st.Pending,
		AnchorPosition: st.AnchorPosition, AnchorRequested: st.Requested, Anchors: []AnchorView{}}
	if st.Seq > 0 {
		c.SealedHash = st.Hash.String()
	}
	if !st.AnchorAt.IsZero() {
		at := st.AnchorAt.UTC()
		c.AnchoredAt = &at
	}
	pub, err := a.PublicKey()
	if err != nil {
		return Chain{}, err
	}
	if pub != nil {
		c.KeyFingerprint = auditchain.Fingerprint(pub)
	}
	anchors, bad, total, err := audit.ReadLatestAnchors(a.AnchorDir, MaxAnchors)
	if err != nil {
		return Chain{}, err
	}
	c.AnchorFiles, c.BadAnchorFiles = total, len(bad)
	slices.Reverse(anchors)
	for _, an := range anchors {
		c.Anchors = append(c.Anchors, AnchorView{Position: an.Position, Events: an.Events, Hash: an.Hash.String(), Time: an.Time.UTC(),
			Fingerprint: an.Fingerprint, Signed: pub != nil && an.Verify(pub) == nil})
	}
	return c, nil
}

func (a *api) chain(r *http.Request) (httpkit.Reply, error) {
	if err := httpkit.Allow(r, role.AuditRead); err != nil {
		return httpkit.Reply{}, err
	}
	st, err := a.State(r.Context())
	if err != nil {
		return httpkit.Reply{}, err
	}
	c, err := a.chainOf(r.Context(), st)
	if err != nil {
		return httpkit.Reply{}, err
	}
	return httpkit.OK(c), nil
}

// VerifyRequest is the optional body of POST /audit/verify.
type VerifyRequest struct {
	// From is the first position verified, a sealed one (absent or 0: from the beginning).
	From *uint64 `json:"from"`
}

// DivergenceView is one difference a verification found.
type DivergenceView struct {
	Kind     string `json:"kind"`
	Position uint64 `json:"position"`
	Detail   string `json:"detail"`
}

// VerifyReport is the answer of POST /audit/verify.
type VerifyReport struct {
	OK          bool             `json:"ok"`
	From        uint64           `json:"from"`
	Events      uint64           `json:"events"`   // events read and hashed
	Sealed      uint64           `json:"sealed"`   // of them, compared with their chain entry
	Unsealed    uint64           `json:"unsealed"` // after the sealed head
	Head        uint64           `json:"head"`     // the last event read
	SealedHead  uint64           `json:"sealedHead"`
	ChainHead   string           `json:"chainHead"`
	Anchors     int              `json:"anchors"` // anchors compared
	Skipped     int              `json:"skipped"` // anchors before From, not checked
	Divergences []DivergenceView `json:"divergences"`
	More        int              `json:"more"` // divergences beyond those listed
	StartedAt   time.Time        `json:"startedAt"`
	TookMs      int64            `json:"tookMs"`
}

func (a *api) verify(r *http.Request) (httpkit.Reply, error) {
	if err := httpkit.Allow(r, role.SettingsManage); err != nil {
		return httpkit.Reply{}, err
	}
	var from uint64
	body, err := httpkit.ReadBody(r, a.Kit.MaxBody)
	if err != nil {
		return httpkit.Reply{}, err
	}
	if len(bytes.TrimSpace(body)) > 0 {
		var in VerifyRequest
		if err := httpkit.DecodeJSON(body, &in); err != nil {
			return httpkit.Reply{}, err
		}
		if in.From != nil {
			from = *in.From
		}
	}
	select {
	case a.verifying <- struct{}{}:
	default:
		return httpkit.Reply{}, httpkit.Fail(http.StatusConflict, "verify_in_progress",
			"a verification of the audit log is running; wait for its report and try again")
	}
	defer func() { <-a.verifying }()
	if hook := testHookVerify.Load(); hook != nil {
		(*hook)()
	}
	ctx, cancel := context.WithTimeout(r.Context(), VerifyTimeout)
	defer cancel()
	start := time.Now()
	rep, err := a.Verify(ctx, from)
	var notSealed *audit.NotSealedError
	switch {
	case errors.As(err, &notSealed):
		return httpkit.Reply{}, httpkit.Invalid("from", "position %d is not sealed (the chain is sealed up to %d): give a sealed position, or 0 for the whole log",
			notSealed.Position, notSealed.Head)
	case err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) && r.Context().Err() == nil:
		return httpkit.Reply{}, httpkit.Fail(http.StatusServiceUnavailable, "verify_timeout",
			fmt.Sprintf("the verification did not finish within %s; verify a part with \"from\", or the whole log with `chronicle audit verify`", VerifyTimeout))
	case err != nil:
		return httpkit.Reply{}, err
	}
	out := VerifyReport{OK: rep.OK(), From: rep.From, Events: rep.Events, Sealed: rep.Sealed, Unsealed: rep.Unsealed, Head: rep.Head,
		SealedHead: rep.SealedHead, ChainHead: rep.ChainHead.String(), Anchors: rep.Anchors, Skipped: rep.Skipped,
		Divergences: []DivergenceView{}, More: rep.More, StartedAt: start.UTC(), TookMs: time.Since(start).Milliseconds()}
	for i, d := range rep.Divergences {
		if i == MaxDivergences {
			out.More += len(rep.Divergences) - i
			break
		}
		out.Divergences = append(out.Divergences, DivergenceView{Kind: string(d.Kind), Position: d.Position, Detail: d.Detail})
	}
	return httpkit.OK(out), nil
}

func (a *api) anchor(r *http.Request) (httpkit.Reply, error) {
	if err := httpkit.Allow(r, role.SettingsManage); err != nil {
		return httpkit.Reply{}, err
	}
	ctx, cancel := context.WithTimeout(r.Context(), AnchorTimeout)
	defer cancel()
	st, err := a.Anchor(ctx)
	status := http.StatusOK
	if err != nil {
		if !errors.Is(err, context.DeadlineExceeded) || r.Context().Err() != nil {
			return httpkit.Reply{}, err
		}
		// The process holding the sealer's lease did not answer yet: the request stays asked for,
		// and that process anchors on its next run.
		status = http.StatusAccepted
		if st, err = a.State(r.Context()); err != nil {
			return httpkit.Reply{}, err
		}
	}
	c, err := a.chainOf(r.Context(), st)
	if err != nil {
		return httpkit.Reply{}, err
	}
	return httpkit.JSON(status, c), nil
}

// BackupSettings are the schedule settings, from the environment.
type BackupSettings struct {
	Schedule string `json:"schedule"` // "HH:MM" daily, or "off"
	Dir      string `json:"dir"`
	Keep     int    `json:"keep"`
}

// BackupView is a backup directory.
type BackupView struct {
	Name      string     `json:"name"`
	CreatedAt *time.Time `json:"createdAt,omitempty"`
	Version   string     `json:"version,omitempty"`
	Head      uint64     `json:"head"`
	Events    int64      `json:"events"`
	Bytes     int64      `json:"bytes"`
	Slot      string     `json:"slot,omitempty"`
	// OK: the manifest reads and every file it names is there with its recorded size (the list's
	// quick check), or, from POST …/check, with its recorded SHA-256 too. Problem says what failed.
	OK      bool   `json:"ok"`
	Problem string `json:"problem,omitempty"`
}

// BackupList is the answer of GET /backups.
type BackupList struct {
	// Managed: Chronicle takes backups of these stores (the embedded SQLite ones). With
	// PostgreSQL or EventStoreDB, back up with their own tools.
	Managed    bool           `json:"managed"`
	EventStore string         `json:"eventStore"`
	ReadModels string         `json:"readModels"`
	Settings   BackupSettings `json:"settings"`
	Items      []BackupView   `json:"items"` // newest first
}

func viewOf(s backup.Scanned) BackupView {
	v := BackupView{Name: s.Name}
	if s.Err != nil {
		v.Problem = s.Err.Error()
		return v
	}
	m := s.Manifest
	at := m.CreatedAt.UTC()
	v.CreatedAt, v.Version, v.Head, v.Events, v.Bytes, v.Slot = &at, m.Version, m.Head, m.Events, m.Bytes(), m.Slot
	return v
}

func (a *api) backups(r *http.Request) (httpkit.Reply, error) {
	if err := httpkit.Allow(r, role.SettingsManage); err != nil {
		return httpkit.Reply{}, err
	}
	b := a.Backups
	out := BackupList{Managed: b.Embedded, EventStore: b.EventStore, ReadModels: b.ReadModels,
		Settings: BackupSettings{Schedule: b.Schedule, Dir: b.Dir, Keep: b.Keep}, Items: []BackupView{}}
	all, err := backup.Scan(b.Dir)
	if err != nil {
		return httpkit.Reply{}, err
	}
	for i := len(all) - 1; i >= 0; i-- {
		v := viewOf(all[i])
		if all[i].Err == nil {
			if err := backup.QuickCheck(all[i].Dir, all[i].Manifest); err != nil {
				v.Problem = err.Error()
			} else {
				v.OK = true
			}
		}
		out.Items = append(out.Items, v)
	}
	return httpkit.OK(out), nil
}

// CheckReport is the answer of POST /backups/{name}/check.
type CheckReport struct {
	BackupView
	CheckedAt time.Time `json:"checkedAt"`
	TookMs    int64     `json:"tookMs"`
}

func (a *api) check(r *http.Request) (httpkit.Reply, error) {
	if err := httpkit.Allow(r, role.SettingsManage); err != nil {
		return httpkit.Reply{}, err
	}
	name := httpkit.PathVar(r, "name")
	s, ok, err := backup.Find(a.Backups.Dir, name)
	if err != nil {
		return httpkit.Reply{}, err
	}
	if !ok {
		return httpkit.Reply{}, httpkit.Fail(http.StatusNotFound, "not_found", "no backup of that name in the backup directory")
	}
	select {
	case a.checking <- struct{}{}:
	default:
		return httpkit.Reply{}, httpkit.Fail(http.StatusConflict, "check_in_progress", "a backup is being checked; wait for its answer and try again")
	}
	start := time.Now()
	// backup.Verify reads every file through; it runs to its end, holding the turn, even when
	// the request gives up waiting for it.
	done := make(chan error, 1)
	go func() {
		defer func() { <-a.checking }()
		if s.Err != nil {
			done <- s.Err
			return
		}
		_, err := backup.Verify(s.Dir)
		done <- err
	}()
	ctx, cancel := context.WithTimeout(r.Context(), CheckTimeout)
	defer cancel()
	var verr error
	select {
	case verr = <-done:
	case <-ctx.Done():
		if r.Context().Err() != nil {
			return httpkit.Reply{}, r.Context().Err()
		}
		return httpkit.Reply{}, httpkit.Fail(http.StatusServiceUnavailable, "check_timeout",
			fmt.Sprintf("the check did not finish within %s; check it with `chronicle restore --from DIR --check`", CheckTimeout))
	}
	out := CheckReport{BackupView: viewOf(s), CheckedAt: start.UTC(), TookMs: time.Since(start).Milliseconds()}
	if verr != nil {
		out.Problem = verr.Error()
	} else {
		out.OK = true
	}
	return httpkit.OK(out), nil
}
