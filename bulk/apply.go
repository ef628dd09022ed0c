package bulk

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"

	"github.com/airt/airt/account"
	"github.com/airt/airt/localstore"
)

// DefaultChunk is how many rows an import commits per transaction.
const DefaultChunk = 500

// Importer is pass 2 of an import: it applies rows that pass 1 found good,
// in chunks of Chunk rows per transaction, each change with its outbox
// mutation (user.create, user.disable, user.update), exactly as `airt user
// create` and `airt user update` do: through localstore.Tx.Change.
type Importer struct {
	Store *localstore.Store
	// Caller is the logged-in super user; nil bootstraps an empty store
	// (the first row creates the first super user, who then creates the
	// rest).
	Caller *account.User
	Policy Policy
	// Chunk is the number of rows per transaction (0: DefaultChunk).
	Chunk int
	// Workers hash passwords in parallel (0: runtime.NumCPU()).
	Workers int
	// Hash hashes a password (account.HashPassword).
	Hash func(string) (string, error)
	// Before runs in the first transaction, before any row (the caller's
	// one-time code check).
	Before func(tx *localstore.Tx, caller *account.User) error
	// Done is called after each committed chunk with the decisions of its
	// rows, in file order.
	Done func([]Decision) error
}

// ApplyError is a failure in pass 2. Rows before Line were committed.
type ApplyError struct {
	Line      int
	Committed int
	Err       error
}

func (e *ApplyError) Error() string {
	return fmt.Sprintf("line %d: %v", e.Line, e.Err)
}

func (e *ApplyError) Unwrap() error { return e.Err }

// Run reads every row of r and applies it. It returns an *ApplyError when
// a row cannot be applied (the rows of the earlier chunks stay committed).
func (im *Importer) Run(r *Reader) error {
	chunk := im.Chunk
	if chunk <= 0 {
		chunk = DefaultChunk
	}
	workers := im.Workers
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	pool := newHashPool(workers, im.Hash)
	defer pool.close()
	checker := &Checker{Policy: im.Policy}
	actor := im.Caller
	committed := 0
	first := true
	rows := make([]*Row, 0, chunk)
	for {
		rows = rows[:0]
		var readErr error
		for len(rows) < chunk {
			row, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				line := 0
				var re *RowError
				if errors.As(err, &re) {
					line = re.Line
				}
				readErr = &ApplyError{Line: line, Committed: committed,
					Err: fmt.Errorf("the file changed since it was checked: %w", err)}
				break
			}
			// Pass 1 validated the row; Tx.Apply checks every rule again.
			rows = append(rows, row)
		}
		if len(rows) == 0 {
			return readErr
		}
		// Decide in a read transaction to know which rows need hashing,
		// hash them on all cores, then decide again and apply in one
		// write transaction.
		var plan []Decision
		err := im.Store.View(func(tx *localstore.Tx) error {
			plan = make([]Decision, len(rows))
			for i, row := range rows {
				plan[i] = checker.Decide(tx, row)
			}
			return nil
		})
		if err != nil {
			return err
		}
		hashes := make([]string, len(rows))
		var jobs []int
		for i, d := range plan {
			if d.Action == ActCreate && d.Row.Password != "" {
				jobs = append(jobs, i)
			}
		}
		if err := pool.run(jobs, rows, hashes); err != nil {
			return err
		}
		var done []Decision
		err = im.Store.Update(func(tx *localstore.Tx) error {
			done = done[:0]
			if first && im.Before != nil && actor != nil {
				if err := im.Before(tx, actor); err != nil {
					return err
				}
			}
			for i, row := range rows {
				d := checker.Decide(tx, row)
				if d.Action != plan[i].Action {
					return &ApplyError{Line: row.Line, Committed: committed,
						Err: fmt.Errorf("the store changed during the import (%s, then %s)", plan[i].Action, d.Action)}
				}
				if d.Action == ActFail {
					return &ApplyError{Line: row.Line, Committed: committed, Err: errors.New(d.Problems[0])}
				}
				hash := row.PasswordHash
				if hashes[i] != "" {
					hash = hashes[i]
				}
				created, err := im.apply(tx, actor, &d, hash)
				if err != nil {
					return &ApplyError{Line: row.Line, Committed: committed, Err: err}
				}
				if actor == nil && created != nil {
					actor = created // the bootstrap super user creates the rest
				}
				done = append(done, d)
			}
			return nil
		})
		if err != nil {
			return err
		}
		first = false
		committed += len(rows)
		// The chunk's pages of the store's map need not stay resident: a
		// large import would otherwise hold most of the file in RSS.
		im.Store.ReleaseMapped()
		if im.Done != nil {
			if err := im.Done(done); err != nil {
				return err
			}
		}
		if readErr != nil {
			return readErr
		}
	}
}

