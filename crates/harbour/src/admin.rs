//! The administration commands: tenants, agencies, staff accounts and API tokens.

use crate::cli::{AgencyCommand, PersonCommand, TenantCommand, TokenCommand, UserCommand};
use crate::shared::{choose_tenant, find_agency, open_store, print_table};
use anyhow::{Context, bail};
use harbour_auth::{password, token, totp};
use harbour_domain::{
    AgencyId, AgencyKind, Clock, Role, SchoolNumber, SystemClock, TenantCode, UserId,
};
use harbour_store::{NewAgency, NewUser, SignInAccount, Store};
use std::collections::BTreeSet;
use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;

/// The most people `harbour person find` lists.
const FIND_LIMIT: usize = 50;

pub async fn person(command: PersonCommand) -> anyhow::Result<ExitCode> {
    let PersonCommand::Find {
        store,
        tenant,
        query,
        json,
    } = command;
    let query = harbour_store::SearchQuery::parse(&query).map_err(anyhow::Error::msg)?;
    let store = open_store(&store).await?;
    let tenant = choose_tenant(&store, tenant.as_deref()).await?;
    let found = store
        .find_persons(&tenant, &query, FIND_LIMIT, SystemClock.now())
        .await?;
    store.close().await;
    if json {
        for person in &found {
            println!("{}", serde_json::to_string(person)?);
        }
        return Ok(ExitCode::SUCCESS);
    }
    let rows: Vec<[String; 4]> = found
        .iter()
        .map(|p| {
            [
                p.id.to_string(),
                format!("{} {}", p.given_name, p.family_name)
                    .trim()
                    .to_owned(),
                p.date_of_birth.map(|d| d.to_string()).unwrap_or_default(),
                p.agencies.join(", "),
            ]
        })
        .collect();
    print_table(&["ID", "NAME", "BORN", "AGENCIES"], &rows);
    println!(
        "{} found{}.",
        found.len(),
        if found.len() == FIND_LIMIT {
            " (the first 50; narrow the search)"
        } else {
            ""
        }
    );
    Ok(ExitCode::SUCCESS)
}

