//! The harness the web tests share: a real server on a loopback port, a fresh store (SQLite,
//! or PostgreSQL when asked) with the demo county, and a clock the tests control.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    dead_code
)] // test code

use harbour_domain::{Clock, FixedClock, Role};
use harbour_policy::Policy;
use harbour_store::{Store, StoreLocation};
use harbour_synth::demo::{self, DemoCounty};
use harbour_web::{AppState, WebConfig};
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, COOKIE, SET_COOKIE};
use std::sync::Arc;
use time::macros::datetime;

pub struct App {
    pub base: String,
    pub client: reqwest::Client,
    pub clock: Arc<FixedClock>,
    pub county: DemoCounty,
    pub store: Store,
    /// The pipeline feed submissions go through; its queue is run by `_worker`.
    pub ingest: Arc<harbour_ingest::Pipeline>,
    _worker: harbour_ingest::Worker,
    _dir: tempfile::TempDir,
    _stop: tokio::sync::oneshot::Sender<()>,
}

/// A fresh, empty store: SQLite in a temporary directory, or, when
/// `HARBOUR_TEST_WEB_BACKEND=postgres`, a new database on the server named by
/// `HARBOUR_TEST_POSTGRES_URL` (CI runs the web suites both ways).
pub async fn fresh_store() -> (Store, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let location = if std::env::var("HARBOUR_TEST_WEB_BACKEND").as_deref() == Ok("postgres") {
        let url = std::env::var("HARBOUR_TEST_POSTGRES_URL")
            .expect("HARBOUR_TEST_WEB_BACKEND=postgres needs HARBOUR_TEST_POSTGRES_URL");
        let url = harbour_store::testing::fresh_postgres_database(&url).await;
        StoreLocation::choose(Some(&url), dir.path()).unwrap()
    } else {
        StoreLocation::choose(None, dir.path()).unwrap()
    };
    let store = Store::open(location, Policy::default_policy().unwrap())
        .await
        .unwrap();
    (store, dir)
}

