//! The outbound fetcher (being built).
