package commands

import (
	"fmt"
	"io"
	"reflect"
	"sort"
	"strings"

	"github.com/alecthomas/kingpin/v2"
)

// completeCommand is the hidden command the completion scripts call:
//
//	airt __complete WORD... CURRENT
//
// WORDs are the words before the cursor (without "airt"), CURRENT the
// partial word under it (possibly empty). It prints the candidates that
// start with CURRENT, one per line, or the single line ":files" when the
// shell should complete file names (a --db value, the import file), so each
// shell uses its own file completion. kingpin's --completion-bash misses
// subcommands of a command with a default one (sync), completes command
// names after --db, and never offers a flag for a lone "-"; this walks
// kingpin's model instead and asks kingpin only for flag values (enums).
const completeCommand = "__complete"

// completeFiles is the line that asks the shell for file names.
const completeFiles = ":files"

func (c *cli) complete(words []string, w io.Writer) {
	cur := ""
	if len(words) > 0 {
		cur, words = words[len(words)-1], words[:len(words)-1]
	}
	words = joinEquals(words)
	model := c.app.Model()
	var path []*kingpin.CmdModel // the commands named so far
	commands := func() []*kingpin.CmdModel {
		if len(path) == 0 {
			return model.Commands
		}
		return path[len(path)-1].Commands
	}
	flags := func() []*kingpin.FlagModel {
		fs := append([]*kingpin.FlagModel{}, model.Flags...)
		for _, p := range path {
			fs = append(fs, p.Flags...)
		}
		return fs
	}
	var valueOf *kingpin.FlagModel // the flag whose value cur is
	args, dashdash := 0, false
	// "--flag=" before the cursor (bash splits at "=") or "--flag=par" under
	// it (zsh, fish): cur is the flag's value; candidates keep the prefix
	// the shell expects back.
	prefix := ""
	if n := len(words); n > 0 && strings.HasPrefix(words[n-1], "-") && strings.HasSuffix(words[n-1], "=") {
		words[n-1] = strings.TrimSuffix(words[n-1], "=")
	} else if name, value, ok := strings.Cut(cur, "="); ok && strings.HasPrefix(cur, "-") {
		words = append(words, name)
		prefix, cur = name+"=", value
	}
	for _, word := range words {
		switch {
		case valueOf != nil:
			valueOf = nil
		case dashdash || !strings.HasPrefix(word, "-") || word == "-":
			if sub := findCommand(commands(), word); sub != nil && !dashdash && args == 0 {
				path = append(path, sub)
			} else {
				args++
			}
		case word == "--":
			dashdash = true
		default:
			name, _, hasValue := strings.Cut(word, "=")
			if f := findFlag(flags(), name); f != nil && !f.IsBoolFlag() && !hasValue {
				valueOf = f
			}
		}
	}
	var cands []string
	files := false
	switch {
	case valueOf != nil:
		if fileValue(valueOf) {
			files = true
			break
		}
		cands = flagValues(valueOf)
	case strings.HasPrefix(cur, "-") && !dashdash:
		cands = flagSpellings(flags())
	default:
		for _, sub := range commands() {
			if !sub.Hidden && args == 0 {
				cands = append(cands, sub.Name)
			}
		}
		if len(cands) == 0 && len(path) > 0 {
			cmd := path[len(path)-1]
			if args < len(cmd.Args) && fileArg(cmd.Args[args]) {
				files = true
			}
		}
	}
	if files && prefix == "" {
		fmt.Fprintln(w, completeFiles)
		return
	}
	sort.Strings(cands)
	for _, cand := range cands {
		if strings.HasPrefix(cand, cur) {
			fmt.Fprintln(w, prefix+cand)
		}
	}
}

// joinEquals puts "--flag", "=", "value" back together: bash splits words
// at "=" (COMP_WORDBREAKS).
func joinEquals(words []string) []string {
	var out []string
	for i := 0; i < len(words); i++ {
		if words[i] == "=" && len(out) > 0 {
			out[len(out)-1] += "="
			if i+1 < len(words) {
				out[len(out)-1] += words[i+1]
				i++
			}
			continue
		}
		out = append(out, words[i])
	}
	return out
}

func findCommand(cmds []*kingpin.CmdModel, name string) *kingpin.CmdModel {
	for _, cmd := range cmds {
		if cmd.Name == name {
			return cmd
		}
		for _, a := range cmd.Aliases {
			if a == name {
				return cmd
			}
		}
	}
	return nil
}

// findFlag finds a flag by its spelling on the command line: --name, -x or
// one of the original's legacy forms (-un).
func findFlag(flags []*kingpin.FlagModel, spelling string) *kingpin.FlagModel {
	if long, ok := legacyFlags[spelling]; ok {
		spelling = long
	}
	for _, f := range flags {
		if spelling == "--"+f.Name || (f.Short != 0 && spelling == "-"+string(f.Short)) {
			return f
		}
	}
	return nil
}

// flagSpellings lists every way to write the visible flags: --name, -x and
// the legacy -un forms.
func flagSpellings(flags []*kingpin.FlagModel) []string {
	legacyOf := map[string]string{}
	for short, long := range legacyFlags {
		legacyOf[long] = short
	}
	var out []string
	for _, f := range flags {
		if f.Hidden {
			continue
		}
		out = append(out, "--"+f.Name)
		if f.Short != 0 {
			out = append(out, "-"+string(f.Short))
		}
		if l, ok := legacyOf["--"+f.Name]; ok {
			out = append(out, l)
		}
	}
	return out
}

// fileValue reports whether a flag's value is a file name (--db PATH,
// --cacert FILE, --tls-cert …).
func fileValue(f *kingpin.FlagModel) bool {
	return f.PlaceHolder == "PATH" || f.PlaceHolder == "FILE"
}

// fileArg reports whether a positional argument is a file name.
func fileArg(a *kingpin.ArgModel) bool {
	return a.Name == "file" || a.PlaceHolder == "FILE"
}

// flagValues lists the values of an enum flag. kingpin keeps an enum's
// options in an unexported field and prints its own completions straight to
// the process's stdout, so they are read here by reflection, with the
// "a|b|c" placeholder as a fallback.
func flagValues(f *kingpin.FlagModel) []string {
	if v := reflect.ValueOf(f.Value); v.Kind() == reflect.Pointer && v.Elem().Kind() == reflect.Struct {
		if opts := v.Elem().FieldByName("options"); opts.IsValid() && opts.Kind() == reflect.Slice {
			out := make([]string, opts.Len())
			for i := range out {
				out[i] = opts.Index(i).String()
			}
			return out
		}
	}
	if strings.Contains(f.PlaceHolder, "|") {
		return strings.Split(f.PlaceHolder, "|")
	}
	return nil
}
