// Package server is airt's sync server: an http.Handler that speaks the
// protocol of package sync (which documents the wire format and the push,
// conflict and pull rules) over a server store.
//
// The files split it by concern: server.go (Server, NewServer, Options),
// http.go (routing, body bounds, authentication, error answers, /healthz and
// /readyz), login.go (login under the limits of package guard and its
// hashing gate, logout), backup.go (the online copy of the store), push.go
// (deciding and applying pushed mutations, exactly once), pull.go (pages of
// changed users), history.go (the change history, devices and outcomes) and
// layout.go (the buckets the server adds to the localstore format).
// Package obs logs and counts every request (slog, Prometheus);
// commands/server.go drives it all.
package server
