//! Adding a child to the register by hand, for its keepers (the CME/EHE officers): a child
//! the feeds have not sent. From a person page's "Add to children not in school register"
//! (which carries `?person=`), a short choice of part, then one form per part:
//! - registering home education with the s.436C(1) content (parents and their addresses, who
//!   educates, estimated hours by parents and by others, other providers) and, where s.434A
//!   applies, the authority's consent decision, which the store demands before it writes;
//! - opening a missing-education episode (the school last on roll, if known, and the day).
//!
//! The forms check what was typed (every problem at once, each naming its field); the store
//! checks what it means (the casework's refusal names its field too) and writes the entry and
//! its facts in one audited transaction, so a refusal leaves nothing behind.

use super::pages::day;
use super::refusal;
use crate::forms::{SchoolOption, child_named, parse_date, person_of, school_options};
use crate::layout::{FieldError, Layout};
use crate::problem::{PageProblem, Problem};
use crate::session::{SignedIn, check_form_token};
use crate::state::AppState;
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use harbour_casework::Hours;
use harbour_casework::not_in_school::{
    OptionalContent, Provider, Registration, SenProvision, SocialCare,
};
use harbour_domain::{AgencyId, PersonId};
use harbour_policy::{Principal, Register, RegisterAccess};
use harbour_store::RegisterRefusal;
use serde::Deserialize;
use time::Date;
use uuid::Uuid;

/// Whether `who` keeps `register` (may add to it).
pub(super) fn keeps(state: &AppState, who: &Principal, register: Register) -> bool {
    state.store.policy().register_access(who, register) == Some(RegisterAccess::Keep)
}

fn keeper(state: &AppState, signed_in: &SignedIn, register: Register) -> Result<(), Problem> {
    if keeps(state, &signed_in.user.principal, register) {
        Ok(())
    } else {
        Err(Problem::forbidden(
            "Only the register's keepers add children to it.",
        ))
    }
}

fn error(field: &str, message: impl Into<String>) -> FieldError {
    FieldError {
        field: field.to_owned(),
        message: message.into(),
    }
}

