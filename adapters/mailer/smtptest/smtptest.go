// Package smtptest is a tiny SMTP server for tests: it listens on 127.0.0.1, speaks enough of
// SMTP for net/smtp (EHLO/HELO, AUTH PLAIN, MAIL FROM, RCPT TO, DATA, RSET, NOOP, QUIT), records
// what it was given, and can refuse the first deliveries with a 451 to test retries.
package smtptest

import (
	"bufio"
	"crypto/tls"
	"encoding/base64"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Message is one delivered message.
type Message struct {
	From, To string
	TLS      bool   // the message came over TLS
	Auth     string // "user\x00password" when the client authenticated
	Data     string // the raw message
	Subject  string // decoded
	Body     string // decoded
}

// Server is a running test server.
type Server struct {
	Host string
	Port int
	// tls, when set, is offered by STARTTLS (StartTLS) or used from the first byte (StartImplicitTLS).
	tls      *tls.Config
	implicit bool
	// user and password, when user is set (RequireAuth), are the only credentials AUTH PLAIN accepts.
	user, password string

	ln       net.Listener
	mu       sync.Mutex
	failNext int
	failAll  bool
	msgs     []Message
	attempts int
}

// Start starts a server that closes when the test ends.
func Start(t testing.TB) *Server { return start(t, nil, false) }

// StartTLS starts a server that offers STARTTLS with config.
func StartTLS(t testing.TB, config *tls.Config) *Server { return start(t, config, false) }

// StartImplicitTLS starts a server that speaks TLS from the first byte.
func StartImplicitTLS(t testing.TB, config *tls.Config) *Server { return start(t, config, true) }

func start(t testing.TB, config *tls.Config, implicit bool) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{ln: ln, Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port, tls: config, implicit: implicit}
	go s.serve()
	t.Cleanup(func() { ln.Close() })
	return s
}

// RequireAuth makes user and password the only credentials AUTH PLAIN accepts.
func (s *Server) RequireAuth(user, password string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.user, s.password = user, password
}

// FailNext refuses the next n deliveries (at DATA's end) with 451.
func (s *Server) FailNext(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failNext = n
}

// FailAll refuses every delivery (true) or none (false).
func (s *Server) FailAll(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failAll = on
}

// Messages are the messages delivered so far.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// Attempts counts the deliveries tried (refused ones too).
func (s *Server) Attempts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.attempts
}

func (s *Server) serve() {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		go s.handle(c)
	}
}

func (s *Server) handle(c net.Conn) {
	if s.implicit {
		c = tls.Server(c, s.tls)
	}
	defer func() { c.Close() }()
	r := bufio.NewReader(c)
	say := func(line string) { _, _ = io.WriteString(c, line+"\r\n") }
	say("220 smtptest ready")
	var m Message
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO":
			say("250-smtptest")
			say("250-8BITMIME")
			if s.tls != nil && !s.implicit {
				if _, done := c.(*tls.Conn); !done {
					say("250-STARTTLS")
				}
			}
			say("250 AUTH PLAIN")
		case "HELO":
			say("250 smtptest")
		case "AUTH":
			mech, resp, _ := strings.Cut(arg, " ")
			if !strings.EqualFold(mech, "PLAIN") {
				say("504 unrecognized authentication type")
				continue
			}
			raw, err := base64.StdEncoding.DecodeString(resp)
			parts := strings.Split(string(raw), "\x00")
			s.mu.Lock()
			user, password := s.user, s.password
			s.mu.Unlock()
			if err != nil || len(parts) != 3 || user != "" && (parts[1] != user || parts[2] != password) {
				say("535 authentication failed")
				continue
			}
			m.Auth = parts[1] + "\x00" + parts[2]
			say("235 authenticated")
		case "MAIL":
			m.From = path(arg, "FROM:")
			say("250 ok")
		case "RCPT":
			m.To = path(arg, "TO:")
			say("250 ok")
		case "DATA":
			say("354 go ahead")
			var data strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				data.WriteString(strings.TrimPrefix(l, "."))
			}
			m.Data = data.String()
			_, m.TLS = c.(*tls.Conn)
			s.mu.Lock()
			s.attempts++
			fail := s.failAll || s.failNext > 0
			if s.failNext > 0 {
				s.failNext--
			}
			if !fail {
				m.Subject, m.Body = decode(m.Data)
				s.msgs = append(s.msgs, m)
			}
			s.mu.Unlock()
			if fail {
				say("451 4.3.0 try again later")
			} else {
				say("250 ok: queued as " + strconv.Itoa(len(s.Messages())))
			}
			m = Message{Auth: m.Auth}
		case "STARTTLS":
			if s.tls == nil || s.implicit {
				say("502 command not implemented")
				continue
			}
			say("220 ready to start TLS")
			c = tls.Server(c, s.tls)
			r = bufio.NewReader(c)
			m = Message{}
		case "RSET":
			m = Message{Auth: m.Auth}
			say("250 ok")
		case "NOOP":
			say("250 ok")
		case "QUIT":
			say("221 bye")
			return
		default:
			say("502 command not implemented")
		}
	}
}

func decode(data string) (subject, body string) {
	msg, err := mail.ReadMessage(strings.NewReader(data))
	if err != nil {
		return "", ""
	}
	subject, _ = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	var b []byte
	if strings.EqualFold(msg.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
		b, _ = io.ReadAll(quotedprintable.NewReader(msg.Body))
	} else {
		b, _ = io.ReadAll(msg.Body)
	}
	return subject, strings.ReplaceAll(string(b), "\r\n", "\n")
}

// path is the address of "FROM:<a@b> BODY=8BITMIME".
func path(arg, prefix string) string {
	if len(arg) < len(prefix) || !strings.EqualFold(arg[:len(prefix)], prefix) {
		return ""
	}
	f := strings.Fields(arg[len(prefix):])
	if len(f) == 0 {
		return ""
	}
	return strings.Trim(f[0], "<>")
}
