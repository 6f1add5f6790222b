//! The UI's state: one pure reducer per stream from the backend (testable without a browser).

pub mod clusters;
pub mod fleet;
