#!/usr/bin/python3
"""Signature test vectors computed by Ceilometer 19's own code.

Writes testdata/compat/signatures.json: a list of vectors, each

    {"name": ..., "secret": ..., "message": <tagged JSON>,
     "python_repr": repr(message), "pairs": [[name, str(value)], ...],
     "signature": "<hex>"}

computed with ceilometer.publisher.utils.compute_signature (and, for the
"sample:" / "event:" vectors, meter_message_from_counter / message_from_event
over ceilometer.sample.Sample / ceilometer.event.models.Event objects).

`message` keeps the dict's key order. Values plain JSON cannot carry are
tagged: {"__float__": "nan" | "inf" | "-inf"} and {"__tuple__": [...]}.
Floats are written by Python's json (repr: 1.0, 0.1, 1e+20, 1e-05, -0.0),
so decode numbers as literals (Go: json.Decoder.UseNumber) to keep 1.0
distinct from 1 and huge ints exact. `pairs` is what the HMAC consumed:
for each (name, value) of recursive_keypairs(message) except
message_signature, str(name) then str(value), UTF-8 encoded.

Run: /usr/bin/python3 scripts/compat/gen_signatures.py [--out PATH]
"""

import argparse
import collections
import datetime
import json
import math
import os

from ceilometer.event import models
from ceilometer.publisher import utils
from ceilometer import sample

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
DEFAULT_OUT = os.path.join(REPO, "testdata", "compat", "signatures.json")
SECRET = "compat-test-secret"
OD = collections.OrderedDict


def tag(v):
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return {"__float__": "nan" if math.isnan(v) else
                ("inf" if v > 0 else "-inf")}
    if isinstance(v, tuple):
        return {"__tuple__": [tag(x) for x in v]}
    if isinstance(v, list):
        return [tag(x) for x in v]
    if isinstance(v, dict):
        return OD((k, tag(x)) for k, x in v.items())
    return v


def base_sample_msg(**over):
    m = OD([
        ("source", "openstack"), ("counter_name", "cpu"),
        ("counter_type", "cumulative"), ("counter_unit", "ns"),
        ("counter_volume", 1), ("user_id", "u1"), ("project_id", "p1"),
        ("resource_id", "r1"), ("timestamp", "2026-11-25T10:00:00.123456+00:00"),
        ("resource_metadata", OD()),
        ("message_id", "00000000-0000-4000-8000-000000000001"),
        ("monotonic_time", None),
    ])
    m.update(over)
    return m


def vectors():
    v = []

    def add(name, msg, secret=SECRET):
        v.append((name, msg, secret))

    # scalar volumes
    for nm, val in (("int", 1), ("zero", 0), ("negative-int", -42),
                    ("float-1.0", 1.0), ("float-0.1", 0.1),
                    ("float-1e+20", 1e+20), ("float-1e-05", 1e-05),
                    ("float-neg-zero", -0.0), ("float-nan", float("nan")),
                    ("float-inf", float("inf")),
                    ("float-neg-inf", float("-inf")),
                    ("float-1e16", 1e16), ("float-123456789.123", 123456789.123),
                    ("float-1.5e-07", 1.5e-07), ("float-2^53", 2.0 ** 53),
                    ("huge-int", 2 ** 70), ("int64-min", -(2 ** 63)),
                    ("none", None), ("true", True), ("false", False),
                    ("string-number", "42"), ("empty-string", "")):
        add("volume:" + nm, base_sample_msg(counter_volume=val))
    add("unicode", base_sample_msg(
        resource_id="ünïcødé-☃-日本-\U0001F600",
        user_id="jürgen", counter_name="cpu"))
    add("nested-dicts", base_sample_msg(resource_metadata=OD([
        ("flavor", OD([("id", "2"), ("name", "m1.small"), ("ram", 2048),
                       ("extra", OD([("z", 1), ("a", None)]))])),
        ("display_name", "vm"), ("Upper", "sorted-before-lower"),
        ("empty", OD()), ("image", OD([("id", "img")]))])))
    add("list-of-strings", base_sample_msg(resource_metadata=OD([
        ("tags", ["a", "b"]), ("empty_list", []),
        ("unicode_list", ["é", "☃"]), ("quote_list", ["it's", 'say "x"'])])))
    add("list-mixed", base_sample_msg(resource_metadata=OD([
        ("mixed", [1, 2.5, 1.0, None, True, "x", 1e+20, -0.0]),
        ("nested_lists", [["a"], [1, [2.0]]])])))
    add("list-of-dicts", base_sample_msg(resource_metadata=OD([
        ("fixed_ips", [OD([("version", 4), ("address", "10.0.0.7"),
                           ("floating_ips", []), ("meta", OD()),
                           ("label", "private")])]),
        ("attachments", [OD([("server_id", "s"), ("device", "/dev/vdb"),
                             ("nested", OD([("b", 0.1), ("a", [1.0])]))])])])))
    add("tuple", base_sample_msg(resource_metadata=OD([
        ("pair", ("a", 1)), ("triple", (1.0, None, "x"))])))
    add("metadata-float-values", base_sample_msg(resource_metadata=OD([
        ("cpu_util", 12.345678901234567), ("ratio", 1 / 3),
        ("big", 1.7976931348623157e+308), ("small", 5e-324)])))
    add("keys-with-colons-and-spaces", base_sample_msg(resource_metadata=OD([
        ("Sensor ID", "Temp (0x1)"), ("a:b", "c"),
        ("image_meta", OD([("org.openstack__1__architecture", "x86_64")]))])))
    add("empty-strings", base_sample_msg(user_id="", project_id="",
                                         resource_id=""))
    add("unsorted-top-level", OD([("z", 1), ("a", 2), ("M", 3),
                                  ("message_signature", "ignored")]))
    add("only-signature", OD([("message_signature", "x")]))
    add("empty-dict", OD())
    add("empty-secret", base_sample_msg(), secret="")
    add("none-secret", base_sample_msg(), secret=None)
    add("unicode-secret", base_sample_msg(), secret="sécret-☃")
    add("default-secret", base_sample_msg(),
        secret="change this for valid signing")
    add("event-like", OD([
        ("message_id", "9472c1e8-1e74-423e-a905-bafe4cc376e3"),
        ("event_type", "compute.instance.exists"),
        ("generated", "2026-11-25T10:16:38.215865"),
        ("traits", [["service", 1, "compute.compute-1"],
                    ["memory_mb", 2, 2048], ["ratio", 3, 0.5],
                    ["launched_at", 4, "2026-11-25T09:58:41"]]),
        ("raw", OD())]))
    add("event-raw-nested", OD([
        ("message_id", "m"), ("event_type", "x"), ("generated", "g"),
        ("traits", []),
        ("raw", OD([("payload", OD([("a", [1, "b"]), ("c", None)])),
                    ("priority", "INFO")]))]))
    return v


