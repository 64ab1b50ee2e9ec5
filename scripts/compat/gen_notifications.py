#!/usr/bin/python3
"""Build the compatibility input corpus: testdata/compat/notifications.jsonl.

Deterministic: a fixed random seed, fixed ids and timestamps, so running it
again gives a byte-identical file.

Each line is one JSON object:

    {"seq": 17, "exchange": "nova", "category": "meter", "tags": [...],
     "notification": {<the oslo.messaging notification dict>}}

`notification` is exactly what oslo.messaging's rabbit notifier puts into
`oslo.message` (key order: message_id publisher_id event_type priority
payload timestamp _unique_id _context_*). The oracle runner publishes it
on the topic exchange `exchange` with routing key
`notifications.<priority lower>`.

Every notification has a distinct `timestamp` (and every payload timestamp
that a meter definition turns into a sample timestamp is distinct too):
run_oracle.py links output samples to their source notification through it.

Run with the Debian Python that has Ceilometer installed:

    /usr/bin/python3 scripts/compat/gen_notifications.py [--out PATH]
"""

import argparse
import collections
import copy
import datetime
import json
import os
import random
import sys
import uuid

SEED = 20261125
T0 = datetime.datetime(2026, 11, 25, 10, 0, 0)
# Secret the (simulated) polling agents used to sign relayed samples. The
# notification agent never verifies it; it recomputes signatures with its own
# [publisher] telemetry_secret.
POLLING_SECRET = "compat-polling-secret"

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
DEFAULT_OUT = os.path.join(REPO, "testdata", "compat", "notifications.jsonl")

PRIORITIES = ["AUDIT", "CRITICAL", "DEBUG", "ERROR", "INFO", "SAMPLE", "WARN"]


class Corpus(object):
    def __init__(self):
        self.rng = random.Random(SEED)
        self.items = []
        self.seen_ts = set()
        self.clock = T0

    # ---- deterministic ids -------------------------------------------------
    def uuid(self):
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def hexid(self):
        return uuid.UUID(int=self.rng.getrandbits(128), version=4).hex

    def req(self):
        return "req-" + self.uuid()

    def choice(self, seq):
        return seq[self.rng.randrange(len(seq))]

    # ---- time ----------------------------------------------------------------
    def tick(self, zero_us=False):
        """Advance the clock; return a distinct naive-UTC datetime."""
        while True:
            self.clock += datetime.timedelta(
                seconds=1 + self.rng.randrange(3),
                microseconds=self.rng.randrange(1, 999999))
            ts = self.clock.replace(microsecond=0) if zero_us else self.clock
            if ts not in self.seen_ts:
                self.seen_ts.add(ts)
                return ts

    def past(self, minutes, base=None):
        """A time some minutes before base (default: the clock)."""
        base = base or self.clock
        return base - datetime.timedelta(
            minutes=minutes, seconds=self.rng.randrange(60),
            microseconds=self.rng.randrange(1000000))

    # ---- notifications -------------------------------------------------------
    def add(self, exchange, publisher_id, event_type, payload,
            priority="INFO", ctxt=None, category="meter", tags=(),
            zero_us=False, ts=None):
        ts = ts or self.tick(zero_us=zero_us)
        # oslo.messaging: str(timeutils.utcnow()); no fraction when the
        # microseconds are 0 (Python's str(datetime)).
        n = collections.OrderedDict()
        n["message_id"] = self.uuid()
        n["publisher_id"] = publisher_id
        n["event_type"] = event_type
        n["priority"] = priority
        n["payload"] = payload
        n["timestamp"] = str(ts)
        n["_unique_id"] = self.hexid()
        for k, v in (ctxt or {}).items():
            n["_context_%s" % k] = v
        item = collections.OrderedDict()
        item["seq"] = len(self.items)
        item["exchange"] = exchange
        item["category"] = category
        item["tags"] = list(tags)
        item["notification"] = n
        self.items.append(item)
        return n


def iso_nova(dt):
    """nova's null_safe_isotime / utils.strtime: 2026-11-25T09:58:41.000000"""
    return dt.strftime("%Y-%m-%dT%H:%M:%S.%f")


def str_tz(dt):
    """str() of an aware datetime: 2026-11-25 09:58:00+00:00"""
    return dt.strftime("%Y-%m-%d %H:%M:%S") + (
        ".%06d" % dt.microsecond if dt.microsecond else "") + "+00:00"


