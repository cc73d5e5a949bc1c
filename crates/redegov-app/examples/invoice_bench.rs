//! End-to-end speed of uploading and reconciling an operator's invoice
//! (issue #6's target: an invoice of 10,000 lines parsed, stored and
//! reconciled in under 1 s).
//!
//! ```sh
//! cargo run --release -p redegov-app --example invoice_bench -- --backend sqlite|postgres [--accesses N] [--runs N]
//! ```
//!
//! Builds a fresh database (a temporary SQLite file, or a fresh schema in
//! `TEST_DATABASE_URL`'s PostgreSQL) with one operator, one lot, one
//! agency and `--accesses` accesses (default 10,000) active all of October
//! 2026, one in twenty with an hour of operator downtime (so a credit),
//! through the store's batched inserts; closes October. Then, `--runs`
//! times (default 3), it writes the operator's invoice as the CSV layout of
//! `docs/invoices.md` — one service line per access, a discount line per
//! credited access, with one access in a hundred billed a centavo more and
//! one in a thousand billed twice — and times `App::import_invoice_csv` as
//! the operator (parse, checks, the closed month's report read once,
//! reconciliation, lines and flags stored, audit, e-mail, commit), then
//! reading the stored reconciliation back. Generation and closing are
//! timed apart and not counted.
//!
//! Not a test: it asserts nothing beyond "the calls succeeded"; the figures
//! go to BENCHMARKS.md.

use redegov_app::invoices::InvoiceHeader;
use redegov_app::{Actor, App, AppResult, LineFilter};
use redegov_domain::ids::*;
use redegov_domain::incident::{IncidentSource, IncidentStatus, Responsibility};
use redegov_domain::inventory::*;
use redegov_domain::measure::{Month, month_bounds};
use redegov_domain::money::Money;
use redegov_domain::role::{Role, Scope};
use redegov_domain::time::from_epoch;
use redegov_store::incidents::NewIncident;
use redegov_test_support::{FakeClock, TestDb};
use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr};
use std::process::ExitCode;
use std::time::Instant;

const MONTH: Month = Month { year: 2026, month: 10 };
const NOW: &str = "2026-11-05T09:00:00-03:00";

