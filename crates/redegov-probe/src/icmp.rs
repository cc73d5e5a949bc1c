//! ICMP echo for scheduled probes, through `surge-ping`: one `Client` (one
//! socket and one receiving task) per address family, shared by every probe.
//!
//! [`Icmp`] settles at start-up which socket kind works here (so permission
//! problems show at once) but opens the clients only when the first ICMP
//! target arrives: a raw socket receives a copy of every ICMP packet the host
//! gets, which a prober with only TCP targets, or one used only for sweeps,
//! should not pay for (with them open a sweep of a /16 took 0.31-0.39 s on
//! the loopback instead of 0.21 s).
//!
//! With raw sockets a sweep also has to run alone: its flood of replies
//! reaches the scheduled probes' socket too, whose receive buffer (the
//! kernel default, about 200 KiB; surge-ping offers no way to enlarge it)
//! overflows, and scheduled probes waiting at that moment miss their replies
//! and report losses that did not happen. A gate (an async read-write lock)
//! lets a sweep start once the scheduled ICMP probes in flight have finished
//! and holds new ones until it is done. Datagram sockets need no gate: the
//! kernel hands each socket only its own replies.
//!
//! Each attempt gets its own (identifier, sequence) pair from one counter, so
//! concurrent probes to the same address never answer each other. With a
//! datagram socket the kernel owns the identifier and matches replies to the
//! socket itself; surge-ping then keys replies by (address, sequence) alone.
//! Bulk sweeps do not come through here (see `sweep`).

use std::fmt;
use std::io;
use std::net::IpAddr;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use socket2::{Domain, Protocol, Socket, Type};
use surge_ping::{Client, Config, ICMP, IcmpPacket, PingIdentifier, PingSequence, SurgeError};
use tokio::runtime::Handle;
use tokio::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};
use tracing::debug;

use crate::error::ProbeError;

/// Which kind of ICMP socket to open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SocketKind {
    /// An unprivileged datagram socket if `net.ipv4.ping_group_range` allows
    /// this process's group, else a raw socket (root or `CAP_NET_RAW`).
    #[default]
    Auto,
    /// A raw socket only: needs root or `CAP_NET_RAW`. It sees every ICMP
    /// packet the host receives, so it costs more under heavy ICMP traffic.
    Raw,
    /// An unprivileged datagram ("ping") socket only.
    Dgram,
    /// No ICMP at all: only TCP targets are accepted.
    Disabled,
}

impl fmt::Display for SocketKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SocketKind::Auto => "auto",
            SocketKind::Raw => "raw",
            SocketKind::Dgram => "datagram",
            SocketKind::Disabled => "disabled",
        })
    }
}

impl SocketKind {
    pub(crate) fn socket_type(self) -> Type {
        match self {
            SocketKind::Raw => Type::RAW,
            SocketKind::Auto | SocketKind::Dgram | SocketKind::Disabled => Type::DGRAM,
        }
    }
}

/// The two address families, as far as ICMP cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Family {
    V4,
    V6,
}

impl Family {
    pub(crate) fn of(addr: IpAddr) -> Family {
        match addr {
            IpAddr::V4(_) => Family::V4,
            IpAddr::V6(_) => Family::V6,
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Family::V4 => "IPv4",
            Family::V6 => "IPv6",
        }
    }

    pub(crate) fn open(self, kind: SocketKind) -> io::Result<Socket> {
        let (domain, protocol) = match self {
            Family::V4 => (Domain::IPV4, Protocol::ICMPV4),
            Family::V6 => (Domain::IPV6, Protocol::ICMPV6),
        };
        Socket::new(domain, kind.socket_type(), Some(protocol))
    }
}

