// Package chaos holds the fault tests that run several `jiedao serve`
// processes against a PostgreSQL cluster of their own and break things under
// load: a replica killed, every connection terminated, the database
// restarted. They are built with the chaos tag (make test-chaos) and need
// root, to create and drop the private cluster with pg_createcluster.
package chaos
