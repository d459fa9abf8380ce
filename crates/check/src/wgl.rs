//! The linearizability search for one object's history: Wing & Gong's backtracking
//! ("Testing and verifying concurrent objects", 1993) with Lowe's memoization ("Testing
//! for linearizability", 2017), as Porcupine does it, extended for calls that never
//! returned.
//!
//! The history becomes a timeline of call and return events in time order. The search
//! walks it from the front: at a call it tries to apply that operation to the model next;
//! if the model accepts it, the operation is taken out of the timeline and the walk starts
//! again from the front. Reaching a return event means that operation's deadline would
//! pass before it was placed, so the last choice is undone and the walk goes on after it.
//! A memo of configurations already explored (operations placed, model state) keeps the
//! search from repeating itself: two branches that placed the same operations and reached
//! the same state have the same futures.
//!
//! Operations without a return ([`Operation::return_ns`] `None`) have no return event:
//! they are candidates from their call on, forever, and the search succeeds as soon as
//! every operation that did return is placed, whether or not they were. They are what
//! makes a search expensive, as every subset of them used up so far can make a different
//! configuration. Two measures keep that in check:
//! - The memo prunes a configuration that differs from an explored one only by having
//!   used up more of them (see `Memo`).
//! - Two searches of the same space take turns, differing only in the order they try
//!   candidates: one in call order, which tends to find a linearization fast when one
//!   exists (a call that never returned usually took effect soon, if at all); one that
//!   tries returned operations before the others, which reaches configurations with the
//!   fewest operations used up first, so the memo prunes more, and tends to exhaust the
//!   space faster when no linearization exists. Both are complete; the first to decide
//!   answers.
//!
//! A search stops undecided when it runs out of steps, when its deadline passes (looked at
//! every [`CHECK_STEPS`] steps) or when its memo would grow past the memory it may use
//! ([`MemoryPool`], shared by searches running together, and checked before every memo
//! insertion, so the estimate never exceeds the limit).

use crate::model::{ImpliedOrder, Model, Operation};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering as AtomicOrdering};
use std::time::Instant;

/// What the search concluded about one object's history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SearchOutcome<S> {
    /// Some order of the operations, consistent with real time, satisfies the model.
    Linearizable {
        /// Ids of the operations in that order; operations without a return that the
        /// order leaves out (they never took effect) are not listed.
        order: Vec<u64>,
    },
    /// No order satisfies the model.
    NotLinearizable {
        /// Ids, in order, of the furthest sequence of operations the search could place.
        /// Furthest means: the latest first unplaced return (every operation that returned
        /// before it is placed), then the most returned operations placed; optional
        /// operations do not count, as placing one that blocks the rest is no progress.
        /// So when the history would be linearizable without one bad operation (a read,
        /// say), that operation is the first unplaced one, and among `stuck`.
        prefix: Vec<u64>,
        /// Ids of the returned operations that were due next after `prefix` (called no
        /// later than the earliest pending return), all of which the model rejects there:
        /// one it accepted would have led further.
        stuck: Vec<u64>,
        /// The model state after `prefix`.
        state: S,
    },
    /// A limit ran out before the search was decided.
    OutOfBudget { limit: Limit },
    /// The search was told to stop (see [`Limits::cancelled`]) before it was decided.
    Cancelled,
}

/// The limit a search ran out of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Limit {
    Steps,
    Time,
    Memory,
}

/// The outcome of a search, the steps it took (timeline events visited), and what its memo
/// held at the end.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Search<S> {
    pub outcome: SearchOutcome<S>,
    pub steps: u64,
    /// Configurations in the memo tables.
    pub memo_entries: u64,
    /// The memo tables' estimated memory, in bytes (see [`MemoryPool`]).
    pub memo_bytes: u64,
}

/// What one search may use.
#[derive(Clone, Copy, Debug)]
pub struct Limits<'a> {
    pub max_steps: u64,
    /// When to give up; looked at every [`CHECK_STEPS`] steps.
    pub deadline: Option<Instant>,
    /// Where the memo's memory comes from.
    pub memory: &'a MemoryPool,
    /// Once set, the search gives up ([`SearchOutcome::Cancelled`]) at its next turn (every
    /// few tens of thousands of steps): so that searches of several objects in parallel
    /// can stop once one of them is decided not linearizable, as the whole history then is.
    pub cancelled: &'a AtomicBool,
}

/// The memory that the memo tables of searches running at the same time may use together,
/// in estimated bytes.
///
/// A memo entry is estimated as: its hash table slot (key, value and control byte) times
/// 16/7, as the table is at most 7/8 full and just after growing only half that; plus the
/// heap of its bitsets (8 bytes a word) and of its model state ([`Model::state_heap_bytes`]);
/// plus the entry's list of sets of optional operations, counted at twice its length to
/// cover the list's spare capacity. Allocator overhead, the old table while the table grows,
/// and the search's stack (one state per placed operation) are not counted.
#[derive(Debug)]
pub struct MemoryPool {
    limit: u64,
    in_use: AtomicU64,
    peak: AtomicU64,
}

