// Package seed holds the notification plugins of the seed's era (Ceilometer
// mitaka's setup.cfg ceilometer.notification) that Ceilometer 19 no longer has:
// instance, instance_scheduled, and the neutron family — network, subnet, port,
// router, floatingip, LBaaS pool/vip/member/health_monitor, FWaaS
// firewall/policy/rule, VPNaaS vpnservice/ipsecpolicy/ikepolicy/connections.
//
// Every one of them is an existence meter (mitaka's NonMetricNotificationBase):
// mitaka turned them off unless [notification] disable_non_metric_meters was set
// to false, and the service does the same — so a Zed configuration, which has no
// such option, publishes exactly what Ceilometer 19 publishes, and a mitaka
// configuration that enabled them gets them back.
//
// They work on mitaka's "old notification format" (the _context_* keys at the
// top level), reproduce Sample.from_notification (metadata = the payload plus
// event_type and host; the timestamp as sent), mitaka's add_reserved_user_metadata
// for instances, and oslo's NotificationFilter (event types as Python regular
// expressions matched at the start). The plugin table is explicit (Factories);
// plugins are safe for concurrent use and never modify the notification.
//
// Deviation: where mitaka lost every sample of a notification on a missing key,
// a plugin returns the samples made before the problem with an error.
package seed