/// Decides which socket kind works for `family`: `Auto` becomes `Dgram` or
/// `Raw`; an explicit kind is checked. The test socket is closed again.
/// Not for `Disabled`, which opens nothing.
fn resolve_kind(wanted: SocketKind, family: Family) -> Result<SocketKind, ProbeError> {
    let name = family.name();
    match wanted {
        SocketKind::Dgram | SocketKind::Disabled => family
            .open(SocketKind::Dgram)
            .map(|_| SocketKind::Dgram)
            .map_err(|source| ProbeError::IcmpDgramRefused { family: name, source }),
        SocketKind::Raw => family
            .open(SocketKind::Raw)
            .map(|_| SocketKind::Raw)
            .map_err(|source| ProbeError::IcmpRawRefused { family: name, source }),
        SocketKind::Auto => match family.open(SocketKind::Dgram) {
            Ok(_) => Ok(SocketKind::Dgram),
            Err(dgram) => match family.open(SocketKind::Raw) {
                Ok(_) => Ok(SocketKind::Raw),
                Err(raw) => Err(ProbeError::IcmpUnavailable { family: name, dgram, raw }),
            },
        },
    }
}

/// Echo payload: recognisable in a packet capture.
const PAYLOAD: &[u8; 16] = b"redegov-probe\0\0\0";

/// How often an attempt takes a fresh sequence number when surge-ping
/// reports one still in flight to the same address (only after 65,536 other
/// attempts went out meanwhile, so a second clash is practically impossible).
const SEQUENCE_CLASH_RETRIES: usize = 3;

/// ICMP for one prober: the socket kind, and the clients once needed.
pub(crate) struct Icmp {
    kind: SocketKind,
    has_v6: bool,
    /// Raw sockets see every echo reply on the host: a per-prober identifier
    /// base keeps another pinger's replies from matching ours.
    ident_base: u16,
    /// The clients spawn their receiving tasks here, whichever thread first
    /// needs them.
    runtime: Handle,
    pinger: OnceLock<IcmpPinger>,
    /// Shared by scheduled ICMP probes, exclusive to a sweep; raw sockets only.
    sweep_gate: RwLock<()>,
}

impl Icmp {
    /// Finds the socket kind that works for IPv4 (required) and whether it
    /// works for IPv6 too; opens nothing that stays open.
    pub(crate) fn new(wanted: SocketKind, runtime: Handle) -> Result<Icmp, ProbeError> {
        let kind = resolve_kind(wanted, Family::V4)?;
        let has_v6 = match Family::V6.open(kind) {
            Ok(_) => true,
            Err(err) => {
                debug!(%err, "no IPv6 ICMP socket; ICMP targets with IPv6 addresses will be refused");
                false
            }
        };
        Ok(Icmp {
            kind,
            has_v6,
            ident_base: identifier_seed(),
            runtime,
            pinger: OnceLock::new(),
            sweep_gate: RwLock::new(()),
        })
    }

    /// The socket kind in use: `Raw` or `Dgram`.
    pub(crate) fn kind(&self) -> SocketKind {
        self.kind
    }

    pub(crate) fn serves(&self, addr: IpAddr) -> bool {
        addr.is_ipv4() || self.has_v6
    }

    /// The identifier sweeps use, distinct from the ones scheduled probes
    /// use (which keep the top bit clear), so that on raw sockets neither
    /// side claims the other's replies.
    pub(crate) fn sweep_identifier(&self) -> u16 {
        self.ident_base | 0x8000
    }

    /// Opens the clients if they are not open yet.
    pub(crate) fn open_clients(&self) -> Result<(), ProbeError> {
        if self.pinger.get().is_none() {
            let pinger = IcmpPinger::open(self)?;
            // Two first callers at once: one pinger wins, the other closes.
            let _ = self.pinger.set(pinger);
        }
        Ok(())
    }

    /// Held by a scheduled ICMP probe from its first attempt to its last.
    pub(crate) async fn probe_gate(&self) -> Option<RwLockReadGuard<'_, ()>> {
        match self.kind {
            SocketKind::Raw => Some(self.sweep_gate.read().await),
            _ => None,
        }
    }

    /// Held by a sweep, alone, while it sends and waits.
    pub(crate) async fn sweep_gate(&self) -> Option<RwLockWriteGuard<'_, ()>> {
        match self.kind {
            SocketKind::Raw => Some(self.sweep_gate.write().await),
            _ => None,
        }
    }

    /// One echo request (see [`IcmpPinger::echo`]); `None` as well if the
    /// clients were never opened, which `set_targets` rules out.
    pub(crate) async fn echo(&self, addr: IpAddr, timeout: Duration) -> Option<Duration> {
        self.pinger.get()?.echo(addr, timeout).await
    }
}

