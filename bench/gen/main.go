// Command gen writes an import file of N users for the benchmarks
// (bench/run.sh): CSV (default) or JSON Lines, with a password per row
// (-pass) or one precomputed password_hash shared by all rows (-hash, so no
// row is hashed on import). The first row is the super user "admin" with the
// password "admin password" (as an argon2id hash, or a password with -pass),
// so an import bootstraps an empty store and `airt token -u admin` works.
//
//	go run ./bench/gen -n 10000 -hash > users.csv
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"

	"github.com/airt/airt/account"
)

func main() {
	n := flag.Int("n", 10000, "number of users (the admin included)")
	start := flag.Int("start", 0, "number of the first generated user (to make new users for an existing store)")
	hash := flag.Bool("hash", false, "password_hash rows (one precomputed argon2id hash) instead of passwords")
	jsonl := flag.Bool("jsonl", false, "write JSON Lines instead of CSV")
	noAdmin := flag.Bool("no-admin", false, "leave out the admin row")
	flag.Parse()
	w := bufio.NewWriterSize(os.Stdout, 1<<20)
	defer w.Flush()
	adminHash, err := account.HashPassword("admin password")
	check(err)
	userHash, err := account.HashPassword("user password")
	check(err)
	col, secret := "password", func(i int) string { return fmt.Sprintf("password %07d", i) }
	if *hash {
		col, secret = "password_hash", func(int) string { return userHash }
	}
	if !*jsonl {
		fmt.Fprintf(w, "username,first_name,last_name,email,%s,subscription_type,super_user,phone_number\n", col)
	}
	row := func(user, first, last, email, sec, sub string, super bool, phone string) {
		if *jsonl {
			fmt.Fprintf(w, `{"username":%q,"first_name":%q,"last_name":%q,"email":%q,%q:%q,"subscription_type":%q,"super_user":%t,"phone_number":%q}`+"\n",
				user, first, last, email, col, sec, sub, super, phone)
			return
		}
		fmt.Fprintf(w, "%s,%s,%s,%s,\"%s\",%s,%t,%s\n", user, first, last, email, sec, sub, super, phone)
	}
	count := *n
	if !*noAdmin {
		sec := "admin password"
		if *hash {
			sec = adminHash
		}
		row("admin", "Ada", "Admin", "admin@example.com", sec, "large", true, "")
		count--
	}
	subs := account.SubscriptionTypes
	for i := *start; i < *start+count; i++ {
		phone := ""
		if i%2 == 0 {
			phone = fmt.Sprintf("+4479%08d", i%100000000)
		}
		row(fmt.Sprintf("user%07d", i), "First", fmt.Sprintf("Last%d", i), fmt.Sprintf("user%07d@example.com", i),
			secret(i), subs[i%len(subs)], false, phone)
	}
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}
