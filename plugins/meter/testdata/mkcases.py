#!/usr/bin/python3
"""Builds the golden cases in cases/ from the compatibility corpus
(../../../testdata/compat/notifications.jsonl) and hand-made variations.
Run gen_expected.py afterwards."""
import json, os, copy
HERE = os.path.dirname(os.path.abspath(__file__))
os.chdir(HERE)
corpus = [json.loads(l) for l in open(os.path.join(HERE, '..', '..', '..', 'testdata', 'compat', 'notifications.jsonl'))]
def first(et, tag=None, prio=None):
    for d in corpus:
        n = d['notification']
        if n['event_type'] == et and (tag is None or tag in d['tags']) and (prio is None or n['priority'] == prio):
            return copy.deepcopy(n)
    raise KeyError(et)
def case(name, n, meters=None, settings=None, readme=None):
    os.makedirs('cases/'+name, exist_ok=True)
    with open('cases/%s/notification.json' % name, 'w') as f:
        json.dump(n, f, indent=1); f.write('\n')
    if meters:
        open('cases/%s/meters.yaml' % name, 'w').write(meters)
    if settings:
        with open('cases/%s/settings.json' % name, 'w') as f:
            json.dump(settings, f, indent=1); f.write('\n')
    if readme:
        open('cases/%s/README.md' % name, 'w').write(readme)

ex = first('compute.instance.exists', prio='INFO')
case('nova-instance-exists', ex)
n = first('compute.instance.update'); case('regex-lookahead-update', n)
n = first('compute.instance.create.start'); case('regex-lookahead-create-start', n)
n = copy.deepcopy(ex); n['event_type'] = 'compute.instance.Xcreate.start'; case('regex-lookahead-near-miss', n)
n = copy.deepcopy(ex); n['event_type'] = 'compute.instance.create_start'; case('regex-lookahead-create-underscore', n)
up = first('image.upload')
n = copy.deepcopy(up); n['event_type'] = 'image.upload.extra'; case('regex-prefix-match', n)
n = copy.deepcopy(up); n['event_type'] = 'imageXupload'; case('regex-dot-any-char', n)
case('payload-as-metadata', copy.deepcopy(up))
n = copy.deepcopy(up); n['payload'] = ["not", "a", "dict"]; case('payload-not-a-dict', n)
case('identity-authenticate-quirk', first('identity.authenticate'))
case('lookup-magnum', first('magnum.bay.metrics.update'))
case('lookup-swift', first('objectstore.http.request'))
n = first('magnum.bay.metrics.update'); del n['payload']['metrics'][-1]['unit']
case('lookup-count-mismatch', n, readme="One metric lacks its unit: Ceilometer logs 'Only N fetched meters contain \"unit\" field' and yields no sample; we do the same and report an error.\n")
n = first('magnum.bay.metrics.update'); n['payload']['metrics'] = []
case('lookup-no-metrics', n)
case('timedelta-booting-time', first('compute.instance.create.end'))
case('timedelta-dns', first('dns.domain.exists'))
n = first('compute.instance.create.end'); n['payload']['launched_at'] = ''
case('timedelta-unparsable', n)
cm = first('compute.metrics.update')
case('compute-metrics', cm)
n = copy.deepcopy(cm); n['payload']['metrics'][0]['timestamp'] = 'not a date'
case('payload-timestamp-bad', n, readme="One metric's timestamp does not parse: Ceilometer's from_notification raises and every sample of the notification is lost. We lose only the sample of that definition (expected.json, expected.err).\n")
for i, ts in enumerate(['2026-11-25T10:00:00Z', '2026-11-25 10:00:00', '2026-11-25T10:00:00.1234567+02:00', '2026-11-25T10:00:00,5-05:30', '20261125T100000', '2026-11-25', '2026', '2026-11-25T10:00:00.000000+00:00', '2026-11-25T10']):
    n = copy.deepcopy(first('l3.meter')); n['timestamp'] = ts
    case('timestamp-form-%d' % i, n)
n = copy.deepcopy(first('l3.meter')); n['timestamp'] = '25/11/2026'
case('timestamp-unparsable', n, readme="The notification timestamp does not parse: Ceilometer raises and publishes nothing; every sample depends on it, so we publish nothing either, with an error.\n")
n = copy.deepcopy(first('l3.meter')); n['timestamp'] = '2026-02-30 10:00:00'
case('timestamp-invalid-date', n, readme="February 30th: Ceilometer raises; no sample, with an error.\n")
n = copy.deepcopy(ex); n['payload']['metadata'] = {"metering.a.b": "x" * 20, "metering.host": "shadowed", "team": "t1", "other": "o", "metering.n": 5}
case('user-metadata-settings', n, settings={"reserved_metadata_namespace": ["metering.", "custom."], "reserved_metadata_length": 8, "reserved_metadata_keys": ["team"], "sample_source": "region-2"})
n = copy.deepcopy(ex); n['payload']['metadata'] = {"metering.a": "\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9"}
case('user-metadata-negative-length', n, settings={"reserved_metadata_length": -3})
n = copy.deepcopy(ex); n['payload']['metadata'] = ["metering.a"]
case('user-metadata-not-a-dict', n, readme="payload.metadata is a list: Ceilometer raises AttributeError and loses every sample. The four instance definitions that read user_metadata are lost (with an error); nothing else matches.\n")
n = copy.deepcopy(ex); n['payload']['metadata'] = {}
case('user-metadata-empty', n)
case('relay-polling', first('telemetry.polling', prio='SAMPLE'))
n = first('telemetry.polling', prio='SAMPLE'); del n['payload']['samples'][0]['source']
case('relay-missing-key', n, readme="The first relayed sample lacks 'source': Ceilometer raises KeyError and loses all; we drop that sample only.\n")
n = first('telemetry.polling', prio='SAMPLE'); n['event_type'] = 'telemetry.polling.v2'
case('relay-prefix-event-type', n)
n = copy.deepcopy(ex); n['payload']['memory_mb'] = None; n['payload']['vcpus'] = "4"; n['payload']['root_gb'] = 2**70; n['payload']['ephemeral_gb'] = 1.0
case('volume-json-types', n)
n = copy.deepcopy(ex); n['payload']['display_name'] = ''; n['payload']['host'] = 0; n['payload']['launched_at'] = False; n['payload']['created_at'] = []; n['payload']['deleted_at'] = {}
n['payload']['instance_type'] = 0.0; n['payload']['image_meta'] = {"base_image_ref": None}
case('metadata-falsy-values', n)
n = copy.deepcopy(ex)
for k in ['host','instance_flavor_id','instance_type','display_name','image_meta','launched_at','created_at','deleted_at','metadata']:
    n['payload'].pop(k, None)
