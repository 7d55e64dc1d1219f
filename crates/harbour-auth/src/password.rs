//! Passwords: Argon2id hashes in PHC strings, and the rules a new password must meet.

use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};
use std::sync::OnceLock;

/// Why a new password was refused, in words for the person choosing it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WeakPassword {
    #[error(
        "a password needs at least {MIN_LENGTH} characters; a few unrelated words make a good one"
    )]
    TooShort,
    #[error("a password can have at most {MAX_LENGTH} characters")]
    TooLong,
    #[error("that password is one of the most common; choose one nobody would guess")]
    Common,
    #[error("a password must not contain your email address or its name part")]
    ContainsEmail,
}

#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

pub const MIN_LENGTH: usize = 12;
pub const MAX_LENGTH: usize = 128;

/// Very common passwords and patterns, lower-cased. Length rules catch most weak choices;
/// these are the long ones people still pick.
const COMMON: &[&str] = &[
    "password1234",
    "123456789012",
    "qwertyuiopas",
    "passwordpassword",
    "iloveyou1234",
    "letmein12345",
    "welcome12345",
    "safeguarding",
    "safeguarding1",
    "safeguarding123",
    "changeme1234",
    "administrator",
    "qwerty123456",
    "password123!",
    "1q2w3e4r5t6y",
];

/// Checks a new password against the rules (NCSC and OWASP ASVS: length over complexity,
/// no common passwords, no composition rules).
pub fn check_strength(password: &str, email: &str) -> Result<(), WeakPassword> {
    let length = password.chars().count();
    if length < MIN_LENGTH {
        return Err(WeakPassword::TooShort);
    }
    if length > MAX_LENGTH {
        return Err(WeakPassword::TooLong);
    }
    let lower = password.to_lowercase();
    if COMMON.contains(&lower.as_str()) || lower.chars().all(|c| lower.starts_with(c)) {
        return Err(WeakPassword::Common);
    }
    let email = email.trim().to_lowercase();
    let local = email.split('@').next().unwrap_or_default();
    if (!email.is_empty() && lower.contains(&email)) || (local.len() >= 4 && lower.contains(local))
    {
        return Err(WeakPassword::ContainsEmail);
    }
    Ok(())
}

/// Hashes a password with Argon2id at the crate's default cost (OWASP's recommended
/// m = 19 MiB, t = 2, p = 1) and a fresh random salt.
pub fn hash(password: &str) -> Result<String, HashError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|e| HashError(e.to_string()))
}

/// Whether `password` matches `stored`. A malformed stored hash never matches.
pub fn verify(stored: &str, password: &str) -> bool {
    PasswordHash::new(stored)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Spends the same effort as checking a real password, for accounts that do not exist, so
/// the time a sign-in takes does not say whether the account is real. Gives whether the
/// Argon2id check ran (it does unless the stand-in hash could not be made), so a caller can
/// count password checks the same way on both paths.
pub fn verify_against_nothing(password: &str) -> bool {
    match stand_in() {
        Some(stand_in) => {
            let _ = verify(stand_in, password);
            true
        }
        None => false,
    }
}

/// The hash an unknown account's password is checked against: made by [`hash`] once, so it
/// has the same algorithm and cost as every real one (a test compares them, because timing
/// the two paths is not something a test on a loaded machine can do reliably).
fn stand_in() -> Option<&'static str> {
    static STAND_IN: OnceLock<Option<String>> = OnceLock::new();
    STAND_IN
        .get_or_init(|| hash("not a real password, only a timing stand-in").ok())
        .as_deref()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_are_salted() {
        let first = hash("correct horse battery staple").unwrap();
        let second = hash("correct horse battery staple").unwrap();
        assert!(first.starts_with("$argon2id$"), "{first}");
        assert_ne!(first, second, "each hash has its own salt");
        assert!(verify(&first, "correct horse battery staple"));
        assert!(!verify(&first, "correct horse battery stapler"));
        assert!(!verify("not a hash", "anything"));
    }

    #[test]
    fn an_unknown_account_costs_the_same_argon2id_work_as_a_real_one() {
        let real = hash("correct horse battery staple").unwrap();
        let stand_in = stand_in().unwrap();
        let (real, stand_in) = (
            PasswordHash::new(&real).unwrap(),
            PasswordHash::new(stand_in).unwrap(),
        );
        assert_eq!(stand_in.algorithm, real.algorithm);
        assert_eq!(stand_in.version, real.version);
        // The cost parameters (memory, iterations, lanes) are what make the time.
        assert_eq!(stand_in.params, real.params);
        assert_eq!(
            stand_in.hash.map(|h| h.len()),
            real.hash.map(|h| h.len()),
            "same output length"
        );
        assert!(verify_against_nothing("anything at all"), "the check ran");
    }

    #[test]
    fn weak_passwords_are_refused_with_a_reason() {
        let email = "sam.okafor@northgate.example";
        assert_eq!(check_strength("short", email), Err(WeakPassword::TooShort));
        assert_eq!(
            check_strength(&"x".repeat(129), email),
            Err(WeakPassword::TooLong)
        );
        assert_eq!(
            check_strength("Safeguarding123", email),
            Err(WeakPassword::Common)
        );
        assert_eq!(
            check_strength("aaaaaaaaaaaaaa", email),
            Err(WeakPassword::Common)
        );
        assert_eq!(
            check_strength("my sam.okafor secret", email),
            Err(WeakPassword::ContainsEmail)
        );
        assert_eq!(check_strength("lantern orbit meadow", email), Ok(()));
        // Length counts characters, not bytes.
        assert_eq!(
            check_strength("ééééééééééé", email),
            Err(WeakPassword::TooShort)
        );
    }
}
