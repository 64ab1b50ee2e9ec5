#!/usr/bin/python3
"""Generate golden.json by running Ceilometer mitaka's own transformers.

The transformer modules are read from a checkout of openstack/ceilometer at
tag mitaka-eol (ceilometer/transformer/{__init__,conversions,accumulator,
arithmetic}.py); ceilometer.sample and ceilometer.i18n are replaced by the
small shims below (mitaka's Sample minus oslo.config). Needs python3 with
six, PyYAML and oslo.utils / oslo.log (Debian: python3-oslo.utils,
python3-oslo.log):

    ./gen_golden.py /path/to/ceilometer.git > golden.json

Each case builds one transformer from `parameters` (YAML text, loaded with
yaml.safe_load as mitaka's pipeline loader does) and replays `steps`:
"samples" calls handle_sample on each sample in turn, as SampleSink does,
"flush" calls flush() (with utcnow() overridden by "now" when given). A
sample whose handle_sample raises is dropped, as SampleSink does; None
results of flush() are dropped as _publish_samples does. Each step records
the samples it returned; "id" is the id of the input sample it came from,
or "new" for a sample the transformer created.
"""
import copy
import datetime
import importlib
import json
import os
import subprocess
import sys
import tempfile
import types
import uuid

import yaml
from oslo_utils import timeutils

REPO = sys.argv[1] if len(sys.argv) > 1 else '/work/.mirror/openstack+ceilometer/repo'
TAG = 'mitaka-eol'
FILES = ['__init__.py', 'conversions.py', 'accumulator.py', 'arithmetic.py']


def load_mitaka():
    tmp = tempfile.mkdtemp()
    pkg = os.path.join(tmp, 'ceilometer')
    os.makedirs(os.path.join(pkg, 'transformer'))
    for f in FILES:
        src = subprocess.check_output(
            ['git', '-C', REPO, 'show', '%s:ceilometer/transformer/%s' % (TAG, f)])
        with open(os.path.join(pkg, 'transformer', f), 'wb') as fh:
            fh.write(src)
    with open(os.path.join(pkg, '__init__.py'), 'w') as fh:
        fh.write('')
    with open(os.path.join(pkg, 'i18n.py'), 'w') as fh:
        fh.write('def _(s):\n    return s\n_LW = _LI = _LE = _\n')
    with open(os.path.join(pkg, 'sample.py'), 'w') as fh:
        fh.write('''
import copy
import uuid

TYPE_GAUGE = 'gauge'
TYPE_DELTA = 'delta'
TYPE_CUMULATIVE = 'cumulative'


class Sample(object):
    # mitaka ceilometer/sample.py, cfg.CONF.sample_source = 'openstack'
    def __init__(self, name, type, unit, volume, user_id, project_id,
                 resource_id, timestamp, resource_metadata, source=None,
                 id=None):
        self.name = name
        self.type = type
        self.unit = unit
        self.volume = volume
        self.user_id = user_id
        self.project_id = project_id
        self.resource_id = resource_id
        self.timestamp = timestamp
        self.resource_metadata = resource_metadata
        self.source = source or 'openstack'
        self.id = id or str(uuid.uuid1())

    def as_dict(self):
        return copy.copy(self.__dict__)
''')
    sys.path.insert(0, tmp)
    mods = {}
    for m in ('conversions', 'accumulator', 'arithmetic'):
        mods[m] = importlib.import_module('ceilometer.transformer.' + m)
    import ceilometer.sample
    return mods, ceilometer.sample


MODS, SAMPLE = load_mitaka()
CLASSES = {
    'accumulator': MODS['accumulator'].TransformerAccumulator,
    'delta': MODS['conversions'].DeltaTransformer,
    'unit_conversion': MODS['conversions'].ScalingTransformer,
    'rate_of_change': MODS['conversions'].RateOfChangeTransformer,
    'aggregator': MODS['conversions'].AggregatorTransformer,
    'arithmetic': MODS['arithmetic'].ArithmeticTransformer,
}

BASE = {
    'name': 'cpu', 'type': 'cumulative', 'unit': 'ns', 'volume': 0,
    'user_id': 'u1', 'project_id': 'p1', 'resource_id': 'r1',
    'timestamp': '2026-11-25T10:00:00.000000+00:00',
    'resource_metadata': {}, 'source': 'openstack',
}

