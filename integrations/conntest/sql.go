package conntest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/lib/pq"
	"switchboard/netguard"
)

// "Test connection" for the SQL apps: a real connection with the stored
// credentials and SELECT 1, within Timeout, dialled only
// through the service's private-target guard. A refusal is reported in the
// server's own words (PostgreSQL's `password authentication failed for user
// "x"`, MySQL's `Access denied for user …`), which never carry the password.

// sqlTarget is the part of the SQL credentials a test needs.
type sqlTarget struct {
	host, database, username, password, certificate string
	port                                            int
	ssl, rejectUnauthorized                         bool
}

func sqlTargetOf(c map[string]any) (sqlTarget, error) {
	t := sqlTarget{
		host: credString(c, "host"), database: credString(c, "database"), username: credString(c, "username"),
		password: credString(c, "password"), certificate: credString(c, "sslCertificate"),
		ssl: credBool(c, "sslEnabled"), rejectUnauthorized: credBool(c, "sslRejectUnauthorized"),
	}
	if p, ok := c["port"].(float64); ok {
		t.port = int(p)
	}
	// Only a host name or an IP address: a path or "@name" would make the
	// drivers use a Unix socket, which the guard does not see.
	h := strings.Trim(t.host, "[]")
	if t.host == "" || strings.ContainsAny(t.host, "/\\@, \t\r\n") || (strings.Contains(h, ":") && net.ParseIP(h) == nil) {
		return t, Failed("the host must be a host name or an IP address")
	}
	t.host = h
	if t.port < 1 || t.port > 65535 {
		return t, Failed("the port must be between 1 and 65535")
	}
	return t, nil
}

func credString(c map[string]any, k string) string {
	s, _ := c[k].(string)
	return s
}

func credBool(c map[string]any, k string) bool {
	b, _ := c[k].(bool)
	return b
}

// tlsConfig is the TLS of a SQL connection: the CA given, else the
// system's; verification unless sslRejectUnauthorized is off.
func (t sqlTarget) tlsConfig() (*tls.Config, error) {
	cfg := &tls.Config{ServerName: t.host, MinVersion: tls.VersionTLS12, InsecureSkipVerify: !t.rejectUnauthorized}
	if t.certificate != "" {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM([]byte(t.certificate)) {
			return nil, Failed("the SSL certificate is not a PEM certificate")
		}
		cfg.RootCAs = pool
	}
	return cfg, nil
}

// guardDialer makes the guard a lib/pq dialer.
type guardDialer struct{ g netguard.Guard }

func (d guardDialer) Dial(network, address string) (net.Conn, error) {
	return d.g.DialContext(context.Background(), network, address)
}

func (d guardDialer) DialTimeout(network, address string, timeout time.Duration) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return d.g.DialContext(ctx, network, address)
}

func (d guardDialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	return d.g.DialContext(ctx, network, address)
}

// testPostgres connects with lib/pq and runs SELECT 1.
func testPostgres(ctx context.Context, guard netguard.Guard, _ string, c map[string]any) (string, error) {
	t, err := sqlTargetOf(c)
	if err != nil {
		return "", err
	}
	// The configuration is built field by field rather than from a DSN or
	// the PG* environment, so nothing but the stored credentials applies.
	cfg := pq.Config{
		Host: t.host, Port: uint16(t.port), Database: t.database, User: t.username, Password: t.password,
		SSLMode: pq.SSLModeDisable, SSLSNI: true, ConnectTimeout: Timeout,
		MinProtocolVersion: "3.0", MaxProtocolVersion: "3.0", ClientEncoding: "UTF8", Datestyle: "ISO, MDY",
		ApplicationName: "switchboard connection test",
	}
	if t.ssl {
		switch {
		case !t.rejectUnauthorized:
			cfg.SSLMode = pq.SSLModeRequire
		case t.certificate != "":
			cfg.SSLMode, cfg.SSLInline, cfg.SSLRootCert = pq.SSLModeVerifyFull, true, t.certificate
		default:
			cfg.SSLMode, cfg.SSLRootCert = pq.SSLModeVerifyFull, "system"
		}
	}
	conn, err := pq.NewConnectorConfig(cfg)
	if err != nil {
		return "", Failed(sqlReason(err, "PostgreSQL"))
	}
	conn.Dialer(guardDialer{guard})
	return selectOne(ctx, sql.OpenDB(conn), "PostgreSQL", t)
}

// testMySQL connects with go-sql-driver/mysql and runs SELECT 1.
func testMySQL(ctx context.Context, guard netguard.Guard, _ string, c map[string]any) (string, error) {
	t, err := sqlTargetOf(c)
	if err != nil {
		return "", err
	}
	cfg := mysql.NewConfig()
	cfg.Net, cfg.Addr = "tcp", net.JoinHostPort(t.host, strconv.Itoa(t.port))
	cfg.User, cfg.Passwd, cfg.DBName = t.username, t.password, t.database
	cfg.Timeout, cfg.ReadTimeout, cfg.WriteTimeout = Timeout, Timeout, Timeout
	cfg.DialFunc = guard.DialContext
	// The driver would print protocol errors to standard error.
	cfg.Logger = &mysql.NopLogger{}
	if t.ssl {
		tc, err := t.tlsConfig()
		if err != nil {
			return "", err
		}
		cfg.TLS = tc
	}
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		return "", Failed(sqlReason(err, "MySQL"))
	}
	return selectOne(ctx, sql.OpenDB(conn), "MySQL", t)
}

// selectOne runs SELECT 1 on one connection of pool and closes it.
func selectOne(ctx context.Context, pool *sql.DB, server string, t sqlTarget) (string, error) {
	defer pool.Close()
	pool.SetMaxOpenConns(1)
	var one int
	if err := pool.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return "", Failed(sqlReason(err, server))
	}
	if one != 1 {
		return "", Failed(fmt.Sprintf("SELECT 1 returned %d", one))
	}
	return fmt.Sprintf("Connected to %s at %s as %s (database %s); SELECT 1 succeeded",
		server, net.JoinHostPort(t.host, strconv.Itoa(t.port)), t.username, t.database), nil
}

// sqlReason says why a connection failed: the guard's refusal, a timeout,
// or the server's own message without the driver's prefix.
func sqlReason(err error, server string) string {
	var (
		refused *netguard.RefusedError
		pqErr   *pq.Error
		myErr   *mysql.MySQLError
		netErr  net.Error
	)
	switch {
	case errors.As(err, &refused):
		return refused.Error()
	case errors.As(err, &pqErr):
		return pqErr.Message
	case errors.As(err, &myErr):
		return myErr.Message
	case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &netErr) && netErr.Timeout()):
		return fmt.Sprintf("%s did not answer within %s", server, Timeout)
	case errors.As(err, new(*net.OpError)):
		// Socket detail (refused, reset, unreachable) would be a port-scan oracle.
		return "cannot connect to " + server + ": " + netguard.Describe(err)
	}
	msg := strings.TrimPrefix(err.Error(), "pq: ")
	return "cannot connect to " + server + ": " + msg
}
