package sync

// The buckets and meta keys the sync client adds to the localstore format
// (localstore/schema.go documents the rest, the server package its own).
// Values are JSON or decimal text.

// Client side.
var (
	// bucketServerCopy: user uuid -> account.User as the server last sent it,
	// as a checksummed record (localstore.MarshalUser), or a short record
	// saying "the same as the local view" while no queued change touches
	// the user (localstore/servercopy.go keeps it so)
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
