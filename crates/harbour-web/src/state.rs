use crate::metrics::Metrics;
use crate::nav::NavEntry;
use axum::extract::FromRef;
use harbour_casework::settings::RegisterSettings;
use harbour_domain::Clock;
use harbour_store::Store;
use std::sync::Arc;

/// How the web layer behaves; set once at start-up.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Offer the demo account chooser on the sign-in page (only `harbour demo` sets this).
    pub demo_sign_in: bool,
    /// Mark cookies `Secure` and `__Host-` prefixed: set when served over HTTPS.
    pub secure_cookies: bool,
    /// A session ends after this long without a request.
    pub idle_timeout: time::Duration,
    /// A session ends this long after sign-in, however active.
    pub absolute_timeout: time::Duration,
    /// Reverse proxies whose `X-Forwarded-For` or `Forwarded` header is believed. From any
    /// other peer those headers are ignored and the client is the TCP peer itself.
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            demo_sign_in: false,
            secure_cookies: false,
            idle_timeout: time::Duration::minutes(15),
            absolute_timeout: time::Duration::hours(12),
            trusted_proxies: Vec::new(),
        }
    }
}

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    pub store: Store,
    /// The critical-moment rules alerts are raised by (and replay runs).
    pub rules: Arc<harbour_rules::RuleSet>,
    /// The registers' settings (`registers.toml` beside the rules; the statutory defaults
    /// unless [`AppState::with_registers`] gives others).
    pub registers: Arc<RegisterSettings>,
    pub clock: Arc<dyn Clock>,
    pub config: Arc<WebConfig>,
    pub(crate) metrics: Arc<Metrics>,
    /// The main navigation, set by `router()` from the capabilities' entries.
    pub(crate) navigation: &'static [NavEntry],
    /// The ingest pipeline feed submissions go through (same store, rules and clock). Its
    /// queue is run by a `harbour_ingest::Worker` the caller starts beside the server.
    pub ingest: Arc<harbour_ingest::Pipeline>,
}

impl AppState {
    pub fn new(
        store: Store,
        rules: Arc<harbour_rules::RuleSet>,
        clock: Arc<dyn Clock>,
        config: WebConfig,
    ) -> Self {
        let ingest = Arc::new(harbour_ingest::Pipeline::new(
            store.clone(),
            rules.clone(),
            clock.clone(),
        ));
        Self {
            store,
            rules,
            registers: Arc::new(RegisterSettings::default()),
            clock,
            ingest,
            config: Arc::new(config),
            metrics: Arc::new(Metrics::new()),
            navigation: &[],
        }
    }

    /// The same state with the registers' settings a council's `registers.toml` gives.
    pub fn with_registers(self, registers: RegisterSettings) -> Self {
        Self {
            registers: Arc::new(registers),
            ..self
        }
    }

    pub(crate) fn with_navigation(self, navigation: &'static [NavEntry]) -> Self {
        Self { navigation, ..self }
    }
}

/// The metrics handlers take only the metrics.
impl FromRef<AppState> for Arc<Metrics> {
    fn from_ref(state: &AppState) -> Self {
        state.metrics.clone()
    }
}
