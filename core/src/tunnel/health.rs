//! Whether a tunnel's connections are up, from `GET …/cfd_tunnel/{id}/connections`.

use serde::Serialize;

use crate::snapshot::TunnelConnector;

/// A tunnel's connections, counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ConnectionHealth {
    /// Connectors (cloudflared instances).
    pub connectors: usize,
    /// Connections to Cloudflare's edge that are up (not about to reconnect).
    pub active: usize,
    /// Connections about to reconnect.
    pub pending_reconnect: usize,
}

impl ConnectionHealth {
    /// Healthy: at least one connection up and none about to reconnect (Cloudflare's own
    /// `healthy` status; some connections down is `degraded`).
    pub fn is_healthy(&self) -> bool {
        self.active > 0 && self.pending_reconnect == 0
    }
}

/// Counts `connectors`' connections.
///
/// ```
/// let demo = cfcp::snapshot::demo();
/// let prod = demo.accounts[0].tunnels.iter().find(|t| t.tunnel.name.as_deref() == Some("acme-prod-shop")).unwrap();
/// assert!(cfcp::tunnel::connection_health(&prod.connections).is_healthy());
/// assert!(!cfcp::tunnel::connection_health(&[]).is_healthy());
/// ```
pub fn connection_health(connectors: &[TunnelConnector]) -> ConnectionHealth {
    let mut health = ConnectionHealth {
        connectors: connectors.len(),
        active: 0,
        pending_reconnect: 0,
    };
    for conn in connectors
        .iter()
        .flat_map(|c| c.conns.get().into_iter().flatten())
    {
        if conn.is_pending_reconnect.copied() == Some(true) {
            health.pending_reconnect += 1;
        } else {
            health.active += 1;
        }
    }
    health
}
