//! The TCP connect probe: success is an established connection within the
//! timeout. Nothing is sent on the connection.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::net::TcpStream;
use tracing::debug;

/// Connects to `addr`; the time the handshake took, or `None` when it was
/// refused, failed or did not finish within `timeout`.
pub(crate) async fn connect(addr: SocketAddr, timeout: Duration) -> Option<Duration> {
    let started = Instant::now();
    match tokio::time::timeout(timeout, TcpStream::connect(addr)).await {
        Ok(Ok(stream)) => {
            let rtt = started.elapsed();
            // Closing with a reset rather than a FIN: a prober that closes
            // thousands of connections a minute would otherwise hold as many
            // sockets in TIME_WAIT.
            if let Err(err) = stream.set_zero_linger() {
                debug!(%addr, %err, "could not set SO_LINGER 0 on the probe connection");
            }
            Some(rtt)
        }
        Ok(Err(err)) => {
            debug!(%addr, %err, "TCP probe failed");
            None
        }
        Err(_elapsed) => None,
    }
}
