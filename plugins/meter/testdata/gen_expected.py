#!/usr/bin/python3
"""Oracle for plugins/meter's golden tests: runs the real Ceilometer 19.

    cd plugins/meter && /usr/bin/python3 testdata/gen_expected.py

Needs the Debian package ceilometer-agent-notification (Ceilometer 19.0.0).

cases/<case>/ holds notification.json (the oslo.messaging notification dict,
_context_* keys included), optionally meters.yaml (default:
ceilometer-19/meters.yaml) and settings.json ({"sample_source": ...,
"reserved_metadata_namespace": [...], "reserved_metadata_length": N,
"reserved_metadata_keys": [...]}). For each case this writes ceilometer.json:
the samples Ceilometer's sample endpoints build (ProcessMeterNotifications,
then TelemetryIpc when its filter matches), as meter_message_from_counter
renders them without message_signature and monotonic_time, and without
message_id for meter-definition samples (a fresh uuid1); or
{"exception": "..."} when Ceilometer raised (it then publishes nothing for
the notification). The Go test compares the engine's output with
expected.json when the case has one (a deliberate deviation, explained in
the case's README), else with ceilometer.json.

load/*.yaml and ceilometer-*/meters.yaml are definition files:
load_expected.json maps each (and one pair of files loaded together) to the
names of the definitions Ceilometer 19 keeps, in evaluation order, or to
{"exception": ...} when loading raises (Ceilometer then runs without any
meter definition).
"""

import glob
import logging
import json
import os
import re
import shutil
import sys
import tempfile

from ceilometer import service
from ceilometer.meter import notifications as meter_notifications
from ceilometer.publisher import utils as publisher_utils
from ceilometer import sample as sample_util
from ceilometer.telemetry import notifications as telemetry_notifications

HERE = os.path.dirname(os.path.abspath(__file__))


def make_conf(meters_files, settings):
    conf = service.prepare_service([], [])
    logging.disable(logging.CRITICAL)  # Ceilometer logs every definition at INFO
    tmp = tempfile.mkdtemp()
    for i, path in enumerate(meters_files):
        # Named so that glob's sorted order is the given order.
        shutil.copy(path, os.path.join(tmp, "%02d.yaml" % i))
    conf.set_override("meter_definitions_dirs", [tmp], group="meter")
    for k, v in settings.items():
        conf.set_override(k, v)
    sample_util.setup(conf)
    return conf, tmp


def dispatcher_message(body):
    """What oslo.messaging's rabbit driver and dispatcher hand endpoints."""
    msg = dict(body)
    ctxt = {}
    for key in list(msg.keys()):
        if key.startswith("_context_"):
            ctxt[key[9:]] = msg.pop(key)
    ctxt["msg_id"] = msg.pop("_msg_id", None)
    ctxt["reply_q"] = msg.pop("_reply_q", None)
    ctxt["client_timeout"] = msg.pop("_timeout", None)
    ctxt.pop("msg_id")
    ctxt.pop("reply_q")
    return dict(ctxt=ctxt,
                publisher_id=msg.get("publisher_id"),
                event_type=msg.get("event_type"),
                payload=msg.get("payload"),
                metadata={"message_id": msg.get("message_id"),
                          "timestamp": msg.get("timestamp")})


def render(s, keep_id):
    m = publisher_utils.meter_message_from_counter(s, "secret")
    del m["message_signature"]
    del m["monotonic_time"]
    if not keep_id:
        del m["message_id"]
    return m


