#!/usr/bin/python3
"""Writes endpoint_cases.json: what Ceilometer 19's coded sample endpoints
(ceilometer.ipmi.notifications.ironic's four SensorNotification classes and
ceilometer.middleware's HTTPRequest/HTTPResponse) publish for each case, run
with Ceilometer's own classes and oslo.messaging's NotificationFilter:

    cd plugins/meter && /usr/bin/python3 testdata/gen_endpoints.py

For every case and endpoint (Ceilometer's order) the output holds the samples
as meter_message_from_counter renders them (message_id, message_signature and
monotonic_time removed), or the exception that made Ceilometer lose them all,
and the number of "invalid sensor data" warnings (skipped sensors).
"""
import copy
import json
import logging
import os

from ceilometer.ipmi.notifications import ironic
from ceilometer import middleware
from ceilometer.publisher import utils

HERE = os.path.dirname(os.path.abspath(__file__))

ENDPOINTS = [
    ("hardware.ipmi.current", ironic.CurrentSensorNotification),
    ("hardware.ipmi.fan", ironic.FanSensorNotification),
    ("hardware.ipmi.temperature", ironic.TemperatureSensorNotification),
    ("hardware.ipmi.voltage", ironic.VoltageSensorNotification),
    ("http.request", middleware.HTTPRequest),
    ("http.response", middleware.HTTPResponse),
]

TS = "2026-11-25 10:00:00.123456"


def ipmi(sensors, **extra):
    p = {"node_uuid": "f2e33041", "timestamp": "2026-11-25T09:59:59.5", "event_type": "hardware.ipmi.metrics",
         "payload": sensors}
    p.update(extra)
    return p


def sensor(sid, reading, **extra):
    d = {"Sensor ID": sid, "Sensor Reading": reading, "Status": "ok"}
    d.update(extra)
    return d


def drop(d, *keys):
    d = copy.deepcopy(d)
    for k in keys:
        d.pop(k, None)
    return d


FULL = {
    "Current": {"Avg Power (0x2e)": sensor("Avg Power (0x2e)", "130 (+/- 0) Watts"),
                "Current 1 (0x6a)": sensor("Current 1 (0x6a)", "0.600 (+/- 0) Amps")},
    "Fan": {"Fan 4A Tach (0x46)": sensor("Fan 4A Tach (0x46)", "6900 (+/- 0) RPM")},
    "Temperature": {"Temp (0x1)": sensor("Temp (0x1)", "31 (+/- 0) degrees C"),
                    "Inlet Temp (0x5)": sensor("Inlet Temp (0x5)", "Disabled")},
    "Voltage": {"Planar 3.3V (0x18)": sensor("Planar 3.3V (0x18)", "3.137 (+/- 0) Volts")},
}

REQUEST = {"REQUEST_METHOD": "GET", "PATH_INFO": "/v2.1/servers", "HTTP_X_USER_ID": "u1",
           "HTTP_X_PROJECT_ID": "p1", "HTTP_X_SERVICE_NAME": "nova"}

