package pw

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"
)

// PacketHandler is implemented by SAToPReceiver and CESoPSNReceiver.
type PacketHandler interface {
	HandlePacket(b []byte)
}

// ServeUDP reads datagrams from conn and hands each to h until ctx is done
// (then it returns nil) or the socket fails. It does not allocate per packet.
// Give conn a large receive buffer first (SetReadBuffer, as tdm/source
// does): a burst that overflows the socket is lost and played out as loss
// fill.
func ServeUDP(ctx context.Context, conn *net.UDPConn, h PacketHandler) error {
	stop := context.AfterFunc(ctx, func() { _ = conn.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()
	buf := make([]byte, 65536)
	for {
		n, err := conn.Read(buf)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return fmt.Errorf("pseudowire receive on %s: %w", conn.LocalAddr(), err)
		}
		h.HandlePacket(buf[:n])
	}
}
