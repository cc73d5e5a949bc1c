//! A real headless Chromium driven over WebDriver (Debian `chromium` and
//! `chromium-driver`), for end-to-end tests. The driver process is killed
//! when the guard drops, even if the test panics.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A running chromedriver and a WebDriver session on it.
pub struct Browser {
    pub client: fantoccini::Client,
    driver: Child,
}

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

impl Browser {
    /// Starts chromedriver and a headless Chromium, or returns `None` (with a
    /// plain "skipped" line) when they are not installed outside CI.
    pub async fn start() -> Option<Browser> {
        if !std::path::Path::new(CHROMEDRIVER).exists() || !std::path::Path::new(CHROMIUM).exists() {
            crate::skip_or_fail("browser test (install Debian chromium and chromium-driver)");
            return None;
        }
        // The TLS stack of the WebDriver client needs a process-wide provider.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").expect("free port");
            l.local_addr().expect("addr").port()
        };
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let mut guard = DriverGuard(Some(driver));
        let profile = std::env::temp_dir().join(format!("redegov-chromium-{port}"));
        let caps = serde_json::json!({
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                         "--disable-background-networking", "--disable-component-update", "--disable-sync",
                         "--disable-dev-shm-usage", "--window-size=1280,900",
                         format!("--user-data-dir={}", profile.display())]
            }
        });
        let caps = match caps {
            serde_json::Value::Object(map) => map,
            _ => unreachable!("a JSON object literal"),
        };
        // chromedriver needs a moment to listen: retry the session briefly.
        let mut last_error = String::new();
        for _ in 0..50 {
            match fantoccini::ClientBuilder::rustls()
                .expect("rustls client")
                .capabilities(caps.clone())
                .connect(&format!("http://127.0.0.1:{port}"))
                .await
            {
                Ok(client) => {
                    let driver = guard.0.take().expect("driver present");
                    return Some(Browser { client, driver });
                }
                Err(e) => {
                    last_error = e.to_string();
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
        panic!("cannot start a WebDriver session: {last_error}");
    }

    /// Ends the session and stops the driver.
    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

struct DriverGuard(Option<Child>);

impl Drop for DriverGuard {
    fn drop(&mut self) {
        if let Some(mut c) = self.0.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}
