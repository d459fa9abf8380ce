//! The sequential specification a history is checked against, and the shape of one
//! operation as the checker sees it.
//!
//! A [`Model`] says what a single object (for the KV store: one key) does when operations
//! are applied to it one at a time. The linearizability checker searches for an order of
//! a history's operations, consistent with real time, in which the model accepts every
//! operation with the output the client actually saw.

use std::hash::Hash;

/// A sequential specification, in the spirit of Porcupine's models.
///
/// [`Model::step`] must be pure: the checker calls it many times on the same state while
/// it backtracks, and merges search branches that reach equal states, so the state must
/// hold everything that influences later steps and nothing else.
pub trait Model {
    /// What the object remembers between operations. Two equal states must accept exactly
    /// the same futures: the checker prunes a branch whose (linearized operations, state)
    /// pair it has seen before.
    type State: Clone + Eq + Hash;
    /// A request, as the client sent it.
    type Input;
    /// What the client observed; models of systems whose calls can time out include a
    /// case for "no answer".
    type Output;

    /// The state before any operation.
    fn init(&self) -> Self::State;

    /// The state after `input` took effect on `state` and produced `output`, or `None` if
    /// the object could not have produced that output from that state.
    fn step(
        &self,
        state: &Self::State,
        input: &Self::Input,
        output: &Self::Output,
    ) -> Option<Self::State>;

    /// The state in words, for evidence a person reads.
    fn describe_state(&self, state: &Self::State) -> String;

    /// An operation and its output in words, for evidence a person reads.
    fn describe_operation(&self, input: &Self::Input, output: &Self::Output) -> String;

    /// An estimate of the heap memory `state` owns, in bytes (not counting
    /// `size_of::<Self::State>()` itself): the checker's memory limit counts it for every
    /// state its memo keeps. None by default, right for states without heap data.
    fn state_heap_bytes(&self, _state: &Self::State) -> usize {
        0
    }

    /// Orders that every linearization must respect, read off what the operations
    /// returned (a get that saw an append's suffix came after that append). The search
    /// treats them as it treats real time, so it never tries an order that the values
    /// already rule out: for models whose states record their history (appends), that is
    /// what makes many concurrent clients tractable. Orders whose `before` has no return
    /// are ignored.
    ///
    /// Only orders that hold in *every* linearization may be listed: one that does not
    /// would make a linearizable history look like a violation. None by default.
    fn implied_order(
        &self,
        _operations: &[Operation<Self::Input, Self::Output>],
    ) -> Vec<ImpliedOrder> {
        Vec::new()
    }
}

/// One operation of a (single-object) history, prepared for the checker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Operation<I, O> {
    /// The id the operation has in the recorded history; evidence names operations by it.
    pub id: u64,
    /// Who made the call (a client; a process in Jepsen's histories): evidence and
    /// timelines show it, the search does not look at it.
    pub client: u64,
    /// When the client issued the call: the operation took effect no earlier.
    pub call_ns: u64,
    /// When the answer arrived: the operation took effect no later, and must be part of
    /// every linearization. `None` when no answer came: then it may have taken effect at
    /// any time after the call, or never, so a linearization may leave it out.
    pub return_ns: Option<u64>,
    pub input: I,
    pub output: O,
}

/// Two operations that every linearization places in this order, because of what a third
/// one returned (see [`Model::implied_order`]); all three are positions in the history.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ImpliedOrder {
    pub before: usize,
    pub after: usize,
    /// The operation whose output shows it (it may be `before` or `after` itself).
    pub shown_by: usize,
}
