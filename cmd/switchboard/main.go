// Command switchboard serves the Switchboard admin console and manages its
// database, users, teams, nodes and API tokens from the command line.
//
//	switchboard serve                      # also the default with no subcommand
//	switchboard migrate
//	switchboard users create --email E --role admin|support [--team SLUG]... --password-stdin
//	switchboard teams create --slug S --name N               # prints the team id
//	switchboard nodes create --team SLUG --name N            # prints the node id
//	switchboard tokens create --team SLUG --name N [--expires 720h]   # prints the token once
//	switchboard keys rotate                # re-encrypts every sealed secret under the active key
//
// A create prints only the new value on standard output, everything else on
// standard error. Exit status: 0 success, 1 refused, 2 bad usage or configuration.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

// exitCode prints err on one line and maps it to the exit status.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	fmt.Fprintln(stderr, "switchboard: "+err.Error())
	var ce *configError
	var ue *usageError
	if errors.As(err, &ce) || errors.As(err, &ue) {
		return 2
	}
	return 1
}

// run dispatches a subcommand.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	env := &cli{getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr}
	switch cmd {
	case "serve":
		return env.serve(ctx, args)
	case "migrate":
		return env.migrate(ctx, args)
	case "users", "teams", "nodes", "tokens":
		if len(args) == 0 || args[0] != "create" {
			return &usageError{fmt.Sprintf("usage: switchboard %s create [flags] (see switchboard %s create -h)", cmd, cmd)}
		}
		return env.create(ctx, cmd, args[1:])
	case "keys":
		if len(args) == 0 || args[0] != "rotate" {
			return &usageError{"usage: switchboard keys rotate"}
		}
		return env.rotate(ctx, args[1:])
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		return &usageError{fmt.Sprintf("unknown command %q\n%s", cmd, usage)}
	}
}

const usage = `usage: switchboard <command> [flags]

commands:
  serve            serve the web console and JSON API (default)
  migrate          apply database migrations
  users create     --email E --role admin|support [--team SLUG]... --password-stdin
  teams create     --slug S --name N                 prints the team id
  nodes create     --team SLUG --name N              prints the node id
  tokens create    --team SLUG --name N [--expires 720h] [--read-only]   prints the token once
  keys rotate      re-encrypt every sealed secret under the active master key

Every command takes the configuration flags (-h lists them); each also reads
its SWITCHBOARD_* environment variable.
`
