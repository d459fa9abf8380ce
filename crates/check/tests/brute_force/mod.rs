//! The brute-force oracle the checker is tested against: written independently of the
//! search and the models, as plainly as possible.

/// Whether some order of the operations respects real time and takes every answered one,
/// each unanswered one taking effect at most once or not at all. `times[i]` is operation
/// i's call and, if it answered, its return; `after(i, state)` is every state operation i
/// can leave behind from `state` (none: it cannot go there).
pub fn some_order_works<S>(
    times: &[(u64, Option<u64>)],
    initial: S,
    after: impl Fn(usize, &S) -> Vec<S>,
) -> bool {
    let mut placed = vec![false; times.len()];
    search(times, &mut placed, &initial, &after)
}

fn search<S>(
    times: &[(u64, Option<u64>)],
    placed: &mut Vec<bool>,
    state: &S,
    after: &impl Fn(usize, &S) -> Vec<S>,
) -> bool {
    let answered_left = (0..times.len()).any(|i| !placed[i] && times[i].1.is_some());
    if !answered_left {
        return true; // the unanswered calls left over never took effect
    }
    for next in 0..times.len() {
        if placed[next] {
            continue;
        }
        // It cannot go before an unplaced operation that returned before it was called.
        let too_early = (0..times.len())
            .any(|other| !placed[other] && times[other].1.is_some_and(|ret| ret < times[next].0));
        if too_early {
            continue;
        }
        for next_state in after(next, state) {
            placed[next] = true;
            let works = search(times, placed, &next_state, after);
            placed[next] = false;
            if works {
                return true;
            }
        }
    }
    false
}
