//! Where the server may connect on a tenant's behalf: the egress policy for
//! agent runtimes and webhook endpoints. A runtime URL comes from a tenant, who must not be able to
//! make the server reach what only the server can reach: its own loopback,
//! the private network it sits in, a cloud's metadata address.
//!
//! Only globally routable addresses are allowed, plus what the operator allows
//! by name or network (`--runtime-allow`). A URL is checked when an agent is
//! saved (its literal address, and names that are loopback by definition), and
//! again when the server connects: names are resolved and only allowed
//! addresses are ever dialled ([`allowed_addresses`], and [`PolicyResolver`]
//! for reqwest: `chat/relay/http.rs`, `webhooks/delivery.rs`), so a name that
//! resolves to 127.0.0.1 is refused as surely as `127.0.0.1` itself.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use ipnet::IpNet;
use reqwest::Url;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::Host;

/// What the operator allows besides globally routable addresses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EgressPolicy {
    /// Host names (lower case) allowed whatever they resolve to.
    hosts: Vec<String>,
    /// Networks allowed, resolved or literal.
    networks: Vec<IpNet>,
}

/// Why a runtime address is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{what} is a {class} address, which agent runtimes may not use; the server's operator can \
     allow it with --runtime-allow"
)]
pub struct Refused {
    pub what: String,
    pub class: &'static str,
}

impl EgressPolicy {
    /// Parses `--runtime-allow`: comma- or space-separated host names, IP
    /// addresses and CIDR networks, e.g. `127.0.0.1,10.1.0.0/16,langflow.internal`.
    pub fn parse(list: &str) -> Result<Self, String> {
        let mut policy = EgressPolicy::default();
        for item in list
            .split([',', ' '])
            .map(str::trim)
            .filter(|i| !i.is_empty())
        {
            if let Ok(network) = item.parse::<IpNet>() {
                policy.networks.push(network.trunc());
            } else if let Ok(address) = item.trim_matches(['[', ']']).parse::<IpAddr>() {
                policy.networks.push(IpNet::from(canonical(address)));
            } else if is_host_name(item) {
                policy.hosts.push(item.to_ascii_lowercase());
            } else {
                return Err(format!(
                    "`{item}` is not a host name, an IP address or a CIDR network"
                ));
            }
        }
        Ok(policy)
    }

    /// Whether `host` (a name) is allowed whatever it resolves to.
    pub fn allows_host(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        self.hosts.contains(&host)
    }

    /// Whether the server may connect to `address`.
    pub fn allows_address(&self, address: IpAddr) -> Result<(), &'static str> {
        let address = canonical(address);
        if self
            .networks
            .iter()
            .any(|network| network.contains(&address))
        {
            return Ok(());
        }
        match refused_class(address) {
            Some(class) => Err(class),
            None => Ok(()),
        }
    }

    /// The check an agent's base URL gets when it is saved: a literal address
    /// must be allowed, and so must a name that is loopback by definition
    /// (`localhost`, `*.localhost`). Other names are checked when connecting,
    /// on what they resolve to then.
    pub fn check_url(&self, url: &Url) -> Result<(), Refused> {
        match url.host() {
            Some(Host::Ipv4(v4)) => self.check_literal(IpAddr::V4(v4)),
            Some(Host::Ipv6(v6)) => self.check_literal(IpAddr::V6(v6)),
            Some(Host::Domain(name)) => {
                let name = name.trim_end_matches('.').to_ascii_lowercase();
                let loopback = name == "localhost" || name.ends_with(".localhost");
                if loopback && !self.allows_host(&name) {
                    return Err(Refused {
                        what: name,
                        class: "loopback",
                    });
                }
                Ok(())
            }
            None => Ok(()),
        }
    }

    /// Whether the operator named `url`'s host itself (by name, address or
    /// network), not merely left it public: what a plain-HTTP webhook
    /// endpoint needs, as a receiver on the public internet must use TLS.
    pub fn names_host_of(&self, url: &Url) -> bool {
        let named_address = |address: IpAddr| {
            let address = canonical(address);
            self.allows_host(&address.to_string())
                || self
                    .networks
                    .iter()
                    .any(|network| network.contains(&address))
        };
        match url.host() {
            Some(Host::Ipv4(v4)) => named_address(IpAddr::V4(v4)),
            Some(Host::Ipv6(v6)) => named_address(IpAddr::V6(v6)),
            Some(Host::Domain(name)) => self.allows_host(name),
            None => false,
        }
    }

    fn check_literal(&self, address: IpAddr) -> Result<(), Refused> {
        if self.allows_host(&address.to_string()) {
            return Ok(());
        }
        self.allows_address(address).map_err(|class| Refused {
            what: address.to_string(),
            class,
        })
    }
}

