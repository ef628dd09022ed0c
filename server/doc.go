// Package server is airt's sync server: an http.Handler that speaks the
// protocol of package sync (which documents the wire format and the push,
// conflict and pull rules) over a Store.
//
// The files split it by concern: server.go (Server, NewServer, Options),
// http.go (routing, body bounds, authentication, error answers, /healthz and
// /readyz), login.go (login under the limits of package guard and its
// hashing gate, logout), backup.go (the online copy of the store), push.go
// (deciding and applying pushed mutations, exactly once), pull.go (pages of
// changed users) and history.go (recording changes, checking a client's
// position), all written once over store.go's Store and Tx. Two stores
// implement them: bolt.go (a bbolt file in the localstore format, one
// process; layout.go lists the buckets it adds) and pg.go and pgtx.go
// (PostgreSQL, any number of processes; migrate.go moves a bbolt store
// there). Package obs logs and counts every request (slog, Prometheus);
// commands/server.go drives it all.
package server
