#!/usr/bin/python3
"""Generate the golden cases of package plugins/event with Ceilometer 19 itself.

Run from plugins/event:  /usr/bin/python3 testdata/gen_golden.py

Each case is a directory testdata/<case>/ holding
  notification.json  the oslo notification dict (priority, _context_* keys, ...)
  settings.json      {"definitions": path relative to testdata/,
                      "drop_unmatched_notifications": bool, "store_raw": [...]}
  expected.json      what Ceilometer publishes: the event message
                     (ceilometer.publisher.utils.message_from_event with secret
                     "golden-secret", encoded as the notifier does), null when
                     no event is published, or {"error": "..."} when
                     conversion raises (Ceilometer then publishes nothing).

The notification goes through oslo.messaging's own code (unpack_context,
NotificationDispatcher._extract_user_message) and then through
ceilometer.event.converter.NotificationEventsConverter, exactly as the agent's
EventEndpoint does for info and error notifications. Cases may also be added
by hand (notification.json + settings.json) and this script rerun.
"""
import copy
import json
import os
import sys
import types

import yaml
from oslo_messaging import serializer
from oslo_messaging._drivers import amqp as rpc_amqp
from oslo_messaging.notify import dispatcher
from oslo_serialization import jsonutils
from stevedore import extension

from ceilometer.event import converter
from ceilometer.publisher import utils

HERE = os.path.dirname(os.path.abspath(__file__))
SECRET = "golden-secret"
C19 = "ceilometer-19/event_definitions.yaml"
GOLDEN = "golden-definitions/event_definitions.yaml"

CTX = {
    "_context_user": "u-1", "_context_tenant": "p-1",
    "_context_request_id": "req-1", "_context_roles": ["member", "reader"],
    "_context_user_id": "u-1", "_context_project_id": "p-1",
    "_context_is_admin": False,
}


def note(event_type, payload, priority="INFO", ts="2026-11-25 10:00:00.123456", ctx=None, **extra):
    n = {"message_id": "msg-" + event_type, "publisher_id": "compute.host-1",
         "event_type": event_type, "priority": priority, "payload": payload,
         "timestamp": ts, "_unique_id": "u" + event_type}
    n.update(CTX if ctx is None else ctx)
    n.update(extra)
    return n


INSTANCE = {
    "tenant_id": "p-payload", "user_id": "u-payload", "instance_id": "i-1",
    "display_name": "vm", "instance_type": "m1.small", "instance_type_id": 2,
    "memory_mb": 2048, "disk_gb": 20, "root_gb": 20, "ephemeral_gb": 0,
    "vcpus": 1, "host": "compute-1", "node": "compute-1.example",
    "availability_zone": "nova", "cell_name": "", "state": "active",
    "state_description": "", "created_at": "2026-11-25 09:50:00+00:00",
    "launched_at": "2026-11-25T09:59:59.5", "deleted_at": "", "terminated_at": "",
    "os_type": None, "architecture": "x86_64", "image_ref_url": "http://g/i",
    "image_meta": {"base_image_ref": "img-1", "org.openstack__1__architecture": "x86_64"},
    "metadata": {"k": "v"}, "fixed_ips": [{"address": "10.0.0.1"}],
}

CASES = {}


def case(name, notification, definitions=GOLDEN, drop=False, store_raw=()):
    CASES[name] = (notification, {"definitions": definitions,
                                  "drop_unmatched_notifications": drop,
                                  "store_raw": list(store_raw)})


# Ceilometer 19's own definitions.
case("instance_create_end", note("compute.instance.create.end", INSTANCE), C19)
case("instance_update_store_raw", note("compute.instance.update", dict(INSTANCE, old_state="building")), C19, store_raw=["INFO"])
case("instance_error_priority", note("compute.instance.create.error", dict(INSTANCE, message="boom"), priority="ERROR"), C19, store_raw=["error"])
case("error_priority_raw_not_stored", note("compute.instance.delete.end", INSTANCE, priority="ERROR"), C19, store_raw=["info"])
for p in ("WARN", "SAMPLE", "DEBUG", "AUDIT", "CRITICAL"):
    case("priority_" + p.lower(), note("compute.instance.create.end", INSTANCE, priority=p), C19)