fn trimmed(value: &Option<String>) -> String {
    value
        .as_deref()
        .map(str::trim)
        .unwrap_or_default()
        .to_owned()
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct PersonParams {
    person: Option<String>,
}

/// The child named at the top of a form, if the id given is one the officer may see.
async fn named(state: &AppState, signed_in: &SignedIn, typed: &str) -> Result<String, Problem> {
    Ok(match person_of(typed) {
        Some(person) => child_named(state, &signed_in.user.principal, person)
            .await?
            .unwrap_or_default(),
        None => String::new(),
    })
}

// ---------------------------------------------------------------------------------------
// Which part
// ---------------------------------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "not_in_school_new.html")]
pub(crate) struct ChoicePage {
    pub layout: Layout,
    /// The child's name, when the page was opened for one.
    pub child: String,
    /// `?person=…` to carry on to the form, or empty.
    pub query: String,
    pub home_education: bool,
    pub missing_education: bool,
}

pub(crate) async fn choose(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(params): Query<PersonParams>,
) -> Result<ChoicePage, PageProblem> {
    let who = &signed_in.user.principal;
    let home_education = keeps(&state, who, Register::HomeEducation);
    let missing_education = keeps(&state, who, Register::MissingEducation);
    if !home_education && !missing_education {
        return Err(Problem::forbidden("Only the register's keepers add children to it.").into());
    }
    let typed = params.person.unwrap_or_default();
    let query = match person_of(&typed) {
        Some(person) => format!("?person={person}"),
        None => String::new(),
    };
    Ok(ChoicePage {
        layout: Layout::new(
            "Add to the children not in school register",
            Some(&signed_in),
            &state,
        ),
        child: named(&state, &signed_in, &typed).await?,
        query,
        home_education,
        missing_education,
    })
}

// ---------------------------------------------------------------------------------------
// Home education
// ---------------------------------------------------------------------------------------

/// The home-education form as posted (and as typed, to show again).
#[derive(Debug, Default, Clone, Deserialize)]
pub(crate) struct EheForm {
    csrf_token: Option<String>,
    person: Option<String>,
    first_day: Option<String>,
    parent1_name: Option<String>,
    parent1_address: Option<String>,
    parent1_educates: Option<String>,
    parent2_name: Option<String>,
    parent2_address: Option<String>,
    parent2_educates: Option<String>,
    hours_by_parents: Option<String>,
    hours_by_others: Option<String>,
    provider_name: Option<String>,
    provider_address: Option<String>,
    provider_kind: Option<String>,
    provider_hours: Option<String>,
    /// s.436C(2), optional: no_sen, sen_support or ehc_plan (empty: not recorded).
    sen: Option<String>,
    care_child_in_need: Option<String>,
    care_section_47_enquiry: Option<String>,
    care_child_protection_plan: Option<String>,
    care_looked_after: Option<String>,
    /// not_needed (the default), granted or refused.
    consent: Option<String>,
    consent_on: Option<String>,
}

/// What was typed, as the template shows it again.
#[derive(Debug, Default)]
pub(crate) struct EheTyped {
    pub person: String,
    pub first_day: String,
    pub parent1_name: String,
    pub parent1_address: String,
    pub parent1_educates: bool,
    pub parent2_name: String,
    pub parent2_address: String,
    pub parent2_educates: bool,
    pub hours_by_parents: String,
    pub hours_by_others: String,
    pub provider_name: String,
    pub provider_address: String,
    pub provider_kind: String,
    pub provider_hours: String,
    /// The SEN code chosen, or empty.
    pub sen: String,
    /// The social-care codes ticked.
    pub care: Vec<&'static str>,
    pub consent: String,
    pub consent_on: String,
}

impl EheTyped {
    fn of(form: &EheForm) -> Self {
        let ticked = |v: &Option<String>| v.as_deref() == Some("yes");
        Self {
            person: trimmed(&form.person),
            first_day: trimmed(&form.first_day),
            parent1_name: trimmed(&form.parent1_name),
            parent1_address: trimmed(&form.parent1_address),
            parent1_educates: ticked(&form.parent1_educates),
            parent2_name: trimmed(&form.parent2_name),
            parent2_address: trimmed(&form.parent2_address),
            parent2_educates: ticked(&form.parent2_educates),
            hours_by_parents: trimmed(&form.hours_by_parents),
            hours_by_others: trimmed(&form.hours_by_others),
            provider_name: trimmed(&form.provider_name),
            provider_address: trimmed(&form.provider_address),
            provider_kind: trimmed(&form.provider_kind),
            provider_hours: trimmed(&form.provider_hours),
            sen: trimmed(&form.sen),
            care: [
                (SocialCare::ChildInNeed, &form.care_child_in_need),
                (SocialCare::Section47Enquiry, &form.care_section_47_enquiry),
                (
                    SocialCare::ChildProtectionPlan,
                    &form.care_child_protection_plan,
                ),
                (SocialCare::LookedAfter, &form.care_looked_after),
            ]
            .into_iter()
            .filter(|(_, v)| ticked(v))
            .map(|(care, _)| care.code())
            .collect(),
            consent: match trimmed(&form.consent).as_str() {
                "" => "not_needed".into(),
                other => other.to_owned(),
            },
            consent_on: trimmed(&form.consent_on),
        }
    }
}

/// A hand registration, checked as far as the form can check it.
struct NewHomeEducation {
    person: Uuid,
    first_day: Date,
    registration: Registration,
    consent: Option<(Date, bool)>,
}

fn date(field: &str, text: &str, what: &str, errors: &mut Vec<FieldError>) -> Option<Date> {
    if text.is_empty() {
        errors.push(error(field, format!("Enter {what}")));
        return None;
    }
    let parsed = parse_date(text);
    if parsed.is_none() {
        errors.push(error(
            field,
            format!("Enter {what} as a real date, like 1/9/2026"),
        ));
    }
    parsed
}

fn hours(field: &str, text: &str, what: &str, errors: &mut Vec<FieldError>) -> Option<Hours> {
    if text.is_empty() {
        errors.push(error(field, format!("Enter {what} (0 if none)")));
        return None;
    }
    Hours::parse(text)
        .map_err(|why| errors.push(error(field, why)))
        .ok()
}

fn person(field: &str, text: &str, errors: &mut Vec<FieldError>) -> Option<Uuid> {
    let person = person_of(text);
    if person.is_none() {
        errors.push(error(
            field,
            if text.is_empty() {
                "Enter the child's person id"
            } else {
                "Enter the person id from the child's page, like 0190…"
            },
        ));
    }
    person
}

impl EheTyped {
    /// Every problem with what was typed, at once, each naming its field; or the
    /// registration to give the store.
    fn check(&self) -> Result<NewHomeEducation, Vec<FieldError>> {
        let mut errors = Vec::new();
        let person = person("ehe-person", &self.person, &mut errors);
        let first_day = date(
            "ehe-first_day",
            &self.first_day,
            "the date home education began",
            &mut errors,
        );
        let mut parents = Vec::new();
        let mut educating = Vec::new();
        for (n, name, address, educates) in [
            (
                1,
                &self.parent1_name,
                &self.parent1_address,
                self.parent1_educates,
            ),
            (
                2,
                &self.parent2_name,
                &self.parent2_address,
                self.parent2_educates,
            ),
        ] {
            // The first parent is required; the second only once any of it is given.
            if n == 2 && name.is_empty() && address.is_empty() {
                if educates {
                    errors.push(error(
                        "ehe-parent2_name",
                        "Enter the second parent's name, or untick that they educate",
                    ));
                }
                continue;
            }
            if name.is_empty() {
                errors.push(error(
                    &format!("ehe-parent{n}_name"),
                    "Enter the parent's full name",
                ));
            }
            if address.is_empty() {
                errors.push(error(
                    &format!("ehe-parent{n}_address"),
                    "Enter the parent's home address",
                ));
            }
            parents.push((name.clone(), address.clone()));
            if educates {
                educating.push(name.clone());
            }
        }
        let hours_by_parents = hours(
            "ehe-hours_by_parents",
            &self.hours_by_parents,
            "the hours a week the parents educate",
            &mut errors,
        );
        let hours_by_others = hours(
            "ehe-hours_by_others",
            &self.hours_by_others,
            "the hours a week others educate",
            &mut errors,
        );
        let mut providers = Vec::new();
        let any_provider = [
            &self.provider_name,
            &self.provider_address,
            &self.provider_kind,
            &self.provider_hours,
        ]
        .iter()
        .any(|v| !v.is_empty());
        if any_provider {
            if self.provider_name.is_empty() {
                errors.push(error(
                    "ehe-provider_name",
                    "Enter the provider's name, or leave the provider's details empty",
                ));
            }
            if self.provider_address.is_empty() {
                errors.push(error(
                    "ehe-provider_address",
                    "Enter the provider's address (or website for online education)",
                ));
            }
            let hours = hours(
                "ehe-provider_hours",
                &self.provider_hours,
                "the hours a week with this provider",
                &mut errors,
            );
            if let Some(hours) = hours {
                providers.push(Provider {
                    name: self.provider_name.clone(),
                    address: self.provider_address.clone(),
                    kind: self.provider_kind.clone(),
                    hours,
                });
            }
        }
        let sen = match self.sen.as_str() {
            "" => None,
            code => {
                let sen = SenProvision::parse(code);
                if sen.is_none() {
                    errors.push(error(
                        "ehe-sen",
                        "Choose the child's special educational needs, or leave it",
                    ));
                }
                sen
            }
        };
        let optional = OptionalContent {
            sen,
            social_care: self
                .care
                .iter()
                .filter_map(|c| SocialCare::parse(c))
                .collect(),
        };
        let consent = match self.consent.as_str() {
            "not_needed" => None,
            "granted" | "refused" => date(
                "ehe-consent_on",
                &self.consent_on,
                "the date of the consent decision",
                &mut errors,
            )
            .map(|on| (on, self.consent == "granted")),
            _ => {
                errors.push(error("ehe-consent", "Choose the consent decision"));
                None
            }
        };
        match (person, first_day, hours_by_parents, hours_by_others) {
            (Some(person), Some(first_day), Some(by_parents), Some(by_others))
                if errors.is_empty() =>
            {
                Ok(NewHomeEducation {
                    person,
                    first_day,
                    registration: Registration {
                        parents,
                        educating_parents: educating,
                        hours_by_parents: by_parents,
                        hours_by_others: by_others,
                        providers,
                        optional,
                    },
                    consent,
                })
            }
            _ => Err(errors),
        }
    }
}

/// The form field a refusal of the register's rules is about.
fn ehe_field(field: &str) -> &'static str {
    match field {
        "parents" => "ehe-parent1_name",
        "educating_parents" => "ehe-parent1_educates",
        "providers" => "ehe-provider_name",
        "consent" | "granted" => "ehe-consent",
        "on" => "ehe-consent_on",
        "first_day" => "ehe-first_day",
        _ => "ehe-person",
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "home_education_new.html")]
pub(crate) struct EhePage {
    pub layout: Layout,
    pub errors: Vec<FieldError>,
    pub child: String,
    pub typed: EheTyped,
}

