// Package metrics is the agent's self-monitoring: metric families as plain
// data, their Prometheus text rendering, and the HTTP endpoint that serves
// them with the health and readiness probes. Standard library only.
//
// # Data flow
//
//	worker: Service.Metrics ──Report (JSON, control channel)──▶ parent
//	parent: Set.Merge(report.Families, "worker", id) for every worker that
//	        answered, plus its own families (reloads, restarts, worker_up)
//	        ──Write──▶ GET /metrics
//
// Families are built with a Set (Counter, Gauge, MaxGauge → Builder.Add); a
// series added twice combines by the family's Merge (sum, or max for ages), so
// the same code merges listeners within a worker and, during a rolling reload,
// the old and the new worker of one worker id. Set.Families returns families
// sorted by name and series sorted by labels (numeric label values
// numerically), which makes the output stable for golden tests.
//
// # Conventions
//
// Names are agent_notification_<noun>[_<unit>], snake_case; counters end in
// _total. Labels never carry secrets: publisher URLs are masked by the service
// before they become label values.
package metrics