case("priority_lowercase_info", note("compute.instance.create.end", INSTANCE, priority="info"), C19)
case("unmatched_catchall", note("something.unknown", {"tenant_id": "p-2", "user_id": "u-2"}), C19)
case("unmatched_drop", note("something.unknown", {"tenant_id": "p-2"}), C19, drop=True)
case("matched_with_drop", note("image.update", {"id": "img", "owner": "p-3", "status": "active"}), C19, drop=True)
case("unmatched_payload_list", note("odd.payload", [1, 2, 3]), C19)
case("unmatched_no_context", note("odd.context", {"x": 1}, ctx={}), C19)
case("context_specials", note("odd.context", {"x": 1}, ctx=dict(CTX, _context_msg_id="m", _context_reply_q="q", _context_client_timeout=3), _timeout=30, _msg_id="mid"), C19, store_raw=["info"])
case("timeout_without_context_key", note("odd.context", {}, _timeout=7), C19, store_raw=["info"])
case("timestamp_no_fraction", note("odd.ts", {}, ts="2026-11-25 10:00:00"), C19)
case("timestamp_zero_fraction", note("odd.ts", {}, ts="2026-11-25 10:00:00.000000"), C19)
case("timestamp_offset", note("odd.ts", {}, ts="2026-11-25T01:30:00.5-08:30"), C19)
case("timestamp_invalid", note("odd.ts", {}, ts="yesterday"), C19)
case("timestamp_missing", {k: v for k, v in note("odd.ts", {}).items() if k != "timestamp"}, C19)
case("event_type_not_string", dict(note("odd", {}), event_type=42), C19)
case("publisher_missing", {k: v for k, v in note("odd.pub", {}).items() if k != "publisher_id"}, C19)
case("volume_exists", note("volume.exists", {"tenant_id": "p", "user_id": "u", "volume_id": "v-1", "size": "10", "status": "available", "created_at": "2026-11-25T08:00:00Z", "glance_metadata": [{"key": "image_id", "value": "img-9"}], "volume_attachment": [{"server_id": "srv"}]}), C19)
case("int_trait_unconvertible", note("compute.instance.create.end", dict(INSTANCE, memory_mb="lots")), C19)

# int
for name, v in {"int_string": "42", "int_spaces": " \t7\n", "int_float": 7.9, "int_negative_float": -7.9,
                "int_bool": True, "int_underscore": "1_000", "int_plus": "+5", "int_big": "1180591620717411303424",
                "int_big_number": 2**70, "int_arabic_digit": "\u0663", "int_empty": "", "int_null": None,
                "int_lots": "lots", "int_dict": {"a": 1}, "int_list": [1], "int_decimal_string": "1.5",
                "int_double_underscore": "1__0", "int_nan_string": "nan"}.items():
    case(name, note("test.int", {"value": v, "generic": "g"}))
# float
for name, v in {"float_string": "1.5", "float_exp": "1e5", "float_nan": "nan", "float_inf": "-Infinity",
                "float_int": 3, "float_big": 2**70, "float_underscore": "1_0.5", "float_hex": "0x10",
                "float_bool": False, "float_dot": ".5", "float_trailing_dot": "5.", "float_overflow": "1e400",
                "float_spaces": " 2.5 ", "float_bad": "1.2.3", "float_tiny": 1e-05, "float_empty": ""}.items():
    case(name, note("test.float", {"value": v}))