impl MemoryPool {
    pub fn new(limit_bytes: u64) -> Self {
        MemoryPool {
            limit: limit_bytes,
            in_use: AtomicU64::new(0),
            peak: AtomicU64::new(0),
        }
    }

    /// The most bytes in use at once so far; never more than the limit.
    pub fn peak_bytes(&self) -> u64 {
        self.peak.load(AtomicOrdering::Relaxed)
    }

    /// Takes `bytes` from the pool, if that keeps it within its limit.
    fn reserve(&self, bytes: u64) -> bool {
        let mut in_use = self.in_use.load(AtomicOrdering::Relaxed);
        loop {
            let wanted = in_use.saturating_add(bytes);
            if wanted > self.limit {
                return false;
            }
            match self.in_use.compare_exchange_weak(
                in_use,
                wanted,
                AtomicOrdering::Relaxed,
                AtomicOrdering::Relaxed,
            ) {
                Ok(_) => {
                    self.peak.fetch_max(wanted, AtomicOrdering::Relaxed);
                    return true;
                }
                Err(actual) => in_use = actual,
            }
        }
    }

    fn release(&self, bytes: u64) {
        self.in_use.fetch_sub(bytes, AtomicOrdering::Relaxed);
    }
}

/// How many steps one of the two searches takes before the other's turn.
const TURN_STEPS: u64 = 1 << 16;

/// How many steps a search takes between two looks at the clock.
pub const CHECK_STEPS: u64 = 1 << 12;

/// Searches for a linearization of `operations` (all on one object) under `model`,
/// taking at most `max_steps` steps, with no other limit.
///
/// A return recorded before its call is treated as returning at the call.
pub fn search<M: Model>(
    model: &M,
    operations: &[Operation<M::Input, M::Output>],
    max_steps: u64,
) -> Search<M::State>
where
    M::State: Send + 'static,
{
    search_within(
        model,
        operations,
        &Limits {
            max_steps,
            deadline: None,
            memory: &MemoryPool::new(u64::MAX),
            cancelled: &AtomicBool::new(false),
        },
    )
}

/// [`search`] within `limits`: undecided ([`SearchOutcome::OutOfBudget`]) when the steps
/// run out, the deadline passes or the memo would outgrow the memory pool.
pub fn search_within<M: Model>(
    model: &M,
    operations: &[Operation<M::Input, M::Output>],
    limits: &Limits<'_>,
) -> Search<M::State>
where
    M::State: Send + 'static,
{
    let predecessors = predecessors(model, operations);
    let searcher = |order| Searcher::new(model, operations, &predecessors, order, limits.memory);
    let mut in_call_order = searcher(Order::CallOrder);
    // Started only if the first turn did not decide: most histories need no second.
    let mut returned_first = None;
    let mut steps = 0;
    let out_of = |limit| SearchOutcome::OutOfBudget { limit };
    let past_deadline = || {
        limits
            .deadline
            .is_some_and(|deadline| Instant::now() >= deadline)
    };
    // With every operation answered, answered-first order is call order: a second search
    // would repeat the first one step for step, doubling the work for nothing.
    let all_answered = operations
        .iter()
        .all(|operation| operation.return_ns.is_some());
    let mut turn = 0u64;
    let outcome = loop {
        let searcher = if all_answered || turn.is_multiple_of(2) {
            &mut in_call_order
        } else {
            returned_first.get_or_insert_with(|| searcher(Order::ReturnedFirst))
        };
        turn += 1;
        // The turn in pieces, to look at the clock in between: a searcher resumes where it
        // stopped, so this searches exactly as one run of the whole turn would.
        let turn_end = steps + TURN_STEPS.min(limits.max_steps - steps);
        let decided = loop {
            let (decided, used) = searcher.run(CHECK_STEPS.min(turn_end - steps));
            steps += used;
            if decided.is_some() {
                break decided;
            }
            if past_deadline() {
                break Some(out_of(Limit::Time));
            }
            if steps >= turn_end {
                break None;
            }
        };
        if let Some(outcome) = decided {
            break outcome;
        }
        if steps >= limits.max_steps {
            break out_of(Limit::Steps);
        }
        if limits.cancelled.load(AtomicOrdering::Relaxed) {
            break SearchOutcome::Cancelled;
        }
    };
    let memos = std::iter::once(&in_call_order.memo)
        .chain(returned_first.as_ref().map(|searcher| &searcher.memo));
    let (memo_entries, memo_bytes) = memos.fold((0, 0), |(entries, bytes), memo| {
        (entries + memo.entries(), bytes + memo.bytes)
    });
    // Freeing millions of configurations takes about as long as making them (measured: a
    // search stopped by a 2 s time limit took another 2 s to free its memo), so a search
    // that ran out of time would overrun its limit by as much again. Large tables are
    // freed on a thread of their own; the check answers at once.
    if memo_bytes >= FREE_IN_BACKGROUND_BYTES {
        let tables = [
            Some(in_call_order.memo.take_table()),
            returned_first
                .as_mut()
                .map(|searcher| searcher.memo.take_table()),
        ];
        std::thread::spawn(move || drop(tables));
    }
    Search {
        outcome,
        steps,
        memo_entries,
        memo_bytes,
    }
}

