//! Speed of the service-order list (issue #4's target: listing 50,000
//! orders with filters, p99 under 50 ms).
//!
//! ```sh
//! cargo run --release -p redegov-app --example orders_list_bench -- --backend sqlite|postgres [--orders N] [--queries N]
//! ```
//!
//! Loads the demo network into a fresh database (a temporary SQLite file,
//! or a fresh schema in `TEST_DATABASE_URL`'s PostgreSQL), then inserts
//! `--orders` orders (default 50,000) through the store, deterministically:
//! every type, spread over the demo's agencies, sites and lots, over two
//! years, in every status, with due dates, some late and some delivered
//! late. Then it runs `--queries` list calls (default 2,000) through
//! `App::list_orders`, each a page of 50 with a filter drawn from the
//! mixes users make (none; status; type; agency; lot; operator scope;
//! agency scope; late; due soon; open; search by number; combinations),
//! each as a network manager, agency manager or operator would, and
//! reports p50, p95, p99 and max (and median and max per filter kind).
//! Before the calls it refreshes the planner statistics, as `redegov
//! serve` does at start and every hour. The list is the use case the API and the
//! portal call; HTTP and JSON add a constant on top.
//!
//! Not a test: it asserts nothing beyond "the calls succeeded"; the figures
//! go to BENCHMARKS.md.

use redegov_app::{Actor, App, OrderFilter, Page};
use redegov_domain::calendar::DayUnit;
use redegov_domain::ids::*;
use redegov_domain::inventory::Area;
use redegov_domain::order::*;
use redegov_domain::role::{Role, Scope};
use redegov_domain::time::{from_epoch, to_network_date};
use redegov_store::orders::NewOrder;
use redegov_test_support::{FakeClock, TestDb};
use std::process::ExitCode;
use std::time::{Duration, Instant};

const NOW: &str = "2026-11-30T10:00:00-03:00";

struct Rng(u64);

impl Rng {
    fn below(&mut self, n: i64) -> i64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) % n.max(1) as u64) as i64
    }
}