def sample_vectors():
    out = []
    s = sample.Sample(
        name="memory", type="gauge", unit="MB", volume=2048,
        user_id="u", project_id="p", resource_id="r",
        timestamp="2026-11-25T10:00:00.123456+00:00",
        resource_metadata=OD([("host", "compute-1"), ("flavor_id", "2"),
                              ("user_metadata", OD([("stack", "s")]))]),
        source="openstack", id="11111111-1111-4111-8111-111111111111",
        monotonic_time=None)
    out.append(("sample:meter_message_from_counter", s))
    s2 = sample.Sample(
        name="cpu", type="cumulative", unit="ns", volume=1234567890000,
        user_id=None, project_id=None, resource_id="r2",
        timestamp="2026-11-25T10:00:00", resource_metadata={},
        id="22222222-2222-4222-8222-222222222222", monotonic_time=12345.678901)
    out.append(("sample:meter_message_from_counter-monotonic", s2))
    s3 = sample.Sample(
        name="hardware.memory.used", type="gauge", unit="KB", volume=0.1,
        user_id="u", project_id="p", resource_id="10.0.0.1",
        timestamp="2026-11-25T10:00:00.5+00:00",
        resource_metadata={"tags": ["a", "é"], "n": [{"k": 1.0}]},
        source="hardware", id="33333333-3333-4333-8333-333333333333")
    out.append(("sample:meter_message_from_counter-lists", s3))
    return out


def event_vectors():
    t = models.Trait
    ev = models.Event(
        "9472c1e8-1e74-423e-a905-bafe4cc376e3", "compute.instance.exists",
        datetime.datetime(2026, 11, 25, 10, 16, 38, 215865),
        [t("service", t.TEXT_TYPE, "compute.compute-1"),
         t("memory_mb", t.INT_TYPE, 2048),
         t("ratio", t.FLOAT_TYPE, 0.5),
         t("launched_at", t.DATETIME_TYPE,
           datetime.datetime(2026, 11, 25, 9, 58, 41))],
        {})
    ev2 = models.Event(
        "m2", "image.upload", datetime.datetime(2026, 11, 25, 10, 0, 0),
        [], {"priority": "INFO", "payload": {"size": 1.0}})
    return [("event:message_from_event", ev),
            ("event:message_from_event-empty-traits-raw", ev2)]


def pairs(msg):
    return [[str(k), str(v)] for k, v in utils.recursive_keypairs(msg)
            if k != "message_signature"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=DEFAULT_OUT)
    args = ap.parse_args()
    rows = []
    for name, msg, secret in vectors():
        sig = utils.compute_signature(msg, secret)
        rows.append(OD([
            ("name", name), ("secret", secret), ("message", tag(msg)),
            ("python_repr", repr(dict(msg))), ("pairs", pairs(msg)),
            ("signature", sig)]))
    for name, s in sample_vectors():
        msg = utils.meter_message_from_counter(s, SECRET)
        sig = msg["message_signature"]
        assert sig == utils.compute_signature(msg, SECRET)
        rows.append(OD([
            ("name", name), ("secret", SECRET), ("message", tag(msg)),
            ("python_repr", repr(msg)), ("pairs", pairs(msg)),
            ("signature", sig)]))
    for name, ev in event_vectors():
        msg = utils.message_from_event(ev, SECRET)
        sig = msg["message_signature"]
        rows.append(OD([
            ("name", name), ("secret", SECRET), ("message", tag(msg)),
            ("python_repr", repr(msg)), ("pairs", pairs(msg)),
            ("signature", sig)]))
    # verify_signature agrees for every vector with a secret
    for r in rows:
        if r["secret"]:
            assert len(r["signature"]) == 64
        else:
            assert r["signature"] == ""
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(rows, f, ensure_ascii=False, indent=1, allow_nan=False)
        f.write("\n")
    print("wrote %d vectors to %s" % (len(rows), args.out))


if __name__ == "__main__":
    main()
