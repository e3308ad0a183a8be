//! A bounded, thread-safe cache of successful answers per chat id, with a time to live, least
//! recently used evicted first. Errors are never cached.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::answer::response::Avatar;

/// Most chat ids kept.
pub const CAPACITY: usize = 10_000;

/// See the module documentation.
#[derive(Debug)]
pub struct Cache {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    ttl: Duration,
    capacity: usize,
    tick: u64,
    entries: HashMap<String, (Avatar, Instant, u64)>,
    order: BTreeMap<u64, String>,
}

impl Cache {
    /// An empty cache, off (TTL 0), holding at most `capacity` chat ids.
    pub fn new(capacity: usize) -> Cache {
        Cache {
            inner: Mutex::new(Inner {
                capacity,
                ..Inner::default()
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Sets the time to live (zero turns the cache off) and empties the cache.
    pub fn set_ttl(&self, ttl: Duration) {
        let mut c = self.lock();
        c.ttl = ttl;
        c.entries.clear();
        c.order.clear();
    }

    /// A fresh answer for `chat_id`, if any.
    pub fn get(&self, chat_id: &str) -> Option<Avatar> {
        let mut c = self.lock();
        if c.ttl.is_zero() {
            return None;
        }
        let now = Instant::now();
        let (fresh, old_tick) = match c.entries.get(chat_id) {
            None => return None,
            Some((_, expires, tick)) => (*expires > now, *tick),
        };
        c.order.remove(&old_tick);
        if !fresh {
            c.entries.remove(chat_id);
            return None;
        }
        c.tick += 1;
        let tick = c.tick;
        c.order.insert(tick, chat_id.to_string());
        let e = c.entries.get_mut(chat_id).expect("present");
        e.2 = tick;
        Some(e.0.clone())
    }

    /// Keeps a successful answer for the TTL.
    pub fn put(&self, chat_id: &str, avatar: &Avatar) {
        let mut c = self.lock();
        if c.ttl.is_zero() || c.capacity == 0 {
            return;
        }
        c.tick += 1;
        let (tick, expires) = (c.tick, Instant::now() + c.ttl);
        if let Some((_, _, old)) = c
            .entries
            .insert(chat_id.to_string(), (avatar.clone(), expires, tick))
        {
            c.order.remove(&old);
        }
        c.order.insert(tick, chat_id.to_string());
        while c.entries.len() > c.capacity {
            let (_, oldest) = c.order.pop_first().expect("order tracks entries");
            c.entries.remove(&oldest);
        }
    }

    /// Forgets `chat_id` (e.g. when its avatar link stopped working).
    pub fn remove(&self, chat_id: &str) {
        let mut c = self.lock();
        if let Some((_, _, tick)) = c.entries.remove(chat_id) {
            c.order.remove(&tick);
        }
    }

    /// How many chat ids are kept.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    /// Whether nothing is kept.
    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(url: &str) -> Avatar {
        Avatar {
            url: url.into(),
            available: Some(true),
        }
    }

    #[test]
    fn off_by_default_then_ttl_and_lru() {
        let c = Cache::new(3);
        c.put("1", &a("x"));
        assert_eq!(c.get("1"), None, "off by default");
        c.set_ttl(Duration::from_millis(200));
        for id in ["1", "2", "3"] {
            c.put(id, &a(id));
        }
        assert_eq!(c.get("1"), Some(a("1"))); // 1 is now the most recently used
        c.put("4", &a("4")); // evicts 2, the least recently used
        assert_eq!(c.len(), 3);
        assert_eq!(c.get("2"), None);
        assert_eq!(c.get("1"), Some(a("1")));
        assert_eq!(c.get("4"), Some(a("4")));
        std::thread::sleep(Duration::from_millis(250));
        assert_eq!(c.get("1"), None, "expired");
        assert_eq!(c.get("3"), None);
        c.put("5", &a("5"));
        c.set_ttl(Duration::ZERO);
        assert!(c.is_empty(), "turning it off empties it");
    }
}
