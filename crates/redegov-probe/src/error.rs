//! Errors of the prober: opening sockets and accepting targets. A probe that
//! gets no answer is not an error: it is an [`Outcome`](crate::Outcome) with
//! no round-trip time.

use std::io;
use std::net::IpAddr;

use thiserror::Error;

/// The `ping_group_range` advice: the sysctl lives under `net.ipv4` but
/// governs ICMPv6 datagram sockets too (there is no `net.ipv6` twin).
const PING_GROUP_ADVICE: &str = "allow this process's group in `sysctl net.ipv4.ping_group_range` \
    (e.g. `sysctl -w net.ipv4.ping_group_range=\"0 2147483647\"`; it covers IPv6 too)";
const RAW_ADVICE: &str = "run as root or grant CAP_NET_RAW (systemd: AmbientCapabilities=CAP_NET_RAW)";

#[derive(Debug, Error)]
pub enum ProbeError {
    #[error("the prober must be created inside a tokio runtime")]
    NoRuntime,

    #[error(
        "no ICMP socket for {family}: unprivileged datagram socket refused ({dgram}), raw socket \
         refused ({raw}); {PING_GROUP_ADVICE}, or {RAW_ADVICE}"
    )]
    IcmpUnavailable { family: &'static str, dgram: io::Error, raw: io::Error },

    #[error("unprivileged ICMP datagram socket for {family} refused ({source}); {PING_GROUP_ADVICE}")]
    IcmpDgramRefused {
        family: &'static str,
        #[source]
        source: io::Error,
    },

    #[error("raw ICMP socket for {family} refused ({source}); {RAW_ADVICE}")]
    IcmpRawRefused {
        family: &'static str,
        #[source]
        source: io::Error,
    },

    #[error("target {key}: no ICMP socket is open for {addr} (ICMP disabled, or no IPv6 on this host)")]
    NoIcmpSocket { key: u64, addr: IpAddr },

    #[error("ICMP is disabled in this prober's configuration")]
    IcmpDisabled,

    #[error("target {key}: {rule}")]
    InvalidTarget { key: u64, rule: &'static str },

    #[error("target key {key} appears more than once")]
    DuplicateKey { key: u64 },

    #[error("the prober is already running")]
    AlreadyRunning,

    #[error("cannot open the {family} sweep socket")]
    SweepSocket {
        family: &'static str,
        #[source]
        source: io::Error,
    },

    #[error("a sweep takes at most {max} addresses, got {count}", max = u32::MAX)]
    TooManyAddresses { count: usize },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn denied() -> io::Error {
        io::Error::from(io::ErrorKind::PermissionDenied)
    }

    #[test]
    fn no_icmp_socket_at_all_names_both_remedies() {
        let err = ProbeError::IcmpUnavailable { family: "IPv4", dgram: denied(), raw: denied() };
        let message = err.to_string();
        assert!(message.contains("sysctl -w net.ipv4.ping_group_range=\"0 2147483647\""), "{message}");
        assert!(message.contains("run as root or grant CAP_NET_RAW"), "{message}");
    }

    #[test]
    fn a_refused_explicit_kind_names_its_own_remedy() {
        let dgram = ProbeError::IcmpDgramRefused { family: "IPv6", source: denied() }.to_string();
        assert!(dgram.contains("net.ipv4.ping_group_range") && dgram.contains("covers IPv6 too"), "{dgram}");
        let raw = ProbeError::IcmpRawRefused { family: "IPv4", source: denied() }.to_string();
        assert!(raw.contains("CAP_NET_RAW") && !raw.contains("ping_group_range"), "{raw}");
    }
}
