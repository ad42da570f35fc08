//! A real browser against the demo: headless Chromium through chromedriver (WebDriver). The
//! browser's own `Sec-Fetch-Dest`/`Accept` headers make its navigations page requests, so this
//! is the proof that page detection works with a real browser.
//!
//! Needs the Debian packages `chromium` and `chromium-driver`; `.ci/run` installs them and runs
//! this test with `--ignored`. The signed-in dashboard is saved as
//! `target/artifacts/dashboard-signed-in.png`.

use axum_clerk::testing::TestIssuer;
use axum_clerk_examples::dashboard::{app, dev_clerk, Mode};
use fantoccini::{ClientBuilder, Locator};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

async fn start_chromedriver() -> (Driver, String) {
    let port = free_port();
    // Wrapped at once, so the process is killed and reaped on every path (Drop).
    let driver = Driver(
        Command::new(std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into()))
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver is installed (apt-get install chromium chromium-driver)"),
    );
    let url = format!("http://127.0.0.1:{port}");
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            return (driver, url);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chromedriver did not start on port {port}");
}

#[tokio::test]
#[ignore = "needs chromium and chromium-driver; .ci/run installs them and runs this with --ignored"]
async fn a_browser_signs_in_through_the_redirect_and_back() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let issuer = TestIssuer::new();
    // Tokens that expire within the test (Clerk's live 60 s), checked without clock skew.
    issuer.set_token_lifetime(Duration::from_secs(3));
    let clerk = dev_clerk(&issuer, addr, |name| (name == "CLERK_CLOCK_SKEW_IN_MS").then(|| "0".to_owned())).unwrap();
    let served = issuer.clone();
    tokio::spawn(async move { axum::serve(listener, app(clerk, Mode::Development(served))).await.unwrap() });
    let base = format!("http://{addr}");

    let (_driver, driver_url) = start_chromedriver().await;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--disable-dev-shm-usage", "--window-size=1280,900"]
        }),
    );
    let browser =
        ClientBuilder::rustls().unwrap().capabilities(caps).connect(&driver_url).await.expect("a WebDriver session");

    // Signed out, first visit: the browser has no dev browser yet, goes through Clerk's
    // handshake with the issuer, and /dashboard then sends it to sign-in with the right
    // redirect_url.
    browser.goto(&format!("{base}/dashboard")).await.unwrap();
    assert_eq!(issuer.handshake_count(), 1, "the first page load went through the handshake");
    let url = browser.current_url().await.unwrap();
    assert_eq!(url.path(), "/sign-in");
    let redirect: Vec<(String, String)> = url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    assert_eq!(redirect, vec![("redirect_url".to_owned(), format!("{base}/dashboard"))]);

    // Sign in as the admin demo user and land back on the dashboard.
    browser.find(Locator::Id("sign-in-ada")).await.unwrap().click().await.unwrap();
    browser.wait().for_element(Locator::Css("h1")).await.unwrap();
    let url = browser.current_url().await.unwrap();
    assert_eq!(url.as_str(), format!("{base}/dashboard"));
    let heading = browser.find(Locator::Css("h1")).await.unwrap().text().await.unwrap();
    assert_eq!(heading, "Dashboard");
    let who = browser.find(Locator::Id("who")).await.unwrap().text().await.unwrap();
    assert_eq!(who, "Ada Admin", "the user's name, not their ID");
    let png = browser.screenshot().await.unwrap();
    let artifacts = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    std::fs::write(artifacts.join("dashboard-signed-in.png"), &png).unwrap();
    assert!(png.starts_with(b"\x89PNG"));

    // The session token expires; a reload goes through the handshake and lands on the page
    // signed in, never on the sign-in page.
    let token_before = browser.get_named_cookie("__session").await.unwrap().value().to_owned();
    tokio::time::sleep(Duration::from_millis(4500)).await;
    browser.goto(&format!("{base}/dashboard")).await.unwrap();
    assert_eq!(issuer.handshake_count(), 2, "the expired session went through the handshake");
    assert_eq!(browser.current_url().await.unwrap().as_str(), format!("{base}/dashboard"));
    assert_eq!(browser.find(Locator::Id("who")).await.unwrap().text().await.unwrap(), "Ada Admin");
    let token_after = browser.get_named_cookie("__session").await.unwrap().value().to_owned();
    assert_ne!(token_before, token_after, "a fresh token came back from the handshake");

    // The has()-gated page shows its content to the admin.
    browser.goto(&format!("{base}/team-settings")).await.unwrap();
    let heading = browser.find(Locator::Css("h1")).await.unwrap().text().await.unwrap();
    assert_eq!(heading, "Team Settings");

    // The nav works, and the feature-gated page shows its content to an organisation with it.
    browser.find(Locator::Css("nav a[href='/dashboard/projects']")).await.unwrap().click().await.unwrap();
    browser.wait().for_url(&url::Url::parse(&format!("{base}/dashboard/projects")).unwrap()).await.unwrap();
    let gated = browser.find(Locator::Id("gated")).await.unwrap().text().await.unwrap();
    assert!(gated.contains("Apollo"), "{gated}");
    // get_token: a supabase template token for the signed-in user.
    browser.goto(&format!("{base}/api/data")).await.unwrap();
    let data = browser.find(Locator::Css("body")).await.unwrap().text().await.unwrap();
    assert!(data.contains(r#""template":"supabase""#) && data.contains(r#""token":"ey"#), "{data}");
    browser.goto(&format!("{base}/")).await.unwrap();

    // Sign out, then /dashboard redirects to sign-in again.
    browser.find(Locator::Id("sign-out")).await.unwrap().click().await.unwrap();
    browser.wait().for_url(&url::Url::parse(&format!("{base}/")).unwrap()).await.unwrap();
    assert_eq!(browser.find(Locator::Id("who")).await.unwrap().text().await.unwrap(), "Signed out");
    browser.goto(&format!("{base}/dashboard")).await.unwrap();
    let url = browser.current_url().await.unwrap();
    assert_eq!(url.path(), "/sign-in");
    assert_eq!(
        url.query(),
        Some(&*format!(
            "redirect_url={}",
            url::form_urlencoded::byte_serialize(format!("{base}/dashboard").as_bytes()).collect::<String>()
        ))
    );

    // A signed-out fetch from the page gets the API answer, 404, not a redirect.
    let status = browser.execute("return fetch('/dashboard/projects').then(r => r.status)", vec![]).await.unwrap();
    assert_eq!(status, serde_json::json!(404));

    // A member without the permission sees the no-access page.
    browser.find(Locator::Id("sign-in-max")).await.unwrap().click().await.unwrap();
    browser.wait().for_element(Locator::Id("who")).await.unwrap();
    browser.goto(&format!("{base}/team-settings")).await.unwrap();
    let heading = browser.find(Locator::Css("h1")).await.unwrap().text().await.unwrap();
    assert_eq!(heading, "You don't have access");
    browser.goto(&format!("{base}/sign-in?redirect_url=%2Fdashboard")).await.unwrap();

    // An issuer that never sets a session: the handshake loop stops after three redirects and
    // the browser lands on the sign-in page.
    browser.find(Locator::Id("sign-in-ada")).await.unwrap().click().await.unwrap();
    browser.wait().for_element(Locator::Id("who")).await.unwrap();
    issuer.set_handshake_without_session(true);
    tokio::time::sleep(Duration::from_millis(4500)).await;
    let before = issuer.handshake_count();
    browser.goto(&format!("{base}/dashboard")).await.unwrap();
    assert_eq!(issuer.handshake_count() - before, 3, "three handshakes, then signed out");
    assert_eq!(browser.current_url().await.unwrap().path(), "/sign-in");

    browser.close().await.unwrap();
}
