//! One module per subcommand.

pub mod approve;
pub mod check;
pub mod compliance;
pub mod drift;
pub mod export_terraform;
pub mod layer0;
pub mod log;
pub mod remediate;
pub mod snapshot;
pub mod tunnel;
pub mod validate;
pub mod verify_token;
pub mod waf;
pub mod watch;
