package obs

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Proxies are the networks whose X-Forwarded-For the server believes
// (--trusted-proxy). Without any, the client address is the connection's
// peer: a header any client can write must not pick the address the login
// limits count under.
type Proxies []netip.Prefix

// ParseProxies parses CIDRs (a bare address is one host).
func ParseProxies(cidrs []string) (Proxies, error) {
	var p Proxies
	for _, c := range cidrs {
		c = strings.TrimSpace(c)
		if !strings.Contains(c, "/") {
			a, err := netip.ParseAddr(c)
			if err != nil {
				return nil, fmt.Errorf("trusted proxy %q: not an address or CIDR", c)
			}
			p = append(p, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		pre, err := netip.ParsePrefix(c)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q: %v", c, err)
		}
		p = append(p, netip.PrefixFrom(pre.Addr().Unmap(), pre.Bits()).Masked())
	}
	return p, nil
}

func (p Proxies) trusts(a netip.Addr) bool {
	a = a.Unmap()
	for _, pre := range p {
		if pre.Contains(a) {
			return true
		}
	}
	return false
}

// ClientAddr returns the address of the client that made r: the peer, or,
// when the peer is a trusted proxy, the right-most X-Forwarded-For entry not
// itself a trusted proxy (entries to its left were written by the client and
// prove nothing). The result is an IP address, bounded in length.
func (p Proxies) ClientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	addr := peer.Unmap()
	if len(p) == 0 || !p.trusts(addr) {
		return addr.String()
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break // garbage from here leftwards: the last good hop stands
		}
		addr = a.Unmap()
		if !p.trusts(addr) {
			break
		}
	}
	return addr.String()
}
