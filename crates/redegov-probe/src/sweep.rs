//! The bulk sweep: one ICMP echo to every address of a list, sent as fast as
//! the kernel takes them, from one socket per address family, in one task.
//!
//! This is deliberately not surge-ping. surge-ping spends a future, a timer
//! and a reply channel per request, and its socket keeps the kernel's default
//! receive buffer (about 200 KiB), which cannot be enlarged without `unsafe`:
//! a fast sweep overflows it and loses replies (measured on the loopback, a
//! /16 on a multi-threaded runtime: 0.76 s with 64 requests in flight, lost
//! replies with more; fping takes 0.35-0.4 s). Here a socket opened with
//! socket2 gets a receive buffer of several MiB and, when raw, a kernel
//! packet filter that lets only this sweep's echo replies through. Requests
//! go out in bursts with the receive queue drained in between, and the
//! sockets join the runtime's reactor only for the final wait, so that no
//! reply wakes a runtime thread while the sweep is busy sending. Replies are
//! matched by a payload (marker, sweep token, index) that the target echoes
//! back whatever the socket kind.

use std::io::{self, ErrorKind};
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use socket2::SockFilter;
use tokio::net::UdpSocket;
use tokio::time::sleep_until;
use tracing::debug;

use crate::error::ProbeError;
use crate::icmp::{Family, SocketKind};

/// Asked of the kernel for the receive buffer; it grants at most twice
/// `net.core.rmem_max` (8 MiB with the common 4 MiB limit), which holds tens
/// of thousands of small replies.
const RECEIVE_BUFFER: usize = 8 << 20;
const SEND_BUFFER: usize = 4 << 20;
/// Requests sent between two drains of the receive queue. A reply waits at
/// most one burst before it is read, which bounds the RTT inflation.
const SEND_BURST: usize = 32;
/// A reply to our 24-byte request is small; anything longer is not ours and
/// is cut short, which the checks below reject.
const RECEIVE_SIZE: usize = 256;
/// Linux's "no buffer space": the interface queue is full, try again later.
const ENOBUFS: i32 = 105;
/// How long to wait when the kernel takes no more requests for now.
const SEND_BACKOFF: Duration = Duration::from_millis(1);

const MARKER: [u8; 4] = *b"rgsw";
const ICMP_HEADER: usize = 8;
const PAYLOAD: usize = 16;
const REQUEST: usize = ICMP_HEADER + PAYLOAD;

/// Sends one echo request to each of `addrs` and waits up to `timeout` after
/// each request for its reply. `on_result(index, rtt)` is called once per
/// address as soon as its result is known: on its reply, on a send error, or
/// at the end for the ones that never answered. Returns all results in the
/// order of `addrs`.
pub(crate) async fn run(
    kind: SocketKind,
    identifier: u16,
    addrs: &[IpAddr],
    timeout: Duration,
    mut on_result: impl FnMut(usize, Option<Duration>),
) -> Result<Vec<Option<Duration>>, ProbeError> {
    u32::try_from(addrs.len()).map_err(|_| ProbeError::TooManyAddresses { count: addrs.len() })?;
    let v4 = Lane::open_if_needed(Family::V4, kind, identifier, addrs)?;
    let v6 = Lane::open_if_needed(Family::V6, kind, identifier, addrs)?;
    let mut sweep = Sweep::new(addrs, timeout, sweep_token());

    for (index, &addr) in addrs.iter().enumerate() {
        let Some(lane) = (if addr.is_ipv4() { v4.as_ref() } else { v6.as_ref() }) else {
            continue; // Unreachable: a lane is open for every family in `addrs`.
        };
        let request = lane.echo_request(sweep.token, index);
        let target = SocketAddr::new(addr, 0);
        loop {
            match lane.socket.send_to(&request, target) {
                Ok(_) => {
                    sweep.sent(index, Instant::now());
                    break;
                }
                Err(err) if err.kind() == ErrorKind::WouldBlock || err.raw_os_error() == Some(ENOBUFS) => {
                    // The send buffer or the interface queue is full: read
                    // what came back meanwhile and give the interface a moment.
                    sweep.drain(v4.as_ref(), &mut on_result);
                    sweep.drain(v6.as_ref(), &mut on_result);
                    tokio::time::sleep(SEND_BACKOFF).await;
                }
                Err(err) => {
                    // No route, a broadcast address, ...: this one is lost.
                    debug!(%addr, %err, "sweep request not sent");
                    sweep.finish(index, None, &mut on_result);
                    break;
                }
            }
        }
        if index % SEND_BURST == SEND_BURST - 1 {
            sweep.drain(v4.as_ref(), &mut on_result);
            sweep.drain(v6.as_ref(), &mut on_result);
            // A sweep sends for a while without ever waiting: let the
            // runtime run other tasks on this thread now and then.
            tokio::task::consume_budget().await;
        }
    }

    // Only now does the runtime learn of the sockets: while sending, every
    // reply queued on a registered socket would wake a runtime thread to
    // report a readiness nobody waits for.
    let v4 = v4.map(Lane::register).transpose().map_err(sweep_socket_error(Family::V4))?;
    let v6 = v6.map(Lane::register).transpose().map_err(sweep_socket_error(Family::V6))?;
    loop {
        sweep.drain(v4.as_ref(), &mut on_result);
        sweep.drain(v6.as_ref(), &mut on_result);
        let Some(deadline) = sweep.last_deadline.filter(|_| sweep.waiting > 0) else { break };
        let ready = tokio::select! {
            ready = readable(v4.as_ref()) => ready,
            ready = readable(v6.as_ref()) => ready,
            () = sleep_until(deadline.into()) => break,
        };
        if let Err(err) = ready {
            // Not seen in practice; the unanswered count as lost.
            debug!(%err, "sweep socket failed while waiting for replies");
            break;
        }
    }
    Ok(sweep.finish_unanswered(&mut on_result))
}

