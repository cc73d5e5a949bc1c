//! IP address management (DOMAIN §8, seed 002): address pools (private or
//! public, IPv4 or IPv6) and the blocks allocated from them to agencies.
//!
//! Allocation is a buddy allocator over aligned CIDR blocks. A pool's free
//! space is kept as its canonical set of maximal free blocks: no two free
//! blocks are buddies (they would have been merged). Then a free aligned
//! `/p` exists exactly when some free block has a prefix of at most `p`,
//! and **first fit** — the lowest-addressed aligned `/p` that is free — is
//! the start of the lowest-addressed such free block: [`split`] takes it
//! and leaves the rest as free buddies; [`merge`] gives a released block
//! back, joining it with its free buddies up to the pool. Allocating and
//! releasing everything brings a pool back to its one free block.
//!
//! The store keeps the free blocks in a table ordered by address, so an
//! allocation reads one row instead of every allocated block; [`Allocator`]
//! is the same algorithm in memory, the reference the store is tested
//! against. Addresses are `u128` for both families (IPv4 in the low 32
//! bits); [`Cidr::key`] is their fixed-width hexadecimal form, which sorts
//! like the numbers in any database.

use crate::error::{FieldError, Rule, Valid};
use crate::inventory::{AgencyKind, code_enum};
use std::collections::BTreeMap;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

code_enum!(
    /// Whether a pool's addresses are private (RFC 1918 / ULA, the state's
    /// intranet) or public (the Internet).
    Visibility {
        Private = "private" / "Privado",
        Public = "public" / "Público",
    }
);

/// The address family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    V4,
    V6,
}

impl Family {
    /// Address bits: 32 or 128.
    pub fn bits(self) -> u8 {
        match self {
            Family::V4 => 32,
            Family::V6 => 128,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Family::V4 => "ipv4",
            Family::V6 => "ipv6",
        }
    }
}

/// An aligned block of addresses: `start` is the network address (host
/// bits zero) and `prefix` its length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Cidr {
    pub family: Family,
    pub start: u128,
    pub prefix: u8,
}

impl Cidr {
    /// Reads `10.20.0.0/16` or `2001:db8::/32`: a network address (host bits
    /// zero) with its prefix length.
    pub fn parse(field: &str, text: &str) -> Valid<Cidr> {
        let malformed = || FieldError::new(field, Rule::Malformed("bloco CIDR, ex.: 10.20.0.0/16"));
        let (addr, prefix) = text.trim().split_once('/').ok_or_else(malformed)?;
        let addr: IpAddr = addr.parse().map_err(|_| malformed())?;
        let (family, start) = match addr {
            IpAddr::V4(a) => (Family::V4, u128::from(u32::from(a))),
            IpAddr::V6(a) => (Family::V6, u128::from(a)),
        };
        let prefix: u8 = prefix.parse().map_err(|_| malformed())?;
        if prefix > family.bits() {
            return Err(FieldError::new(field, Rule::OutOfRange { min: 0, max: i64::from(family.bits()) }));
        }
        let cidr = Cidr { family, start, prefix };
        if start & cidr.host_mask() != 0 {
            return Err(FieldError::new(field, Rule::Malformed("endereço de rede (bits de host zerados)")));
        }
        Ok(cidr)
    }

    /// The block of `prefix` bits holding `start` (which must be aligned).
    fn at(self, start: u128, prefix: u8) -> Cidr {
        Cidr { family: self.family, start, prefix }
    }

    fn host_bits(self) -> u32 {
        u32::from(self.family.bits() - self.prefix)
    }

    fn host_mask(self) -> u128 {
        match self.host_bits() {
            128 => u128::MAX,
            bits => (1u128 << bits) - 1,
        }
    }

    /// How many addresses it holds (saturating at `u128::MAX` for `::/0`).
    pub fn size(self) -> u128 {
        match self.host_bits() {
            128 => u128::MAX,
            bits => 1u128 << bits,
        }
    }

