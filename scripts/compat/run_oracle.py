#!/usr/bin/python3
"""Run the real Ceilometer 19 notification agent over the compat corpus.

Reads testdata/compat/notifications.jsonl, and writes
testdata/compat/expected.jsonl and testdata/compat/expected_raw.jsonl.

Steps (every wait is bounded):
  1. create a fresh RabbitMQ vhost `compat-<random>` (rabbitmqctl);
  2. write a temporary ceilometer.conf (transport_url to that vhost,
     [notification] workers=1, both pipelines publishing only to notifier://,
     meters.yaml / event_definitions.yaml copied from
     ../shared/testdata/ceilometer-19/, fixed telemetry_secret and host);
  3. declare and bind the capture queue on exchange `ceilometer` for
     `metering.sample` and `event.sample`;
  4. publish every notification exactly as oslo.messaging's rabbit notifier
     does (kombu, topic exchange per service, durable=false,
     auto_delete=false, default queue `notifications.<priority>` declared and
     bound first, routing key `notifications.<priority>`, oslo 2.0 envelope);
  5. start `ceilometer-agent-notification --config-file <tmp>` and capture
     until the input queues are empty and nothing new arrived for
     --quiet seconds (or --timeout);
  6. stop the agent (SIGTERM to its process group, SIGKILL after 20 s) and
     delete the vhost;
  7. decode, link every output message to its source notification, sort,
     write, and run the coverage check (exit status 3 when a reachable meter
     or event definition is not covered).

Linking: an event's message_id is its source notification's message_id.
A sample message is linked through its samples' timestamps: the generator
gives every notification a distinct `timestamp`, and every payload timestamp
that becomes a sample timestamp (compute.metrics.update) is distinct too;
relayed polling samples keep their message_id. All samples of one output
message must link to the same notification, else the run fails.

Usage:
  /usr/bin/python3 scripts/compat/run_oracle.py [--shared ../shared]
"""

import argparse
import base64
import collections
import fnmatch
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import kombu
import yaml
from oslo_utils import timeutils

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
DATA = os.path.join(REPO, "testdata", "compat")
SECRET = "compat-test-secret"
HOST = "compat-host"
PRIORITIES = ["audit", "critical", "debug", "error", "info", "sample", "warn"]
CAPTURE_QUEUE = "compat-capture"

PIPELINE = """---
sources:
    - name: meter_source
      meters:
          - "*"
      sinks:
          - meter_sink
sinks:
    - name: meter_sink
      publishers:
          - notifier://
"""

EVENT_PIPELINE = """---
sources:
    - name: event_source
      events:
          - "*"
      sinks:
          - event_sink
sinks:
    - name: event_sink
      publishers:
          - notifier://
"""

CONF = """[DEFAULT]
transport_url = rabbit://{user}:{password}@{host}:{port}/{vhost}
host = {agent_host}
pipeline_cfg_file = {tmp}/pipeline.yaml
event_pipeline_cfg_file = {tmp}/event_pipeline.yaml
log_file = {tmp}/agent.log
debug = false

[notification]
workers = 1

[meter]
meter_definitions_dirs = {tmp}/meters.d

[event]
definitions_cfg_file = {tmp}/event_definitions.yaml

[publisher]
telemetry_secret = {secret}

[oslo_concurrency]
lock_path = {tmp}/lock
"""


def log(msg, *args):
    print(("[run_oracle] " + msg) % args, file=sys.stderr, flush=True)


def rabbitmqctl(*args, check=True):
    r = subprocess.run(["rabbitmqctl"] + list(args), capture_output=True,
                       text=True, timeout=90)
    if check and r.returncode != 0:
        raise RuntimeError("rabbitmqctl %s failed: %s %s" % (
            " ".join(args), r.stdout, r.stderr))
    return r


def load_corpus(path):
    items = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                items.append(json.loads(
                    line, object_pairs_hook=collections.OrderedDict))
    return items


