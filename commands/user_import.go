package commands

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/alecthomas/kingpin/v2"

	"github.com/airt/airt/account"
	"github.com/airt/airt/bulk"
	"github.com/airt/airt/localstore"
)

// userImport is `airt user import`.
type userImport struct {
	c          *cli
	file       string
	format     string
	onConflict string
	dryRun     bool
	output     string
	quiet      bool
	otp        string
}

const importHelp = `Create (or update) users from a CSV or JSON Lines file, for bulk provisioning.

The CSV header row (or each JSON object's keys) names the columns: username, first_name, last_name, email, subscription_type, password or password_hash (a bcrypt $2b$ or argon2id PHC hash, to migrate users without knowing their passwords), and optionally super_user, phone_number, uuid, created and disabled. is_mfa_active and is_phone_number_verified (in an export) are ignored: a user proves those again. A file from 'airt user export' imports back unchanged, keeping uuid and created; into another store it needs a password or password_hash column, since an export carries no secret.

Every row is checked first, and every bad row is reported as FILE:LINE: problem; then nothing is changed. Rows naming an existing user (by uuid, username or email, case-insensitively) are bad unless --on-conflict says otherwise; 'update' changes only username, email, first_name and last_name (never a password). Changes are committed in chunks of 500 users, each queued for 'airt sync' like 'airt user create'; passwords are hashed on all cores. The store stays locked for the whole import. A row with disabled true is created, then disabled. A caller with MFA passes --otp (not needed for --dry-run).

It needs a super user, except on an empty store, where the first row must be a super user: it is created without a login and creates the others.

Example: airt user import --on-conflict skip users.csv`

func registerUserImport(c *cli, user *kingpin.CmdClause) {
	u := &userImport{c: c}
	cmd := user.Command("import", importHelp)
	cmd.Arg("file", "The CSV (.csv) or JSON Lines (.jsonl, .ndjson) file; - reads stdin.").Required().StringVar(&u.file)
	cmd.Flag("input-format", "The file's format (default: from its extension; for stdin, JSON Lines if it starts with '{', else CSV).").
		PlaceHolder("csv|jsonl").EnumVar(&u.format, "csv", "jsonl")
	cmd.Flag("on-conflict", "What to do with a row naming an existing user: fail (the default: report it, change nothing), skip, or update.").
		Default("fail").EnumVar(&u.onConflict, "fail", "skip", "update")
	cmd.Flag("dry-run", "Check every row and print what would be done; change nothing.").BoolVar(&u.dryRun)
	cmd.Flag("output", "Per-row result as a table (default), json or csv (fields line, username, result, uuid, detail).").
		PlaceHolder("table|json|csv").EnumVar(&u.output, "table", "json", "csv")
	cmd.Flag("quiet", "Print no per-row result, only the summary on stderr.").Short('q').BoolVar(&u.quiet)
	otpFlag(cmd, &u.otp)
	c.action(cmd, u.run)
}