/// Per operation, the operations the model says must be placed before it
/// ([`Model::implied_order`]), leaving out those without a return: the memo's pruning of
/// configurations by their optional operations assumes that no operation waits for one.
fn predecessors<M: Model>(
    model: &M,
    operations: &[Operation<M::Input, M::Output>],
) -> Vec<Vec<usize>> {
    let mut predecessors = vec![Vec::new(); operations.len()];
    for ImpliedOrder { before, after, .. } in model.implied_order(operations) {
        if operations[before].return_ns.is_some() {
            predecessors[after].push(before);
        }
    }
    predecessors
}

/// The order in which a search tries the candidates for the next operation.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Order {
    /// In the order of their calls.
    CallOrder,
    /// Operations that returned first, then the others, each in the order of their calls.
    ReturnedFirst,
}

/// Which candidates the walk over the timeline is trying.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Pass {
    All,
    Returned,
    Optional,
}

/// One depth-first search, which can be run a number of steps at a time.
struct Searcher<'a, M: Model> {
    model: &'a M,
    operations: &'a [Operation<M::Input, M::Output>],
    /// Per operation, those that must be placed before it (see [`predecessors`]).
    predecessors: &'a [Vec<usize>],
    order: Order,
    timeline: Timeline,
    placed: Placed,
    memo: Memo<'a, M::State>,
    state: M::State,
    /// The placed operations in order, and beside each the state before it (to backtrack).
    placed_in_order: Vec<usize>,
    states_before: Vec<M::State>,
    furthest_prefix: Vec<usize>,
    /// How far the furthest prefix got: the first unplaced returned operation in order of
    /// return, then how many returned operations are placed.
    furthest_progress: (usize, usize),
    furthest_state: M::State,
    pass: Pass,
    cursor: usize,
}

impl<'a, M: Model> Searcher<'a, M> {
    fn new(
        model: &'a M,
        operations: &'a [Operation<M::Input, M::Output>],
        predecessors: &'a [Vec<usize>],
        order: Order,
        memory: &'a MemoryPool,
    ) -> Self {
        let timeline = Timeline::new(operations);
        let state = model.init();
        Searcher {
            model,
            operations,
            predecessors,
            order,
            cursor: timeline.first(),
            timeline,
            placed: Placed::new(operations),
            memo: Memo::new(memory),
            furthest_state: state.clone(),
            state,
            placed_in_order: Vec::new(),
            states_before: Vec::new(),
            furthest_prefix: Vec::new(),
            furthest_progress: (0, 0),
            pass: Self::first_pass(order),
        }
    }

    fn first_pass(order: Order) -> Pass {
        match order {
            Order::CallOrder => Pass::All,
            Order::ReturnedFirst => Pass::Returned,
        }
    }

    /// Searches on for at most `max_steps` steps: the outcome, if decided, and the steps
    /// taken.
    fn run(&mut self, max_steps: u64) -> (Option<SearchOutcome<M::State>>, u64) {
        let operations = self.operations;
        let mut steps = 0;
        loop {
            if self.placed.returned_placed == self.placed.returned_total {
                let order = self
                    .placed_in_order
                    .iter()
                    .map(|&index| operations[index].id)
                    .collect();
                return (Some(SearchOutcome::Linearizable { order }), steps);
            }
            if steps >= max_steps {
                return (None, steps);
            }
            steps += 1;
            match self.timeline.events[self.cursor] {
                Event::Call(index) => {
                    let returned = operations[index].return_ns.is_some();
                    let in_pass = match self.pass {
                        Pass::All => true,
                        Pass::Returned => returned,
                        Pass::Optional => !returned,
                    };
                    match in_pass.then(|| self.try_place(index)) {
                        Some(Visit::New) => {
                            self.pass = Self::first_pass(self.order);
                            self.cursor = self.timeline.first();
                        }
                        Some(Visit::OutOfMemory) => {
                            return (
                                Some(SearchOutcome::OutOfBudget {
                                    limit: Limit::Memory,
                                }),
                                steps,
                            );
                        }
                        None | Some(Visit::Seen) => {
                            self.cursor = self.timeline.next[self.cursor];
                        }
                    }
                }
                Event::Return if self.pass == Pass::Returned => {
                    self.pass = Pass::Optional;
                    self.cursor = self.timeline.first();
                }
                Event::Return => {
                    // That operation's deadline would pass before it was placed: undo the
                    // last choice and try the candidates after it.
                    let Some(index) = self.undo_last() else {
                        return (Some(self.not_linearizable()), steps);
                    };
                    self.pass = match (self.order, operations[index].return_ns) {
                        (Order::CallOrder, _) => Pass::All,
                        (Order::ReturnedFirst, Some(_)) => Pass::Returned,
                        (Order::ReturnedFirst, None) => Pass::Optional,
                    };
                    self.cursor = self.timeline.next[self.timeline.call_node[index]];
                }
                Event::End => {
                    unreachable!("a returned operation is unplaced, so its return lies ahead")
                }
            }
        }
    }

