//! Turning stored things into bytes for readers: markdown to safe HTML, avatars, feeds,
//! HTML pages, fragments and emails. Pure: no actix, no SQL. HTML is built with maud,
//! which escapes what it inserts unless told it is already safe.

pub mod avatar;
pub mod email;
pub mod feed;
pub mod fragment;
pub mod markdown;
pub mod pages;
pub mod signin;
