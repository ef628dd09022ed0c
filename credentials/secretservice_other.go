//go:build !((dragonfly && cgo) || (freebsd && cgo) || linux || netbsd || openbsd)

package credentials

// Keychain (macOS) and Credential Manager (Windows): go-keyring's Set,
// whose label is the service name ("airt:<store id>"); they have no locked
// state airt can see (macOS asks the user itself).
