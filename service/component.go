package service

import "context"

// Component is anything long-lived in a worker: publishers, listeners.
//
// Start returns quickly and runs background work on a context it owns; the ctx
// it is given bounds only the start itself. Shutdown stops that work, flushes
// downstream and returns when done or when ctx expires; it is idempotent and
// safe to call without Start.
type Component interface {
	Start(ctx context.Context) error
	Shutdown(ctx context.Context) error
}

// StartFunc adapts a function to the Start half of a Component.
type StartFunc func(ctx context.Context) error

// Start calls f (nil does nothing).
func (f StartFunc) Start(ctx context.Context) error {
	if f == nil {
		return nil
	}
	return f(ctx)
}

// ShutdownFunc adapts a function to the Shutdown half of a Component.
type ShutdownFunc func(ctx context.Context) error

// Shutdown calls f (nil does nothing).
func (f ShutdownFunc) Shutdown(ctx context.Context) error {
	if f == nil {
		return nil
	}
	return f(ctx)
}

var _ Component = (*Listener)(nil)
