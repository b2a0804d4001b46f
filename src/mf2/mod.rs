//! Microformats2 parsing (being built).