fn main() -> ExitCode {
    let (mut backend, mut accesses, mut runs) = ("sqlite".to_string(), 10_000usize, 3usize);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match (a.as_str(), args.next()) {
            ("--backend", Some(v)) => backend = v,
            ("--accesses", Some(v)) => accesses = v.parse().unwrap_or(accesses),
            ("--runs", Some(v)) => runs = v.parse().unwrap_or(runs),
            _ => {
                eprintln!("usage: invoice_bench [--backend sqlite|postgres] [--accesses N] [--runs N]");
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
    match rt.block_on(run(&backend, accesses, runs)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(backend: &str, accesses: usize, runs: usize) -> Result<(), String> {
    let db = match backend {
        "postgres" => {
            TestDb::postgres().await.ok_or("PostgreSQL is not available (set TEST_DATABASE_URL)")?
        }
        "sqlite" => TestDb::sqlite().await,
        other => return Err(format!("--backend must be sqlite or postgres, not {other:?}")),
    };
    println!("backend: {}", db.backend.name());
    let app = App::new(db.store().await, FakeClock::at(NOW));
    let started = Instant::now();
    let (operator, agency) = generate(&app, accesses).await.map_err(|e| e.to_string())?;
    println!("data generation (not counted): {:.1} s — {accesses} accesses", started.elapsed().as_secs_f64());
    let closing = Instant::now();
    app.close_month(&Actor::system(), MONTH, &|_, _, _| {}).await.map_err(|e| e.to_string())?;
    println!("closing {MONTH} (not counted): {:.1} s", closing.elapsed().as_secs_f64());
    app.refresh_statistics().await.map_err(|e| e.to_string())?;

    // The invoice: what the closed month says, with a few mistakes.
    let lines = app
        .month_results(&Actor::system(), MONTH, LineFilter { agency_id: Some(agency), ..Default::default() })
        .await
        .map_err(|e| e.to_string())?
        .lines;
    let mut csv = String::from("tipo;acesso;referencia;descricao;valor\n");
    let mut rows = 0;
    let brl = |m: Money| {
        let c = m.centavos();
        format!("{},{:02}", c / 100, c % 100)
    };
    for (i, l) in lines.iter().enumerate() {
        let charge = if i % 100 == 7 { l.charge + Money::from_centavos(1) } else { l.charge };
        let _ = writeln!(csv, "servico;AC-{:06};CIR-{i};Link 10 Mbps;{}", l.access_id.0, brl(charge));
        rows += 1;
        if i % 1000 == 3 {
            let _ = writeln!(csv, "servico;AC-{:06};CIR-{i};Link 10 Mbps;{}", l.access_id.0, brl(charge));
            rows += 1;
        }
        if l.credit > Money::ZERO {
            let _ = writeln!(
                csv,
                "desconto;AC-{:06};CIR-{i};Indisponibilidade;-{}",
                l.access_id.0,
                brl(l.credit)
            );
            rows += 1;
        }
    }
    println!("invoice: {rows} lines, {} KiB of CSV", csv.len() / 1024);
    let actor = Actor {
        user_id: UserId(0),
        login: "operadora".into(),
        role: Role::Operator,
        scope: Scope::Operator(operator),
    };
    let mut times = Vec::new();
    for run in 0..runs {
        let header = InvoiceHeader {
            agency_id: agency,
            holder: LotHolder::Operator(operator),
            month: MONTH,
            number: format!("2026/{run:05}"),
            issued_on: "2026-11-03".parse().map_err(|e| format!("{e}"))?,
        };
        let t = Instant::now();
        let done = app.import_invoice_csv(&actor, header, csv.as_bytes()).await.map_err(|e| e.to_string())?;
        let upload = t.elapsed();
        let t = Instant::now();
        let back = app.invoice_reconciliation(&actor, done.invoice.id).await.map_err(|e| e.to_string())?;
        let read = t.elapsed();
        println!(
            "run {}: import + reconcile {:.0} ms ({} lines, {} flags, difference {}); reading the reconciliation \
             back {:.0} ms",
            run + 1,
            upload.as_secs_f64() * 1e3,
            done.invoice.line_count,
            back.reconciliation.flags.len(),
            done.reconciliation.totals.difference.format_brl(),
            read.as_secs_f64() * 1e3,
        );
        times.push(upload);
    }
    times.sort();
    if let (Some(best), Some(worst)) = (times.first(), times.last()) {
        println!(
            "import + reconcile of {rows} lines: best {:.0} ms, median {:.0} ms, worst {:.0} ms",
            best.as_secs_f64() * 1e3,
            times[times.len() / 2].as_secs_f64() * 1e3,
            worst.as_secs_f64() * 1e3
        );
    }
    Ok(())
}

/// One operator, contract, lot (anywhere), agency and site; `n` accesses
/// active before October; one in twenty down an hour in October.
async fn generate(app: &App, n: usize) -> AppResult<(OperatorId, AgencyId)> {
    let sys = Actor::system();
    let cnpj = |base: &str| redegov_domain::document::Cnpj::from_base(base).map(|c| c.as_str().to_string());
    let operator = app
        .create_operator(&sys, NewOperator::new("Operadora", &cnpj("111111110001").unwrap_or_default())?)
        .await?;
    let contract = app
        .create_contract(
            &sys,
            NewContract::new(
                "1/2026",
                "2026-01-01".parse().unwrap_or_default(),
                "2030-01-01".parse().unwrap_or_default(),
                Money::from_centavos(100_000_000_000),
            )?,
        )
        .await?;
    let lot = app
        .create_lot(
            &sys,
            NewLot::new(
                contract.id,
                "1A",
                LotHolder::Operator(operator.id),
                Profile::I,
                Region::Any,
                "",
                None,
                None,
            )?,
        )
        .await?;
    let agency = app
        .create_agency(
            &sys,
            NewAgency::new(
                "Secretaria",
                "SEC",
                &cnpj("333333330001").unwrap_or_default(),
                AgencyKind::Compulsory,
            )?,
        )
        .await?;
    let site = app
        .create_site(
            &sys,
            NewSite::new(
                agency.id,
                "Sede",
                "Rua A, 1",
                3106200,
                Area::Capital,
                Zone::Urban,
                Contact::default(),
            )?,
        )
        .await?;
    let span = month_bounds(MONTH);
    let mut news = Vec::with_capacity(n);
    let mut ip = u32::from(Ipv4Addr::new(100, 64, 0, 1));
    for i in 0..n {
        ip += 1;
        news.push(NewAccess {
            site_id: site.id,
            lot_id: lot.id,
            profile: Profile::I,
            service: "SCM".into(),
            bandwidth_mbps: 10,
            redundancy: Redundancy::None,
            technology: Technology::Terrestrial,
            status: AccessStatus::Active,
            requested_at: from_epoch(span.start - 90 * 86_400),
            activated_at: Some(from_epoch(span.start - 60 * 86_400)),
            monthly_price: Money::from_centavos(100_000 + (i as i64 % 7) * 1_111),
            price_overridden: false,
            probe_targets: vec![IpAddr::V4(Ipv4Addr::from(ip))],
        });
    }
    let mut tx = app.store().write().await?;
    let added = tx.insert_accesses(&news).await?;
    let incidents: Vec<NewIncident> = added
        .iter()
        .step_by(20)
        .enumerate()
        .map(|(k, a)| {
            let start = span.start + 86_400 + (k as i64 % 600) * 3_600;
            NewIncident {
                access_id: a.id,
                probe_target: None,
                started_at: from_epoch(start),
                ended_at: Some(from_epoch(start + 3_600)),
                responsibility: Responsibility::Operator,
                status: IncidentStatus::Resolved,
                cause: "fibra rompida".into(),
                ticket: format!("OP-{k:07}"),
                clock_stops: vec![],
                notes: String::new(),
                source: IncidentSource::Monitor,
            }
        })
        .collect();
    tx.insert_incidents(&incidents, app.now()).await?;
    tx.commit().await?;
    Ok((operator.id, agency.id))
}
