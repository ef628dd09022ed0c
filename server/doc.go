// Package server is airt's sync server: an http.Handler that speaks the
// protocol of package sync (which documents the wire format and the push,
// conflict and pull rules) over a server store.
//
// The files split it by concern: server.go (Server, NewServer, Options),
// http.go (routing, authentication, error answers, the request log),
// login.go and limiter.go (login, logout, failed-login limits), push.go
// (deciding and applying pushed mutations, exactly once), pull.go (pages of
// changed users), history.go (the change history, devices and outcomes) and
// layout.go (the buckets the server adds to the localstore format).
// commands/server.go drives it.
package server
