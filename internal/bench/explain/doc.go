// Package explain holds the scale test (build tag scale, make test-scale): it
// generates the bench dataset at scale 1, runs the hot public reads through
// the application, and asks PostgreSQL with EXPLAIN (FORMAT JSON) how it
// plans every statement they send, failing when one reads a big table from
// end to end (a Seq Scan) instead of through an index.
package explain
