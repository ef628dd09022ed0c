//go:build (dragonfly && cgo) || (freebsd && cgo) || linux || netbsd || openbsd

package credentials

import (
	"testing"

	dbus "github.com/godbus/dbus/v5"
)

// checkRealLabel checks the label of the Secret Service item (service, user).
func checkRealLabel(t *testing.T, service, user, want string) {
	t.Helper()
	if got := realLabel(t, service, user); got != want {
		t.Errorf("keyring label %q; want %q", got, want)
	}
}

// realLabel reads the label of the Secret Service item (service, user).
func realLabel(t *testing.T, service, user string) string {
	t.Helper()
	conn, err := dbus.SessionBus()
	if err != nil {
		t.Fatal(err)
	}
	var unlocked, locked []dbus.ObjectPath
	err = conn.Object(secretsName, "/org/freedesktop/secrets").
		Call("org.freedesktop.Secret.Service.SearchItems", 0, map[string]string{"service": service, "username": user}).
		Store(&unlocked, &locked)
	if err != nil || len(unlocked) != 1 {
		t.Fatalf("search %s/%s: %v, %d items", service, user, err, len(unlocked))
	}
	v, err := conn.Object(secretsName, unlocked[0]).GetProperty("org.freedesktop.Secret.Item.Label")
	if err != nil {
		t.Fatal(err)
	}
	label, _ := v.Value().(string)
	return label
}
