//! What the command modules share: opening the store, finding the tenant and agency a
//! command names, and printing a table. Depends on nothing in this crate but the clap types in `cli`.

use crate::cli::StoreArgs;
use anyhow::{Context, bail};
use harbour_domain::TenantCode;
use harbour_policy::Policy;
use harbour_store::{Agency, Store, StoreLocation};
use std::path::Path;

pub(crate) async fn open_store(args: &StoreArgs) -> anyhow::Result<Store> {
    open(args, false).await
}

/// `open_store` for `harbour import`, the file's only user while it runs (see
/// `Store::open_for_import`).
pub(crate) async fn open_store_for_import(args: &StoreArgs) -> anyhow::Result<Store> {
    open(args, true).await
}

async fn open(args: &StoreArgs, for_import: bool) -> anyhow::Result<Store> {
    let location = StoreLocation::choose(args.database_url.as_deref(), &args.data_dir)?;
    let policy = load_policy(args.policy.as_deref())?;
    tracing::info!(location = ?location, "opening the store");
    let store = if for_import {
        Store::open_for_import(location.clone(), policy).await
    } else {
        Store::open(location.clone(), policy).await
    };
    store.with_context(|| format!("cannot open the database ({location:?})"))
}

fn load_policy(path: Option<&Path>) -> anyhow::Result<Policy> {
    match path {
        None => Ok(Policy::default_policy()?),
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the policy file {}", path.display()))?;
            Policy::parse(&text)
                .with_context(|| format!("the policy file {} was refused", path.display()))
        }
    }
}

/// The one tenant, or the one named; an error that says which exist otherwise.
pub(crate) async fn choose_tenant(
    store: &Store,
    named: Option<&str>,
) -> anyhow::Result<TenantCode> {
    let tenants = store.tenants().await?;
    match named {
        Some(code) => {
            let code = TenantCode::parse(code).map_err(anyhow::Error::msg)?;
            tenants
                .into_iter()
                .map(|(t, _)| t)
                .find(|t| *t == code)
                .with_context(|| {
                    format!("there is no local authority {code}; add it with `harbour tenant add`")
                })
        }
        None => match tenants.as_slice() {
            [(only, _)] => Ok(only.clone()),
            [] => bail!(
                "no local authority is set up yet; start with `harbour tenant add --code 845 --name \"…\"`"
            ),
            _ => bail!(
                "this store holds several local authorities ({}); say which with --tenant",
                tenants
                    .iter()
                    .map(|(t, _)| t.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        },
    }
}

pub(crate) async fn find_agency(
    store: &Store,
    tenant: &TenantCode,
    code: &str,
) -> anyhow::Result<Agency> {
    let agencies = store.list_agencies(tenant).await?;
    let known = agencies
        .iter()
        .map(|a| a.code.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    agencies
        .iter()
        .find(|a| a.code == code.trim())
        .cloned()
        .with_context(|| {
            format!("there is no agency {code:?} in {tenant}; known agencies: {known}")
        })
}

/// Prints `rows` under `header` in columns aligned to the widest cell.
pub(crate) fn print_table<const N: usize>(header: &[&str; N], rows: &[[String; N]]) {
    let mut widths = header.map(|h| h.chars().count());
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let text: Vec<String> = cells
            .iter()
            .zip(widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        println!("{}", text.join("  ").trim_end());
    };
    line(header.to_vec());
    for row in rows {
        line(row.iter().map(String::as_str).collect());
    }
}
