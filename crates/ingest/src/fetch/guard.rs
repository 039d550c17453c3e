//! Which hosts a fetch may be steered to. The host of a source's configured URL is trusted: the
//! operator wrote it, private address or not. Any other host that a redirect, a page's feed
//! link or a remembered `fetch_url` leads to is reached only when every address it resolves to is
//! public, so that an upstream cannot point crossfeed at the loopback interface, the private
//! network or a cloud metadata service and have what it finds stored and republished.
//!
//! The check happens where the connection is made: [`PublicOnly`] is the DNS resolver of the
//! client that fetches untrusted hosts, so a name cannot resolve to a public address for a check
//! and to a private one for the connection. An IP literal is never resolved, so it is checked
//! before the request is sent.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::{Host, Url};

/// A host refused because it is, or resolves to, an address that is not public. Its text names
/// the host only: it is stored on the source and shown on public pages, and the address an
/// internal name resolves to is the operator's to know (the log has it: [`PrivateTarget::new`]).
#[derive(Debug, Clone)]
pub struct PrivateTarget {
    pub host: String,
    pub addr: IpAddr,
}

impl PrivateTarget {
    /// Refuse `host` for `addr`, saying which address in the log.
    pub fn new(host: String, addr: IpAddr) -> Self {
        tracing::warn!(%host, %addr, "refused a host on a non-public address");
        Self { host, addr }
    }
}

impl std::fmt::Display for PrivateTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.host.trim_matches(['[', ']']) == self.addr.to_string() {
            write!(f, "{} is a non-public address", self.host)
        } else {
            write!(f, "{} resolves to a non-public address", self.host)
        }
    }
}

impl std::error::Error for PrivateTarget {}

/// Whether `ip` is an address on the public internet: not loopback, private (RFC 1918),
/// link-local (cloud metadata lives at 169.254.169.254), unique-local, shared (CGNAT),
/// unspecified, multicast, broadcast, documentation, benchmarking or reserved.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0 // "this network"
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT), RFC 6598
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking, RFC 2544
        || a >= 240) // reserved
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let segments = ip.segments();
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || ip.is_unique_local()
        || ip.is_unicast_link_local()
        || (segments[0] & 0xffc0) == 0xfec0 // site-local (deprecated, still routed inside sites)
        || (segments[0] == 0x2001 && segments[1] == 0x0db8) // documentation
        || (segments[0] == 0x0064 && segments[1] == 0xff9b) // NAT64 onto IPv4, any of it
        || ip.to_ipv4().is_some_and(|v4| !is_public_v4(v4))) // IPv4-compatible ::a.b.c.d
}

/// Whether `url` is on the same host as `trusted` (the port does not matter).
pub fn same_host(url: &Url, trusted: &Url) -> bool {
    match (url.host(), trusted.host()) {
        (Some(Host::Domain(a)), Some(Host::Domain(b))) => a
            .trim_end_matches('.')
            .eq_ignore_ascii_case(b.trim_end_matches('.')),
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

/// The address of `url`'s host when it is an IP literal.
pub fn literal(url: &Url) -> Option<IpAddr> {
    match url.host()? {
        Host::Ipv4(v4) => Some(IpAddr::V4(v4)),
        Host::Ipv6(v6) => Some(IpAddr::V6(v6)),
        Host::Domain(_) => None,
    }
}

/// Resolve `host` and refuse it unless every address is public: for a client that goes through
/// an HTTP proxy, where the proxy resolves the name and the connection's resolver never sees it.
/// A best effort: the proxy may resolve the name to something else a moment later.
pub async fn check_resolved(host: &str) -> Result<(), ResolveError> {
    let addrs = tokio::net::lookup_host((host, 0))
        .await
        .map_err(|e| ResolveError::Lookup(e.to_string()))?;
    for addr in addrs {
        if !is_public(addr.ip()) {
            return Err(ResolveError::Private(PrivateTarget::new(
                host.to_owned(),
                addr.ip(),
            )));
        }
    }
    Ok(())
}

/// Why a name was not resolved.
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    #[error(transparent)]
    Private(PrivateTarget),
    #[error("DNS lookup failed: {0}")]
    Lookup(String),
}

/// The resolver of the client that fetches untrusted hosts: the system's resolver, with every
/// answer that holds a non-public address refused whole.
#[derive(Debug, Clone, Copy, Default)]
pub struct PublicOnly;

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if let Some(bad) = addrs.iter().find(|a| !is_public(a.ip())) {
                return Err(Box::new(PrivateTarget::new(host, bad.ip()))
                    as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn public(s: &str) -> bool {
        is_public(s.parse().unwrap())
    }

    #[test]
    fn private_loopback_link_local_and_shared_addresses_are_not_public() {
        for addr in [
            "127.0.0.1",
            "127.0.0.2",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "100.127.255.255",
            "0.0.0.0",
            "0.1.2.3",
            "255.255.255.255",
            "224.0.0.1",
            "240.0.0.1",
            "192.0.0.8",
            "198.18.0.1",
            "192.0.2.1",
            "::1",
            "::",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "fec0::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "64:ff9b::a00:1",
            "2001:db8::1",
        ] {
            assert!(!public(addr), "{addr} counted as public");
        }
    }

    #[test]
    fn internet_addresses_are_public() {
        for addr in [
            "1.1.1.1",
            "8.8.8.8",
            "100.63.255.255",
            "100.128.0.1",
            "172.15.255.255",
            "172.32.0.1",
            "192.169.0.1",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            assert!(public(addr), "{addr} counted as private");
        }
    }

    #[test]
    fn same_host_ignores_the_port_and_case_but_not_the_address() {
        let u = |s: &str| Url::parse(s).unwrap();
        assert!(same_host(
            &u("http://127.0.0.1:1/a"),
            &u("http://127.0.0.1:2/b")
        ));
        assert!(same_host(
            &u("https://News.Example.com/a"),
            &u("http://news.example.com./")
        ));
        assert!(!same_host(&u("http://127.0.0.2/"), &u("http://127.0.0.1/")));
        assert!(!same_host(&u("http://localhost/"), &u("http://127.0.0.1/")));
        assert!(!same_host(
            &u("http://a.example.com/"),
            &u("http://example.com/")
        ));
    }

    #[tokio::test]
    async fn the_resolver_refuses_a_name_with_a_private_address() {
        let refused = PublicOnly
            .resolve("localhost".parse().unwrap())
            .await
            .err()
            .expect("localhost refused");
        assert!(
            refused.downcast_ref::<PrivateTarget>().is_some(),
            "{refused}"
        );
        assert!(matches!(
            check_resolved("localhost").await,
            Err(ResolveError::Private(_))
        ));
    }
}
