package localstore

// The store layout, in one place, so a reader sees every bucket and key
// format at once. Every bucket is created by Open; keys and values are
// documented beside each name. Integers in keys are big-endian so that
// bbolt's byte order is numeric order.
//
// Since schema 4 the values of the record buckets (users, outbox, sessions,
// the send times in sms, and sync's srv_copy) are checksummed records:
//
//	0xA7 | CRC-32C of key + payload (4 bytes) | payload
//
// verified on every read (record.go, which also documents the compact user
// and mutation payloads). The username, email and order indexes name a user
// by the 16 bytes of its uuid (users.go: indexValue); meta values are plain
// text; `airt store check` verifies the indexes against the records.

// SchemaVersion is the layout version written to meta/schema_version. Open
// migrates older stores forward (migrations, below) and refuses newer ones.
const SchemaVersion = 4

var (
	// bucketMeta holds store-wide values:
	//   schema_version -> decimal string
	//   store_id       -> random 128-bit hex id of this store (keys the keyring entries and the sync device)
	//   created        -> RFC 3339 time the store was created
	//   key_check      -> a fixed text sealed with the store key (see Tx.Key)
	//   name_keys      -> the key function of the name indexes (namekeys.go)
	bucketMeta = []byte("meta")

	// bucketUsers: user uuid -> record of the user's compact encoding
	// (record.go; secrets sealed or hashed).
	bucketUsers = []byte("users")

	// bucketByUsername: account.NormalizeKey(username) (PRECIS
	// UsernameCaseMapped) -> uuid (16 bytes; unique). meta/name_keys names
	// the key function; Open rebuilds the three name-keyed indexes when it
	// changed (namekeys.go).
	bucketByUsername = []byte("idx_username")

	// bucketByEmail: account.NormalizeKey(email) -> uuid (16 bytes; unique).
	bucketByEmail = []byte("idx_email")

	// bucketOrder lists users in `ls` order, split by state so that a page of
	// active or disabled users never scans the other kind:
	//   'a'|'d' + created (8 bytes: unix seconds with the sign bit flipped;
	//   4 bytes: nanoseconds) + account.NormalizeKey(username) -> uuid (16 bytes)
	//   (schema 3; schema 2 had 8 bytes of unix nanoseconds, which overflow
	//   before 1678 and after 2262)
	bucketOrder = []byte("idx_order")

	// bucketOrderChunks is the rank index over bucketOrder (rank.go): first
	// order key of a chunk (or the sentinel "a" / "d") -> number of order
	// keys in the chunk (4 bytes). Added in schema 2.
	bucketOrderChunks = []byte("idx_order_chunks")

	// bucketSuperUsers: uuid -> empty, for every enabled super user (the
	// last-super-user guard counts it).
	bucketSuperUsers = []byte("idx_super")

	// bucketOutbox: sequence number (8 bytes) -> record of the mutation's
	// compact encoding (secrets sealed with the store key), in the order
	// the changes were made. NextSequence of this bucket numbers mutations
	// 1, 2, 3, … and commits or rolls back with the change itself.
	bucketOutbox = []byte("outbox")

	// bucketSessions: hex SHA-256 of a session token -> JSON record of a
	// Session. The token
	// itself lives only in the keyring (or the caller's AIRT_SERVICE_TOKEN).
	// On a server's store the same bucket holds the server tokens, so Apply
	// revokes both kinds on disable and password reset. The server's buckets
	// (srv_*) are documented in server/layout.go, the sync client's in
	// sync/layout.go.
	bucketSessions = []byte("sessions")

	// bucketSMS: user uuid + "/" + purpose -> otp.SMSChallenge as JSON,
	// sealed with the store key (additional data: the key). The code itself is
	// kept only as a salted HMAC inside the sealed record (sms.go).
	//   user uuid + "/sends" -> JSON record: the times codes were sent in
	//   the last hour (the send limit, otp.SendAllowed; not secret)
	bucketSMS = []byte("sms")
)

// appendBucket names the buckets whose keys are written in increasing order
// (sequence numbers, revisions, creation times). bbolt splits a full page in
// half by default, which leaves such a bucket half empty forever, as the
// half that is split off never receives another key; filling their pages to
// appendFill before a split keeps them dense (a key written out of order
// still fits: bbolt splits again). The fill is set on every write
// transaction (bbolt does not persist it).
var appendBucket = map[string]bool{
	"outbox": true, "idx_order": true, "idx_order_chunks": true,
	// users are keyed by uuid, and airt's uuids are time-ordered (NewUUID);
	// so are a client's server copies. Users imported with uuids of their
	// own (random) fill these pages less.
	"users": true, "srv_copy": true,
	// sync's server history and outcomes (sync/layout.go)
	"srv_changes": true, "srv_outcomes": true,
}

const appendFill = 0.95

var allBuckets = [][]byte{
	bucketMeta, bucketUsers, bucketByUsername, bucketByEmail, bucketOrder, bucketOrderChunks,
	bucketSuperUsers, bucketOutbox, bucketSessions, bucketSMS,
}

var (
	keySchemaVersion = []byte("schema_version")
	keyStoreID       = []byte("store_id")
	keyCreated       = []byte("created")
	keyKeyCheck      = []byte("key_check")
)
