// Command worker runs exactly one notification service in the foreground with no
// supervision — for debugging, and for platforms whose orchestrator is the
// supervisor. It takes agent-notification's flags and runs the same code path as
// one of its workers; SIGTERM or SIGINT stop it gracefully.
package main

import (
	"os"

	"github.com/openstack-go/agent-notification/internal/app"
)

// version is set at build time (-ldflags "-X main.version=…").
var version = "dev"

func main() {
	os.Exit(app.RunForeground(os.Args, os.Stdout, os.Stderr, version))
}