fn sweep_socket_error(family: Family) -> impl FnOnce(io::Error) -> ProbeError {
    move |source| ProbeError::SweepSocket { family: family.name(), source }
}

async fn readable(lane: Option<&Lane<UdpSocket>>) -> io::Result<()> {
    match lane {
        Some(lane) => lane.socket.readable().await,
        None => std::future::pending().await,
    }
}

/// One socket of the sweep and what its replies look like. The socket is a
/// plain non-blocking one (`std::net::UdpSocket`) while requests go out, and
/// registered with the runtime (`tokio::net::UdpSocket`) for the wait.
struct Lane<S> {
    socket: S,
    family: Family,
    kind: SocketKind,
    identifier: u16,
}

/// A non-blocking receive: `WouldBlock` when nothing is queued.
trait TryRecvFrom {
    fn try_recv(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)>;
}

impl TryRecvFrom for std::net::UdpSocket {
    fn try_recv(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.recv_from(buf) // The socket is non-blocking.
    }
}

impl TryRecvFrom for UdpSocket {
    fn try_recv(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.try_recv_from(buf)
    }
}

impl Lane<std::net::UdpSocket> {
    fn open_if_needed(
        family: Family,
        kind: SocketKind,
        identifier: u16,
        addrs: &[IpAddr],
    ) -> Result<Option<Self>, ProbeError> {
        if !addrs.iter().any(|&a| Family::of(a) == family) {
            return Ok(None);
        }
        let socket = Self::open_socket(family, kind, identifier).map_err(sweep_socket_error(family))?;
        Ok(Some(Lane { socket, family, kind, identifier }))
    }

    fn open_socket(family: Family, kind: SocketKind, identifier: u16) -> io::Result<std::net::UdpSocket> {
        let socket = family.open(kind)?;
        // Smaller buffers only mean a slower sweep, never a wrong one.
        if let Err(err) = socket.set_recv_buffer_size(RECEIVE_BUFFER) {
            debug!(%err, "sweep socket keeps the default receive buffer");
        }
        if let Err(err) = socket.set_send_buffer_size(SEND_BUFFER) {
            debug!(%err, "sweep socket keeps the default send buffer");
        }
        if kind == SocketKind::Raw {
            // A raw socket gets a copy of every ICMP packet the host receives
            // (on the loopback, our own requests too); the filter drops all but
            // replies to this sweep's identifier in the kernel. Without it the
            // sweep is only slower: `reply_index` checks every packet anyway.
            if let Err(err) = socket.attach_filter(&replies_only(family, identifier)) {
                debug!(%err, "sweep socket without a packet filter");
            }
        }
        socket.set_nonblocking(true)?;
        // The ICMP socket speaks datagrams through the same calls as UDP.
        Ok(std::net::UdpSocket::from(socket))
    }

