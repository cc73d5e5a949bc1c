//! The timetable: which target is due when. One min-heap of due instants over
//! every target, so a single scheduler can sleep until the earliest one.
//!
//! A target's due instants are `epoch + phase + k * interval`: the next one is
//! always the previous one plus the interval, so lateness in starting a probe
//! never shifts the ones after it. Replacing the target set keeps the slot of
//! every target that stays (same key, same interval) and fits newcomers into
//! the gaps (see `phase`). This module only keeps time; it sends nothing.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::phase;
use crate::target::Target;

/// One probe to start now.
#[derive(Debug)]
pub(crate) struct DueProbe {
    pub(crate) target: Arc<Target>,
    /// The instant the probe was due by the timetable.
    pub(crate) due: Instant,
}

#[derive(Debug)]
struct Slot {
    target: Arc<Target>,
    phase: Duration,
    /// Tells this slot's heap entries from those of a removed target that
    /// had the same key, or of this key before its interval changed.
    generation: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Entry {
    due: Instant,
    key: u64,
    generation: u64,
}

#[derive(Debug, Default)]
pub(crate) struct Schedule {
    /// The origin of every phase; set when the scheduler first starts, so
    /// that the target with phase zero is due at once.
    epoch: Option<Instant>,
    slots: HashMap<u64, Slot>,
    /// One live entry per slot while started, plus stale entries of removed
    /// or re-phased targets, dropped lazily when they surface.
    queue: BinaryHeap<Reverse<Entry>>,
    next_generation: u64,
}

impl Schedule {
    pub(crate) fn len(&self) -> usize {
        self.slots.len()
    }

    /// Replaces the target set. Keys must be unique and intervals non-zero
    /// (the prober checks both before calling).
    pub(crate) fn replace(&mut self, targets: Vec<Target>, now: Instant) {
        let mut old = std::mem::take(&mut self.slots);
        let mut newcomers: HashMap<Duration, Vec<Target>> = HashMap::new();
        for target in targets {
            match old.remove(&target.key) {
                Some(slot) if slot.target.interval == target.interval => {
                    let kept = Slot { target: Arc::new(target), ..slot };
                    self.slots.insert(kept.target.key, kept);
                }
                _ => newcomers.entry(target.interval).or_default().push(target),
            }
        }

        for (interval, group) in newcomers {
            let settled: Vec<Duration> =
                self.slots.values().filter(|s| s.target.interval == interval).map(|s| s.phase).collect();
            let phases = phase::assign(&settled, group.len(), interval);
            for (target, phase) in group.into_iter().zip(phases) {
                let generation = self.next_generation;
                self.next_generation += 1;
                if let Some(epoch) = self.epoch {
                    let due = next_at_or_after(epoch + phase, interval, now);
                    self.queue.push(Reverse(Entry { due, key: target.key, generation }));
                }
                self.slots.insert(target.key, Slot { target: Arc::new(target), phase, generation });
            }
        }

        if self.queue.len() > 2 * self.slots.len() + 1024 {
            self.requeue(now);
        }
    }

    /// Called when the scheduler (re)starts: the first start fixes the epoch;
    /// every target is then queued at its first slot from `now` on, so time
    /// spent stopped does not come back as a burst of overdue probes.
    pub(crate) fn start(&mut self, now: Instant) {
        self.epoch.get_or_insert(now);
        self.requeue(now);
    }

    fn requeue(&mut self, now: Instant) {
        let Some(epoch) = self.epoch else {
            self.queue.clear();
            return;
        };
        self.queue = self
            .slots
            .iter()
            .map(|(&key, slot)| {
                let due = next_at_or_after(epoch + slot.phase, slot.target.interval, now);
                Reverse(Entry { due, key, generation: slot.generation })
            })
            .collect();
    }

