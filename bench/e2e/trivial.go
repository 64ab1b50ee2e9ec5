package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	amqp "github.com/rabbitmq/amqp091-go"
)

// The trivial client is the broker ceiling: it does what the agent does with
// RabbitMQ and nothing else — consume every input queue (prefetch 100, manual
// acks), republish one message per notification (its body, unchanged) onto
// exchange "ceilometer" with routing key metering.sample (persistent, as the
// agent publishes) in confirm mode, and ack each notification once its
// republished message is confirmed.
//
// It runs as a child process (the benchmark binary re-executed with
// envRole=trivial) so that its CPU and memory are measured exactly as the
// agent's are.

const (
	envRole     = "BENCH_E2E_ROLE"
	envURL      = "BENCH_E2E_URL"
	envQueues   = "BENCH_E2E_QUEUES"
	envPrefetch = "BENCH_E2E_PREFETCH"
)

// childMain runs the trivial client when this process was started as one; it
// reports whether it did (the caller then exits with *code).
func childMain(code *int) bool {
	if os.Getenv(envRole) != "trivial" {
		return false
	}
	prefetch, err := strconv.Atoi(os.Getenv(envPrefetch))
	if err != nil {
		prefetch = 100
	}
	if err := trivialClient(os.Getenv(envURL), strings.Split(os.Getenv(envQueues), ","), prefetch); err != nil {
		fmt.Fprintln(os.Stderr, "trivial client:", err)
		*code = 1
		return true
	}
	*code = 0
	return true
}

func trivialClient(u string, queues []string, prefetch int) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	conn, err := dial(ctx, u)
	if err != nil {
		return err
	}
	defer conn.Close()
	cch, err := conn.Channel()
	if err != nil {
		return err
	}
	if err := cch.Qos(prefetch, 0, false); err != nil {
		return err
	}
	pch, err := conn.Channel()
	if err != nil {
		return err
	}
	if err := pch.Confirm(false); err != nil {
		return err
	}
	in := make(chan amqp.Delivery, 100)
	for _, q := range queues {
		ds, err := cch.Consume(q, "", false, false, false, false, nil)
		if err != nil {
			return fmt.Errorf("consume %s: %w", q, err)
		}
		go func() {
			for d := range ds {
				in <- d
			}
		}()
	}
	type inflight struct {
		dc *amqp.DeferredConfirmation
		d  amqp.Delivery
	}
	acks := make(chan inflight, 200)
	errc := make(chan error, 2)
	go func() { // confirmations arrive in order: ack each notification after its copy is confirmed
		for f := range acks {
			ok, err := f.dc.WaitContext(ctx)
			if err == nil && !ok {
				err = fmt.Errorf("the broker refused a message")
			}
			if err == nil {
				err = f.d.Ack(false)
			}
			if err != nil {
				errc <- err
				return
			}
		}
	}()
	closed := conn.NotifyClose(make(chan *amqp.Error, 1))
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-errc:
			if ctx.Err() != nil {
				return nil
			}
			return err
		case e := <-closed:
			if ctx.Err() != nil || e == nil {
				return nil
			}
			return e
		case d := <-in:
			dc, err := pch.PublishWithDeferredConfirmWithContext(ctx, "ceilometer", keySamples, false, false, amqp.Publishing{
				ContentType: "application/json", ContentEncoding: "utf-8", DeliveryMode: amqp.Persistent, Body: d.Body,
			})
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return err
			}
			acks <- inflight{dc, d}
		}
	}
}