    /// The last address.
    pub fn end(self) -> u128 {
        self.start | self.host_mask()
    }

    pub fn contains(self, other: Cidr) -> bool {
        self.family == other.family && self.start <= other.start && other.end() <= self.end()
    }

    pub fn overlaps(self, other: Cidr) -> bool {
        self.family == other.family && self.start <= other.end() && other.start <= self.end()
    }

    /// The other half of the block one bit shorter that holds it (`None`
    /// for a `/0`).
    pub fn buddy(self) -> Option<Cidr> {
        (self.prefix > 0).then(|| self.at(self.start ^ (1u128 << self.host_bits()), self.prefix))
    }

    /// The block one bit shorter that holds it.
    fn parent(self) -> Cidr {
        let prefix = self.prefix - 1;
        let mask = self.at(0, prefix).host_mask();
        self.at(self.start & !mask, prefix)
    }

    /// The start address in fixed-width hexadecimal (32 digits), which sorts
    /// like the number.
    pub fn key(self) -> String {
        format!("{:032x}", self.start)
    }

    /// Reads [`Cidr::key`] back, with the family and prefix stored beside it.
    pub fn from_key(family: Family, key: &str, prefix: u8) -> Option<Cidr> {
        let start = u128::from_str_radix(key, 16).ok()?;
        let cidr = Cidr { family, start, prefix };
        (prefix <= family.bits() && start & cidr.host_mask() == 0).then_some(cidr)
    }

    pub fn addr(self) -> IpAddr {
        match self.family {
            // The start of an IPv4 block fits 32 bits by construction.
            Family::V4 => IpAddr::V4(Ipv4Addr::from(self.start as u32)),
            Family::V6 => IpAddr::V6(Ipv6Addr::from(self.start)),
        }
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr(), self.prefix)
    }
}

/// Checks a request for a `/prefix` block from `pool`: no shorter than the
/// pool, no longer than an address.
pub fn check_prefix(field: &str, pool: Cidr, prefix: i64) -> Valid<u8> {
    let (min, max) = (i64::from(pool.prefix), i64::from(pool.family.bits()));
    if !(min..=max).contains(&prefix) {
        return Err(FieldError::new(field, Rule::OutOfRange { min, max }));
    }
    Ok(prefix as u8)
}

/// Takes a `/want` block from the start of the free block `free` (whose
/// prefix is at most `want`); returns it and the free blocks left: the
/// buddies of every block between them, shortest prefix first.
pub fn split(free: Cidr, want: u8) -> (Cidr, Vec<Cidr>) {
    debug_assert!(free.prefix <= want && want <= free.family.bits());
    let taken = free.at(free.start, want);
    let mut left = Vec::new();
    let mut block = taken;
    while block.prefix > free.prefix {
        left.push(block.buddy().expect("a prefix above the free block's is above zero"));
        block = block.parent();
    }
    left.reverse();
    (taken, left)
}

/// Gives `block` back to `pool`: joins it with its buddy while the buddy is
/// free (`is_free`), never beyond the pool. Returns the free block to store
/// and the free buddies it absorbed (to remove).
pub fn merge(pool: Cidr, block: Cidr, mut is_free: impl FnMut(Cidr) -> bool) -> (Cidr, Vec<Cidr>) {
    let mut merged = block;
    let mut absorbed = Vec::new();
    while merged.prefix > pool.prefix {
        let Some(buddy) = merged.buddy() else { break };
        if !is_free(buddy) {
            break;
        }
        absorbed.push(buddy);
        merged = merged.parent();
    }
    (merged, absorbed)
}

/// The first free block (by address) that can hold a `/want`: `free` is
/// the pool's free blocks in address order.
pub fn first_fit(free: impl IntoIterator<Item = Cidr>, want: u8) -> Option<Cidr> {
    free.into_iter().find(|b| b.prefix <= want)
}

