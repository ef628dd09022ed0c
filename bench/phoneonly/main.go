// Command phoneonly is the floor of airt's process start (bench/run.sh
// start): a program that only links github.com/nyaruka/phonenumbers, whose
// package initialisation decodes all of its metadata, and prints a line.
package main

import (
	"fmt"

	_ "github.com/nyaruka/phonenumbers"
)

func main() { fmt.Println("hello") }
