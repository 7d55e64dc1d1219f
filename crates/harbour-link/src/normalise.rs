//! Names as agencies write them, reduced to a form that compares fairly: lower case, accents
//! folded, apostrophes, hyphens and spaces dropped, and the Mac/Mc prefix written one way.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// A name's comparable form: "O'Brien" → "obrien", "Doyle-Khan" → "doylekhan",
/// "José" → "jose", "MacDonald" → "mcdonald". Empty when nothing is left.
pub fn name(text: &str) -> String {
    // Most names are plain ASCII: skip Unicode decomposition for them.
    let folded: String = if text.is_ascii() {
        text.bytes()
            .filter(u8::is_ascii_alphanumeric)
            .map(|b| char::from(b.to_ascii_lowercase()))
            .collect()
    } else {
        text.nfd()
            .filter(|c| !is_combining_mark(*c))
            .flat_map(char::to_lowercase)
            .filter(|c| c.is_alphanumeric())
            .collect()
    };
    match folded.strip_prefix("mac") {
        // Mac and Mc are the same prefix written two ways; "Mack" and "Mace" keep theirs.
        Some(rest) if rest.chars().count() >= 4 => format!("mc{rest}"),
        _ => folded,
    }
}

/// The parts of a double-barrelled or multi-word name, each normalised: "Doyle-Khan" →
/// ["doyle", "khan"]. A single name gives itself.
pub fn parts(text: &str) -> Vec<String> {
    text.split(|c: char| c == '-' || c.is_whitespace())
        .map(name)
        .filter(|p| !p.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_fold_to_a_fair_form() {
        assert_eq!(name("O'Brien"), "obrien");
        assert_eq!(name("o’brien"), "obrien");
        assert_eq!(name("Doyle-Khan"), "doylekhan");
        assert_eq!(name("José"), "jose");
        assert_eq!(name("Zoë"), "zoe");
        assert_eq!(
            name("ŁUKASZ"),
            "łukasz",
            "letters that are not accents stay"
        );
        assert_eq!(name("MacDonald"), name("McDonald"));
        assert_eq!(name("Mack"), "mack", "a short Mac- name keeps its spelling");
        assert_eq!(name("  "), "");
        assert_eq!(name("-'"), "");
    }

    #[test]
    fn double_barrelled_names_split_into_parts() {
        assert_eq!(parts("Doyle-Khan"), ["doyle", "khan"]);
        assert_eq!(parts("Mary Ann"), ["mary", "ann"]);
        assert_eq!(parts("Smith"), ["smith"]);
        assert!(parts(" - ").is_empty());
    }
}
