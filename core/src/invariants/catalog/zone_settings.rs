//! Checks of this area (see the module list in `catalog`).

use super::Check;

pub(super) const CHECKS: &[Check] = &[];