/// Prints each item as one line of JSON.
fn print_json_lines<T: serde::Serialize>(items: &[T]) -> anyhow::Result<ExitCode> {
    for item in items {
        println!("{}", serde_json::to_string(item)?);
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn tenant(command: TenantCommand) -> anyhow::Result<ExitCode> {
    let TenantCommand::Add { store, code, name } = command;
    let tenant = TenantCode::parse(&code).map_err(anyhow::Error::msg)?;
    let store = open_store(&store).await?;
    if store.tenants().await?.iter().any(|(t, _)| *t == tenant) {
        bail!("local authority {tenant} already exists");
    }
    store
        .create_tenant(&tenant, name.trim(), SystemClock.now())
        .await?;
    println!("Added local authority {tenant} ({}).", name.trim());
    Ok(ExitCode::SUCCESS)
}

pub async fn agency(command: AgencyCommand) -> anyhow::Result<ExitCode> {
    match command {
        AgencyCommand::Add {
            store,
            code,
            name,
            kind,
            school_number,
            special_school,
            area,
            tenant,
        } => {
            let kind: AgencyKind = kind.parse()?;
            if special_school && kind != AgencyKind::School {
                bail!("--special-school is for schools only");
            }
            let school_number = school_number
                .as_deref()
                .map(SchoolNumber::parse)
                .transpose()?;
            if school_number.is_some() && kind != AgencyKind::School {
                bail!("--school-number is for schools only");
            }
            if area.is_some() && kind != AgencyKind::School {
                bail!("--area is for schools only");
            }
            let code = code.trim().to_lowercase();
            if code.is_empty()
                || !code
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                bail!("--code is letters, digits, '-' and '_' only (e.g. northgate)");
            }
            let store = open_store(&store).await?;
            let tenant = choose_tenant(&store, tenant.as_deref()).await?;
            if store
                .list_agencies(&tenant)
                .await?
                .iter()
                .any(|a| a.code == code)
            {
                bail!("there is already an agency {code:?} in {tenant}");
            }
            let agency = NewAgency {
                id: AgencyId::new_v7(),
                tenant: tenant.clone(),
                code: code.clone(),
                name: name.trim().to_owned(),
                kind,
            };
            store.create_agency(&agency, SystemClock.now()).await?;
            if let Some(number) = &school_number {
                store
                    .set_school_number(&tenant, agency.id, number, SystemClock.now())
                    .await?;
            }
            if special_school {
                store
                    .set_special_school(&tenant, agency.id, true, SystemClock.now())
                    .await?;
            }
            if let Some(area) = &area {
                store
                    .set_school_area(&tenant, agency.id, Some(area), SystemClock.now())
                    .await?;
            }
            println!(
                "Added {} ({code}, {}) to {tenant}.",
                agency.name,
                kind.label()
            );
        }
        AgencyCommand::List {
            store,
            tenant,
            json,
        } => {
            let store = open_store(&store).await?;
            let tenant = choose_tenant(&store, tenant.as_deref()).await?;
            let agencies = store.list_agencies(&tenant).await?;
            if json {
                return print_json_lines(&agencies);
            }
            let rows: Vec<[String; 3]> = agencies
                .iter()
                .map(|a| [a.code.clone(), a.kind.label().to_owned(), a.name.clone()])
                .collect();
            print_table(&["CODE", "KIND", "NAME"], &rows);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Reads a new password: one line from standard input when it is not a terminal (for
/// scripts), otherwise asked twice without echo. Checked against the password rules.
fn read_new_password(email: &str) -> anyhow::Result<String> {
    let password = if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password(format!("New password for {email}: "))?;
        let second = rpassword::prompt_password("The same again: ")?;
        if first != second {
            bail!("the two passwords differ; nothing was changed");
        }
        first
    } else {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("cannot read the password from standard input")?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    };
    password::check_strength(&password, email)
        .map_err(|weak| anyhow::anyhow!("password refused: {weak}"))?;
    Ok(password)
}

async fn account(store: &Store, email: &str) -> anyhow::Result<SignInAccount> {
    store
        .account_by_email(email)
        .await?
        .with_context(|| format!("there is no account with the email {email}"))
}

async fn hash(password: String) -> anyhow::Result<String> {
    Ok(tokio::task::spawn_blocking(move || password::hash(&password)).await??)
}

pub async fn user(command: UserCommand) -> anyhow::Result<ExitCode> {
    match command {
        UserCommand::Add {
            store,
            agency,
            roles,
            email,
            name,
            tenant,
        } => {
            let roles = roles
                .iter()
                .map(|r| r.parse::<Role>())
                .collect::<Result<BTreeSet<_>, _>>()?;
            let email = email.trim().to_owned();
            if !email.contains('@') || email.chars().any(char::is_whitespace) {
                bail!("--email must be an email address");
            }
            if name.trim().is_empty() {
                bail!("--name must not be empty");
            }
            let store = open_store(&store).await?;
            if store.account_by_email(&email).await?.is_some() {
                bail!("there is already an account with the email {email}");
            }
            let tenant = choose_tenant(&store, tenant.as_deref()).await?;
            let agency = find_agency(&store, &tenant, &agency).await?;
            let password = read_new_password(&email)?;
            let now = SystemClock.now();
            let user = NewUser {
                id: UserId::new_v7(),
                tenant,
                agency: agency.id,
                email: email.clone(),
                display_name: name.trim().to_owned(),
                roles: roles.clone(),
                is_demo: false,
            };
            store.create_user(&user, now).await?;
            let staff = account(&store, &email).await?.staff;
            store
                .set_password_hash(&staff, &hash(password).await?, now)
                .await?;
            println!("Added {} ({email}) at {}.", user.display_name, agency.name);
            if store.policy().requires_second_factor(&roles) {
                println!(
                    "Their role needs a second factor before they can sign in: run `harbour user totp --email {email}`."
                );
            }
        }
        UserCommand::List {
            store,
            tenant,
            json,
        } => {
            let store = open_store(&store).await?;
            let tenant = choose_tenant(&store, tenant.as_deref()).await?;
            let staff_list = store.list_staff(&tenant).await?;
            if json {
                return print_json_lines(&staff_list);
            }
            let mut rows: Vec<[String; 5]> = Vec::new();
            for staff in &staff_list {
                let roles: Vec<_> = staff.roles.iter().map(|r| r.as_str()).collect();
                let mut flags = Vec::new();
                if staff.disabled {
                    flags.push("disabled");
                }
                if !staff.has_password {
                    flags.push("no password");
                }
                if staff.has_second_factor {
                    flags.push("second factor");
                }
                rows.push([
                    staff.email.clone(),
                    staff.display_name.clone(),
                    staff.agency_name.clone(),
                    roles.join(","),
                    flags.join(", "),
                ]);
            }
            print_table(&["EMAIL", "NAME", "AGENCY", "ROLES", "STATE"], &rows);
        }
        UserCommand::Password { store, email } => {
            let store = open_store(&store).await?;
            let staff = account(&store, &email).await?.staff;
            let password = read_new_password(&staff.email)?;
            store
                .set_password_hash(&staff, &hash(password).await?, SystemClock.now())
                .await?;
            println!("Password changed for {}.", staff.email);
        }
        UserCommand::Totp {
            store,
            email,
            remove,
        } => {
            let store = open_store(&store).await?;
            let staff = account(&store, &email).await?.staff;
            if remove {
                store
                    .set_second_factor(&staff, None, SystemClock.now())
                    .await?;
                println!("Second factor removed for {}.", staff.email);
            } else {
                let secret = totp::new_secret()?;
                store
                    .set_second_factor(&staff, Some(&secret), SystemClock.now())
                    .await?;
                println!(
                    "Second factor set up for {}. Give them this, in person or by a trusted channel:",
                    staff.email
                );
                println!("  secret:  {secret}");
                println!(
                    "  address: {}",
                    totp::provisioning_uri(&secret, &staff.email, "Harbour")
                );
                println!(
                    "They enter the 6-digit code from their authenticator app each time they sign in."
                );
            }
        }
        UserCommand::Disable { store, email } => {
            let store = open_store(&store).await?;
            let staff = account(&store, &email).await?.staff;
            store.set_disabled(&staff, true, SystemClock.now()).await?;
            println!(
                "Disabled {}: their sessions have ended and they cannot sign in.",
                staff.email
            );
        }
        UserCommand::Enable { store, email } => {
            let store = open_store(&store).await?;
            let staff = account(&store, &email).await?.staff;
            store.set_disabled(&staff, false, SystemClock.now()).await?;
            println!("Enabled {}.", staff.email);
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn api_token(command: TokenCommand) -> anyhow::Result<ExitCode> {
    match command {
        TokenCommand::Add {
            store,
            agency,
            label,
            tenant,
        } => {
            if label.trim().is_empty() {
                bail!("--label must say what the token is for");
            }
            let store = open_store(&store).await?;
            let tenant = choose_tenant(&store, tenant.as_deref()).await?;
            let agency = find_agency(&store, &tenant, &agency).await?;
            let secret = token::new_token(token::API_TOKEN_PREFIX)?;
            let id = store
                .create_api_token(
                    &tenant,
                    agency.id,
                    label.trim(),
                    &token::hash_token("api", &secret),
                    SystemClock.now(),
                )
                .await?;
            println!(
                "Token {id} for {} ({}). It is shown only now; store it in the agency system's secrets:",
                agency.name,
                label.trim()
            );
            println!("\n    {secret}\n");
            println!(
                "Send it as 'Authorization: Bearer {}…'. It can only submit feeds.",
                &secret[..8.min(secret.len())]
            );
        }
        TokenCommand::List {
            store,
            tenant,
            json,
        } => {
            let store = open_store(&store).await?;
            let tenant = choose_tenant(&store, tenant.as_deref()).await?;
            let tokens = store.list_api_tokens(&tenant).await?;
            if json {
                return print_json_lines(&tokens);
            }
            let rows: Vec<[String; 4]> = tokens
                .iter()
                .map(|t| {
                    let state = if t.revoked_at.is_some() {
                        "revoked"
                    } else {
                        "live"
                    };
                    [
                        t.id.to_string(),
                        state.to_owned(),
                        t.agency_name.clone(),
                        t.label.clone(),
                    ]
                })
                .collect();
            print_table(&["ID", "STATE", "AGENCY", "LABEL"], &rows);
        }
        TokenCommand::Revoke { store, id } => {
            let id: uuid::Uuid = id
                .trim()
                .parse()
                .context("--id is a token id from `harbour token list`")?;
            let store = open_store(&store).await?;
            if store.revoke_api_token(id, SystemClock.now()).await? {
                println!("Revoked token {id}.");
            } else {
                bail!("there is no live token {id}");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