    fn register(self) -> io::Result<Lane<UdpSocket>> {
        let Lane { socket, family, kind, identifier } = self;
        Ok(Lane { socket: UdpSocket::from_std(socket)?, family, kind, identifier })
    }
}

impl<S> Lane<S> {
    fn echo_request(&self, token: u32, index: usize) -> [u8; REQUEST] {
        echo_request(self.family, self.identifier, token, index)
    }

    /// The index carried by `datagram` if it is an echo reply to this sweep.
    fn reply_index(&self, datagram: &[u8], token: u32) -> Option<usize> {
        reply_index(datagram, self.family, self.kind, self.identifier, token)
    }
}

/// The index carried by `datagram` if it is an echo reply to the sweep
/// `token` sent with `identifier` from a socket of `family` and `kind`.
fn reply_index(
    datagram: &[u8],
    family: Family,
    kind: SocketKind,
    identifier: u16,
    token: u32,
) -> Option<usize> {
    let icmp = match (family, kind) {
        // A raw IPv4 socket hands over the IP header too.
        (Family::V4, SocketKind::Raw) => {
            let header = usize::from(datagram.first()? & 0x0f) * 4;
            datagram.get(header..)?
        }
        _ => datagram,
    };
    let echo_reply = match family {
        Family::V4 => 0,
        Family::V6 => 129,
    };
    let payload = icmp.get(ICMP_HEADER..ICMP_HEADER + PAYLOAD)?;
    let is_ours = icmp[0] == echo_reply
        && icmp[1] == 0
        // A raw socket sees every reply on the host; a datagram socket only
        // its own, under an identifier the kernel chose.
        && (kind != SocketKind::Raw || icmp[4..6] == identifier.to_be_bytes())
        && payload[0..4] == MARKER
        && payload[4..8] == token.to_be_bytes();
    if !is_ours {
        return None;
    }
    let index = u32::from_be_bytes([payload[8], payload[9], payload[10], payload[11]]);
    usize::try_from(index).ok()
}

#[derive(Debug, Clone, Copy)]
enum State {
    Unsent,
    Waiting { sent: Instant },
    Done,
}

struct Sweep<'a> {
    addrs: &'a [IpAddr],
    timeout: Duration,
    token: u32,
    states: Vec<State>,
    results: Vec<Option<Duration>>,
    waiting: usize,
    last_deadline: Option<Instant>,
}