case('metadata-all-missing', n)

custom = r'''---
metric:
  - name: 'custom.split'
    event_type: 'custom.event'
    type: 'gauge'
    unit: 'B'
    volume: 3
    resource_id:
      fields: $.payload.host
      plugin:
        name: split
        parameters:
          separator: '@'
          segment: 1
    metadata:
      first_part:
        fields: $.payload.host
        plugin: {name: split, parameters: {separator: '@', segment: 0}}
      flags:
        fields: [$.payload.a, $.payload.b]
        plugin:
          name: bitfield
          parameters:
            initial_bitfield: 16
            flags:
              - path: payload.a
                bit: 0
              - path: payload.b
                bit: 2
                value: 1
              - path: payload.c
                bit: 3
      constant: 42
      publisher: $.publisher_id
      msgid: $.metadata.message_id
      ctx_user: $.ctxt.user
      request: $.ctxt.request_id
  - name: 'custom.literal.fallbacks'
    event_type: ['nothing', 'custom\.ev.n[t]']
    type: 'delta'
    unit: $.payload.missing_unit
    volume: $.payload.count
    resource_id: $.payload.id
    project_id: $.payload.project
    user_id: $.payload.user
  - name: $.payload.kind
    event_type: 'custom.event'
    type: 'cumulative'
    unit: payload
    volume: $.payload.count
    resource_id: $.payload.id
  - name: 'custom.lookup.type'
    event_type: 'custom.event'
    type: $.payload.items[*].type
    unit: 'x'
    volume: $.payload.items[*].v
    resource_id: $.payload.items[*].id
    lookup: ['type', 'volume', 'resource_id']
  - name: $.payload.items[*].name
    event_type: 'custom.event'
    type: $.payload.items[*].type
    unit: 'x'
    volume: $.payload.items[*].v
    resource_id: $.payload.items[*].id
    user_id: $.payload.items[0].id
    lookup: ['type', 'volume', 'resource_id']
  - name: 'custom.timestamp'
    event_type: 'custom.event'
    type: 'gauge'
    unit: 's'
    volume: $.payload.count
    resource_id: $.payload.id
    timestamp: $.payload.when
'''
c = {"message_id": "5a2f3b1c-0d7e-4c61-9f7a-2e3d4c5b6a70", "publisher_id": "custom.host-1", "event_type": "custom.event",
     "priority": "INFO", "payload": {"host": "node-1@backend#pool", "a": "x", "b": 1.0, "count": 7, "id": "res-1",
     "project": "p1", "user": "u1", "kind": "custom.kind",
     "items": [{"name": "item.a", "type": "gauge", "v": 1, "id": "i1"}, {"name": "item.b", "type": "delta", "v": 2.5, "id": "i2"}],
     "when": "2026-11-25T09:00:00.5+01:00"},
     "timestamp": "2026-11-25 10:00:00.123456", "_unique_id": "0f4e3d2c1b0a49d8a7b6c5d4e3f2a1b0",
     "_context_user": "ctx-user", "_context_request_id": "req-1", "_context_user_id": "ctx-user-id", "_context_project_id": "ctx-proj"}
case('custom-definitions', c, meters=custom)
c2 = copy.deepcopy(c); c2['event_type'] = 'custom.event'; c2['payload']['when'] = 12345; c2['payload']['kind'] = 5
case('custom-bad-values', c2, meters=custom, readme="payload.when is a number (its definition's timestamp cannot parse) and payload.kind, used as a name, is a number. Ceilometer raises on the timestamp and loses every sample; we lose the custom.timestamp sample and the sample whose name is not a string, and keep the others.\n")
evalerr = r'''---
metric:
  - name: 'eval.error'
    event_type: 'custom.event'
    type: 'gauge'
    unit: 'B'
    volume: $.payload.count[0]
    resource_id: $.payload.id
  - name: 'eval.ok'
    event_type: 'custom.event'
    type: 'gauge'
    unit: 'B'
    volume: $.payload.count
    resource_id: $.payload.id
'''
case('jsonpath-eval-error', copy.deepcopy(c), meters=evalerr, readme="Indexing a number raises in jsonpath-rw: Ceilometer loses every sample of the notification; we lose only the eval.error definition's.\n")
