package wire

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// FuzzBrokerFrames sends arbitrary octets to a consuming connection, as a
// broken or hostile broker might, then hangs up. Whatever they are, the
// connection must not panic or hang: it ends (Done closed, an error given)
// once the socket is gone, its channel and consumer with it, and what it
// handed over stays within the negotiated limits.
func FuzzBrokerFrames(f *testing.F) {
	delivery := func(tag uint64, body string) []byte {
		return cat(deliverFrame(1, "ctag", tag), headerFrame(1, uint64(len(body)), 0), bodyFrame(1, []byte(body)))
	}
	for _, seed := range [][]byte{
		nil,
		delivery(1, "hello"),
		cat(delivery(1, "a"), heartbeat, delivery(2, ""), delivery(3, "bc")),
		cat(deliverFrame(1, "ctag", 1), headerFrame(1, 6, flagContentType, sstr("application/json")), bodyFrame(1, []byte("abc")), heartbeat, bodyFrame(1, []byte("def"))),
		cat(deliverFrame(1, "ctag", 1), headerFrame(1, 0, flagHeaders, nestedHeaders(3))),
		cat(deliverFrame(1, "other", 1), headerFrame(1, 1, 0), bodyFrame(1, []byte("x"))),
		cat(delivery(1, "a"), methodFrame(1, 60, 30, sstr("ctag"), u8(0))), // the broker cancels the consumer
		cat(delivery(1, "a"), closeFrame(1, 404, "NOT_FOUND - no queue")),
		cat(delivery(1, "a"), closeFrame(0, 320, "CONNECTION_FORCED")),
		cat(methodFrame(0, 10, 60, sstr("low on memory")), methodFrame(0, 10, 61)),
		cat(deliverFrame(1, "ctag", 1), headerFrame(1, 5000, 0), cat(u8(3), u16(1), u32(4089)), make([]byte, 4090)),
		rawFrame(1, 1, []byte{0, 60, 0}),
		rawFrame(2, 9, nil),
	} {
		f.Add(seed)
	}
	const frameMax = 4096
	f.Fuzz(func(t *testing.T, data []byte) {
		consuming := make(chan struct{})
		nc := pairFake(t, func(fs *fakeServer) {
			fs.handshake(tune{chanMax: 16, frameMax: frameMax})
			if _, ok := fs.serve(func(fr fakeFrame) bool { return fr.is(60, 20) }); !ok {
				fs.fatalf("the client hung up before consuming")
			}
			select {
			case <-consuming:
			case <-time.After(10 * time.Second):
				fs.fatalf("Consume did not return")
			}
			// The client may already have hung up on a bad frame: the
			// write's error is no finding. Returning closes the socket.
			_, _ = fs.nc.Write(data)
		})
		c, err := openOn(t, nc, Config{User: "u", Password: "p"})
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		ch, err := c.Channel()
		if err != nil {
			t.Fatal(err)
		}
		var bad atomic.Value
		ended, err := ch.Consume("q", "ctag", func(d *amqp.Delivery) {
			if d.ConsumerTag != "ctag" || len(d.Body) > len(data) {
				bad.Store(fmt.Sprintf("delivery for %q with a body of %d octets from %d octets sent", d.ConsumerTag, len(d.Body), len(data)))
			}
		})
		close(consuming)
		if err != nil {
			t.Fatal(err)
		}
		waitClosed(t, c.Done(), 5*time.Second, "the connection's Done after the server hung up")
		if c.Err() == nil {
			t.Error("the connection ended without an error")
		}
		waitClosed(t, ch.Done(), time.Second, "the channel's Done")
		waitClosed(t, ended, time.Second, "the consumer's end")
		if msg := bad.Load(); msg != nil {
			t.Error(msg)
		}
	})
}
