//! Hashes that let replicas be compared: a digest of the log a replica applied and a hash of
//! its store.
//!
//! Both are FNV-1a (64 bit), written here: fixed and seedless, so equal inputs give equal
//! hashes in every replica, run and process (std's `RandomState` is keyed at random, and
//! `DefaultHasher` promises no stable algorithm).

use raft::eraftpb::Entry;

/// FNV-1a, 64 bit, over bytes. Also an `io::Write`, so serializers can write into it.
pub struct Fnv1a64 {
    state: u64,
}

impl Fnv1a64 {
    const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;

    pub fn new() -> Fnv1a64 {
        Fnv1a64 {
            state: Self::OFFSET_BASIS,
        }
    }

    pub fn write_bytes(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.state ^= u64::from(byte);
            self.state = self.state.wrapping_mul(Self::PRIME);
        }
    }

    /// Little-endian, so the hash does not depend on the machine.
    pub fn write_u64(&mut self, value: u64) {
        self.write_bytes(&value.to_le_bytes());
    }

    pub fn finish(&self) -> u64 {
        self.state
    }
}

impl std::io::Write for Fnv1a64 {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.write_bytes(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The log digest after applying `entry` to a log whose digest was `previous`: a hash
/// chain, so the digest at an index covers every entry up to it. The data's length goes
/// in before the data so that no two different entries feed the hash the same bytes.
pub fn chain(previous: u64, entry: &Entry) -> u64 {
    let mut hasher = Fnv1a64::new();
    hasher.write_u64(previous);
    hasher.write_u64(entry.index);
    hasher.write_u64(entry.term);
    hasher.write_u64(entry.get_entry_type() as u64);
    hasher.write_u64(entry.data.len() as u64);
    hasher.write_bytes(&entry.data);
    hasher.finish()
}

/// A hash of the store's whole state. Its JSON form is canonical (structs in field order,
/// maps ordered by key, no floats), so the hash depends on the contents only, not on how
/// they lie in memory.
pub fn state_hash(store: &kv::Store) -> u64 {
    let mut hasher = Fnv1a64::new();
    serde_json::to_writer(&mut hasher, store).expect("the store serializes");
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_matches_the_published_test_vectors() {
        let hash = |text: &str| {
            let mut hasher = Fnv1a64::new();
            hasher.write_bytes(text.as_bytes());
            hasher.finish()
        };
        assert_eq!(hash(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(hash("a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(hash("foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn the_chain_covers_every_field_of_every_entry() {
        let entry = |index, term, data: &[u8]| Entry {
            index,
            term,
            data: data.to_vec().into(),
            ..Entry::default()
        };
        let base = chain(chain(0, &entry(1, 1, b"a")), &entry(2, 1, b"b"));
        let variants = [
            chain(chain(0, &entry(1, 2, b"a")), &entry(2, 1, b"b")),
            chain(chain(0, &entry(1, 1, b"x")), &entry(2, 1, b"b")),
            chain(chain(0, &entry(1, 1, b"a")), &entry(2, 2, b"b")),
            chain(chain(0, &entry(1, 1, b"a")), &entry(2, 1, b"bb")),
            chain(chain(0, &entry(1, 1, b"a")), &entry(3, 1, b"b")),
        ];
        for variant in variants {
            assert_ne!(variant, base);
        }
        assert_eq!(
            base,
            chain(chain(0, &entry(1, 1, b"a")), &entry(2, 1, b"b"))
        );
    }

    #[test]
    fn equal_stores_hash_equal_and_a_write_changes_the_hash() {
        let put = |value: &str| {
            kv::Request::Put(kv::PutRequest {
                key: "k".into(),
                value: value.into(),
                prev_kv: false,
                lease: None,
            })
        };
        let (mut first, mut second) = (kv::Store::new(), kv::Store::new());
        assert_eq!(state_hash(&first), state_hash(&second));
        first.execute(&put("a")).unwrap();
        assert_ne!(state_hash(&first), state_hash(&second));
        second.execute(&put("a")).unwrap();
        assert_eq!(state_hash(&first), state_hash(&second));
        first.execute(&put("b")).unwrap();
        second.execute(&put("c")).unwrap();
        assert_ne!(state_hash(&first), state_hash(&second));
    }
}
