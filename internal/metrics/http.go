package metrics

import (
	"bytes"
	"context"
	"errors"
	"log"
	"net"
	"net/http"
	"time"
)

// Source is what an endpoint serves. Its methods are called concurrently, from
// the request goroutines; they must return once ctx (bounded by the request
// and by RequestTimeout) is done.
type Source interface {
	// Gather returns the families to expose, sorted (Set.Families).
	Gather(ctx context.Context) ([]Family, error)
	// Ready returns nil when the agent is ready — every worker ready and every
	// listener consuming — and otherwise why it is not.
	Ready(ctx context.Context) error
	// Healthy returns nil while the process's control loop runs.
	Healthy(ctx context.Context) error
}

// Server timeouts. A scrape asks every worker with a one-second deadline, so
// RequestTimeout leaves room for that and for rendering.
const (
	RequestTimeout    = 5 * time.Second
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 10 * time.Second
	writeTimeout      = 15 * time.Second
	idleTimeout       = 60 * time.Second
	maxHeaderBytes    = 8 << 10
)

// Handler serves src:
//
//	GET /metrics  the families in the text format 0.0.4
//	GET /healthz  200 "ok" while the control loop runs, else 503 and why
//	GET /readyz   200 "ok" when ready, else 503 and why
//
// Other paths are 404, other methods 405. Responses are never cached.
func Handler(src Source) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/metrics", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), RequestTimeout)
		defer cancel()
		fams, err := src.Gather(ctx)
		if err != nil {
			plain(w, r, http.StatusServiceUnavailable, err.Error())
			return
		}
		var b bytes.Buffer
		if err := Write(&b, fams); err != nil {
			plain(w, r, http.StatusInternalServerError, err.Error())
			return
		}
		w.Header().Set("Content-Type", ContentType)
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusOK)
		if r.Method != http.MethodHead {
			_, _ = w.Write(b.Bytes())
		}
	})
	probe := func(check func(context.Context) error) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			ctx, cancel := context.WithTimeout(r.Context(), RequestTimeout)
			defer cancel()
			if err := check(ctx); err != nil {
				plain(w, r, http.StatusServiceUnavailable, err.Error())
				return
			}
			plain(w, r, http.StatusOK, "ok")
		}
	}
	mux.Handle("/healthz", probe(src.Healthy))
	mux.Handle("/readyz", probe(src.Ready))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			plain(w, r, http.StatusMethodNotAllowed, "method not allowed")
			return
		}
		mux.ServeHTTP(w, r)
	})
}

func plain(w http.ResponseWriter, r *http.Request, code int, text string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	if r.Method != http.MethodHead {
		_, _ = w.Write([]byte(text + "\n"))
	}
}

// Server is an HTTP server bound to one address. Listen binds; Serve runs
// until Shutdown. Its owner runs Serve on a goroutine it waits for.
type Server struct {
	srv *http.Server
	ln  net.Listener
}

// Listen binds addr (host:port; port 0 picks a free one) so that an error —
// address in use, permission — is the caller's to report at once.
func Listen(addr string, h http.Handler, errorLog *log.Logger) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	return &Server{ln: ln, srv: &http.Server{
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          errorLog,
	}}, nil
}

// Addr returns the bound address (with the real port when 0 was asked for).
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Serve serves until Shutdown; it returns nil after a Shutdown.
func (s *Server) Serve() error {
	if err := s.srv.Serve(s.ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Shutdown stops accepting, waits (bounded by ctx) for the requests in
// progress, then closes what remains. Safe to call more than once.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.srv.Shutdown(ctx)
	_ = s.ln.Close() // in case Serve never ran
	if err != nil {
		_ = s.srv.Close()
	}
	return err
}

// IsLoopback reports whether addr (host:port) binds loopback only: an IP
// literal in 127.0.0.0/8 or ::1, or "localhost".
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
