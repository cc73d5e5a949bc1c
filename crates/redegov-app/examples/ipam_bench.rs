//! End-to-end speed of IP block allocation (issue #7's target: 100,000 /30
//! blocks allocated one by one from a /12 pool in under 10 s on SQLite).
//!
//! ```sh
//! cargo run --release -p redegov-app --example ipam_bench -- --backend sqlite|postgres [--blocks N] [--batch B]
//! ```
//!
//! Builds a fresh database (a temporary SQLite file, or a fresh schema in
//! `TEST_DATABASE_URL`'s PostgreSQL) with one agency and one private
//! `10.0.0.0/12` pool, then calls `App::allocate_ip_block` `--blocks` times
//! (default 100,000) for a /30, one use case after the other: each is its
//! own transaction (pool lock, limit check, first free block, split, the
//! block, the audit entry, commit). Prints the total, the rate and the
//! slowest call, then checks the result against the domain's in-memory
//! allocator (same blocks, in the same order) and releases one block to
//! time that too. With `--batch B` it calls `App::allocate_ip_blocks`
//! instead, `B` blocks per call (each block still the first free aligned
//! one, one after the other, in one transaction per call).
//!
//! Not a test: it asserts nothing beyond "the calls succeeded and agree
//! with the reference"; the figures go to BENCHMARKS.md.

use redegov_app::ipam::NewPool;
use redegov_app::{Actor, App};
use redegov_domain::document::Cnpj;
use redegov_domain::inventory::{AgencyKind, NewAgency};
use redegov_domain::ipam::Allocator;
use redegov_domain::role::{Role, Scope};
use redegov_test_support::{FakeClock, TEST_NOW, TestDb};
use std::process::ExitCode;
use std::time::{Duration, Instant};

fn main() -> ExitCode {
    let (mut backend, mut blocks, mut batch) = ("sqlite".to_string(), 100_000usize, None::<usize>);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match (a.as_str(), args.next()) {
            ("--backend", Some(v)) => backend = v,
            ("--blocks", Some(v)) => blocks = v.parse().unwrap_or(blocks),
            ("--batch", Some(v)) => batch = v.parse().ok().filter(|b| *b > 0),
            _ => {
                eprintln!("usage: ipam_bench [--backend sqlite|postgres] [--blocks N] [--batch B]");
                return ExitCode::from(2);
            }
        }
    }
    let rt = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("tokio: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(&backend, blocks, batch)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(backend: &str, blocks: usize, batch: Option<usize>) -> Result<(), String> {
    let db = match backend {
        "postgres" => {
            TestDb::postgres().await.ok_or("PostgreSQL is not available (set TEST_DATABASE_URL)")?
        }
        "sqlite" => TestDb::sqlite().await,
        other => return Err(format!("--backend must be sqlite or postgres, not {other:?}")),
    };
    println!("backend: {}", db.backend.name());
    let app = App::new(db.store().await, FakeClock::at(TEST_NOW));
    let noc = Actor { role: Role::NetworkManager, scope: Scope::All, ..Actor::system() };
    let cnpj = Cnpj::from_base("123456780001").ok_or("a valid CNPJ base")?;
    let agency = app
        .create_agency(
            &Actor::system(),
            NewAgency::new("Secretaria", "SEC", cnpj.as_str(), AgencyKind::Compulsory)
                .map_err(|e| format!("{e:?}"))?,
        )
        .await
        .map_err(|e| e.to_string())?
        .id;
    let pool = app
        .create_ip_pool(
            &noc,
            NewPool { name: "Bench".into(), cidr: "10.0.0.0/12".into(), visibility: "private".into() },
        )
        .await
        .map_err(|e| e.to_string())?;
    match batch {
        None => {
            println!("pool {} ({} /30 blocks fit); allocating {blocks} /30 one by one", pool.cidr, 1u32 << 18)
        }
        Some(b) => println!(
            "pool {} ({} /30 blocks fit); allocating {blocks} /30 one by one, {b} per transaction",
            pool.cidr,
            1u32 << 18
        ),
    }

    let started = Instant::now();
    let mut slowest = Duration::ZERO;
    let mut got = Vec::with_capacity(blocks);
    while got.len() < blocks {
        let t = Instant::now();
        let before = got.len();
        match batch {
            None => {
                got.push(app.allocate_ip_block(&noc, agency, pool.id, 30).await.map_err(|e| e.to_string())?)
            }
            Some(b) => {
                let n = b.min(blocks - got.len()) as i64;
                got.extend(
                    app.allocate_ip_blocks(&noc, agency, pool.id, 30, n).await.map_err(|e| e.to_string())?,
                );
            }
        }
        slowest = slowest.max(t.elapsed());
        if got.len() / 20_000 > before / 20_000 {
            println!("  {:>7} blocks, {:.2} s", got.len(), started.elapsed().as_secs_f64());
        }
    }
    let total = started.elapsed();
    println!(
        "allocated {blocks} /30 in {:.2} s: {:.0} per second, mean {:.0} µs, slowest {:.1} ms",
        total.as_secs_f64(),
        blocks as f64 / total.as_secs_f64(),
        total.as_micros() as f64 / blocks as f64,
        slowest.as_secs_f64() * 1e3
    );
    println!("last block: {}", got.last().map(|b| b.cidr.to_string()).unwrap_or_default());

    let mut reference = Allocator::new(pool.cidr);
    let t = Instant::now();
    for (i, b) in got.iter().enumerate() {
        if reference.allocate(30) != Some(b.cidr) {
            return Err(format!("block {i} ({}) differs from the in-memory allocator", b.cidr));
        }
    }
    println!(
        "in-memory reference allocator, same {blocks} blocks: {:.3} s (agrees)",
        t.elapsed().as_secs_f64()
    );

    let t = Instant::now();
    app.release_ip_block(&noc, got[blocks / 2].id).await.map_err(|e| e.to_string())?;
    println!("releasing one block: {:.2} ms", t.elapsed().as_secs_f64() * 1e3);
    Ok(())
}