fn main() -> ExitCode {
    let mut backend = "sqlite".to_string();
    let (mut orders, mut queries) = (50_000usize, 2_000usize);
    let mut statistics = true;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--no-statistics" {
            statistics = false;
            continue;
        }
        let value = args.next();
        match (a.as_str(), value) {
            ("--backend", Some(v)) => backend = v,
            ("--orders", Some(v)) => orders = v.parse().unwrap_or(orders),
            ("--queries", Some(v)) => queries = v.parse().unwrap_or(queries),
            _ => {
                eprintln!("usage: orders_list_bench [--backend sqlite|postgres] [--orders N] [--queries N]");
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
    match rt.block_on(run(&backend, orders, queries, statistics)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(backend: &str, orders: usize, queries: usize, statistics: bool) -> Result<(), String> {
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
    let world = generate(&app, orders).await?;
    println!("data generation (not counted): {:.1} s — {orders} orders", started.elapsed().as_secs_f64());
    // What `redegov serve` does at start and hourly (`--no-statistics`: not).
    if statistics {
        let analysed = Instant::now();
        app.refresh_statistics().await.map_err(|e| e.to_string())?;
        println!("planner statistics refreshed in {:.0} ms", analysed.elapsed().as_secs_f64() * 1e3);
    }

    let today = to_network_date(app.now());
    let mut rng = Rng(4);
    let noc =
        Actor { user_id: UserId(1), login: "noc".into(), role: Role::NetworkManager, scope: Scope::All };
    let mut times = Vec::with_capacity(queries);
    let mut by_kind: Vec<Vec<Duration>> = vec![Vec::new(); 12];
    let mut rows = 0usize;
    for q in 0..queries {
        let pick = |rng: &mut Rng, v: &[i64]| v[rng.below(v.len() as i64) as usize];
        let mut f = OrderFilter::default();
        let mut actor = noc.clone();
        match q % 12 {
            0 => {}
            1 => f.status = Some(OrderStatus::ALL[rng.below(OrderStatus::ALL.len() as i64) as usize]),
            2 => f.order_type = Some(OrderType::ALL[rng.below(OrderType::ALL.len() as i64) as usize]),
            3 => f.agency_id = Some(AgencyId(pick(&mut rng, &world.agencies))),
            4 => f.lot_id = Some(LotId(pick(&mut rng, &world.lots))),
            5 => {
                let op = OperatorId(pick(&mut rng, &world.operators));
                actor = Actor { role: Role::Operator, scope: Scope::Operator(op), ..noc.clone() };
                f.open_only = true;
            }
            6 => {
                let ag = AgencyId(pick(&mut rng, &world.agencies));
                actor = Actor { role: Role::AgencyManager, scope: Scope::Agency(ag), ..noc.clone() };
            }
            7 => f.late_on = Some(today),
            8 => {
                f.due_from = Some(today);
                f.due_by = Some(today + chrono::Days::new(5));
            }
            9 => f.open_only = true,
            10 => f.search = Some(format!("os-2025-{:04}", rng.below(9_999))),
            _ => {
                f.late_on = Some(today);
                f.lot_id = Some(LotId(pick(&mut rng, &world.lots)));
                f.order_type = Some(OrderType::NewAccess);
            }
        }
        let t = Instant::now();
        let listed =
            app.list_orders(&actor, f, Page { page: 1, page_size: 50 }).await.map_err(|e| e.to_string())?;
        times.push(t.elapsed());
        by_kind[q % 12].push(t.elapsed());
        rows += listed.items.len();
    }
    const KINDS: [&str; 12] = [
        "none",
        "status",
        "type",
        "agency",
        "lot",
        "operator scope, open",
        "agency scope",
        "late",
        "due soon",
        "open",
        "search",
        "late + lot + type",
    ];
    for (name, mut t) in KINDS.iter().zip(by_kind) {
        t.sort();
        let worst = t.last().copied().unwrap_or_default();
        println!(
            "  {name:<22} median {:.2} ms, max {:.2} ms",
            t[t.len() / 2].as_secs_f64() * 1e3,
            worst.as_secs_f64() * 1e3
        );
    }
    times.sort();
    let at = |p: f64| times[((times.len() as f64 * p).ceil() as usize).clamp(1, times.len()) - 1];
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{queries} list calls (page of 50, {rows} rows returned): p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms, \
         max {:.2} ms",
        ms(at(0.50)),
        ms(at(0.95)),
        ms(at(0.99)),
        ms(*times.last().unwrap_or(&Duration::ZERO)),
    );
    Ok(())
}

struct World {
    agencies: Vec<i64>,
    lots: Vec<i64>,
    operators: Vec<i64>,
}

/// The demo network and `n` orders over its sites, in one transaction.
async fn generate(app: &App, n: usize) -> Result<World, String> {
    app.load_demo().await.map_err(|e| e.to_string())?;
    let operators = demo_operators(app).await;
    let mut tx = app.store().write().await.map_err(|e| e.to_string())?;
    let span =
        redegov_domain::measure::month_bounds(redegov_domain::measure::Month { year: 2026, month: 10 });
    let accesses = tx.accesses_billable_in(span).await.map_err(|e| e.to_string())?;
    let mut rng = Rng(2026);
    let now = app.now();
    let mut agencies = std::collections::BTreeSet::new();
    let mut lots = std::collections::BTreeSet::new();
    for i in 0..n {
        let m = &accesses[rng.below(accesses.len() as i64) as usize];
        let a = &m.access;
        agencies.insert(m.agency_id.0);
        lots.insert(a.lot_id.0);
        let order_type = OrderType::ALL[i % OrderType::ALL.len()];
        let spec = if order_type.creates_access() {
            OrderSpec::NewAccess {
                access: AccessSpec {
                    site_id: a.site_id,
                    lot_id: a.lot_id,
                    service: a.service.clone(),
                    bandwidth_mbps: a.bandwidth_mbps,
                    redundancy: a.redundancy,
                    technology: a.technology,
                },
            }
        } else {
            OrderSpec::CpeConfigChange { access_id: a.id, description: "bench".into() }
        };
        let status = OrderStatus::ALL[rng.below(OrderStatus::ALL.len() as i64) as usize];
        let created = from_epoch(now.timestamp() - rng.below(730 * 86_400));
        let year = chrono::Datelike::year(&to_network_date(created));
        let number = order_number(year, tx.next_order_seq(year).await.map_err(|e| e.to_string())?);
        let new = NewOrder {
            order_type,
            status,
            agency_id: m.agency_id,
            lot_id: a.lot_id,
            site_id: a.site_id,
            access_id: spec.access_id(),
            spec,
            area: m.area,
            deadline_days: 45,
            deadline_unit: DayUnit::Calendar,
            linked_order_id: None,
            created_by: None,
        };
        let id = tx
            .insert_order(&new, &number, &["BENCH", "Belo Horizonte", "Rua"], created)
            .await
            .map_err(|e| e.to_string())?;
        if !matches!(status, OrderStatus::Draft | OrderStatus::Submitted | OrderStatus::ReturnedForCorrection)
        {
            let mut o = tx.order(id).await.map_err(|e| e.to_string())?.order;
            o.sent_at = Some(created);
            o.due_on = Some(
                to_network_date(created) + chrono::Days::new(45 + (m.area != Area::Capital) as u64 * 15),
            );
            if matches!(
                status,
                OrderStatus::Executed | OrderStatus::AwaitingAgencyAcceptance | OrderStatus::Completed
            ) {
                o.delivered_on = Some(to_network_date(created) + chrono::Days::new(rng.below(70) as u64));
                o.late_days = Some(rng.below(3) as u32 * rng.below(10) as u32);
            }
            o.created_at = created;
            tx.update_order(&o).await.map_err(|e| e.to_string())?;
        }
    }
    tx.commit().await.map_err(|e| e.to_string())?;
    Ok(World { agencies: agencies.into_iter().collect(), lots: lots.into_iter().collect(), operators })
}

/// The demo's operators.
async fn demo_operators(app: &App) -> Vec<i64> {
    let all: Vec<i64> = app
        .list_operators(&Actor::system(), Default::default(), Page { page: 1, page_size: 100 })
        .await
        .map(|l| l.items.iter().map(|o| o.id.0).collect())
        .unwrap_or_default();
    if all.is_empty() { vec![1] } else { all }
}