    /// Moves up to `limit` probes due at `now` into `batch` and queues each
    /// target's next slot. Returns when the earliest remaining probe is due
    /// (`None` when there are no targets) and how many slots were skipped
    /// because a target was found more than a whole interval late.
    pub(crate) fn take_due(
        &mut self,
        now: Instant,
        limit: usize,
        batch: &mut Vec<DueProbe>,
    ) -> (Option<Instant>, u64) {
        let mut skipped = 0;
        let mut taken = 0;
        while taken < limit {
            let Some(&Reverse(entry)) = self.queue.peek() else { break };
            if entry.due > now {
                break;
            }
            self.queue.pop();
            let Some(slot) = self.slots.get(&entry.key).filter(|s| s.generation == entry.generation) else {
                continue;
            };
            let interval = slot.target.interval;
            batch.push(DueProbe { target: Arc::clone(&slot.target), due: entry.due });
            taken += 1;

            let late_by = now.duration_since(entry.due).as_nanos();
            let missed = late_by / interval.as_nanos();
            skipped += u64::try_from(missed).unwrap_or(u64::MAX);
            let next = entry.due + phase::from_nanos((missed + 1) * interval.as_nanos());
            self.queue.push(Reverse(Entry { due: next, ..entry }));
        }
        (self.queue.peek().map(|Reverse(entry)| entry.due), skipped)
    }
}

/// The first instant of `first + k * interval` (k >= 0) not before `now`.
fn next_at_or_after(first: Instant, interval: Duration, now: Instant) -> Instant {
    if first >= now {
        return first;
    }
    let period = interval.as_nanos();
    let behind = now.duration_since(first).as_nanos();
    first + phase::from_nanos(behind.div_ceil(period) * period)
}

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, Ipv4Addr};

    use super::*;
    use crate::target::Method;

    fn target(key: u64, interval_ms: u64) -> Target {
        Target {
            key,
            addr: IpAddr::V4(Ipv4Addr::LOCALHOST),
            method: Method::Icmp,
            interval: Duration::from_millis(interval_ms),
            timeout: Duration::from_millis(100),
            retries: 0,
        }
    }

    fn ms(v: u64) -> Duration {
        Duration::from_millis(v)
    }

    /// Due offsets from `origin`, in ms, keyed by target, of everything due
    /// up to `until`.
    fn drain(schedule: &mut Schedule, origin: Instant, until: Duration) -> Vec<(u64, u64)> {
        let mut batch = Vec::new();
        schedule.take_due(origin + until, usize::MAX, &mut batch);
        let mut due: Vec<(u64, u64)> =
            batch.iter().map(|p| (p.target.key, (p.due - origin).as_millis() as u64)).collect();
        due.sort_by_key(|&(key, at)| (at, key));
        due
    }

    #[test]
    fn targets_of_one_interval_are_due_evenly_from_the_start() {
        let t0 = Instant::now();
        let mut schedule = Schedule::default();
        schedule.replace((0..4).map(|k| target(k, 1000)).collect(), t0);
        schedule.start(t0);
        assert_eq!(drain(&mut schedule, t0, ms(999)), [(0, 0), (1, 250), (2, 500), (3, 750)]);
        assert_eq!(drain(&mut schedule, t0, ms(1999)), [(0, 1000), (1, 1250), (2, 1500), (3, 1750)]);
    }

    #[test]
    fn the_next_slot_follows_the_previous_due_not_the_late_start() {
        let t0 = Instant::now();
        let mut schedule = Schedule::default();
        schedule.replace(vec![target(7, 1000)], t0);
        schedule.start(t0);
        // Taken 300 ms late: still due again at 1000, not 1300.
        assert_eq!(drain(&mut schedule, t0, ms(300)), [(7, 0)]);
        let mut batch = Vec::new();
        let (next, skipped) = schedule.take_due(t0 + ms(300), usize::MAX, &mut batch);
        assert_eq!((next, skipped), (Some(t0 + ms(1000)), 0));
    }

    #[test]
    fn a_scheduler_more_than_an_interval_late_skips_instead_of_bursting() {
        let t0 = Instant::now();
        let mut schedule = Schedule::default();
        schedule.replace(vec![target(1, 100)], t0);
        schedule.start(t0);
        let mut batch = Vec::new();
        let (next, skipped) = schedule.take_due(t0 + ms(350), usize::MAX, &mut batch);
        assert_eq!(batch.len(), 1, "one probe, not four");
        assert_eq!(skipped, 3);
        assert_eq!(next, Some(t0 + ms(400)));
    }

    #[test]
    fn replacing_keeps_the_slots_of_targets_that_stay() {
        let t0 = Instant::now();
        let mut schedule = Schedule::default();
        schedule.replace((0..4).map(|k| target(k, 1000)).collect(), t0);
        schedule.start(t0);
        drain(&mut schedule, t0, ms(999));

        // 1 and 3 leave, 0 and 2 stay, 10 and 11 arrive: the newcomers take
        // the middles of the two 500 ms gaps, the stayers keep 0 and 500.
        let now = t0 + ms(999);
        schedule.replace(vec![target(0, 1000), target(2, 1000), target(10, 1000), target(11, 1000)], now);
        assert_eq!(schedule.len(), 4);
        let due = drain(&mut schedule, t0, ms(1999));
        assert_eq!(due, [(0, 1000), (10, 1250), (2, 1500), (11, 1750)]);
    }

    #[test]
    fn a_changed_interval_gives_the_target_a_new_slot_and_drops_the_old() {
        let t0 = Instant::now();
        let mut schedule = Schedule::default();
        schedule.replace(vec![target(1, 1000), target(2, 1000)], t0);
        schedule.start(t0);
        drain(&mut schedule, t0, ms(999));
        schedule.replace(vec![target(1, 1000), target(2, 400)], t0 + ms(999));
        // Target 2 alone in its 400 ms group: phase 0 from the epoch, next at
        // 1200; its old slot at 1500 is gone.
        let due = drain(&mut schedule, t0, ms(1599));
        assert_eq!(due, [(1, 1000), (2, 1200)]);
    }

    #[test]
    fn removed_targets_are_never_due_again() {
        let t0 = Instant::now();
        let mut schedule = Schedule::default();
        schedule.replace((0..3).map(|k| target(k, 100)).collect(), t0);
        schedule.start(t0);
        schedule.replace(vec![target(1, 100)], t0);
        let due = drain(&mut schedule, t0, ms(250));
        assert!(due.iter().all(|&(key, _)| key == 1), "{due:?}");
    }

    #[test]
    fn a_restart_resumes_at_the_next_slot() {
        let t0 = Instant::now();
        let mut schedule = Schedule::default();
        schedule.replace(vec![target(1, 1000)], t0);
        schedule.start(t0);
        drain(&mut schedule, t0, ms(0));
        schedule.start(t0 + ms(3500));
        assert_eq!(drain(&mut schedule, t0, ms(4000)), [(1, 4000)]);
    }

    #[test]
    fn the_batch_limit_leaves_the_rest_due() {
        let t0 = Instant::now();
        let mut schedule = Schedule::default();
        schedule.replace((0..10).map(|k| target(k, 1000)).collect(), t0);
        schedule.start(t0);
        let mut batch = Vec::new();
        let (next, _) = schedule.take_due(t0 + ms(999), 4, &mut batch);
        assert_eq!(batch.len(), 4);
        assert_eq!(next, Some(t0 + ms(400)));
    }
}
