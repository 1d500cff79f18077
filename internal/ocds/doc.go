// Package ocds holds the open-data export in the Open Contracting Data
// Standard (OCDS 1.1): every published event of a tender (published, amended,
// cancelled, opened, award proposed and final, contract signed, amended,
// terminated, milestone paid, evaluation submitted) becomes one release,
// built in the event's own transaction from what is public at that moment and
// kept in the append-only table ocds_releases; the releases, a tender's
// record (its releases and their compiled release) and the bulk file are read
// from there. Nothing sealed, personal or unpublished is ever put in a
// release: no bid before the opening, no resident, beneficiary reference or
// rating comment, no officer's or evaluator's name, no draft tender.
package ocds
