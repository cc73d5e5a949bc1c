//! The test harness: fresh databases on both backends, a fake clock, the
//! whole HTTP application on an ephemeral port, and a real headless browser.
//!
//! - [`TestDb`] gives every test its own database: a temporary SQLite file,
//!   or a fresh schema in the PostgreSQL named by `TEST_DATABASE_URL`.
//! - [`on_both_backends!`] runs one async test body on SQLite always and on
//!   PostgreSQL when `TEST_DATABASE_URL` is set. With `CI=true` a missing or
//!   unreachable PostgreSQL fails the test instead of skipping it.
//! - [`TestApp::spawn`] serves the real router on `127.0.0.1:0` with a
//!   [`FakeClock`]; no test sleeps to wait for it.
//! - [`smtp::SmtpServer`] is a real SMTP server (Debian `python3-aiosmtpd`)
//!   whose received messages a test reads back.

pub mod browser;
pub mod pdf;
pub mod smtp;

use redegov_app::{Actor, App, Clock};
use redegov_domain::role::Role;
use redegov_domain::time::{Timestamp, from_epoch};
use redegov_store::{Backend, Store};
use std::sync::{Arc, Mutex};

/// True when running in CI, where every real part is mandatory.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// Says plainly that a test did not run, or fails it in CI.
pub fn skip_or_fail(what: &str) {
    assert!(!in_ci(), "{what}: required when CI=true");
    eprintln!("SKIPPED: {what}");
}

/// A clock tests move by hand.
pub struct FakeClock(Mutex<Timestamp>);

impl FakeClock {
    pub fn at(rfc3339: &str) -> Arc<FakeClock> {
        let t = redegov_domain::time::parse_instant("clock", rfc3339).expect("a valid RFC 3339 instant");
        Arc::new(FakeClock(Mutex::new(t)))
    }

    pub fn set(&self, t: Timestamp) {
        *self.0.lock().expect("clock lock") = t;
    }

    pub fn advance(&self, seconds: i64) {
        let mut t = self.0.lock().expect("clock lock");
        *t = from_epoch(t.timestamp() + seconds);
    }
}

impl Clock for FakeClock {
    fn now(&self) -> Timestamp {
        *self.0.lock().expect("clock lock")
    }
}

/// A database of its own for one test; removed when dropped.
pub struct TestDb {
    pub url: String,
    pub backend: Backend,
    cleanup: Cleanup,
}

enum Cleanup {
    File(std::path::PathBuf),
    Schema { admin_url: String, schema: String },
}

fn unique_suffix() -> String {
    use rand::RngCore;
    format!("{:016x}", rand::rng().next_u64())
}

impl TestDb {
    /// A fresh SQLite file in the temporary directory.
    pub async fn sqlite() -> TestDb {
        let path = std::env::temp_dir().join(format!("redegov-test-{}.db", unique_suffix()));
        TestDb {
            url: format!("sqlite://{}", path.display()),
            backend: Backend::Sqlite,
            cleanup: Cleanup::File(path),
        }
    }

    /// A fresh schema in `TEST_DATABASE_URL`'s PostgreSQL, or `None` (with a
    /// plain "skipped" line) when it is not set outside CI.
    pub async fn postgres() -> Option<TestDb> {
        let Ok(admin_url) = std::env::var("TEST_DATABASE_URL") else {
            skip_or_fail("PostgreSQL test (TEST_DATABASE_URL is not set)");
            return None;
        };
        sqlx::any::install_default_drivers();
        let admin = sqlx::AnyPool::connect(&admin_url)
            .await
            .unwrap_or_else(|e| panic!("TEST_DATABASE_URL={admin_url} is set but unreachable: {e}"));
        let now = chrono::Utc::now().timestamp();
        // Schemas left by crashed runs are dropped after an hour.
        let stale: Vec<(String,)> =
            sqlx::query_as("SELECT nspname::text FROM pg_namespace WHERE nspname LIKE 'rgt\\_%' ESCAPE '\\'")
                .fetch_all(&admin)
                .await
                .unwrap_or_default();
        for (name,) in stale {
            let created: i64 = name.split('_').nth(1).and_then(|t| t.parse().ok()).unwrap_or(now);
            if now - created > 3600 {
                let _ = sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA IF EXISTS {name} CASCADE")))
                    .execute(&admin)
                    .await;
            }
        }
        let schema = format!("rgt_{now}_{}", unique_suffix());
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
            .execute(&admin)
            .await
            .expect("create test schema");
        admin.close().await;
        let sep = if admin_url.contains('?') { '&' } else { '?' };
        let url = format!("{admin_url}{sep}options=-c%20search_path%3D{schema}");
        Some(TestDb { url, backend: Backend::Postgres, cleanup: Cleanup::Schema { admin_url, schema } })
    }