/// Asks `probe` until it gives an answer, for work that finishes in the background (a feed
/// job the worker runs). The bound is only there so that a hang fails instead of running
/// for ever: five minutes, far beyond what the work takes even on a machine busy with other
/// builds, so the test waits on the condition and never on a guess of how long it takes.
pub async fn eventually<T, F>(what: &str, mut probe: impl FnMut() -> F) -> T
where
    F: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(300);
    loop {
        if let Some(answer) = probe().await {
            return answer;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "gave up after five minutes waiting for {what}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

pub async fn spawn_app() -> App {
    spawn_app_with(|_| {}).await
}

/// As [`spawn_app`], with the web configuration changed by `configure` first.
pub async fn spawn_app_with(configure: impl FnOnce(&mut WebConfig)) -> App {
    let (store, dir) = fresh_store().await;
    let clock = Arc::new(FixedClock::new(datetime!(2026-11-20 09:00 UTC)));
    let county = demo::load_demo(&store, clock.now()).await.unwrap();
    let mut config = WebConfig {
        demo_sign_in: true,
        ..WebConfig::default()
    };
    configure(&mut config);
    let state = AppState::new(
        store.clone(),
        Arc::new(harbour_rules::RuleSet::builtin().unwrap()),
        clock.clone(),
        config,
    );
    // As `harbour serve` does: a worker links and runs the rules for submitted feeds.
    let ingest = state.ingest.clone();
    let worker = harbour_ingest::Worker::spawn(ingest.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(harbour_web::serve(listener, state, async {
        let _ = stopped.await;
    }));
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    App {
        base,
        client,
        clock,
        county,
        store,
        ingest,
        _worker: worker,
        _dir: dir,
        _stop: stop,
    }
}

impl App {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn user_id(&self, role: Role, agency_code: &str) -> String {
        let agency = self
            .county
            .agencies
            .iter()
            .find(|a| a.code == agency_code)
            .unwrap()
            .id;
        self.county
            .users
            .iter()
            .find(|u| u.roles.contains(&role) && u.agency == agency)
            .unwrap()
            .id
            .to_string()
    }

    /// Signs in as a demo account and returns the session cookie ("name=value").
    pub async fn sign_in(&self, role: Role, agency_code: &str) -> String {
        let response = self
            .client
            .post(self.url("/sign-in"))
            .form(&[("user_id", self.user_id(role, agency_code))])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let cookie = response.headers()[SET_COOKIE].to_str().unwrap().to_owned();
        assert!(
            cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
            "{cookie}"
        );
        cookie.split(';').next().unwrap().to_owned()
    }

    pub async fn get(&self, path: &str, cookie: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .header(COOKIE, cookie)
            .send()
            .await
            .unwrap()
    }

    pub async fn page(&self, path: &str, cookie: &str) -> (StatusCode, String) {
        let response = self.get(path, cookie).await;
        (response.status(), response.text().await.unwrap())
    }

    pub async fn json(&self, path: &str, cookie: &str) -> (StatusCode, serde_json::Value) {
        let response = self.get(path, cookie).await;
        let status = response.status();
        assert!(
            response.headers()[CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("application/json")
        );
        (status, response.json().await.unwrap())
    }

    pub fn jayden(&self) -> String {
        demo::jayden(&self.county).unwrap().to_string()
    }
}

impl App {
    /// Posts the password sign-in form.
    pub async fn password_sign_in(
        &self,
        email: &str,
        password: &str,
        code: &str,
    ) -> reqwest::Response {
        self.client
            .post(self.url("/sign-in"))
            .form(&[("email", email), ("password", password), ("code", code)])
            .send()
            .await
            .unwrap()
    }

    /// The session cookie ("name=value") a response set.
    pub fn cookie_of(response: &reqwest::Response) -> String {
        response.headers()[SET_COOKIE]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned()
    }

    /// The anti-forgery token of the signed-in session, read from a page's form.
    pub async fn form_token(&self, cookie: &str) -> String {
        let (_, page) = self.page("/", cookie).await;
        page.split("name=\"csrf_token\" value=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_owned()
    }

    pub async fn post_form(
        &self,
        path: &str,
        cookie: &str,
        form: &[(&str, &str)],
    ) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .header(COOKIE, cookie)
            .form(form)
            .send()
            .await
            .unwrap()
    }

    /// A client that connects from another loopback address (the server listens on
    /// 127.0.0.1; Linux answers every 127.0.0.0/8 address on the loopback device).
    pub fn client_from(address: [u8; 4]) -> reqwest::Client {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .local_address(std::net::IpAddr::from(address))
            .build()
            .unwrap()
    }

    /// Posts the password sign-in form from `client`, with extra headers.
    pub async fn password_sign_in_with(
        &self,
        client: &reqwest::Client,
        headers: &[(&str, &str)],
        form: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut request = client.post(self.url("/sign-in")).form(form);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.send().await.unwrap()
    }

    /// The refused entries of the audit, newest first, as the data-protection officer's
    /// review reads them.
    pub async fn refusals(&self) -> Vec<harbour_store::AuditLine> {
        let dpo = self
            .county
            .users
            .iter()
            .find(|u| u.roles.contains(&Role::DataProtectionOfficer))
            .unwrap();
        let staff = self.staff(&dpo.email).await;
        let principal = harbour_policy::Principal {
            user: staff.id,
            tenant: staff.tenant,
            agency: staff.agency,
            roles: staff.roles,
        };
        let every = harbour_store::AuditPage {
            offset: 0,
            limit: 10_000,
        };
        self.store
            .denied_attempts(&principal, every, self.clock.now())
            .await
            .unwrap()
            .unwrap()
            .lines
    }

    pub async fn staff(&self, email: &str) -> harbour_store::StaffMember {
        self.store
            .account_by_email(email)
            .await
            .unwrap()
            .unwrap()
            .staff
    }
}
