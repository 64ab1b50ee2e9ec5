package partition

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// TestMain fails the package when goroutines are left running after the
// tests (every consumer and router must be shut down, and their amqp091
// connections closed).
func TestMain(m *testing.M) {
	before := len(goroutines())
	code := m.Run()
	if code == 0 {
		deadline := time.Now().Add(5 * time.Second)
		for len(goroutines()) > before && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		if gs := goroutines(); len(gs) > before {
			fmt.Fprintf(os.Stderr, "leaked goroutines: %d before the tests, %d after\n%s\n", before, len(gs), strings.Join(gs, "\n\n"))
			code = 1
		}
	}
	os.Exit(code)
}

// goroutines returns the stacks of the goroutines that are not the test
// framework's own (nor the signal handling `go test -fuzz` starts).
func goroutines() []string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "testing.(*M)") || strings.Contains(g, "runtime.Stack") || strings.Contains(g, "os/signal.loop") {
			continue
		}
		out = append(out, g)
	}
	return out
}

func amqpPublishing(body []byte) amqp.Publishing {
	return amqp.Publishing{ContentType: ContentType, Body: body}
}
