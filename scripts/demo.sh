#!/usr/bin/env bash
# The main job on an embedded default: a throw-away store in a temp folder,
# the first super user, a few users, then ls, details, update, disable —
# shown as a user would see them. Nothing outside the temp folder is touched.
set -euo pipefail
airt=$(cd "$(dirname "${1:-bin/airt}")" && pwd)/$(basename "${1:-bin/airt}")
demo=$(mktemp -d)
trap 'rm -rf "$demo"' EXIT
export AIRT_DB=$demo/airt.db AIRT_KEYRING=file HOME=$demo NO_COLOR=1

# run echoes a command the way it would be typed, then runs it.
run() {
  printf '\n$ airt'
  for a in "$@"; do
    case $a in
      *\'*) printf ' "%s"' "$a" ;;
      *[!A-Za-z0-9_.,@+=/:-]*) printf " '%s'" "$a" ;;
      *) printf ' %s' "$a" ;;
    esac
  done
  printf '\n'
  "$airt" "$@"
}

run user create -un admin -fn Ada -ln Admin -e admin@example.com -p 'correct horse battery' -st large -su
run token -u admin -p 'correct horse battery' -q >/dev/null
echo "(logged in as admin; the session is kept in $demo/airt.db.keyring)"
run user create -un alice -fn Alice -ln Liddell -e alice@example.com -p 'alice in wonderland' -st small -ph '+44 7911 123456'
run user create -un bob -fn Bob -ln Builder -e bob@example.com -p 'can we fix it' -st medium -q
run user create -un carol -fn Carol -ln Danvers -e carol@example.com -p 'higher further faster' -st small -q
run user ls
run user details -u alice
run user update --user bob -fn Robert -f "{'username': '{}', 'first_name': '{}'}"
run user disable carol
run user ls --disabled -f username,email
run user ls --output json -l 1
