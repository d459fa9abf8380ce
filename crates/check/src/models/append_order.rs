//! What the values of gets reveal about the order of a key-value history with appends.
//!
//! A key's value is always the value of the last put before it (or "" if none) followed by
//! the suffixes of the appends since, in order. So when a get's value can be built from
//! the history's writes in exactly one way, that way is what happened before the get, and
//! every linearization must agree with it: the put, then those appends in that order,
//! then the get, with no other write of the key in between. Histories whose appends write
//! unique suffixes (Jepsen's and Porcupine's do) pin almost the whole order this way.
//!
//! Without these orders the search tries every interleaving of concurrent appends, and
//! each makes a different value, so its memo cannot merge them: with 50 clients, a single
//! key of Porcupine's `c50-bad.txt` did not finish in 30 s and 5 GB. With them, an
//! interleaving that contradicts a value already read is never tried.
//!
//! Only certain consequences are drawn. A value that can be built in two ways, or whose
//! ways are too many to count cheaply, implies nothing; nor does a key with an append of
//! "" (it could sit anywhere), nor a get without an answer. Appends of the same suffix
//! are interchangeable in a value, so it only tells that one of them came before: nothing
//! is concluded about any of them, but the rest of the value still counts.

use crate::model::ImpliedOrder;
use crate::models::kv_append::{KvAppendAction, KvAppendOperation, KvAppendOutput};
use std::collections::{BTreeMap, HashMap, HashSet};

/// How many extensions the search for the ways to build one value may try before it gives
/// up on that value (which then implies nothing): a bound on pathological histories, far
/// above what unique suffixes need (one extension per append in the value).
const MAX_EXTENSIONS_PER_VALUE: usize = 10_000;

/// Orders of operations that every linearization respects, as read off the values of gets
/// (see the module documentation).
pub(crate) fn implied_order(operations: &[KvAppendOperation]) -> Vec<ImpliedOrder> {
    let mut by_key: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (index, operation) in operations.iter().enumerate() {
        by_key
            .entry(operation.input.key.as_str())
            .or_default()
            .push(index);
    }
    let mut order = Vec::new();
    for indexes in by_key.values() {
        order.extend(key_order(operations, indexes));
    }
    order
}

/// The write a key's value starts from: the initial "" or a put.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Base {
    Initial,
    Put(usize),
}

/// The only way a get's value can be built: its base, then these appends in this order.
struct Building {
    base: Base,
    appends: Vec<usize>,
}

/// [`implied_order`] for the operations of one key, at `indexes`.
fn key_order(operations: &[KvAppendOperation], indexes: &[usize]) -> Vec<ImpliedOrder> {
    let mut puts: Vec<(usize, &[u8])> = Vec::new();
    let mut appends: Vec<(usize, &[u8])> = Vec::new();
    let mut gets: Vec<(usize, &[u8])> = Vec::new();
    for &index in indexes {
        let operation = &operations[index];
        match (&operation.input.action, &operation.output) {
            (KvAppendAction::Put(value), KvAppendOutput::Done | KvAppendOutput::Unknown) => {
                puts.push((index, value.as_bytes()));
            }
            (KvAppendAction::Append(suffix), KvAppendOutput::Done | KvAppendOutput::Unknown) => {
                appends.push((index, suffix.as_bytes()));
            }
            (KvAppendAction::Get, KvAppendOutput::Value(value)) => {
                gets.push((index, value.as_bytes()));
            }
            // Nothing to learn from: the model rejects these outright, or they saw nothing.
            _ => {}
        }
    }
    if appends.iter().any(|(_, suffix)| suffix.is_empty()) {
        return Vec::new();
    }
    let builder = Builder::new(&appends);
    let shared = builder.shared_suffixes();
    let buildings: Vec<(usize, Building)> = gets
        .iter()
        .filter_map(|&(get, value)| Some((get, builder.only_way(&puts, value)?)))
        .collect();

    // Writes known to come after a put: those some value shows built on it.
    let mut after_put: HashMap<usize, Vec<usize>> = HashMap::new();
    for (_, building) in &buildings {
        if let Base::Put(put) = building.base {
            after_put.entry(put).or_default().extend(
                building
                    .appends
                    .iter()
                    .filter(|append| !shared.contains(append)),
            );
        }
    }
    let writes: Vec<usize> = puts
        .iter()
        .chain(&appends)
        .map(|&(index, _)| index)
        .collect();
    let returned_before_call = |first: usize, second: usize| {
        operations[first]
            .return_ns
            .is_some_and(|return_ns| return_ns < operations[second].call_ns)
    };

    let mut order = Vec::new();
    for (get, building) in &buildings {
        let get = *get;
        let mut chain: Vec<usize> = Vec::with_capacity(building.appends.len() + 2);
        if let Base::Put(put) = building.base {
            chain.push(put);
        }
        chain.extend(
            building
                .appends
                .iter()
                .filter(|append| !shared.contains(append)),
        );
        chain.push(get);
        let shown = |before, after| ImpliedOrder {
            before,
            after,
            shown_by: get,
        };
        order.extend(chain.windows(2).map(|pair| shown(pair[0], pair[1])));
        // Every other write is outside the stretch from the base to the get.
        for &write in &writes {
            if chain.contains(&write) || shared.contains(&write) {
                continue;
            }
            match building.base {
                Base::Initial => order.push(shown(get, write)),
                Base::Put(put) => {
                    let after_base = returned_before_call(put, write)
                        || after_put
                            .get(&put)
                            .is_some_and(|after| after.contains(&write));
                    if after_base {
                        order.push(shown(get, write));
                    }
                    if returned_before_call(write, get) {
                        order.push(shown(write, put));
                    }
                }
            }
        }
    }
    order.sort_unstable();
    order.dedup_by_key(|implied| (implied.before, implied.after));
    order
}