/// `host`'s addresses (with `port`) that the policy allows, by the system's
/// resolver; a name left with none is an error saying why. Every connection
/// made on a tenant's behalf dials only these.
pub async fn allowed_addresses(
    policy: &EgressPolicy,
    host: &str,
    port: u16,
) -> Result<Vec<SocketAddr>, String> {
    let resolved: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|e| format!("resolving {host}: {e}"))?
        .collect();
    if policy.allows_host(host) {
        return Ok(resolved);
    }
    let (allowed, refused): (Vec<SocketAddr>, Vec<SocketAddr>) = resolved
        .into_iter()
        .partition(|address| policy.allows_address(address.ip()).is_ok());
    if allowed.is_empty() {
        let why = refused
            .first()
            .and_then(|address| policy.allows_address(address.ip()).err())
            .unwrap_or("unresolvable");
        return Err(format!(
            "{host} resolves only to addresses the egress policy refuses ({why})"
        ));
    }
    Ok(allowed)
}

/// reqwest's resolver under the policy: the addresses [`allowed_addresses`]
/// gives. A literal address in a URL skips any resolver, so a caller checks
/// it with [`EgressPolicy::check_url`] first.
pub struct PolicyResolver {
    pub policy: Arc<EgressPolicy>,
}

impl Resolve for PolicyResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy.clone();
        Box::pin(async move {
            let addresses: Addrs = Box::new(
                allowed_addresses(&policy, name.as_str(), 0)
                    .await?
                    .into_iter(),
            );
            Ok(addresses)
        })
    }
}

