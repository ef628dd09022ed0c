package localstore

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"sort"
	"strconv"

	bolt "go.etcd.io/bbolt"

	"github.com/airt/airt/account"
)

// BucketStat is one bucket's line in a check report.
type BucketStat struct {
	Name string
	Keys int
	// Bytes is the size of the pages the bucket occupies (inline buckets:
	// 0, they live in their parent's page).
	Bytes int
}

// CheckReport is what Check found.
type CheckReport struct {
	FileSize  int64
	UsedSize  int64 // the pages bbolt's meta page counts (the rest is free space to grow into)
	SchemaVer string
	Users     int
	Outbox    int
	Buckets   []BucketStat
	// Problems lists every damage found, at most maxProblems of them.
	Problems []string
	// Notes are remarks that are not damage.
	Notes []string
	// More counts problems found beyond those listed.
	More int
}

const maxProblems = 50

// Check verifies the whole store: bbolt's own consistency (every page
// reachable once, no page both used and free), every record's checksum and
// encoding, and that the indexes and the records agree (each user has its
// username, email, order and super-user entries and each entry points to a
// user that has it; the rank index counts what it covers). It changes
// nothing. A store too damaged to open is reported by Open.
func (s *Store) Check() (*CheckReport, error) {
	r := &CheckReport{}
	if fi, err := statFile(s.path); err == nil {
		r.FileSize = fi
	}
	problem := func(format string, args ...any) {
		if len(r.Problems) < maxProblems {
			r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
		} else {
			r.More++
		}
	}
	err := guard(s.path, func() error {
		return s.db.View(func(btx *bolt.Tx) error {
			r.UsedSize = btx.Size()
			checkMetaPages(s.path, btx.DB().Info().PageSize, problem)
			for err := range btx.Check() {
				problem("pages: %v", err)
			}
			if len(r.Problems) > 0 {
				// The tree itself is broken: walking it could fault.
				return nil
			}
			t := &Tx{tx: btx, s: s}
			if m := btx.Bucket(bucketMeta); m != nil {
				r.SchemaVer = string(m.Get(keySchemaVersion))
			}
			if r.SchemaVer != strconv.Itoa(SchemaVersion) {
				r.Notes = append(r.Notes, fmt.Sprintf("the layout is schema %s, older than %d: records are checked once a command that writes has migrated it", r.SchemaVer, SchemaVersion))
				return nil
			}
			_ = btx.ForEach(func(name []byte, b *bolt.Bucket) error {
				st := b.Stats()
				r.Buckets = append(r.Buckets, BucketStat{Name: string(name), Keys: st.KeyN,
					Bytes: st.BranchAlloc + st.LeafAlloc})
				return nil
			})
			for _, name := range allBuckets {
				if btx.Bucket(name) == nil {
					problem("bucket %s is missing", name)
				}
			}
			if len(r.Problems) > 0 {
				return nil
			}
			checkUsers(t, r, problem)
			checkRecords(t, r, problem)
			return nil
		})
	})
	if err != nil && !errors.Is(err, ErrDamaged) {
		return nil, err
	}
	if err != nil {
		problem("%v", err)
	}
	sort.Slice(r.Buckets, func(i, j int) bool { return r.Buckets[i].Name < r.Buckets[j].Name })
	return r, nil
}

func checkUsers(t *Tx, r *CheckReport, problem func(string, ...any)) {
	tx := t.tx
	byName, byEmail := tx.Bucket(bucketByUsername), tx.Bucket(bucketByEmail)
	order, supers := tx.Bucket(bucketOrder), tx.Bucket(bucketSuperUsers)
	orderKeys := map[string]bool{}
	_ = tx.Bucket(bucketUsers).ForEach(func(k, v []byte) error {
		r.Users++
		u, err := UnmarshalUser("users", k, v)
		if err != nil {
			problem("%s", detail(err))
			return nil
		}
		id := string(k)
		if got := byName.Get([]byte(account.NormalizeKey(u.Username))); indexUUID(got) != id {
			problem("user %s: the username index does not point to it for %q", id, u.Username)
		}
		if got := byEmail.Get([]byte(account.NormalizeKey(u.Email))); indexUUID(got) != id {
			problem("user %s: the email index does not point to it for %q", id, u.Email)
		}
		ok := orderKey(u)
		orderKeys[string(ok)] = true
		if got := order.Get(ok); indexUUID(got) != id {
			problem("user %s: missing from the ls order index", id)
		}
		if in := supers.Get(k) != nil; in != (u.SuperUser && !u.Disabled) {
			problem("user %s: the super-user index says %v", id, in)
		}
		return nil
	})
	users := tx.Bucket(bucketUsers)
	for _, ix := range []struct {
		name string
		b    *bolt.Bucket
	}{{"username", byName}, {"email", byEmail}, {"ls order", order}} {
		_ = ix.b.ForEach(func(k, v []byte) error {
			if users.Get([]byte(indexUUID(v))) == nil {
				problem("%s index entry %q points to no user (%q)", ix.name, printableKey(k), indexUUID(v))
			} else if ix.b == order && !orderKeys[string(k)] {
				problem("ls order index entry %x belongs to no user's current fields", k)
			}
			return nil
		})
	}
	_ = supers.ForEach(func(k, _ []byte) error {
		if users.Get(k) == nil {
			problem("super-user index entry %q points to no user", printableKey(k))
		}
		return nil
	})
	checkRankIndex(tx, problem)
}

