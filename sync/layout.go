package sync

// The buckets and meta keys this package adds to the localstore format
// (localstore/schema.go documents the rest). Integers in keys are 8-byte
// big-endian so bbolt's order is numeric order; values are JSON.

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

	// Server tokens live in localstore's sessions bucket (token SHA-256 ->
	// user uuid, expiry): Apply already revokes them on disable and on a
	// password reset, for local sessions and server tokens alike.
)

// metaEpoch (server meta): a random id generated when the store is first
// served. A client that pulled from another epoch has seen another history.
const metaEpoch = "srv_epoch"

// Client side.
var (
	// bucketServerCopy: user uuid -> account.User as the server last sent it,
	// as a checksummed record (localstore.MarshalUser)
	// (Version = server revision; secrets only for the logged-in user, sealed
	// with this store's key). The local view (the users bucket) is rebuilt
	// from it plus a replay of the pending outbox.
	bucketServerCopy = []byte("srv_copy")
)

// Client meta keys.
const (
	// MetaServer is the URL of the server `airt sync` talks to.
	MetaServer = "sync_server"
	// metaEpochSeen, metaCursor and metaCursorID: the history position
	// pulled so far (decimal revision and the change id at it). The cursor
	// only moves forward.
	metaEpochSeen = "sync_epoch"
	metaCursor    = "sync_cursor"
	metaCursorID  = "sync_cursor_id"
	// metaHead is the server's latest revision at the last pull.
	metaHead = "sync_head"
	// metaPushedSeq is the highest sequence number of this store the server
	// said it processed.
	metaPushedSeq = "sync_pushed_seq"
	// metaLastPush and metaLastPull are RFC 3339 times of the last
	// successful push and pull.
	metaLastPush = "sync_last_push"
	metaLastPull = "sync_last_pull"
	// metaFullPull is set by AcceptReset: the pull in progress starts from
	// revision 0, and when it ends, local users the server no longer has
	// (and no queued change names) leave the local view.
	metaFullPull = "sync_full_pull"
)