// apply makes the change of one decision in tx and queues it. For a
// created user it returns the user.
func (im *Importer) apply(tx *localstore.Tx, actor *account.User, d *Decision, hash string) (*account.User, error) {
	row := d.Row
	switch d.Action {
	case ActSkip:
		return nil, nil
	case ActUpdate:
		m := &localstore.Mutation{Op: localstore.OpUpdate, Target: d.Target.UUID,
			BaseVersion: d.Target.Version, Args: d.Changes}
		_, err := tx.Change(actor, m)
		return nil, err
	case ActCreate:
		uuid := row.UUID
		if uuid == "" {
			uuid = localstore.NewUUID()
		}
		m := &localstore.Mutation{Op: localstore.OpCreate, Target: uuid, Args: localstore.Args{
			Username: localstore.Str(row.Username), Email: localstore.Str(row.Email),
			FirstName: localstore.Str(row.FirstName), LastName: localstore.Str(row.LastName),
			SubscriptionType: localstore.Str(row.SubscriptionType), SuperUser: localstore.Bool(row.SuperUser),
			Secrets: localstore.Secrets{PasswordHash: hash},
		}}
		if row.Phone != "" {
			m.Args.Phone = localstore.Str(row.Phone)
		}
		if !row.Created.IsZero() {
			t := row.Created
			m.Args.Created = &t
		}
		u, err := tx.Change(actor, m)
		if err != nil {
			return nil, err
		}
		if actor == nil {
			actor = u
		}
		d.Target = u
		if row.Disabled {
			dm := &localstore.Mutation{Op: localstore.OpDisable, Target: u.UUID, BaseVersion: u.Version}
			if d.Target, err = tx.Change(actor, dm); err != nil {
				return nil, err
			}
		}
		return u, nil
	}
	return nil, fmt.Errorf("cannot apply a %s row", d.Action)
}

// hashPool hashes passwords on a fixed set of goroutines.
type hashPool struct {
	hash func(string) (string, error)
	jobs chan hashJob
	wg   sync.WaitGroup
}

type hashJob struct {
	password string
	out      *string
	err      *error
	done     *sync.WaitGroup
}

func newHashPool(n int, hash func(string) (string, error)) *hashPool {
	p := &hashPool{hash: hash, jobs: make(chan hashJob)}
	for range n {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			for j := range p.jobs {
				h, err := p.hash(j.password)
				*j.out, *j.err = h, err
				j.done.Done()
			}
		}()
	}
	return p
}

// run hashes rows[i].Password into hashes[i] for each i in idx and waits.
func (p *hashPool) run(idx []int, rows []*Row, hashes []string) error {
	if len(idx) == 0 {
		return nil
	}
	errs := make([]error, len(idx))
	var done sync.WaitGroup
	done.Add(len(idx))
	for k, i := range idx {
		p.jobs <- hashJob{password: rows[i].Password, out: &hashes[i], err: &errs[k], done: &done}
	}
	done.Wait()
	return errors.Join(errs...)
}

func (p *hashPool) close() {
	close(p.jobs)
	p.wg.Wait()
}