# datetime
for name, v in {"dt_utc_z": "2026-11-25T10:00:00Z", "dt_offset": "2026-11-25T10:00:00.25+05:30",
                "dt_negative_offset": "2026-11-25T23:30:00-02:00", "dt_space": "2026-11-25 10:00:00.123456",
                "dt_date_only": "2026-11-25", "dt_year_only": "2026", "dt_compact": "20261125T101112",
                "dt_compact_month": "202611", "dt_long_fraction": "2026-11-25T10:00:00.1234567",
                "dt_comma_fraction": "2026-11-25T10:00:00,5", "dt_zero_fraction": "2026-11-25T10:00:00.000",
                "dt_rounding_overflow": "2026-11-25T10:00:00." + "9" * 30,
                "dt_rounding_carry": "2026-11-25T10:00:00.0" + "9" * 30,
                "dt_no_seconds": "2026-11-25T10:30", "dt_hour_only": "2026-11-25T10",
                "dt_trailing_newline": "2026-11-25T10:00:00\n", "dt_bad_month": "2026-13-01",
                "dt_feb29": "2023-02-29", "dt_leap": "2024-02-29T12:00:00", "dt_second_60": "2026-11-25T10:00:60",
                "dt_offset_too_big": "2026-11-25T10:00:00+24:00", "dt_tz_hours_only": "2026-11-25T10:00:00+01",
                "dt_year_1_overflow": "0001-01-01T00:30:00+01:00", "dt_empty": "", "dt_number": 1764064800,
                "dt_text": "not a date", "dt_lowercase_t": "2026-11-25t10:00:00"}.items():
    case(name, note("test.datetime", {"value": v}))
# text
for name, v in {"text_dict": {"a": 1, "b": [True, None, 1.5]}, "text_list": ["x", 2], "text_bool": False,
                "text_float": 1e20, "text_float_small": 0.1, "text_int": 12345678901234567890123,
                "text_long": "x" * 300, "text_long_unicode": "\u00e9" * 300, "text_empty": "",
                "text_negative_zero": -0.0, "text_unicode": "caf\u00e9 \u2603 \U0001F600"}.items():
    case(name, note("test.text", {"value": v}))
# fields
case("fields_first_match", note("test.fields", {"a": None, "b": "bee", "c": "sea", "owner": "own",
                                                "items": [{"name": "a", "size": 1}, {"name": "b", "size": "2"}]}))
case("fields_none_match", note("test.fields", {"x": 1}))
# plugins
case("split_plugin", note("test.split", {"host": "compute-1.rack-2.example.org", "number": 123.45,
                                          "words": "  alpha  beta gamma ", "version": "19.0.0"}))
case("split_plugin_missing", note("test.split", {}))
case("bitfield_plugin", note("test.bitfield", {"state": "active", "locked": False, "error": "x", "count": 1.0}))
case("bitfield_plugin_no_value_match", note("test.bitfield", {"state": "stopped", "count": 2}))
case("bitfield_plugin_nothing", note("test.bitfield", {}))
case("timedelta_plugin", note("test.timedelta", {"created_at": "2026-11-25T10:00:00+01:00", "launched_at": "2026-11-25 09:30:00.25"}))
case("timedelta_plugin_one_field", note("test.timedelta", {"created_at": "2026-11-25T10:00:00"}))
case("timedelta_plugin_unparsable", note("test.timedelta", {"created_at": "2026-11-25T10:00:00", "launched_at": "soon"}))
# JSONPath dialect (jsonpath-rw-ext) inside traits
case("jsonpath_ext", note("test.jsonpath", {"items": [{"name": "b", "size": 3}, {"name": "a", "size": 2}, {"name": "c", "size": 0}],
                                           "a": 1, "b": 2.5, "host": "x.y.z"}))
case("jsonpath_eval_error", note("test.jsonpath", {"items": [{"name": "b", "size": "big"}], "a": "s", "b": 1}))
case("jsonpath_raises", note("test.jsonpath.raise", {"a": 5}))
case("jsonpath_raise_not_reached", note("test.jsonpath.raise", {"a": [7]}))
# matching order and patterns
case("order_last_definition_wins", note("test.order.last", {"first": "f", "last": "l"}))
case("order_earlier_definition", note("test.order.other", {"first": "f", "last": "l"}))
case("order_excluded", note("test.order.excluded", {"first": "f", "generic": "g"}))
case("exclusion_only", note("other.thing", {"generic": "g"}))
case("glob_negated_set", note("glob.ab", {"generic": "g"}))
case("glob_negated_set_miss", note("glob.xb", {"generic": "g"}))
case("glob_range", note("glob.b-x.end", {"generic": "g"}))
case("glob_bracket", note("glob.]", {"generic": "g"}))


