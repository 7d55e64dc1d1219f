//! What the store's integration tests share: a fresh store on each backend under test, and
//! the demo county's staff as principals.

#![allow(dead_code, clippy::unwrap_used)] // test support; not every test file uses everything

use harbour_domain::Role;
use harbour_policy::{Policy, Principal};
use harbour_store::{Store, StoreLocation};
use harbour_synth::demo::DemoCounty;

/// A store under test and the name of its backend.
pub struct Backend {
    pub name: &'static str,
    pub store: Store,
    _dir: Option<tempfile::TempDir>,
}

/// A fresh, empty store on each backend under test.
pub async fn backends() -> Vec<Backend> {
    let dir = tempfile::tempdir().unwrap();
    let location = StoreLocation::choose(None, dir.path()).unwrap();
    let sqlite = Store::open(location, Policy::default_policy().unwrap())
        .await
        .unwrap();
    let mut all = vec![Backend {
        name: "sqlite",
        store: sqlite,
        _dir: Some(dir),
    }];
    if let Some(url) = std::env::var("HARBOUR_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
    {
        let url = harbour_store::testing::fresh_postgres_database(&url).await;
        let location = StoreLocation::choose(Some(&url), std::path::Path::new(".")).unwrap();
        let store = Store::open(location, Policy::default_policy().unwrap())
            .await
            .unwrap();
        all.push(Backend {
            name: "postgres",
            store,
            _dir: None,
        });
    }
    all
}

pub fn principal(county: &DemoCounty, role: Role, agency_code: &str) -> Principal {
    let agency = county
        .agencies
        .iter()
        .find(|a| a.code == agency_code)
        .unwrap()
        .id;
    let user = county
        .users
        .iter()
        .find(|u| u.roles.contains(&role) && u.agency == agency)
        .unwrap();
    Principal {
        user: user.id,
        tenant: county.tenant.clone(),
        agency,
        roles: user.roles.clone(),
    }
}
