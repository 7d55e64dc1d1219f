//! Random tokens (sessions, agency API tokens) and the hashes kept in their place.

use sha2::{Digest, Sha256};

#[derive(Debug, thiserror::Error)]
#[error("the system could not provide randomness: {0}")]
pub struct NoRandomness(String);

/// 256 random bits, hex-encoded, after `prefix` (so a leaked token says what it is).
pub fn new_token(prefix: &str) -> Result<String, NoRandomness> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| NoRandomness(e.to_string()))?;
    Ok(format!("{prefix}{}", hex::encode(bytes)))
}

/// What the database keeps instead of a token: a copy of the database opens nothing.
pub fn hash_token(purpose: &str, token: &str) -> String {
    hex::encode(Sha256::digest(
        format!("harbour-{purpose}:{token}").as_bytes(),
    ))
}

/// The prefix on agency API tokens.
pub const API_TOKEN_PREFIX: &str = "hbt_";

/// Whether `text` has the shape of an API token (so junk never reaches the database).
pub fn looks_like_api_token(text: &str) -> bool {
    text.strip_prefix(API_TOKEN_PREFIX)
        .is_some_and(|rest| rest.len() == 64 && rest.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_prefixed_and_hashed_per_purpose() {
        let a = new_token(API_TOKEN_PREFIX).unwrap();
        let b = new_token(API_TOKEN_PREFIX).unwrap();
        assert_ne!(a, b);
        assert!(looks_like_api_token(&a));
        assert!(!looks_like_api_token("hbt_123"));
        assert!(!looks_like_api_token(&a.replace("hbt_", "xyz_")));
        assert_ne!(hash_token("session", &a), hash_token("api", &a));
        assert_eq!(hash_token("api", &a), hash_token("api", &a));
    }
}