    /// Places the operation next if every operation it must follow is placed, the model
    /// accepts it there and that leads to a configuration not explored yet
    /// ([`Visit::New`]; [`Visit::Seen`] also when it may not go next).
    fn try_place(&mut self, index: usize) -> Visit {
        if !self.may_go_next(index) {
            return Visit::Seen;
        }
        let operation = &self.operations[index];
        let Some(next_state) = self
            .model
            .step(&self.state, &operation.input, &operation.output)
        else {
            return Visit::Seen;
        };
        self.placed.insert(index);
        let state_heap_bytes = self.model.state_heap_bytes(&next_state) as u64;
        let visit = self
            .memo
            .first_visit(&self.placed, &next_state, state_heap_bytes);
        if visit != Visit::New {
            self.placed.remove(index);
            return visit;
        }
        self.states_before
            .push(std::mem::replace(&mut self.state, next_state));
        self.placed_in_order.push(index);
        self.timeline.lift(index);
        let progress = (
            self.placed.first_unplaced_returned(),
            self.placed.returned_placed,
        );
        if progress > self.furthest_progress {
            self.furthest_progress = progress;
            self.furthest_prefix.clone_from(&self.placed_in_order);
            self.furthest_state = self.state.clone();
        }
        Visit::New
    }

    /// Whether every operation that must precede this one is placed.
    fn may_go_next(&self, index: usize) -> bool {
        self.predecessors[index]
            .iter()
            .all(|&before| self.placed.contains(before))
    }

    /// Takes back the last operation placed, if any.
    fn undo_last(&mut self) -> Option<usize> {
        let index = self.placed_in_order.pop()?;
        self.state = self.states_before.pop()?;
        self.placed.remove(index);
        self.timeline.unlift(index);
        Some(index)
    }

    /// The evidence of a failed search: the furthest prefix and the operations due after
    /// it.
    fn not_linearizable(&self) -> SearchOutcome<M::State> {
        let operations = self.operations;
        let mut in_prefix = Bitset::new(operations.len());
        for &index in &self.furthest_prefix {
            in_prefix.insert(index);
        }
        let pending_returned = || {
            operations
                .iter()
                .enumerate()
                .filter(|(index, operation)| {
                    !in_prefix.contains(*index) && operation.return_ns.is_some()
                })
                .map(|(_, operation)| operation)
        };
        let earliest_deadline = pending_returned()
            .map(return_ns)
            .min()
            .expect("a failed search leaves a returned operation unplaced");
        let mut stuck: Vec<&Operation<M::Input, M::Output>> = pending_returned()
            .filter(|operation| operation.call_ns <= earliest_deadline)
            .collect();
        stuck.sort_by_key(|operation| (operation.call_ns, operation.id));
        debug_assert!(
            stuck.iter().all(|operation| {
                let must_wait = self.predecessors[operations
                    .iter()
                    .position(|candidate| std::ptr::eq(candidate, *operation))
                    .expect("a stuck operation is one of the operations")]
                .iter()
                .any(|&before| !in_prefix.contains(before));
                must_wait
                    || self
                        .model
                        .step(&self.furthest_state, &operation.input, &operation.output)
                        .is_none()
            }),
            "a returned operation due after the furthest prefix would have led further"
        );
        SearchOutcome::NotLinearizable {
            prefix: self
                .furthest_prefix
                .iter()
                .map(|&index| operations[index].id)
                .collect(),
            stuck: stuck.iter().map(|operation| operation.id).collect(),
            state: self.furthest_state.clone(),
        }
    }
}

/// When a returned operation's return counts: never before its call.
fn return_ns<I, O>(operation: &Operation<I, O>) -> u64 {
    operation
        .return_ns
        .map_or(u64::MAX, |return_ns| return_ns.max(operation.call_ns))
}

/// Which operations are placed, the returned ones and the optional ones apart: placing a
/// returned operation is progress, placing an optional one uses it up.
struct Placed {
    /// Indexed by position in order of return.
    returned: Bitset,
    optional: Bitset,
    /// Each operation's position among the returned operations in order of return, or
    /// among the optional operations.
    slot: Vec<usize>,
    is_returned: Vec<bool>,
    returned_placed: usize,
    returned_total: usize,
}

