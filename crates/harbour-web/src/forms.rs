//! Reading what officers type into forms, the same way on every register: dates as they
//! write them, and a child picked by person id or by pasting the child's page address.

use crate::problem::Problem;
use crate::state::AppState;
use harbour_domain::PersonId;
use harbour_policy::Principal;
use time::Date;
use uuid::Uuid;

/// A date as officers type it: 17/1/2023, 17 1 2023, 17-1-2023 or 2023-01-17.
pub(crate) fn parse_date(text: &str) -> Option<Date> {
    let parts: Vec<&str> = text
        .trim()
        .split(['/', ' ', '-', '.'])
        .filter(|p| !p.is_empty())
        .collect();
    let number = |s: &&str| s.parse::<i32>().ok();
    let (d, m, y) = match parts.as_slice() {
        [a, b, c] if a.len() == 4 => (number(c)?, number(b)?, number(a)?),
        [a, b, c] if c.len() == 4 => (number(a)?, number(b)?, number(c)?),
        _ => return None,
    };
    let month = time::Month::try_from(u8::try_from(m).ok()?).ok()?;
    Date::from_calendar_date(y, month, u8::try_from(d).ok()?).ok()
}

/// A date field as typed: empty is refused as "Enter {what}", and one that is not a real date
/// is refused saying how to write it. The message is the form's; the caller names the field.
pub(crate) fn required_date(typed: &str, what: &str) -> Result<Date, String> {
    let typed = typed.trim();
    if typed.is_empty() {
        return Err(format!("Enter {what}"));
    }
    parse_date(typed).ok_or_else(|| format!("Enter {what} as a real date, like 17/1/2023"))
}

/// As [`required_date`], for a field that may be left empty.
pub(crate) fn optional_date(typed: &str, what: &str) -> Result<Option<Date>, String> {
    if typed.trim().is_empty() {
        Ok(None)
    } else {
        required_date(typed, what).map(Some)
    }
}

/// A person id as typed, or a person page's address pasted whole.
pub(crate) fn person_of(text: &str) -> Option<Uuid> {
    let text = text.trim().trim_end_matches('/');
    let last = text.rsplit('/').next().unwrap_or(text);
    last.parse().ok()
}

/// The child's name if `person` is a child `who` may see, as their own view of them (audited
/// like any view): a form that picks a child checks it is the right one before writing.
pub(crate) async fn child_named(
    state: &AppState,
    who: &Principal,
    person: Uuid,
) -> Result<Option<String>, Problem> {
    let view = state
        .store
        .person_view(who, PersonId(person), state.clock.now())
        .await?;
    Ok(view.map(|v| {
        v.identities
            .first()
            .map(|r| format!("{} {}", r.given_name, r.family_name))
            .unwrap_or_else(|| "A child".into())
    }))
}

/// The methods a form page's template calls: `error_for` and `has_error` over the page's
/// `errors` (the field ids the error summary links to), and, for a page that keeps what was
/// typed by field id in `typed`, `value`. One definition for every register's forms.
macro_rules! form_page {
    ($page:ty) => {
        impl $page {
            fn error_for(&self, id: &str) -> Option<&str> {
                self.errors
                    .iter()
                    .find(|e| e.field == id)
                    .map(|e| e.message.as_str())
            }

            fn has_error(&self, id: &str) -> bool {
                self.error_for(id).is_some()
            }
        }
    };
    ($page:ty, typed) => {
        $crate::forms::form_page!($page);

        impl $page {
            fn value(&self, id: &str) -> &str {
                self.typed.get(id).map_or("", String::as_str)
            }
        }
    };
}
pub(crate) use form_page;

/// A choice in a form's or a filter's list (a school, an owner).
pub(crate) struct SchoolOption {
    pub id: String,
    pub name: String,
    pub selected: bool,
}

/// Every school of `who`'s authority as a form's choices, `chosen` selected: the schools a
/// child can be excluded from, or was last on the roll of.
pub(crate) async fn school_options(
    state: &AppState,
    who: &Principal,
    chosen: Option<Uuid>,
) -> Result<Vec<SchoolOption>, Problem> {
    Ok(state
        .store
        .list_agencies(&who.tenant)
        .await?
        .into_iter()
        .filter(|a| a.kind == harbour_domain::AgencyKind::School)
        .map(|a| SchoolOption {
            selected: chosen == Some(a.id.0),
            id: a.id.0.to_string(),
            name: a.name,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn dates_are_read_as_officers_type_them() {
        assert_eq!(parse_date("17/1/2023"), Some(date!(2023 - 01 - 17)));
        assert_eq!(parse_date(" 17 01 2023 "), Some(date!(2023 - 01 - 17)));
        assert_eq!(parse_date("2023-01-17"), Some(date!(2023 - 01 - 17)));
        for bad in ["", "17/1", "31/2/2023", "2023/13/01", "tomorrow", "1/1/23"] {
            assert_eq!(parse_date(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn a_person_is_found_by_id_or_page_address() {
        let id = "0190a6b2-7c3e-7000-8000-000000000001";
        assert!(person_of(id).is_some());
        assert!(person_of(&format!("http://localhost:8080/people/{id}/")).is_some());
        assert!(person_of("Jayden").is_none());
    }
}