def body_of(msg):
    msg = copy.deepcopy(msg)
    ctxt = rpc_amqp.unpack_context(msg)
    msg.pop("_unique_id", None)
    d = dispatcher.NotificationDispatcher([], serializer.NoOpSerializer())
    return d._extract_user_message(types.SimpleNamespace(ctxt=ctxt.to_dict(), message=msg))[::2]


def expected(notification, settings):
    conf = types.SimpleNamespace(event=types.SimpleNamespace(
        store_raw=settings["store_raw"],
        drop_unmatched_notifications=settings["drop_unmatched_notifications"]))
    with open(os.path.join(HERE, settings["definitions"])) as f:
        cfg = yaml.safe_load(f)
    mgr = extension.ExtensionManager(namespace="ceilometer.event.trait_plugin")
    conv = converter.NotificationEventsConverter(conf, cfg, mgr)
    priority, body = body_of(notification)
    if priority not in ("info", "error"):  # EventEndpoint handles only these
        return None
    try:
        ev = conv.to_event(priority, body)
    except Exception as e:  # EventEndpoint logs it; nothing is published
        return {"error": "%s: %s" % (type(e).__name__, e)}
    if ev is None:
        return None
    return jsonutils.to_primitive(utils.message_from_event(ev, SECRET))


# Files Ceilometer accepts or refuses (NotificationEventsConverter raises).
LOAD_CASES = {
    "empty_list": "[]",
    "empty_file": "",
    "null_document": "~",
    "mapping_document": "a: 1",
    "minimal": "- event_type: x\n  traits: {}",
    "missing_traits": "- event_type: x",
    "missing_event_type": "- traits: {}",
    "definition_not_mapping": "- x",
    "event_type_int": "- event_type: 5\n  traits: {}",
    "event_type_null": "- event_type:\n  traits: {}",
    "event_type_list_with_int": "- event_type: [a, 5]\n  traits: {}",
    "event_type_mapping": "- event_type: {a: 1}\n  traits: {}",
    "event_type_empty_list": "- event_type: []\n  traits: {}",
    "traits_null": "- event_type: x\n  traits:",
    "traits_empty_list": "- event_type: x\n  traits: []",
    "traits_empty_string": "- event_type: x\n  traits: ''",
    "traits_string": "- event_type: x\n  traits: abc",
    "trait_simple": "- event_type: x\n  traits:\n    a: payload.a",
    "trait_int_constant": "- event_type: x\n  traits:\n    a: 5",
    "trait_float_fields": "- event_type: x\n  traits:\n    a: 1.5",
    "trait_null_fields": "- event_type: x\n  traits:\n    a:",
    "trait_missing_fields": "- event_type: x\n  traits:\n    a: {type: int}",
    "trait_bad_jsonpath": "- event_type: x\n  traits:\n    a: {fields: 'payload.['}",
    "trait_bad_type": "- event_type: x\n  traits:\n    a: {fields: payload.a, type: integer}",
    "trait_type_upper": "- event_type: x\n  traits:\n    a: {fields: payload.a, type: Int}",
    "trait_type_none": "- event_type: x\n  traits:\n    a: {fields: payload.a, type: none}",
    "trait_type_null": "- event_type: x\n  traits:\n    a: {fields: payload.a, type: null}",
    "trait_type_number": "- event_type: x\n  traits:\n    a: {fields: payload.a, type: 1}",
    "trait_fields_empty_list": "- event_type: x\n  traits:\n    a: {fields: []}",
    "trait_fields_list_of_one_int": "- event_type: x\n  traits:\n    a: {fields: [3]}",
    "trait_fields_list_with_int": "- event_type: x\n  traits:\n    a: {fields: [payload.a, 3]}",
    "trait_fields_mapping": "- event_type: x\n  traits:\n    a: {fields: {b: 1}}",
    "trait_extra_key": "- event_type: x\n  traits:\n    a: {fields: payload.a, typo: 1}",
    "plugin_unknown": "- event_type: x\n  traits:\n    a: {fields: payload.a, plugin: nope}",
    "plugin_no_name": "- event_type: x\n  traits:\n    a: {fields: payload.a, plugin: {parameters: {}}}",
    "plugin_null": "- event_type: x\n  traits:\n    a: {fields: payload.a, plugin: null}",
    "plugin_list": "- event_type: x\n  traits:\n    a: {fields: payload.a, plugin: [split]}",
    "plugin_params_list": "- event_type: x\n  traits:\n    a: {fields: payload.a, plugin: {name: split, parameters: [1]}}",
    "plugin_params_null": "- event_type: x\n  traits:\n    a: {fields: payload.a, plugin: {name: split, parameters: null}}",
    "plugin_unknown_param": "- event_type: x\n  traits:\n    a: {fields: payload.a, plugin: {name: timedelta, parameters: {x: 1}}}",
    "split_segment_string": "- event_type: x\n  traits:\n    a: {fields: payload.a, plugin: {name: split, parameters: {segment: '1'}}}",
    "split_segment_float": "- event_type: x\n  traits:\n    a: {fields: payload.a, plugin: {name: split, parameters: {segment: 1.5}}}",
    "split_max_split_string": "- event_type: x\n  traits:\n    a: {fields: payload.a, plugin: {name: split, parameters: {max_split: x}}}",
    "split_separator_int": "- event_type: x\n  traits:\n    a: {fields: payload.a, plugin: {name: split, parameters: {separator: 1}}}",
    "bitfield_bad_flags": "- event_type: x\n  traits:\n    a: {fields: payload.a, plugin: {name: bitfield, parameters: {flags: [{bit: x}]}}}",
    "merge_keys": "- event_type: a\n  traits: &t\n    x: payload.x\n- event_type: b\n  traits:\n    <<: *t\n    y: payload.y",
    "duplicate_keys": "- event_type: a\n  traits:\n    x: payload.x\n    x: payload.y",
    "extra_definition_key": "- event_type: a\n  traits: {}\n  description: hi",
    "yaml_syntax_error": "- event_type: [a\n  traits: {}",
    "unquoted_exclusion_tag": "- event_type: !image.*\n  traits: {}",
    "two_documents": "- event_type: a\n  traits: {}\n---\n- event_type: b\n  traits: {}",
}


