//! The worker's scheduling rule: one refresh at a time, and the latest request wins — a request
//! that arrives during a refresh replaces any still waiting, so hovering never piles up work.

/// Latest-wins queue of requests for one worker.
#[derive(Debug)]
pub struct Latest<T> {
    running: bool,
    pending: Option<T>,
}

impl<T> Default for Latest<T> {
    fn default() -> Self {
        Latest {
            running: false,
            pending: None,
        }
    }
}

impl<T> Latest<T> {
    /// Offers a request: returned when the worker is idle (the caller starts it, and the worker
    /// counts as running), else kept as the next one (replacing an older waiting one).
    pub fn submit(&mut self, request: T) -> Option<T> {
        if self.running {
            self.pending = Some(request);
            None
        } else {
            self.running = true;
            Some(request)
        }
    }

    /// A refresh finished: the request to run next, or `None` (the worker is idle again).
    pub fn finish(&mut self) -> Option<T> {
        let next = self.pending.take();
        self.running = next.is_some();
        next
    }

    /// Whether a newer request waits: the running refresh should stop early.
    pub fn superseded(&self) -> bool {
        self.pending.is_some()
    }

    /// Whether a refresh is running.
    pub fn running(&self) -> bool {
        self.running
    }
}

/// Latest-wins for jobs that overlap rather than queue (model loads: a download takes seconds, and
/// the visitor may pick another model meanwhile). Each start takes a ticket; only the newest
/// ticket's job may finish, and older ones stop at their next check, so two loads never build
/// two models at once and the last one asked for is the one in use.
#[derive(Debug, Default)]
pub struct Tickets {
    newest: u64,
}

impl Tickets {
    /// A new job starts: its ticket, which makes every older one stale.
    pub fn take(&mut self) -> u64 {
        self.newest += 1;
        self.newest
    }

    /// Whether `ticket` is still the newest.
    pub fn is_current(&self, ticket: u64) -> bool {
        ticket == self.newest
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_latest_request_wins() {
        let mut q = Latest::default();
        assert_eq!(q.submit(1), Some(1));
        assert!(q.running() && !q.superseded());
        assert_eq!(q.submit(2), None);
        assert_eq!(q.submit(3), None);
        assert!(q.superseded());
        // 2 never runs.
        assert_eq!(q.finish(), Some(3));
        assert!(q.running() && !q.superseded());
        assert_eq!(q.finish(), None);
        assert!(!q.running());
        assert_eq!(q.submit(4), Some(4));
    }

    #[test]
    fn only_the_newest_ticket_may_finish() {
        let mut t = Tickets::default();
        let a = t.take();
        assert!(t.is_current(a));
        let b = t.take();
        // a's job learns it is stale at its next check, whatever order the two finish in.
        assert!(!t.is_current(a) && t.is_current(b));
        let c = t.take();
        assert!(!t.is_current(b) && t.is_current(c));
        assert!(!t.is_current(0));
    }
}
