package server

import (
	"net/netip"
	"testing"
)

func TestClientAddr(t *testing.T) {
	t.Parallel()
	ps, err := parseProxies([]string{"10.0.0.0/8", "192.168.1.1", "::1"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		peer      string
		forwarded []string
		want      string
	}{
		{"no proxy: the peer, whatever the header", "203.0.113.9", []string{"198.51.100.1"}, "203.0.113.9"},
		{"one proxy", "10.0.0.5", []string{"203.0.113.7"}, "203.0.113.7"},
		{"forged hops before the real client", "10.0.0.5", []string{"1.1.1.1, 2.2.2.2, 203.0.113.7"}, "203.0.113.7"},
		{"two proxies", "192.168.1.1", []string{"1.1.1.1, 203.0.113.7, 10.9.9.9"}, "203.0.113.7"},
		{"several headers are one list", "10.0.0.5", []string{"1.1.1.1", "203.0.113.7, 10.2.2.2"}, "203.0.113.7"},
		{"spaces and IPv6", "::1", []string{" 2001:db8::7 , 10.0.0.1 "}, "2001:db8::7"},
		{"IPv4 in IPv6", "::ffff:10.0.0.5", []string{"::ffff:203.0.113.7"}, "203.0.113.7"},
		{"no header: the proxy", "10.0.0.5", nil, "10.0.0.5"},
		{"all proxies: the left-most", "10.0.0.5", []string{"10.3.3.3, 10.4.4.4"}, "10.3.3.3"},
		{"garbage stops at the last good hop", "10.0.0.5", []string{"203.0.113.7, not-an-ip, 10.1.1.1"}, "10.1.1.1"},
		{"garbage right after the proxy", "10.0.0.5", []string{"x"}, "10.0.0.5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ps.clientAddr(netip.MustParseAddr(tt.peer), tt.forwarded)
			if got.String() != tt.want {
				t.Errorf("clientAddr(%s, %q) = %s, want %s", tt.peer, tt.forwarded, got, tt.want)
			}
		})
	}
	if _, err := parseProxies([]string{"10.0.0.0/33"}); err == nil {
		t.Error("parseProxies(10.0.0.0/33) error = nil, want one")
	}
}
