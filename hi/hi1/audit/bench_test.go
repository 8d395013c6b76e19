package audit

import (
	"crypto/ed25519"
	"log/slog"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkRecord measures one audit record (intercept start), with and
// without fsync.
func BenchmarkRecord(b *testing.B) {
	for _, sync := range []bool{false, true} {
		name := "nosync"
		if sync {
			name = "fsync"
		}
		b.Run(name, func(b *testing.B) {
			_, priv, _ := ed25519.GenerateKey(nil)
			a, err := Open(filepath.Join(b.TempDir(), "a"), Options{Key: priv, NoSync: !sync})
			if err != nil {
				b.Fatal(err)
			}
			defer a.Close()
			now := time.Now()
			b.ReportAllocs()
			for b.Loop() {
				a.Record("intercept.start", slog.String("liid", "LIID-UK-0001"), slog.Uint64("cin", 12345), slog.Time("time", now))
			}
		})
	}
}