def run_case(case):
    meters = os.path.join(case, "meters.yaml")
    if not os.path.exists(meters):
        meters = os.path.join(HERE, "ceilometer-19", "meters.yaml")
    settings = {}
    if os.path.exists(os.path.join(case, "settings.json")):
        with open(os.path.join(case, "settings.json")) as f:
            settings = json.load(f)
    with open(os.path.join(case, "notification.json")) as f:
        body = json.load(f)
    conf, tmp = make_conf([meters], settings)
    try:
        message = dispatcher_message(body)
        out = []
        try:
            ep = meter_notifications.ProcessMeterNotifications(conf, None)
            out += [render(s, False) for s in ep.build_sample(message)]
            if re.match("telemetry.polling", message["event_type"]):
                ep = telemetry_notifications.TelemetryIpc(conf, None)
                out += [render(s, True) for s in ep.build_sample(message)]
        except Exception as e:
            out = {"exception": "%s: %s" % (type(e).__name__, e)}
    finally:
        shutil.rmtree(tmp)
    with open(os.path.join(case, "ceilometer.json"), "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


def run_load(paths):
    conf, tmp = make_conf(paths, {})
    try:
        ep = meter_notifications.ProcessMeterNotifications(conf, None)
        return [d.cfg["name"] for d in ep.definitions]
    except Exception as e:
        return {"exception": "%s: %s" % (type(e).__name__, e)}
    finally:
        shutil.rmtree(tmp)


# Event-type patterns and subjects for the regex vectors (re.match).
REGEX_PATTERNS = [
    "compute.instance.(?!create.start|update).*",
    "compute\\.instance\\.(?!create\\.start|update).*",
    "image.upload", "capacity.backend.*", "volume.create.*", "l3.meter",
    "a(?=b)", "a(?!b)c?", "x(?!y)z(?!w)", "(?!foo)\\w+", "^abc$", "abc$",
    "a{,2}b", "\\d+\\.x", "[.]x", "(?i)ABC", "a|b(?!c)", "a.(?!bc|d)..",
    "te(?=st)st(?!ing)", "(?P<x>a)b", "(?i)a(?!B)C", "(?i)x|a(?!b)c",
]
REGEX_SUBJECTS = [
    "compute.instance.exists", "compute.instance.update", "compute.instance.updated",
    "compute.instance.create.start", "compute.instance.create_start",
    "compute.instance.create.started", "compute.instance.Xcreate.start",
    "compute.instance.", "compute.instance", "compute_instance_exists",
    "compute.instances.exists", "compute.instance.create.end",
    "image.upload", "image.upload.extra", "imageXupload", "image.uploa",
    "capacity.backend.", "capacity.backend", "volume.create", "volume.create.end",
    "l3.meter", "l3-meter", "ab", "ac", "a", "abc", "abc\n", "abcd", "xz", "xzw",
    "xyz", "foo", "food", "bar", "b", "bc", "aab", "b", "\u0663\u0664.x", "12.x",
    ".x", "ABC", "abc", "axbcq", "axdqq", "axeqq", "testing", "test", "tester", "",
]


def regex_vectors():
    out = []
    for p in REGEX_PATTERNS:
        r = re.compile(p)
        out.append({"pattern": p, "match": [s for s in REGEX_SUBJECTS if r.match(s)],
                    "no_match": [s for s in REGEX_SUBJECTS if not r.match(s)]})
    return out


TIME_STRINGS = [
    "2026-11-25 10:00:00.123456", "2026-11-25T10:00:00.123456", "2026-11-25T10:00:00Z",
    "2026-11-25T10:00:00+02:00", "2026-11-25T10:00:00-05:30", "2026-11-25T10:00:00+0530",
    "2026-11-25T10:00:00+05", "2026-11-25T10:00:00.1234567", "2026-11-25T10:00:00,5",
    "2026-11-25T10:00:00.000000", "2026-11-25", "2026-11", "202611", "2026",
    "20261125", "20261125T1000", "20261125T100000", "2026-11-25T10", "2026-11-25T10:00",
    "2026-1-5T10:00:00", "2026-11-25T10:00:00\n", "2026-11-25T10:00:00\n\n",
    "2026-02-29T00:00:00", "2024-02-29T00:00:00", "2026-13-01", "2026-11-25T24:00:00",
    "2026-11-25T10:60:00", "2026-11-25T10:00:60", "0000-01-01", "2026-11-25T10:00:00+24:00",
    "2026-11-25T10:00:00+23:99", "2026-11-25T10:00:00-00:00", "2026-11-25t10:00:00",
    "not a date", "", "2026-11-25T10:00:00.5Z", "2026-11-25 10:00:00+00:00",
    "9999-12-31T23:59:59.999999", "2026-11-25T1:00:00", "2026-11-25T10:0:00",
]


def time_vectors():
    from oslo_utils import timeutils
    out = []
    for s in TIME_STRINGS:
        try:
            out.append({"in": s, "out": timeutils.parse_isotime(s).isoformat()})
        except Exception as e:
            out.append({"in": s, "error": str(e)})
    return out


def timedelta_vectors():
    from ceilometer.event import trait_plugins
    p = trait_plugins.TimedeltaPlugin()
    pairs = [("2026-11-25T10:00:00", "2026-11-25T10:00:01.5"),
             ("2026-11-25T10:00:00+02:00", "2026-11-25T10:00:00Z"),
             ("0001-01-01T00:00:00", "9999-12-31T23:59:59.999999"),
             ("2026-11-25 09:56:52+00:00", "2026-11-25T09:57:40.000000"),
             ("2026-11-25T10:00:00.000001", "2026-11-25T10:00:00"),
             ("", "2026-11-25T10:00:00")]
    return [{"start": a, "end": b, "out": p.trait_values([("a", a), ("b", b)])[0]}
            for a, b in pairs]


def main():
    logging.disable(logging.CRITICAL)
    # The same vectors test the timedelta plugin here and internal/pytime.
    times = {"parse_isotime": time_vectors(), "timedelta": timedelta_vectors()}
    for path in (os.path.join(HERE, "time_vectors.json"),
                 os.path.join(HERE, "..", "..", "..", "internal", "pytime", "testdata", "time_vectors.json")):
        with open(path, "w") as f:
            json.dump(times, f, indent=1)
            f.write("\n")
    # The regex vectors test internal/pyre (Ceilometer's re.match of event_type).
    with open(os.path.join(HERE, "..", "..", "..", "internal", "pyre", "testdata", "regex_vectors.json"), "w") as f:
        json.dump(regex_vectors(), f, indent=1)
        f.write("\n")
    for case in sorted(glob.glob(os.path.join(HERE, "cases", "*"))):
        if os.path.isdir(case):
            run_case(case)
    loads = {}
    paths = glob.glob(os.path.join(HERE, "load", "*.yaml"))
    paths += glob.glob(os.path.join(HERE, "ceilometer-*", "meters.yaml"))
    for path in sorted(paths):
        loads[os.path.relpath(path, HERE)] = run_load([path])
    # Two files in one directory: sorted, the first file's names win.
    loads["load/skipped.yaml+load/second.yaml"] = run_load(
        [os.path.join(HERE, "load", "skipped.yaml"),
         os.path.join(HERE, "load", "second.yaml")])
    with open(os.path.join(HERE, "load_expected.json"), "w") as f:
        json.dump(loads, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    sys.exit(main())