_ids = [0]


def S(**kw):
    d = copy.deepcopy(BASE)
    d.update(kw)
    _ids[0] += 1
    d.setdefault('id', 'in-%d' % _ids[0])
    return d


def T(sec, frac=''):
    """A timestamp `sec` seconds after 10:00:00."""
    t = datetime.datetime(2026, 11, 25, 10, 0, 0) + datetime.timedelta(seconds=sec)
    return t.strftime('%Y-%m-%dT%H:%M:%S') + (frac or '.000000') + '+00:00'


CPU_UTIL = '''
target:
    name: "cpu_util"
    unit: "%"
    type: "gauge"
    scale: "100.0 / (10**9 * (resource_metadata.cpu_number or 1))"
'''
DISK_RATE = r'''
source:
    map_from:
        name: "(disk\\.device|disk)\\.(read|write)\\.(bytes|requests)"
        unit: "(B|request)"
target:
    map_to:
        name: "\\1.\\2.\\3.rate"
        unit: "\\1/s"
    type: "gauge"
'''
NET_RATE = r'''
source:
   map_from:
       name: "network\\.(incoming|outgoing)\\.(bytes|packets)"
       unit: "(B|packet)"
target:
    map_to:
        name: "network.\\1.\\2.rate"
        unit: "\\1/s"
    type: "gauge"
'''