/// The buddy allocator in memory: the reference the store's allocation is
/// checked against, and the subject of the property tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allocator {
    pool: Cidr,
    /// Free blocks by start address: their prefix.
    free: BTreeMap<u128, u8>,
}

impl Allocator {
    pub fn new(pool: Cidr) -> Allocator {
        Allocator { pool, free: BTreeMap::from([(pool.start, pool.prefix)]) }
    }

    /// An allocator over `pool` whose free space is `free` (a pool's
    /// maximal free blocks as stored): what a run of allocations in one
    /// transaction starts from.
    pub fn with_free(pool: Cidr, free: &[Cidr]) -> Allocator {
        Allocator { pool, free: free.iter().map(|b| (b.start, b.prefix)).collect() }
    }

    /// The free blocks in address order.
    pub fn free_blocks(&self) -> Vec<Cidr> {
        self.free.iter().map(|(s, p)| self.pool.at(*s, *p)).collect()
    }

    /// Allocates the first free aligned `/want`.
    pub fn allocate(&mut self, want: u8) -> Option<Cidr> {
        let free = first_fit(self.free_blocks(), want)?;
        self.free.remove(&free.start);
        let (taken, left) = split(free, want);
        self.free.extend(left.iter().map(|b| (b.start, b.prefix)));
        Some(taken)
    }

    /// Releases an allocated block.
    pub fn release(&mut self, block: Cidr) {
        let free = &self.free;
        let (merged, absorbed) = merge(self.pool, block, |b| free.get(&b.start) == Some(&b.prefix));
        for b in absorbed {
            self.free.remove(&b.start);
        }
        self.free.insert(merged.start, merged.prefix);
    }
}

/// How many blocks of one size an agency of a kind may hold from pools of
/// one visibility (seed 002: a municipality gets at most 20 private /28 and
/// one public /30).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockLimit {
    pub kind: AgencyKind,
    pub visibility: Visibility,
    pub prefix: u8,
    pub max_blocks: i64,
}

/// The limits the schema starts with **[seed 002; data, changeable]**.
pub const DEFAULT_LIMITS: [BlockLimit; 2] = [
    BlockLimit {
        kind: AgencyKind::Municipality,
        visibility: Visibility::Private,
        prefix: 28,
        max_blocks: 20,
    },
    BlockLimit { kind: AgencyKind::Municipality, visibility: Visibility::Public, prefix: 30, max_blocks: 1 },
];

/// Checks one more block against the limit that applies, if any: `held` is
/// how many such blocks the agency holds now.
pub fn check_limit(field: &str, limit: Option<&BlockLimit>, held: i64) -> Valid<()> {
    match limit {
        Some(l) if held >= l.max_blocks => {
            Err(FieldError::new(field, Rule::BlockLimitReached { max: l.max_blocks }))
        }
        _ => Ok(()),
    }
}

/// What a pool's use looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Utilisation {
    /// Addresses in allocated blocks.
    pub used: u128,
    pub free: u128,
    /// The largest free block's prefix (`None` when the pool is full).
    pub largest_free: Option<u8>,
}

impl Utilisation {
    pub fn of(pool: Cidr, free: &[Cidr]) -> Utilisation {
        let free_size: u128 = free.iter().map(|b| b.size()).fold(0, u128::saturating_add);
        Utilisation {
            used: pool.size().saturating_sub(free_size),
            free: free_size,
            largest_free: free.iter().map(|b| b.prefix).min(),
        }
    }

