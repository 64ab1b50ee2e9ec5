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
	before := runtime.NumGoroutine()
	code := m.Run()
	if code == 0 {
		deadline := time.Now().Add(5 * time.Second)
		for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		if n := runtime.NumGoroutine(); n > before {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			fmt.Fprintf(os.Stderr, "leaked goroutines: %d before the tests, %d after\n%s\n", before, n, leaked(string(buf)))
			code = 1
		}
	}
	os.Exit(code)
}

// leaked keeps the stacks that are not the test framework's own.
func leaked(all string) string {
	var out []string
	for _, g := range strings.Split(all, "\n\n") {
		if strings.Contains(g, "testing.(*M)") || strings.Contains(g, "runtime.Stack") {
			continue
		}
		out = append(out, g)
	}
	return strings.Join(out, "\n\n")
}

func amqpPublishing(body []byte) amqp.Publishing {
	return amqp.Publishing{ContentType: ContentType, Body: body}
}