/// A host name as DNS writes one: labels of letters, digits and hyphens.
fn is_host_name(text: &str) -> bool {
    let text = text.trim_end_matches('.');
    !text.is_empty()
        && text.len() <= 253
        && text.split('.').all(|label| {
            (1..=63).contains(&label.len())
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

/// IPv4-mapped IPv6 addresses as the IPv4 address they reach.
fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}

/// The kind of address that is not on the public internet, if it is one.
pub fn refused_class(address: IpAddr) -> Option<&'static str> {
    match canonical(address) {
        IpAddr::V4(v4) => refused_v4(v4),
        IpAddr::V6(v6) => refused_v6(v6),
    }
}

fn refused_v4(address: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = address.octets();
    let class = if address.is_unspecified() || a == 0 {
        "unspecified"
    } else if address.is_loopback() {
        "loopback"
    } else if address.is_private() {
        "private"
    } else if address.is_link_local() {
        // 169.254.169.254 among them: cloud metadata services.
        "link-local"
    } else if a == 100 && (64..128).contains(&b) {
        "shared (carrier-grade NAT)"
    } else if address.is_multicast() {
        "multicast"
    } else if a >= 240 {
        "reserved"
    } else if (a, b, c) == (192, 0, 0) {
        "IETF protocol"
    } else if address.is_documentation() || (a == 198 && (b & 0xfe) == 18) {
        "documentation or benchmarking"
    } else {
        return None;
    };
    Some(class)
}

fn refused_v6(address: Ipv6Addr) -> Option<&'static str> {
    let segments = address.segments();
    let v4 = |high: u16, low: u16| Some(Ipv4Addr::from((u32::from(high) << 16) | u32::from(low)));
    // Forms that carry an IPv4 address reach that address.
    let embedded = match segments {
        // IPv4-compatible (deprecated) `::a.b.c.d`.
        [0, 0, 0, 0, 0, 0, high, low] if !address.is_unspecified() && !address.is_loopback() => {
            v4(high, low)
        }
        // NAT64 `64:ff9b::a.b.c.d`.
        [0x64, 0xff9b, 0, 0, 0, 0, high, low] => v4(high, low),
        // 6to4 `2002:aabb:ccdd::`.
        [0x2002, high, low, ..] => v4(high, low),
        _ => None,
    };
    if let Some(v4) = embedded {
        return refused_v4(v4);
    }
    let class = if address.is_unspecified() {
        "unspecified"
    } else if address.is_loopback() {
        "loopback"
    } else if address.is_unique_local() {
        "private (unique local)"
    } else if address.is_unicast_link_local() || segments[0] & 0xffc0 == 0xfec0 {
        "link-local"
    } else if address.is_multicast() {
        "multicast"
    } else if segments[0] == 0x2001 && segments[1] == 0x0db8 {
        "documentation"
    } else if segments[0] == 0x0100 && segments[1..4] == [0, 0, 0] {
        "discard-only"
    } else {
        return None;
    };
    Some(class)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(text: &str) -> Option<&'static str> {
        refused_class(text.parse().unwrap())
    }

    #[test]
    fn every_class_of_non_public_address_is_refused() {
        for (address, class) in [
            ("127.0.0.1", "loopback"),
            ("127.255.0.9", "loopback"),
            ("::1", "loopback"),
            ("::ffff:127.0.0.1", "loopback"),
            ("::127.0.0.1", "loopback"),
            ("10.0.0.1", "private"),
            ("172.16.5.4", "private"),
            ("192.168.1.1", "private"),
            ("::ffff:192.168.1.1", "private"),
            ("2002:c0a8:0101::1", "private"),
            ("64:ff9b::10.0.0.1", "private"),
            ("fc00::1", "private (unique local)"),
            ("fd12:3456::1", "private (unique local)"),
            ("169.254.169.254", "link-local"),
            ("::ffff:169.254.169.254", "link-local"),
            ("fe80::1", "link-local"),
            ("0.0.0.0", "unspecified"),
            ("0.1.2.3", "unspecified"),
            ("::", "unspecified"),
            ("224.0.0.1", "multicast"),
            ("ff02::1", "multicast"),
            ("100.64.0.1", "shared (carrier-grade NAT)"),
            ("255.255.255.255", "reserved"),
            ("192.0.2.1", "documentation or benchmarking"),
            ("198.18.0.1", "documentation or benchmarking"),
        ] {
            assert_eq!(refused(address), Some(class), "{address}");
        }
        for public in [
            "8.8.8.8",
            "1.1.1.1",
            "172.32.0.1",
            "100.128.0.1",
            "2606:4700:4700::1111",
            "::ffff:8.8.8.8",
            "2002:0808:0808::1",
        ] {
            assert_eq!(refused(public), None, "{public}");
        }
    }

    #[test]
    fn the_operator_allows_names_addresses_and_networks() {
        let policy = EgressPolicy::parse("127.0.0.1, 10.1.0.0/16 Langflow.Internal,[::1]").unwrap();
        assert!(policy.allows_address("127.0.0.1".parse().unwrap()).is_ok());
        assert!(
            policy
                .allows_address("::ffff:127.0.0.1".parse().unwrap())
                .is_ok()
        );
        assert!(policy.allows_address("::1".parse().unwrap()).is_ok());
        assert_eq!(
            policy.allows_address("127.0.0.2".parse().unwrap()),
            Err("loopback")
        );
        assert!(policy.allows_address("10.1.200.3".parse().unwrap()).is_ok());
        assert_eq!(
            policy.allows_address("10.2.0.1".parse().unwrap()),
            Err("private")
        );
        assert!(policy.allows_host("langflow.internal"));
        assert!(policy.allows_host("LANGFLOW.internal."));
        assert!(!policy.allows_host("other.internal"));
        assert!(EgressPolicy::parse("http://x").is_err());
        assert!(EgressPolicy::parse("10.0.0.0/40").is_err());
        assert_eq!(EgressPolicy::parse(" ").unwrap(), EgressPolicy::default());
    }

    #[test]
    fn urls_are_checked_on_their_literal_address_and_loopback_names() {
        let strict = EgressPolicy::default();
        let check = |policy: &EgressPolicy, url: &str| policy.check_url(&Url::parse(url).unwrap());
        for url in [
            "http://127.0.0.1:7860",
            "http://2130706433/",
            "http://0x7f.1/",
            "http://[::ffff:7f00:1]/",
            "http://localhost:7860",
            "http://api.localhost./",
            "http://169.254.169.254/latest/meta-data",
            "http://[fe80::1]/",
            "http://0.0.0.0:80/",
        ] {
            let refused = check(&strict, url).unwrap_err();
            assert!(refused.to_string().contains("--runtime-allow"), "{url}");
        }
        assert!(check(&strict, "https://api.openai.com/v1").is_ok());
        assert!(check(&strict, "http://8.8.8.8/").is_ok());
        let local = EgressPolicy::parse("127.0.0.1,localhost").unwrap();
        assert!(check(&local, "http://127.0.0.1:7860").is_ok());
        assert!(check(&local, "http://localhost:7860").is_ok());
        assert!(check(&local, "http://127.0.0.2:7860").is_err());
    }
}
