//! The people pages: the home page (the user's alert queue and where to go next), finding a
//! child, and a child's single view (identity as each agency recorded it, and the timeline).

use super::journey::JourneyPanel;
use crate::alerts::{self, AlertRow};
use crate::layout::{FieldError, Layout, london, long_date, role_labels};
use crate::pagination::Pagination;
use crate::problem::{PageProblem, Problem};
use crate::session::SignedIn;
use crate::state::AppState;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use harbour_domain::{Handling, PersonId};
use harbour_policy::{Function, Register, RegisterAccess};
use harbour_store::{PersonSummary, PersonView, SearchFilter, SearchQuery};
use serde::Deserialize;
use time::Date;
use time::macros::format_description;

#[derive(Template, WebTemplate)]
#[template(path = "home.html")]
pub(crate) struct HomePage {
    pub layout: Layout,
    pub name: String,
    pub agency: String,
    pub roles: String,
    /// Whether the policy lets this user see any child's record at all.
    pub may_find: bool,
    pub may_review_audit: bool,
    pub alerts: Vec<AlertRow>,
    /// Children with low-severity alerts on the user's list (not in the queue).
    pub listed_children: usize,
    /// The child filter, as typed.
    pub child: String,
    /// How the queue is sorted: "due" (most urgent first) or "child".
    pub sort: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct QueueParams {
    child: Option<String>,
    sort: Option<String>,
}

/// The home page is the user's work queue: alerts for children their role may see.
pub(crate) async fn home(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(params): Query<QueueParams>,
) -> Result<HomePage, PageProblem> {
    let user = &signed_in.user;
    let policy = state.store.policy();
    let may_find = !policy.scope(&user.principal).is_empty();
    let may_review_audit = policy.allows_function(&user.principal, Function::AuditReview);
    let child = params.child.unwrap_or_default().trim().to_owned();
    let mut filter = harbour_store::QueueFilter {
        child: Some(child.clone()).filter(|c| !c.is_empty()),
        list: false,
    };
    let alerts = state
        .store
        .alert_queue(&user.principal, &filter, state.clock.now())
        .await?;
    // Low-severity alerts wait on the list: one row here says how many children.
    filter.list = true;
    let listed = state
        .store
        .alert_queue(&user.principal, &filter, state.clock.now())
        .await?;
    let listed_children = listed
        .iter()
        .map(|a| a.person)
        .collect::<std::collections::HashSet<_>>()
        .len();
    let mut rows = alerts::rows(&state, &alerts);
    let sort = if params.sort.as_deref() == Some("child") {
        // Stable: each child's alerts stay most urgent first.
        rows.sort_by(|a, b| a.child_key.cmp(&b.child_key));
        "child"
    } else {
        "due"
    };
    Ok(HomePage {
        name: user.display_name.clone(),
        agency: user.agency_name.clone(),
        roles: role_labels(&user.principal.roles),
        may_find,
        may_review_audit,
        alerts: rows,
        listed_children,
        child,
        sort: sort.to_owned(),
        layout: Layout::new("Home", Some(&signed_in), &state),
    })
}

#[derive(Debug, Deserialize)]
pub(crate) struct SearchParams {
    q: Option<String>,
    page: Option<String>,
    #[serde(rename = "dob-day")]
    dob_day: Option<String>,
    #[serde(rename = "dob-month")]
    dob_month: Option<String>,
    #[serde(rename = "dob-year")]
    dob_year: Option<String>,
    age: Option<String>,
    /// The agency code of the child's current school.
    school: Option<String>,
}

/// Children on one page of search results.
const PAGE_SIZE: usize = 20;

pub(crate) async fn search(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(params): Query<SearchParams>,
) -> Result<Response, PageProblem> {
    let layout = Layout::new("Find a child", Some(&signed_in), &state);
    let may_break_glass = state
        .store
        .policy()
        .may_break_glass(&signed_in.user.principal);
    let now = state.clock.now();
    let today = london(now).0.date();
    let form = SearchForm::from(&params);
    let schools = super::schools(&state, &signed_in.user.principal.tenant).await?;
    let mut page = SearchPage {
        layout,
        may_break_glass,
        errors: vec![],
        query: params.q.clone().unwrap_or_default(),
        searched: false,
        results: vec![],
        total: 0,
        pagination: Pagination::default(),
        form,
        schools: schools
            .iter()
            .map(|s| (s.code.clone(), s.name.clone()))
            .collect(),
    };
    let Some(text) = params.q.as_deref() else {
        return Ok(page.into_response());
    };
    let filter = search_filter(&params, today).and_then(|mut filter| {
        filter.school =
            super::school_of(&schools, given(&params.school)).map_err(|message| FieldError {
                field: "school".into(),
                message: message.into(),
            })?;
        Ok(filter)
    });
    let query = SearchQuery::parse(text).map_err(|message| FieldError {
        field: "q".into(),
        message: message.into(),
    });
    let (query, filter) = match (query, filter) {
        (Ok(query), Ok(filter)) => (query, filter),
        (query, filter) => {
            page.errors = [query.err(), filter.err()].into_iter().flatten().collect();
            page.form.mark(&page.errors);
            page.layout = page.layout.with_error(true);
            return Ok((StatusCode::BAD_REQUEST, page).into_response());
        }
    };
    let found = state
        .store
        .search_persons_page(&signed_in.user.principal, &query, &filter, now)
        .await?;
    page.searched = true;
    page.total = found.total;
    page.pagination = search_pagination(&params, filter.offset / PAGE_SIZE + 1, found.total);
    page.results = found
        .people
        .into_iter()
        .map(|p| SearchRow::new(p, today))
        .collect();
    Ok(page.into_response())
}

/// The filters and page asked for, or the field error to show.
fn search_filter(params: &SearchParams, today: Date) -> Result<SearchFilter, FieldError> {
    let error = |field: &str, message: &str| FieldError {
        field: field.into(),
        message: message.into(),
    };
    let page = match given(&params.page) {
        None => 1,
        Some(p) => p
            .parse::<usize>()
            .ok()
            .filter(|p| *p >= 1)
            .ok_or_else(|| error("page", "The page number must be 1 or more"))?,
    };
    let mut filter = SearchFilter {
        offset: (page - 1).saturating_mul(PAGE_SIZE),
        limit: PAGE_SIZE,
        ..SearchFilter::default()
    };
    match (
        given(&params.dob_day),
        given(&params.dob_month),
        given(&params.dob_year),
    ) {
        (None, None, None) => {}
        (Some(day), Some(month), Some(year)) => {
            let date = match (day.parse::<u8>(), month.parse::<u8>(), year.parse::<i32>()) {
                (Ok(day), Ok(month), Ok(year)) => time::Month::try_from(month)
                    .ok()
                    .and_then(|month| Date::from_calendar_date(year, month, day).ok()),
                _ => None,
            };
            let date = date
                .filter(|d| *d <= today)
                .ok_or_else(|| error("dob-day", "Date of birth must be a real date in the past"))?;
            filter.born_from = Some(date);
            filter.born_to = Some(date);
        }
        _ => {
            return Err(error(
                "dob-day",
                "Date of birth must include a day, month and year",
            ));
        }
    }
    if let Some(age) = given(&params.age) {
        let age = age
            .parse::<i32>()
            .ok()
            .filter(|a| (0..=200).contains(a))
            .ok_or_else(|| error("age", "Age must be a whole number of years, like 14"))?;
        // Aged `age` today: born after this day `age + 1` years ago, and on or before this
        // day `age` years ago.
        let from = years_before(today, age + 1).and_then(Date::next_day);
        let to = years_before(today, age);
        filter.born_from = filter.born_from.max(from);
        filter.born_to = match (filter.born_to, to) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
    Ok(filter)
}

/// A parameter given and not blank.
fn given(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// The same day `years` years before `day` (28 February for 29 February in a common year).
fn years_before(day: Date, years: i32) -> Option<Date> {
    let year = day.year().checked_sub(years)?;
    day.replace_year(year)
        .ok()
        .or_else(|| Date::from_calendar_date(year, day.month(), 28).ok())
}

/// A child's age in whole years on `today`.
pub(crate) fn age_on(born: Date, today: Date) -> i32 {
    let years = today.year() - born.year();
    if (today.month() as u8, today.day()) < (born.month() as u8, born.day()) {
        years - 1
    } else {
        years
    }
}

/// The filters as typed, to show them again.
#[derive(Debug, Default)]
pub(crate) struct SearchForm {
    pub dob_day: String,
    pub dob_month: String,
    pub dob_year: String,
    pub age: String,
    /// The school code chosen ("" for any school).
    pub school: String,
    /// Which fields have an error, to mark them.
    pub q_error: bool,
    pub dob_error: bool,
    pub age_error: bool,
    pub school_error: bool,
}

impl SearchForm {
    fn mark(&mut self, errors: &[FieldError]) {
        let has = |field: &str| errors.iter().any(|e| e.field == field);
        self.q_error = has("q");
        self.dob_error = has("dob-day");
        self.age_error = has("age");
        self.school_error = has("school");
    }
}

impl From<&SearchParams> for SearchForm {
    fn from(p: &SearchParams) -> Self {
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        Self {
            dob_day: text(&p.dob_day),
            dob_month: text(&p.dob_month),
            dob_year: text(&p.dob_year),
            age: text(&p.age),
            school: text(&p.school),
            ..Self::default()
        }
    }
}

/// The pagination of search results: each page's link keeps the search.
fn search_pagination(params: &SearchParams, current: usize, total: u64) -> Pagination {
    let href = |number: usize| {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (key, value) in [
            ("q", &params.q),
            ("dob-day", &params.dob_day),
            ("dob-month", &params.dob_month),
            ("dob-year", &params.dob_year),
            ("age", &params.age),
            ("school", &params.school),
        ] {
            if let Some(value) = value.as_deref().filter(|v| !v.is_empty()) {
                query.append_pair(key, value);
            }
        }
        query.append_pair("page", &number.to_string());
        format!("/people?{}", query.finish())
    };
    Pagination::new(
        "Results pages",
        current,
        usize::try_from(total).unwrap_or(usize::MAX),
        PAGE_SIZE,
        href,
    )
}

pub(crate) async fn person(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    Query(filter): Query<TimelineFilter>,
) -> Result<PersonPage, PageProblem> {
    let id: PersonId = id.parse().map_err(|_| {
        Problem::bad_request(
            "id",
            "The person id in this address is not valid. Find the child again from search.",
        )
    })?;
    let view = state
        .store
        .person_view(&signed_in.user.principal, id, state.clock.now())
        .await?
        .ok_or_else(Problem::not_found)?;
    let changes = state
        .store
        .person_changes(&signed_in.user.principal, id, state.clock.now())
        .await?;
    let mut page = PersonPage::new(
        Layout::new("Person", Some(&signed_in), &state),
        view,
        &filter,
        state.rules.calendar(),
    );
    page.register_links = register_links(&state, &signed_in, id);
    page.changes = changes.map(|list| {
        list.into_iter()
            .map(|c| ChangeRow {
                id: c.id.to_string(),
                what: format!(
                    "{} of {} record{} by {}: {}",
                    match c.kind.as_str() {
                        "merge" => "Merge",
                        "split" => "Split",
                        _ => "Undo",
                    },
                    c.records_moved,
                    if c.records_moved == 1 { "" } else { "s" },
                    c.made_by.unwrap_or_else(|| "Harbour".into()),
                    c.reason
                ),
                when: long_date(c.made_at.date()),
                undoable: !c.undone && c.kind != "undo",
            })
            .collect()
    });
    Ok(page)
}

/// The registers the viewer keeps, each as a link that opens its add form for this child.
/// (Asked of the policy, as the navigation is; the forms and the store check again.)
fn register_links(
    state: &AppState,
    signed_in: &SignedIn,
    person: PersonId,
) -> Vec<(String, &'static str)> {
    let policy = state.store.policy();
    let keeps = |register| {
        policy.register_access(&signed_in.user.principal, register) == Some(RegisterAccess::Keep)
    };
    let mut links = Vec::new();
    if keeps(Register::Exclusions) {
        links.push((
            format!("/registers/exclusions/new?person={person}"),
            "Add to exclusions register",
        ));
    }
    if keeps(Register::HomeEducation) || keeps(Register::MissingEducation) {
        links.push((
            format!("/children-not-in-school/new?person={person}"),
            "Add to children not in school register",
        ));
    }
    links
}

// ---- What the search and person pages show ----

fn optional_date(date: Option<Date>) -> String {
    date.map(long_date)
        .unwrap_or_else(|| "Not known".to_owned())
}

pub(crate) struct SearchRow {
    pub id: String,
    pub name: String,
    pub age: String,
    pub date_of_birth: String,
    pub agencies: String,
    pub school: String,
}

impl SearchRow {
    fn new(person: PersonSummary, today: Date) -> Self {
        Self {
            id: person.id.to_string(),
            name: format!("{} {}", person.given_name, person.family_name),
            age: person
                .date_of_birth
                .map(|born| age_on(born, today).to_string())
                .unwrap_or_else(|| "Not known".into()),
            date_of_birth: optional_date(person.date_of_birth),
            agencies: person.agencies.join(", "),
            school: person.school.unwrap_or_else(|| "Not known".into()),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "search.html")]
pub(crate) struct SearchPage {
    pub layout: Layout,
    pub may_break_glass: bool,
    pub errors: Vec<FieldError>,
    pub query: String,
    pub searched: bool,
    pub results: Vec<SearchRow>,
    /// How many children match in all (only those the viewer may see).
    pub total: u64,
    pub pagination: Pagination,
    pub form: SearchForm,
    /// The local authority's schools, (code, name), for the school filter.
    pub schools: Vec<(String, String)>,
}

pub(crate) struct TimelineRow {
    pub date: String,
    pub kind: &'static str,
    pub summary: String,
    pub agency: String,
    pub handling: &'static str,
    pub handling_class: &'static str,
}

pub(crate) struct IdentityRow {
    pub record: String,
    pub agency: String,
    pub name: String,
    pub date_of_birth: String,
    pub upn: String,
    pub nhs_number: String,
    pub postcode: String,
}

fn handling_class(handling: Handling) -> &'static str {
    match handling {
        Handling::Ordinary => "tag--grey",
        Handling::Restricted => "tag--orange",
        Handling::PoliceIntelligence => "tag--purple",
        Handling::HealthConfidential => "tag--red",
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "person.html")]
pub(crate) struct PersonPage {
    pub layout: Layout,
    /// "14:35 on 20 November 2026" while the viewer sees the child through emergency access.
    pub emergency_until: Option<String>,
    pub person_id: String,
    pub name: String,
    pub agencies: String,
    /// Each identity field's best value, who recorded it, and what else was recorded.
    pub identity: Vec<IdentityField>,
    pub timeline: Vec<TimelineRow>,
    /// Events in the whole timeline, before filtering.
    pub timeline_total: usize,
    pub filter_agency: String,
    pub filter_kind: String,
    /// (value, label) choices for the filters: the agencies and kinds in this timeline.
    pub agency_choices: Vec<(String, String)>,
    pub kind_choices: Vec<(String, String)>,
    pub identities: Vec<IdentityRow>,
    /// Schools, exclusions, time out of school and attendance, from the same timeline.
    pub journey: JourneyPanel,
    /// For identity reviewers: merges, splits and undos that touched this person.
    pub changes: Option<Vec<ChangeRow>>,
    /// (address, words): adding this child to a register the viewer keeps.
    pub register_links: Vec<(String, &'static str)>,
}

/// A merge, split or undo on the person page.
pub(crate) struct ChangeRow {
    pub id: String,
    pub what: String,
    pub when: String,
    pub undoable: bool,
}

/// One line of the identity summary.
pub(crate) struct IdentityField {
    pub label: &'static str,
    pub value: String,
    /// The agencies that recorded the value shown.
    pub sources: String,
    /// Other values recorded, each with who recorded it ("" when all agree).
    pub variants: String,
}

/// The timeline filter from the address: `?agency=…&kind=…`, either may be empty.
#[derive(Debug, Default, serde::Deserialize)]
pub(crate) struct TimelineFilter {
    pub agency: Option<String>,
    pub kind: Option<String>,
}

/// The value most agencies recorded (ties to the first recorded), who recorded it, and the
/// other values with theirs.
fn best_value(values: &[(String, String)]) -> Option<IdentityField> {
    let mut tally: Vec<(String, Vec<String>)> = Vec::new();
    for (value, agency) in values.iter().filter(|(v, _)| !v.is_empty()) {
        match tally.iter_mut().find(|(v, _)| v == value) {
            Some((_, agencies)) => {
                if !agencies.contains(agency) {
                    agencies.push(agency.clone());
                }
            }
            None => tally.push((value.clone(), vec![agency.clone()])),
        }
    }
    let best = tally
        .iter()
        .enumerate()
        .max_by_key(|(i, (_, agencies))| (agencies.len(), std::cmp::Reverse(*i)))
        .map(|(i, _)| i)?;
    let (value, sources) = tally.get(best)?.clone();
    let variants = tally
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != best)
        .map(|(_, (v, agencies))| format!("{v} ({})", agencies.join(", ")))
        .collect::<Vec<_>>()
        .join("; ");
    Some(IdentityField {
        label: "",
        value,
        sources: sources.join(", "),
        variants,
    })
}

impl PersonPage {
    /// The headline identity is the value most of the agencies the viewer may see recorded,
    /// with who recorded it; the agency records table shows every variant.
    pub fn new(
        layout: Layout,
        view: PersonView,
        filter: &TimelineFilter,
        calendar: &harbour_rules::calendar::Calendar,
    ) -> Self {
        let field = |label: &'static str,
                     value: &dyn Fn(&harbour_store::IdentityRecord) -> String| {
            let values: Vec<(String, String)> = view
                .identities
                .iter()
                .map(|r| (value(r), r.agency_name.clone()))
                .collect();
            best_value(&values).map(|f| IdentityField { label, ..f })
        };
        let identity: Vec<IdentityField> = [
            field("Name", &|r| format!("{} {}", r.given_name, r.family_name)),
            field("Date of birth", &|r| {
                r.date_of_birth.map(long_date).unwrap_or_default()
            }),
            field("Sex", &|r| match r.sex.as_deref() {
                Some("M") => "Male".into(),
                Some("F") => "Female".into(),
                _ => String::new(),
            }),
            field("Postcode", &|r| r.postcode.clone().unwrap_or_default()),
            field("UPN", &|r| r.upn.clone().unwrap_or_default()),
            field("NHS number", &|r| {
                r.nhs_number
                    .as_deref()
                    .and_then(|n| harbour_domain::NhsNumber::parse(n).ok())
                    .map(|n| n.to_string())
                    .unwrap_or_default()
            }),
        ]
        .into_iter()
        .flatten()
        .collect();
        let name = identity
            .first()
            .map(|f| f.value.clone())
            .unwrap_or_default();
        let mut agencies: Vec<&str> = view
            .identities
            .iter()
            .map(|r| r.agency_name.as_str())
            .collect();
        agencies.dedup();
        let mut agency_choices: Vec<(String, String)> = Vec::new();
        let mut kind_choices: Vec<(String, String)> = Vec::new();
        for event in &view.timeline {
            let agency = (event.agency.to_string(), event.agency_name.clone());
            if !agency_choices.contains(&agency) {
                agency_choices.push(agency);
            }
            let kind = (
                event.kind.as_str().to_owned(),
                event.kind.label().to_owned(),
            );
            if !kind_choices.contains(&kind) {
                kind_choices.push(kind);
            }
        }
        agency_choices.sort_by(|a, b| a.1.cmp(&b.1));
        kind_choices.sort_by(|a, b| a.1.cmp(&b.1));
        let filter_agency = filter.agency.clone().unwrap_or_default();
        let filter_kind = filter.kind.clone().unwrap_or_default();
        let timeline_total = view.timeline.len();
        let journey = JourneyPanel::new(&view.timeline, calendar);
        Self {
            journey,
            layout: Layout {
                title: name.clone(),
                ..layout
            },
            emergency_until: view.emergency_access_until.map(|until| {
                let (local, zone) = london(until);
                let time = local
                    .format(format_description!("[hour]:[minute]"))
                    .unwrap_or_default();
                format!("{time} {zone} on {}", long_date(local.date()))
            }),
            person_id: view.id.to_string(),
            agencies: agencies.join(", "),
            identity,
            timeline_total,
            timeline: view
                .timeline
                .iter()
                .filter(|e| filter_agency.is_empty() || e.agency.to_string() == filter_agency)
                .filter(|e| filter_kind.is_empty() || e.kind.as_str() == filter_kind)
                .map(|event| TimelineRow {
                    date: long_date(event.occurred_on),
                    kind: event.kind.label(),
                    summary: event.summary.clone(),
                    // History one school reported about another says whose report it is.
                    agency: match &event.reported_about {
                        Some(_) => {
                            format!("Reported by {} in its transfer file", event.agency_name)
                        }
                        None => event.agency_name.clone(),
                    },
                    handling: event.handling.label(),
                    handling_class: handling_class(event.handling),
                })
                .collect(),
            identities: view
                .identities
                .iter()
                .map(|record| IdentityRow {
                    record: record.source_record.to_string(),
                    agency: record.agency_name.clone(),
                    name: format!("{} {}", record.given_name, record.family_name),
                    date_of_birth: optional_date(record.date_of_birth),
                    upn: record.upn.clone().unwrap_or_else(|| "–".into()),
                    nhs_number: record
                        .nhs_number
                        .as_deref()
                        .and_then(|n| harbour_domain::NhsNumber::parse(n).ok())
                        .map(|n| n.to_string())
                        .unwrap_or_else(|| "–".into()),
                    postcode: record.postcode.clone().unwrap_or_else(|| "–".into()),
                })
                .collect(),
            name,
            filter_agency,
            filter_kind,
            agency_choices,
            kind_choices,
            changes: None,
            register_links: Vec::new(),
        }
    }
}