def cases():
    c = []
    # ---- unit_conversion ----
    c.append(dict(name='unit_conversion/scale-expression', transformer='unit_conversion', parameters='''
source: {unit: "B"}
target: {name: "memory.gb", unit: "GB", scale: "volume * 1.0 / 1024 / 1024 / 1024"}
''', steps=[{'samples': [
        S(name='memory', unit='B', type='gauge', volume=2147483648),
        S(name='memory', unit='MB', type='gauge', volume=2048),
        S(name='memory', unit='B', type='gauge', volume=1.5),
    ]}]))
    c.append(dict(name='unit_conversion/numeric-scale-keeps-int', transformer='unit_conversion', parameters='''
target: {unit: "ms", scale: 1000}
''', steps=[{'samples': [S(volume=3), S(volume=2.5), S(volume=True)]}]))
    c.append(dict(name='unit_conversion/zero-scale-is-no-scale', transformer='unit_conversion', parameters='''
target: {type: "gauge", scale: 0}
''', steps=[{'samples': [S(volume=7)]}]))
    c.append(dict(name='unit_conversion/map-rename', transformer='unit_conversion', parameters=DISK_RATE, steps=[{'samples': [
        S(name='disk.read.bytes', unit='B', volume=10),
        S(name='disk.device.write.requests', unit='request', volume=4),
        S(name='disk.usage', unit='B', volume=1),
        S(name='disk.read.bytes', unit=None, volume=1),
    ]}]))
    c.append(dict(name='unit_conversion/operators', transformer='unit_conversion', parameters='''
target: {scale: "-volume ** 2 + volume // 3 - volume % 4 + 2 ** -1"}
''', steps=[{'samples': [S(volume=7), S(volume=-7), S(volume=7.5)]}]))
    c.append(dict(name='unit_conversion/comparison-and-or', transformer='unit_conversion', parameters='''
target: {scale: "(volume > 10) + (resource_metadata.a and resource_metadata.b) + (resource_metadata.missing or 0)"}
''', steps=[{'samples': [
        S(volume=11, resource_metadata={'a': 1, 'b': 2}),
        S(volume=3, resource_metadata={'a': 0, 'b': 2}),
        S(volume=3, resource_metadata={'a': 1, 'b': 2.5, 'missing': None}),
    ]}]))
    c.append(dict(name='unit_conversion/nested-metadata-and-errors', transformer='unit_conversion', parameters='''
target: {scale: "volume / resource_metadata.flavor.vcpus"}
''', steps=[{'samples': [
        S(volume=8, resource_metadata={'flavor': {'vcpus': 2}}),
        S(volume=8, resource_metadata={'flavor': {'vcpus': 0}}),
        S(volume=8, resource_metadata={}),
        S(volume=9, resource_metadata={'flavor': {'vcpus': 4}}),
    ]}]))
    c.append(dict(name='unit_conversion/no-parameters', transformer='unit_conversion', parameters='', steps=[
        {'samples': [S(volume=5, unit='x')]}]))
    # ---- rate_of_change ----
    c.append(dict(name='rate_of_change/cpu_util', transformer='rate_of_change', parameters=CPU_UTIL, steps=[
        {'samples': [S(volume=10**9, timestamp=T(0), resource_metadata={'cpu_number': 2})]},
        {'samples': [S(volume=7 * 10**9, timestamp=T(60), resource_metadata={'cpu_number': 2})]},
        {'samples': [S(volume=3 * 10**9, timestamp=T(120), resource_metadata={'cpu_number': 2})]},  # reset
        {'samples': [S(volume=9 * 10**9, timestamp=T(90), resource_metadata={'cpu_number': 2})]},   # out of order
        {'samples': [S(volume=4 * 10**9, timestamp=T(120), resource_metadata={})]},                  # equal time
        {'samples': [S(volume=5 * 10**9, timestamp=T(150, '.500000'), resource_metadata={'cpu_number': None})]},
        {'samples': [S(volume=6 * 10**9, timestamp=T(30), resource_id='r2'),
                     S(volume=6.5 * 10**9, timestamp=T(40), resource_id='r2')]},
    ]))
    c.append(dict(name='rate_of_change/disk-map', transformer='rate_of_change', parameters=DISK_RATE, steps=[
        {'samples': [S(name='disk.read.bytes', unit='B', volume=1000, timestamp=T(0)),
                     S(name='disk.device.write.requests', unit='request', volume=10, timestamp=T(0), resource_id='r1-vda'),
                     S(name='disk.read.bytes', unit='B', volume=4000, timestamp=T(10)),
                     S(name='disk.device.write.requests', unit='request', volume=25, timestamp=T(3), resource_id='r1-vda')]},
    ]))
    c.append(dict(name='rate_of_change/network-map', transformer='rate_of_change', parameters=NET_RATE, steps=[
        {'samples': [S(name='network.incoming.packets', unit='packet', volume=5, timestamp=T(0)),
                     S(name='network.incoming.packets', unit='packet', volume=50, timestamp=T(4))]},
    ]))
    c.append(dict(name='rate_of_change/gauge-negative-and-defaults', transformer='rate_of_change', parameters='', steps=[
        {'samples': [S(type='gauge', volume=10, timestamp=T(0)),
                     S(type='gauge', volume=4, timestamp=T(2)),
                     S(type='cumulative', volume=1, timestamp=T(4))]},
    ]))
    c.append(dict(name='rate_of_change/timestamp-forms-and-bad-samples', transformer='rate_of_change', parameters='', steps=[
        {'samples': [S(volume=1, timestamp='2026-11-25T10:00:00Z'),
                     S(volume=3, timestamp='2026-11-25 10:00:02'),
                     S(volume=7, timestamp='2026-11-25T11:00:04.25+01:00'),
                     S(volume=8, timestamp='not a time'),
                     S(volume=9, timestamp=None),
                     S(volume=1, resource_id=None, timestamp=T(9)),
                     S(volume=11, timestamp='2026-11-25T10:00:08.000001')]},
    ]))
    # ---- delta ----
    c.append(dict(name='delta/growth_only', transformer='delta', parameters='''
target: {name: "cpu.delta"}
growth_only: True
''', steps=[{'samples': [S(volume=100, timestamp=T(0)), S(volume=150, timestamp=T(10)),
                         S(volume=120, timestamp=T(20)), S(volume=130, timestamp=T(15)),
                         S(volume=200.5, timestamp=T(30)), S(volume=1, timestamp=T(40), resource_id='r9')]}]))
    c.append(dict(name='delta/negative-kept', transformer='delta', parameters='''
target: {name: "x.delta", unit: "ignored"}
''', steps=[{'samples': [S(type='gauge', volume=5, timestamp=T(0)), S(type='gauge', volume=2, timestamp=T(0)),
                         S(type='gauge', volume=2.25, timestamp=T(1))]}]))
    c.append(dict(name='delta/map-rename', transformer='delta', parameters=NET_RATE, steps=[
        {'samples': [S(name='network.outgoing.bytes', unit='B', volume=5, timestamp=T(0)),
                     S(name='network.outgoing.bytes', unit='B', volume=9, timestamp=T(1))]}]))
    # ---- accumulator ----
    c.append(dict(name='accumulator/size-3', transformer='accumulator', parameters='size: 3', steps=[
        {'samples': [S(volume=1), S(volume=2)]}, {'flush': True},
        {'samples': [S(volume=3)]}, {'flush': True},
        {'samples': [S(volume=4)]}, {'flush': True},
        {'samples': [S(volume=5), S(volume=6), S(volume=7), S(volume=8)]}, {'flush': True}, {'flush': True}]))
    c.append(dict(name='accumulator/default-size', transformer='accumulator', parameters='', steps=[
        {'flush': True}, {'samples': [S(volume=1)]}, {'flush': True}]))
    c.append(dict(name='accumulator/size-0-passes-through', transformer='accumulator', parameters='size: 0', steps=[
        {'samples': [S(volume=1), S(volume=2)]}]))
    # ---- aggregator ----
    c.append(dict(name='aggregator/size-gauge-average', transformer='aggregator', parameters='size: 4', steps=[
        {'samples': [S(type='gauge', volume=1, resource_metadata={'v': 1}), S(type='gauge', volume=2, resource_metadata={'v': 2})]},
        {'flush': True},
        {'samples': [S(type='gauge', volume=4, resource_id='r2', timestamp=T(5)), S(type='delta', name='d', volume=3, timestamp=T(6))]},
        {'flush': True},
        {'samples': [S(type='gauge', volume=10)]}, {'flush': True}]))
    c.append(dict(name='aggregator/policies-and-timestamp', transformer='aggregator', parameters='''
size: 3
user_id: first
project_id: last
resource_metadata: drop
timestamp: last
''', steps=[
        {'samples': [S(type='delta', volume=1, user_id='ua', project_id='pa', timestamp=T(1), resource_metadata={'x': 1}),
                     S(type='delta', volume=2.5, user_id='ub', project_id='pb', timestamp=T(2), resource_metadata={'x': 2}),
                     S(type='delta', volume=3, user_id='uc', project_id='pc', timestamp=T(3))]},
        {'flush': True}]))
    c.append(dict(name='aggregator/key-attributes-undefined', transformer='aggregator', parameters='size: 4', steps=[
        {'samples': [S(type='delta', volume=1, user_id=None, project_id=None),
                     S(type='delta', volume=2, user_id=None, project_id=None),
                     S(type='delta', volume=4, user_id='u2'),
                     S(type='delta', volume=8, user_id='u2', resource_metadata={'m': 'last'})]},
        {'flush': True}]))
    c.append(dict(name='aggregator/cumulative-replaces-and-scale', transformer='aggregator', parameters='''
size: 3
target: {name: "cpu.scaled", unit: "s", scale: "volume / 1000000000.0"}
''', steps=[
        {'samples': [S(volume=10**9), S(volume=3 * 10**9), S(volume=2 * 10**9, timestamp=T(9))]},
        {'flush': True}]))
    c.append(dict(name='aggregator/retention-time', transformer='aggregator', parameters='''
retention_time: 60
resource_metadata: first
''', steps=[
        {'samples': [S(type='gauge', volume=1, timestamp=T(0), resource_metadata={'first': True}),
                     S(type='gauge', volume=2, timestamp=T(30), resource_metadata={'first': False})]},
        {'flush': True, 'now': T(60)},
        {'samples': [S(type='gauge', volume=3, timestamp=T(61))]},
        {'flush': True, 'now': T(60, '.000001')},
        {'samples': [S(type='gauge', volume=5, timestamp=T(62))]},
        {'flush': True, 'now': T(121)}]))
    c.append(dict(name='aggregator/retention-only', transformer='aggregator', parameters='''
size: null
retention_time: "30"
''', steps=[
        {'samples': [S(type='gauge', volume=1, timestamp=T(0)), S(type='gauge', volume=2, timestamp=T(10)),
                     S(type='gauge', volume=6, timestamp=T(20), resource_id='r2')]},
        {'flush': True, 'now': T(30)},
        {'samples': [S(type='gauge', volume=3, timestamp=T(31))]},
        {'flush': True, 'now': T(30, '.000001')},
        {'flush': True, 'now': T(61)},
        {'flush': True, 'now': T(500)}]))
    c.append(dict(name='aggregator/size-string', transformer='aggregator', parameters='''
size: "2"
''', steps=[
        {'samples': [S(type='cumulative', volume=1)]}, {'flush': True},
        {'samples': [S(type='cumulative', volume=5)]}, {'flush': True}]))
    c.append(dict(name='aggregator/unknown-policy-is-last', transformer='aggregator', parameters='''
size: 2
user_id: bogus
timestamp: bogus
''', steps=[
        {'samples': [S(type='delta', volume=1, user_id='a', timestamp=T(1)), S(type='delta', volume=2, user_id='b', timestamp=T(2))]},
        {'flush': True}]))
    # ---- arithmetic ----
    c.append(dict(name='arithmetic/memory-util', transformer='arithmetic', parameters='''
target:
    name: memory_util
    unit: "%"
    type: gauge
    expr: "100 * $(memory.usage) / $(memory)"
''', steps=[
        {'samples': [S(name='memory', unit='MB', type='gauge', volume=2048, timestamp=T(0), resource_metadata={'host': 'h'})]},
        {'flush': True},
        {'samples': [S(name='memory.usage', unit='MB', type='gauge', volume=512, timestamp=T(1)),
                     S(name='memory', unit='MB', type='gauge', volume=1024, timestamp=T(2), resource_id='r2'),
                     S(name='cpu', volume=1, timestamp=T(3))]},
        {'flush': True},
        {'samples': [S(name='memory.usage', unit='MB', type='gauge', volume=256, timestamp=T(4), resource_id='r2')]},
        {'flush': True}, {'flush': True}]))
    c.append(dict(name='arithmetic/metadata-and-defaults', transformer='arithmetic', parameters='''
target:
    expr: "$(cpu).resource_metadata.cpu_number * $(cpu) + $(cpu_ESC)"
''', steps=[
        {'samples': [S(name='cpu', volume=3, resource_metadata={'cpu_number': 4}, timestamp=T(0)),
                     S(name='cpu_ESC', volume=0.5, timestamp=T(1))]},
        {'flush': True}]))
    c.append(dict(name='arithmetic/errors-dropped', transformer='arithmetic', parameters='''
target: {name: ratio, expr: "$(a) / $(b)"}
''', steps=[
        {'samples': [S(name='a', volume=1), S(name='b', volume=0),
                     S(name='a', volume=1, resource_id='r2'), S(name='b', volume=4, resource_id='r2')]},
        {'flush': True}]))
    c.append(dict(name='arithmetic/misconfigured-swallows', transformer='arithmetic', parameters='''
target: {name: x, expr: "1 + 2"}
''', steps=[{'samples': [S(name='a', volume=1)]}, {'flush': True}]))
    return c


