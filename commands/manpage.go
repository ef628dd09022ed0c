package commands

import "github.com/alecthomas/kingpin/v2"

// The man page (`airt --help-man`, installed by `make install`) is kingpin's
// own, with the sections a man page reader looks for that kingpin leaves
// out: a real NAME line, ENVIRONMENT, EXIT STATUS, FILES and SEE ALSO.
func init() { kingpin.ManPageTemplate = manPageTemplate }

const manPageTemplate = `{{define "FormatFlags" -}}
{{range .Flags -}}
{{if not .Hidden -}}
.TP
\fB{{if .Short}}-{{.Short|Char}}, {{end}}--{{.Name}}{{if not .IsBoolFlag}}={{.FormatPlaceHolder}}{{end -}}\fR
{{.Help}}
{{end -}}
{{end -}}
{{end -}}

{{define "FormatCommand" -}}
{{if .FlagSummary}} {{.FlagSummary}}{{end -}}
{{range .Args}}{{if not .Hidden}} {{if not .Required}}[{{end}}{{if .PlaceHolder}}{{.PlaceHolder}}{{else}}<{{.Name}}>{{end}}{{if .Value|IsCumulative}}...{{end}}{{if not .Required}}]{{end}}{{end}}{{end -}}
{{end -}}

{{define "FormatCommands" -}}
{{range .FlattenedCommands -}}
{{if not .Hidden -}}
.SS
\fB{{.FullCommand}}{{template "FormatCommand" . -}}\fR
.PP
{{.Help}}
{{template "FormatFlags" . -}}
{{end -}}
{{end -}}
{{end -}}

{{define "FormatUsage" -}}
{{template "FormatCommand" .}}{{if .Commands}} <command> [<args> ...]{{end -}}\fR
{{end -}}

.TH AIRT 1 "" "airt" "User Commands"
.SH "NAME"
airt \- offline-first administration of user accounts
.SH "SYNOPSIS"
.TP
\fB{{.App.Name}}{{template "FormatUsage" .App}}
.SH "DESCRIPTION"
airt administers user accounts in a local store (one file), works offline,
queues every change, and reconciles the queue with an \fBairt server\fR
(\fBairt sync\fR), which ships in the same binary.
.PP
Log in with \fBairt token\fR (on a terminal the password is asked for without
echo; scripts pass \fB--password-stdin\fR). The session is kept in the OS
keyring (Secret Service, Keychain, Credential Manager) or, where there is none,
in a mode 0600 file beside the store.
.SH "OPTIONS"
{{template "FormatFlags" .App -}}
{{if .App.Commands -}}
.SH "COMMANDS"
{{template "FormatCommands" .App -}}
{{end -}}
.SH "ENVIRONMENT"
.TP
\fBAIRT_DB\fR
Path of the local store (as \fB--db\fR).
.TP
\fBAIRT_SERVICE_USERNAME\fR, \fBAIRT_SERVICE_PASSWORD\fR
Default username and password of \fBairt token\fR.
.TP
\fBAIRT_SERVICE_TOKEN\fR
A session token to use instead of the keyring's.
.TP
\fBAIRT_KEYRING\fR
Where credentials are kept: \fBsystem\fR (the OS keyring), \fBfile\fR (a 0600
file beside the store), or empty to choose automatically.
.TP
\fBAIRT_CA_CERT\fR
PEM file of a certificate authority trusted for the server (as \fB--cacert\fR).
.TP
\fBSSL_CERT_FILE\fR, \fBSSL_CERT_DIR\fR
Replace the system's certificate authorities (as for every Go program).
.TP
\fBAIRT_LOCK_TIMEOUT\fR
How long to wait for the store's lock (such as 30s).
.TP
\fBAIRT_SMS_COMMAND\fR
Command that sends one-time codes by SMS (the message on its standard input,
the number in \fBAIRT_SMS_TO\fR).
.TP
\fBXDG_DATA_HOME\fR
The default store is \fB$XDG_DATA_HOME/airt/airt.db\fR.
.TP
\fBNO_COLOR\fR, \fBTERM\fR
\fBNO_COLOR\fR set, or \fBTERM=dumb\fR: no colours or cursor movement; progress
is printed as plain lines.
.SH "EXIT STATUS"
.TP
\fB0\fR
Success.
.TP
\fB1\fR
Error.
.TP
\fB2\fR
Usage error (a missing or bad flag; a missing password off a terminal).
.TP
\fB3\fR
Sync finished, but some changes were rejected or are in conflict.
.TP
\fB4\fR
Not logged in, or credentials refused.
.TP
\fB5\fR
Permission denied.
.TP
\fB6\fR
The server could not be reached (or its certificate is not trusted).
.SH "FILES"
.TP
\fB~/.local/share/airt/airt.db\fR
The default store.
.TP
\fISTORE\fB.keyring\fR
Credentials, when no OS keyring is available (mode 0600).
.SH "SEE ALSO"
The README of the airt repository.
`