    /// The share used, in basis points (0–10,000).
    pub fn used_basis_points(self) -> i64 {
        let total = self.used.saturating_add(self.free);
        if total == 0 {
            return 0;
        }
        // Scaled down first so the product cannot overflow for IPv6 pools.
        let shift = 128 - total.leading_zeros();
        let shift = shift.saturating_sub(64);
        let (used, total) = (self.used >> shift, (total >> shift).max(1));
        (used * 10_000 / total) as i64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn c(text: &str) -> Cidr {
        Cidr::parse("cidr", text).expect(text)
    }

    #[test]
    fn blocks_read_and_print_both_families() {
        let b = c("10.20.0.0/16");
        assert_eq!((b.family, b.prefix, b.size()), (Family::V4, 16, 65_536));
        assert_eq!(b.to_string(), "10.20.0.0/16");
        assert_eq!(c("2001:db8::/32").to_string(), "2001:db8::/32");
        assert_eq!(c("0.0.0.0/0").size(), 1 << 32);
        assert_eq!(c("::/0").size(), u128::MAX);
        assert_eq!(Cidr::from_key(Family::V4, &b.key(), 16), Some(b));
        assert!(b.key() < c("10.21.0.0/16").key() && c("9.255.0.0/16").key() < b.key());
    }

    #[test]
    fn bad_blocks_are_named() {
        for bad in ["10.0.0.0", "10.0.0/8", "10.0.0.0/x", "banana/8"] {
            assert!(matches!(Cidr::parse("cidr", bad).map_err(|e| e.rule), Err(Rule::Malformed(_))), "{bad}");
        }
        assert_eq!(
            Cidr::parse("cidr", "10.0.0.1/24").map_err(|e| e.rule),
            Err(Rule::Malformed("endereço de rede (bits de host zerados)"))
        );
        assert_eq!(
            Cidr::parse("cidr", "10.0.0.0/33").map_err(|e| e.rule),
            Err(Rule::OutOfRange { min: 0, max: 32 })
        );
        assert_eq!(
            check_prefix("p", c("10.0.0.0/16"), 8).map_err(|e| e.rule),
            Err(Rule::OutOfRange { min: 16, max: 32 })
        );
        assert_eq!(check_prefix("p", c("10.0.0.0/16"), 30), Ok(30));
    }

    #[test]
    fn splitting_leaves_the_buddies_and_merging_takes_them_back() {
        let (taken, left) = split(c("10.0.0.0/24"), 26);
        assert_eq!(taken, c("10.0.0.0/26"));
        assert_eq!(left, vec![c("10.0.0.128/25"), c("10.0.0.64/26")]);
        let (merged, absorbed) = merge(c("10.0.0.0/24"), taken, |b| left.contains(&b));
        assert_eq!(merged, c("10.0.0.0/24"));
        assert_eq!(absorbed, vec![c("10.0.0.64/26"), c("10.0.0.128/25")]);
    }

    #[test]
    fn first_fit_takes_the_lowest_aligned_block_and_mixed_sizes_never_overlap() {
        let mut a = Allocator::new(c("192.168.0.0/24"));
        assert_eq!(a.allocate(30), Some(c("192.168.0.0/30")));
        assert_eq!(a.allocate(28), Some(c("192.168.0.16/28")));
        assert_eq!(a.allocate(30), Some(c("192.168.0.4/30")));
        a.release(c("192.168.0.0/30"));
        assert_eq!(a.allocate(29), Some(c("192.168.0.8/29")), "a /29 cannot start at .0 while .4/30 is held");
        assert_eq!(a.allocate(30), Some(c("192.168.0.0/30")), "the released /30 is reused first");
        assert_eq!(a.allocate(23), None);
    }

    #[test]
    fn limits_name_the_maximum() {
        let limit = DEFAULT_LIMITS[1];
        assert_eq!(check_limit("prefix_length", Some(&limit), 0), Ok(()));
        assert_eq!(
            check_limit("prefix_length", Some(&limit), 1).map_err(|e| e.rule),
            Err(Rule::BlockLimitReached { max: 1 })
        );
        assert_eq!(check_limit("prefix_length", None, 1_000), Ok(()));
    }

    #[test]
    fn utilisation_counts_addresses() {
        let pool = c("10.0.0.0/24");
        let mut a = Allocator::new(pool);
        a.allocate(26);
        let u = Utilisation::of(pool, &a.free_blocks());
        assert_eq!((u.used, u.free, u.largest_free, u.used_basis_points()), (64, 192, Some(25), 2_500));
        let v6 = c("2001:db8::/32");
        assert_eq!(Utilisation::of(v6, &[v6]).used_basis_points(), 0);
        assert_eq!(Utilisation::of(v6, &[]).used_basis_points(), 10_000);
    }

    /// Operations on an allocator: allocate a `/p`, or release the `i`-th
    /// block held (modulo how many are held).
    #[derive(Debug, Clone)]
    enum Op {
        Allocate(u8),
        Release(usize),
    }

    fn ops() -> impl Strategy<Value = Vec<Op>> {
        prop::collection::vec(
            prop_oneof![3 => (20u8..=30).prop_map(Op::Allocate), 1 => any::<usize>().prop_map(Op::Release)],
            0..200,
        )
    }

    proptest! {
        #[test]
        fn blocks_are_aligned_inside_the_pool_never_overlap_and_all_come_back(
            ops in ops(),
            v6 in any::<bool>(),
        ) {
            let pool = if v6 { c("2001:db8::/116") } else { c("10.16.0.0/20") };
            let shift = if v6 { 128 - 32 } else { 0 };
            let mut a = Allocator::new(pool);
            let mut held: Vec<Cidr> = Vec::new();
            for op in ops {
                match op {
                    Op::Allocate(p) => {
                        let p = p + shift;
                        match a.allocate(p) {
                            Some(b) => {
                                prop_assert_eq!(b.prefix, p);
                                prop_assert!(pool.contains(b));
                                prop_assert_eq!(b.start % b.size(), 0, "aligned");
                                prop_assert!(held.iter().all(|h| !h.overlaps(b)), "{} overlaps", b);
                                held.push(b);
                            }
                            None => {
                                // Refused only when no aligned /p is free: every
                                // aligned /p of the pool overlaps a held block.
                                let size = pool.at(0, p).size();
                                let free_exists = (0..pool.size() / size).any(|i| {
                                    let cand = pool.at(pool.start + i * size, p);
                                    held.iter().all(|h| !h.overlaps(cand))
                                });
                                prop_assert!(!free_exists, "a free /{} existed", p);
                            }
                        }
                    }
                    Op::Release(i) if !held.is_empty() => {
                        let b = held.swap_remove(i % held.len());
                        a.release(b);
                    }
                    Op::Release(_) => {}
                }
                // Free and held blocks tile the pool exactly.
                let free = a.free_blocks();
                let total = free.iter().chain(&held).map(|b| b.size()).sum::<u128>();
                prop_assert_eq!(total, pool.size());
            }
            for b in held.drain(..) {
                a.release(b);
            }
            prop_assert_eq!(a, Allocator::new(pool), "everything released: the pool is one free block again");
        }

        #[test]
        fn first_fit_is_the_lowest_free_aligned_block(ops in ops()) {
            // Against a brute-force search over a small pool.
            let pool = c("172.16.0.0/24");
            let mut a = Allocator::new(pool);
            let mut held: Vec<Cidr> = Vec::new();
            for op in ops {
                match op {
                    Op::Allocate(p) => {
                        let p = p.clamp(24, 30);
                        let size = pool.at(0, p).size();
                        let expected = (0..pool.size() / size)
                            .map(|i| pool.at(pool.start + i * size, p))
                            .find(|cand| held.iter().all(|h| !h.overlaps(*cand)));
                        let got = a.allocate(p);
                        prop_assert_eq!(got, expected);
                        held.extend(got);
                    }
                    Op::Release(i) if !held.is_empty() => a.release(held.swap_remove(i % held.len())),
                    Op::Release(_) => {}
                }
            }
        }
    }
}
