//! Copies a whole database between engines (`natter db copy`).