impl<'a> Sweep<'a> {
    fn new(addrs: &'a [IpAddr], timeout: Duration, token: u32) -> Sweep<'a> {
        Sweep {
            addrs,
            timeout,
            token,
            states: vec![State::Unsent; addrs.len()],
            results: vec![None; addrs.len()],
            waiting: 0,
            last_deadline: None,
        }
    }

    fn sent(&mut self, index: usize, at: Instant) {
        self.states[index] = State::Waiting { sent: at };
        self.waiting += 1;
        self.last_deadline = Some(at + self.timeout);
    }

    fn finish(
        &mut self,
        index: usize,
        rtt: Option<Duration>,
        on_result: &mut impl FnMut(usize, Option<Duration>),
    ) {
        if let State::Waiting { .. } = self.states[index] {
            self.waiting -= 1;
        }
        self.states[index] = State::Done;
        self.results[index] = rtt;
        on_result(index, rtt);
    }

    /// Reads every datagram already queued on `lane` and settles the
    /// requests they answer.
    fn drain<S: TryRecvFrom>(
        &mut self,
        lane: Option<&Lane<S>>,
        on_result: &mut impl FnMut(usize, Option<Duration>),
    ) {
        let Some(lane) = lane else { return };
        let mut buf = [0u8; RECEIVE_SIZE];
        let mut errors = 0;
        loop {
            match lane.socket.try_recv(&mut buf) {
                Ok((len, from)) => {
                    let received = Instant::now();
                    let Some(index) = lane.reply_index(&buf[..len], self.token) else { continue };
                    self.reply(index, from.ip(), received, on_result);
                }
                Err(err) if err.kind() == ErrorKind::WouldBlock => return,
                Err(err) => {
                    // A pending socket error is reported once; a steady
                    // stream of them means the socket is unusable.
                    debug!(%err, "sweep socket receive error");
                    errors += 1;
                    if errors > 16 {
                        return;
                    }
                }
            }
        }
    }

    fn reply(
        &mut self,
        index: usize,
        from: IpAddr,
        received: Instant,
        on_result: &mut impl FnMut(usize, Option<Duration>),
    ) {
        // Only the address asked may answer for it; a late reply counts as
        // none, as it would for a probe that had already given up.
        if self.addrs.get(index) != Some(&from) {
            return;
        }
        if let Some(State::Waiting { sent }) = self.states.get(index).copied() {
            let rtt = received.saturating_duration_since(sent);
            if rtt <= self.timeout {
                self.finish(index, Some(rtt), on_result);
            }
        }
    }

    fn finish_unanswered(
        mut self,
        on_result: &mut impl FnMut(usize, Option<Duration>),
    ) -> Vec<Option<Duration>> {
        for index in 0..self.states.len() {
            if !matches!(self.states[index], State::Done) {
                self.finish(index, None, on_result);
            }
        }
        self.results
    }
}

/// A classic BPF program for a raw socket: accept echo replies carrying
/// `identifier`, drop everything else. On IPv4 the packet starts with the IP
/// header (its length read from the IHL field); on IPv6 with the ICMP header.
fn replies_only(family: Family, identifier: u16) -> Vec<SockFilter> {
    // Opcodes from <linux/filter.h>.
    const LD_B_ABS: u16 = 0x30;
    const LD_H_ABS: u16 = 0x28;
    const LD_B_IND: u16 = 0x50;
    const LD_H_IND: u16 = 0x48;
    const LDX_B_MSH: u16 = 0xb1;
    const JEQ_K: u16 = 0x15;
    const RET_K: u16 = 0x06;
    const ACCEPT: u32 = RECEIVE_SIZE as u32;
    let identifier = u32::from(identifier);
    match family {
        Family::V4 => vec![
            SockFilter::new(LDX_B_MSH, 0, 0, 0), // X = IP header length
            SockFilter::new(LD_B_IND, 0, 0, 0),  // A = ICMP type
            SockFilter::new(JEQ_K, 0, 3, 0),     // echo reply?
            SockFilter::new(LD_H_IND, 0, 0, 4),  // A = identifier
            SockFilter::new(JEQ_K, 0, 1, identifier),
            SockFilter::new(RET_K, 0, 0, ACCEPT), // keep
            SockFilter::new(RET_K, 0, 0, 0),      // drop
        ],
        Family::V6 => vec![
            SockFilter::new(LD_B_ABS, 0, 0, 0), // A = ICMPv6 type
            SockFilter::new(JEQ_K, 0, 3, 129),  // echo reply?
            SockFilter::new(LD_H_ABS, 0, 0, 4), // A = identifier
            SockFilter::new(JEQ_K, 0, 1, identifier),
            SockFilter::new(RET_K, 0, 0, ACCEPT),
            SockFilter::new(RET_K, 0, 0, 0),
        ],
    }
}

fn echo_request(family: Family, identifier: u16, token: u32, index: usize) -> [u8; REQUEST] {
    // Indexes fit in u32: `run` checks the length of the list.
    let index = index as u32;
    let mut packet = [0u8; REQUEST];
    packet[0] = match family {
        Family::V4 => 8,
        Family::V6 => 128,
    };
    packet[4..6].copy_from_slice(&identifier.to_be_bytes());
    packet[6..8].copy_from_slice(&(index as u16).to_be_bytes());
    packet[8..12].copy_from_slice(&MARKER);
    packet[12..16].copy_from_slice(&token.to_be_bytes());
    packet[16..20].copy_from_slice(&index.to_be_bytes());
    // The kernel fills in the checksum for ICMPv6 and for datagram sockets;
    // a raw ICMPv4 socket sends what it is given.
    if family == Family::V4 {
        let checksum = internet_checksum(&packet);
        packet[2..4].copy_from_slice(&checksum.to_be_bytes());
    }
    packet
}

/// The RFC 1071 checksum.
fn internet_checksum(data: &[u8]) -> u16 {
    let mut sum: u32 =
        data.chunks(2).map(|pair| u32::from(u16::from_be_bytes([pair[0], *pair.get(1).unwrap_or(&0)]))).sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// Tells this sweep's replies from those of an earlier sweep still arriving.
fn sweep_token() -> u32 {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    (now.as_nanos() as u32) ^ std::process::id().rotate_left(13)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: u32 = 0xdead_beef;
    const IDENT: u16 = 0x8123;

    /// What the target sends back: our request with the type turned into a
    /// reply (and, on a datagram socket, the identifier the kernel chose).
    fn reply_to(family: Family, index: usize, identifier: u16) -> Vec<u8> {
        let mut packet = echo_request(family, IDENT, TOKEN, index).to_vec();
        packet[0] = if family == Family::V4 { 0 } else { 129 };
        packet[4..6].copy_from_slice(&identifier.to_be_bytes());
        packet
    }

    fn with_ipv4_header(icmp: &[u8]) -> Vec<u8> {
        let mut datagram = vec![0x45, 0, 0, 0, 0, 0, 0, 0, 64, 1, 0, 0, 127, 1, 2, 3, 127, 0, 0, 1];
        datagram.extend_from_slice(icmp);
        datagram
    }

    #[test]
    fn a_raw_ipv4_reply_is_read_past_its_ip_header() {
        let datagram = with_ipv4_header(&reply_to(Family::V4, 70_000, IDENT));
        assert_eq!(reply_index(&datagram, Family::V4, SocketKind::Raw, IDENT, TOKEN), Some(70_000));
    }

    #[test]
    fn a_raw_socket_ignores_replies_with_another_identifier() {
        let datagram = with_ipv4_header(&reply_to(Family::V4, 1, IDENT ^ 1));
        assert_eq!(reply_index(&datagram, Family::V4, SocketKind::Raw, IDENT, TOKEN), None);
    }

    #[test]
    fn a_datagram_socket_accepts_the_kernels_identifier() {
        let datagram = reply_to(Family::V4, 5, 0x0042);
        assert_eq!(reply_index(&datagram, Family::V4, SocketKind::Dgram, IDENT, TOKEN), Some(5));
        let datagram = reply_to(Family::V6, 6, 0x0042);
        assert_eq!(reply_index(&datagram, Family::V6, SocketKind::Dgram, IDENT, TOKEN), Some(6));
    }

    #[test]
    fn requests_other_sweeps_and_short_packets_are_not_replies() {
        let request = with_ipv4_header(&echo_request(Family::V4, IDENT, TOKEN, 1));
        assert_eq!(reply_index(&request, Family::V4, SocketKind::Raw, IDENT, TOKEN), None);
        let other_sweep = reply_to(Family::V6, 1, IDENT);
        assert_eq!(reply_index(&other_sweep, Family::V6, SocketKind::Raw, IDENT, TOKEN ^ 1), None);
        let short = &reply_to(Family::V4, 1, IDENT)[..12];
        assert_eq!(reply_index(short, Family::V4, SocketKind::Dgram, IDENT, TOKEN), None);
    }

    #[test]
    fn an_ipv4_request_carries_a_valid_checksum() {
        assert_eq!(internet_checksum(&echo_request(Family::V4, IDENT, TOKEN, 9)), 0);
    }

    #[test]
    fn checksum_of_a_known_echo_request() {
        // Echo request, identifier 0x1234, sequence 1, no payload:
        // ~(0x0800 + 0x1234 + 0x0001) = ~0x1a35.
        let packet = [8, 0, 0, 0, 0x12, 0x34, 0x00, 0x01];
        assert_eq!(internet_checksum(&packet), !0x1a35);
    }

    #[test]
    fn a_packet_with_its_checksum_sums_to_zero() {
        let mut packet = [8u8, 0, 0, 0, 0xab, 0xcd, 0, 7, 1, 2, 3];
        let checksum = internet_checksum(&packet);
        packet[2..4].copy_from_slice(&checksum.to_be_bytes());
        assert_eq!(internet_checksum(&packet), 0);
    }
}
