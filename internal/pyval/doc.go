// Package pyval gives decoded values (pyjson.Value) the meaning Python gives
// them, for the parts of Ceilometer that apply Python built-ins to
// notification and configuration values:
//
//   - int(v), float(v), str(v), bool(v) and a == b (Int, Float, Str, Truth,
//     Equal), with Python 3.11's rules and error texts: int() of a string
//     accepts Unicode digits, surrounding whitespace and single underscores
//     between digits, and refuses more than 4300 digits; float() of a string
//     accepts "inf", "infinity" and "nan" in any case and overflows to ±inf;
//     numbers compare by value across bool, int and float.
//   - the value PyYAML's safe_load builds for a YAML node (FromYAML): YAML 1.1
//     typing of plain scalars (yes/no booleans, 0x/0b/leading-0 octal and
//     base-60 integers, underscores), merge keys expanded, a later duplicate
//     key winning, timestamps kept as their text (Timestamp).
//
// Integers are int64 or, beyond it, pyjson.BigInt; functions also accept a
// *big.Int where they take an int. The package has no state and is safe for
// concurrent use.
package pyval