impl Placed {
    fn new<I, O>(operations: &[Operation<I, O>]) -> Self {
        let is_returned: Vec<bool> = operations
            .iter()
            .map(|operation| operation.return_ns.is_some())
            .collect();
        let (mut returned, optional): (Vec<usize>, Vec<usize>) =
            (0..operations.len()).partition(|&index| is_returned[index]);
        returned.sort_by_key(|&index| (return_ns(&operations[index]), index));
        let mut slot = vec![0; operations.len()];
        for positions in [&returned, &optional] {
            for (position, &index) in positions.iter().enumerate() {
                slot[index] = position;
            }
        }
        let (returned_total, optional_total) = (returned.len(), optional.len());
        Placed {
            returned: Bitset::new(returned_total),
            optional: Bitset::new(optional_total),
            slot,
            is_returned,
            returned_placed: 0,
            returned_total,
        }
    }

    fn insert(&mut self, index: usize) {
        if self.is_returned[index] {
            self.returned.insert(self.slot[index]);
            self.returned_placed += 1;
        } else {
            self.optional.insert(self.slot[index]);
        }
    }

    fn contains(&self, index: usize) -> bool {
        if self.is_returned[index] {
            self.returned.contains(self.slot[index])
        } else {
            self.optional.contains(self.slot[index])
        }
    }

    /// The position, in order of return, of the first returned operation not placed.
    fn first_unplaced_returned(&self) -> usize {
        self.returned.first_absent().min(self.returned_total)
    }

    fn remove(&mut self, index: usize) {
        if self.is_returned[index] {
            self.returned.remove(self.slot[index]);
            self.returned_placed -= 1;
        } else {
            self.optional.remove(self.slot[index]);
        }
    }
}

/// How many sets of optional operations the memo keeps per (returned operations, state):
/// a limit on the time a memo lookup takes. Forgetting a configuration is safe; it can
/// only mean exploring it again.
const MINIMAL_SETS_MAX: usize = 32;

/// The configurations the search has reached, to avoid exploring one twice.
///
/// A configuration is the returned operations placed, the optional operations placed, and
/// the model state. One that has the same returned operations and state as a configuration
/// reached before, and a superset of its optional operations placed, can do nothing that
/// one could not: its pending deadlines are the same (optional operations have none), it
/// has fewer optional operations left to place, and none is ever needed. So per (returned
/// operations, state) the memo keeps the minimal sets of optional operations seen.
///
/// Its memory is taken from a [`MemoryPool`] before each insertion and given back when
/// the memo is dropped.
struct Memo<'a, S> {
    /// Entries by the hash of their (operations placed, state): looked up by reference,
    /// so a configuration seen before costs a hash and a comparison, not a clone.
    seen: MemoTable<S>,
    /// The estimated bytes taken from `pool`.
    bytes: u64,
    pool: &'a MemoryPool,
}

type MemoTable<S> = HashMap<u64, Vec<MemoEntry<S>>, BuildHasherDefault<PrehashedHasher>>;

/// Memo tables at least this large are freed on a thread of their own (see
/// [`search_within`]).
const FREE_IN_BACKGROUND_BYTES: u64 = 64 << 20;

/// One configuration the search reached: the answered operations placed, the state, and
/// the minimal sets of optional operations it was reached with.
struct MemoEntry<S> {
    returned: Bitset,
    state: S,
    minimal_sets: Vec<Bitset>,
}

/// FxHash's multiply-and-rotate: fast, and good enough for keys that come from a history
/// rather than from an adversary (SipHash's protection would buy nothing here).
#[derive(Default)]
struct MemoHasher {
    hash: u64,
}

impl MemoHasher {
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for MemoHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            self.add(u64::from_le_bytes(chunk.try_into().expect("8 bytes")));
        }
        let mut last = [0u8; 8];
        last[..chunks.remainder().len()].copy_from_slice(chunks.remainder());
        self.add(u64::from_le_bytes(last) ^ bytes.len() as u64);
    }

    fn write_u8(&mut self, n: u8) {
        self.add(u64::from(n));
    }

    fn write_u32(&mut self, n: u32) {
        self.add(u64::from(n));
    }

    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }

    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }

    fn finish(&self) -> u64 {
        self.hash
    }
}

/// The memo's table is keyed by hashes already computed with [`MemoHasher`].
#[derive(Default)]
struct PrehashedHasher {
    hash: u64,
}

impl Hasher for PrehashedHasher {
    fn write(&mut self, _bytes: &[u8]) {
        unreachable!("the memo's keys are u64 hashes");
    }

    fn write_u64(&mut self, hash: u64) {
        self.hash = hash;
    }

    fn finish(&self) -> u64 {
        self.hash
    }
}

/// Whether a configuration is new to the memo.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Visit {
    New,
    Seen,
    /// New, but the memo may not grow to record it.
    OutOfMemory,
}

impl<'a, S: Clone + Eq + Hash> Memo<'a, S> {
    /// A table slot's estimated share of the table: see [`MemoryPool`].
    const SLOT_BYTES: u64 = (((std::mem::size_of::<(u64, Vec<MemoEntry<S>>)>() + 1) * 16)
        .div_ceil(7)
        + std::mem::size_of::<MemoEntry<S>>()) as u64;
    /// A set of optional operations in an entry's list, without its heap: see [`MemoryPool`].
    const SET_BYTES: u64 = 2 * std::mem::size_of::<Bitset>() as u64;

