//! Which peers may say who the client is. `X-Forwarded-For` and `Forwarded` are claims anyone
//! can send; they count only when the connection comes from a proxy the operator listed in
//! `server.trusted_proxies`. Otherwise one client could pose as any number of readers, and
//! views, hot reads and trending searches would be whatever it wanted.

use std::net::IpAddr;

use ipnet::IpNet;

/// The addresses and networks of the proxies in front of crossfeed (a CDN, a load balancer).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

/// Why a `trusted_proxies` entry was refused.
#[derive(Debug, thiserror::Error)]
#[error("expected an IP address or a network in CIDR form (10.0.0.0/8, 2001:db8::/32), got {0:?}")]
pub struct ProxyError(String);

impl TrustedProxies {
    /// Parse one entry: an address (`203.0.113.7`, `::1`) or a network (`10.0.0.0/8`).
    pub fn parse_entry(entry: &str) -> Result<IpNet, ProxyError> {
        let entry = entry.trim();
        entry
            .parse::<IpNet>()
            .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
            .map_err(|_| ProxyError(entry.to_owned()))
    }

    pub fn new(nets: Vec<IpNet>) -> Self {
        Self(nets)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `ip` is one of the trusted proxies.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client behind `peer`, given the hops the forwarding headers list (client first):
    /// `peer` itself unless it is trusted; else the last hop that is not a trusted proxy, since
    /// each trusted proxy appends the address it saw and anything to its left may be forged.
    pub fn client(&self, peer: IpAddr, hops: &[IpAddr]) -> IpAddr {
        if !self.contains(peer) {
            return peer;
        }
        hops.iter()
            .rev()
            .find(|hop| !self.contains(**hop))
            .or(hops.first())
            .copied()
            .unwrap_or(peer)
    }
}

/// The hops a request's forwarding headers list, client first: `Forwarded: for=…` (RFC 7239)
/// when the caller trusts it and it is present, else `X-Forwarded-For`. Each argument is every
/// line of its header joined with `,` in order (repeated lines are one list, as HTTP says).
/// Entries that are not addresses (`unknown`, obfuscated names) are skipped.
pub fn forwarded_hops(forwarded: Option<&str>, x_forwarded_for: Option<&str>) -> Vec<IpAddr> {
    if let Some(forwarded) = forwarded.filter(|f| !f.trim().is_empty()) {
        return forwarded
            .split(',')
            .filter_map(|element| {
                element.split(';').find_map(|pair| {
                    let (name, value) = pair.split_once('=')?;
                    name.trim()
                        .eq_ignore_ascii_case("for")
                        .then(|| parse_node(value))?
                })
            })
            .collect();
    }
    x_forwarded_for
        .map(|v| v.split(',').filter_map(parse_node).collect())
        .unwrap_or_default()
}

/// `203.0.113.7`, `"[2001:db8::1]:4711"`, `198.51.100.2:80`.
fn parse_node(raw: &str) -> Option<IpAddr> {
    let node = raw.trim().trim_matches('"');
    if let Some(rest) = node.strip_prefix('[') {
        return rest.split(']').next()?.parse().ok();
    }
    node.parse().ok().or_else(|| {
        let (host, port) = node.rsplit_once(':')?;
        port.parse::<u16>().ok()?;
        host.parse().ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn proxies(entries: &[&str]) -> TrustedProxies {
        TrustedProxies::new(
            entries
                .iter()
                .map(|e| TrustedProxies::parse_entry(e).unwrap())
                .collect(),
        )
    }

    #[test]
    fn entries_are_addresses_or_networks() {
        assert!(TrustedProxies::parse_entry("10.0.0.0/8").is_ok());
        assert!(TrustedProxies::parse_entry("203.0.113.7").is_ok());
        assert!(TrustedProxies::parse_entry("2001:db8::/32").is_ok());
        assert!(TrustedProxies::parse_entry("::1").is_ok());
        for bad in ["", "localhost", "10.0.0.0/33", "10.0.0"] {
            assert!(TrustedProxies::parse_entry(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_claims() {
        let none = TrustedProxies::default();
        let hops = [ip("198.51.100.9")];
        assert_eq!(none.client(ip("203.0.113.5"), &hops), ip("203.0.113.5"));
        let cdn = proxies(&["10.0.0.0/8"]);
        assert_eq!(cdn.client(ip("203.0.113.5"), &hops), ip("203.0.113.5"));
    }

    #[test]
    fn behind_trusted_proxies_the_last_untrusted_hop_is_the_client() {
        let cdn = proxies(&["10.0.0.0/8", "127.0.0.1"]);
        // The client forged the first hop; the CDN appended what it saw.
        let hops = [ip("1.2.3.4"), ip("198.51.100.9"), ip("10.1.1.1")];
        assert_eq!(cdn.client(ip("127.0.0.1"), &hops), ip("198.51.100.9"));
        // Every hop trusted: the first one.
        let hops = [ip("10.0.0.3"), ip("10.0.0.4")];
        assert_eq!(cdn.client(ip("127.0.0.1"), &hops), ip("10.0.0.3"));
        // No header: the peer.
        assert_eq!(cdn.client(ip("127.0.0.1"), &[]), ip("127.0.0.1"));
        // An IPv4 peer seen as IPv6-mapped is still trusted.
        assert_eq!(
            cdn.client(ip("::ffff:127.0.0.1"), &[ip("198.51.100.9")]),
            ip("198.51.100.9")
        );
    }

    #[test]
    fn hops_come_from_forwarded_or_x_forwarded_for() {
        assert_eq!(
            forwarded_hops(
                Some(r#"for=192.0.2.60;proto=http, for="[2001:db8:cafe::17]:4711", for=unknown"#),
                Some("1.1.1.1")
            ),
            [ip("192.0.2.60"), ip("2001:db8:cafe::17")]
        );
        assert_eq!(
            forwarded_hops(None, Some("203.0.113.195, 70.41.3.18:8080 , junk")),
            [ip("203.0.113.195"), ip("70.41.3.18")]
        );
        assert!(forwarded_hops(None, None).is_empty());
    }
}