def run_case(case):
    params = yaml.safe_load(case['parameters']) or {}
    t = CLASSES[case['transformer']](**params)
    out_steps = []
    for step in case['steps']:
        if 'samples' in step:
            inputs = {}
            got = []
            for d in step['samples']:
                s = SAMPLE.Sample(**copy.deepcopy(d))
                inputs[s.id] = True
                try:
                    r = t.handle_sample(None, s)
                except Exception:
                    r = None
                if r:
                    got.append(r)
        else:
            if step.get('now'):
                timeutils.set_time_override(
                    timeutils.normalize_time(timeutils.parse_isotime(step['now'])))
            got = [s for s in t.flush(None) if s]
            timeutils.clear_time_override()
        out_steps.append([render(s) for s in got])
    return out_steps


def render(s):
    d = s.as_dict()
    if not str(d['id']).startswith('in-'):
        d['id'] = 'new'
    return d


EXPR_SAMPLE = dict(BASE, volume=7, resource_metadata={
    'cpu_number': 4, 'zero': 0, 'none': None, 'f': 2.5, 's': 'abc', 'b': True,
    'flavor': {'vcpus': 2, 'name': 'm1'}, 'list': [1, {'k': 3}], 'big': 2**70})

EXPRESSIONS = [
    '1', '1.0', '10**9', '2**-1', '-2**2', '(-2)**2', '2**3**2', '2**0.5', '(-8)**(1/3)', '0**-1', '0.0**-1',
    '7/2', '7//2', '-7//2', '7%3', '-7%3', '7%-3', '7.5//2', '-7.5//2', '7.5%-2', '1/0', '1//0', '1%0', '1.0/0',
    '10**30 + 1', '10**30 // 7', '-(10**30) // 7', '2**63', '-2**63', '2**63 - 1 + 1', '9223372036854775807 + 1',
    '(2**63) * 2 / 3', '10**400 / 1', '10**400 * 1.0', '1e308 * 10', '1e308 * 10 - 1e308 * 10',
    'volume', 'volume * 1.0 / 1024', '100.0 / (10**9 * (resource_metadata.cpu_number or 1))',
    '100.0 / (10**9 * (resource_metadata.missing or 1))', 'resource_metadata.zero or resource_metadata.none or 5',
    'resource_metadata.f and resource_metadata.s', 'resource_metadata.zero and 1/0', 'not resource_metadata.missing',
    'not volume', 'True + True', 'True * 2.5', 'resource_metadata.b + 1', 'None', 'resource_metadata.none',
    'volume > 5', '1 < volume < 10', '1 < volume > 10', 'volume == 7.0', 'volume != 7', '2**53 + 1 == 2.0**53',
    '2**53 + 1 > 2.0**53', "resource_metadata.s == 'abc'", "resource_metadata.s < 'abd'", "'a' 'b' + resource_metadata.s",
    'resource_metadata.s < 1', 'None < 1', 'None == None', 'resource_metadata.s + 1', 'resource_metadata.missing + 1',
    'resource_metadata.flavor.vcpus * volume', "resource_metadata['flavor']['name']", 'resource_metadata.list[0]',
    "resource_metadata.list[-1]['k']", 'resource_metadata.list[1].k', 'resource_metadata.list[5]', 'resource_metadata.big * 2',
    'resource_metadata.big / 2**70', 'volume if volume > 3 else -volume', '1 if resource_metadata.missing else 2',
    'name', 'type', 'unit', 'source', 'resource_id', 'user_id', 'timestamp', 'project_id', '~volume',
    '-volume', '+volume', '- - volume', '1_000 + 0x10 + 0o7 + 0b1', '.5 + 1.', '1e3', '1E-3 * 2', 'volume * 0.1',
    '0.1 + 0.2', '3 * 0.1', '1/3', '2/3 * 3', 'float_thing', 'resource_metadata', 'resource_metadata.flavor',
    'resource_metadata.f // 0.5', '-0.0 * 1', '0.0 % -1', '-7.0 // 0.5', 'resource_metadata.f ** 2',
    '5 % 0.0', '-(2**63)', '10**20 % -3', '(-10**20) % 3',
]


def run_expressions():
    ns = MODS['conversions'].transformer.Namespace(SAMPLE.Sample(**copy.deepcopy(EXPR_SAMPLE)).as_dict())
    out = []
    for e in EXPRESSIONS:
        try:
            v = eval(e, {}, ns)
            if isinstance(v, MODS['conversions'].transformer.Namespace):
                r = {'expr': e, 'error': 'namespace'}
            elif isinstance(v, (bool, int, float, str, type(None))):
                r = {'expr': e, 'result': v}
            else:
                r = {'expr': e, 'error': type(v).__name__}
        except Exception as exc:
            r = {'expr': e, 'error': type(exc).__name__}
        out.append(r)
    return out


def main():
    out = []
    for case in cases():
        case['expected'] = run_case(case)
        out.append(case)
    json.dump({'generator': 'gen_golden.py (Ceilometer %s transformers)' % TAG,
               'cases': out,
               'expression_sample': EXPR_SAMPLE,
               'expressions': run_expressions()}, sys.stdout, indent=1, sort_keys=False)
    sys.stdout.write('\n')


if __name__ == '__main__':
    main()
