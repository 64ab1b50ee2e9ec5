#!/usr/bin/env python3
"""Writes vectors.json: Python 3.11's int(), float() and == on JSON values,
for internal/pyval's tests."""
import json
import math
import os

HERE = os.path.dirname(os.path.abspath(__file__))

VALUES = [None, True, False, 0, 1, -7, 2**63, -2**70, 1.5, -0.0, 1e308, "12", " 12 ", "+3", "-0", "1_000",
          "1__0", "_1", "1_", "\u0663", "\u2003 5\u2003", "\x1c5", "0x10", "1.5", "1e3", ".5", "5.", "inf",
          "-Infinity", "nan", "1e400", "1e-400", "", " ", "abc", "1 2", [1], {"a": 1}, "9" * 4301]


def outcome(f, v):
    try:
        r = f(v)
    except Exception as e:  # noqa: BLE001
        return {"exc": type(e).__name__, "msg": str(e)}
    if isinstance(r, float):
        if math.isnan(r):
            return {"float": "nan"}
        if math.isinf(r):
            return {"float": "inf" if r > 0 else "-inf"}
        return {"float": repr(r)}
    return {"int": str(r)}


def main():
    out = []
    for v in VALUES:
        out.append({"in": v, "int": outcome(int, v), "float": outcome(float, v)})
    eq = []
    nums = [True, 1, 1.0, 0, -0.0, False, 2**63, float(2**63), 1.5, "1", None, [1], [1.0], {"a": 1}, {"a": True}]
    for a in nums:
        for b in nums:
            eq.append({"a": a, "b": b, "eq": a == b})
    with open(os.path.join(HERE, "vectors.json"), "w") as f:
        json.dump({"convert": out, "equal": eq}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