    /// Connects and migrates.
    pub async fn store(&self) -> Store {
        let store = Store::connect(&self.url).await.expect("connect to the test database");
        store.migrate().await.expect("migrate the test database");
        store
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::File(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            Cleanup::Schema { admin_url, schema } => {
                let (url, sql) = (admin_url.clone(), format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
                // Drop runs outside any runtime guarantee: use a thread of its own.
                let _ = std::thread::spawn(move || {
                    let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
                        return;
                    };
                    rt.block_on(async {
                        if let Ok(pool) = sqlx::AnyPool::connect(&url).await {
                            let _ = sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&pool).await;
                            pool.close().await;
                        }
                    });
                })
                .join();
            }
        }
    }
}

/// Runs each named `async fn name(db: TestDb)` on SQLite and on PostgreSQL.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::TestDb::sqlite().await).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(db) = $crate::TestDb::postgres().await {
                    super::$name(db).await
                }
            }
        }
    )*};
}

/// The whole application served on an ephemeral port.
pub struct TestApp {
    pub base_url: String,
    pub app: App,
    pub clock: Arc<FakeClock>,
    pub client: reqwest::Client,
    pub db: TestDb,
}

/// The instant test clocks start at.
pub const TEST_NOW: &str = "2026-03-10T12:00:00-03:00";

impl TestApp {
    /// Migrates `db` and serves the router on `127.0.0.1:0`.
    pub async fn spawn(db: TestDb) -> TestApp {
        // The HTTP clients (tests', webhooks') use rustls: one provider, ring.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let store = db.store().await;
        let clock = FakeClock::at(TEST_NOW);
        let app = App::new(store, clock.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind an ephemeral port");
        let addr = listener.local_addr().expect("local address");
        let router = redegov_web::router(redegov_web::WebState::new(app.clone(), false, true));
        tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        let client =
            reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
        TestApp { base_url: format!("http://{addr}"), app, clock, client, db }
    }

    /// Spawns with the demo network loaded.
    pub async fn spawn_with_demo(db: TestDb) -> TestApp {
        let t = TestApp::spawn(db).await;
        t.app.load_demo().await.expect("load the demo network").expect("an empty database");
        t
    }

    /// Creates a user with `role` (bound to `agency`/`operator` as the role
    /// needs) and returns a bearer token for it.
    pub async fn token(&self, login: &str, role: Role, agency: Option<i64>, operator: Option<i64>) -> String {
        let input = redegov_app::auth::UserInput {
            login: login.into(),
            name: login.into(),
            email: String::new(),
            role,
            agency_id: agency.map(redegov_domain::ids::AgencyId),
            operator_id: operator.map(redegov_domain::ids::OperatorId),
            password: "test-password".into(),
        };
        self.app.create_user(&Actor::system(), input).await.expect("create test user");
        self.app.create_api_token(&Actor::system(), login, "test").await.expect("create token")
    }

    /// Sends a JSON request and returns the status and the parsed body
    /// (`Null` when empty).
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let mut req = self.client.request(method, format!("{}{path}", self.base_url)).bearer_auth(token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status().as_u16();
        let text = resp.text().await.expect("body");
        let json = if text.is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text))
        };
        (status, json)
    }

    pub async fn get(&self, path: &str, token: &str) -> (u16, serde_json::Value) {
        self.call(reqwest::Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
        self.call(reqwest::Method::POST, path, token, Some(body)).await
    }

    pub async fn patch(&self, path: &str, token: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
        self.call(reqwest::Method::PATCH, path, token, Some(body)).await
    }

    pub async fn delete(&self, path: &str, token: &str) -> (u16, serde_json::Value) {
        self.call(reqwest::Method::DELETE, path, token, None).await
    }
}