struct IcmpPinger {
    v4: Client,
    v6: Option<Client>,
    ident_base: u16,
    next_attempt: AtomicU32,
}

impl IcmpPinger {
    fn open(icmp: &Icmp) -> Result<IcmpPinger, ProbeError> {
        let _runtime = icmp.runtime.enter();
        let kind = icmp.kind;
        let open = |family: ICMP, name| {
            let config = Config::builder().kind(family).sock_type_hint(kind.socket_type()).build();
            Client::new(&config).map_err(|source| refused(kind, name, source))
        };
        let v4 = open(ICMP::V4, "IPv4")?;
        let v6 = if icmp.has_v6 { Some(open(ICMP::V6, "IPv6")?) } else { None };
        Ok(IcmpPinger { v4, v6, ident_base: icmp.ident_base, next_attempt: AtomicU32::new(0) })
    }

    /// One echo request; the round-trip time of its reply, or `None` when no
    /// reply came within `timeout` (or an ICMP error came instead).
    async fn echo(&self, addr: IpAddr, timeout: Duration) -> Option<Duration> {
        let client = match addr {
            IpAddr::V4(_) => &self.v4,
            IpAddr::V6(_) => self.v6.as_ref()?,
        };
        for _ in 0..SEQUENCE_CLASH_RETRIES {
            let (ident, seq) = self.next_ids();
            let mut pinger = client.pinger(addr, ident).await;
            pinger.timeout(timeout);
            return match pinger.ping(seq, PAYLOAD).await {
                Ok((packet, rtt)) => is_echo_reply(&packet).then_some(rtt),
                Err(SurgeError::IdenticalRequests { .. }) => continue,
                Err(SurgeError::Timeout { .. }) => None,
                Err(err) => {
                    debug!(%addr, %err, "ICMP echo failed");
                    None
                }
            };
        }
        None
    }

    /// A 32-bit attempt counter split over identifier and sequence, so that
    /// numbers repeat only after 2^31 attempts on a raw socket (2^16 on a
    /// datagram socket, where the kernel replaces the identifier).
    fn next_ids(&self) -> (PingIdentifier, PingSequence) {
        let n = self.next_attempt.fetch_add(1, Ordering::Relaxed);
        let [a, b, c, d] = n.to_be_bytes();
        let high = u16::from_be_bytes([a, b]);
        (
            PingIdentifier(self.ident_base.wrapping_add(high) & 0x7fff),
            PingSequence(u16::from_be_bytes([c, d])),
        )
    }
}

fn refused(kind: SocketKind, family: &'static str, source: io::Error) -> ProbeError {
    match kind {
        SocketKind::Raw => ProbeError::IcmpRawRefused { family, source },
        SocketKind::Auto | SocketKind::Dgram | SocketKind::Disabled => {
            ProbeError::IcmpDgramRefused { family, source }
        }
    }
}

/// ICMP errors (destination unreachable, time exceeded) are routed to the
/// waiting probe too; only an echo reply means the target answered.
fn is_echo_reply(packet: &IcmpPacket) -> bool {
    const ECHO_REPLY_V4: u8 = 0;
    const ECHO_REPLY_V6: u8 = 129;
    match packet {
        IcmpPacket::V4(p) => p.get_icmp_type().0 == ECHO_REPLY_V4,
        IcmpPacket::V6(p) => p.get_icmpv6_type().0 == ECHO_REPLY_V6,
    }
}

/// An identifier base that differs between processes and between probers
/// of one process, without a random-number crate.
fn identifier_seed() -> u16 {
    static PROBERS: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or_default();
    let mixed = nanos
        ^ std::process::id().rotate_left(16)
        ^ PROBERS.fetch_add(1, Ordering::Relaxed).wrapping_mul(0x9e37);
    let [a, b, c, d] = mixed.to_be_bytes();
    u16::from_be_bytes([a ^ c, b ^ d]) & 0x7fff
}
