//! Due dates for 1,000,000 service orders (issue #4): start dates spread
//! over 2020–2035, deadlines of 1 to 90 days in both units, on the MG
//! calendar with Carnival. Times the compiled calendar (the bulk path) and
//! the plain one, checks that both give the same dates, and prints a
//! checksum of them.
//!
//! ```sh
//! cargo run --release -p redegov-domain --example due_bench [ORDERS]
//! ```

use chrono::{Datelike, Days, NaiveDate};
use redegov_domain::calendar::{Calendar, DayUnit};
use std::time::Instant;

/// A deterministic pseudo-random order: (start, days, unit).
fn orders(n: usize) -> Vec<(NaiveDate, u32, DayUnit)> {
    let first = NaiveDate::from_ymd_opt(2020, 1, 1).expect("a valid date");
    let span = 16 * 365 + 4; // 2020-01-01 ..= 2035-12-31
    // xorshift64*: the example reads no random source, so every run is the same.
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_F491_4F6C_DD1D)
    };
    (0..n)
        .map(|_| {
            let r = next();
            let start = first + Days::new(r % span);
            let days = 1 + (r >> 20) as u32 % 90;
            let unit = if (r >> 40) & 1 == 0 { DayUnit::Calendar } else { DayUnit::Business };
            (start, days, unit)
        })
        .collect()
}

fn checksum(dates: &[NaiveDate]) -> u64 {
    // FNV-1a over the days since the common era.
    dates
        .iter()
        .fold(0xcbf2_9ce4_8422_2325, |h, d| (h ^ d.num_days_from_ce() as u64).wrapping_mul(0x0100_0000_01b3))
}

fn main() {
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(1_000_000);
    let orders = orders(n);
    let mg = Calendar { carnival: true, ..Calendar::for_state("MG") };

    let t = Instant::now();
    let compiled = mg.compile(2020..=2036);
    let compile_time = t.elapsed();
    let t = Instant::now();
    let fast: Vec<NaiveDate> = orders.iter().map(|&(s, d, u)| compiled.due(s, d, u)).collect();
    let fast_time = t.elapsed();

    let t = Instant::now();
    let plain: Vec<NaiveDate> = orders.iter().map(|&(s, d, u)| mg.due(s, d, u)).collect();
    let plain_time = t.elapsed();

    assert_eq!(fast, plain, "the compiled and the plain calendar disagree");
    let business = orders.iter().filter(|o| o.2 == DayUnit::Business).count();
    println!(
        "orders: {n} ({business} in business days), MG calendar with Carnival, starts 2020–2035, 1–90 days"
    );
    println!("compile 2020–2036: {:.3} ms", compile_time.as_secs_f64() * 1e3);
    println!(
        "compiled calendar: {:.1} ms ({:.0} ns/order)",
        fast_time.as_secs_f64() * 1e3,
        fast_time.as_secs_f64() * 1e9 / n as f64
    );
    println!(
        "plain calendar:    {:.1} ms ({:.0} ns/order)",
        plain_time.as_secs_f64() * 1e3,
        plain_time.as_secs_f64() * 1e9 / n as f64
    );
    println!(
        "checksum: {:016x} (last due date {})",
        checksum(&fast),
        fast.last().map(|d| d.to_string()).unwrap_or_default()
    );
}
