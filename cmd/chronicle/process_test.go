package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Helpers of the tests that run the real binary as a subprocess (crash_test.go,
// pgrestart_test.go): they kill it, restart it on the same data and take its database away
// underneath it.

var binary struct {
	once sync.Once
	dir  string
	path string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binary.dir != "" {
		_ = os.RemoveAll(binary.dir)
	}
	os.Exit(code)
}

// chronicleBinary builds cmd/chronicle once per test process.
func chronicleBinary(t *testing.T) string {
	t.Helper()
	binary.once.Do(func() {
		if binary.dir, binary.err = os.MkdirTemp("", "chronicle-bin-"); binary.err != nil {
			return
		}
		binary.path = filepath.Join(binary.dir, "chronicle")
		out, err := exec.Command("go", "build", "-o", binary.path, ".").CombinedOutput()
		if err != nil {
			binary.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binary.err != nil {
		t.Fatal(binary.err)
	}
	return binary.path
}

// serverEnv is the environment of a chronicle subprocess: this process's without any CHRONICLE_
// setting of the developer's shell, then vars.
func serverEnv(vars ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CHRONICLE_") {
			env = append(env, kv)
		}
	}
	return append(env, vars...)
}

// serverProcess is `chronicle serve` running as a subprocess.
type serverProcess struct {
	t    *testing.T
	cmd  *exec.Cmd
	base string // http://127.0.0.1:port (https:// when it serves TLS)
	log  *lockedBuffer
	out  *lockedBuffer // its standard output up to the line that says where it serves
	done chan struct{} // closed when the process has exited
}

// startServer runs `chronicle serve` with env (serverEnv) on a free local port and waits until it
// says where it serves. Its log is shown when the test fails; it is stopped at the end of the test.
func startServer(t *testing.T, env []string) *serverProcess {
	t.Helper()
	cmd := exec.Command(chronicleBinary(t), "serve")
	cmd.Env = append(slices.Clip(env), "CHRONICLE_HTTP_ADDR=127.0.0.1:0")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	s := &serverProcess{t: t, cmd: cmd, log: &lockedBuffer{}, out: &lockedBuffer{}, done: make(chan struct{})}
	cmd.Stderr = s.log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = cmd.Wait(); close(s.done) }()
	t.Cleanup(func() {
		s.stop()
		if t.Failed() {
			t.Logf("log of chronicle serve (pid %d):\n%s", cmd.Process.Pid, s.log.String())
		}
	})
	// It says where it serves on stdout ("running at http://localhost:PORT", https with TLS).
	port := regexp.MustCompile(`running at (https?)://localhost:(\d+)`)
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			fmt.Fprintln(s.out, sc.Text())
			if m := port.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1] + "://127.0.0.1:" + m[2]
				break
			}
		}
		_, _ = io.Copy(io.Discard, out)
	}()
	select {
	case s.base = <-found:
	case <-s.done:
		t.Fatalf("chronicle serve exited before serving: %v", cmd.ProcessState)
	case <-time.After(60 * time.Second):
		t.Fatal("chronicle serve did not start within 60 s")
	}
	return s
}

// kill ends the process with SIGKILL: no deferred function, no graceful shutdown.
func (s *serverProcess) kill() {
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.done
}

// stop asks the process to shut down gracefully (SIGINT), killing it after 20 s.
func (s *serverProcess) stop() {
	if s.exited() {
		return
	}
	_ = s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.done:
	case <-time.After(20 * time.Second):
		s.t.Errorf("chronicle serve did not stop within 20 s of SIGINT")
		s.kill()
	}
}

func (s *serverProcess) exited() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// lockedBuffer collects a subprocess's output while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// apiClient talks to a server's API.
type apiClient struct {
	base  string
	token string
	http  *http.Client
}

func newAPIClient(base string) *apiClient {
	return &apiClient{base: base, http: &http.Client{Timeout: 30 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: 64, MaxConnsPerHost: 64}}}
}

// do sends a JSON request and answers the status and the body (err: no answer).
func (c *apiClient) do(method, path string, body any) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	res, err := c.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res.StatusCode, b, err
}

// get answers a GET's JSON object, failing the test on anything but 200.
func (c *apiClient) get(t *testing.T, path string) map[string]any {
	t.Helper()
	status, b, err := c.do(http.MethodGet, path, nil)
	if err != nil || status != http.StatusOK {
		t.Fatalf("GET %s: %d %s %v", path, status, b, err)
	}
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return v
}

