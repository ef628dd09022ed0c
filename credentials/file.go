package credentials

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// fileStore keeps entries in a JSON file, mode 0600:
//
//	{"airt:<store id>": {"<name>": "<value>", …}, …}
//
// Each change rewrites the whole file through a temporary file renamed over it.
type fileStore struct {
	service string
	path    string
}

func (f *fileStore) Backend() string { return ModeFile + ":" + f.path }

func (f *fileStore) Get(name string) (string, error) {
	all, err := f.read()
	if err != nil {
		return "", err
	}
	v, ok := all[f.service][name]
	if !ok {
		return "", notFound(name)
	}
	return v, nil
}

func (f *fileStore) Set(name, value string) error {
	all, err := f.read()
	if err != nil {
		return err
	}
	if all[f.service] == nil {
		all[f.service] = map[string]string{}
	}
	all[f.service][name] = value
	return f.write(all)
}

func (f *fileStore) Delete(name string) error {
	all, err := f.read()
	if err != nil {
		return err
	}
	if _, ok := all[f.service][name]; !ok {
		return nil
	}
	delete(all[f.service], name)
	if len(all[f.service]) == 0 {
		delete(all, f.service)
	}
	if len(all) == 0 {
		// No entry left for any store: no file, rather than an empty one
		// that a backup carries beside the store.
		if err := os.Remove(f.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("credentials file: %w", err)
		}
		return nil
	}
	return f.write(all)
}

// hasEntries reports whether the file holds an entry for this store, or exists but cannot be
// read (so that its error surfaces on use instead of the file being silently passed over).
func (f *fileStore) hasEntries() bool {
	all, err := f.read()
	if err != nil {
		return !errors.Is(err, fs.ErrNotExist)
	}
	return len(all[f.service]) > 0
}

// read returns the whole file, an empty map when it does not exist. It first restricts an
// existing file to mode 0600 and fails if it cannot.
func (f *fileStore) read() (map[string]map[string]string, error) {
	info, err := os.Lstat(f.path)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]map[string]string{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("credentials file: %w", err)
	}
	if info.Mode()&fs.ModeSymlink != 0 {
		// Following it would chmod its target to 0600 and write secrets
		// wherever it points (another user's file, a shared folder).
		return nil, fmt.Errorf("credentials file %s is a symbolic link; airt does not follow it: remove it (rm %s) and log in again", f.path, f.path)
	}
	if !info.Mode().IsRegular() && !info.IsDir() {
		return nil, fmt.Errorf("credentials file %s is not a regular file; remove it and log in again", f.path)
	}
	if info.IsDir() {
		return nil, fmt.Errorf("credentials file %s: is a directory", f.path)
	}
	if perm := info.Mode().Perm(); perm != 0o600 && runtime.GOOS != "windows" {
		if err := os.Chmod(f.path, 0o600); err != nil {
			return nil, fmt.Errorf("credentials file %s has mode %04o and cannot be restricted to 0600: %w; run chmod 600 %s",
				f.path, perm, err, f.path)
		}
	}
	data, err := os.ReadFile(f.path)
	if err != nil {
		return nil, fmt.Errorf("credentials file: %w", err)
	}
	all := map[string]map[string]string{}
	if len(data) > 0 {
		if err := json.Unmarshal(data, &all); err != nil {
			return nil, fmt.Errorf("credentials file %s: not valid JSON: %w", f.path, err)
		}
	}
	return all, nil
}

// write replaces the file with all: temporary file (0600) in the same folder, sync, rename.
func (f *fileStore) write(all map[string]map[string]string) (err error) {
	data, err := json.MarshalIndent(all, "", "  ")
	if err != nil {
		return fmt.Errorf("credentials file: %w", err)
	}
	data = append(data, '\n')
	dir, base := filepath.Split(f.path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, base+".tmp-*") // created with mode 0600
	if err != nil {
		return fmt.Errorf("credentials file: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err = tmp.Chmod(0o600); err != nil && runtime.GOOS != "windows" {
		return fmt.Errorf("credentials file: %w", err)
	}
	if _, err = tmp.Write(data); err != nil {
		return fmt.Errorf("credentials file: %w", err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("credentials file: %w", err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("credentials file: %w", err)
	}
	if err = os.Rename(tmp.Name(), f.path); err != nil {
		return fmt.Errorf("credentials file: %w", err)
	}
	if d, derr := os.Open(dir); derr == nil { // make the rename durable; best effort
		d.Sync()
		d.Close()
	}
	return nil
}
