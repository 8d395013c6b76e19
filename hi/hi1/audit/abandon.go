package audit

// Abandon closes the file without the shutdown checkpoint: what a crash
// leaves behind (the next Open records the unclean end). For tests and for
// a stop that must not claim to be clean.
func (a *Auditor) Abandon() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.f == nil {
		return a.err
	}
	err := a.f.Close()
	a.f = nil
	return err
}