// signIn signs in as the administrator; sign-in needs the users read model, which a server just
// started may still be loading, so it is tried for up to 30 s.
func (c *apiClient) signIn(t *testing.T, password string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		status, b, err := c.do(http.MethodPost, "/api/v1/auth/login", map[string]string{"username": "admin", "password": password})
		if err == nil && status == http.StatusOK {
			var v struct{ Token string }
			if err := json.Unmarshal(b, &v); err != nil || v.Token == "" {
				t.Fatalf("sign-in answer %s: %v", b, err)
			}
			c.token = v.Token
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("sign-in: %d %s %v", status, b, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// waitProjected waits (up to timeout) until every serving projection has applied the whole log
// and none is parked: the read models are complete.
func (c *apiClient) waitProjected(t *testing.T, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last []byte
	for {
		status, b, err := c.do(http.MethodGet, "/api/v1/projections", nil)
		if err == nil && status == http.StatusOK {
			var v struct {
				Items []struct {
					Name      string
					Serving   bool
					State     string
					Position  uint64
					Head      uint64
					LastError string
				}
			}
			done := json.Unmarshal(b, &v) == nil && len(v.Items) > 0
			for _, p := range v.Items {
				if p.State == "parked" {
					t.Fatalf("projection %s is parked: %s", p.Name, p.LastError)
				}
				if p.Serving && p.Position < p.Head {
					done = false
				}
			}
			if done {
				return
			}
		}
		last = b
		if time.Now().After(deadline) {
			t.Fatalf("the projections did not reach the head of the log within %v: %d %s %v", timeout, status, last, err)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// leads reads every lead: the whole list (page by page) and each one's detail, by id.
func (c *apiClient) leads(t *testing.T) (list, detail map[string]map[string]any) {
	t.Helper()
	list, detail = map[string]map[string]any{}, map[string]map[string]any{}
	cursor := ""
	for {
		page := c.get(t, "/api/v1/leads?limit=500&cursor="+url.QueryEscape(cursor))
		items, _ := page["items"].([]any)
		for _, it := range items {
			m := it.(map[string]any)
			list[m["id"].(string)] = m
		}
		cursor, _ = page["nextCursor"].(string)
		if cursor == "" || len(items) == 0 {
			break
		}
	}
	for id := range list {
		detail[id] = c.get(t, "/api/v1/leads/"+id)
	}
	return list, detail
}

// leadLoad creates leads from several goroutines until stopped, keeping the id of every create
// the server acknowledged (2xx) and counting the other outcomes.
type leadLoad struct {
	c    *apiClient
	stop chan struct{}
	wg   sync.WaitGroup

	mu       sync.Mutex
	acked    []string
	ackedAt  []time.Time
	statuses map[int]int
	failed   int // requests without an answer
}

func startLeadLoad(c *apiClient, workers int, prefix string) *leadLoad {
	l := &leadLoad{c: c, stop: make(chan struct{}), statuses: map[int]int{}}
	for w := range workers {
		l.wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-l.stop:
					return
				default:
				}
				body := map[string]any{"name": fmt.Sprintf("%s线索%d-%d", prefix, w, i), "company": "星河科技有限公司",
					"phone": fmt.Sprintf("010-%04d %04d", w, i%10000), "source": "other"} // a lead_source code
				status, b, err := c.do(http.MethodPost, "/api/v1/leads", body)
				var v struct{ ID string }
				if err == nil && status/100 == 2 {
					err = json.Unmarshal(b, &v)
				}
				l.mu.Lock()
				switch {
				case err != nil:
					l.failed++
				case status/100 == 2:
					l.acked, l.ackedAt = append(l.acked, v.ID), append(l.ackedAt, time.Now())
					l.statuses[status]++
				default:
					l.statuses[status]++
				}
				l.mu.Unlock()
				if err != nil || status/100 != 2 {
					time.Sleep(50 * time.Millisecond) // the server or its database is away: do not spin
				}
			}
		})
	}
	return l
}

// end stops the load and waits for its requests.
func (l *leadLoad) end() {
	close(l.stop)
	l.wg.Wait()
}

// ackedSince answers how many creates were acknowledged after t.
func (l *leadLoad) ackedSince(t time.Time) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, at := range l.ackedAt {
		if at.After(t) {
			n++
		}
	}
	return n
}

func (l *leadLoad) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.acked)
}

func (l *leadLoad) summary() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return fmt.Sprintf("%d acknowledged, statuses %v, %d without an answer", len(l.acked), l.statuses, l.failed)
}
