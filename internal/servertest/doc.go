// Package servertest is the HTTP test harness shared by the api, ui and server
// tests: a fresh seeded database and a manual clock per test, the real Fiber
// app, every API answer validated against the OpenAPI document, a
// cookie-keeping page client, a Stripe harness on stripe-mock, and the ledger
// invariants checked when each test ends.
package servertest