    fn new(pool: &'a MemoryPool) -> Self {
        Memo {
            seen: HashMap::default(),
            bytes: 0,
            pool,
        }
    }

    /// Hands the table over (to be freed elsewhere); the memory accounting is still
    /// released when the memo is dropped.
    fn take_table(&mut self) -> MemoTable<S> {
        std::mem::take(&mut self.seen)
    }

    /// How many configurations the memo holds.
    fn entries(&self) -> u64 {
        self.seen.values().map(|bucket| bucket.len() as u64).sum()
    }

    /// Records reaching `state` (which holds `state_heap_bytes` on the heap) with `placed`.
    fn first_visit(&mut self, placed: &Placed, state: &S, state_heap_bytes: u64) -> Visit {
        let set_bytes = Self::SET_BYTES + placed.optional.heap_bytes();
        let mut hasher = MemoHasher::default();
        placed.returned.hash(&mut hasher);
        state.hash(&mut hasher);
        // Sized for the one entry it will almost always hold (an empty Vec's first push
        // would make room for four, beyond what the memory estimate counts).
        let bucket = self
            .seen
            .entry(hasher.finish())
            .or_insert_with(|| Vec::with_capacity(1));
        let Some(entry) = bucket
            .iter_mut()
            .find(|entry| entry.returned == placed.returned && entry.state == *state)
        else {
            let bytes =
                Self::SLOT_BYTES + placed.returned.heap_bytes() + state_heap_bytes + set_bytes;
            if !self.pool.reserve(bytes) {
                return Visit::OutOfMemory;
            }
            self.bytes += bytes;
            bucket.push(MemoEntry {
                returned: placed.returned.clone(),
                state: state.clone(),
                minimal_sets: vec![placed.optional.clone()],
            });
            return Visit::New;
        };
        let minimal_sets = &mut entry.minimal_sets;
        if minimal_sets
            .iter()
            .any(|seen| seen.is_subset_of(&placed.optional))
        {
            return Visit::Seen;
        }
        let before = minimal_sets.len();
        minimal_sets.retain(|seen| !placed.optional.is_subset_of(seen));
        let removed = (before - minimal_sets.len()) as u64;
        let push = minimal_sets.len() < MINIMAL_SETS_MAX;
        // Every set of optional operations has the same size.
        self.pool.release(removed * set_bytes);
        self.bytes -= removed * set_bytes;
        if push {
            if !self.pool.reserve(set_bytes) {
                return Visit::OutOfMemory;
            }
            self.bytes += set_bytes;
            minimal_sets.push(placed.optional.clone());
        }
        Visit::New
    }
}

impl<S> Drop for Memo<'_, S> {
    fn drop(&mut self) {
        self.pool.release(self.bytes);
    }
}

#[derive(Clone, Copy, Debug)]
enum Event {
    Call(usize),
    Return,
    /// The sentinels at both ends of the list.
    End,
}

/// The call and return events of the unplaced operations, in time order, as a doubly
/// linked list over an array so that placing an operation (unlinking its events) and
/// undoing that (relinking them, in reverse order) are both constant time.
struct Timeline {
    /// Indexed by node; the head sentinel is node 0, the tail sentinel the last node.
    events: Vec<Event>,
    next: Vec<usize>,
    prev: Vec<usize>,
    call_node: Vec<usize>,
    return_node: Vec<Option<usize>>,
}

impl Timeline {
    fn new<I, O>(operations: &[Operation<I, O>]) -> Self {
        // (time, 0 for a call or 1 for a return, operation index): at equal times calls
        // come first, so operations whose intervals touch count as concurrent.
        let mut ordered: Vec<(u64, u8, usize)> = Vec::with_capacity(2 * operations.len());
        for (index, operation) in operations.iter().enumerate() {
            ordered.push((operation.call_ns, 0, index));
            if operation.return_ns.is_some() {
                ordered.push((return_ns(operation), 1, index));
            }
        }
        ordered.sort_unstable();

        let mut events = Vec::with_capacity(ordered.len() + 2);
        let mut call_node = vec![0; operations.len()];
        let mut return_node = vec![None; operations.len()];
        events.push(Event::End);
        for (_, kind, index) in ordered {
            let node = events.len();
            if kind == 0 {
                call_node[index] = node;
                events.push(Event::Call(index));
            } else {
                return_node[index] = Some(node);
                events.push(Event::Return);
            }
        }
        events.push(Event::End);
        let nodes = events.len();
        Timeline {
            events,
            next: (1..=nodes).collect(),
            prev: (0..nodes).map(|node| node.saturating_sub(1)).collect(),
            call_node,
            return_node,
        }
    }

    fn first(&self) -> usize {
        self.next[0]
    }

    fn unlink(&mut self, node: usize) {
        let (prev, next) = (self.prev[node], self.next[node]);
        self.next[prev] = next;
        self.prev[next] = prev;
    }

