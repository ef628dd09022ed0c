//go:build (dragonfly && cgo) || (freebsd && cgo) || linux || netbsd || openbsd

package credentials

import (
	dbus "github.com/godbus/dbus/v5"
	ss "github.com/zalando/go-keyring/secret_service"
)

// On the Secret Service (Linux, BSD) go-keyring neither sets an entry's label
// (its Set names every entry "Password for 'USER' on 'SERVICE'") nor tells a
// locked collection from a missing service. These two reach the Secret
// Service through go-keyring's own D-Bus client, with the attributes its Get
// and Delete look for (service, username), so the entries stay go-keyring's.

const (
	secretsName       = "org.freedesktop.secrets"
	defaultCollection = dbus.ObjectPath("/org/freedesktop/secrets/aliases/default")
)

func init() {
	keyringSetLabeled = secretServiceSet
	keyringLockState = secretServiceLockState
}

// secretServiceSet stores value under (service, user) in the default
// collection with label, replacing an entry with the same attributes.
func secretServiceSet(service, user, label, value string) error {
	svc, err := ss.NewSecretService()
	if err != nil {
		return err
	}
	session, err := svc.OpenSession()
	if err != nil {
		return err
	}
	defer svc.Close(session)
	collection := svc.GetLoginCollection()
	if err := svc.Unlock(collection.Path()); err != nil {
		return err
	}
	return svc.CreateItem(collection, label,
		map[string]string{"username": user, "service": service},
		ss.NewSecret(session.Path(), value))
}

// secretServiceLockState reports whether the default collection is locked
// and, if so, whether it holds entries of service (searching needs no
// unlock: attributes are not secret). A Secret Service that is not running
// but can be started on demand counts as unlocked.
func secretServiceLockState(service string) (locked, hasEntries bool, err error) {
	conn, err := dbus.SessionBus()
	if err != nil {
		return false, false, err
	}
	var running bool
	if err := conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, secretsName).Store(&running); err != nil || !running {
		return false, false, err
	}
	obj := conn.Object(secretsName, defaultCollection)
	v, err := obj.GetProperty("org.freedesktop.Secret.Collection.Locked")
	if err != nil {
		return false, false, nil // no default collection yet: go-keyring's call will say
	}
	locked, _ = v.Value().(bool)
	if !locked {
		return false, false, nil
	}
	var unlocked, lockedItems []dbus.ObjectPath
	err = conn.Object(secretsName, "/org/freedesktop/secrets").
		Call("org.freedesktop.Secret.Service.SearchItems", 0, map[string]string{"service": service}).
		Store(&unlocked, &lockedItems)
	if err != nil {
		return true, true, nil // cannot tell: assume there are, so nothing is split
	}
	return true, len(unlocked)+len(lockedItems) > 0, nil
}