# ---------------------------------------------------------------------------
# publishing and capturing
# ---------------------------------------------------------------------------
def publish_corpus(conn, items):
    """Publish like oslo.messaging's rabbit driver (notify_send)."""
    from oslo_serialization import jsonutils
    channel = conn.channel()
    producer = kombu.Producer(channel)
    exchanges = {}
    declared = set()
    for it in items:
        n = it["notification"]
        name = it["exchange"]
        if name not in exchanges:
            ex = kombu.Exchange(name=name, type="topic", durable=False,
                                auto_delete=False)
            ex(channel).declare()
            exchanges[name] = ex
        ex = exchanges[name]
        rk = "notifications.%s" % str(n["priority"]).lower()
        if (name, rk) not in declared:
            # _publish_and_creates_default_queue
            kombu.Queue(channel=channel, exchange=ex, durable=ex.durable,
                        auto_delete=ex.auto_delete, name=rk, routing_key=rk,
                        queue_arguments={}).declare()
            declared.add((name, rk))
        # rpc_common.serialize_msg: {"oslo.version": "2.0",
        #                            "oslo.message": jsonutils.dumps(msg)}
        envelope = {"oslo.version": "2.0",
                    "oslo.message": jsonutils.dumps(n)}
        producer.publish(envelope, exchange=ex, routing_key=rk,
                         mandatory=False, expiration=None, compression=None)
    channel.close()
    return sorted(declared)


def queue_depths(conn, names):
    ch = conn.channel()
    out = {}
    try:
        for name in names:
            try:
                _, count, _ = ch.queue_declare(queue=name, passive=True)
                out[name] = count
            except Exception:
                # a passive declare of a missing queue closes the channel
                out[name] = None
                ch = conn.channel()
    finally:
        try:
            ch.close()
        except Exception:
            pass
    return out


def capture(conn, agent, input_queues, quiet, timeout, expected_min):
    got = []
    ch = conn.channel()

    def on_msg(body, message):
        got.append({
            "routing_key": message.delivery_info.get("routing_key"),
            "exchange": message.delivery_info.get("exchange"),
            "body": message.body if isinstance(message.body, bytes)
            else message.body.encode("utf-8"),
            "properties": {
                "content_type": message.content_type,
                "content_encoding": message.content_encoding,
                "delivery_mode": message.properties.get("delivery_mode"),
                "priority": message.properties.get("priority"),
                "headers": message.headers or {},
            },
        })

    q = kombu.Queue(name=CAPTURE_QUEUE, channel=ch, no_declare=True)
    consumer = kombu.Consumer(ch, queues=[q], callbacks=[on_msg],
                              no_ack=True, accept=None)
    # accept=None: the raw body is kept; the callback's decoded body unused
    consumer.consume()
    start = time.monotonic()
    last_new = time.monotonic()
    last_count = 0
    last_depth_check = 0
    drained = False
    while True:
        try:
            conn.drain_events(timeout=1)
        except Exception:
            pass
        now = time.monotonic()
        if len(got) != last_count:
            last_count = len(got)
            last_new = now
        if agent.poll() is not None:
            raise RuntimeError("agent exited early with %s" % agent.returncode)
        if now - last_depth_check > 2:
            last_depth_check = now
            depths = queue_depths(conn, input_queues)
            drained = all(not v for v in depths.values())
            log("captured %d messages, input queues left: %d", len(got),
                sum(v or 0 for v in depths.values()))
        if drained and now - last_new >= quiet and len(got) >= expected_min:
            break
        if now - start > timeout:
            log("TIMEOUT after %ds with %d messages", timeout, len(got))
            break
    consumer.cancel()
    ch.close()
    return got