    /// Puts `node` back where it was; valid when undoing unlinks in reverse order.
    fn relink(&mut self, node: usize) {
        let (prev, next) = (self.prev[node], self.next[node]);
        self.next[prev] = node;
        self.prev[next] = node;
    }

    /// Takes an operation's events out of the list: it has been placed.
    fn lift(&mut self, index: usize) {
        self.unlink(self.call_node[index]);
        if let Some(node) = self.return_node[index] {
            self.unlink(node);
        }
    }

    /// Undoes the latest [`Timeline::lift`], which must have been of `index`.
    fn unlift(&mut self, index: usize) {
        if let Some(node) = self.return_node[index] {
            self.relink(node);
        }
        self.relink(self.call_node[index]);
    }
}

/// A set of small integers.
#[derive(Clone, PartialEq, Eq, Hash)]
struct Bitset(Box<[u64]>);

impl Bitset {
    fn new(len: usize) -> Self {
        Bitset(vec![0; len.div_ceil(64)].into_boxed_slice())
    }

    /// The bytes its words take on the heap.
    fn heap_bytes(&self) -> u64 {
        8 * self.0.len() as u64
    }

    fn insert(&mut self, index: usize) {
        self.0[index / 64] |= 1 << (index % 64);
    }

    fn remove(&mut self, index: usize) {
        self.0[index / 64] &= !(1 << (index % 64));
    }

    fn contains(&self, index: usize) -> bool {
        self.0[index / 64] & (1 << (index % 64)) != 0
    }

    /// The smallest integer not in the set.
    fn first_absent(&self) -> usize {
        self.0
            .iter()
            .position(|&word| word != u64::MAX)
            .map_or(64 * self.0.len(), |word| {
                64 * word + self.0[word].trailing_ones() as usize
            })
    }