crate::forms::form_page!(EhePage);

impl EhePage {
    /// The SEN and social-care choices, for the template.
    fn sen_choices(&self) -> [SenProvision; 3] {
        SenProvision::ALL
    }

    fn care_choices(&self) -> [SocialCare; 4] {
        SocialCare::ALL
    }

    fn cares(&self, care: &SocialCare) -> bool {
        self.typed.care.contains(&care.code())
    }
}

async fn ehe_page(
    state: &AppState,
    signed_in: &SignedIn,
    typed: EheTyped,
    errors: Vec<FieldError>,
) -> Result<EhePage, Problem> {
    Ok(EhePage {
        layout: Layout::new("Register home education", Some(signed_in), state)
            .with_error(!errors.is_empty()),
        child: named(state, signed_in, &typed.person).await?,
        errors,
        typed,
    })
}

pub(crate) async fn new_home_education(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(params): Query<PersonParams>,
) -> Result<EhePage, PageProblem> {
    keeper(&state, &signed_in, Register::HomeEducation)?;
    let typed = EheTyped {
        person: params.person.unwrap_or_default().trim().to_owned(),
        consent: "not_needed".into(),
        ..EheTyped::default()
    };
    Ok(ehe_page(&state, &signed_in, typed, Vec::new()).await?)
}

