//! Who a request comes from, for the per-address limits: the TCP peer, or,
//! when the peer is one of the operator's `--trusted-proxies`, the right-most
//! address in `X-Forwarded-For` that is not a trusted proxy. Anything left of
//! that hop was written by the client and is ignored, so a client cannot pick
//! its own bucket.
//!
//! IPv6 clients are counted per /64: one subscriber usually holds a whole /64
//! and can use any address in it.

use std::net::{IpAddr, Ipv6Addr};

use axum::http::HeaderMap;
use ipnet::IpNet;

/// The proxies whose `X-Forwarded-For` is believed: addresses and networks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Parses `10.0.0.0/8,192.168.1.7,::1` (comma or space separated; a bare
    /// address is a network of one).
    pub fn parse(list: &str) -> Result<Self, String> {
        list.split([',', ' '])
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(parse_network)
            .collect::<Result<Vec<_>, _>>()
            .map(TrustedProxies)
    }

    pub fn contains(&self, address: IpAddr) -> bool {
        let address = canonical(address);
        self.0.iter().any(|network| network.contains(&address))
    }

    /// The client behind `peer`: `peer` itself unless it is trusted, else the
    /// right-most untrusted hop of `X-Forwarded-For` (every header of that name,
    /// in order). When every hop is trusted, the left-most one.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = canonical(peer);
        if !self.contains(peer) {
            return peer;
        }
        let mut client = peer;
        let hops = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .collect::<Vec<_>>();
        for hop in hops.iter().rev() {
            // What a trusted proxy appended is an address; anything else came
            // from further left, which only the client controls.
            let Ok(address) = hop.trim().parse::<IpAddr>() else {
                break;
            };
            client = canonical(address);
            if !self.contains(client) {
                break;
            }
        }
        client
    }
}

fn parse_network(item: &str) -> Result<IpNet, String> {
    item.parse::<IpNet>()
        .or_else(|_| item.parse::<IpAddr>().map(IpNet::from))
        .map(|network| network.trunc())
        .map_err(|_| format!("`{item}` is not an IP address or a CIDR network"))
}

/// IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`, as a dual-stack socket
/// reports IPv4 peers) as the IPv4 address they are.
pub fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}

/// The address a client's limits are counted under: IPv4 as it is, IPv6 by
/// its /64.
pub fn rate_key(address: IpAddr) -> IpAddr {
    match canonical(address) {
        IpAddr::V6(v6) => {
            let bits = u128::from(v6) & !((1_u128 << 64) - 1);
            IpAddr::V6(Ipv6Addr::from(bits))
        }
        v4 => v4,
    }
}

/// The client of a request, as the per-address limits count it (see
/// [`rate_key`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

#[cfg(test)]
mod tests {
    use super::*;

    fn forwarded(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append("x-forwarded-for", value.parse().unwrap());
        }
        headers
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn only_a_trusted_peer_is_believed_and_only_for_the_right_most_untrusted_hop() {
        let proxies = TrustedProxies::parse("10.0.0.0/8, 192.168.1.7").unwrap();
        let spoofed = forwarded(&["6.6.6.6, 203.0.113.9, 10.1.2.3"]);
        // An untrusted peer's header is ignored.
        assert_eq!(
            proxies.client(ip("198.51.100.4"), &spoofed),
            ip("198.51.100.4")
        );
        // Behind two trusted proxies, the client is the hop before them; what
        // the client wrote further left does not count.
        assert_eq!(
            proxies.client(ip("192.168.1.7"), &spoofed),
            ip("203.0.113.9")
        );
        // Several headers are one list, in order.
        let split = forwarded(&["6.6.6.6", "203.0.113.9", "10.1.2.3"]);
        assert_eq!(proxies.client(ip("10.0.0.1"), &split), ip("203.0.113.9"));
        // No header, or only trusted hops: the left-most trusted address.
        assert_eq!(
            proxies.client(ip("10.0.0.1"), &HeaderMap::new()),
            ip("10.0.0.1")
        );
        let internal = forwarded(&["10.9.9.9, 10.1.2.3"]);
        assert_eq!(proxies.client(ip("10.0.0.1"), &internal), ip("10.9.9.9"));
        // Garbage stops the walk at the last address a proxy vouched for.
        let garbage = forwarded(&["203.0.113.9, not-an-address, 10.1.2.3"]);
        assert_eq!(proxies.client(ip("10.0.0.1"), &garbage), ip("10.1.2.3"));
        // A dual-stack socket's mapped form is the IPv4 peer.
        assert_eq!(
            proxies.client(ip("::ffff:10.0.0.1"), &spoofed),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn ipv6_clients_share_their_64_and_ipv4_clients_do_not() {
        assert_eq!(
            rate_key(ip("2001:db8:1:2:aaaa:bbbb:cccc:dddd")),
            ip("2001:db8:1:2::")
        );
        assert_eq!(
            rate_key(ip("2001:db8:1:2::1")),
            rate_key(ip("2001:db8:1:2:ffff::9"))
        );
        assert_ne!(
            rate_key(ip("2001:db8:1:2::1")),
            rate_key(ip("2001:db8:1:3::1"))
        );
        assert_eq!(rate_key(ip("203.0.113.9")), ip("203.0.113.9"));
        assert_eq!(rate_key(ip("::ffff:203.0.113.9")), ip("203.0.113.9"));
    }

    #[test]
    fn proxy_lists_are_checked() {
        assert!(TrustedProxies::parse("10.0.0.0/8,::1").is_ok());
        assert_eq!(
            TrustedProxies::parse("").unwrap(),
            TrustedProxies::default()
        );
        let error = TrustedProxies::parse("10.0.0.0/33").unwrap_err();
        assert!(error.contains("10.0.0.0/33"), "{error}");
        assert!(TrustedProxies::parse("proxy.internal").is_err());
    }
}