func (u *userImport) run() error {
	u.c.mayCreateStore = true // an import may bootstrap a new store
	c := u.c
	// Read stdin before the store is opened (and locked): in
	// `airt user export | airt user import -` the export needs the lock.
	path, err := c.storePath()
	if err != nil {
		return err
	}
	src, err := u.openSource(path)
	if err != nil {
		return err
	}
	defer src.close()
	name := src.name
	s, err := c.openStore()
	if err != nil {
		return err
	}
	// Who imports: a logged-in super user, or nobody on an empty store.
	var caller *account.User
	bootstrap := false
	err = s.View(func(tx *localstore.Tx) error {
		if !tx.HasUsers() {
			bootstrap = true
			c.debugf("empty store: the first row bootstraps the first super user")
			return nil
		}
		var err error
		if caller, err = c.caller(tx); err != nil {
			return err
		}
		if err := account.CheckActive(caller); err != nil {
			return err
		}
		return account.RequireSuperUser(caller)
	})
	if err != nil {
		return err
	}
	if caller != nil && !u.dryRun {
		switch {
		case caller.MFAActive() && u.otp == "":
			return account.ErrOTPRequired
		case !caller.MFAActive() && u.otp != "":
			return account.ErrMFANotActive
		}
	}

	// Pass 1: check every row, report every bad one.
	policy := bulk.Policy(u.onConflict)
	out := bulk.NewResultWriter(c.env.Stdout, u.output)
	start := time.Now()
	checker := bulk.NewChecker(policy, bootstrap)
	shown := 0 // bad rows reported one by one (then only counted)
	err = s.View(func(tx *localstore.Tx) error {
		return u.eachRow(src, func(row *bulk.Row, rowErr error) error {
			d := checker.Check(tx, row, rowErr)
			if d.Action == bulk.ActFail && shown < maxBadRowsShown {
				shown++
				for _, p := range d.Problems {
					fmt.Fprintf(c.env.Stderr, "%s:%d: %s\n", name, d.Row.Line, p)
				}
			}
			out.Measure(bulk.ResultOf(&d, u.dryRun))
			return nil
		})
	})
	if err != nil {
		return err
	}
	if checker.Header {
		return account.Errorf(account.KindInvalid, "%s: the header row is bad", name).WithHint(
			"the first row names the columns, such as username,first_name,last_name,email,password,subscription_type")
	}
	total := checker.Counts[bulk.ActCreate] + checker.Counts[bulk.ActUpdate] + checker.Counts[bulk.ActSkip] + checker.Bad
	c.debugf("pass 1: %d rows checked in %s", total, time.Since(start).Round(time.Millisecond))

	if u.dryRun {
		// The plan: the same checks again, now printed row by row.
		plan := bulk.NewChecker(policy, bootstrap)
		err = s.View(func(tx *localstore.Tx) error {
			return u.eachRow(src, func(row *bulk.Row, rowErr error) error {
				d := plan.Check(tx, row, rowErr)
				return u.emit(out, bulk.ResultOf(&d, true))
			})
		})
		if err == nil && !u.quiet {
			err = out.Close()
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(c.env.Stderr, "dry run: %d would be created, %d updated, %d skipped, %d failed; nothing was changed\n",
			checker.Counts[bulk.ActCreate], checker.Counts[bulk.ActUpdate], checker.Counts[bulk.ActSkip], checker.Bad)
		if checker.Bad > 0 {
			return u.badRows(name, checker, total)
		}
		return nil
	}
	if checker.Bad > 0 {
		return u.badRows(name, checker, total)
	}

	// Pass 2: apply, chunk by chunk.
	r, err := src.reader()
	if err != nil {
		return err
	}
	bar := u.progress(total)
	counts := map[bulk.Action]int{}
	im := &bulk.Importer{Store: s, Caller: caller, Policy: policy, Hash: hashPassword,
		Before: func(tx *localstore.Tx, caller *account.User) error {
			return c.checkCallerOTP(tx, caller, u.otp)
		},
		Done: func(ds []bulk.Decision) error {
			for i := range ds {
				counts[ds[i].Action]++
				if err := u.emit(out, bulk.ResultOf(&ds[i], false)); err != nil {
					return err
				}
			}
			bar.Add(len(ds))
			return nil
		}}
	err = im.Run(r)
	bar.Finish()
	if !u.quiet {
		if cerr := out.Close(); err == nil {
			err = cerr
		}
	}
	var ae *bulk.ApplyError
	if errors.As(err, &ae) {
		return account.Errorf(account.KindOf(ae.Err), "%s:%d: %s", name, ae.Line, ae.Err).WithHint(fmt.Sprintf(
			"the %d rows before it were imported; fix the file and run the import again with --on-conflict skip", ae.Committed))
	}
	if err != nil {
		return err
	}
	c.debugf("pass 2: %d rows applied in %s", total, time.Since(start).Round(time.Millisecond))
	if c.debug {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		c.debugf("memory: Go runtime %d MiB from the OS (heap %d MiB), %d GC cycles; the store's mmap is not counted",
			ms.Sys>>20, ms.HeapSys>>20, ms.NumGC)
	}
	fmt.Fprintf(c.env.Stderr, "import: %d created, %d updated, %d skipped\n",
		counts[bulk.ActCreate], counts[bulk.ActUpdate], counts[bulk.ActSkip])
	return nil
}

func (u *userImport) emit(out *bulk.ResultWriter, r bulk.Result) error {
	if u.quiet {
		return nil
	}
	return out.Write(r)
}

// maxBadRowsShown bounds the bad rows reported one by one: re-importing a
// file of 20,000 existing users must not print 20,000 lines.
const maxBadRowsShown = 20

func (u *userImport) badRows(name string, c *bulk.Checker, total int) error {
	if more := c.Bad - maxBadRowsShown; more > 0 {
		file := u.file
		if file == "-" || file == "" {
			file = "FILE"
		}
		fmt.Fprintf(u.c.env.Stderr, "%s: %s not shown; 'airt user import --dry-run --output csv %s' lists every row with its problem\n",
			name, countOf(more, "more bad row", "more bad rows"), file)
	}
	good := total - c.Bad
	hint := "fix the rows above and run the import again; nothing was changed"
	switch {
	case c.Conflicts > 0 && c.Conflicts == c.Bad && good == 0:
		hint = "nothing was changed: every row names an existing user; --on-conflict update changes them, --on-conflict skip leaves them as they are"
	case c.Conflicts > 0 && c.Conflicts == c.Bad:
		other := fmt.Sprintf("the %d other rows", good)
		if good == 1 {
			other = "the other row"
		}
		hint = "nothing was changed; to import " + other + ", pass --on-conflict skip (or update)"
	case c.Conflicts > 0:
		hint = "nothing was changed; fix the other bad rows, and pass --on-conflict skip (or update) for the rows naming existing users"
	}
	return account.Errorf(account.KindInvalid, "%s: %d of %d rows are bad", name, c.Bad, total).WithHint(hint)
}

// eachRow reads the source from its start and calls fn for every row (and
// the header problems, as a row error on line 1).
func (u *userImport) eachRow(src *importSource, fn func(*bulk.Row, error) error) error {
	r, err := src.reader()
	if err != nil {
		if tl := tooLong(src.name, err); tl != nil {
			return tl
		}
		var re *bulk.RowError
		if errors.As(err, &re) {
			return fn(nil, err)
		}
		return err
	}
	for {
		row, err := r.Next()
		if err == io.EOF {
			return nil
		}
		if tl := tooLong(src.name, err); tl != nil {
			return tl
		}
		var re *bulk.RowError
		if err != nil && !errors.As(err, &re) {
			return fmt.Errorf("read %s: %w", src.name, err)
		}
		if err := fn(row, err); err != nil {
			return err
		}
	}
}

// tooLong words a *bulk.TooLongError (reading cannot go on after one) as
// FILE:LINE; nil for any other error.
func tooLong(name string, err error) error {
	var tl *bulk.TooLongError
	if !errors.As(err, &tl) {
		return nil
	}
	return account.Errorf(account.KindInvalid, "%s:%d: a CSV record longer than %d bytes (a huge field, or a quote never closed)",
		name, tl.Line, bulk.MaxLine).WithHint("nothing was changed; fix the record (its quotes) or split the field, then import again")
}

// importSource is the import file, opened once and read from the start by
// each pass. Standard input is spooled to a 0600 temporary file in the
// store's folder so that it can be read twice. It holds plaintext
// passwords, so on Unix its name is removed as soon as it is created: the
// open descriptor keeps the data readable, and no exit path (SIGTERM,
// Ctrl-C, kill -9, a crash) can leave it behind. Where an open file cannot
// be removed (Windows) it is removed on close, and the next import removes
// the ones a killed import left (staleSpools).
type importSource struct {
	name   string
	f      *os.File
	spool  string
	format bulk.Format
}

func (u *userImport) openSource(storePath string) (*importSource, error) {
	if u.file == "" {
		// kingpin v2.4.0 turns a lone "-" argument into an empty value.
		u.file = "-"
	}
	src := &importSource{name: u.file}
	if u.file == "-" {
		src.name = "stdin"
		dir := filepath.Dir(storePath)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("spool stdin: %w", err)
		}
		u.removeStaleSpools(dir)
		f, err := os.CreateTemp(dir, spoolPattern)
		if err != nil {
			return nil, fmt.Errorf("spool stdin: %w", err)
		}
		src.f, src.spool = f, f.Name()
		if runtime.GOOS != "windows" && os.Remove(f.Name()) == nil {
			src.spool = "" // gone already; the descriptor reads it
		}
		if err := f.Chmod(0o600); err != nil {
			src.close()
			return nil, err
		}
		if _, err := io.Copy(f, u.c.env.Stdin); err != nil {
			src.close()
			return nil, fmt.Errorf("spool stdin: %w", err)
		}
	} else {
		f, err := os.Open(u.file)
		if err != nil {
			return nil, account.Errorf(account.KindFailed, "%s: cannot open: %v", u.file, errors.Unwrap(err)).
				WithHint("give the path of a CSV or JSON Lines file, or - for stdin")
		}
		src.f = f
		src.format = bulk.FormatOf(u.file)
	}
	if src.format == "" {
		head := make([]byte, 512)
		n, _ := src.f.ReadAt(head, 0)
		src.format = bulk.Sniff(head[:n])
	}
	if u.format != "" {
		src.format = bulk.Format(u.format)
	}
	return src, nil
}

