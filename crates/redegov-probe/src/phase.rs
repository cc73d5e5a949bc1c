//! Where in its interval each target is probed (its phase), chosen so that
//! the probes of the targets sharing an interval are spread evenly over it.
//!
//! Pure arithmetic on durations: no clock, no sockets. A phase is an offset
//! from the scheduler's epoch, taken modulo the interval.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::time::Duration;

/// Phases for `count` targets joining a group whose members already sit at
/// `existing` phases, all with period `interval`.
///
/// An empty group gets `i * interval / count` for the i-th newcomer. Otherwise
/// the members stay where they are and newcomers go into the gaps between
/// them: each newcomer goes to the gap whose spacing is then the widest, and
/// the newcomers of one gap are spaced evenly within it. Phases come out in
/// gap order; which newcomer takes which does not matter.
pub(crate) fn assign(existing: &[Duration], count: usize, interval: Duration) -> Vec<Duration> {
    let period = interval.as_nanos();
    if count == 0 || period == 0 {
        return vec![Duration::ZERO; count];
    }
    let total = count as u128;
    if existing.is_empty() {
        return (0..total).map(|i| from_nanos(i * period / total)).collect();
    }

    let mut members: Vec<u128> = existing.iter().map(|p| p.as_nanos() % period).collect();
    members.sort_unstable();
    let mut gaps: BinaryHeap<Gap> = members
        .iter()
        .enumerate()
        .map(|(index, &start)| {
            let end = members.get(index + 1).copied().unwrap_or(members[0] + period);
            Gap { index, start, len: end - start, pieces: 1 }
        })
        .collect();
    for _ in 0..count {
        // The heap is never empty: it holds one gap per existing member.
        if let Some(mut widest) = gaps.pop() {
            widest.pieces += 1;
            gaps.push(widest);
        }
    }

    let mut gaps = gaps.into_vec();
    gaps.sort_unstable_by_key(|gap| gap.index);
    gaps.iter()
        .flat_map(|gap| {
            let pieces = u128::from(gap.pieces);
            (1..pieces).map(move |i| from_nanos((gap.start + gap.len * i / pieces) % period))
        })
        .collect()
}

/// The stretch between two neighbouring members, to be cut into `pieces`.
#[derive(Debug, Clone, Copy)]
struct Gap {
    index: usize,
    start: u128,
    len: u128,
    pieces: u64,
}

impl Gap {
    /// Orders by spacing, `len / pieces`, compared without division.
    fn spacing_cmp(&self, other: &Gap) -> Ordering {
        (self.len * u128::from(other.pieces)).cmp(&(other.len * u128::from(self.pieces)))
    }
}

impl Ord for Gap {
    fn cmp(&self, other: &Gap) -> Ordering {
        // Among equal spacings the earlier gap wins, so results are stable.
        self.spacing_cmp(other).then_with(|| other.index.cmp(&self.index))
    }
}

impl PartialOrd for Gap {
    fn partial_cmp(&self, other: &Gap) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Gap {
    fn eq(&self, other: &Gap) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Gap {}

/// `Duration::from_nanos` takes a u64; phases are below the interval, which
/// may in principle be longer than 2^64 ns.
pub(crate) fn from_nanos(nanos: u128) -> Duration {
    const NANOS_PER_SEC: u128 = 1_000_000_000;
    let secs = u64::try_from(nanos / NANOS_PER_SEC).unwrap_or(u64::MAX);
    // The remainder is below 10^9 and fits.
    let subsec = (nanos % NANOS_PER_SEC) as u32;
    Duration::new(secs, subsec)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: u64) -> Duration {
        Duration::from_millis(v)
    }

    fn assigned_ms(existing: &[u64], count: usize, interval_ms: u64) -> Vec<u64> {
        let existing: Vec<Duration> = existing.iter().map(|&v| ms(v)).collect();
        let mut phases: Vec<u64> =
            assign(&existing, count, ms(interval_ms)).iter().map(|d| d.as_millis() as u64).collect();
        phases.sort_unstable();
        phases
    }

    #[test]
    fn an_empty_group_is_spread_evenly_from_zero() {
        assert_eq!(assigned_ms(&[], 4, 1000), [0, 250, 500, 750]);
        assert_eq!(assigned_ms(&[], 1, 1000), [0]);
        assert_eq!(assigned_ms(&[], 0, 1000), Vec::<u64>::new());
    }

    #[test]
    fn a_thousand_targets_get_one_millisecond_each() {
        let phases = assigned_ms(&[], 1000, 1000);
        assert_eq!(phases, (0..1000).collect::<Vec<u64>>());
    }

    #[test]
    fn newcomers_fill_the_gap_around_a_lone_member_evenly() {
        assert_eq!(assigned_ms(&[0], 1, 900), [450]);
        assert_eq!(assigned_ms(&[0], 2, 900), [300, 600]);
        assert_eq!(assigned_ms(&[300], 2, 900), [0, 600]);
    }

    #[test]
    fn newcomers_go_to_the_widest_gaps_first() {
        // Gaps: 0..100 (100 ms) and 100..1000 (900 ms).
        assert_eq!(assigned_ms(&[0, 100], 1, 1000), [550]);
        // Three newcomers: the 900 ms gap is cut in four (225 ms each), while
        // the 100 ms gap is already narrower and stays whole.
        assert_eq!(assigned_ms(&[0, 100], 3, 1000), [325, 550, 775]);
    }

    #[test]
    fn the_gap_across_the_end_of_the_interval_wraps() {
        // Members at 800 and 900: the widest gap runs 900 -> 1800 (= 800).
        assert_eq!(assigned_ms(&[800, 900], 1, 1000), [350]);
    }

    #[test]
    fn doubling_a_group_interleaves_the_newcomers() {
        let existing: Vec<u64> = (0..10).map(|i| i * 100).collect();
        let phases = assigned_ms(&existing, 10, 1000);
        assert_eq!(phases, (0..10).map(|i| i * 100 + 50).collect::<Vec<u64>>());
    }
}
