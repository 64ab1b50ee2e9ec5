// Package pipeline is Ceilometer's pipeline model: the Sample and Event types and
// their wire dicts and signatures, the pipeline.yaml / event_pipeline.yaml model
// and its validation (config.go, match.go), and the managers that run a
// notification's samples or events through every source → sink (transformers)
// → publishers pipeline.
//
// Contract: a manager is immutable after construction and safe for concurrent
// use; Publish returns only once every publisher that received data accepted it
// (or the joined errors of those that did not), which is what lets the listener
// ack a notification. Publishers are independent: one failing does not keep the
// others from publishing. Samples whose volume Ceilometer would refuse are
// dropped and counted, one by one.
package pipeline
