package hi1

import (
	"errors"
)

// Abort stops the plane the way a crash would: the X1 listener and its
// connections are closed at once, the expiry ticker stops, the store is
// closed and the audit file is left without its shutdown checkpoint (the
// next Open records the unclean end). Tests use it to simulate a crash
// in-process; use Stop otherwise.
func (p *Plane) Abort() error {
	var errs []error
	if p.httpS != nil {
		errs = append(errs, p.httpS.Close())
	}
	if p.cancel != nil {
		p.cancel()
	}
	p.wg.Wait()
	errs = append(errs, p.Store.Close(), p.Audit.Abandon())
	return errors.Join(errs...)
}