CASES = [
    ("ipmi-full", "hardware.ipmi.metrics.update", ipmi(FULL)),
    ("ipmi-user-project", "hardware.ipmi.metrics.update", ipmi({"Fan": FULL["Fan"]}, user_id="u", project_id="p")),
    ("ipmi-bad-readings", "hardware.ipmi.metrics.update", ipmi({"Current": {
        "a": sensor("A", "abc Watts"), "b": sensor("B", "130"), "c": sensor("C", ""), "d": sensor("D", " 5 W"),
        "e": sensor("E", "1_000 Watts"), "f": sensor("F", "\u0663 Volts"), "g": sensor("G", "5 (+/- 0) percent"),
        "h": sensor("H", "7 W "), "i": sensor("I", "1e3\tx Volts"), "j": sensor("J", "inf Watts"),
        "k": sensor("K", "Disabled"), "l": sensor("L", "disabled W")}})),
    ("ipmi-missing-keys", "hardware.ipmi.metrics.update", ipmi({"Fan": {
        "a": {"Sensor Reading": "1 RPM"}, "b": {"Sensor ID": "B"}, "c": sensor("C", "2 RPM")}})),
    ("ipmi-missing-node", "hardware.ipmi.metrics.update", drop(ipmi({"Fan": FULL["Fan"]}), "node_uuid")),
    ("ipmi-missing-node-bad-sensor", "hardware.ipmi.metrics.update", drop(ipmi({"Fan": {"a": "text"}}), "node_uuid")),
    ("ipmi-missing-timestamp", "hardware.ipmi.metrics.update", drop(ipmi(FULL), "timestamp")),
    ("ipmi-missing-event-type", "hardware.ipmi.metrics.update", drop(ipmi(FULL), "event_type")),
    ("ipmi-missing-timestamp-no-reading", "hardware.ipmi.metrics.update",
     drop(ipmi({"Fan": {"a": {"Sensor ID": "A"}}}), "timestamp")),
    ("ipmi-empty-timestamp", "hardware.ipmi.metrics.update", ipmi({"Fan": FULL["Fan"]}, timestamp="")),
    ("ipmi-bad-timestamp", "hardware.ipmi.metrics.update", ipmi({"Fan": FULL["Fan"]}, timestamp="yesterday")),
    ("ipmi-offset-timestamp", "hardware.ipmi.metrics.update", ipmi({"Fan": FULL["Fan"]}, timestamp="2026-11-25T10:00:00+02:00")),
    ("ipmi-no-sensors", "hardware.ipmi.metrics.update", drop(ipmi({}), "payload")),
    ("ipmi-metric-list", "hardware.ipmi.metrics.update", ipmi({"Fan": [1, 2]})),
    ("ipmi-sensor-text", "hardware.ipmi.metrics.update", ipmi({"Fan": {"a": "text"}})),
    ("ipmi-sensor-id-int", "hardware.ipmi.metrics.update", ipmi({"Fan": {"a": sensor(5, "1 RPM")}})),
    ("ipmi-reading-number", "hardware.ipmi.metrics.update", ipmi({"Fan": {"a": sensor("A", 5)}})),
    ("ipmi-unicode-id", "hardware.ipmi.metrics.update", ipmi({"Fan": {
        "a": sensor("\u0130NLET \u039f\u0394\u039f\u03a3 Fan", "1 RPM")}})),
    ("ipmi-node-int", "hardware.ipmi.metrics.update", ipmi({"Fan": FULL["Fan"]}, node_uuid=5)),
    ("ipmi-sensor-overwrites", "hardware.ipmi.metrics.update", ipmi({"Fan": {
        "a": sensor("A", "1 RPM", node="old", event_type="old", host="old")}})),
    ("ipmi-payload-list", "hardware.ipmi.metrics.update", [1]),
    ("ipmi-payload-payload-list", "hardware.ipmi.metrics.update", ipmi([1])),
    ("ipmi-event-type-prefix", "hardware.ipmi", ipmi({"Fan": FULL["Fan"]})),
    ("ipmi-event-type-dot-any", "hardwareXipmi.x", ipmi({"Fan": FULL["Fan"]})),
    ("ipmi-other-event", "hardware.ipm", ipmi({"Fan": FULL["Fan"]})),
    ("http-request", "http.request", {"request": REQUEST, "extra": 1, "event_type": "x"}),
    ("http-response", "http.response", {"request": REQUEST, "response": {"status": "200 OK"}}),
    ("http-no-service", "http.request", {"request": drop(REQUEST, "HTTP_X_SERVICE_NAME", "HTTP_X_USER_ID")}),
    ("http-cadf-no-request", "http.request", {"typeURI": "http://schemas.dmtf.org/cloud/audit/1.0/event"}),
    ("http-request-text", "http.request", {"request": "GET /"}),
    ("http-payload-none", "http.request", None),
    ("http-payload-list", "http.response", [REQUEST]),
    ("http-event-type-suffix", "http.requestX.y", {"request": REQUEST}),
    ("http-event-type-dot-any", "httpXrequest", {"request": REQUEST}),
    ("http-no-timestamp", "http.request", {"request": REQUEST}, None),
    ("http-bad-timestamp", "http.request", {"request": REQUEST}, "soon"),
]


class Counter(logging.Handler):
    def __init__(self):
        super().__init__()
        self.n = 0

    def emit(self, record):
        self.n += 1


def main():
    counter = Counter()
    logging.getLogger(ironic.__name__).addHandler(counter)
    logging.getLogger(ironic.__name__).setLevel(logging.WARNING)
    logging.getLogger(ironic.__name__).propagate = False
    out = []
    for case in CASES:
        name, event_type, payload = case[:3]
        ts = case[3] if len(case) > 3 else TS
        body = {"message_id": "m-" + name, "publisher_id": "ironic.conductor-1", "event_type": event_type,
                "priority": "INFO", "payload": payload}
        if ts is not None:
            body["timestamp"] = ts
        # What oslo.messaging's dispatcher hands to the endpoint.
        message = {"ctxt": {}, "publisher_id": body["publisher_id"], "event_type": event_type,
                   "payload": copy.deepcopy(payload),
                   "metadata": {"message_id": body["message_id"], "timestamp": body.get("timestamp")}}
        results = []
        for ep_name, cls in ENDPOINTS:
            ep = cls(None, None)
            if not ep.filter_rule.match(message["ctxt"], message["publisher_id"], event_type,
                                        message["metadata"], message["payload"]):
                continue
            counter.n = 0
            r = {"endpoint": ep_name}
            try:
                samples = list(ep.build_sample(copy.deepcopy(message)))
            except Exception as e:  # noqa: BLE001 - what process_notifications logs
                r["error"] = "%s: %s" % (type(e).__name__, e)
            else:
                msgs = []
                for s in samples:
                    m = utils.meter_message_from_counter(s, "")
                    for k in ("message_id", "message_signature", "monotonic_time"):
                        m.pop(k, None)
                    msgs.append(m)
                r["samples"] = msgs
            r["warnings"] = counter.n
            results.append(r)
        out.append({"name": name, "body": body, "endpoints": results})
    with open(os.path.join(HERE, "endpoint_cases.json"), "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
