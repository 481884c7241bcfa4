package localrun

// SetFreeAddr replaces the port chooser until the returned func restores it.
func SetFreeAddr(f func() (string, error)) (restore func()) {
	saved := freeAddr
	freeAddr = f
	return func() { freeAddr = saved }
}

// FreeLoopbackAddr is the port chooser Start uses.
var FreeLoopbackAddr = freeLoopbackAddr
