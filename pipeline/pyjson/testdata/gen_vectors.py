#!/usr/bin/python3
"""Generate vectors.json: what Python's json and str()/repr() do with each input.

Run from this directory with the Python that Ceilometer runs on:

    /usr/bin/python3 gen_vectors.py > vectors.json

Every case records the input text and either "error": true (json.loads
rejects it) or the outputs of json.dumps (both ensure_ascii settings), str()
and repr() of the decoded value, and for a top-level dict the str() and repr()
of each member value. Where the decoded value holds lone surrogates (which a Go
string cannot), "surrogates" counts them and the "go_*" fields give the output
expected from the Go package, which stores U+FFFD in their place.
"""
import json
import re
import sys
import unicodedata

SURROGATE = re.compile('[\ud800-\udfff]')

CASES = [
    # scalars
    'null', 'true', 'false', '0', '-0', '1', '-1', '42', ' 7 ', '\t\r\n 8 \n',
    '9223372036854775807', '-9223372036854775808',
    '9223372036854775808', '-9223372036854775809',
    '123456789012345678901234567890', '-123456789012345678901234567890',
    '1' * 4300,
    # floats
    '0.0', '-0.0', '1.0', '1e5', '1E5', '1e+5', '1e-5', '1.5', '0.1', '0.2',
    '0.30000000000000004', '0.3', '1e16', '1e15', '1e-4', '1e-05', '0.0001', '0.00001',
    '123456789012345.0', '1234567890123456.0', '12345678901234567.0', '9007199254740993',
    '9007199254740993.0', '1e20', '1e+20', '1.5e300', '1.5E+300', '-1.5e-300', '5e-324',
    '2.2250738585072014e-308', '1.7976931348623157e308', '1.7976931348623158e308',
    '1E400', '-1e400', '1e-400', '-1e-400', '3.141592653589793', '2.718281828459045',
    '100.0', '1000000.0', '1e6', '123.456', '0.000123', '1.0000000000000002',
    '4.35', '0.1e1', '10e-1', '-0e0', '0e0', '0E-0', '1e0', '6.02214076e23',
    '1.00000000000000000000000000000000000000000001',
    '0.' + '0' * 400 + '1', '1' + '0' * 400 + '.0',
    'NaN', 'Infinity', '-Infinity', '[NaN, Infinity, -Infinity]',
    # strings
    '""', '"a"', '"hello world"', '"\\"quoted\\""', '"back\\\\slash"', '"\\/"',
    '"\\b\\f\\n\\r\\t"', '"\\u0000"', '"\\u0001\\u001f\\u007f\\u0080\\u009f"',
    '"\\u00e9"', '"é"', '"中文"', '"\\u4e2d"', '"😀"', '"\\ud83d\\ude00"', '"\\uD83D\\uDE00"',
    '"\\u2028\\u2029"', '"\u2028"', '"\\u00a0\\u00ad\\u200b\\ufeff"', '"\\ufffd"', '"\\uffff"',
    '"\\U"'.replace('U', 'u0055'), '"\U000e0001"', '"\U0010ffff"', '"\U000f0000"',
    '"it\'s"', '"say \\"hi\\""', '"both \' and \\""', '"\'"', '"\\""',
    '"tab\\there"', '"\x7f"', '"caf\u00e9 \u00fc\u00df"', '"\u0301"', '"\u0378"',
    '"\U0001fae8"', '"\u1e9e"', '"\U00011f00"', '"\U0001e4d0"', '"\U00031350"',
    '"\\ud800"', '"\\udc00"', '"\\ud800\\u0041"', '"\\ud800x"', '"\\udc00\\ud800"',
    '"\\ud83d\\ud83d\\ude00"', '["\\ud800", {"k\\udfff": "v"}]',
    # containers
    '[]', '{}', '[[]]', '[{}]', '{"a": {}}', '[1, 2, 3]', '[1,2 , 3 ]',
    '["a", 1, 1.0, null, true, false, {"k": "v"}]',
    '{"a": 1}', '{"b": 1, "a": 2}', '{"a": 1, "a": 2}', '{"a": 1, "b": 2, "a": 3}',
    '{"x": [1, [2, [3, {"y": null}]]]}', '{"": ""}', '{"\\u00e9": "\\u00e9"}',
    '{"k": "it\'s", "l": ["it\'s", "say \\"x\\"", "\'\\""]}',
    '{"nested": {"deep": {"deeper": [1.5, "x", {"z": 1e100}]}}}',
    '[[[[[[[[[[]]]]]]]]]]',
    '{"counter_name": "cpu", "counter_volume": 1.0, "resource_metadata": {"flavor": {"id": "1", "ram": 512}}, "tags": ["a", "b"], "x": null, "ok": true}',
    # errors
    '', ' ', '01', '-01', '1.', '.5', '-', '+1', '1e', '1e+', '0x10', '1_000', 'nan', 'NAN', '-NaN',
    'infinity', '+Infinity', 'tru', 'nul', 'True', 'None', '[1,]', '[,1]', '{"a":1,}', '{,}',
    '{"a" 1}', '{a: 1}', "{'a': 1}", '"abc', '"\\x"', '"\\u12"', '"\\u12G4"', '"\\ud800\\u12"',
    '"a\tb"', '"a\nb"', '"\x00"', '"\x1f"', '1 2', '[] x', '{}}', '[1]]', '\ufeff1', '\u00a01',
    '[1', '{"a": 1', '{"a"', '"\\', '[1 2]', '{"a": 1 "b": 2}', '1' * 4301, '-' + '1' * 4301,
]


