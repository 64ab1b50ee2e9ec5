#!/usr/bin/python3
"""Record Ceilometer 19's verdict on pipeline files (for TestCeilometerOracle).

Usage (from the directory the paths are relative to; needs the Debian
ceilometer-agent-notification package, i.e. /usr/lib/python3/dist-packages/ceilometer):

    /usr/bin/python3 ceilometer19-oracle.py sample=pipeline.yaml event=event_pipeline.yaml ... > verdicts.json

Each file is loaded with the real SamplePipelineManager / EventPipelineManager;
only publisher loading is stubbed out (Ceilometer logs and skips a publisher it
cannot load, so this changes no verdict). Prints a JSON object mapping each
argument to "OK <pipeline names>" or "ERR <exception>".

To regenerate testdata/pipelines/ceilometer19-oracle.json:

    cd pipeline/testdata/pipelines
    args=; for f in $(find . -name '*.yaml' | sort); do
      case $(basename $f) in *event*) k=event;; *) k=sample;; esac
      args="$args $k=${f#./}"; done
    /usr/bin/python3 ceilometer19-oracle.py $args > ceilometer19-oracle.json
"""
import json
import sys
from unittest import mock

from ceilometer.pipeline import event as pevent
from ceilometer.pipeline import sample as psample


class Conf:
    def __init__(self, f):
        self.pipeline_cfg_file = f
        self.event_pipeline_cfg_file = f

    def find_file(self, f):
        return None


def get_publisher(conf, url, namespace):
    return object()


res = {}
with mock.patch('ceilometer.publisher.get_publisher', get_publisher):
    for arg in sys.argv[1:]:
        kind, f = arg.split('=', 1)
        cls = (psample.SamplePipelineManager if kind == 'sample'
               else pevent.EventPipelineManager)
        try:
            m = cls(Conf(f))
            res[arg] = "OK " + ",".join(p.name for p in m.pipelines)
        except Exception as e:
            res[arg] = "ERR %s: %s" % (type(e).__name__, e)
print(json.dumps(res, indent=1))
