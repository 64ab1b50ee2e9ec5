// Package jsonpath evaluates the JSONPath dialect of Python's jsonpath-rw 1.4
// with the jsonpath-rw-ext 1.2.2 extensions, the dialect of Ceilometer's meter
// and event definitions, over values decoded by package pyjson.
//
// Compile parses an expression once; the resulting *Path is immutable and safe
// for concurrent use. Every expression is accepted or refused exactly as
// jsonpath-rw-ext does (the grammar's LALR(1) tables are generated from the
// reference grammar by testdata/gen_tables.py), and evaluation reproduces its
// results, their order and the Python semantics of the values (int versus
// float, str() comparisons, Python's int() in filters). Where the Python code
// raises an exception, Eval returns an *EvalError and Find returns nil.
//
// # Grammar
//
// Tokens: names ([a-zA-Z_@][a-zA-Z0-9_@-]*, 'quoted' or "quoted"), integers,
// decimals (1.5), true/false, `named operators`, and
// $ @ . .. * [ ] ( ) , : | & ? + - and the filter operators = == != < <= > >= ~.
// A word starting with "true" or "false" lexes as a boolean; "where" is a
// keyword; '/' only ever lexes as a sort direction.
//
//	$                 the root            @, `this`     the current value
//	a, 'a.b', a,b, *  fields of an object `parent`      the containing value
//	x.y               child               x..y          y anywhere below x
//	x[0], x[-1]       index               x[*], x[1:3]  slice (scalars and objects act as [v])
//	x|y               union               x where y     x that have a y
//	x[?(@.k = 'v')]   filter (& for and)  x[/k], x[\k]  sort by key (ascending / descending)
//	`len`  `sorted`   length, sort        `split(., 0, -1)`, `sub(/re/, repl)`  string helpers
//	x + y, x - 1, 2 * x                    arithmetic on numbers, str/list concatenation,
//	                                       repetition; a bare name is a string literal
//
// Precedence follows PLY's resolution of the original grammar, with
// surprising results kept on purpose: arithmetic binds loosest and groups to
// the right; '|' and '&' bind tighter than '.', so "$.a | $.b" means
// "$.(a|$).b" (Ceilometer itself writes lists of paths as "(p1)|(p2)"); and
// "x + 1" on a name x (not a path) is the string "x" plus 1.
//
// # Semantics worth knowing
//
// Fields match only in objects; indexing a number, slicing null or a float,
// ordering a string against a number in a filter, and '&' outside a filter
// raise in Python and fail here. Filters convert the value with Python's
// int() when the literal is an integer or boolean. Arithmetic follows Python:
// int op int stays int (arbitrary precision), any float makes a float, a
// TypeError (e.g. str + int) makes the whole operation match nothing.
//
// # Known deviations
//
// Regular expressions (`sub`, '~') run on Go's RE2 after translating Python's
// syntax: look-around and back-references are refused at Compile time (Python
// accepts them), \b and \W inside classes are ASCII, and re.sub's replacement
// of an empty match right after another match is skipped. To stay bounded on
// hostile input, an evaluation producing more than 2^20 intermediate matches,
// or a str/list repetition beyond 16 MiB, fails with an EvalError where
// Python would grind on.
package jsonpath
