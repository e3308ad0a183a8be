//! The connection layer under ureq: the connector chain and per-attempt state (`transport`), DNS
//! (`resolver`), the proxies' steps (`connect_proxy`, `socks`), loopback addresses that bypass a
//! system proxy (`loopback`), where an answer's body ends (`body_end`), and building an agent
//! from the settings (`agent`).

pub(crate) mod agent;
pub(crate) mod body_end;
pub(crate) mod connect_proxy;
pub(crate) mod loopback;
pub(crate) mod resolver;
pub(crate) mod socks;
pub(crate) mod transport;
