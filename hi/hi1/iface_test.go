package hi1

import (
	"github.com/tdmtap/tdmtap/bridge"
	"github.com/tdmtap/tdmtap/hi/deliver"
	"github.com/tdmtap/tdmtap/hi/hi1/audit"
	"github.com/tdmtap/tdmtap/hi/hi1/sign"
	"github.com/tdmtap/tdmtap/hi/hi1/store"
	"github.com/tdmtap/tdmtap/hi/hi1/x1"
)

// The audit chain serves the bridge's and delivery's audit hooks; the
// store serves the signature verifier's nonce table and the store's own
// auditor hook.
var (
	_ bridge.Auditor         = (*audit.Auditor)(nil)
	_ deliver.Auditor        = (*audit.Auditor)(nil)
	_ x1.Auditor             = (*audit.Auditor)(nil)
	_ store.Auditor          = (*audit.Auditor)(nil)
	_ sign.NonceStore        = (*store.Store)(nil)
	_ bridge.SessionRecorder = (*store.Store)(nil) // intercepts in progress survive a restart
)
