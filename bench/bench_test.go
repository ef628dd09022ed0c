// Package bench holds airt's benchmarks: Go benchmarks here, the
// command-line measurements in run.sh, the results in BENCHMARKS.md. None
// of them runs in `go test ./...` (there are no Test functions): run them
// with `go test ./bench -run '^$' -bench .` or `make bench`.
package bench

import (
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/airt/airt/account"
	"github.com/airt/airt/bulk"
	"github.com/airt/airt/localstore"
)

// BenchmarkHashFloor is the floor of an import with passwords: b.N argon2id
// hashes (account.HashPassword, the parameters of `airt user create`) spread
// over runtime.NumCPU() goroutines, nothing else. ns/op is the wall time per
// hash with every core busy; `-benchtime 10000x` hashes exactly 10,000.
func BenchmarkHashFloor(b *testing.B) {
	workers := runtime.NumCPU()
	jobs := make(chan int)
	var wg sync.WaitGroup
	b.ResetTimer()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				if _, err := account.HashPassword(fmt.Sprintf("password %07d", i)); err != nil {
					b.Error(err)
				}
			}
		}()
	}
	for i := 0; i < b.N; i++ {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	b.ReportMetric(float64(workers), "workers")
}

// BenchmarkHashOne is one argon2id hash on one core.
func BenchmarkHashOne(b *testing.B) {
	for i := 0; i < b.N; i++ {
		if _, err := account.HashPassword("password"); err != nil {
			b.Fatal(err)
		}
	}
}

func hashFile(n int) string {
	h, _ := account.HashPassword("user password")
	var sb strings.Builder
	sb.WriteString("username,first_name,last_name,email,password_hash,subscription_type,super_user,phone_number\n")
	fmt.Fprintf(&sb, "admin,Ada,Admin,admin@example.com,%q,large,true,\n", h)
	for i := 1; i < n; i++ {
		phone := ""
		if i%2 == 0 {
			phone = fmt.Sprintf("+4479%08d", i)
		}
		fmt.Fprintf(&sb, "user%07d,First,Last%d,user%07d@example.com,%q,small,false,%s\n", i, i, i, h, phone)
	}
	return sb.String()
}

// BenchmarkReadCheck is pass 1 of an import of 10,000 password_hash rows
// (decode and validate every row, no store): the cost per row without any
// hashing or writing.
func BenchmarkReadCheck(b *testing.B) {
	src := hashFile(10000)
	b.SetBytes(int64(len(src)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r, err := bulk.NewReader(strings.NewReader(src), bulk.CSV)
		if err != nil {
			b.Fatal(err)
		}
		for {
			row, err := r.Next()
			if err != nil {
				break
			}
			if p := bulk.ValidateRow(row); p != nil {
				b.Fatal(p)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/10000, "ns/row")
}

// BenchmarkImportHashes is pass 2 of an import of 10,000 password_hash rows
// into a fresh store (chunks of 500, fsync per commit): the store's share.
func BenchmarkImportHashes(b *testing.B) {
	src := hashFile(10000)
	key := make([]byte, 32)
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		s, err := localstore.Open(filepath.Join(b.TempDir(), "airt.db"), localstore.Options{
			Key: func(string, bool) ([]byte, error) { return key, nil }})
		if err != nil {
			b.Fatal(err)
		}
		r, _ := bulk.NewReader(strings.NewReader(src), bulk.CSV)
		b.StartTimer()
		im := &bulk.Importer{Store: s, Policy: bulk.Fail, Hash: account.HashPassword}
		if err := im.Run(r); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		s.Close()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/10000, "ns/row")
}
