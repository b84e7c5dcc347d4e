package dbtest

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// Cluster is a throwaway PostgreSQL cluster of a test's own, in a temp dir,
// that the test may stop (even crash) and start again on the same data:
// the shared test server cannot be restarted under other tests.
type Cluster struct {
	tb     testing.TB
	bindir string
	dir    string // temp dir: data/, sock/, server.log
	port   int
	asUser []string // runuser prefix when running as root
}

// PGBinDir finds initdb and pg_ctl: SWITCHBOARD_TEST_PG_BINDIR, else the
// newest /usr/lib/postgresql/*/bin, else initdb on PATH; "" when none.
func PGBinDir() string {
	if d := os.Getenv("SWITCHBOARD_TEST_PG_BINDIR"); d != "" {
		return d
	}
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	sort.Slice(found, func(i, j int) bool { return pgMajor(found[i]) < pgMajor(found[j]) })
	if len(found) > 0 {
		return filepath.Dir(found[len(found)-1])
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p)
	}
	return ""
}

func pgMajor(initdb string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(initdb))))
	return n
}

// StartCluster initialises and starts a cluster (trust auth, TCP on
// 127.0.0.1 at a free port, its unix socket inside its temp dir), stopped
// and removed when tb ends. Without initdb it skips tb, or fails it when
// SWITCHBOARD_REQUIRE_POSTGRES is set. As root, the server runs as the
// postgres user (initdb refuses root).
func StartCluster(tb testing.TB) *Cluster {
	tb.Helper()
	bindir := PGBinDir()
	if bindir == "" || !executable(filepath.Join(bindir, "initdb")) || !executable(filepath.Join(bindir, "pg_ctl")) {
		msg := "no initdb/pg_ctl found (SWITCHBOARD_TEST_PG_BINDIR, /usr/lib/postgresql/*/bin, PATH): install postgresql to run the restart test"
		if os.Getenv("SWITCHBOARD_REQUIRE_POSTGRES") != "" {
			tb.Fatal(msg + " (SWITCHBOARD_REQUIRE_POSTGRES is set)")
		}
		tb.Skip(msg)
	}
	c := &Cluster{tb: tb, bindir: bindir}
	parent := ""
	if os.Geteuid() == 0 {
		// The postgres user must reach the dir: not a $TMPDIR under
		// root's home.
		parent = "/tmp"
	}
	dir, err := os.MkdirTemp(parent, "switchboard-pgtest-")
	if err != nil {
		tb.Fatal(err)
	}
	c.dir = dir
	tb.Cleanup(func() {
		c.pgctl("-m", "immediate", "-w", "stop") // nothing to keep
		os.RemoveAll(dir)
	})
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			tb.Fatalf("running as root, and initdb refuses root, but there is no postgres user: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			tb.Fatal(err)
		}
		c.asUser = []string{"runuser", "-u", "postgres", "--"}
	}
	if out, err := c.run(filepath.Join(bindir, "initdb"), "-D", c.data(), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"); err != nil {
		tb.Fatalf("initdb: %v\n%s", err, out)
	}
	if out, err := c.run("mkdir", filepath.Join(dir, "sock")); err != nil {
		tb.Fatalf("mkdir sock: %v\n%s", err, out)
	}
	// A port picked free may be taken before the server binds it: try again.
	for try := 0; ; try++ {
		c.port = freePort(tb)
		if err := c.start(); err == nil {
			break
		} else if try == 4 {
			tb.Fatalf("start PostgreSQL: %v", err)
		}
	}
	return c
}

// URL is the cluster's postgres database, over TCP.
func (c *Cluster) URL() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.port)
}

// Crash stops the server at once (pg_ctl stop -m immediate): no
// checkpoint, every backend killed, as in a crash; the next start recovers
// from the write-ahead log.
func (c *Cluster) Crash() {
	c.tb.Helper()
	if err := c.CrashErr(); err != nil {
		c.tb.Fatal(err)
	}
}

// CrashErr is Crash for another goroutine than the test's: it returns the
// failure instead of failing the test.
func (c *Cluster) CrashErr() error {
	if out, err := c.pgctl("-m", "immediate", "-w", "stop"); err != nil {
		return fmt.Errorf("pg_ctl stop -m immediate: %v\n%s", err, out)
	}
	return nil
}