    fn is_subset_of(&self, other: &Bitset) -> bool {
        self.0
            .iter()
            .zip(other.0.iter())
            .all(|(mine, theirs)| mine & !theirs == 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A register holding one number; `None` as an output means no answer came.
    struct Register;

    #[derive(Clone, Copy, Debug)]
    enum Call {
        Read,
        Write(u8),
    }

    impl Model for Register {
        type State = u8;
        type Input = Call;
        type Output = Option<u8>;

        fn init(&self) -> u8 {
            0
        }

        fn step(&self, state: &u8, input: &Call, output: &Option<u8>) -> Option<u8> {
            match (input, output) {
                (Call::Read, Some(seen)) => (seen == state).then_some(*state),
                (Call::Read, None) => Some(*state),
                (Call::Write(value), _) => Some(*value),
            }
        }

        fn describe_state(&self, state: &u8) -> String {
            state.to_string()
        }

        fn describe_operation(&self, input: &Call, output: &Option<u8>) -> String {
            match input {
                Call::Read => format!("read {output:?}"),
                Call::Write(value) => format!("write {value}"),
            }
        }
    }

    fn op(
        id: u64,
        call_ns: u64,
        return_ns: Option<u64>,
        input: Call,
    ) -> Operation<Call, Option<u8>> {
        // A write's output says nothing; a read's is given by `read`.
        Operation {
            id,
            client: id,
            call_ns,
            return_ns,
            input,
            output: None,
        }
    }

    fn read(id: u64, call_ns: u64, return_ns: u64, seen: u8) -> Operation<Call, Option<u8>> {
        Operation {
            id,
            client: id,
            call_ns,
            return_ns: Some(return_ns),
            input: Call::Read,
            output: Some(seen),
        }
    }

    fn outcome(operations: &[Operation<Call, Option<u8>>]) -> SearchOutcome<u8> {
        search(&Register, operations, 1_000_000).outcome
    }

    #[test]
    fn returns_an_order_that_respects_the_model() {
        // The writes are sequential; the read of 2 overlaps both, so it goes after the
        // second, and a read starting after the second write returned cannot see 1.
        let operations = [
            op(0, 0, Some(10), Call::Write(1)),
            read(1, 5, 30, 2),
            op(2, 12, Some(20), Call::Write(2)),
            read(3, 25, 40, 1),
        ];
        assert_eq!(
            outcome(&operations),
            SearchOutcome::NotLinearizable {
                prefix: vec![0, 2, 1],
                stuck: vec![3],
                state: 2
            }
        );
        let operations = [
            op(0, 0, Some(10), Call::Write(1)),
            read(1, 5, 30, 1),
            op(2, 12, Some(20), Call::Write(2)),
            read(3, 25, 40, 2),
        ];
        assert_eq!(
            outcome(&operations),
            SearchOutcome::Linearizable {
                order: vec![0, 1, 2, 3]
            }
        );
    }

    #[test]
    fn intervals_touching_at_one_instant_are_concurrent() {
        let operations = [op(0, 0, Some(10), Call::Write(1)), read(1, 10, 20, 0)];
        assert_eq!(
            outcome(&operations),
            SearchOutcome::Linearizable { order: vec![1, 0] }
        );
        let operations = [op(0, 0, Some(10), Call::Write(1)), read(1, 11, 20, 0)];
        assert!(matches!(
            outcome(&operations),
            SearchOutcome::NotLinearizable { .. }
        ));
    }

    #[test]
    fn an_operation_without_return_may_be_left_out_or_take_effect_late() {
        let never = [op(0, 0, None, Call::Write(1)), read(1, 50, 60, 0)];
        assert_eq!(
            outcome(&never),
            SearchOutcome::Linearizable { order: vec![1] }
        );
        let late = [
            read(0, 50, 60, 0),
            op(1, 0, None, Call::Write(1)),
            read(2, 100, 110, 1),
        ];
        assert_eq!(
            outcome(&late),
            SearchOutcome::Linearizable {
                order: vec![0, 1, 2]
            }
        );
        let before_call = [read(0, 0, 10, 1), op(1, 20, None, Call::Write(1))];
        assert!(matches!(
            outcome(&before_call),
            SearchOutcome::NotLinearizable { .. }
        ));
    }

    #[test]
    fn a_return_recorded_before_its_call_counts_as_at_the_call() {
        let operations = [op(0, 10, Some(5), Call::Write(1)), read(1, 10, 12, 1)];
        assert!(matches!(
            outcome(&operations),
            SearchOutcome::Linearizable { .. }
        ));
    }

    #[test]
    fn stops_when_the_budget_runs_out() {
        let operations: Vec<_> = (0..8)
            .map(|id| op(id, 0, Some(100), Call::Write(id as u8)))
            .collect();
        let search = search(&Register, &operations, 3);
        assert_eq!(
            search.outcome,
            SearchOutcome::OutOfBudget {
                limit: Limit::Steps
            }
        );
        assert_eq!(search.steps, 3);
    }

    /// Whether `order` (operation ids, which are indices here) is a linearization:
    /// every returned operation in it, real time respected, the model accepting each.
    fn is_witness(operations: &[Operation<Call, Option<u8>>], order: &[u64]) -> bool {
        let all_returned_placed = operations
            .iter()
            .all(|operation| operation.return_ns.is_none() || order.contains(&operation.id));
        let respects_real_time = order.iter().enumerate().all(|(position, &earlier)| {
            order[position + 1..].iter().all(|&later| {
                operations[later as usize]
                    .return_ns
                    .is_none_or(|ret| ret >= operations[earlier as usize].call_ns)
            })
        });
        let mut state = Register.init();
        let accepted = order.iter().all(|&id| {
            let operation = &operations[id as usize];
            match Register.step(&state, &operation.input, &operation.output) {
                Some(next) => {
                    state = next;
                    true
                }
                None => false,
            }
        });
        all_returned_placed && respects_real_time && accepted
    }

    fn random_operation() -> impl Strategy<Value = (u64, Option<u64>, Call, u8)> {
        (
            0..30u64,
            prop::option::weighted(0.8, 0..10u64),
            prop_oneof![Just(Call::Read), (0..3u8).prop_map(Call::Write)],
            0..3u8,
        )
    }

    proptest! {
        /// Both candidate orders search the same space: they must agree, and a
        /// linearization either finds must be one.
        #[test]
        fn both_candidate_orders_reach_the_same_verdict(
            drawn in prop::collection::vec(random_operation(), 0..9)
        ) {
            let operations: Vec<_> = drawn
                .into_iter()
                .enumerate()
                .map(|(id, (call_ns, duration_ns, input, seen))| {
                    // A read without an answer tells nothing: reads always return.
                    let (return_ns, output) = match input {
                        Call::Read => (Some(call_ns + duration_ns.unwrap_or(0)), Some(seen)),
                        Call::Write(_) => (duration_ns.map(|duration_ns| call_ns + duration_ns), None),
                    };
                    Operation { id: id as u64, client: 0, call_ns, return_ns, input, output }
                })
                .collect();
            let verdicts: Vec<Option<bool>> = [Order::CallOrder, Order::ReturnedFirst]
                .into_iter()
                .map(|order| {
                    let pool = MemoryPool::new(u64::MAX);
                    let predecessors = predecessors(&Register, &operations);
                    let decided = Searcher::new(&Register, &operations, &predecessors, order, &pool)
                        .run(u64::MAX)
                        .0;
                    match decided {
                        Some(SearchOutcome::Linearizable { order }) => {
                            assert!(is_witness(&operations, &order), "{order:?}");
                            Some(true)
                        }
                        Some(SearchOutcome::NotLinearizable { stuck, .. }) => {
                            assert!(!stuck.is_empty());
                            Some(false)
                        }
                        Some(SearchOutcome::OutOfBudget { .. } | SearchOutcome::Cancelled) | None => None,
                    }
                })
                .collect();
            prop_assert!(verdicts[0].is_some());
            prop_assert_eq!(verdicts[0], verdicts[1]);
        }
    }
}