def stop_agent(agent):
    if agent.poll() is not None:
        return
    try:
        os.killpg(agent.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        agent.wait(timeout=20)
    except subprocess.TimeoutExpired:
        log("agent did not stop in 20 s; SIGKILL")
        try:
            os.killpg(agent.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        agent.wait(timeout=10)


def run_oracle(args, items):
    vhost = "compat-" + secrets.token_hex(4)
    tmp = tempfile.mkdtemp(prefix="compat-oracle-")
    os.makedirs(os.path.join(tmp, "meters.d"))
    os.makedirs(os.path.join(tmp, "lock"))
    src = os.path.join(args.shared, "testdata", "ceilometer-19")
    shutil.copy(os.path.join(src, "meters.yaml"),
                os.path.join(tmp, "meters.d", "meters.yaml"))
    shutil.copy(os.path.join(src, "event_definitions.yaml"),
                os.path.join(tmp, "event_definitions.yaml"))
    with open(os.path.join(tmp, "pipeline.yaml"), "w") as f:
        f.write(PIPELINE)
    with open(os.path.join(tmp, "event_pipeline.yaml"), "w") as f:
        f.write(EVENT_PIPELINE)
    conf = os.path.join(tmp, "ceilometer.conf")
    with open(conf, "w") as f:
        f.write(CONF.format(user=args.user, password=args.password,
                            host=args.host, port=args.port, vhost=vhost,
                            agent_host=HOST, tmp=tmp, secret=SECRET))
    log("vhost %s, temp dir %s", vhost, tmp)
    rabbitmqctl("add_vhost", vhost)
    agent = None
    try:
        rabbitmqctl("set_permissions", "-p", vhost, args.user,
                    ".*", ".*", ".*")
        url = "amqp://%s:%s@%s:%d/%s" % (args.user, args.password, args.host,
                                        args.port, vhost)
        with kombu.Connection(url, connect_timeout=10) as conn:
            conn.ensure_connection(max_retries=3)
            ch = conn.channel()
            cex = kombu.Exchange("ceilometer", type="topic", durable=False,
                                 auto_delete=False)
            cex(ch).declare()
            cq = kombu.Queue(CAPTURE_QUEUE, channel=ch, durable=False,
                             auto_delete=False, exchange=cex,
                             routing_key="metering.sample")
            cq.declare()
            cq.bind_to(exchange=cex, routing_key="event.sample")
            ch.close()
            declared = publish_corpus(conn, items)
            input_queues = sorted(set(rk for _, rk in declared) |
                                  set("notifications." + p
                                      for p in PRIORITIES))
            log("published %d notifications", len(items))
            agent = subprocess.Popen(
                ["ceilometer-agent-notification", "--config-file", conf],
                stdout=open(os.path.join(tmp, "agent.stdout"), "w"),
                stderr=subprocess.STDOUT, start_new_session=True)
            log("agent pid %d", agent.pid)
            got = capture(conn, agent, input_queues, args.quiet, args.timeout,
                          expected_min=1)
        return got
    finally:
        if agent is not None:
            stop_agent(agent)
            log("agent stopped (rc=%s)", agent.returncode)
        rabbitmqctl("delete_vhost", vhost, check=False)
        log("vhost %s deleted", vhost)
        agent_log = os.path.join(tmp, "agent.log")
        if os.path.exists(agent_log):
            shutil.copy(agent_log, "/tmp/compat-agent-last.log")
            log("agent log copied to /tmp/compat-agent-last.log")
        if args.keep_tmp:
            log("kept %s", tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


# ---------------------------------------------------------------------------
# linking, sorting, writing
# ---------------------------------------------------------------------------
def norm_ts(s):
    return timeutils.parse_isotime(s).isoformat()


def build_links(items):
    by_msgid, by_ts, by_sample_id = {}, {}, {}

    def put(d, k, seq):
        if k in d and d[k] != seq:
            raise RuntimeError("ambiguous link key %r: %d and %d" %
                               (k, d[k], seq))
        d[k] = seq

    for it in items:
        n, seq = it["notification"], it["seq"]
        put(by_msgid, n["message_id"], seq)
        try:
            put(by_ts, norm_ts(n["timestamp"]), seq)
        except ValueError:
            pass
        p = n.get("payload")
        if n["event_type"] == "compute.metrics.update":
            for m in p.get("metrics", []):
                put(by_ts, norm_ts(m["timestamp"]), seq)
        if (n["event_type"].startswith("hardware.ipmi.") and
                isinstance(p, dict) and "timestamp" in p):
            put(by_ts, norm_ts(p["timestamp"]), seq)
        if n["event_type"] == "telemetry.polling" and isinstance(p, dict):
            for s in p.get("samples", []):
                put(by_sample_id, s["message_id"], seq)
    return by_msgid, by_ts, by_sample_id


def link(msg, links):
    by_msgid, by_ts, by_sample_id = links
    seqs = set()
    if msg["event_type"] == "event":
        for ev in msg["payload"]:
            seqs.add(by_msgid.get(ev["message_id"]))
    else:
        for s in msg["payload"]:
            seq = by_sample_id.get(s["message_id"])
            if seq is None:
                seq = by_ts.get(s["timestamp"])
            seqs.add(seq)
    if len(seqs) != 1 or None in seqs:
        raise RuntimeError("cannot link output message to one input: %r %s"
                           % (seqs, json.dumps(msg)[:300]))
    return seqs.pop()


def decode(body):
    env = json.loads(body.decode("utf-8"),
                     object_pairs_hook=collections.OrderedDict)
    return json.loads(env["oslo.message"],
                      object_pairs_hook=collections.OrderedDict), env


VOLATILE = ("message_id", "message_signature", "monotonic_time")


def stable_key(msg):
    """Sort key for messages of one source: the payload without the fields
    that change from run to run (generated sample ids and what covers them).
    """
    if msg["event_type"] == "event":
        return json.dumps(msg["payload"], sort_keys=True)
    return json.dumps([{k: v for k, v in s.items() if k not in VOLATILE}
                       for s in msg["payload"]], sort_keys=True)


def process(items, got):
    links = build_links(items)
    by_seq = {it["seq"]: it for it in items}
    rk_order = {"metering.sample": 0, "event.sample": 1}
    recs = []
    for g in got:
        msg, env = decode(g["body"])
        seq = link(msg, links)
        src = by_seq[seq]["notification"]
        recs.append((seq, rk_order.get(g["routing_key"], 9),
                     stable_key(msg), g, msg, env, src))
    recs.sort(key=lambda r: (r[0], r[1], r[2]))
    expected, raw = [], []
    for seq, _, _, g, msg, env, src in recs:
        body = g["body"]
        e = collections.OrderedDict()
        e["seq"] = seq
        e["source_message_id"] = src["message_id"]
        e["source_event_type"] = src["event_type"]
        e["source_priority"] = src["priority"]
        e["routing_key"] = g["routing_key"]
        e["message"] = msg
        expected.append(e)
        r = collections.OrderedDict()
        r["seq"] = seq
        r["routing_key"] = g["routing_key"]
        r["exchange"] = g["exchange"]
        r["properties"] = g["properties"]
        try:
            r["body"] = body.decode("utf-8")
        except UnicodeDecodeError:
            r["body_b64"] = base64.b64encode(body).decode("ascii")
        raw.append(r)
    return expected, raw


def write_jsonl(path, rows):
    with open(path, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


# ---------------------------------------------------------------------------
# coverage check
# ---------------------------------------------------------------------------
def meter_coverage(shared, items, expected):
    with open(os.path.join(shared, "testdata", "ceilometer-19",
                           "meters.yaml")) as f:
        defs = yaml.safe_load(f)["metric"]
    names = collections.Counter()
    meta_seen = collections.defaultdict(set)
    by_src_et = collections.defaultdict(list)
    for e in expected:
        if e["routing_key"] != "metering.sample":
            continue
        for s in e["message"]["payload"]:
            names[s["counter_name"]] += 1
            meta_seen[s["counter_name"]].update(
                (s.get("resource_metadata") or {}).keys())
            by_src_et[e["source_event_type"]].append(s)
    literal = set(d["name"] for d in defs if not d.get("lookup"))
    report, uncovered = [], []
    for d in defs:
        ets = d["event_type"] if isinstance(d["event_type"], list) else \
            [d["event_type"]]
        if d.get("lookup"):
            n = sum(1 for et, ss in by_src_et.items()
                    if any(re.match(p, et) for p in ets)
                    for s in ss if s["counter_name"] not in literal)
        else:
            n = names.get(d["name"], 0)
        missing_meta = sorted(set((d.get("metadata") or {}).keys()) -
                              meta_seen.get(d["name"], set())) \
            if not d.get("lookup") else []
        report.append((d["name"], n, missing_meta))
        if n == 0:
            uncovered.append(d["name"])
    return report, uncovered, names


def event_def_patterns(d):
    et = d["event_type"]
    et = et if isinstance(et, list) else [et]
    inc = [t for t in et if not t.startswith("!")]
    exc = [t[1:] for t in et if t.startswith("!")]
    if exc and not inc:
        inc = ["*"]
    return inc, exc


def event_coverage(shared, items, expected):
    with open(os.path.join(shared, "testdata", "ceilometer-19",
                           "event_definitions.yaml")) as f:
        defs = yaml.safe_load(f)

    def winner(et):
        for i in range(len(defs) - 1, -1, -1):
            inc, exc = event_def_patterns(defs[i])
            if any(fnmatch.fnmatch(et, p) for p in inc) and not any(
                    fnmatch.fnmatch(et, p) for p in exc):
                return i
        return None

    hits = collections.Counter()
    traits_seen = collections.defaultdict(set)
    for e in expected:
        if e["routing_key"] != "event.sample":
            continue
        for ev in e["message"]["payload"]:
            w = winner(ev["event_type"])
            hits[w] += 1
            traits_seen[w].update(t[0] for t in ev["traits"])
    report, uncovered = [], []
    for i, d in enumerate(defs):
        inc, exc = event_def_patterns(d)
        shadowed = all(any(fnmatch.fnmatch(p, q)
                           for j in range(i + 1, len(defs))
                           for q in event_def_patterns(defs[j])[0]
                           if not event_def_patterns(defs[j])[1])
                       for p in inc)
        missing = sorted(set(d["traits"].keys()) - traits_seen[i]) \
            if hits[i] else []
        report.append((i, inc, hits[i], shadowed, missing))
        if hits[i] == 0 and not shadowed:
            uncovered.append((i, inc))
    return report, uncovered, hits.get(None, 0)


def coverage(args, items, expected):
    mrep, muncov, names = meter_coverage(args.shared, items, expected)
    erep, euncov, catchall = event_coverage(args.shared, items, expected)
    lines = ["meter definitions (name, samples, metadata never seen):"]
    for name, n, mm in mrep:
        lines.append("  %-45s %4d %s" % (name[:45], n, " ".join(mm)))
    lines.append("samples per counter_name:")
    for name, n in sorted(names.items()):
        lines.append("  %-60s %4d" % (name[:60], n))
    lines.append("event definitions (index, event_type, events, shadowed, "
                 "traits never seen):")
    for i, inc, n, sh, miss in erep:
        lines.append("  %2d %-40s %4d %s %s" % (
            i, ",".join(inc)[:40], n, "shadowed" if sh else "", " ".join(
                miss)))
    lines.append("events from the catch-all definition: %d" % catchall)
    return lines, muncov, euncov


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", default=os.path.join(DATA,
                                                     "notifications.jsonl"))
    ap.add_argument("--out-dir", default=DATA)
    ap.add_argument("--shared", default=os.path.join(
        os.path.dirname(REPO), "shared"))
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=5672)
    ap.add_argument("--user", default="guest")
    ap.add_argument("--password", default="guest")
    ap.add_argument("--quiet", type=float, default=6.0,
                    help="seconds without new output before stopping")
    ap.add_argument("--timeout", type=float, default=300.0)
    ap.add_argument("--keep-tmp", action="store_true")
    ap.add_argument("--check-only", action="store_true",
                    help="only re-run the coverage check on expected.jsonl")
    args = ap.parse_args()

    items = load_corpus(args.corpus)
    exp_path = os.path.join(args.out_dir, "expected.jsonl")
    raw_path = os.path.join(args.out_dir, "expected_raw.jsonl")
    if args.check_only:
        expected = load_corpus(exp_path)
    else:
        got = run_oracle(args, items)
        expected, raw = process(items, got)
        write_jsonl(exp_path, expected)
        write_jsonl(raw_path, raw)
    nsamples = sum(len(e["message"]["payload"]) for e in expected
                   if e["routing_key"] == "metering.sample")
    nsmsg = sum(1 for e in expected if e["routing_key"] == "metering.sample")
    nev = sum(len(e["message"]["payload"]) for e in expected
              if e["routing_key"] == "event.sample")
    lines, muncov, euncov = coverage(args, items, expected)
    lines.append("notifications=%d sample_messages=%d samples=%d "
                 "event_messages=%d events=%d" % (
                     len(items), nsmsg, nsamples,
                     sum(1 for e in expected
                         if e["routing_key"] == "event.sample"), nev))
    if muncov or euncov:
        lines.append("UNCOVERED meter definitions: %s" % muncov)
        lines.append("UNCOVERED event definitions: %s" % euncov)
    print("\n".join(lines))
    with open(os.path.join(args.out_dir, "coverage.txt"), "w",
              encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    if muncov or euncov:
        sys.exit(3)


if __name__ == "__main__":
    main()
