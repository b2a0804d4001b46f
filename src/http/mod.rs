//! The web plumbing: app state, extractors, middleware pieces, rate limits, the thread
//! cache, metrics, the request log and the connection gate. Routes
//! build on this; nothing here knows a route.

pub mod body;
pub mod cache;
pub mod client_ip;
pub mod conn;
pub mod error;
pub mod etag;
pub mod extract;
pub mod limits;
pub mod loading;
pub mod middleware;
pub mod state;
pub mod telemetry;
