package commands

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/alecthomas/kingpin/v2"
)

// registerCompletion adds --show-completion and --install-completion (as the
// original's Typer app offered) for bash, zsh and fish. bash and zsh use
// kingpin's templates; fish is written here around kingpin's hidden
// --completion-bash, which lists the candidates for a partial command line.
func registerCompletion(c *cli) {
	var show, install string
	shells := []string{"bash", "zsh", "fish"}
	c.app.Flag("show-completion", "Show the completion script for SHELL (bash, zsh, fish), to copy it or customize the installation.").
		PlaceHolder("SHELL").EnumVar(&show, shells...)
	c.app.Flag("install-completion", "Install completion for SHELL (bash, zsh, fish).").
		PlaceHolder("SHELL").EnumVar(&install, shells...)
	c.app.PreAction(func(*kingpin.ParseContext) error {
		switch {
		case show != "":
			fmt.Fprint(c.env.Stdout, completionScript(show))
		case install != "":
			path, err := installCompletion(c.env.Getenv("HOME"), install)
			if err != nil {
				fmt.Fprintf(c.env.Stderr, "Error: install %s completion: %s\n", install, err)
				panic(exitCode(ExitError))
			}
			fmt.Fprintf(c.env.Stdout, "%s completion installed in %s\nCompletion will take effect once you restart the terminal.\n", install, path)
		default:
			return nil
		}
		panic(exitCode(ExitOK))
	})
}

const fishCompletion = `# airt completion for fish
function __airt_complete
    set -l args (commandline -opc)
    set -e args[1]
    airt --completion-bash $args (commandline -ct)
end
complete -c airt -f -a '(__airt_complete)'
`

func completionScript(shell string) string {
	switch shell {
	case "bash":
		return strings.ReplaceAll(kingpin.BashCompletionTemplate, "{{.App.Name}}", "airt")
	case "zsh":
		return strings.ReplaceAll(kingpin.ZshCompletionTemplate, "{{.App.Name}}", "airt")
	}
	return fishCompletion
}

// installCompletion writes the script where each shell looks for it (the
// places Typer uses) and, for bash and zsh, adds one line to the rc file,
// once.
func installCompletion(home, shell string) (string, error) {
	if home == "" {
		return "", fmt.Errorf("HOME is not set")
	}
	var path, rc, line string
	switch shell {
	case "bash":
		path = filepath.Join(home, ".bash_completions", "airt.sh")
		rc, line = filepath.Join(home, ".bashrc"), "source "+path
	case "zsh":
		path = filepath.Join(home, ".zfunc", "_airt")
		rc, line = filepath.Join(home, ".zshrc"), "fpath+=~/.zfunc; autoload -Uz compinit; compinit"
	case "fish":
		path = filepath.Join(home, ".config", "fish", "completions", "airt.fish")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return "", err
	}
	if err := os.WriteFile(path, []byte(completionScript(shell)), 0o644); err != nil {
		return "", err
	}
	if rc == "" {
		return path, nil
	}
	old, err := os.ReadFile(rc)
	if err != nil && !os.IsNotExist(err) {
		return "", err
	}
	if strings.Contains(string(old), line) {
		return path, nil
	}
	f, err := os.OpenFile(rc, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return "", err
	}
	defer f.Close()
	if len(old) > 0 && !strings.HasSuffix(string(old), "\n") {
		fmt.Fprintln(f)
	}
	_, err = fmt.Fprintln(f, line)
	return path, err
}
