// Command agent-notification is a drop-in replacement for Ceilometer's
// ceilometer-agent-notification: see `agent-notification --help`.
package main

import (
	"os"

	"github.com/openstack-go/agent-notification/internal/app"
)

// version is set at build time (-ldflags "-X main.version=…").
var version = "dev"

func main() {
	os.Exit(app.Main(os.Args, os.Stdout, os.Stderr, version))
}