def load_ok(text):
    conf = types.SimpleNamespace(event=types.SimpleNamespace(store_raw=[], drop_unmatched_notifications=False))
    mgr = extension.ExtensionManager(namespace="ceilometer.event.trait_plugin")
    try:
        converter.NotificationEventsConverter(conf, yaml.safe_load(text), mgr)
    except Exception as e:
        return False, "%s: %s" % (type(e).__name__, e)
    return True, ""


def vectors():
    """Conversion vectors from the functions Ceilometer calls."""
    import fnmatch
    from oslo_utils import timeutils
    from ceilometer.event import models
    out = {"fnmatch": [], "int": [], "float": [], "datetime": []}
    pats = ["*", "a*", "*a", "*a*", "a?c", "[abc]", "[!abc]", "[a-c]x", "[z-a]", "[!]", "[]]", "[!]]", "[", "a[",
            "[a-]", "[-a]", "[!-a]", "[a-c-e]", "[c-ba-d]", "[b-a-c]", "[\\]", "*.start", "compute.*.end",
            "a*b*c", "*a*a*", "?", "??", "[[]", "[^a]", "[a&&b]", "x[!x-z]y", "*[0-9]"]
    names = ["", "a", "b", "c", "x", "abc", "aXc", "ba", "aa", "-", "]", "!", "[", "^", "&", "\\", "ax", "bx",
             "d", "e", "compute.instance.create.start", "compute.x.end", "abbc", "aaa", "xay", "xzy", "q5", "a\nb"]
    for p in pats:
        for n in names:
            out["fnmatch"].append([p, n, fnmatch.fnmatch(n, p)])
    def conv(kind, v):
        try:
            r = models.Trait.convert_value(kind, v)
        except Exception as e:
            return {"error": type(e).__name__}
        if hasattr(r, "isoformat"):
            r = r.isoformat()
        return {"value": r}
    for v in ["0", "-0", "+12", " 12 ", "1_2", "_1", "1_", "1__2", "0x1f", "1.0", "1e3", "", " ", "\u0661\u0662",
              "\uff11", "\u00a012\u2003", "\x1c5\x1f", "9" * 30, "-" + "9" * 19, "1 2", "++1", "٣٣", "𝟗"]:
        out["int"].append([v, conv(models.Trait.INT_TYPE, v)])
    for v in ["1.5", "-1.5e-3", "1E5", ".5", "5.", ".", "e5", "1e", "1e+", "inf", "-inf", "+Infinity", "nAn", "-nan",
              "infinit", "1_000.000_1", "1_.5", "0x1p3", "1e400", "-1e400", "1e-400", " 3 ", "\u0661.\u0662", "1,5",
              "0.1", "123456789012345678901234567890"]:
        r = conv(models.Trait.FLOAT_TYPE, v)
        if "value" in r and r["value"] != r["value"]:
            r = {"value": "nan"}
        elif "value" in r and r["value"] in (float("inf"), float("-inf")):
            r = {"value": repr(r["value"])}
        out["float"].append([v, r])
    for v in ["2026-11-25T10:00:00", "2026-11-25T10:00:00.5", "2026-11-25T10:00:00.000001Z", "2026-11-25T10:00:00+0130",
              "2026-11-25T10:00:00-00:30", "2026-11-25T10:00:00+01", "2026-11-25 10:00", "2026-11-25T1000",
              "2026-11-25T100000", "20261125", "2026-1-5", "2026-1-5T1:00", "2026-01-05T01", "2026-0105", "202601-05",
              "2026", "202", "2026-", "2026-11-25T", "2026-11-25T10:00:00.", "2026-11-25T10:00:00Z\n",
              "2026-11-25T10:00:00\n\n", "2026-11-25T10:0000", "2026-11-25T10:00:0", "2026-11-25T10:00:00+23:99",
              "2026-11-25T10:00:00+99", "9999-12-31T23:59:59-01:00", "9999-12-31T23:59:59.999999+00:01",
              "2000-02-29T00:00:00", "1900-02-29", "2026-00-10", "2026-11-00", "2026-11-31", "2026-11-25T24:00:00",
              "2026-11-25T10:60:00", "0000-01-01", "2026-11-25T10:00:00.123456789", "2026-11-25T10:00:00,25",
              "2026-11-25T10:00:00 +01:00", "2026-11-25T10:00:00z", " 2026-11-25", "\u0662026-11-25"]:
        out["datetime"].append([v, conv(models.Trait.DATETIME_TYPE, v)])
    return out


