//! Given names that are the same name: short forms and common alternative spellings.

use crate::normalise;

/// Each full name with the forms agencies also record for it.
pub const TABLE: &[(&str, &[&str])] = &[
    ("William", &["Will", "Bill", "Billy", "Liam", "Willie"]),
    ("James", &["Jim", "Jimmy", "Jamie"]),
    ("Thomas", &["Tom", "Tommy"]),
    ("Joseph", &["Joe", "Joey"]),
    ("Alexander", &["Alex", "Xander", "Sandy"]),
    ("Benjamin", &["Ben", "Benji"]),
    ("Matthew", &["Matt"]),
    ("Michael", &["Mike", "Mikey", "Mick"]),
    ("Christopher", &["Chris", "Kit"]),
    ("Jonathan", &["Jon", "Jonny"]),
    ("Nathan", &["Nate"]),
    ("Nathaniel", &["Nate", "Nat"]),
    ("Zachary", &["Zach", "Zac", "Zack"]),
    ("Samuel", &["Sam", "Sammy"]),
    ("Daniel", &["Dan", "Danny"]),
    ("Joshua", &["Josh"]),
    ("Theodore", &["Theo", "Ted"]),
    ("Frederick", &["Freddie", "Fred"]),
    ("Edward", &["Ed", "Eddie", "Ted", "Ned"]),
    ("Robert", &["Rob", "Robbie", "Bob", "Bobby"]),
    ("Richard", &["Rich", "Richie", "Dick"]),
    ("Anthony", &["Tony", "Ant"]),
    ("Jayden", &["Jay", "Jaden", "Jaiden", "Jaydon"]),
    ("Kayden", &["Kay", "Caden", "Kaiden", "Kaden"]),
    ("Elizabeth", &["Liz", "Lizzie", "Beth", "Eliza", "Betty"]),
    ("Victoria", &["Vicky", "Tori"]),
    ("Rebecca", &["Becky", "Becca"]),
    ("Abigail", &["Abi", "Abby"]),
    ("Charlotte", &["Charlie", "Lottie"]),
    ("Isabella", &["Bella", "Izzy"]),
    ("Isabelle", &["Belle", "Izzy"]),
    ("Jessica", &["Jess"]),
    ("Katherine", &["Kate", "Katie", "Kath", "Kathy"]),
    ("Catherine", &["Cathy", "Kate", "Katie", "Cath"]),
    ("Katie", &["Kate"]),
    ("Eleanor", &["Ellie", "Nell"]),
    ("Harriet", &["Hattie"]),
    ("Matilda", &["Tilly"]),
    ("Margaret", &["Maggie", "Meg", "Peggy"]),
    ("Jennifer", &["Jen", "Jenny"]),
];

/// Whether two given names are the same name written differently (not merely similar):
/// a full name and one of its short forms, or two short forms of the same full name.
pub fn same_name(a: &str, b: &str) -> bool {
    let (a, b) = (normalise::name(a), normalise::name(b));
    if a.is_empty() || b.is_empty() || a == b {
        return false;
    }
    let theirs = groups(&b);
    groups(&a).iter().any(|g| theirs.contains(g))
}

/// Every normalised form in the table with the groups (table rows) it belongs to. A form can
/// belong to more than one group.
static GROUPS: std::sync::LazyLock<std::collections::HashMap<String, Vec<u16>>> =
    std::sync::LazyLock::new(|| {
        let mut groups: std::collections::HashMap<String, Vec<u16>> =
            std::collections::HashMap::new();
        for (group, (full, short)) in (0u16..).zip(TABLE) {
            for form in std::iter::once(full).chain(short.iter()) {
                let entry = groups.entry(normalise::name(form)).or_default();
                if !entry.contains(&group) {
                    entry.push(group);
                }
            }
        }
        groups
    });

/// The nickname groups an already normalised given name belongs to: two names are the same
/// name when their groups intersect.
pub fn groups(normalised: &str) -> Vec<u16> {
    GROUPS.get(normalised).cloned().unwrap_or_default()
}

/// The short forms recorded for `given` (empty when it has none).
pub fn short_forms(given: &str) -> &'static [&'static str] {
    TABLE
        .iter()
        .find(|(full, _)| *full == given)
        .map_or(&[], |(_, short)| short)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_forms_and_spellings_are_the_same_name() {
        assert!(same_name("William", "Bill"));
        assert!(same_name("bill", "WILLIAM"));
        assert!(same_name("Kayden", "Caden"));
        assert!(same_name("Bill", "Liam"), "two forms of William");
        assert!(!same_name("William", "Wilma"));
        assert!(!same_name("Jay", ""));
        assert!(
            !same_name("Tom", "Tom"),
            "identical is not a nickname match"
        );
        assert_eq!(short_forms("Thomas"), ["Tom", "Tommy"]);
        assert!(short_forms("Zebedee").is_empty());
        assert_eq!(groups("bill"), groups("william"));
        assert!(groups("zebedee").is_empty());
    }
}