pub(crate) async fn add_home_education(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Form(form): Form<EheForm>,
) -> Result<Response, PageProblem> {
    check_form_token(&signed_in, form.csrf_token.as_deref())?;
    keeper(&state, &signed_in, Register::HomeEducation)?;
    let typed = EheTyped::of(&form);
    let errors = match typed.check() {
        Err(errors) => errors,
        Ok(new) => {
            let who = &signed_in.user.principal;
            if child_named(&state, who, new.person).await?.is_none() {
                vec![error("ehe-person", "There is no child with this person id")]
            } else {
                match state
                    .store
                    .add_home_education_entry(
                        who,
                        PersonId(new.person),
                        new.first_day,
                        &new.registration,
                        new.consent,
                        day(&state),
                        state.clock.now(),
                    )
                    .await?
                {
                    Ok(id) => {
                        return Ok(Redirect::to(&format!(
                            "/children-not-in-school/home-education/{id}"
                        ))
                        .into_response());
                    }
                    Err(RegisterRefusal::Invalid(why)) => {
                        vec![error(ehe_field(why.field), why.message)]
                    }
                    Err(other) => return Err(refusal(other).into()),
                }
            }
        }
    };
    let page = ehe_page(&state, &signed_in, typed, errors).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

// ---------------------------------------------------------------------------------------
// Missing education
// ---------------------------------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
pub(crate) struct CmeForm {
    csrf_token: Option<String>,
    person: Option<String>,
    school: Option<String>,
    first_day: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "missing_education_new.html")]
pub(crate) struct CmePage {
    pub layout: Layout,
    pub errors: Vec<FieldError>,
    pub child: String,
    pub person: String,
    pub first_day: String,
    pub schools: Vec<SchoolOption>,
}

crate::forms::form_page!(CmePage);

