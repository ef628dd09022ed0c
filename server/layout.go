package server

// The buckets and meta keys the server adds to the localstore format
// (localstore/schema.go documents the rest; the sync package documents the
// client's). Integers in keys are 8-byte big-endian so bbolt's order is
// numeric order. Values are checksummed records (localstore.SealRecord):
// a change and an applied outcome have the compact payloads of records.go,
// the others JSON.

// Server side.
var (
	// bucketChanges: server revision (8 bytes) -> change. NextSequence of
	// this bucket is the server's revision counter: every applied change
	// bumps it in the transaction that makes the change.
	bucketChanges = []byte("srv_changes")

	// bucketHistory: user uuid (36 bytes) + revision (8 bytes) -> empty; the
	// per-user index of bucketChanges that conflict detection seeks in.
	bucketHistory = []byte("srv_history")

	// bucketDevices: store id -> device{LastSeq}: the last sequence number of
	// that store the server processed (applied, rejected or conflicting),
	// written in the transaction that processed it.
	bucketDevices = []byte("srv_devices")

	// bucketOutcomes: store id + "/" + seq (8 bytes) -> Result of every
	// processed mutation (its id and outcome), so a retried push gets the
	// same rejection or conflict again instead of "duplicate", and a number
	// reused by another mutation (a store restored from an older copy) is
	// told apart from a retry.
	bucketOutcomes = []byte("srv_outcomes")

	// bucketDisabledTokens: token hash (localstore.TokenHash) -> session
	// (user uuid, expiry) of the server tokens revoked because their user
	// was disabled by a pushed change, so a later request with one is told
	// that the account is disabled rather than that the token is unknown.
	bucketDisabledTokens = []byte("srv_disabled_tokens")

	// srv_login_attempts: the login limiter's counts (limiter key ->
	// guard.Record), defined and documented by package guard (BoltStore).

	// Server tokens live in localstore's sessions bucket (token SHA-256 ->
	// user uuid, expiry): Apply already revokes them on disable and on a
	// password reset, for local sessions and server tokens alike.
)

// metaEpoch (server meta): a random id generated when the store is first
// served. A client that pulled from another epoch has seen another history.
const metaEpoch = "srv_epoch"
