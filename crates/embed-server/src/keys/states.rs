//! Which keys are revoked, and at which generation, held in memory and reloaded
//! every few seconds, so checking a session on the chat route costs no database
//! round trip while a revocation still reaches every node within seconds.

use sitekit_sdk::ErrorCode;
use std::collections::HashMap;
use std::sync::RwLock;

use crate::db::Db;
use crate::error::ApiError;
use crate::keys::KeyState;

#[derive(Debug, Default)]
pub struct KeyStates {
    states: RwLock<HashMap<String, KeyState>>,
}

impl KeyStates {
    pub async fn load(db: &Db) -> Result<Self, sqlx::Error> {
        let states = KeyStates::default();
        states.refresh(db).await?;
        Ok(states)
    }

    pub async fn refresh(&self, db: &Db) -> Result<(), sqlx::Error> {
        let fresh: HashMap<_, _> = db.key_states().await?.into_iter().collect();
        *self
            .states
            .write()
            .expect("no panics while holding the lock") = fresh;
        Ok(())
    }

    /// Whether a session minted for `key_id` at `generation` is still good. A key
    /// newer than the last reload is unknown here and its sessions pass: they were
    /// minted from the database moments ago.
    pub fn check(&self, key_id: &str, generation: i64) -> Result<(), ApiError> {
        let states = self
            .states
            .read()
            .expect("no panics while holding the lock");
        match states.get(key_id) {
            Some(state) if state.revoked => Err(ApiError::unauthorized(
                ErrorCode::KeyRevoked,
                "this widget's key has been revoked",
            )),
            Some(state) if state.generation != generation => Err(ApiError::unauthorized(
                ErrorCode::SessionRevoked,
                "this session has been ended; start a new one",
            )),
            _ => Ok(()),
        }
    }
}
