package conf

import (
	"io"
	"log"
	"os"
	"path/filepath"

	"github.com/hashicorp/go-hclog"
)

// LogOutput says where NewLogger sends log lines, following oslo.log: the log
// file when log_file or log_dir is set (relative log_file under log_dir, bare
// log_dir giving <prog>.log), standard error too when use_stderr, and standard
// output when there is neither a file nor use_stderr.
func (l LogConfig) LogOutput(prog string) (file string, stderr, stdout bool) {
	switch {
	case l.File != "" && l.Dir != "" && !filepath.IsAbs(l.File):
		file = filepath.Join(l.Dir, l.File)
	case l.File != "":
		file = l.File
	case l.Dir != "":
		file = filepath.Join(l.Dir, prog+".log")
	}
	stderr = l.UseStderr
	stdout = file == "" && !stderr
	return file, stderr, stdout
}

// NewLogger builds the process's root logger from the oslo.log options (debug,
// log_file, log_dir, use_stderr, use_json) and redirects the standard library's
// log package into it, so dependencies that log end up in the same place. The
// returned Closer closes the log file, if any. std is where "standard error"
// and "standard output" go (os.Stderr / os.Stdout when nil), for tests.
func NewLogger(l LogConfig, prog string, stderrW, stdoutW io.Writer) (hclog.Logger, io.Closer, error) {
	if stderrW == nil {
		stderrW = os.Stderr
	}
	if stdoutW == nil {
		stdoutW = os.Stdout
	}
	file, toStderr, toStdout := l.LogOutput(prog)
	var (
		writers []io.Writer
		closer  io.Closer = io.NopCloser(nil)
	)
	if file != "" {
		f, err := os.OpenFile(file, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
		if err != nil {
			return nil, nil, err
		}
		writers = append(writers, f)
		closer = f
	}
	if toStderr {
		writers = append(writers, stderrW)
	}
	if toStdout {
		writers = append(writers, stdoutW)
	}
	level := hclog.Info
	if l.Debug {
		level = hclog.Debug
	}
	logger := hclog.New(&hclog.LoggerOptions{
		Name:            prog,
		Level:           level,
		Output:          io.MultiWriter(writers...),
		JSONFormat:      l.UseJSON,
		TimeFormat:      "2006-01-02T15:04:05.000Z0700",
		IncludeLocation: false,
		Color:           hclog.ColorOff,
		Mutex:           nil,
	})
	RedirectStdLog(logger)
	return logger, closer, nil
}

// RedirectStdLog sends the standard library's log package (used by
// dependencies) into logger at INFO level.
func RedirectStdLog(logger hclog.Logger) {
	log.SetOutput(logger.StandardWriter(&hclog.StandardLoggerOptions{InferLevels: true}))
	log.SetPrefix("")
	log.SetFlags(0)
}

// LogEffective logs the effective configuration once, at DEBUG level and with
// every secret masked, when [DEFAULT] log_options is true (oslo's
// log_opt_values), followed by the warnings found while loading.
func (c *Config) LogEffective(logger hclog.Logger) {
	for _, w := range c.Warnings {
		logger.Warn(w)
	}
	if !c.LogOptions || !logger.IsDebug() {
		return
	}
	for _, line := range c.Dump() {
		logger.Debug(line)
	}
}