// spoolPattern names the spool files of `import -` (os.CreateTemp).
const spoolPattern = ".airt-import-*.tmp"

// removeStaleSpools removes the spool files an import left in dir when it
// was killed where a spool cannot be unlinked while open, and says so: they
// hold plaintext passwords. On Unix a live import's spool has no name
// beyond its first microseconds, so nothing in use is removed.
func (u *userImport) removeStaleSpools(dir string) {
	stale, _ := filepath.Glob(filepath.Join(dir, spoolPattern))
	for _, path := range stale {
		if err := os.Remove(path); err == nil {
			fmt.Fprintf(u.c.env.Stderr, "removed %s, left by an import that was killed (it held the passwords of its rows)\n", path)
		} else if !errors.Is(err, os.ErrNotExist) {
			fmt.Fprintf(u.c.env.Stderr, "warning: %s, left by an import that was killed, holds plaintext passwords and could not be removed: %s\n", path, err)
		}
	}
}

// reader returns a Reader of the file from its start.
func (src *importSource) reader() (*bulk.Reader, error) {
	if _, err := src.f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	return bulk.NewReader(src.f, src.format)
}

func (src *importSource) close() {
	src.f.Close()
	if src.spool != "" {
		os.Remove(src.spool)
	}
}

// progress is the import's progress bar (nil off a terminal).
func (u *userImport) progress(total int) *progressBar {
	if total == 0 {
		return nil
	}
	return u.c.newProgress("importing", total)
}
