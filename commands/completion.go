package commands

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/alecthomas/kingpin/v2"
)

// registerCompletion adds --show-completion and --install-completion (as the
// original's Typer app offered) for bash, zsh and fish. The three scripts
// ask `airt __complete` (complete.go) for the candidates, so they complete
// alike; each uses its own shell's file completion where a file is wanted.
func registerCompletion(c *cli) {
	var show, install string
	shells := []string{"bash", "zsh", "fish"}
	c.app.Flag("show-completion", "Show the completion script for SHELL (bash, zsh, fish), to copy it or customize the installation.").
		PlaceHolder("SHELL").EnumVar(&show, shells...)
	c.app.Flag("install-completion", "Install completion for SHELL (bash, zsh, fish) in that shell's user completion folder, and say what was written where.").
		PlaceHolder("SHELL").EnumVar(&install, shells...)
	c.app.PreAction(func(*kingpin.ParseContext) error {
		switch {
		case show != "":
			fmt.Fprint(c.env.Stdout, completionScript(show))
		case install != "":
			report, err := installCompletion(c.env.Getenv, install)
			if err != nil {
				fmt.Fprintf(c.env.Stderr, "Error: install %s completion: %s\n", install, err)
				panic(exitCode(ExitError))
			}
			fmt.Fprint(c.env.Stdout, report)
		default:
			return nil
		}
		panic(exitCode(ExitOK))
	})
}

// bashCompletion: COMP_WORDS up to the cursor go to airt; ":files" asks for
// bash's own file completion (compgen -f, shown as file names).
const bashCompletion = `# airt completion for bash
_airt() {
    local cur="${COMP_WORDS[COMP_CWORD]}"
    local IFS=$'\n'
    local -a out
    out=($("${COMP_WORDS[0]}" __complete "${COMP_WORDS[@]:1:$COMP_CWORD}" 2>/dev/null))
    if [[ ${#out[@]} -eq 1 && ${out[0]} == ":files" ]]; then
        compopt -o filenames 2>/dev/null
        COMPREPLY=($(compgen -f -- "$cur"))
        return 0
    fi
    COMPREPLY=("${out[@]}")
    return 0
}
complete -F _airt airt
`

// zshCompletion is an autoloadable function file: when compinit loads it
// from fpath, its body runs on the first TAB and must both define _airt and
// call it (else the first TAB completes nothing); sourced, it registers
// itself with compdef.
const zshCompletion = `#compdef airt
# airt completion for zsh
_airt() {
    local -a out
    out=("${(@f)$(${words[1]} __complete "${(@)words[2,$CURRENT]}" 2>/dev/null)}")
    out=(${out:#})
    if [[ ${#out} -eq 1 && ${out[1]} == ":files" ]]; then
        _files
        return
    fi
    compadd -- "${out[@]}"
}

if [[ "${funcstack[1]}" == "_airt" ]]; then
    _airt "$@"
else
    compdef _airt airt
fi
`

// fishCompletion: file names only where airt asks for them (no blanket
// "complete -f", no files in command position).
const fishCompletion = `# airt completion for fish
function __airt_complete
    set -l args (commandline -opc)
    set -e args[1]
    airt __complete $args (commandline -ct) 2>/dev/null
end
function __airt_wants_files
    set -l out (__airt_complete)
    test "$out" = ":files"
end
complete -c airt -f -n 'not __airt_wants_files' -a '(__airt_complete)'
complete -c airt -F -n '__airt_wants_files'
`

func completionScript(shell string) string {
	switch shell {
	case "bash":
		return bashCompletion
	case "zsh":
		return zshCompletion
	}
	return fishCompletion
}

// installCompletion writes the script to the user completion folder of the
// shell and returns what to tell the user: every file written or changed,
// and what else is needed.
//
//   - bash: bash-completion's user folder,
//     ${BASH_COMPLETION_USER_DIR:-${XDG_DATA_HOME:-~/.local/share}/bash-completion}/completions,
//     loaded on demand in new shells; nothing else is changed;
//   - zsh: there is no standard user folder: ~/.zfunc/_airt, and a line
//     adding it to fpath in ~/.zshrc (once; said so);
//   - fish: ${XDG_CONFIG_HOME:-~/.config}/fish/completions, loaded on demand.
func installCompletion(getenv func(string) string, shell string) (string, error) {
	home := getenv("HOME")
	if home == "" {
		return "", fmt.Errorf("HOME is not set")
	}
	var path, rc, line, after string
	switch shell {
	case "bash":
		dir := getenv("BASH_COMPLETION_USER_DIR")
		if dir == "" {
			data := getenv("XDG_DATA_HOME")
			if data == "" {
				data = filepath.Join(home, ".local", "share")
			}
			dir = filepath.Join(data, "bash-completion")
		}
		path = filepath.Join(dir, "completions", "airt")
		after = "bash-completion (the bash-completion package) loads it in new shells; without that package, add this line to ~/.bashrc:\n    source " + path + "\n"
	case "zsh":
		path = filepath.Join(home, ".zfunc", "_airt")
		rc, line = filepath.Join(home, ".zshrc"), "fpath=(~/.zfunc $fpath); autoload -Uz compinit; compinit"
		after = "Completion takes effect in new shells.\n"
	case "fish":
		config := getenv("XDG_CONFIG_HOME")
		if config == "" {
			config = filepath.Join(home, ".config")
		}
		path = filepath.Join(config, "fish", "completions", "airt.fish")
		after = "fish loads it in new shells.\n"
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return "", err
	}
	if err := os.WriteFile(path, []byte(completionScript(shell)), 0o644); err != nil {
		return "", err
	}
	report := fmt.Sprintf("wrote the %s completion script to %s\n", shell, path)
	if rc != "" {
		added, err := appendOnce(rc, line)
		if err != nil {
			return "", err
		}
		if added {
			report += fmt.Sprintf("added this line to %s:\n    %s\n", rc, line)
		} else {
			report += fmt.Sprintf("%s already has the line:\n    %s\n", rc, line)
		}
	}
	return report + after, nil
}

// appendOnce appends line to the file at path unless it already holds it.
func appendOnce(path, line string) (bool, error) {
	old, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return false, err
	}
	if strings.Contains(string(old), line) {
		return false, nil
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return false, err
	}
	defer f.Close()
	if len(old) > 0 && !strings.HasSuffix(string(old), "\n") {
		fmt.Fprintln(f)
	}
	_, err = fmt.Fprintln(f, line)
	return err == nil, err
}
