//! Turning stored things into bytes for readers: markdown to safe HTML, avatars, feeds,
//! HTML pages and fragments. Pure: no actix, no SQL.

pub mod avatar;
pub mod feed;
pub mod html;
pub mod markdown;
