package sccp

import "testing"

// FuzzSCCPDecode feeds arbitrary bytes to the guarded decoder (ITU and
// ANSI). It must never panic, and whatever the library path accepts our own
// parser must accept too (it is the length check in front of go-sccp).
func FuzzSCCPDecode(f *testing.F) {
	f.Add(AppendUDT(nil, 0, true, gtAddr(0, 6, "4912345678"), gtAddr(0x1234, 8, "491700000"), []byte{1, 2}, false), false)
	f.Add(craftedXUDT(), false)
	f.Add(AppendUDT(nil, 1, false, &Address{HasPC: true, PC: 7, RouteOnSSN: true}, &Address{HasSSN: true, SSN: 3, RouteOnSSN: true}, nil, false), false)
	f.Add([]byte{byte(RLSD), 1, 0, 0, 2, 0, 0, 3, 0}, false)
	f.Add([]byte{byte(LUDT), 0, 9, 8, 0, 10, 0, 12, 0, 0, 0, 1, 0x42, 1, 0x42, 1, 0, 'a'}, false)
	f.Add(AppendUDT(nil, 0, false, &Address{HasSSN: true, SSN: 254, HasPC: true, PC: 0x010203}, &Address{HasSSN: true, SSN: 1}, []byte{1}, true), true)
	f.Fuzz(func(t *testing.T, b []byte, ansi bool) {
		d := Decoder{ANSI: ansi}
		var m Message
		err := d.Decode(b, &m)
		var o Message
		oerr := Parse(b, ansi, &o)
		if (err == nil) != (oerr == nil) {
			t.Fatalf("decoder err %v, own parser err %v", err, oerr)
		}
		if err == nil {
			_ = m.String()
			if m.Type != o.Type {
				t.Fatalf("type %s vs %s", m.Type, o.Type)
			}
		}
	})
}