def main():
    with open(os.path.join(HERE, "load_cases.json"), "w") as f:
        cases = [{"name": k, "yaml": v, "ok": load_ok(v)[0], "ceilometer": load_ok(v)[1]} for k, v in LOAD_CASES.items()]
        f.write(json.dumps(cases, indent=1) + "\n")
    with open(os.path.join(HERE, "vectors.json"), "w") as f:
        f.write(json.dumps(vectors(), indent=0) + "\n")
    for name, (n, s) in CASES.items():
        d = os.path.join(HERE, name)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "notification.json"), "w") as f:
            f.write(json.dumps(n, indent=1) + "\n")
        with open(os.path.join(d, "settings.json"), "w") as f:
            f.write(json.dumps(s) + "\n")
    # Every case directory, including hand-written ones.
    for name in sorted(os.listdir(HERE)):
        d = os.path.join(HERE, name)
        if not os.path.exists(os.path.join(d, "notification.json")):
            continue
        with open(os.path.join(d, "notification.json")) as f:
            n = json.load(f)
        with open(os.path.join(d, "settings.json")) as f:
            s = json.load(f)
        with open(os.path.join(d, "expected.json"), "w") as f:
            f.write(json.dumps(expected(n, s)) + "\n")


if __name__ == "__main__":
    sys.exit(main())
