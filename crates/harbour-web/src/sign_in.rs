//! Signing in and out.
//!
//! Password sign-in (with a second factor where the policy requires one or the user has set
//! one up) and, on `harbour demo` only, choosing a demo account. Attempts are throttled per
//! account and per client address with a soft lock; an unknown account, a disabled one and a
//! wrong password get the same answer after the same work.
//!
//! Template: `templates/sign_in.html`.

use crate::layout::{FieldError, Layout, role_labels};
use crate::problem::{PageProblem, Problem};
use crate::session::{self, ClientAddress, SignedIn, check_form_token};
use crate::state::AppState;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use harbour_auth::throttle::{self, Verdict};
use harbour_auth::{password, totp};
use harbour_domain::UserId;
use harbour_store::{DemoUser, SessionUser, SignInAccount, SignInRefusal};
use serde::Deserialize;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/sign-in", get(sign_in_form).post(sign_in))
        .route("/sign-out", post(sign_out))
}

/// The one message for every failed password sign-in, so it says nothing about which part
/// was wrong or whether the account exists.
pub(crate) const SIGN_IN_FAILED: &str =
    "Enter a correct email address, password and, if you use one, security code";

pub(crate) struct DemoAccount {
    pub id: String,
    pub name: String,
    pub email: String,
    pub agency: String,
    pub roles: String,
    /// The role needs a second factor on a real server; the demo's one click skips it.
    pub skips_second_factor: bool,
}

