//! The main navigation. Each capability that has a page in it contributes one [`NavEntry`],
//! and `router.rs` lists them in the order shown; the layout shows a signed-in user the
//! entries their role may use.

use harbour_policy::{Policy, Principal};

/// One link in the main navigation, and who sees it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NavEntry {
    pub href: &'static str,
    pub label: &'static str,
    /// Whether the policy gives this principal the page behind the link.
    pub shown: fn(&Policy, &Principal) -> bool,
}

/// For links every signed-in user sees.
pub(crate) fn everyone(_policy: &Policy, _who: &Principal) -> bool {
    true
}
