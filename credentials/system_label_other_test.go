//go:build !((dragonfly && cgo) || (freebsd && cgo) || linux || netbsd || openbsd)

package credentials

import "testing"

// checkRealLabel: Keychain and Credential Manager entries carry go-keyring's
// label (the service name); nothing to check.
func checkRealLabel(t *testing.T, service, user, want string) {}
