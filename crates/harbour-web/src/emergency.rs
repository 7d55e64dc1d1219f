//! Emergency access ("break-glass"): open one child's record you cannot normally see, by
//! giving a reason and re-entering your password. Time-limited, flagged in the audit and
//! reviewed by the data-protection officer.
//!
//! Template: `templates/emergency_access.html`.

use crate::layout::{FieldError, Layout};
use crate::nav::NavEntry;
use crate::problem::{PageProblem, Problem};
use crate::session::{ClientAddress, SignedIn, check_form_token};
use crate::sign_in;
use crate::state::AppState;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use harbour_auth::password;
use harbour_store::{BreakGlassOutcome, BreakGlassRefusal, SearchQuery};
use serde::Deserialize;

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/emergency-access", get(form).post(submit))
}

pub(crate) const NAV: NavEntry = NavEntry {
    href: "/emergency-access",
    label: "Emergency access",
    shown: |policy, who| policy.may_break_glass(who),
};

#[derive(Template, WebTemplate)]
#[template(path = "emergency_access.html")]
pub(crate) struct EmergencyAccessPage {
    pub layout: Layout,
    pub errors: Vec<FieldError>,
    pub identifier: String,
    pub reason: String,
    pub minutes: u32,
    pub min_reason_length: usize,
}

fn page(
    state: &AppState,
    signed_in: &SignedIn,
    errors: Vec<FieldError>,
    identifier: &str,
    reason: &str,
) -> EmergencyAccessPage {
    let rules = state.store.policy().break_glass();
    EmergencyAccessPage {
        layout: Layout::new("Emergency access", Some(signed_in), state)
            .with_error(!errors.is_empty()),
        errors,
        identifier: identifier.to_owned(),
        reason: reason.to_owned(),
        minutes: rules.minutes,
        min_reason_length: rules.min_reason_length,
    }
}

/// Refuses a role without emergency access, on the record.
async fn refuse_role(state: &AppState, signed_in: &SignedIn) -> Result<(), PageProblem> {
    let who = &signed_in.user.principal;
    if state.store.policy().may_break_glass(who) {
        return Ok(());
    }
    state
        .store
        .refuse_break_glass(who, BreakGlassRefusal::NotPermitted, state.clock.now())
        .await?;
    Err(Problem::forbidden("Your role cannot use emergency access.").into())
}

async fn form(
    State(state): State<AppState>,
    signed_in: SignedIn,
) -> Result<EmergencyAccessPage, PageProblem> {
    refuse_role(&state, &signed_in).await?;
    Ok(page(&state, &signed_in, Vec::new(), "", ""))
}

#[derive(Debug, Deserialize)]
pub(crate) struct EmergencyForm {
    csrf_token: Option<String>,
    identifier: Option<String>,
    reason: Option<String>,
    password: Option<String>,
}

/// Every refusal is audited (the store audits those it decides); the password re-check is a
/// sign-in attempt: the same throttle, and a wrong password is a sign-in failure.
async fn submit(
    State(state): State<AppState>,
    signed_in: SignedIn,
    ClientAddress(client): ClientAddress,
    Form(form): Form<EmergencyForm>,
) -> Result<Response, PageProblem> {
    check_form_token(&signed_in, form.csrf_token.as_deref())?;
    refuse_role(&state, &signed_in).await?;
    let who = &signed_in.user.principal;
    let identifier_text = form.identifier.unwrap_or_default().trim().to_owned();
    let reason = form.reason.unwrap_or_default().trim().to_owned();
    let typed_password = form.password.unwrap_or_default();
    let min = state.store.policy().break_glass().min_reason_length;

    let mut errors = Vec::new();
    let mut refusal = None;
    let identifier = match SearchQuery::parse(&identifier_text) {
        Ok(query @ (SearchQuery::Upn(_) | SearchQuery::NhsNumber(_))) => Some(query),
        _ => {
            errors.push(field(
                "identifier",
                "Enter the child's UPN (13 characters) or NHS number (10 digits)",
            ));
            refusal = Some(BreakGlassRefusal::NeedsIdentifier);
            None
        }
    };
    if reason.chars().count() < min {
        errors.push(field(
            "reason",
            &format!("Explain why you need this record now, in at least {min} characters"),
        ));
        refusal = refusal.or(Some(BreakGlassRefusal::ReasonTooShort));
    }
    if typed_password.is_empty() {
        errors.push(field("password", "Enter your password"));
        refusal = refusal.or(Some(BreakGlassRefusal::NoPassword));
    }
    if let Some(refusal) = refusal {
        state
            .store
            .refuse_break_glass(who, refusal, state.clock.now())
            .await?;
        return Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            page(&state, &signed_in, errors, &identifier_text, &reason),
        )
            .into_response());
    }

    // Re-authentication: the password must be the signed-in user's own, now.
    let account = state
        .store
        .account_by_id(who.user)
        .await?
        .ok_or_else(Problem::internal)?;
    let account_key = sign_in::account_key(&account.staff.email);
    if let Some(wait) = sign_in::throttled(&state, &account_key, &client).await? {
        state
            .store
            .refuse_break_glass(who, BreakGlassRefusal::Throttled, state.clock.now())
            .await?;
        return Ok(sign_in::too_many_attempts(wait));
    }
    let stored = account.password_hash.clone();
    let (matches, checked) = tokio::task::spawn_blocking(move || match stored {
        Some(hash) => (password::verify(&hash, &typed_password), true),
        None => (false, password::verify_against_nothing(&typed_password)),
    })
    .await
    .map_err(|_| Problem::internal())?;
    if checked {
        state.metrics.password_checked();
    }
    if !matches {
        let now = state.clock.now();
        state
            .store
            .record_sign_in_failure(&account_key, &client, Some(&account.staff), now)
            .await?;
        state
            .store
            .refuse_break_glass(who, BreakGlassRefusal::WrongPassword, now)
            .await?;
        let errors = vec![field("password", "Your password is not right")];
        return Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            page(&state, &signed_in, errors, &identifier_text, &reason),
        )
            .into_response());
    }

    let Some(identifier) = identifier else {
        return Err(Problem::internal().into());
    };
    state.store.clear_sign_in_failures(&account_key).await?;
    let outcome = state
        .store
        .break_glass(who, &identifier, &reason, state.clock.now())
        .await?;
    match outcome {
        BreakGlassOutcome::Granted { person, .. } => {
            Ok(Redirect::to(&format!("/people/{person}")).into_response())
        }
        BreakGlassOutcome::NotPermitted => {
            Err(Problem::forbidden("Your role cannot use emergency access.").into())
        }
        BreakGlassOutcome::ReasonTooShort { min } => {
            let errors = vec![field(
                "reason",
                &format!("Explain why you need this record now, in at least {min} characters"),
            )];
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                page(&state, &signed_in, errors, &identifier_text, &reason),
            )
                .into_response())
        }
        BreakGlassOutcome::NeedsIdentifier | BreakGlassOutcome::NoMatch => {
            let errors = vec![field(
                "identifier",
                "No child has that UPN or NHS number. Check it and try again",
            )];
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                page(&state, &signed_in, errors, &identifier_text, &reason),
            )
                .into_response())
        }
    }
}

fn field(name: &str, message: &str) -> FieldError {
    FieldError {
        field: name.to_owned(),
        message: message.to_owned(),
    }
}
