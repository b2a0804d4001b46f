//! The use cases: one function per thing a reader, author or moderator can do, each one
//! transaction through the store. No actix here.

pub mod spam;