/// Finds the ways a value can be built from a base and distinct appends.
struct Builder<'a> {
    appends: &'a [(usize, &'a [u8])],
    /// Positions in `appends` by suffix.
    by_suffix: HashMap<&'a [u8], Vec<usize>>,
    /// The distinct suffix lengths, shortest first.
    lengths: Vec<usize>,
}

impl<'a> Builder<'a> {
    fn new(appends: &'a [(usize, &'a [u8])]) -> Self {
        let mut by_suffix: HashMap<&[u8], Vec<usize>> = HashMap::new();
        for (position, (_, suffix)) in appends.iter().enumerate() {
            by_suffix.entry(suffix).or_default().push(position);
        }
        let mut lengths: Vec<usize> = appends.iter().map(|(_, suffix)| suffix.len()).collect();
        lengths.sort_unstable();
        lengths.dedup();
        Builder {
            appends,
            by_suffix,
            lengths,
        }
    }

    /// The one way to build `value` from the initial "" or one of `puts`, then distinct
    /// appends; `None` if there is no way, more than one, or counting them costs too much.
    fn only_way(&self, puts: &[(usize, &[u8])], value: &[u8]) -> Option<Building> {
        let bases = std::iter::once((Base::Initial, &[][..])).chain(
            puts.iter()
                .map(|&(put, put_value)| (Base::Put(put), put_value)),
        );
        let mut found: Option<Building> = None;
        let mut extensions_left = MAX_EXTENSIONS_PER_VALUE;
        for (base, base_value) in bases {
            let Some(rest) = value.strip_prefix(base_value) else {
                continue;
            };
            let ways = self.ways_to_append(rest, &mut extensions_left)?;
            for appends in ways {
                if found.is_some() {
                    return None;
                }
                found = Some(Building { base, appends });
            }
        }
        found
    }

    /// Up to two sequences of distinct appends whose suffixes make up `rest` (as
    /// operation indexes); `None` when the budget of extensions runs out first.
    fn ways_to_append(&self, rest: &[u8], extensions_left: &mut usize) -> Option<Vec<Vec<usize>>> {
        let mut ways = Vec::new();
        let mut used = vec![false; self.appends.len()];
        // Depth-first, without recursion (a value may hold thousands of appends): per
        // depth, the position reached in `rest` and the candidates not tried yet there.
        let mut chosen: Vec<usize> = Vec::new();
        let mut frames: Vec<(usize, Vec<usize>)> = vec![(0, self.candidates(rest, &used))];
        while let Some((at, candidates)) = frames.last_mut() {
            let at = *at;
            if at == rest.len() {
                ways.push(
                    chosen
                        .iter()
                        .map(|&position| self.appends[position].0)
                        .collect(),
                );
                if ways.len() == 2 {
                    break;
                }
            }
            match candidates.pop() {
                Some(position) => {
                    if *extensions_left == 0 {
                        return None;
                    }
                    *extensions_left -= 1;
                    used[position] = true;
                    chosen.push(position);
                    let next = at + self.appends[position].1.len();
                    frames.push((next, self.candidates(&rest[next..], &used)));
                }
                None => {
                    frames.pop();
                    if let Some(position) = chosen.pop() {
                        used[position] = false;
                    }
                }
            }
        }
        Some(ways)
    }

    /// The appends whose suffix `rest` starts with: per suffix, the first one unused (the
    /// others with that suffix would build the same value).
    fn candidates(&self, rest: &[u8], used: &[bool]) -> Vec<usize> {
        self.lengths
            .iter()
            .take_while(|&&length| length <= rest.len())
            .filter_map(|&length| self.by_suffix.get(&rest[..length]))
            .filter_map(|same_suffix| {
                same_suffix
                    .iter()
                    .copied()
                    .find(|&position| !used[position])
            })
            .collect()
    }

    /// The appends (operation indexes) whose suffix another append also has.
    fn shared_suffixes(&self) -> HashSet<usize> {
        self.by_suffix
            .values()
            .filter(|same_suffix| same_suffix.len() > 1)
            .flatten()
            .map(|&position| self.appends[position].0)
            .collect()
    }
}
