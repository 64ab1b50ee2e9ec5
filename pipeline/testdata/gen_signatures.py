#!/usr/bin/python3
"""Generate signatures.json with Ceilometer's own compute_signature.

Run with the system Python that has Ceilometer (Debian package
python3-ceilometer) installed:

    /usr/bin/python3 gen_signatures.py > signatures.json

Each case holds a message as JSON text; the signature is computed over
json.loads(text), exactly what the Go test feeds to Signature after decoding
the same text with pyjson.
"""
import json
import sys

sys.path.insert(0, '/usr/lib/python3/dist-packages')

from ceilometer.publisher import utils  # noqa: E402
import ceilometer  # noqa: E402

SECRET = 'change this for valid signing'

SAMPLE = {
    'source': 'openstack',
    'counter_name': 'cpu',
    'counter_type': 'cumulative',
    'counter_unit': 'ns',
    'counter_volume': 1.2345e12,
    'user_id': '4d2b6c8e0f1a3b5c7d9e1f2a3b4c5d6e',
    'project_id': '8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b',
    'resource_id': '5e2a9c3d-7b1f-4e8a-9c6d-0f1e2d3c4b5a',
    'timestamp': '2024-03-05T10:15:42.123456+00:00',
    'resource_metadata': {
        'display_name': 'web-server-\u00e9t\u00e9-01',
        'host': 'compute-0.localdomain',
        'flavor': {'id': '2', 'name': 'm1.small', 'ram': 2048, 'vcpus': 1,
                   'disk': 20, 'ephemeral': 0},
        'image_ref_url': None,
        'instance_type': 'm1.small',
        'memory_mb': 2048,
        'status': 'active',
        'state': 'running',
        'cpu_number': 1,
        'fixed_ips': [{'address': '10.0.0.12', 'version': 4,
                       'floating_ips': ['172.24.4.10'], 'meta': {}}],
        'metadata': {'role': 'frontend', 'owner': 'team "blue"'},
    },
    'message_id': '9a0b5a6e-1c5b-4c5e-8f0e-2d7d3c1f9e21',
    'monotonic_time': None,
}

MESSAGES = [
    {},
    {'a': 1},
    {'a': 'x'},
    {'a': None, 'b': True, 'c': False},
    {'message_signature': 'abc', 'a': 1},
    {'message_signature': {'x': 1}, 'a': 1},
    {'nested': {'message_signature': 'x'}},
    {'f': 1.0, 'g': 0.1, 'h': 1e20, 'i': 1e-05, 'j': 1.5e300, 'k': -0.0,
     'l': 123456789012345.0, 'm': 1e16, 'n': 5e-324, 'o': 0.30000000000000004},
    {'inf': float('inf'), 'ninf': float('-inf'), 'nan': float('nan')},
    {'big': 123456789012345678901234567890, 'neg': -9223372036854775809,
     'max': 9223372036854775807},
    {'u': '\u00e9\u4e2d\U0001f600', '\u00e9': 'key', '\u4e2d': {'\U0001f600': 1}},
    {'ctl': 'a\tb\nc\x00\x7f', 'q': "it's", 'qq': 'say "hi"', 'both': 'it\'s "x"'},
    {'l': []},
    {'l': [1, 2, 3]},
    {'l': ['a', 'b']},
    {'l': ["it's", 'say "x"', '\'"', 'back\\slash', 'tab\there']},
    {'l': ['\u00e9', '\u4e2d', '\U0001f600', '\u2028', '\x00\x7f\x80']},
    {'l': [None, True, False, 1, 1.0, 0.1, 1e20, float('inf'), float('nan')]},
    {'l': [{'b': 'x', 'a': 1}]},
    {'l': [{'z': [1, 'y', {'k': 'v'}], 'a': {'n': 'm'}}]},
    {'l': [[['deep']]], 'm': [[]]},
    {'l': [{}], 'e': {}},
    {'l': [{'\u00e9': '\u00e9', "it's": "it's"}]},
    {'a': {'b': {'c': {'d': 'e'}}}},
    {'a': {'b': 1}, 'a:b': 2, 'a_b': 3, 'a b': 4, 'A': 5, 'a0': 6},
    {'a': {}, 'b': {'c': {}}},
    {'z': 1, 'y': 2, 'x': 3, 'Z': 4, '_': 5, '~': 6, '': 7, '0': 8},
    {'k': '', 'l': [''], 'm': {'': ''}},
    {'str_num': '1.0', 'str_none': 'None', 'str_list': "['a']"},
    {'empty_key': {'': {'': 1}}},
    {'resource_metadata': {'tags': ['a', 'b'], 'props': {'x': [1, 2]}}},
    {'traits': [['service', 1, 'compute'], ['request_id', 1, 'req-1'],
                ['memory_mb', 2, 512], ['ratio', 3, 0.5],
                ['launched_at', 4, '2024-03-01T08:00:12']],
     'event_type': 'compute.instance.create.end',
     'generated': '2024-03-05T10:15:42.123456', 'message_id': 'm1',
     'raw': {}},
    {'raw': {'payload': {'a': [1, {'b': None}]}, 'priority': 'info'}},
    SAMPLE,
    dict(SAMPLE, counter_volume=1, monotonic_time=1234.5),
    dict(SAMPLE, counter_volume=0.0, resource_metadata={}),
    dict(SAMPLE, resource_metadata={'l': list(range(20))}),
    {'emoji': '\U0001f600' * 3, 'l': ['\U0001f600']},
    {'surrogates_escaped': '\\ud800'},
    {'many': {str(i): i for i in range(30)}},
    {'x': [1.5, [2.5, [None]]], 'y': [{'a': [{'b': [{'c': 'd'}]}]}]},
    {'keys with spaces': {'and:colons': 'v'}},
    {'bool_list': [True, False], 'none_list': [None]},
]

# Verification cases: a message, the secret, whether verify_signature accepts it.
def cases():
    out = []
    for msg in MESSAGES:
        text = json.dumps(msg)
        loaded = json.loads(text)
        sig = utils.compute_signature(loaded, SECRET)
        out.append({
            'message': text,
            'signature': sig,
            'empty_secret_signature': utils.compute_signature(loaded, ''),
        })
    return out


def verify_cases():
    out = []
    good = dict(SAMPLE)
    good['message_signature'] = utils.compute_signature(good, SECRET)
    tampered = dict(good, counter_volume=2.0)
    missing = dict(SAMPLE)
    upper = dict(good, message_signature=good['message_signature'].upper())
    for name, msg, secret in [
            ('good', good, SECRET), ('tampered', tampered, SECRET),
            ('missing', missing, SECRET), ('wrong_secret', good, 'other'),
            ('empty_secret', tampered, ''), ('upper_hex', upper, SECRET)]:
        out.append({'name': name, 'message': json.dumps(msg), 'secret': secret,
                    'valid': utils.verify_signature(json.loads(json.dumps(msg)), secret)})
    return out


def main():
    doc = {
        'generator': 'ceilometer %s publisher.utils.compute_signature, Python %s' % (
            getattr(ceilometer, '__version__', '19.0.0'), sys.version.split()[0]),
        'secret': SECRET,
        'cases': cases(),
        'verify': verify_cases(),
    }
    json.dump(doc, sys.stdout, indent=1)
    sys.stdout.write('\n')


if __name__ == '__main__':
    main()