// checkRankIndex verifies that every chunk of the rank index counts exactly
// the order keys between it and the next chunk.
func checkRankIndex(tx *bolt.Tx, problem func(string, ...any)) {
	chunks := tx.Bucket(bucketOrderChunks)
	for _, s := range chunkSentinels {
		if chunks.Get(s) == nil {
			problem("rank index: the chunk %q is missing", s)
		}
	}
	var keys, counts [][]byte
	_ = chunks.ForEach(func(k, v []byte) error {
		keys, counts = append(keys, clone(k)), append(counts, clone(v))
		return nil
	})
	c := tx.Bucket(bucketOrder).Cursor()
	for i, ck := range keys {
		if len(counts[i]) != 4 {
			problem("rank index: chunk %x has a malformed count", ck)
			continue
		}
		want := binary.BigEndian.Uint32(counts[i])
		got := uint32(0)
		for k, _ := c.Seek(ck); k != nil; k, _ = c.Next() {
			if i+1 < len(keys) && bytes.Compare(k, keys[i+1]) >= 0 {
				break
			}
			got++
		}
		if got != want {
			problem("rank index: chunk %x counts %d users, the order index holds %d", ck, want, got)
		}
	}
}

func checkRecords(t *Tx, r *CheckReport, problem func(string, ...any)) {
	tx := t.tx
	_ = tx.Bucket(bucketOutbox).ForEach(func(k, v []byte) error {
		r.Outbox++
		if len(k) != 8 {
			problem("outbox key %x is not a sequence number", k)
			return nil
		}
		if _, _, err := t.decodeOutboxEntry(k, v); err != nil {
			problem("%s", detail(err))
		}
		return nil
	})
	_ = tx.Bucket(bucketSessions).ForEach(func(k, v []byte) error {
		var s Session
		if err := getJSONRecord("sessions", k, v, &s); err != nil {
			problem("%s", detail(err))
		}
		return nil
	})
	_ = tx.Bucket(bucketSMS).ForEach(func(k, v []byte) error {
		if bytes.HasSuffix(k, []byte("/sends")) {
			var sent []any
			if err := getJSONRecord("sms", k, v, &sent); err != nil {
				problem("%s", detail(err))
			}
		}
		return nil
	})
	if b := tx.Bucket(bucketServerCopy); b != nil {
		_ = b.ForEach(func(k, v []byte) error {
			if _, err := t.ServerCopy(string(k)); err != nil {
				problem("%s", detail(err))
			}
			return nil
		})
	}
}

// detail is a DamageError's text without the path (the report names the
// store once).
func detail(err error) string {
	var de *DamageError
	if errors.As(err, &de) {
		return de.Detail
	}
	return err.Error()
}

// checkMetaPages validates both of bbolt's meta pages in the file. bbolt
// silently opens the store as of the other one when one is invalid (its
// recovery from a torn write), which loses the last commit; Check says so.
func checkMetaPages(path string, pageSize int, problem func(string, ...any)) {
	metas, err := readMetas(path, pageSize)
	if err != nil {
		problem("read meta pages: %v", err)
		return
	}
	for i, m := range metas {
		if !m.valid {
			problem("bbolt meta page %d is invalid: the store opens as of the commit before the last one, which may be lost", i)
		}
	}
}

// metaPage is what airt reads of one of bbolt's two meta pages.
type metaPage struct {
	valid    bool
	pageSize int
	pages    uint64 // the high-water mark: pages the file must hold
}

// readMetas reads both meta pages of the file at path (pageSize 0: the
// size the first meta page records).
func readMetas(path string, pageSize int) ([2]metaPage, error) {
	var out [2]metaPage
	f, err := os.Open(path)
	if err != nil {
		return out, err
	}
	defer f.Close()
	const hdr = 16 // page header: id, flags, count, overflow
	parse := func(b []byte) metaPage {
		m := b[hdr:]
		// magic, version, page size, flags, root (pgid, sequence),
		// freelist, pgid, txid, then the FNV-64a checksum of all that.
		h := fnv.New64a()
		h.Write(m[:56])
		return metaPage{
			valid:    binary.LittleEndian.Uint32(m[0:4]) == 0xED0CDAED && h.Sum64() == binary.LittleEndian.Uint64(m[56:64]),
			pageSize: int(binary.LittleEndian.Uint32(m[8:12])),
			pages:    binary.LittleEndian.Uint64(m[40:48]),
		}
	}
	first := make([]byte, 4096)
	if _, err := io.ReadFull(f, first); err != nil {
		return out, err
	}
	out[0] = parse(first)
	if pageSize == 0 {
		pageSize = out[0].pageSize
		if !out[0].valid || pageSize < 1024 || pageSize > 1<<16 {
			pageSize = os.Getpagesize()
		}
	}
	second := make([]byte, 4096)
	if _, err := f.ReadAt(second, int64(pageSize)); err != nil {
		return out, err
	}
	out[1] = parse(second)
	return out, nil
}

// checkTruncated compares the file's length with what its valid meta pages
// say it holds: a store cut short (a failed copy, `truncate`) would
// otherwise fault inside bbolt when a page past the end is read.
func checkTruncated(path string, size int64) error {
	metas, err := readMetas(path, 0)
	if err != nil {
		return nil // bbolt reports what it cannot read
	}
	for _, m := range metas {
		if m.valid && int64(m.pages)*int64(m.pageSize) > size {
			return &DamageError{Path: path, Detail: fmt.Sprintf("the file is %d bytes long but its pages reach %d bytes (truncated)", size, int64(m.pages)*int64(m.pageSize))}
		}
	}
	return nil
}
