//! Keys: their format (`format`), the scopes they carry and may grant
//! (`scopes`), their storage and audit trail (`store`), and the revocations
//! and generations every node holds in memory for the chat route (`states`).

pub mod caller;
mod format;
pub mod ops;
pub mod scopes;
pub mod states;
mod store;

pub use caller::Caller;
pub use format::{KeyFormatError, KeyKind, KeyMode, ParsedKey};
pub use store::{
    AdminKeyRecord, DEFAULT_ROTATION_GRACE_SECS, KeyEvent, KeyListing, KeyState,
    MAX_ROTATION_GRACE_SECS, NewAdminKey, RotatedKey, earlier_expiry,
};
pub(crate) use store::{insert_publishable_key, record_key_event};
