#!/usr/bin/env python3
"""Writes sub_vectors.json: re.sub results (or the error Python raises) of
patterns and templates over subjects, for internal/pyre's tests. Run with
Python 3.11 (Ceilometer 19's); regex_vectors.json comes from
plugins/meter/testdata/gen_expected.py."""
import json
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))

SUBJECTS = ["", "abc", "a1b22c333", "x y\tz\u2003w", "\u0663\u0664 digits", "caf\u00e9 na\u00efve", "line\n",
            "B/s", "KB", "disk.read.bytes", "\x1cx\x1f", "tab\tend", "a.b.c"]

CASES = [
    (r"\d+", "#"), (r"\w+", "<\g<0>>"), (r"\s", "_"), (r"\S+", "[\\g<0>]"), (r"\W", ""),
    (r"^(\w)", r"\1\1"), (r"(\w)$", r"<\1>"), (r"c$", "C"), (r"\Z", "!"), (r"\Aa", "A"),
    (r"[\d.]+", "N"), (r"[^\w]", "-"), (r"[\s]+", " "), (r"\x41|\u00e9", "E"), (r"\0", "0"),
    (r"(?P<n>\d)", r"\g<n>\g<1>"), (r"(a)(b)?", r"[\2]"), (r"b", r"\n\t\\"), (r"b", r"\101"),
    (r"(?i)KB", "kB"), (r"(?#comment)a", "A"), (r"a{,2}", "x"), (r"[\101]", "@"),
    (r"(\d)(\d)", r"\2\1"), (r"b", r"\g<2>"), (r"b", r"\q"), (r"a(", "x"), (r"\q", "x"),
    (r"(?<n>a)", "x"), (r"\.", "_"), (r"(?m)c$", "C"), (r"x*", "-"), (r"\b", "|"),
    (r"(?s).", "."), (r"[a-c]+", r"\g<0>\g<0>"), (r"(?:b)(c)", r"\1"), (r"\$", "D"),
]


def main():
    out = []
    for pat, repl in CASES:
        case = {"pattern": pat, "repl": repl}
        try:
            rx = re.compile(pat)
        except re.error as e:
            case["pattern_error"] = str(e)
            out.append(case)
            continue
        results = []
        for s in SUBJECTS:
            try:
                results.append({"in": s, "out": rx.sub(repl, s), "match": rx.match(s) is not None})
            except re.error as e:
                case["repl_error"] = str(e)
                results = None
                break
        if results is not None:
            case["subjects"] = results
        out.append(case)
    with open(os.path.join(HERE, "sub_vectors.json"), "w") as f:
        json.dump(out, f, indent=1, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()
