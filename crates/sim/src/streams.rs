//! Named random streams forked from the run's seed.
//!
//! Each subsystem (network latency, nemesis choices, each client's workload, each
//! replica's election timeouts) draws from its own stream, so a change in how one of them
//! uses randomness does not reshuffle what the others draw.

use rand::rngs::SmallRng;
use rand::SeedableRng;

/// SplitMix64's finalizer: spreads every input bit over the whole output.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// The sub-seed of stream `name` number `index` for the run's `seed`.
pub fn sub_seed(seed: u64, name: &str, index: u64) -> u64 {
    let mut state = mix(seed);
    for byte in name.bytes() {
        state = mix(state ^ u64::from(byte));
    }
    mix(state ^ index)
}

/// A random stream of its own for `name` number `index`.
pub fn stream(seed: u64, name: &str, index: u64) -> SmallRng {
    SmallRng::seed_from_u64(sub_seed(seed, name, index))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_differ_by_name_index_and_seed_and_repeat_exactly() {
        let a = sub_seed(7, "network", 0);
        assert_eq!(a, sub_seed(7, "network", 0));
        assert_ne!(a, sub_seed(7, "nemesis", 0));
        assert_ne!(a, sub_seed(7, "network", 1));
        assert_ne!(a, sub_seed(8, "network", 0));
    }
}