async fn cme_page(
    state: &AppState,
    signed_in: &SignedIn,
    person: String,
    school: Option<Uuid>,
    first_day: String,
    errors: Vec<FieldError>,
) -> Result<CmePage, Problem> {
    let schools = school_options(state, &signed_in.user.principal, school).await?;
    Ok(CmePage {
        layout: Layout::new("Open a missing education episode", Some(signed_in), state)
            .with_error(!errors.is_empty()),
        child: named(state, signed_in, &person).await?,
        errors,
        person,
        first_day,
        schools,
    })
}

pub(crate) async fn new_missing_education(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(params): Query<PersonParams>,
) -> Result<CmePage, PageProblem> {
    keeper(&state, &signed_in, Register::MissingEducation)?;
    let person = params.person.unwrap_or_default().trim().to_owned();
    Ok(cme_page(&state, &signed_in, person, None, String::new(), Vec::new()).await?)
}

pub(crate) async fn add_missing_education(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Form(form): Form<CmeForm>,
) -> Result<Response, PageProblem> {
    check_form_token(&signed_in, form.csrf_token.as_deref())?;
    keeper(&state, &signed_in, Register::MissingEducation)?;
    let typed_person = trimmed(&form.person);
    let typed_day = trimmed(&form.first_day);
    let school = form
        .school
        .as_deref()
        .filter(|s| !s.is_empty())
        .and_then(|s| s.parse::<Uuid>().ok());
    let mut errors = Vec::new();
    let person = person("cme-person", &typed_person, &mut errors);
    let first_day = date(
        "cme-first_day",
        &typed_day,
        "the first day the child was missing education",
        &mut errors,
    );
    if let (Some(person), Some(first_day)) = (person, first_day) {
        let who = &signed_in.user.principal;
        if child_named(&state, who, person).await?.is_none() {
            errors.push(error("cme-person", "There is no child with this person id"));
        } else {
            match state
                .store
                .add_missing_education_entry(
                    who,
                    PersonId(person),
                    school.map(AgencyId),
                    first_day,
                    day(&state).today,
                    state.clock.now(),
                )
                .await?
            {
                Ok(id) => {
                    return Ok(Redirect::to(&format!(
                        "/children-not-in-school/missing-education/{id}"
                    ))
                    .into_response());
                }
                Err(RegisterRefusal::Invalid(why)) => errors.push(error(
                    if why.field == "first_day" {
                        "cme-first_day"
                    } else {
                        "cme-person"
                    },
                    why.message,
                )),
                Err(other) => return Err(refusal(other).into()),
            }
        }
    }
    let page = cme_page(&state, &signed_in, typed_person, school, typed_day, errors).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed() -> EheTyped {
        EheTyped {
            person: "0190a6b2-7c3e-7000-8000-000000000001".into(),
            first_day: "1/9/2026".into(),
            parent1_name: "Dana Doyle".into(),
            parent1_address: "4 Mill Lane".into(),
            parent1_educates: true,
            hours_by_parents: "18".into(),
            hours_by_others: "0".into(),
            consent: "not_needed".into(),
            ..EheTyped::default()
        }
    }

    #[test]
    fn a_whole_registration_is_read_into_the_s436c_content() {
        let new = typed().check().unwrap();
        assert_eq!(
            new.registration.parents,
            vec![("Dana Doyle".into(), "4 Mill Lane".into())]
        );
        assert_eq!(new.registration.educating_parents, vec!["Dana Doyle"]);
        assert_eq!(new.registration.hours_by_parents, Hours::whole(18));
        assert!(new.registration.providers.is_empty());
        assert_eq!(new.consent, None);
    }

    #[test]
    fn every_problem_is_named_at_once() {
        let errors = EheTyped {
            first_day: "31/2/2026".into(),
            parent1_address: String::new(),
            parent2_name: "Sam Doyle".into(),
            hours_by_parents: "lots".into(),
            provider_kind: "Tutor".into(),
            consent: "granted".into(),
            ..typed()
        }
        .check()
        .err()
        .unwrap();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "ehe-first_day",
                "ehe-parent1_address",
                "ehe-parent2_address",
                "ehe-hours_by_parents",
                "ehe-provider_name",
                "ehe-provider_address",
                "ehe-provider_hours",
                "ehe-consent_on",
            ]
        );
    }
}
