package complianceapi

// HoldVerify makes every verification wait, holding its turn, until release is called; entered
// receives once each time one starts waiting.
func HoldVerify() (entered <-chan struct{}, release func()) {
	in := make(chan struct{}, 8)
	gate := make(chan struct{})
	hook := func() {
		in <- struct{}{}
		<-gate
	}
	testHookVerify.Store(&hook)
	return in, func() {
		close(gate)
		testHookVerify.Store(nil)
	}
}