// Start starts the server again on the same data dir and port, waiting
// until it accepts connections.
func (c *Cluster) Start() {
	c.tb.Helper()
	if err := c.StartErr(); err != nil {
		c.tb.Fatal(err)
	}
}

// StartErr is Start for another goroutine than the test's.
func (c *Cluster) StartErr() error {
	if err := c.start(); err != nil {
		return fmt.Errorf("restart PostgreSQL: %v", err)
	}
	return nil
}

// ServerLog returns the server's log so far.
func (c *Cluster) ServerLog() string {
	b, _ := os.ReadFile(filepath.Join(c.dir, "server.log"))
	return string(b)
}

func (c *Cluster) start() error {
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c max_connections=50", c.port, filepath.Join(c.dir, "sock"))
	if out, err := c.pgctl("-l", filepath.Join(c.dir, "server.log"), "-o", opts, "-t", "60", "-w", "start"); err != nil {
		return fmt.Errorf("%v\n%s\n%s", err, out, c.ServerLog())
	}
	// pg_ctl -w waits for the server; check it answers on TCP as well.
	conn, err := sql.Open("postgres", c.URL()+"&connect_timeout=5")
	if err != nil {
		return err
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		if err := conn.PingContext(ctx); err == nil {
			return nil
		} else if ctx.Err() != nil {
			return fmt.Errorf("PostgreSQL started but does not answer on %d: %v", c.port, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (c *Cluster) data() string { return filepath.Join(c.dir, "data") }

func (c *Cluster) pgctl(args ...string) ([]byte, error) {
	return c.run(filepath.Join(c.bindir, "pg_ctl"), append([]string{"-D", c.data()}, args...)...)
}

// run runs a command as the cluster's owner.
func (c *Cluster) run(name string, args ...string) ([]byte, error) {
	argv := append(append(append([]string{}, c.asUser...), name), args...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = c.dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.Bytes(), err
}

func freePort(tb testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func executable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// Freeze stops every process of the server with SIGSTOP, as an operator's
// kill -STOP (or a hung host) does: its connections stay open and nothing
// answers. Thaw resumes them; the test's cleanup thaws a frozen server.
func (c *Cluster) Freeze() {
	c.tb.Helper()
	c.signal(syscall.SIGSTOP)
	c.tb.Cleanup(func() { c.signalErr(syscall.SIGCONT) })
}

// Thaw resumes a frozen server (SIGCONT).
func (c *Cluster) Thaw() {
	c.tb.Helper()
	c.signal(syscall.SIGCONT)
}

func (c *Cluster) signal(sig syscall.Signal) {
	c.tb.Helper()
	if err := c.signalErr(sig); err != nil {
		c.tb.Fatal(err)
	}
}

// signalErr sends sig to the postmaster and each of its children (the
// backends, checkpointer, WAL writer...).
func (c *Cluster) signalErr(sig syscall.Signal) error {
	b, err := os.ReadFile(filepath.Join(c.data(), "postmaster.pid"))
	if err != nil {
		return fmt.Errorf("read postmaster.pid: %v", err)
	}
	first, _, _ := bytes.Cut(b, []byte("\n"))
	pid, err := strconv.Atoi(string(bytes.TrimSpace(first)))
	if err != nil {
		return fmt.Errorf("postmaster.pid: %v", err)
	}
	pids := []int{pid}
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, st := range stats {
		s, err := os.ReadFile(st)
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces, so read after ')'.
		i := bytes.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := bytes.Fields(s[i+1:])
		if len(f) >= 2 {
			if ppid, _ := strconv.Atoi(string(f[1])); ppid == pid {
				child, _ := strconv.Atoi(filepath.Base(filepath.Dir(st)))
				pids = append(pids, child)
			}
		}
	}
	for _, p := range pids {
		if err := syscall.Kill(p, sig); err != nil && p == pid {
			return fmt.Errorf("signal %v to the postmaster %d: %v", sig, p, err)
		}
	}
	return nil
}
