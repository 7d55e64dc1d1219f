//! `TCP_NODELAY` on the connections to PostgreSQL.
//!
//! sqlx 0.9.0 opens its TCP connections without `TCP_NODELAY` (sqlx issue #4335; fixed upstream
//! by pull request #4336, not yet in a release). With Nagle's algorithm on, a short message
//! written while an earlier one is still unacknowledged waits for the server's delayed
//! acknowledgement: 40 ms on Linux. Every `COPY` ends that way (the rows, then `CopyDone`),
//! so each batch of an import paid up to 40 ms three times: a 30,000-child county took 43–48 s
//! to import over TCP and 35.7 s over a Unix socket, where there is no Nagle's algorithm.
//! libpq, and sqlx before 0.9, always set the option.
//!
//! sqlx gives no access to its sockets, so after each connection opens this finds the
//! process's TCP sockets whose peer is the database's port and sets the option on them.
//! Setting it on another connection to the same port does no harm (it only sends small
//! writes sooner). Linux only: `pidfd_getfd` takes a duplicate of the descriptor, in safe code;
//! only descriptors that are sockets are touched, because closing a duplicate of a file would
//! drop the process's POSIX locks on that file. Remove once sqlx releases the fix.

use std::net::SocketAddr;

/// Sets `TCP_NODELAY` on every TCP socket of this process connected to `port`; gives how many
/// it set. Errors are for the caller to log: without the option a connection still works,
/// only slower.
pub(crate) fn set_on_connections_to(port: u16) -> std::io::Result<usize> {
    let sockets = tcp_sockets(|_, peer| peer.port() == port)?;
    for socket in &sockets {
        rustix::net::sockopt::set_tcp_nodelay(socket, true)?;
    }
    Ok(sockets.len())
}

/// Duplicates of this process's TCP sockets whose local and peer addresses pass `matching`.
fn tcp_sockets(
    matching: impl Fn(SocketAddr, SocketAddr) -> bool,
) -> std::io::Result<Vec<std::os::fd::OwnedFd>> {
    use rustix::process::{PidfdFlags, PidfdGetfdFlags, getpid, pidfd_getfd, pidfd_open};
    let pidfd = pidfd_open(getpid(), PidfdFlags::empty())?;
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc/self/fd")? {
        let entry = entry?;
        let Some(fd) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<i32>().ok())
        else {
            continue;
        };
        // The link says what the descriptor is; anything but a socket is left untouched.
        let is_socket = std::fs::read_link(entry.path())
            .is_ok_and(|target| target.to_string_lossy().starts_with("socket:"));
        if !is_socket {
            continue;
        }
        // Closed since the listing (by another thread): nothing to do.
        let Ok(socket) = pidfd_getfd(&pidfd, fd, PidfdGetfdFlags::empty()) else {
            continue;
        };
        let address = |found: Option<rustix::net::SocketAddrAny>| {
            found.and_then(|address| SocketAddr::try_from(address).ok())
        };
        let local = address(rustix::net::getsockname(&socket).ok());
        let peer = address(rustix::net::getpeername(&socket).ok().flatten());
        if let (Some(local), Some(peer)) = (local, peer)
            && matching(local, peer)
        {
            found.push(socket);
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use crate::store::Pools;
    use crate::{Store, StoreLocation};

    /// Without the option every `COPY` of an import waits 40 ms at its end. Checked on the
    /// very socket the server says the connection comes from, so other tests' connections
    /// in the same process do not matter.
    #[tokio::test]
    async fn the_stores_postgres_connections_send_without_waiting() {
        let Some(admin) = std::env::var("HARBOUR_TEST_POSTGRES_URL")
            .ok()
            .filter(|u| !u.is_empty())
        else {
            return; // PostgreSQL not under test in this run
        };
        let url = crate::testing::fresh_postgres_database(&admin).await;
        let location = StoreLocation::choose(Some(&url), std::path::Path::new(".")).unwrap();
        let store = Store::open(location, harbour_policy::Policy::default_policy().unwrap())
            .await
            .unwrap();
        let Pools::Postgres(pool) = &store.pools else {
            panic!("a PostgreSQL URL opened another backend");
        };
        let mut conn = pool.acquire().await.unwrap();
        let (client, server): (Option<i32>, Option<i32>) =
            sqlx::query_as("SELECT inet_client_port(), inet_server_port()")
                .fetch_one(&mut *conn)
                .await
                .unwrap();
        let (Some(client), Some(server)) = (client, server) else {
            return; // a Unix socket: nothing to set
        };
        let sockets = super::tcp_sockets(|local, peer| {
            i32::from(local.port()) == client && i32::from(peer.port()) == server
        })
        .unwrap();
        assert_eq!(sockets.len(), 1, "the connection's own socket is found");
        assert!(rustix::net::sockopt::tcp_nodelay(&sockets[0]).unwrap());
    }
}
