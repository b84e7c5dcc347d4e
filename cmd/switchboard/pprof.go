//go:build pprof

// Built with -tags pprof (never in a release), the server also serves
// net/http/pprof on SWITCHBOARD_PPROF_ADDR (default 127.0.0.1:6060), for
// profiling under a load run.
package main

import (
	"log"
	"net/http"
	_ "net/http/pprof"
	"os"
)

func init() {
	addr := os.Getenv("SWITCHBOARD_PPROF_ADDR")
	if addr == "" {
		addr = "127.0.0.1:6060"
	}
	go func() { log.Println(http.ListenAndServe(addr, nil)) }()
}
