//! Speed of the measurement engine alone: 100,000 accesses and 1,000,000
//! operator incidents in one month (issue #3's target: under 1 s on 2 cores,
//! under 1 GiB). Run: `cargo run --release -p redegov-domain --example measure_bench`.
//! Deterministic data (a fixed-seed generator), measured in one thread.

use redegov_domain::measure::{AccessMonth, Month, Outage, Span, Window, measure, month_bounds};
use redegov_domain::money::Money;
use std::time::Instant;

struct Rng(u64);

impl Rng {
    fn next(&mut self, below: i64) -> i64 {
        // splitmix64
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) % below as u64) as i64
    }
}

fn main() {
    let accesses: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let incidents: usize = std::env::args().nth(2).and_then(|a| a.parse().ok()).unwrap_or(1_000_000);
    let month = month_bounds(Month { year: 2026, month: 10 });
    let mut rng = Rng(2026);
    let built = Instant::now();
    let mut data: Vec<AccessMonth> = (0..accesses)
        .map(|i| AccessMonth {
            monthly_price: Money::from_centavos(20_000 + rng.next(2_000_000)),
            activated_at: Some(
                month.start - 86_400 + if i % 50 == 0 { rng.next(month.seconds()) } else { 0 },
            ),
            deactivated_at: (i % 97 == 0).then(|| month.start + rng.next(month.seconds())),
            links: if i % 10 == 0 { 2 } else { 1 },
            outages: Vec::new(),
            maintenance: Vec::new(),
        })
        .collect();
    for id in 0..incidents as i64 {
        let a = rng.next(accesses as i64) as usize;
        let start = month.start - 3_600 + rng.next(month.seconds());
        let len = 60 + rng.next(8 * 3_600);
        let link = if data[a].links == 2 && rng.next(3) > 0 { Some(rng.next(2) as usize) } else { None };
        let clock_stops =
            if rng.next(10) == 0 { vec![Span::new(start + len / 4, start + len / 2)] } else { vec![] };
        data[a].outages.push(Outage { id, link, span: Span::new(start, start + len), clock_stops });
        if rng.next(50) == 0 {
            data[a].maintenance.push(Window { id, span: Span::new(start, start + 1_800) });
        }
    }
    println!(
        "generated {accesses} accesses, {incidents} incidents in {:.2} s",
        built.elapsed().as_secs_f64()
    );
    let started = Instant::now();
    let mut credit = Money::ZERO;
    let mut charge = Money::ZERO;
    for a in &data {
        let m = measure(month, a);
        credit += m.credit;
        charge += m.charge;
    }
    let elapsed = started.elapsed();
    println!(
        "measured in {:.3} s ({:.0} accesses/s); total charge {}, total credit {}",
        elapsed.as_secs_f64(),
        accesses as f64 / elapsed.as_secs_f64(),
        charge.format_brl(),
        credit.format_brl()
    );
}
