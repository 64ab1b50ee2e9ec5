// Package conf loads ceilometer.conf with oslo.config's rules, so that an
// operator's existing file means the same thing to this agent as to Ceilometer.
//
// Contract:
//
//   - ParseArgs reads the oslo command line (--config-file, --config-dir, the
//     oslo.log flags) keeping its order, which decides precedence.
//   - Load reads every source through a Bundle, applies oslo's precedence
//     (files and command line in order, OS_<GROUP>__<OPTION> above files,
//     command line above the environment, current names above deprecated ones,
//     multi-valued options accumulating across files) and returns a typed,
//     validated, immutable Config — or every error at once, each naming file,
//     line and option.
//   - Options the agent does not use but Ceilometer 19 defines load silently;
//     anything else is accepted with one warning (Config.Warnings).
//   - Secrets (secret options, passwords inside URLs) are masked in every text
//     this package produces: Dump, Diff, errors.
//   - FileError and the YAML helpers (yaml.go) give every configuration error of
//     the agent the same file:line:col form.
//
// The package holds no mutable package-level state.
package conf
