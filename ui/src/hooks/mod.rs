//! Hooks shared by pages, one per file.

mod use_action_flow;
mod use_clock;
mod use_escape;
mod use_keydown;
mod use_search_keys;
mod use_ticker;
mod use_unfolding;

pub use use_action_flow::{ActionRunner, use_action_flow};
pub use use_clock::{age, ago, use_clock};
pub use use_escape::use_escape;
pub use use_keydown::use_keydown;
pub use use_search_keys::use_search_keys;
pub use use_ticker::use_ticker;
pub use use_unfolding::use_unfolding;
