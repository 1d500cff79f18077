package server

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/jiedao-market/jiedao/internal/request"
)

// proxies are the trusted reverse proxies (http.trusted_proxies).
type proxies []netip.Prefix

// parseProxies reads addresses and CIDR ranges.
func parseProxies(list []string) (proxies, error) {
	out := make(proxies, 0, len(list))
	for _, s := range list {
		s = strings.TrimSpace(s)
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("http.trusted_proxies: %q is neither an address nor a CIDR range", s)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

func (ps proxies) trusted(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// clientAddr is the client of a request that reached us from peer: the peer
// itself, unless it is a trusted proxy; then, reading X-Forwarded-For (each
// header, comma-separated) from the right, the first address that is not a
// trusted proxy. The left part of the header is whatever the client sent, so
// it is never believed past the first untrusted hop. A malformed hop stops the
// walk at the last address known good.
func (ps proxies) clientAddr(peer netip.Addr, forwarded []string) netip.Addr {
	peer = peer.Unmap()
	if !ps.trusted(peer) {
		return peer
	}
	var hops []string
	for _, h := range forwarded {
		hops = append(hops, strings.Split(h, ",")...)
	}
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			return client
		}
		client = a.Unmap()
		if !ps.trusted(client) {
			return client
		}
	}
	return client
}

// clientIP records the request's client address (request.ClientIP) before
// anything reads it.
func (s *Server) clientIP(c *fiber.Ctx) error {
	peer, _ := netip.ParseAddr(c.Context().RemoteIP().String())
	addr := peer
	if len(s.proxies) > 0 {
		var forwarded []string
		c.Request().Header.VisitAll(func(k, v []byte) {
			if strings.EqualFold(string(k), fiber.HeaderXForwardedFor) {
				forwarded = append(forwarded, string(v))
			}
		})
		addr = s.proxies.clientAddr(peer, forwarded)
	}
	request.SetClientIP(c, addr.String())
	return c.Next()
}
