//! The gate holds by construction: this reads the store's own source and fails when
//! - anything but the gate begins a transaction, or
//! - a public method of `Store` reaches the database without going through the gate and is
//!   not on the list below of methods that read no child's record (each with its reason).
//!
//! A new public method that reads or writes personal data therefore fails here until it
//! calls `self.gate(..)` or `self.gate_read(..)`; putting it on the list instead means
//! writing down, for review, why it holds no personal data.

#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)] // test code: a panic is a failure

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Public methods that do not go through the gate, and why that is right.
const NOT_THROUGH_THE_GATE: &[(&str, &str)] = &[
    ("open", "opens and migrates the database"),
    ("open_for_import", "opens the database for a bulk import"),
    ("location", "where the database is"),
    ("policy", "the access policy itself"),
    ("close", "closes the connections"),
    ("health", "the backend's name and schema version"),
    (
        "list_agencies",
        "the directory of partner agencies: no person's data",
    ),
    ("tenants", "the local authorities this store holds"),
    (
        "list_demo_users",
        "the demo's fictional staff accounts, for the demo sign-in page",
    ),
    (
        "list_staff",
        "the staff directory, for an administrator at the command line",
    ),
    (
        "list_api_tokens",
        "token labels and dates, never a token, for an administrator",
    ),
    (
        "session_user",
        "authentication: runs before there is anyone to audit",
    ),
    ("demo_user", "authentication for the demo sign-in"),
    (
        "account_by_email",
        "authentication: the account a sign-in names",
    ),
    (
        "account_by_id",
        "authentication: re-checking a signed-in user's password",
    ),
    (
        "api_token",
        "authentication: the token an agency system presents",
    ),
    (
        "accept_second_factor_step",
        "authentication: a second-factor code used once",
    ),
    (
        "sign_in_failures",
        "authentication: the throttle's counters",
    ),
    (
        "clear_sign_in_failures",
        "authentication: the throttle's counters",
    ),
    (
        "verify_audit",
        "reads the chain's hashes and ids, never a record, and must not change the chain it checks",
    ),
    (
        "backup",
        "copies the whole database file for the operator who holds it",
    ),
    (
        "ingest_job",
        "an ingest job's status for the agency that sent it: ids and counts, polled often",
    ),
];

/// Where transactions may begin: the gate, and the two backends' definitions it calls.
const MAY_BEGIN: &[&str] = &["gate.rs", "backend/sqlite.rs", "backend/postgres.rs"];

fn sources() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = Vec::new();
    let mut dirs: Vec<PathBuf> = vec![root.clone()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let name = path
                    .strip_prefix(&root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.push((name, std::fs::read_to_string(&path).unwrap()));
            }
        }
    }
    out.sort();
    out
}

/// Each `pub fn` / `pub async fn` inside an `impl Store` block, with its body.
fn public_methods(text: &str) -> Vec<(String, String)> {
    methods_of(text, true)
}

/// Each method inside an `impl Store` block (only the public ones if `public`), with its body.
fn methods_of(text: &str, public: bool) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("\nimpl Store {") {
        let block = &rest[at + 1..];
        let end = matching_brace(block, block.find('{').unwrap());
        let body = &block[..=end];
        let marker = if public { "\n    pub " } else { "\n    " };
        for (i, _) in body.match_indices(marker) {
            let i = i + 1;
            let line = &body[i..body[i..].find('\n').map_or(body.len(), |n| i + n)];
            let Some(name) = line
                .split("fn ")
                .nth(1)
                .and_then(|s| s.split(['(', '<']).next())
            else {
                continue;
            };
            if public && line.contains("pub(") || !line.contains("fn ") {
                continue;
            }
            let open = i + body[i..].find('{').unwrap();
            let close = matching_brace(body, open);
            out.push((name.trim().to_owned(), body[open..=close].to_owned()));
        }
        rest = &block[end..];
    }
    out
}

