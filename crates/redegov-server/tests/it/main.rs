//! The `redegov` binary end to end: exit codes, one-line errors naming the
//! problem, CSV import, users and tokens, and `serve --demo` on an empty
//! database (SQLite; the same commands run on PostgreSQL when
//! `TEST_DATABASE_URL` is set).

use redegov_test_support::TestDb;
use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};

fn redegov(db: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_redegov"))
        .args(args)
        .env("REDEGOV_DB", db)
        .env("REDEGOV_PASSWORD", "cli-password")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .expect("run redegov")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn unknown_or_unreachable_databases_fail_with_one_line() {
    let out = redegov("mysql://root@localhost/x", &["migrate"]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("mysql://root@localhost/x"), "{err}");
    let out = redegov("postgres://u:secret@127.0.0.1:1/none", &["migrate"]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("127.0.0.1:1") && !err.contains("secret"), "{err}");
}

async fn cli_round_trip(db: TestDb) {
    let url = db.url.clone();
    let out = redegov(&url, &["migrate"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    // Both backends run this body at once: files of their own.
    let dir = std::env::temp_dir();
    let tag = format!("{}-{:?}", std::process::id(), db.backend);
    let good = dir.join(format!("redegov-agencies-{tag}.csv"));
    std::fs::write(
        &good,
        "name;acronym;cnpj;kind\nSecretaria de Fazenda;SEF;11.222.333/0001-81;compulsory\n",
    )
    .expect("write csv");
    let out = redegov(&url, &["import", "agencies", good.to_str().expect("path")]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("1 linha(s) importada(s)"), "{}", text(&out.stdout));
    let bad = dir.join(format!("redegov-agencies-bad-{tag}.csv"));
    std::fs::write(
        &bad,
        "name;acronym;cnpj;kind\nA;A;11.222.333/0001-82;compulsory\nB;B;11.444.777/0001-61;nenhum\n",
    )
    .expect("write csv");
    let out = redegov(&url, &["import", "agencies", bad.to_str().expect("path")]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("linha 2, coluna cnpj") && err.contains("linha 3, coluna kind"), "{err}");
    let out = redegov(&url, &["user", "add", "--login", "ana", "--role", "agency_manager"]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("agency_id"), "{}", text(&out.stderr));
    let out = redegov(&url, &["user", "add", "--login", "ana", "--role", "agency_manager", "--agency", "1"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = redegov(&url, &["token", "create", "--login", "ana"]);
    assert!(out.status.success() && text(&out.stdout).starts_with("rg_"), "{}", text(&out.stderr));
    let _ = std::fs::remove_file(good);
    let _ = std::fs::remove_file(bad);
}

redegov_test_support::on_both_backends!(cli_round_trip);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_demo_on_an_empty_database() {
    let db = TestDb::sqlite().await;
    let mut child = Command::new(env!("CARGO_BIN_EXE_redegov"))
        .args(["serve", "--demo", "--bind", "127.0.0.1:0", "--db", &db.url])
        .env("REDEGOV_ADMIN_PASSWORD", "admin-password")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start redegov serve");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let mut printed = Vec::new();
    let url = loop {
        let line = lines.next().expect("server printed its URL before exiting").expect("line");
        printed.push(line.clone());
        if let Some(rest) = line.split("portal: ").nth(1) {
            break rest.split_whitespace().next().expect("url").trim_end_matches('/').to_string();
        }
    };
    let login_line = lines.next().expect("admin line").expect("line");
    assert!(login_line.contains("login: admin"), "{login_line}");
    let all = printed.join("\n");
    assert!(all.contains("acessos") && all.contains("noc"), "demo summary and users printed:\n{all}");
    let client = reqwest::Client::new();
    assert_eq!(client.get(format!("{url}/health")).send().await.expect("health").status().as_u16(), 200);
    let token = text(&redegov(&db.url, &["token", "create", "--login", "admin"]).stdout).trim().to_string();
    let resp = client
        .get(format!("{url}/api/v1/accesses?page_size=1"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("accesses");
    let json: serde_json::Value = resp.json().await.expect("json");
    assert!(json["total"].as_i64().is_some_and(|n| n > 2700), "{json}");
    let _ = child.kill();
    let _ = child.wait();
}
