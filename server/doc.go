// Package server is airt's sync server: an http.Handler that speaks the
// protocol of package sync (which documents the wire format and the push,
// conflict and pull rules) over a Store.
//
// The files split it by concern: server.go (Server, NewServer, Options),
// http.go (routing, authentication, error answers, the request log),
// login.go and limiter.go (login, logout, failed-login limits), push.go
// (deciding and applying pushed mutations, exactly once), pull.go (pages of
// changed users) and history.go (recording changes, checking a client's
// position), all written once over store.go's Store and Tx. Two stores
// implement them: bolt.go (a bbolt file in the localstore format, one
// process; layout.go lists the buckets it adds) and pg.go and pgtx.go
// (PostgreSQL, any number of processes; migrate.go moves a bbolt store
// there). commands/server.go drives it.
package server