/// The brace that closes the one at `open`, passing over braces inside string and
/// character literals.
fn matching_brace(text: &str, open: usize) -> usize {
    let bytes = text.as_bytes();
    let (mut depth, mut i, mut in_string) = (0, open, false);
    while i < bytes.len() {
        match (in_string, bytes[i]) {
            (true, b'\\') => i += 1,
            (true, b'"') => in_string = false,
            (true, _) => {}
            (false, b'"') => in_string = true,
            (false, b'\'') if bytes.get(i + 2) == Some(&b'\'') => i += 2,
            (false, b'{') => depth += 1,
            (false, b'}') => {
                depth -= 1;
                if depth == 0 {
                    return i;
                }
            }
            _ => {}
        }
        i += 1;
    }
    panic!("unbalanced braces")
}

#[test]
fn only_the_gate_begins_a_transaction() {
    let mut offenders = Vec::new();
    for (file, text) in sources() {
        if MAY_BEGIN.contains(&file.as_str()) {
            continue;
        }
        for needle in [".begin()", "begin_with(", "begin_write(", "BEGIN IMMEDIATE"] {
            for (n, line) in text.lines().enumerate() {
                if line.contains(needle) && !line.trim_start().starts_with("//") {
                    offenders.push(format!("{file}:{}: {}", n + 1, line.trim()));
                }
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "transactions begun outside the gate:\n{}",
        offenders.join("\n")
    );
}

#[test]
fn every_public_store_method_goes_through_the_gate_or_says_why_not() {
    let mut methods: BTreeMap<String, String> = BTreeMap::new();
    let mut every: BTreeMap<String, String> = BTreeMap::new();
    for (_, text) in sources() {
        // Without white space, so `self\n    .gate(` as rustfmt writes it reads `self.gate(`.
        let squeeze = |body: &str| body.split_whitespace().collect::<String>();
        for (name, body) in public_methods(&text) {
            methods.insert(name, squeeze(&body));
        }
        every.extend(
            methods_of(&text, false)
                .into_iter()
                .map(|(name, body)| (name, squeeze(&body))),
        );
    }
    assert!(
        methods.len() > 40,
        "the scan found too few methods ({}): has the source layout changed?",
        methods.len()
    );
    let allowed: BTreeMap<&str, &str> = NOT_THROUGH_THE_GATE.iter().copied().collect();
    let mut ungated = Vec::new();
    for (name, body) in &methods {
        let gated = [
            "self.gate(",
            "self.gate_read(",
            "self.service_gate(",
            "self.service_read(",
            "self.audit_refusal(",
        ]
            .iter()
            .any(|call| body.contains(call))
            // A method that hands its work to another method (public or not) that is gated.
            || every.iter().any(|(other, other_body)| {
                other != name
                    && body.contains(&format!("self.{other}("))
                    && other_body.contains("self.gate")
            });
        match (gated, allowed.contains_key(name.as_str())) {
            (true, true) => ungated.push(format!(
                "{name} goes through the gate: take it off NOT_THROUGH_THE_GATE"
            )),
            (false, false) => ungated.push(format!(
                "{name} reaches the database without the gate: call self.gate(..) or, if it \
                 reads no personal data, add it to NOT_THROUGH_THE_GATE with the reason"
            )),
            _ => {}
        }
    }
    for name in allowed.keys() {
        if !methods.contains_key(*name) {
            ungated.push(format!(
                "{name} is on NOT_THROUGH_THE_GATE but is no longer a public method"
            ));
        }
    }
    assert!(ungated.is_empty(), "{}", ungated.join("\n"));
}

#[test]
fn the_scan_sees_a_method_that_skips_the_gate() {
    // The scanner itself: a made-up impl block with one gated and one ungated method.
    let text = "\nimpl Store {\n    pub async fn good(&self) {\n        self.gate(a).await;\n    }\n\n    pub async fn bad(&self) -> Vec<u8> {\n        on_backend!(self, q, pool => q::read(pool))\n    }\n\n    pub(crate) fn inner(&self) {}\n}\n";
    let found = public_methods(text);
    let names: Vec<&str> = found.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["good", "bad"]);
    assert!(found[0].1.contains("self.gate("));
    assert!(!found[1].1.contains("self.gate"));
}