def iso_z(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_tz(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%S.%f") + "+00:00"


def cadf_time(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%S.%f") + "+0000"


# ---------------------------------------------------------------------------
# Actors: projects, users, hosts
# ---------------------------------------------------------------------------
class World(object):
    def __init__(self, c):
        self.c = c
        self.projects = [(c.hexid(), name) for name in
                         ("demo", "admin", "alt_demo", "service", "ops-team")]
        self.users = [(c.hexid(), name) for name in
                      ("demo", "admin", "alice", "bob", "jürgen", "nova")]
        self.compute_hosts = ["compute-%d" % i for i in range(1, 5)]
        self.flavors = [
            # id, name, memory_mb, vcpus, root_gb, ephemeral_gb
            ("1", "m1.tiny", 512, 1, 1, 0),
            ("2", "m1.small", 2048, 1, 20, 0),
            ("3", "m1.medium", 4096, 2, 40, 0),
            ("4", "m1.large", 8192, 4, 80, 0),
            ("c1", "cpu.xlarge.eph", 16384, 8, 40, 160),
        ]
        self.images = [c.uuid() for _ in range(4)]

    def project(self):
        return self.c.choice(self.projects)

    def user(self):
        return self.c.choice(self.users)

    def os_ctxt(self, style="nova", user=None, project=None, extra=None):
        c = self.c
        uid, uname = user or self.user()
        pid, pname = project or self.project()
        ctx = collections.OrderedDict()
        if style in ("nova", "cinder"):
            ctx["user"] = uid
            ctx["tenant"] = pid
            ctx["system_scope"] = None
            ctx["project"] = pid
            ctx["domain"] = None
            ctx["user_domain"] = "default"
            ctx["project_domain"] = "default"
            ctx["is_admin"] = uname == "admin"
            ctx["read_only"] = False
            ctx["show_deleted"] = False
            ctx["auth_token"] = None
            ctx["request_id"] = c.req()
            ctx["global_request_id"] = None
            ctx["resource_uuid"] = None
            ctx["roles"] = ["member", "reader"]
            ctx["user_identity"] = "%s %s - default default" % (uid, pid)
            ctx["is_admin_project"] = True
            ctx["user_id"] = uid
            ctx["project_id"] = pid
            ctx["user_name"] = uname
            ctx["project_name"] = pname
            ctx["read_deleted"] = "no"
            ctx["remote_address"] = "10.0.0.%d" % (2 + c.rng.randrange(200))
            ctx["timestamp"] = iso_nova(c.past(0))
            ctx["quota_class"] = None
            ctx["service_catalog"] = []
        elif style == "neutron":
            ctx["user_id"] = uid
            ctx["project_id"] = pid
            ctx["system_scope"] = None
            ctx["domain_id"] = None
            ctx["user_domain_id"] = "default"
            ctx["project_domain_id"] = "default"
            ctx["is_admin"] = uname == "admin"
            ctx["read_only"] = False
            ctx["show_deleted"] = False
            ctx["auth_token"] = None
            ctx["request_id"] = c.req()
            ctx["global_request_id"] = None
            ctx["resource_uuid"] = None
            ctx["roles"] = ["member", "reader"]
            ctx["user_identity"] = "%s %s - default default" % (uid, pid)
            ctx["is_admin_project"] = True
            ctx["tenant_id"] = pid
            ctx["timestamp"] = str(c.past(0))
            ctx["user_name"] = uname
            ctx["tenant_name"] = pname
            ctx["project_name"] = pname
        elif style == "heat":
            ctx["auth_token"] = None
            ctx["username"] = uname
            ctx["user_id"] = uid
            ctx["password"] = None
            ctx["aws_creds"] = None
            ctx["tenant"] = pname
            ctx["tenant_id"] = pid
            ctx["project_id"] = pid
            ctx["trust_id"] = None
            ctx["trustor_user_id"] = None
            ctx["auth_url"] = "http://keystone.example:5000/v3"
            ctx["roles"] = ["member", "heat_stack_owner"]
            ctx["is_admin"] = False
            ctx["user"] = uname
            ctx["request_id"] = c.req()
            ctx["global_request_id"] = None
            ctx["show_deleted"] = False
            ctx["region_name"] = "RegionOne"
            ctx["user_identity"] = "%s %s" % (uid, pid)
            ctx["user_domain"] = "default"
            ctx["project_domain"] = "default"
        elif style == "designate":
            ctx["user"] = uid
            ctx["tenant"] = pid
            ctx["domain"] = None
            ctx["user_domain"] = "default"
            ctx["project_domain"] = "default"
            ctx["is_admin"] = False
            ctx["read_only"] = False
            ctx["show_deleted"] = False
            ctx["auth_token"] = None
            ctx["request_id"] = c.req()
            ctx["roles"] = ["member"]
            ctx["all_tenants"] = False
            ctx["hide_counts"] = False
            ctx["abandon"] = None
            ctx["edit_managed_records"] = False
            ctx["client_addr"] = "192.0.2.%d" % (1 + c.rng.randrange(250))
        elif style == "minimal":
            ctx["user_id"] = uid
            ctx["project_id"] = pid
            ctx["request_id"] = c.req()
            ctx["is_admin"] = False
            ctx["roles"] = ["member"]
        if extra:
            ctx.update(extra)
        return ctx


# ---------------------------------------------------------------------------
# Nova
# ---------------------------------------------------------------------------
INSTANCE_FLOW = [
    # event_type, state, state_description, priority
    ("compute.instance.create.start", "building", "", "INFO"),
    ("compute.instance.create.end", "active", "", "INFO"),
    ("compute.instance.update", "active", "", "INFO"),
    ("compute.instance.exists", "active", "", "INFO"),
    ("compute.instance.power_off.start", "active", "powering-off", "INFO"),
    ("compute.instance.power_off.end", "stopped", "", "INFO"),
    ("compute.instance.power_on.start", "stopped", "powering-on", "INFO"),
    ("compute.instance.power_on.end", "active", "", "INFO"),
    ("compute.instance.reboot.start", "active", "rebooting", "INFO"),
    ("compute.instance.reboot.end", "active", "", "INFO"),
    ("compute.instance.resize.prep.start", "active", "resize_prep", "INFO"),
    ("compute.instance.resize.prep.end", "active", "resize_prep", "INFO"),
    ("compute.instance.resize.start", "active", "resize_migrating", "INFO"),
    ("compute.instance.resize.end", "active", "resize_migrated", "INFO"),
    ("compute.instance.finish_resize.start", "active", "resize_finish", "INFO"),
    ("compute.instance.finish_resize.end", "resized", "", "INFO"),
    ("compute.instance.resize.confirm.start", "resized", "", "INFO"),
    ("compute.instance.resize.confirm.end", "active", "", "INFO"),
    ("compute.instance.suspend.start", "active", "suspending", "INFO"),
    ("compute.instance.suspend.end", "suspended", "", "INFO"),
    ("compute.instance.resume.start", "suspended", "resuming", "INFO"),
    ("compute.instance.resume.end", "active", "", "INFO"),
    ("compute.instance.pause.start", "active", "pausing", "INFO"),
    ("compute.instance.pause.end", "paused", "", "INFO"),
    ("compute.instance.unpause.start", "paused", "unpausing", "INFO"),
    ("compute.instance.unpause.end", "active", "", "INFO"),
    ("compute.instance.snapshot.start", "active", "image_snapshot", "INFO"),
    ("compute.instance.snapshot.end", "active", "", "INFO"),
    ("compute.instance.rebuild.start", "active", "rebuilding", "INFO"),
    ("compute.instance.rebuild.end", "active", "", "INFO"),
    ("compute.instance.shelve.start", "active", "shelving", "INFO"),
    ("compute.instance.shelve.end", "shelved", "", "INFO"),
    ("compute.instance.shelve_offload.end", "shelved_offloaded", "", "INFO"),
    ("compute.instance.unshelve.start", "shelved_offloaded", "unshelving", "INFO"),
    ("compute.instance.unshelve.end", "active", "", "INFO"),
    ("compute.instance.volume.attach", "active", "", "INFO"),
    ("compute.instance.volume.detach", "active", "", "INFO"),
    ("compute.instance.live_migration.pre.start", "active", "migrating", "INFO"),
    ("compute.instance.live_migration._post.end", "active", "", "INFO"),
    ("compute.instance.rescue.start", "active", "rescuing", "INFO"),
    ("compute.instance.rescue.end", "rescued", "", "INFO"),
    ("compute.instance.shutdown.start", "active", "deleting", "INFO"),
    ("compute.instance.shutdown.end", "active", "deleting", "INFO"),
    ("compute.instance.delete.start", "active", "deleting", "INFO"),
    ("compute.instance.delete.end", "deleted", "", "INFO"),
]


class Instance(object):
    def __init__(self, w, flavor=None, name=None, host=None, user=None,
                 project=None, metadata=None, image_meta_extra=None):
        c = w.c
        self.w = w
        self.id = c.uuid()
        self.user = user or w.user()
        self.project = project or w.project()
        self.flavor = flavor or c.choice(w.flavors)
        self.name = name or "vm-%s" % self.id[:8]
        self.host = host or c.choice(w.compute_hosts)
        self.image = c.choice(w.images)
        self.created = c.past(3)
        self.launched = self.created + datetime.timedelta(
            seconds=20 + c.rng.randrange(60),
            microseconds=c.rng.randrange(1000000))
        self.reservation = "r-" + c.hexid()[:8]
        self.metadata = metadata if metadata is not None else {}
        self.image_meta = collections.OrderedDict([
            ("base_image_ref", self.image),
            ("container_format", "bare"),
            ("disk_format", "qcow2"),
            ("min_disk", str(self.flavor[4])),
            ("min_ram", "0"),
            ("hw_rng_model", "virtio"),
        ])
        if image_meta_extra:
            self.image_meta.update(image_meta_extra)
        self.ip = "10.0.%d.%d" % (c.rng.randrange(250), 2 + c.rng.randrange(250))
        self.mac = "fa:16:3e:%02x:%02x:%02x" % tuple(
            c.rng.randrange(256) for _ in range(3))

    def payload(self, state, state_desc, event_type, deleted=False,
                launched=True, exists_period=None):
        c = self.w.c
        fid, fname, mem, vcpus, root, eph = self.flavor
        p = collections.OrderedDict()
        p["tenant_id"] = self.project[0]
        p["user_id"] = self.user[0]
        p["instance_id"] = self.id
        p["display_name"] = self.name
        p["reservation_id"] = self.reservation
        p["hostname"] = self.name.lower()
        p["instance_type"] = fname
        p["instance_type_id"] = int(fid) if fid.isdigit() else 17
        p["instance_flavor_id"] = fid
        p["memory_mb"] = mem
        p["disk_gb"] = root + eph
        p["root_gb"] = root
        p["ephemeral_gb"] = eph
        p["vcpus"] = vcpus
        p["host"] = self.host
        p["node"] = self.host + ".example.org"
        p["availability_zone"] = "nova"
        p["cell_name"] = ""
        p["created_at"] = str_tz(self.created.replace(microsecond=0))
        p["terminated_at"] = iso_nova(c.clock) if deleted else ""
        p["deleted_at"] = iso_nova(c.clock) if deleted else ""
        p["launched_at"] = iso_nova(self.launched.replace(microsecond=0)) \
            if launched else ""
        p["image_ref_url"] = "http://glance.example:9292/images/" + self.image
        p["os_type"] = None
        p["kernel_id"] = ""
        p["ramdisk_id"] = ""
        p["state"] = state
        p["state_description"] = state_desc
        p["progress"] = "" if state != "active" else 100
        p["access_ip_v4"] = None
        p["access_ip_v6"] = None
        p["architecture"] = "x86_64"
        p["image_meta"] = copy.deepcopy(self.image_meta)
        p["metadata"] = copy.deepcopy(self.metadata)
        p["locked"] = False
        p["key_name"] = "mykey"
        if event_type.endswith(".end") or event_type in (
                "compute.instance.exists", "compute.instance.update"):
            p["fixed_ips"] = [collections.OrderedDict([
                ("address", self.ip), ("floating_ips", []),
                ("label", "private"), ("meta", {}), ("type", "fixed"),
                ("version", 4), ("vif_mac", self.mac)])]
        if exists_period:
            p["audit_period_beginning"], p["audit_period_ending"] = \
                exists_period
            p["bandwidth"] = {}
        return p


def gen_nova(c, w):
    exists_period = (iso_nova(T0.replace(minute=0) - datetime.timedelta(hours=1)),
                     iso_nova(T0.replace(minute=0)))
    # One instance with a full life cycle, a few with a partial one.
    md_full = collections.OrderedDict([
        ("metering.stack", "3f0fa3e0-8a7a-4c3b-9c58-4b0a22a6a0fd"),
        ("metering.server_group", "web"),
        ("metering.prefix.with.dots", "dotted"),
        ("metering.long", "x" * 300),
        ("owner", "alice"),
    ])
    inst_specs = [
        dict(metadata=md_full, image_meta_extra={
            "org.openstack__1__architecture": "x86_64",
            "org.openstack__1__os_version": "22.04",
            "org.openstack__1__os_distro": "com.ubuntu"}),
        dict(metadata={}, name="db-01"),
        dict(metadata={"metering.autoscale": "true"}, name="ünïcødé-☃"),
        dict(metadata={}, flavor=w.flavors[4]),
    ]
    for i, spec in enumerate(inst_specs):
        inst = Instance(w, **spec)
        flow = INSTANCE_FLOW if i == 0 else [
            f for f in INSTANCE_FLOW if f[0] in (
                "compute.instance.create.start",
                "compute.instance.create.end",
                "compute.instance.update",
                "compute.instance.exists",
                "compute.instance.delete.start",
                "compute.instance.delete.end")]
        ctxt = w.os_ctxt("nova", user=inst.user, project=inst.project)
        for et, state, desc, prio in flow:
            deleted = et == "compute.instance.delete.end"
            launched = et != "compute.instance.create.start"
            p = inst.payload(state, desc, et, deleted=deleted,
                             launched=launched,
                             exists_period=exists_period if et in (
                                 "compute.instance.exists",
                                 "compute.instance.update") else None)
            if et == "compute.instance.update":
                p["old_state"] = "building" if i else "active"
                p["old_task_state"] = None
                p["new_task_state"] = None
                p["old_display_name"] = inst.name
            if et == "compute.instance.create.end":
                p["message"] = "Success"
            if et in ("compute.instance.volume.attach",
                      "compute.instance.volume.detach"):
                p["volume_id"] = c.uuid()
            if et == "compute.instance.snapshot.end":
                p["snapshot_image_id"] = c.uuid()
            ctxt = copy.copy(ctxt)
            ctxt["request_id"] = c.req()
            c.add("nova", "compute.%s" % inst.host, et, p, prio, ctxt,
                  category="meter" if "create.start" not in et and
                  et != "compute.instance.update" else "event",
                  tags=["nova", "instance"])
    # create.error at ERROR priority (meters + event), with exception info
    inst = Instance(w, name="broken")
    p = inst.payload("error", "", "compute.instance.create.error",
                     launched=False)
    p["message"] = "No valid host was found. There are not enough hosts."
    p["code"] = 500
    p["exception"] = "NoValidHost"
    c.add("nova", "compute.%s" % inst.host, "compute.instance.create.error",
          p, "ERROR", w.os_ctxt("nova", user=inst.user, project=inst.project),
          category="meter", tags=["nova", "instance", "error"])
    # instances with zero microseconds notification timestamp, hostname with dots
    inst = Instance(w, host="compute-9.dc1.example.org")
    p = inst.payload("active", "", "compute.instance.exists",
                     exists_period=exists_period)
    c.add("nova", "compute.%s" % inst.host, "compute.instance.exists", p,
          "INFO", w.os_ctxt("nova", user=inst.user, project=inst.project),
          category="meter", tags=["nova", "instance", "zero-microseconds"],
          zero_us=True)
    # exists for an instance deleted during the audit period
    inst = Instance(w)
    p = inst.payload("deleted", "", "compute.instance.exists", deleted=True,
                     exists_period=exists_period)
    c.add("nova", "compute.%s" % inst.host, "compute.instance.exists", p,
          "INFO", w.os_ctxt("nova", user=inst.user, project=inst.project),
          category="meter", tags=["nova", "instance", "deleted"])
    # Regex traps of the compute.instance.(?!create.start|update).* pattern
    for et in ("compute.instance.updated",          # excluded by look-ahead
               "compute.instance.create_start",     # '.' matches '_': excluded
               "compute.instance.create.started",   # excluded (prefix)
               "compute.instance.Xcreate.start",    # not excluded
               "compute.instances.exists",          # '.' matches 's': a match
               "compute_instance_exists",           # '.' matches '_': a match
               "compute.instance.exists.verified.old"):
        inst = Instance(w)
        p = inst.payload("active", "", et, exists_period=exists_period)
        c.add("nova", "compute.%s" % inst.host, et, p, "INFO",
              w.os_ctxt("nova", user=inst.user, project=inst.project),
              category="regex", tags=["nova", "instance", "regex-trap"])

    # compute.metrics.update (payload timestamps are sample timestamps)
    for host in w.compute_hosts[:3]:
        c.tick()
        mts = c.clock - datetime.timedelta(milliseconds=c.rng.randrange(1, 900))
        c.seen_ts.add(mts)
        ts = iso_nova(mts)
        src = "libvirt.LibvirtDriver"
        up = c.rng.randrange(10 ** 12, 10 ** 13)
        metrics = [
            ("cpu.frequency", 2600 + c.rng.randrange(800)),
            ("cpu.user.time", up),
            ("cpu.kernel.time", up // 7),
            ("cpu.idle.time", up * 5),
            ("cpu.iowait.time", up // 97),
            ("cpu.user.percent", round(c.rng.random(), 2)),
            ("cpu.kernel.percent", round(c.rng.random() / 10, 2)),
            ("cpu.idle.percent", round(c.rng.random(), 2)),
            ("cpu.iowait.percent", 0.0),
            ("cpu.percent", round(c.rng.random(), 2)),
        ]
        p = collections.OrderedDict([
            ("nodename", host + ".example.org"),
            ("host", host),
            ("metrics", [collections.OrderedDict([
                ("name", n), ("value", v), ("source", src),
                ("timestamp", ts)]) for n, v in metrics]),
        ])
        c.add("nova", "compute.%s" % host, "compute.metrics.update", p,
              "INFO", {}, category="meter", tags=["nova", "metrics"])
    # Nova notifications no definition knows (default-traits events only)
    inst = Instance(w)
    misc = [
        ("scheduler.select_destinations.start", "scheduler.sched-1",
         {"request_spec": {"num_instances": 1, "instance_type":
                           {"name": "m1.small", "memory_mb": 2048},
                           "instance_properties": {"project_id": inst.project[0]}}}),
        ("scheduler.select_destinations.end", "scheduler.sched-1",
         {"request_spec": {"num_instances": 1}}),
        ("compute_task.build_instances", "conductor.cond-1",
         {"instance_id": inst.id, "state": "error",
          "method": "build_instances", "reason": "NoValidHost"}),
        ("keypair.create.start", "api.api-1",
         {"tenant_id": inst.project[0], "user_id": inst.user[0],
          "key_name": "mykey"}),
        ("keypair.create.end", "api.api-1",
         {"tenant_id": inst.project[0], "user_id": inst.user[0],
          "key_name": "mykey"}),
        ("aggregate.create.start", "aggregate.api-1",
         {"name": "fast-ssd", "availability_zone": None}),
        ("servergroup.create", "servergroup.api-1",
         {"server_group_id": c.uuid(), "name": "anti"}),
        ("compute.exception", "compute.compute-2",
         {"exception": "InstanceNotFound", "args": {"instance_id": inst.id}}),
    ]
    for et, pub, payload in misc:
        prio = "ERROR" if et == "compute_task.build_instances" else "INFO"
        c.add("nova", pub, et, payload, prio,
              w.os_ctxt("nova", user=inst.user, project=inst.project),
              category="unmatched", tags=["nova"])
    return exists_period


# ---------------------------------------------------------------------------
# Glance
# ---------------------------------------------------------------------------
def glance_image(c, w, status="active", size=None, name=None):
    pid, _ = w.project()
    created = c.past(10)
    p = collections.OrderedDict()
    p["id"] = c.uuid()
    p["name"] = name or "cirros-0.6.%d-x86_64-disk" % c.rng.randrange(4)
    p["status"] = status
    p["visibility"] = c.choice(["public", "private", "shared"])
    p["protected"] = False
    p["checksum"] = c.hexid() if size else None
    p["os_hash_algo"] = "sha512" if size else None
    p["os_hash_value"] = (c.hexid() * 4) if size else None
    p["owner"] = pid
    p["size"] = size
    p["min_ram"] = 0
    p["min_disk"] = 0
    p["container_format"] = "bare"
    p["disk_format"] = "qcow2"
    p["created_at"] = iso_z(created)
    p["updated_at"] = iso_z(c.clock)
    p["deleted_at"] = None
    p["deleted"] = False
    p["virtual_size"] = size * 3 if size else None
    p["tags"] = ["ci", "cirros"]
    p["os_hidden"] = False
    p["properties"] = collections.OrderedDict([
        ("hw_disk_bus", "virtio"), ("os_distro", "cirros")])
    p["file"] = "/v2/images/%s/file" % p["id"]
    p["schema"] = "/v2/schemas/image"
    return p


def gen_glance(c, w):
    ctx = lambda: w.os_ctxt("minimal")  # noqa: E731
    for size in (16338944, 0, 1073741824, 21474836480):
        img = glance_image(c, w, status="queued", size=None)
        c.add("glance", "image.localhost", "image.create", copy.deepcopy(img),
              "INFO", ctx(), category="event", tags=["glance"])
        img["status"] = "saving"
        c.add("glance", "image.localhost", "image.prepare",
              copy.deepcopy(img), "INFO", ctx(), category="unmatched",
              tags=["glance"])
        img.update(status="active", size=size, checksum=c.hexid(),
                   virtual_size=size * 2)
        c.add("glance", "image.localhost", "image.upload", copy.deepcopy(img),
              "INFO", ctx(), category="meter", tags=["glance"])
        c.add("glance", "image.localhost", "image.activate",
              copy.deepcopy(img), "INFO", ctx(), category="unmatched",
              tags=["glance"])
        img["name"] = img["name"] + "-renamed"
        c.add("glance", "image.localhost", "image.update", copy.deepcopy(img),
              "INFO", ctx(), category="meter", tags=["glance"])
        for _ in range(2):
            recv_u, recv_p = w.user(), w.project()
            send = collections.OrderedDict([
                ("receiver_tenant_id", recv_p[0]),
                ("receiver_user_id", recv_u[0]),
                ("destination_ip", "10.0.0.%d" % (2 + c.rng.randrange(250))),
                ("owner_id", img["owner"]),
                ("image_id", img["id"]),
                ("bytes_sent", size if size else 0),
            ])
            c.add("glance", "image.localhost", "image.send", send, "INFO",
                  w.os_ctxt("minimal", user=recv_u, project=recv_p),
                  category="meter", tags=["glance"])
        img.update(status="deleted", deleted=True,
                   deleted_at=iso_z(c.clock))
        c.add("glance", "image.localhost", "image.delete", copy.deepcopy(img),
              "INFO", ctx(), category="meter", tags=["glance"])
    img = glance_image(c, w, size=42)
    c.add("glance", "image.localhost", "image.member.create",
          {"image_id": img["id"], "member_id": w.project()[0],
           "status": "pending", "created_at": img["created_at"],
           "updated_at": img["updated_at"], "deleted": False,
           "deleted_at": None}, "INFO", ctx(), category="unmatched",
          tags=["glance"])


# ---------------------------------------------------------------------------
# Cinder and Manila
# ---------------------------------------------------------------------------
def cinder_volume(c, w, size, status, bootable=False, attached=None):
    u, pr = w.user(), w.project()
    p = collections.OrderedDict()
    p["tenant_id"] = pr[0]
    p["host"] = "cinder-volume-1@lvmdriver-1#lvmdriver-1"
    p["user_id"] = u[0]
    p["availability_zone"] = "nova"
    p["volume_id"] = c.uuid()
    p["volume_type"] = c.uuid()
    p["display_name"] = c.choice(["data", "boot-vol", "scratch", "日本語ボリューム"])
    p["display_description"] = ""
    p["size"] = size
    p["status"] = status
    p["created_at"] = iso_tz(c.past(5).replace(microsecond=0))
    p["launched_at"] = ""
    p["snapshot_id"] = None
    p["replication_status"] = c.choice([None, "disabled", "enabled"])
    p["replication_extended_status"] = None
    p["replication_driver_data"] = None
    p["metadata"] = []
    p["volume_attachment"] = []
    if bootable:
        p["glance_metadata"] = [
            {"key": "container_format", "value": "bare"},
            {"key": "image_id", "value": c.choice(w.images)},
            {"key": "image_name", "value": "cirros"},
            {"key": "min_ram", "value": "0"},
        ]
    if attached:
        p["volume_attachment"] = [collections.OrderedDict([
            ("id", c.uuid()), ("volume_id", p["volume_id"]),
            ("instance_uuid", attached), ("server_id", attached),
            ("attached_host", None), ("mountpoint", "/dev/vdb"),
            ("attach_time", iso_tz(c.past(1))), ("detach_time", None),
            ("attach_status", "attached"), ("attach_mode", "rw"),
            ("connection_info", None), ("connector", None),
        ])]
    return p


def gen_cinder(c, w):
    pub = "volume.cinder-volume-1@lvmdriver-1"
    inst = c.uuid()
    vols = [
        cinder_volume(c, w, 1, "creating"),
        cinder_volume(c, w, 10, "creating", bootable=True),
        cinder_volume(c, w, 100, "creating", bootable=True, attached=inst),
    ]
    for v in vols:
        ctx = w.os_ctxt("cinder", user=(v["user_id"], "x"),
                        project=(v["tenant_id"], "y"))
        for et, st in (("volume.create.start", "creating"),
                       ("volume.create.end", "available"),
                       ("volume.attach.start", "attaching"),
                       ("volume.attach.end", "in-use"),
                       ("volume.resize.start", "extending"),
                       ("volume.resize.end", "available"),
                       ("volume.update.start", "available"),
                       ("volume.update.end", "available"),
                       ("volume.exists", "available"),
                       ("volume.retype", "available"),
                       ("volume.detach.start", "detaching"),
                       ("volume.detach.end", "available"),
                       ("volume.manage.start", "creating"),
                       ("volume.manage.end", "available"),
                       ("volume.delete.start", "deleting"),
                       ("volume.delete.end", "deleted")):
            p = copy.deepcopy(v)
            p["status"] = st
            if et == "volume.resize.end":
                v["size"] = v["size"] * 2
                p["size"] = v["size"]
            if et == "volume.exists":
                p["audit_period_beginning"] = "2026-11-25T09:00:00.000000"
                p["audit_period_ending"] = "2026-11-25T10:00:00.000000"
            c.add("cinder", pub, et, p, "INFO", ctx, category="meter",
                  tags=["cinder", "volume"])
    # volume.create.end with error priority
    v = cinder_volume(c, w, 5, "error")
    c.add("cinder", pub, "volume.create.end", v, "ERROR",
          w.os_ctxt("cinder"), category="meter", tags=["cinder", "error"])
    # transfers
    v = cinder_volume(c, w, 8, "available")
    v["transfer_id"] = c.uuid()
    for et in ("volume.transfer.create.start", "volume.transfer.create.end",
               "volume.transfer.accept.start", "volume.transfer.accept.end",
               "volume.transfer.delete.end"):
        c.add("cinder", "volume.cinder-api-1", et, copy.deepcopy(v), "INFO",
              w.os_ctxt("cinder"), category="event", tags=["cinder"])
    # snapshots
    for vol_size in (1, 40):
        u, pr = w.user(), w.project()
        sp = collections.OrderedDict([
            ("tenant_id", pr[0]), ("user_id", u[0]),
            ("volume_id", c.uuid()), ("volume_size", vol_size),
            ("snapshot_id", c.uuid()),
            ("display_name", "snap-%d" % vol_size),
            ("created_at", iso_tz(c.past(2).replace(microsecond=0))),
            ("status", "creating"), ("deleted", ""),
            ("availability_zone", "nova"), ("metadata", ""),
        ])
        for et, st in (("snapshot.create.start", "creating"),
                       ("snapshot.create.end", "available"),
                       ("snapshot.update.end", "available"),
                       ("snapshot.exists", "available"),
                       ("snapshot.manage.start", "creating"),
                       ("snapshot.manage.end", "available"),
                       ("snapshot.transfer.accept.end", "available"),
                       ("snapshot.delete.start", "deleting"),
                       ("snapshot.delete.end", "deleted")):
            p = copy.deepcopy(sp)
            p["status"] = st
            c.add("cinder", "snapshot.cinder-volume-1", et, p, "INFO",
                  w.os_ctxt("cinder", user=u, project=pr), category="meter",
                  tags=["cinder", "snapshot"])
    # backups
    for size in (1, 20):
        u, pr = w.user(), w.project()
        bp = collections.OrderedDict([
            ("tenant_id", pr[0]), ("user_id", u[0]),
            ("availability_zone", "nova"), ("backup_id", c.uuid()),
            ("host", "cinder-backup-1"), ("display_name", "nightly"),
            ("created_at", iso_tz(c.past(2).replace(microsecond=0))),
            ("status", "creating"), ("volume_id", c.uuid()), ("size", size),
            ("service_metadata", "volume_%s/20261125/az_nova_backup" % size),
            ("service", "cinder.backup.drivers.swift.SwiftBackupDriver"),
            ("fail_reason", None), ("parent_id", None),
            ("num_dependent_backups", 0), ("snapshot_id", None),
        ])
        for et, st in (("backup.create.start", "creating"),
                       ("backup.create.end", "available"),
                       ("backup.exists", "available"),
                       ("backup.restore.start", "restoring"),
                       ("backup.restore.end", "available"),
                       ("backup.delete.start", "deleting"),
                       ("backup.delete.end", "deleted")):
            p = copy.deepcopy(bp)
            p["status"] = st
            c.add("cinder", "backup.cinder-backup-1", et, p, "INFO",
                  w.os_ctxt("cinder", user=u, project=pr), category="meter",
                  tags=["cinder", "backup"])
    # capacity (scheduler): capacity.backend / capacity.pool
    for backend in ("cinder-volume-1@lvmdriver-1", "cinder-volume-2@ceph"):
        tot = 1000 + c.rng.randrange(5000)
        cp = collections.OrderedDict([
            ("name_to_id", backend), ("total", tot),
            ("free", round(tot * c.rng.random(), 2)), ("allocated", 120),
            ("provisioned", 240), ("virtual_free", tot * 20),
            ("reported_at", iso_nova(c.clock)),
        ])
        c.add("cinder", "capacity.cinder-scheduler-1", "capacity.backend", cp,
              "INFO", {}, category="meter", tags=["cinder", "capacity"])
        for pool in ("pool-a", "pool-b"):
            pp = copy.deepcopy(cp)
            pp["name_to_id"] = "%s#%s" % (backend, pool)
            pp["total"] = "infinite" if pool == "pool-b" and "ceph" in \
                backend else tot // 2
            pp["free"] = tot // 3
            c.add("cinder", "capacity.cinder-scheduler-1", "capacity.pool",
                  pp, "INFO", {}, category="meter", tags=["cinder", "capacity"])
    # image volume cache
    for et in ("image_volume_cache.miss", "image_volume_cache.hit",
               "image_volume_cache.evict"):
        c.add("cinder", "image_volume_cache.cinder-volume-1", et,
              {"image_id": c.choice(w.images), "host": "cinder-volume-1@lvm"},
              "INFO", {}, category="event", tags=["cinder"])


def gen_manila(c, w):
    for i, proto in enumerate(("NFS", "CIFS")):
        u, pr = w.user(), w.project()
        sp = collections.OrderedDict([
            ("share_id", c.uuid()), ("user_id", u[0]), ("project_id", pr[0]),
            ("tenant_id", pr[0]),
            ("snapshot_id", c.uuid() if i else None),
            ("share_group_id", c.uuid() if i else None),
            ("availability_zone", "nova"), ("status", "creating"),
            ("created_at", iso_tz(c.past(2))), ("size", 10 * (i + 1)),
            ("name", "share-%d" % i), ("proto", proto),
            ("is_public", bool(i)), ("description", "D" * 300 if i else ""),
            ("host", "manila-share-1@generic#GENERIC"),
            ("share_type_id", c.uuid()),
        ])
        for et in ("share.create.start", "share.create.end",
                   "share.extend.start", "share.extend.end",
                   "share.shrink.end", "share.delete.start",
                   "share.delete.end"):
            p = copy.deepcopy(sp)
            if et == "share.extend.end":
                sp["size"] += 5
                p["size"] = sp["size"]
            c.add("manila", "share.manila-share-1", et, p, "INFO",
                  w.os_ctxt("minimal", user=u, project=pr), category="meter",
                  tags=["manila"])


# ---------------------------------------------------------------------------
# Neutron (and the mitaka-era network plugins' types)
# ---------------------------------------------------------------------------
def gen_neutron(c, w):
    def ctx(u, pr):
        return w.os_ctxt("neutron", user=u, project=pr)

    u, pr = w.user(), w.project()
    net_id, sub_id, port_id, router_id, fip_id = (c.uuid() for _ in range(5))
    network = collections.OrderedDict([
        ("id", net_id), ("name", "private"), ("tenant_id", pr[0]),
        ("admin_state_up", True), ("mtu", 1450), ("status", "ACTIVE"),
        ("subnets", []), ("shared", False), ("availability_zone_hints", []),
        ("availability_zones", []), ("ipv4_address_scope", None),
        ("ipv6_address_scope", None), ("router:external", False),
        ("description", ""), ("port_security_enabled", True),
        ("qos_policy_id", None), ("tags", []), ("created_at", iso_z(c.past(1))),
        ("updated_at", iso_z(c.past(0))), ("revision_number", 1),
        ("project_id", pr[0]), ("provider:network_type", "vxlan"),
        ("provider:physical_network", None), ("provider:segmentation_id", 1042),
    ])
    subnet = collections.OrderedDict([
        ("id", sub_id), ("name", "private-subnet"), ("tenant_id", pr[0]),
        ("network_id", net_id), ("ip_version", 4), ("subnetpool_id", None),
        ("enable_dhcp", True), ("ipv6_ra_mode", None),
        ("ipv6_address_mode", None), ("gateway_ip", "10.0.0.1"),
        ("cidr", "10.0.0.0/26"),
        ("allocation_pools", [{"start": "10.0.0.2", "end": "10.0.0.62"}]),
        ("host_routes", []), ("dns_nameservers", []), ("description", ""),
        ("service_types", []), ("tags", []), ("project_id", pr[0]),
    ])
    port = collections.OrderedDict([
        ("id", port_id), ("name", ""), ("network_id", net_id),
        ("tenant_id", pr[0]), ("mac_address", "fa:16:3e:12:34:56"),
        ("admin_state_up", True), ("status", "DOWN"), ("device_id", ""),
        ("device_owner", ""),
        ("fixed_ips", [{"subnet_id": sub_id, "ip_address": "10.0.0.7"}]),
        ("allowed_address_pairs", []), ("extra_dhcp_opts", []),
        ("security_groups", [c.uuid()]), ("description", ""),
        ("binding:vnic_type", "normal"), ("port_security_enabled", True),
        ("project_id", pr[0]),
    ])
    router = collections.OrderedDict([
        ("id", router_id), ("name", "router1"), ("tenant_id", pr[0]),
        ("admin_state_up", True), ("status", "ACTIVE"),
        ("external_gateway_info", {"network_id": c.uuid(), "enable_snat": True,
                                   "external_fixed_ips": [
                                       {"subnet_id": c.uuid(),
                                        "ip_address": "172.24.4.10"}]}),
        ("distributed", False), ("ha", False), ("routes", []),
        ("project_id", pr[0]),
    ])
    fip = collections.OrderedDict([
        ("id", fip_id), ("tenant_id", pr[0]),
        ("floating_network_id", c.uuid()), ("router_id", router_id),
        ("fixed_ip_address", "10.0.0.7"),
        ("floating_ip_address", "172.24.4.228"), ("port_id", port_id),
        ("status", "DOWN"), ("description", ""), ("project_id", pr[0]),
    ])
    for kind, res in (("network", network), ("subnet", subnet),
                      ("port", port), ("router", router),
                      ("floatingip", fip)):
        for phase in ("create.start", "create.end", "update.start",
                      "update.end", "exists", "delete.start", "delete.end"):
            et = "%s.%s" % (kind, phase)
            if phase.endswith("start") and phase != "delete.start":
                p = {kind: {k: v for k, v in res.items()
                            if k not in ("id", "status")}}
            elif phase == "delete.start":
                p = {"%s_id" % kind: res["id"]}
            elif phase == "delete.end":
                p = collections.OrderedDict(
                    [("%s_id" % kind, res["id"]), (kind, copy.deepcopy(res))])
            else:
                p = {kind: copy.deepcopy(res)}
            c.add("neutron", "network.neutron-server-1", et, p, "INFO",
                  ctx(u, pr), category="seed", tags=["neutron", kind])
    # a bulk create (plural key) as sent by neutron
    c.add("neutron", "network.neutron-server-1", "port.create.end",
          {"ports": [copy.deepcopy(port), dict(port, id=c.uuid(), name="p2")]},
          "INFO", ctx(u, pr), category="seed", tags=["neutron", "port", "bulk"])
    # router.interface.create (used by mitaka plugins too)
    c.add("neutron", "network.neutron-server-1", "router.interface.create",
          {"router_interface": {"id": router_id, "tenant_id": pr[0],
                                "port_id": port_id, "subnet_id": sub_id,
                                "subnet_ids": [sub_id],
                                "network_id": net_id}},
          "INFO", ctx(u, pr), category="seed", tags=["neutron", "router"])
    # l3.meter: bandwidth meter (neutron metering agent, no context)
    for i in range(3):
        label = c.uuid()
        first = c.past(10)
        p = collections.OrderedDict([
            ("first_update", int((first - datetime.datetime(1970, 1, 1))
                                 .total_seconds())),
            ("bytes", [0, 1048576, 123456789012][i]),
            ("tenant_id", pr[0]), ("last_update", int(
                (c.clock - datetime.datetime(1970, 1, 1)).total_seconds())),
            ("label_id", label), ("host", "network-1"),
            ("time", 30), ("pkts", [0, 1024, 98765432][i]),
            ("label_name", "label-%d" % i), ("label_shared", False),
        ])
        c.add("neutron", "metering.network-1", "l3.meter", p, "INFO", {},
              category="meter", tags=["neutron", "bandwidth"])
    # FWaaS / VPNaaS (event definitions) and LBaaS (mitaka seed only)
    services = [
        ("firewall", {"name": "fw1", "firewall_policy_id": c.uuid(),
                      "admin_state_up": True, "status": "PENDING_CREATE",
                      "description": "", "router_ids": [router_id]}),
        ("firewall_policy", {"name": "fwp1", "firewall_rules": [c.uuid()],
                             "audited": False, "shared": False}),
        ("firewall_rule", {"name": "allow-ssh", "protocol": "tcp",
                           "destination_port": "22", "action": "allow",
                           "ip_version": 4, "enabled": True, "position": 1}),
        ("vpnservice", {"name": "vpn1", "router_id": router_id,
                        "subnet_id": sub_id, "admin_state_up": True,
                        "status": "PENDING_CREATE",
                        "external_v4_ip": "172.24.4.10"}),
        ("ipsecpolicy", {"name": "ipsecpolicy1", "transform_protocol": "esp",
                         "auth_algorithm": "sha1", "encapsulation_mode":
                         "tunnel", "encryption_algorithm": "aes-128",
                         "pfs": "group5",
                         "lifetime": {"units": "seconds", "value": 3600}}),
        ("ikepolicy", {"name": "ikepolicy1", "auth_algorithm": "sha1",
                       "encryption_algorithm": "aes-128",
                       "phase1_negotiation_mode": "main", "ike_version": "v1",
                       "pfs": "group5",
                       "lifetime": {"units": "seconds", "value": 3600}}),
        ("ipsec_site_connection", {"name": "conn1", "peer_address":
                                   "203.0.113.5", "peer_id": "203.0.113.5",
                                   "peer_cidrs": ["10.2.0.0/24"],
                                   "mtu": 1500, "psk": "secret",
                                   "initiator": "bi-directional",
                                   "dpd": {"action": "hold", "interval": 30,
                                           "timeout": 120},
                                   "admin_state_up": True,
                                   "status": "PENDING_CREATE"}),
        # LBaaS v1 / v2 (no Ceilometer 19 definition; mitaka plugins)
        ("pool", {"name": "pool1", "lb_method": "ROUND_ROBIN",
                  "protocol": "HTTP", "subnet_id": sub_id,
                  "status": "PENDING_CREATE", "admin_state_up": True}),
        ("vip", {"name": "vip1", "address": "10.0.0.100",
                 "protocol_port": 80, "protocol": "HTTP",
                 "connection_limit": -1, "status": "PENDING_CREATE"}),
        ("member", {"address": "10.0.0.7", "protocol_port": 80,
                    "weight": 1, "status": "PENDING_CREATE"}),
        ("health_monitor", {"type": "HTTP", "delay": 5, "timeout": 3,
                            "max_retries": 3, "http_method": "GET",
                            "url_path": "/", "expected_codes": "200"}),
        ("loadbalancer", {"name": "lb1", "vip_address": "10.0.0.101",
                          "vip_subnet_id": sub_id, "provider": "octavia",
                          "operating_status": "OFFLINE",
                          "provisioning_status": "PENDING_CREATE"}),
        ("listener", {"name": "listener1", "protocol": "HTTP",
                      "protocol_port": 80, "connection_limit": -1}),
        ("healthmonitor", {"name": "hm1", "type": "PING", "delay": 5,
                           "timeout": 3, "max_retries": 3}),
    ]
    for kind, body in services:
        body = collections.OrderedDict(body)
        body["id"] = c.uuid()
        body["tenant_id"] = pr[0]
        seed_only = kind in ("pool", "vip", "member", "health_monitor",
                             "loadbalancer", "listener", "healthmonitor")
        for phase in ("create.end", "update.end", "delete.end"):
            et = "%s.%s" % (kind, phase)
            p = ({"%s_id" % kind: body["id"]} if phase == "delete.end"
                 else {kind: copy.deepcopy(body)})
            c.add("neutron", "network.neutron-server-1", et, p, "INFO",
                  ctx(u, pr), category="seed",
                  tags=["neutron", kind] + (["lbaas"] if seed_only else []))
    # other neutron notifications
    c.add("neutron", "network.neutron-server-1", "security_group.create.end",
          {"security_group": {"id": c.uuid(), "name": "default",
                              "tenant_id": pr[0], "security_group_rules": []}},
          "INFO", ctx(u, pr), category="unmatched", tags=["neutron"])
    c.add("neutron", "dhcp_agent.network-1", "dhcp_agent.network.add",
          {"network_id": net_id}, "INFO", ctx(u, pr), category="unmatched",
          tags=["neutron"])


# ---------------------------------------------------------------------------
# Keystone (CADF)
# ---------------------------------------------------------------------------
def cadf_base(c, action, outcome, initiator, target, observer_typeuri):
    p = collections.OrderedDict()
    p["typeURI"] = "http://schemas.dmtf.org/cloud/audit/1.0/event"
    p["id"] = c.uuid()
    p["eventTime"] = cadf_time(c.clock)
    p["action"] = action
    p["eventType"] = "activity"
    p["outcome"] = outcome
    p["observer"] = collections.OrderedDict([
        ("typeURI", observer_typeuri), ("id", c.uuid())])
    p["initiator"] = initiator
    p["target"] = target
    return p


def gen_keystone(c, w):
    for outcome, extra in (("success", {}), ("failure", {}),
                           ("pending", {}), ("success", {"user": True})):
        u = w.user()
        init = collections.OrderedDict([
            ("typeURI", "service/security/account/user"),
            ("id", u[0] if outcome != "failure" else "openstack:" + c.uuid()),
            ("name", u[1]),
            ("host", collections.OrderedDict([
                ("address", "198.51.100.%d" % (1 + c.rng.randrange(250))),
                ("agent", "python-keystoneclient")])),
        ])
        if outcome == "success":
            init["project_id"] = w.project()[0]
            init["domain_id"] = "default"
        target = collections.OrderedDict([
            ("typeURI", "service/security/account/user"), ("id", c.uuid())])
        c.tick()
        p = cadf_base(c, "authenticate", outcome, init, target,
                      "service/security")
        if outcome == "failure":
            p["reason"] = {"reasonCode": "401",
                           "reasonType": "HTTP"}
        c.add("keystone", "identity.keystone-1", "identity.authenticate", p,
              "INFO", {}, category="meter", tags=["keystone", "cadf"],
              ts=c.clock)
    # CRUD (CADF and basic formats)
    for et in ("identity.user.created", "identity.user.updated",
               "identity.user.deleted", "identity.project.created",
               "identity.project.deleted", "identity.group.created",
               "identity.role.created", "identity.OS-TRUST:trust.created",
               "identity.region.created", "identity.service.created",
               "identity.endpoint.created", "identity.policy.created",
               "identity.domain.created"):
        admin = w.users[1]
        init = collections.OrderedDict([
            ("typeURI", "service/security/account/user"),
            ("id", admin[0]), ("name", "admin"),
            ("project_id", w.projects[1][0]), ("domain_id", "default"),
            ("host", {"address": "198.51.100.7", "agent": "openstacksdk"}),
        ])
        res = c.hexid()
        kind = et.split(".")[1]
        target = collections.OrderedDict([
            ("typeURI", "data/security/%s" % kind.lower()), ("id", res)])
        c.tick()
        p = cadf_base(c, "%s.%s" % (et.split(".")[2], kind), "success", init,
                      target, "service/security")
        p["resource_info"] = res
        c.add("keystone", "identity.keystone-1", et, p, "INFO", {},
              category="event" if kind != "domain" else "unmatched",
              tags=["keystone", "cadf"], ts=c.clock)
    c.add("keystone", "identity.keystone-1", "identity.user.updated",
          {"resource_info": c.hexid()}, "INFO", {}, category="event",
          tags=["keystone", "basic"])
    for inherited in (False, True):
        p = collections.OrderedDict([
            ("role", c.hexid()),
            ("user", None if inherited else w.user()[0]),
            ("project", None if inherited else w.project()[0]),
            ("domain", "default" if inherited else None),
            ("group", c.hexid() if inherited else None),
            ("inherited_to_projects", inherited),
        ])
        c.add("keystone", "identity.keystone-1",
              "identity.role_assignment.created", p, "INFO", {},
              category="event", tags=["keystone"])


# ---------------------------------------------------------------------------
# Swift (ceilometermiddleware) and HTTP audit middleware
# ---------------------------------------------------------------------------
def gen_swift(c, w):
    for action, method, measurements in (
            ("read", "GET", [("storage.objects.outgoing.bytes", "B", 28672),
                             ("storage.api.request", "request", 1)]),
            ("update", "PUT", [("storage.objects.incoming.bytes", "B", 1024),
                               ("storage.objects.outgoing.bytes", "B", 0),
                               ("storage.api.request", "request", 1)]),
            ("create", "PUT", [("storage.api.request", "request", 1)]),
            ("read", "HEAD", [])):
        u, pr = w.user(), w.project()
        account = "AUTH_" + pr[0]
        c.tick()
        p = collections.OrderedDict()
        p["typeURI"] = "http://schemas.dmtf.org/cloud/audit/1.0/event"
        p["eventTime"] = cadf_time(c.clock)
        p["target"] = collections.OrderedDict([
            ("action", action), ("typeURI", "service/storage/object"),
            ("id", account),
            ("metadata", collections.OrderedDict([
                ("path", "/v1/%s/photos/cat.jpg" % account),
                ("version", "1"), ("container", "photos"),
                ("object", "cat.jpg")])),
        ])
        p["observer"] = {"id": "target"}
        p["eventType"] = "activity"
        p["measurements"] = [collections.OrderedDict([
            ("result", r), ("metric", collections.OrderedDict([
                ("metricId", c.uuid()), ("unit", unit), ("name", n)]))])
            for n, unit, r in measurements]
        p["initiator"] = collections.OrderedDict([
            ("typeURI", "service/security/account/user"),
            ("name", u[1]), ("credential", {"token": "***", "identity_status":
                                             "Confirmed"}),
            ("host", {"agent": "python-swiftclient",
                      "address": "198.51.100.9"}),
            ("project_id", pr[0]), ("id", u[0]),
        ])
        p["reason"] = {"reasonCode": "200", "reasonType": "HTTP"}
        p["action"] = action
        p["outcome"] = "success"
        p["id"] = c.uuid()
        p["requestPath"] = "/v1/%s/photos/cat.jpg" % account
        c.add("swift", "ceilometermiddleware", "objectstore.http.request", p,
              "INFO", {}, category="meter", tags=["swift", "cadf"],
              ts=c.clock)


def gen_http_audit(c, w):
    # keystonemiddleware audit (audit.http.*) and the mitaka-era
    # http.request / http.response
    # ceilometer's own (pre-Newton) WSGI middleware: payload {"request": env}
    for et, svc in (("http.request", "nova"), ("http.response", "nova"),
                    ("http.request", "swift"), ("http.request", None)):
        u, pr = w.user(), w.project()
        env = collections.OrderedDict([
            ("REQUEST_METHOD", "GET"), ("PATH_INFO", "/v2.1/servers"),
            ("QUERY_STRING", "limit=1"), ("SERVER_NAME", "api.example"),
            ("SERVER_PORT", "8774"), ("HTTP_HOST", "api.example:8774"),
            ("HTTP_USER_AGENT", "python-novaclient"),
            ("HTTP_X_USER_ID", u[0]), ("HTTP_X_PROJECT_ID", pr[0]),
            ("HTTP_X_ROLES", "member,reader"),
        ])
        if svc:
            env["HTTP_X_SERVICE_NAME"] = svc
        p = collections.OrderedDict([("request", env)])
        if et == "http.response":
            p["response"] = {"status": "200 OK"}
        c.add("nova" if svc != "swift" else "swift", "ceilometer.middleware",
              et, p, "INFO", {}, category="seed", tags=["http", "middleware"])
    for et, pub, exch in (("audit.http.request", "nova-api", "nova"),
                          ("audit.http.response", "nova-api", "nova"),
                          ("http.request", "ceilometer.api", "nova"),
                          ("audit.http.request", "cinder-api", "cinder"),
                          ("audit.http.response", "neutron-server",
                           "neutron")):
        u, pr = w.user(), w.project()
        c.tick()
        init = collections.OrderedDict([
            ("typeURI", "service/security/account/user"),
            ("id", u[0]), ("name", u[1]), ("project_id", pr[0]),
            ("credential", {"token": "***", "identity_status": "Confirmed"}),
            ("host", {"address": "198.51.100.20", "agent":
                      "python-novaclient"}),
        ])
        target = collections.OrderedDict([
            ("typeURI", "service/compute/servers"), ("id", c.hexid()),
            ("name", "nova"), ("addresses", [
                {"url": "http://nova.example:8774/v2.1", "name": "admin"}]),
        ])
        p = cadf_base(c, "read/list", "pending" if et.endswith("request")
                      else "success", init, target, "service/compute")
        p["requestPath"] = "/v2.1/servers/detail"
        if et.endswith("response"):
            p["reason"] = {"reasonCode": "200", "reasonType": "HTTP"}
            p["reporterchain"] = [{"role": "modifier",
                                   "reporter": {"id": "target"},
                                   "reporterTime": cadf_time(c.clock)}]
        cadf_http = et == "http.request"  # HTTPRequest endpoint: KeyError
        c.add(exch, pub, et, p, "INFO", {},
              category="edge" if cadf_http else "event",
              tags=["http", "cadf"] + (["edge", "http-request-cadf"]
                                       if cadf_http else []), ts=c.clock)


# ---------------------------------------------------------------------------
# Heat, Sahara, Trove, Designate, Magnum, Aodh, Profiler, Ironic IPMI
# ---------------------------------------------------------------------------
def gen_heat(c, w):
    for trustor in (None, w.users[2][0]):
        u, pr = w.user(), w.project()
        sid = c.uuid()
        base = collections.OrderedDict([
            ("created_at", iso_z(c.past(1))), ("deleted_at", None),
            ("updated_time", None), ("description", "No description"),
            ("state", "CREATE_IN_PROGRESS"), ("state_reason",
                                              "Stack CREATE started"),
            ("stack_identity",
             "arn:openstack:heat::%s:stacks/web/%s" % (pr[0], sid)),
            ("stack_name", "web"), ("name", "web"),
            ("tenant_id", pr[0]), ("user_id", u[1]),
            ("user_identity", u[0]), ("tags", None),
        ])
        ctx = w.os_ctxt("heat", user=u, project=pr,
                        extra={"trustor_user_id": trustor})
        for et, st in (("orchestration.stack.create.start",
                        "CREATE_IN_PROGRESS"),
                       ("orchestration.stack.create.end", "CREATE_COMPLETE"),
                       ("orchestration.stack.update.start",
                        "UPDATE_IN_PROGRESS"),
                       ("orchestration.stack.update.end", "UPDATE_COMPLETE"),
                       ("orchestration.stack.suspend.end",
                        "SUSPEND_COMPLETE"),
                       ("orchestration.stack.resume.end", "RESUME_COMPLETE"),
                       ("orchestration.stack.check.end", "CHECK_COMPLETE"),
                       ("orchestration.stack.delete.start",
                        "DELETE_IN_PROGRESS"),
                       ("orchestration.stack.delete.end", "DELETE_COMPLETE")):
            p = copy.deepcopy(base)
            p["state"] = st
            c.add("heat", "orchestration.heat-engine-1", et, p, "INFO", ctx,
                  category="event", tags=["heat"])
    c.add("heat", "orchestration.heat-engine-1",
          "orchestration.autoscaling.start",
          {"stack_name": "web", "adjustment": 1, "capacity": 2,
           "adjustment_type": "change_in_capacity", "message": "Start"},
          "INFO", w.os_ctxt("heat"), category="unmatched", tags=["heat"])


def gen_sahara(c, w):
    u, pr = w.user(), w.project()
    cid = c.uuid()
    for et in ("sahara.cluster.create", "sahara.cluster.update",
               "sahara.cluster.delete"):
        c.add("sahara", "sahara", et,
              {"cluster_id": cid, "cluster_name": "hadoop", "name": "hadoop",
               "cluster_status": "Active", "project_id": pr[0]},
              "INFO", w.os_ctxt("minimal", user=u, project=pr),
              category="event", tags=["sahara"])
    c.add("sahara", "sahara", "sahara.cluster.health",
          collections.OrderedDict([
              ("cluster_id", cid), ("cluster_name", "hadoop"),
              ("name", "hadoop"), ("project_id", pr[0]),
              ("verification_id", c.uuid()), ("health_check_status", "GREEN"),
              ("health_check_name", "Basic check"),
              ("health_check_description", "All services are healthy"),
              ("created_at", iso_nova(c.past(1))),
              ("updated_at", iso_nova(c.past(0)))]),
          "INFO", w.os_ctxt("minimal", user=u, project=pr),
          category="event", tags=["sahara"])


def gen_trove(c, w):
    for n in range(2):
        u, pr = w.user(), w.project()
        launched = c.past(30)
        base = collections.OrderedDict([
            ("instance_id", c.uuid()), ("name", "mysql-%d" % n),
            ("instance_name", "mysql-%d" % n), ("display_name", "mysql-%d" % n),
            ("instance_type", "m1.small"), ("instance_type_id", "2"),
            ("launched_at", iso_z(launched)), ("state", "ACTIVE"),
            ("nova_instance_id", c.uuid()), ("service_id", "mysql"),
            ("created_at", iso_z(c.past(31))), ("region", "RegionOne"),
            ("tenant_id", pr[0]), ("user_id", u[0]),
            ("availability_zone", "nova"), ("instance_size", 2048),
            ("volume_size", 5), ("nova_volume_id", c.uuid()),
            ("datastore", "mysql"), ("datastore_version", "5.7"),
        ])
        for et in ("trove.instance.create", "trove.instance.modify_volume",
                   "trove.instance.modify_flavor", "trove.instance.exists",
                   "trove.instance.delete"):
            p = copy.deepcopy(base)
            if et == "trove.instance.modify_volume":
                p["old_volume_size"] = 5
                p["volume_size"] = 10
                p["modify_at"] = iso_z(c.clock)
            if et == "trove.instance.modify_flavor":
                p["old_instance_size"] = 2048
                p["instance_size"] = 4096
                p["modify_at"] = iso_z(c.clock)
            if et == "trove.instance.exists":
                p["audit_period_beginning"] = "2026-11-25T09:00:00Z"
                p["audit_period_ending"] = "2026-11-25T10:00:0%dZ" % n
            if et == "trove.instance.delete":
                p["deleted_at"] = iso_z(c.clock)
            c.add("trove", "trove.taskmanager-1", et, p, "INFO",
                  w.os_ctxt("minimal", user=u, project=pr),
                  category="meter" if et.endswith("exists") else "event",
                  tags=["trove"])
        c.add("trove", "trove.taskmanager-1", "trove.instance.restart",
              copy.deepcopy(base), "INFO",
              w.os_ctxt("minimal", user=u, project=pr), category="event",
              tags=["trove"])


def gen_designate(c, w):
    for n in range(2):
        u, pr = w.user(), w.project()
        base = collections.OrderedDict([
            ("id", c.uuid()), ("pool_id", c.uuid()),
            ("project_id", pr[0]), ("tenant_id", pr[0]),
            ("name", "example%d.org." % n), ("email", "hostmaster@example.org"),
            ("ttl", 3600), ("refresh", 3574), ("retry", 600),
            ("expire", 86400), ("minimum", 3600), ("parent_domain_id", None),
            ("serial", 1795600000 + n), ("status", "PENDING"),
            ("action", "CREATE"), ("version", 1),
            ("created_at", iso_nova(c.past(2))),
            ("updated_at", iso_nova(c.past(1)) if n else None),
            ("description", "Zone für Tests" if n else None),
            ("type", "PRIMARY"), ("masters", []),
            ("attributes", {}), ("transferred_at", None),
        ])
        ctx = w.os_ctxt("designate", user=u, project=pr)
        for et in ("dns.domain.create", "dns.domain.update",
                   "dns.domain.exists", "dns.domain.delete",
                   "dns.zone.create"):
            p = copy.deepcopy(base)
            if et == "dns.domain.update":
                p.update(status="ACTIVE", action="NONE", version=2,
                         updated_at=iso_nova(c.clock))
            if et == "dns.domain.exists":
                p["audit_period_beginning"] = "2026-11-25T09:00:00.000000"
                p["audit_period_ending"] = "2026-11-25T10:00:00.%06d" % (n * 5)
            c.add("designate", "central.designate-1", et, p, "INFO", ctx,
                  category="meter" if et.endswith("exists") else "event",
                  tags=["designate"])


def gen_magnum(c, w):
    u, pr = w.user(), w.project()
    for n, metrics in enumerate((
            [("memory.usage", "B", 1073741824), ("cpu.usage", "ns", 5.5e9),
             ("network.incoming.bytes", "B", 10)],
            [("memory.usage", "B", 2147483648)], [])):
        p = collections.OrderedDict([
            ("user_id", u[0]), ("project_id", pr[0]),
            ("resource_id", c.uuid()),
            ("metrics", [collections.OrderedDict(
                [("name", m), ("unit", un), ("value", v)])
                for m, un, v in metrics]),
        ])
        c.add("magnum", "magnum.conductor-1", "magnum.bay.metrics.update", p,
              "INFO", {}, category="meter", tags=["magnum"])
    for et in ("magnum.cluster.create", "magnum.cluster.update",
               "magnum.cluster.delete"):
        init = collections.OrderedDict([
            ("typeURI", "service/security/account/user"), ("id", u[0]),
            ("name", u[1]), ("project_id", pr[0]),
            ("host", {"address": "198.51.100.30", "agent": "openstacksdk"})])
        target = collections.OrderedDict([
            ("typeURI", "service/magnum/cluster"), ("id", c.uuid())])
        c.tick()
        p = cadf_base(c, et.split(".")[-1], "success", init, target,
                      "service/magnum/cluster")
        c.add("magnum", "magnum.conductor-1", et, p, "INFO",
              w.os_ctxt("minimal", user=u, project=pr), category="event",
              tags=["magnum", "cadf"], ts=c.clock)


def gen_aodh(c, w):
    u, pr = w.user(), w.project()
    aid = c.uuid()
    for typ in ("creation", "rule_change", "state_transition", "deletion"):
        p = collections.OrderedDict([
            ("alarm_id", aid), ("user_id", u[0]), ("project_id", pr[0]),
            ("on_behalf_of", pr[0]), ("severity", "low"),
            ("detail", collections.OrderedDict([
                ("state", "alarm"), ("state_reason", "Transition to alarm"),
                ("threshold", 80.0), ("rule", {"meter_name": "cpu_util"})])),
            ("type", typ), ("timestamp", iso_nova(c.clock)),
        ])
        c.add("aodh", "aodh.api", "alarm.%s" % typ, p, "INFO",
              w.os_ctxt("minimal", user=u, project=pr), category="event",
              tags=["aodh"])


def gen_profiler(c, w):
    base_id, trace = c.uuid(), c.uuid()
    for svc, name, info in (
            ("api", "wsgi-start",
             {"host": "nova-api-1", "request": {
                 "path": "/v2.1/servers", "query": "limit=10",
                 "method": "GET", "scheme": "http"}}),
            ("conductor", "db-start",
             {"host": "nova-conductor-1", "db": {
                 "statement": "SELECT instances.id FROM instances WHERE "
                              "instances.uuid = %(uuid_1)s",
                 "params": {"uuid_1": c.uuid()}}})):
        c.tick()
        p = collections.OrderedDict([
            ("project", "nova"), ("service", svc), ("name", name),
            ("base_id", base_id), ("trace_id", c.uuid()),
            ("parent_id", trace),
            ("timestamp", iso_nova(c.clock)), ("info", info),
        ])
        c.add("nova", "profiler.nova-api-1", "profiler.nova", p, "INFO", {},
              category="event", tags=["profiler"], ts=c.clock)


def gen_ipmi(c, w):
    node = c.uuid()
    sensors = collections.OrderedDict([
        ("Temperature", collections.OrderedDict([
            ("Temp (0x1)", collections.OrderedDict([
                ("Status", "ok"), ("Deassertions Enabled", "unc+ ucr+ unr+"),
                ("Sensor Reading", "31 (+/- 0) degrees C"),
                ("Entity ID", "3.1 (Processor)"),
                ("Assertions Enabled", "unc+ ucr+ unr+"),
                ("Positive Hysteresis", "4.000"), ("Assertion Events", ""),
                ("Upper non-critical", "93.000"), ("Sensor ID", "Temp (0x1)"),
                ("Normal Maximum", "89.000"), ("Upper critical", "97.000"),
                ("Sensor Type (Analog)", "Temperature"),
                ("Upper non-recoverable", "105.000"),
                ("Negative Hysteresis", "4.000")]))])),
        ("Current", collections.OrderedDict([
            ("Avg Power (0x2e)", collections.OrderedDict([
                ("Status", "ok"), ("Sensor Reading", "130 (+/- 0) Watts"),
                ("Entity ID", "21.0 (Power Management)"),
                ("Assertions Enabled", ""), ("Event Message Control",
                                             "Per-threshold"),
                ("Readable Thresholds", "No Thresholds"),
                ("Positive Hysteresis", "Unspecified"),
                ("Sensor Type (Analog)", "Current"),
                ("Negative Hysteresis", "Unspecified"),
                ("Maximum sensor range", "Unspecified"),
                ("Sensor ID", "Avg Power (0x2e)"),
                ("Assertion Events", ""), ("Minimum sensor range", "2550.000"),
                ("Settable Thresholds", "No Thresholds")]))])),
        ("Fan", collections.OrderedDict([
            ("Fan 4A Tach (0x46)", collections.OrderedDict([
                ("Status", "ok"), ("Sensor Reading", "6900 (+/- 0) RPM"),
                ("Entity ID", "29.4 (Fan Device)"),
                ("Sensor ID", "Fan 4A Tach (0x46)"),
                ("Sensor Type (Analog)", "Fan"),
                ("Lower critical", "1920.000")]))])),
        ("Voltage", collections.OrderedDict([
            ("Planar 3.3V (0x18)", collections.OrderedDict([
                ("Status", "ok"), ("Sensor Reading", "3.137 (+/- 0) Volts"),
                ("Entity ID", "7.1 (System Board)"),
                ("Sensor ID", "Planar 3.3V (0x18)"),
                ("Sensor Type (Analog)", "Voltage"),
                ("Lower critical", "2.970")]))])),
    ])
    def ipmi(sensors, node, tags):
        # ironic's payload timestamp (str(datetime)) is the samples'
        # timestamp: keep it distinct from every notification timestamp.
        ts = c.tick()
        pts = ts - datetime.timedelta(milliseconds=c.rng.randrange(1, 900))
        c.seen_ts.add(pts)
        p = collections.OrderedDict([
            ("message_id", c.uuid()), ("instance_uuid", c.uuid()),
            ("node_uuid", node), ("timestamp", str(pts)),
            ("event_type", "hardware.ipmi.metrics"), ("payload", sensors),
        ])
        c.add("ironic", "ironic.conductor-1", "hardware.ipmi.metrics.update",
              p, "INFO", {}, category="seed", tags=["ipmi"] + tags, ts=ts)

    ipmi(sensors, node, [])
    # a second node: a Disabled reading, an unparsable one, a sensor without
    # 'Sensor ID', two temperature sensors, no Fan section at all
    ipmi(collections.OrderedDict([
        ("Temperature", collections.OrderedDict([
            ("Inlet Temp (0x5)", {"Sensor ID": "Inlet Temp (0x5)",
                                  "Sensor Reading": "22 (+/- 1) degrees C",
                                  "Status": "ok"}),
            ("Exhaust Temp (0x6)", {"Sensor ID": "Exhaust Temp (0x6)",
                                    "Sensor Reading": "Disabled",
                                    "Status": "ns"}),
        ])),
        ("Current", collections.OrderedDict([
            ("Current 1 (0x6a)", {"Sensor ID": "Current 1 (0x6a)",
                                  "Sensor Reading": "0.600 (+/- 0) Amps",
                                  "Status": "ok"}),
            ("Pwr Consumption (0x77)", {"Sensor ID": "Pwr Consumption (0x77)",
                                        "Sensor Reading": "garbage",
                                        "Status": "ok"}),
        ])),
        ("Voltage", collections.OrderedDict([
            ("Voltage 1 (0x6c)", {"Sensor Reading": "230 (+/- 0) Volts",
                                  "Status": "ok"}),
        ])),
    ]), c.uuid(), ["ipmi-invalid"])
    # an ironic versioned notification no definition knows
    c.add("ironic", "ironic.conductor-1", "baremetal.node.power_set.end",
          {"ironic_object.name": "NodeSetPowerStatePayload",
           "ironic_object.namespace": "ironic",
           "ironic_object.version": "1.0",
           "ironic_object.data": {"uuid": node, "power_state": "power on",
                                  "to_power": "power off",
                                  "provision_state": "active"}},
          "INFO", w.os_ctxt("minimal"), category="unmatched", tags=["ironic"])
    c.add("nova", "scheduler.sched-1", "scheduler.run_instance.scheduled",
          {"request_spec": {"instance_properties": {"memory_mb": 512}},
           "weighted_host": {"host": "compute-1", "weight": 1.0},
           "instance_id": c.uuid()},
          "INFO", w.os_ctxt("nova"), category="seed",
          tags=["nova", "instance_scheduled"])


# ---------------------------------------------------------------------------
# telemetry.polling: samples relayed by polling agents
# ---------------------------------------------------------------------------
def gen_polling(c, w):
    from ceilometer.publisher import utils as putils
    from ceilometer import sample as csample

    inst = Instance(w, metadata={"metering.stack": "s1"})
    fid, fname, mem, vcpus, root, eph = inst.flavor
    inst_meta = collections.OrderedDict([
        ("display_name", inst.name), ("name", "instance-0000001a"),
        ("instance_id", inst.id), ("instance_type", fname),
        ("host", c.hexid()[:56]), ("instance_host", inst.host),
        ("flavor", collections.OrderedDict([
            ("id", fid), ("name", fname), ("vcpus", vcpus), ("ram", mem),
            ("disk", root), ("ephemeral", eph), ("swap", 0)])),
        ("status", "active"), ("state", "running"), ("task_state", ""),
        ("image", {"id": inst.image}), ("image_ref", inst.image),
        ("image_ref_url", None), ("architecture", "x86_64"),
        ("os_type", "hvm"), ("vcpus", vcpus), ("memory_mb", mem),
        ("disk_gb", root + eph), ("ephemeral_gb", eph), ("root_gb", root),
        ("user_metadata", {"stack": "s1"}),
    ])

    def mk(name, typ, unit, vol, res, meta, mono=None, user=True,
           source=None):
        s = csample.Sample(
            name=name, type=typ, unit=unit, volume=vol,
            user_id=inst.user[0] if user else None,
            project_id=inst.project[0] if user else None,
            resource_id=res, resource_metadata=meta, source=source,
            id=c.uuid(), monotonic_time=mono)
        return s

    batches = []
    # compute agent batch: cpu, memory, vcpus, disk, network
    batches.append([
        mk("cpu", "cumulative", "ns", 1234567890000, inst.id,
           dict(inst_meta, cpu_number=vcpus), mono=12345.678901),
        mk("memory.usage", "gauge", "MB", 1024.5, inst.id, inst_meta),
        mk("vcpus", "gauge", "vcpu", vcpus, inst.id, inst_meta),
        mk("disk.device.read.bytes", "cumulative", "B", 987654321,
           inst.id + "-vda", dict(inst_meta, disk_name="vda")),
        mk("network.incoming.bytes", "cumulative", "B", 2 ** 40,
           "instance-0000001a-%s-tap1234abcd-12" % inst.id,
           collections.OrderedDict([
               ("name", "tap1234abcd-12"), ("mac", inst.mac),
               ("fref", None),
               ("parameters", {"interfaceid": None, "bridge": None}),
               ("vnic_name", "tap1234abcd-12"), ("instance_id", inst.id),
               ("instance_type", fname)])),
        mk("power.state", "gauge", "state", 1, inst.id, inst_meta),
    ])
    # central agent: glance image size, volume size, floating ip
    batches.append([
        mk("image.size", "gauge", "B", 16338944, c.choice(w.images),
           collections.OrderedDict([
               ("name", "cirros"), ("container_format", "bare"),
               ("disk_format", "qcow2"), ("size", 16338944),
               ("tags", ["a", "b"]), ("properties", {"os_distro": "cirros"}),
               ("min_disk", 0), ("protected", False)])),
        mk("volume.size", "gauge", "GB", 10, c.uuid(),
           {"display_name": "data", "status": "in-use", "bootable": "false",
            "attachments": [{"server_id": inst.id, "device": "/dev/vdb"}],
            "volume_type": "lvmdriver-1"}),
        mk("ip.floating", "gauge", "ip", 1, c.uuid(),
           {"fixed_ip_address": None, "status": "DOWN"}),
        mk("radosgw.objects.size", "gauge", "B", 0.0, pr_id(w), {},
           source="openstack"),
    ])
    # hardware (SNMP) samples: no user/project, float volumes
    batches.append([
        mk("hardware.cpu.load.1min", "gauge", "process", 0.1, "10.0.0.1",
           {"resource_url": "snmp://10.0.0.1"}, user=False),
        mk("hardware.memory.used", "gauge", "KB", 1e+20, "10.0.0.1",
           {"resource_url": "snmp://10.0.0.1"}, user=False),
        mk("hardware.ipmi.temperature", "gauge", "C", 31.0,
           "node-1-temp_(0x1)", {"node": "node-1", "Sensor ID": "Temp (0x1)"},
           user=False, source="hardware"),
        mk("hardware.cpu.util", "gauge", "%", -0.0, "10.0.0.2", {},
           user=False),
        mk("hardware.disk.size.used", "gauge", "KB", 1e-05, "10.0.0.2",
           {"device": "/dev/sda1", "nested": {"a": [1, 2.5, "x"]}},
           user=False),
    ])
    # a single-sample batch (batch_size 0 relays one sample per notification)
    batches.append([mk("cpu", "cumulative", "ns", 0, inst.id, inst_meta,
                       mono=0.5)])
    for batch in batches:
        ts = c.tick()
        ptime = (ts - datetime.timedelta(milliseconds=c.rng.randrange(1, 800)))
        c.seen_ts.add(ptime)
        samples = []
        for s in batch:
            s.set_timestamp(ptime.isoformat())
            samples.append(putils.meter_message_from_counter(
                s, POLLING_SECRET))
        c.add("ceilometer", "ceilometer.polling", "telemetry.polling",
              {"samples": samples}, "SAMPLE", {}, category="polling",
              tags=["polling"], ts=ts)
    # telemetry.polling at INFO priority: SampleEndpoint.info also handles it
    ts = c.tick()
    s = mk("memory.usage", "gauge", "MB", 300, inst.id, inst_meta)
    ptime = ts - datetime.timedelta(milliseconds=7)
    c.seen_ts.add(ptime)
    s.set_timestamp(ptime.isoformat())
    c.add("ceilometer", "ceilometer.polling", "telemetry.polling",
          {"samples": [putils.meter_message_from_counter(s, POLLING_SECRET)]},
          "INFO", {}, category="polling", tags=["polling", "info-priority"],
          ts=ts)


def pr_id(w):
    return w.projects[4][0]


# ---------------------------------------------------------------------------
# Priorities: the same notification at every priority
# ---------------------------------------------------------------------------
def gen_priorities(c, w):
    inst = Instance(w)
    for prio in PRIORITIES:
        p = inst.payload("active", "", "compute.instance.exists",
                         exists_period=("2026-11-25T09:00:00.000000",
                                        "2026-11-25T10:00:00.000000"))
        c.add("nova", "compute.%s" % inst.host, "compute.instance.exists", p,
              prio, w.os_ctxt("nova", user=inst.user, project=inst.project),
              category="priority", tags=["priority", prio.lower()])
    for prio in PRIORITIES:
        img = glance_image(c, w, size=1000 + len(prio))
        c.add("glance", "image.localhost", "image.upload", img, prio,
              w.os_ctxt("minimal"), category="priority",
              tags=["priority", prio.lower()])
    for prio in PRIORITIES:
        c.add("neutron", "network.neutron-server-1", "network.create.end",
              {"network": {"id": c.uuid(), "name": "net-" + prio.lower(),
                           "tenant_id": w.project()[0]}}, prio,
              w.os_ctxt("neutron"), category="priority",
              tags=["priority", prio.lower()])


# ---------------------------------------------------------------------------
# Unmatched types from services Ceilometer does not know, regex traps
# ---------------------------------------------------------------------------
def gen_misc(c, w):
    u, pr = w.user(), w.project()
    for exch, pub, et, payload in (
            ("octavia", "octavia.api-1", "octavia.loadbalancer.create.end",
             {"loadbalancer": {"id": c.uuid(), "name": "lb",
                               "project_id": pr[0]}}),
            ("zaqar", "zaqar.queues", "zaqar.queue.create",
             {"queue_name": "jobs", "project_id": pr[0]}),
            ("barbican", "barbican.api", "secret.create",
             {"secret_id": c.uuid(), "project_id": pr[0]}),
            ("nova", "compute.compute-1", "totally.unknown.event",
             {"tenant_id": pr[0], "user_id": u[0], "anything": [1, 2, 3]}),
            ("nova", "compute.compute-1", "list.payload", [1, "two", None]),
            ("nova", "compute.compute-1", "string.payload", "just a string"),
            ("nova", "compute.compute-1", "null.payload", None),
            # prefix-match regex traps of meters.yaml (re.match, '.' = any)
            ("glance", "image.localhost", "image.upload.extra",
             glance_image(c, w, size=77)),
            ("glance", "image.localhost", "imageXupload",
             glance_image(c, w, size=78)),
            ("cinder", "volume.cinder-volume-1", "volume.create",
             cinder_volume(c, w, 3, "available")),
            ("neutron", "metering.network-1", "l3-meter",
             {"label_id": c.uuid(), "tenant_id": pr[0], "bytes": 5}),
            ("keystone", "identity.keystone-1", "identity.authenticate.x",
             {"outcome": "success", "initiator": {"id": u[0]}}),
            ("swift", "ceilometermiddleware", "objectstore.http.request.v2",
             {"measurements": [], "target": {"id": "AUTH_x"},
              "initiator": {"id": u[0], "project_id": pr[0]}}),
    ):
        cat = "regex" if et in (
            "image.upload.extra", "imageXupload", "volume.create", "l3-meter",
            "identity.authenticate.x",
            "objectstore.http.request.v2") else "unmatched"
        c.add(exch, pub, et, payload, "INFO",
              w.os_ctxt("minimal", user=u, project=pr), category=cat,
              tags=["misc"])


# ---------------------------------------------------------------------------
# Edge values (still well-formed notifications)
# ---------------------------------------------------------------------------
def gen_edges(c, w):
    def inst_payload(**over):
        inst = Instance(w)
        p = inst.payload("active", "", "compute.instance.exists",
                         exists_period=("2026-11-25T09:00:00.000000",
                                        "2026-11-25T10:00:00.000000"))
        p.update(over)
        return inst, p

    cases = [
        ("volume-numeric-string", dict(memory_mb="2048", vcpus="2")),
        ("volume-not-a-number", dict(memory_mb="lots")),      # also int trait
        ("volume-null", dict(memory_mb=None, vcpus=None)),
        ("volume-huge-int", dict(memory_mb=2 ** 70, root_gb=-5)),
        ("volume-float", dict(memory_mb=0.1, vcpus=1.0, root_gb=1e+20,
                              ephemeral_gb=1e-05)),
        ("volume-bool", dict(vcpus=True)),
        ("volume-object", dict(vcpus={"count": 2})),          # aborts all
        ("unicode", dict(display_name="Ünïcødé ☃ 日本 \U0001F600",
                         host="höst-1")),
        ("empty-dates", dict(launched_at="", deleted_at="", created_at="")),
        ("bad-date-trait", dict(launched_at="yesterday")),
        ("trait-long-text", dict(display_name="é" * 300)),
        ("nested-metadata", dict(metadata={
            "metering.list": ["a", "b"], "metering.num": 5,
            "metering.nested": {"k": "v"}, "plain": "x"})),
        ("nulls", dict(user_id=None, tenant_id=None, instance_id=None)),
    ]
    for tag, over in cases:
        inst, p = inst_payload(**over)
        c.add("nova", "compute.%s" % p["host"], "compute.instance.exists",
              p, "INFO", w.os_ctxt("nova", user=inst.user,
                                   project=inst.project),
              category="edge", tags=["edge", tag])
    # missing payload fields used for resource_id / fallback ids from ctxt
    img = glance_image(c, w, size=99)
    del img["owner"]
    c.add("glance", "image.localhost", "image.upload", img, "INFO",
          w.os_ctxt("minimal"), category="edge", tags=["edge", "ctxt-fallback"])
    # timedelta plugin: only one field present -> no volume
    inst, p = inst_payload()
    p["launched_at"] = ""
    c.add("nova", "compute.%s" % p["host"], "compute.instance.create.end", p,
          "INFO", w.os_ctxt("nova", user=inst.user, project=inst.project),
          category="edge", tags=["edge", "timedelta-missing"])
    # the 'user' context key (old style) as the fallback user id
    c.add("neutron", "metering.network-1", "l3.meter",
          {"label_id": c.uuid(), "bytes": 42, "tenant_id": None},
          "INFO", {"user": "legacy-user", "tenant": "legacy-tenant",
                   "project_id": "ctx-project"},
          category="edge", tags=["edge", "ctxt-user"])
    # priority in lower case in the body (dispatched by the body's priority)
    c.add("glance", "image.localhost", "image.update",
          glance_image(c, w, size=5), "info", w.os_ctxt("minimal"),
          category="edge", tags=["edge", "lowercase-priority"])
    # int trait from a float / text trait from bool and dict
    c.add("manila", "share.manila-share-1", "share.create.end",
          collections.OrderedDict([
              ("share_id", c.uuid()), ("user_id", "u"), ("project_id", "p"),
              ("tenant_id", "p"), ("size", 7.9), ("is_public", False),
              ("description", {"nested": ["x", 1.5]}), ("name", None),
              ("status", "available")]),
          "INFO", {}, category="edge", tags=["edge", "trait-conversion"])


def build():
    c = Corpus()
    w = World(c)
    gen_nova(c, w)
    gen_glance(c, w)
    gen_cinder(c, w)
    gen_manila(c, w)
    gen_neutron(c, w)
    gen_keystone(c, w)
    gen_swift(c, w)
    gen_http_audit(c, w)
    gen_heat(c, w)
    gen_sahara(c, w)
    gen_trove(c, w)
    gen_designate(c, w)
    gen_magnum(c, w)
    gen_aodh(c, w)
    gen_profiler(c, w)
    gen_ipmi(c, w)
    gen_polling(c, w)
    gen_priorities(c, w)
    gen_misc(c, w)
    gen_edges(c, w)
    ts = [i["notification"]["timestamp"] for i in c.items]
    assert len(ts) == len(set(ts)), "duplicate notification timestamps"
    return c.items


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=DEFAULT_OUT)
    args = ap.parse_args()
    items = build()
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        for it in items:
            f.write(json.dumps(it, ensure_ascii=False) + "\n")
    cats = collections.Counter(i["category"] for i in items)
    print("wrote %d notifications to %s (%s)" % (
        len(items), args.out, ", ".join(
            "%s=%d" % kv for kv in sorted(cats.items()))), file=sys.stderr)


if __name__ == "__main__":
    main()