impl DemoAccount {
    fn new(user: DemoUser, policy: &harbour_policy::Policy) -> Self {
        Self {
            id: user.id.to_string(),
            roles: role_labels(&user.roles),
            skips_second_factor: policy.requires_second_factor(&user.roles),
            name: user.display_name,
            email: user.email,
            agency: user.agency_name,
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "sign_in.html")]
pub(crate) struct SignInPage {
    pub layout: Layout,
    pub errors: Vec<FieldError>,
    /// What was typed in the email box, to give it back after an error.
    pub email: String,
    /// The page to go back to after signing in (a checked same-site path), or empty.
    pub next: String,
    pub demo_users: Vec<DemoAccount>,
}

async fn sign_in_page(
    state: &AppState,
    errors: Vec<FieldError>,
    email: &str,
    next: Option<&str>,
) -> Result<SignInPage, PageProblem> {
    let demo_users = if state.config.demo_sign_in {
        state
            .store
            .list_demo_users()
            .await?
            .into_iter()
            .map(|user| DemoAccount::new(user, state.store.policy()))
            .collect()
    } else {
        Vec::new()
    };
    Ok(SignInPage {
        layout: Layout::anonymous("Sign in", state.config.demo_sign_in)
            .with_error(!errors.is_empty()),
        errors,
        email: email.to_owned(),
        next: next.and_then(session::safe_next).unwrap_or("").to_owned(),
        demo_users,
    })
}

#[derive(Debug, Deserialize)]
pub(crate) struct SignInParams {
    next: Option<String>,
}

async fn sign_in_form(
    State(state): State<AppState>,
    Query(params): Query<SignInParams>,
) -> Result<SignInPage, PageProblem> {
    sign_in_page(&state, Vec::new(), "", params.next.as_deref()).await
}

#[derive(Debug, Deserialize)]
pub(crate) struct SignInForm {
    /// A demo account chosen on `harbour demo`'s sign-in page.
    user_id: Option<String>,
    email: Option<String>,
    password: Option<String>,
    code: Option<String>,
    /// Where to go after signing in; anything but a same-site path is ignored.
    next: Option<String>,
}

async fn sign_in(
    State(state): State<AppState>,
    ClientAddress(client): ClientAddress,
    Form(form): Form<SignInForm>,
) -> Result<Response, PageProblem> {
    match form.user_id.as_deref() {
        Some(user_id) => demo_sign_in(&state, user_id, form.next.as_deref()).await,
        None => password_sign_in(&state, &client, form).await,
    }
}

/// Demo sign-in: choose an account. Only `harbour demo` switches this on.
async fn demo_sign_in(
    state: &AppState,
    user_id: &str,
    next: Option<&str>,
) -> Result<Response, PageProblem> {
    if !state.config.demo_sign_in {
        return Err(Problem::forbidden("Demo sign-in is switched off on this server.").into());
    }
    let user = match user_id.trim().parse::<UserId>() {
        Ok(id) => state.store.demo_user(id).await?,
        Err(_) => None,
    };
    let Some(user) = user else {
        let error = FieldError {
            field: "user_id".into(),
            message: "Choose a demo account to sign in as".into(),
        };
        let page = sign_in_page(state, vec![error], "", next).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    };
    start_session(state, &user, next).await
}

async fn password_sign_in(
    state: &AppState,
    client: &str,
    form: SignInForm,
) -> Result<Response, PageProblem> {
    let next = form.next.as_deref();
    let email = form.email.unwrap_or_default().trim().to_owned();
    let password = form.password.unwrap_or_default();
    let mut errors = Vec::new();
    if email.is_empty() {
        errors.push(FieldError {
            field: "email".into(),
            message: "Enter your email address".into(),
        });
    }
    if password.is_empty() {
        errors.push(FieldError {
            field: "password".into(),
            message: "Enter your password".into(),
        });
    }
    if !errors.is_empty() {
        let page = sign_in_page(state, errors, &email, next).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }

    let now = state.clock.now();
    let account_key = account_key(&email);
    let account = state.store.account_by_email(&email).await?;
    if let Some(wait) = throttled(state, &account_key, client).await? {
        let staff = account.as_ref().map(|a| &a.staff);
        state
            .store
            .refuse_sign_in(staff, SignInRefusal::Throttled, client, now)
            .await?;
        return Ok(too_many_attempts(wait));
    }

    let checked = check_credentials(
        state,
        account.as_ref(),
        password,
        form.code.unwrap_or_default(),
    )
    .await?;
    match checked {
        Checked::Passed(user) => {
            state.store.clear_sign_in_failures(&account_key).await?;
            start_session(state, &user, next).await
        }
        Checked::NeedsSecondFactorSetUp => {
            let staff = account.as_ref().map(|a| &a.staff);
            state
                .store
                .refuse_sign_in(staff, SignInRefusal::NoSecondFactor, client, now)
                .await?;
            Err(Problem::forbidden(
                "Your role needs a second factor (a security code from an authenticator app) as well as a password. Ask your system administrator to set one up for you.",
            )
            .into())
        }
        Checked::Failed => {
            let known = account.as_ref().map(|a| &a.staff);
            state
                .store
                .record_sign_in_failure(&account_key, client, known, now)
                .await?;
            let error = FieldError {
                field: "email".into(),
                message: SIGN_IN_FAILED.into(),
            };
            let page = sign_in_page(state, vec![error], &email, next).await?;
            Ok((StatusCode::UNAUTHORIZED, page).into_response())
        }
    }
}

enum Checked {
    Passed(SessionUser),
    NeedsSecondFactorSetUp,
    Failed,
}

/// Checks the password (always spending the same effort, even for no account) and then the
/// second factor where one is needed.
async fn check_credentials(
    state: &AppState,
    account: Option<&SignInAccount>,
    password: String,
    code: String,
) -> Result<Checked, Problem> {
    let stored = account.and_then(|a| a.password_hash.clone());
    let (matches, checked) = tokio::task::spawn_blocking(move || match stored {
        Some(stored) => (password::verify(&stored, &password), true),
        None => (false, password::verify_against_nothing(&password)),
    })
    .await
    .map_err(|_| Problem::internal())?;
    if checked {
        state.metrics.password_checked();
    }
    let Some(account) = account.filter(|a| matches && !a.staff.disabled) else {
        return Ok(Checked::Failed);
    };

    let required = state
        .store
        .policy()
        .requires_second_factor(&account.staff.roles);
    match (&account.totp_secret, required) {
        (None, true) => return Ok(Checked::NeedsSecondFactorSetUp),
        (None, false) => {}
        (Some(secret), _) => {
            let unix = u64::try_from(state.clock.now().unix_timestamp()).unwrap_or(0);
            let step = totp::verify(secret, &code, unix, account.totp_last_step).map_err(|error| {
                tracing::error!(%error, user = %account.staff.id, "stored second-factor secret unusable");
                Problem::internal()
            })?;
            // Marking the step used is atomic, so two sign-ins racing with one code cannot both win.
            let fresh = match step {
                Some(step) => {
                    state
                        .store
                        .accept_second_factor_step(account.staff.id, step)
                        .await?
                }
                None => false,
            };
            if !fresh {
                return Ok(Checked::Failed);
            }
        }
    }
    let user = state
        .store
        .account_by_id(account.staff.id)
        .await?
        .map(|a| a.staff);
    Ok(match user {
        Some(staff) if !staff.disabled => Checked::Passed(SessionUser {
            principal: harbour_policy::Principal {
                user: staff.id,
                tenant: staff.tenant,
                agency: staff.agency,
                roles: staff.roles,
            },
            display_name: staff.display_name,
            agency_name: staff.agency_name,
        }),
        _ => Checked::Failed,
    })
}

/// The key the throttle counts an account's failures under (the sign-in form's email, or the
/// signed-in user's when emergency access re-checks a password).
pub(crate) fn account_key(email: &str) -> String {
    email.trim().to_lowercase()
}

/// How long this account or client must wait before another password check, if at all.
pub(crate) async fn throttled(
    state: &AppState,
    account_key: &str,
    client: &str,
) -> Result<Option<time::Duration>, Problem> {
    let now = state.clock.now();
    let limits = throttle::Limits::default();
    let (by_account, by_client) = state
        .store
        .sign_in_failures(account_key, client, now - limits.window)
        .await?;
    Ok(
        match throttle::verdict(&limits, &by_account, &by_client, now) {
            Verdict::Wait(wait) => Some(wait),
            Verdict::Allowed => None,
        },
    )
}

pub(crate) fn too_many_attempts(wait: time::Duration) -> Response {
    let seconds = wait.whole_seconds().max(1);
    let minutes = (seconds + 59) / 60;
    let problem = Problem {
        status: StatusCode::TOO_MANY_REQUESTS,
        code: "too_many_attempts",
        message: format!(
            "There have been too many attempts to sign in. Wait {minutes} minute{} and try again.",
            if minutes == 1 { "" } else { "s" }
        ),
        field: None,
    };
    let mut response = PageProblem(problem).into_response();
    if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// A fresh token at every sign-in, so a token planted before sign-in is worthless.
/// Then on to `next` if it is a path on this site, else the home page.
async fn start_session(
    state: &AppState,
    user: &SessionUser,
    next: Option<&str>,
) -> Result<Response, PageProblem> {
    let token = session::new_token()?;
    let now = state.clock.now();
    state
        .store
        .start_session(
            user,
            &session::token_hash(&token),
            now,
            now + state.config.absolute_timeout,
        )
        .await?;
    tracing::info!(user = %user.principal.user, "signed in");
    Ok((
        [(
            header::SET_COOKIE,
            session::set_cookie(&token, state.config.secure_cookies),
        )],
        Redirect::to(next.and_then(session::safe_next).unwrap_or("/")),
    )
        .into_response())
}

#[derive(Debug, Deserialize)]
pub(crate) struct SignOutForm {
    csrf_token: Option<String>,
}

async fn sign_out(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Form(form): Form<SignOutForm>,
) -> Result<Response, PageProblem> {
    check_form_token(&signed_in, form.csrf_token.as_deref())?;
    state
        .store
        .end_session(
            &signed_in.user,
            &session::token_hash(&signed_in.token),
            state.clock.now(),
        )
        .await?;
    Ok((
        [(
            header::SET_COOKIE,
            session::clear_cookie(state.config.secure_cookies),
        )],
        Redirect::to("/sign-in"),
    )
        .into_response())
}