def fix(v):
    """Replace lone surrogates by U+FFFD, as the Go decoder does."""
    if isinstance(v, str):
        return SURROGATE.sub('\ufffd', v)
    if isinstance(v, list):
        return [fix(x) for x in v]
    if isinstance(v, dict):
        out = {}
        for k, x in v.items():
            out[fix(k)] = fix(x)
        return out
    return v


def count_surrogates(v):
    if isinstance(v, str):
        return len(SURROGATE.findall(v))
    if isinstance(v, list):
        return sum(count_surrogates(x) for x in v)
    if isinstance(v, dict):
        return sum(count_surrogates(k) + count_surrogates(x) for k, x in v.items())
    return 0


def outputs(v, prefix=''):
    out = {
        prefix + 'dumps': json.dumps(v),
        prefix + 'dumps_unicode': json.dumps(v, ensure_ascii=False),
        prefix + 'str': str(v),
        prefix + 'repr': repr(v),
    }
    if isinstance(v, dict):
        out[prefix + 'members'] = [[k, str(x), repr(x)] for k, x in v.items()]
    return out


def case(text):
    c = {'input': text}
    try:
        v = json.loads(text)
    except (ValueError, RecursionError):
        c['error'] = True
        return c
    c.update(outputs(v))
    n = count_surrogates(v)
    if n:
        c['surrogates'] = n
        c.update(outputs(fix(v), 'go_'))
    return c


def nonprintable_ranges():
    """Ranges [lo, hi] of code points for which str.isprintable() is False."""
    ranges = []
    start = None
    for cp in range(0x110000):
        bad = not chr(cp).isprintable()
        if bad and start is None:
            start = cp
        elif not bad and start is not None:
            ranges.append([start, cp - 1])
            start = None
    if start is not None:
        ranges.append([start, 0x10ffff])
    return ranges


def main():
    doc = {
        'python': sys.version.split()[0],
        'unicode': unicodedata.unidata_version,
        'cases': [case(t) for t in CASES],
        'nonprintable': nonprintable_ranges(),
    }
    # Deep nesting: Python's own limit is the interpreter recursion limit.
    json.dump(doc, sys.stdout, indent=1, ensure_ascii=True)
    sys.stdout.write('\n')


if __name__ == '__main__':
    main()
