// Package pyre runs Python regular expressions (the re module of Python
// 3.11, str patterns) on Go's regexp package, for the places where Ceilometer
// applies user-written patterns: meter event_type filters (re.match),
// jsonpath-rw-ext's sub() and ~ filter, and the unit-conversion
// transformers' map_from/map_to (re.sub).
//
// Translate rewrites the syntax both engines share with Python's meaning:
// \d \w \s and their negations are Unicode-aware as in Python, \Z is the end
// of the subject, $ also matches before a final newline, \xhh \uhhhh
// \Uhhhhhhhh and octal escapes are characters, (?#…) comments are dropped
// and {,n} is {0,n}. Python syntax Go lacks is refused with an error for
// which IsUnsupported is true — look-behind, back-references, atomic groups,
// possessive quantifiers, conditionals, \W or \S inside a class — and Python
// syntax errors are errors for which it is false.
//
// Compile gives a *regexp.Regexp for searching (re.search, re.sub).
// CompileMatch gives a Pattern for re.match, which additionally supports
// look-aheads (?!…) and (?=…) at the top level of the pattern (not inside a
// group or under a quantifier), whose bodies are themselves look-around
// free; such a pattern may not use \b or \B, ^ or \A other than at its very
// start, nor $ or \Z before its last look-ahead.
//
// ParseTemplate and Template.Sub are re.sub's replacement: \1…\99, \g<n>,
// \g<name>, the escapes \a \b \f \n \r \t \v \\ and octal escapes.
//
// Known differences from Python: after a non-empty match, Go never reports
// an empty match at the same position, which Python 3.7+ replaces too (x*,
// a{,2}); \b and \B are ASCII word boundaries; and a $ of a Compile'd
// pattern that matches before a final newline takes that newline into the
// match (re.match, which only answers yes or no, is exact).
//
// Compiled values are immutable and safe for concurrent use.
package pyre
