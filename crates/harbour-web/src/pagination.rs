//! GOV.UK pagination for a long list: previous, the first and the last page and those next
//! to the current one, and next (template `pagination.html`). One shape for search, the
//! audit lists and the work queue; each list says how a page's address is written.

use crate::problem::Problem;

#[derive(Debug, Default)]
pub(crate) struct Pagination {
    /// What the navigation is called for a screen reader ("Results pages").
    pub label: &'static str,
    pub previous: Option<String>,
    pub next: Option<String>,
    pub pages: Vec<PageLink>,
}

#[derive(Debug)]
pub(crate) struct PageLink {
    pub number: usize,
    pub href: String,
    pub current: bool,
}

impl Pagination {
    /// The links for page `current` (from 1) of `total` items, `size` to a page, each page's
    /// address made by `href`; none when everything fits on the first page. A page past the
    /// end (an address kept after the list shrank) keeps a way back.
    pub(crate) fn new(
        label: &'static str,
        current: usize,
        total: usize,
        size: usize,
        href: impl Fn(usize) -> String,
    ) -> Self {
        let count = total.div_ceil(size.max(1));
        if count <= 1 && current <= 1 {
            return Self::default();
        }
        Self {
            label,
            previous: (current > 1).then(|| href(current - 1)),
            next: (current < count).then(|| href(current + 1)),
            pages: (1..=count.max(current))
                .filter(|n| *n == 1 || *n == count || n.abs_diff(current) <= 1)
                .map(|number| PageLink {
                    number,
                    href: href(number),
                    current: number == current,
                })
                .collect(),
        }
    }
}

/// The page asked for in a `page` parameter (the first if none), or the refusal of one that
/// is not a page number.
pub(crate) fn page_number(page: Option<&str>) -> Result<usize, Problem> {
    match page.map(str::trim).filter(|p| !p.is_empty()) {
        None => Ok(1),
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|n| *n >= 1)
            .ok_or_else(|| Problem::bad_request("page", "The page number must be 1 or more")),
    }
}

/// "1,234": a count as the pages write it.
pub(crate) fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbers(p: &Pagination) -> Vec<(usize, bool)> {
        p.pages.iter().map(|l| (l.number, l.current)).collect()
    }

    #[test]
    fn one_page_needs_no_links() {
        assert!(
            Pagination::new("Pages", 1, 50, 50, |n| n.to_string())
                .pages
                .is_empty()
        );
        assert!(
            Pagination::new("Pages", 1, 0, 50, |n| n.to_string())
                .pages
                .is_empty()
        );
    }

    #[test]
    fn shows_the_ends_and_the_neighbours() {
        let p = Pagination::new("Pages", 5, 500, 50, |n| format!("/x?page={n}"));
        assert_eq!(
            numbers(&p),
            vec![(1, false), (4, false), (5, true), (6, false), (10, false)]
        );
        assert_eq!(p.previous.as_deref(), Some("/x?page=4"));
        assert_eq!(p.next.as_deref(), Some("/x?page=6"));
        let last = Pagination::new("Pages", 10, 500, 50, |n| n.to_string());
        assert_eq!(last.next, None);
    }

    #[test]
    fn a_page_past_the_end_keeps_a_way_back() {
        let p = Pagination::new("Pages", 4, 60, 50, |n| n.to_string());
        assert_eq!(p.previous.as_deref(), Some("3"));
        assert_eq!(p.next, None);
        assert!(p.pages.iter().any(|l| l.number == 1));
    }

    #[test]
    fn page_numbers_are_checked() {
        assert_eq!(page_number(None).unwrap(), 1);
        assert_eq!(page_number(Some(" 3 ")).unwrap(), 3);
        assert!(page_number(Some("0")).is_err());
        assert!(page_number(Some("two")).is_err());
    }

    #[test]
    fn thousands_are_separated() {
        assert_eq!(thousands(7), "7");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
