package dbtest

import (
	"net"
	"net/url"
	"switchboard/db"
	"sync"
	"testing"
)

// Silencer is a TCP relay in front of the test PostgreSQL that can go
// silent: while it is, it keeps every connection open and accepts what the
// client sends, but passes nothing on in either direction, as a stopped
// server (SIGSTOP) or a dead network path does. Nothing is lost: what was
// held is passed on when it speaks again.
type Silencer struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	quiet  bool
	wake   *sync.Cond
	conns  []net.Conn
}

// SilentURL returns a private PostgreSQL URL (as URL does) that goes
// through a Silencer, and the Silencer. Both are closed when tb ends.
func SilentURL(tb testing.TB) (string, *Silencer) {
	tb.Helper()
	raw := URL(tb, db.Postgres)
	u, err := url.Parse(raw)
	if err != nil {
		tb.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	s := &Silencer{ln: ln, target: u.Host}
	s.wake = sync.NewCond(&s.mu)
	go s.serve()
	tb.Cleanup(s.close)
	u.Host = ln.Addr().String()
	return u.String(), s
}

// Silence makes the relay stop passing anything on; Speak resumes.
func (s *Silencer) Silence() { s.set(true) }

// Speak passes on what was held and everything after it.
func (s *Silencer) Speak() { s.set(false) }

func (s *Silencer) set(quiet bool) {
	s.mu.Lock()
	s.quiet = quiet
	s.mu.Unlock()
	s.wake.Broadcast()
}

func (s *Silencer) serve() {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		up, err := net.Dial("tcp", s.target)
		if err != nil {
			c.Close()
			continue
		}
		s.mu.Lock()
		s.conns = append(s.conns, c, up)
		s.mu.Unlock()
		go s.pump(up, c)
		go s.pump(c, up)
	}
}

// pump copies from src to dst, holding each chunk while the relay is silent.
func (s *Silencer) pump(dst, src net.Conn) {
	defer dst.Close()
	defer src.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			s.mu.Lock()
			for s.quiet {
				s.wake.Wait()
			}
			s.mu.Unlock()
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (s *Silencer) close() {
	s.ln.Close()
	s.Speak()
	s.mu.Lock()
	for _, c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
}
