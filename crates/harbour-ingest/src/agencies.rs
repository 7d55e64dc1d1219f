//! Setting up the agencies a feed manifest names, the one way every caller does it.

use crate::IngestError;
use crate::file::FeedFile;
use harbour_domain::feeds::{Manifest, ManifestAgency};
use harbour_domain::{AgencyId, AgencyKind, SchoolNumber, TenantCode};
use harbour_store::{NewAgency, Store};
use std::path::Path;
use time::OffsetDateTime;

/// Where a manifest's feeds go.
#[derive(Debug, Clone, Copy)]
pub enum Placement<'a> {
    /// Into the manifest's own tenant (created if new), each feed sent by the agency with the
    /// manifest's code for it (created if new). `harbour import --manifest`.
    AsNamed,
    /// Into `tenant`, which exists: schools by their code (created if new); every other feed
    /// sent by the tenant's own agency of that kind (created if it has none). The demo loads
    /// a synthetic county around its hand-written agencies this way.
    Into(&'a TenantCode),
}

/// Creates the tenant and agencies a manifest needs (only those missing) and gives the
/// tenant and the manifest's files, each with the agency that sends it, in the manifest's
/// order. `dir` is the manifest's folder: file names are relative to it.
pub async fn set_up_agencies(
    store: &Store,
    manifest: &Manifest,
    dir: &Path,
    placement: Placement<'_>,
    now: OffsetDateTime,
) -> Result<(TenantCode, Vec<FeedFile>), IngestError> {
    let tenant = match placement {
        Placement::AsNamed => {
            let tenant = TenantCode::parse(&manifest.tenant).map_err(IngestError::Manifest)?;
            if !store.tenants().await?.iter().any(|(t, _)| *t == tenant) {
                store
                    .create_tenant(&tenant, &manifest.tenant_name, now)
                    .await?;
            }
            tenant
        }
        Placement::Into(tenant) => tenant.clone(),
    };
    let mut known = store.list_agencies(&tenant).await?;
    if matches!(placement, Placement::AsNamed) {
        for source in &manifest.agencies {
            if !known.iter().any(|a| a.code == source.code) {
                create(store, &tenant, source, now).await?;
                known = store.list_agencies(&tenant).await?;
            }
        }
    }
    let mut files = Vec::with_capacity(manifest.feeds.len());
    for entry in &manifest.feeds {
        let Some(source) = manifest.agencies.iter().find(|a| a.code == entry.agency) else {
            return Err(IngestError::Manifest(format!(
                "the manifest names an unknown agency {}",
                entry.agency
            )));
        };
        let by_kind = matches!(placement, Placement::Into(_)) && source.kind != AgencyKind::School;
        let found = known.iter().find(|a| {
            if by_kind {
                a.kind == source.kind
            } else {
                a.code == source.code
            }
        });
        let agency = match found {
            Some(agency) => agency.id,
            None => {
                let id = create(store, &tenant, source, now).await?;
                known = store.list_agencies(&tenant).await?;
                id
            }
        };
        files.push(FeedFile {
            agency,
            feed: entry.feed,
            path: dir.join(&entry.file),
        });
    }
    Ok((tenant, files))
}

async fn create(
    store: &Store,
    tenant: &TenantCode,
    source: &ManifestAgency,
    now: OffsetDateTime,
) -> Result<AgencyId, IngestError> {
    let new = NewAgency {
        id: AgencyId::new_v7(),
        tenant: tenant.clone(),
        code: source.code.clone(),
        name: source.name.clone(),
        kind: source.kind,
    };
    store.create_agency(&new, now).await?;
    // A school's DfE number, where the manifest gives one, is how the authority's
    // fair-access decisions and other schools' transfer files name it.
    if let Some(number) = source
        .school_number
        .as_deref()
        .filter(|_| source.kind == AgencyKind::School)
    {
        let number = SchoolNumber::parse(number).map_err(|e| {
            IngestError::Manifest(format!(
                "school {}: school_number {number:?}: {e}",
                source.code
            ))
        })?;
        store
            .set_school_number(tenant, new.id, &number, now)
            .await?;
    }
    Ok(new.id)
}
