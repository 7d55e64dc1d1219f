//! Time-based one-time codes (RFC 6238: SHA-1, 6 digits, 30-second steps), as authenticator
//! apps show them. A code is accepted for the step before and after the current one, and
//! each step only once: the caller stores the step [`verify`] returns.

use subtle::ConstantTimeEq;
use totp_rs::{Builder, Secret, Totp};

#[derive(Debug, thiserror::Error)]
pub enum TotpError {
    #[error("the stored second-factor secret is not valid")]
    BadSecret,
    #[error("the system could not provide randomness: {0}")]
    NoRandomness(String),
}

fn totp(secret_base32: &str) -> Result<Totp, TotpError> {
    let secret = Secret::try_from_base32(secret_base32).map_err(|_| TotpError::BadSecret)?;
    Builder::new()
        .with_secret(secret)
        .build()
        .map_err(|_| TotpError::BadSecret)
}

/// A new 160-bit secret, base32-encoded, to enter into an authenticator app.
pub fn new_secret() -> Result<String, TotpError> {
    let mut bytes = [0u8; 20];
    getrandom::fill(&mut bytes).map_err(|e| TotpError::NoRandomness(e.to_string()))?;
    Ok(Secret::from(bytes).to_base32())
}

/// The `otpauth://` address an authenticator app reads (usually from a QR code).
pub fn provisioning_uri(secret_base32: &str, account: &str, issuer: &str) -> String {
    fn encode(text: &str) -> String {
        text.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                    char::from(b).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    }
    format!(
        "otpauth://totp/{}:{}?secret={secret_base32}&issuer={}&algorithm=SHA1&digits=6&period=30",
        encode(issuer),
        encode(account),
        encode(issuer)
    )
}

/// The code for `unix_time` (for tests and the CLI's check after enrolment).
pub fn code_at(secret_base32: &str, unix_time: u64) -> Result<String, TotpError> {
    Ok(totp(secret_base32)?.generate(unix_time).to_string())
}

/// The time step `code` belongs to, if it is valid at `unix_time` and newer than
/// `last_used_step` (so a code seen once cannot be replayed).
pub fn verify(
    secret_base32: &str,
    code: &str,
    unix_time: u64,
    last_used_step: Option<u64>,
) -> Result<Option<u64>, TotpError> {
    let totp = totp(secret_base32)?;
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    let now_step = unix_time / 30;
    for step in [now_step.saturating_sub(1), now_step, now_step + 1] {
        let expected = totp.generate(step * 30).to_string();
        if bool::from(expected.as_bytes().ct_eq(code.as_bytes())) {
            return Ok(last_used_step
                .is_none_or(|last| step > last)
                .then_some(step));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B's SHA-1 secret ("12345678901234567890"), base32.
    const RFC_SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

    #[test]
    fn matches_the_rfc_6238_test_vectors() {
        // The RFC lists 8-digit codes; authenticator apps show the last 6.
        for (time, eight) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (2_000_000_000, "69279037"),
        ] {
            assert_eq!(code_at(RFC_SECRET, time).unwrap(), &eight[2..]);
        }
    }

    #[test]
    fn accepts_one_step_of_drift_and_never_the_same_step_twice() {
        let now = 1_800_000_000;
        let code = code_at(RFC_SECRET, now).unwrap();
        let step = verify(RFC_SECRET, &code, now, None).unwrap().unwrap();
        assert_eq!(step, now / 30);
        assert_eq!(
            verify(RFC_SECRET, &code, now, Some(step)).unwrap(),
            None,
            "replayed"
        );
        assert!(
            verify(RFC_SECRET, &code, now + 30, None).unwrap().is_some(),
            "30 s late is fine"
        );
        assert!(
            verify(RFC_SECRET, &code, now + 90, None).unwrap().is_none(),
            "90 s late is not"
        );
        assert!(verify(RFC_SECRET, "000000", now, None).unwrap().is_none() || code == "000000");
        assert!(verify("not base32!", &code, now, None).is_err());
    }

    #[test]
    fn new_secrets_work_in_provisioning_addresses() {
        let secret = new_secret().unwrap();
        assert_eq!(secret.len(), 32);
        let uri = provisioning_uri(&secret, "sam@northgate.example", "Harbour Harbourshire");
        assert!(
            uri.starts_with(
                "otpauth://totp/Harbour%20Harbourshire:sam%40northgate.example?secret="
            ),
            "{uri}"
        );
    }
}
