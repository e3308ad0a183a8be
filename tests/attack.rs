//! Misuse found by the tester, through the public API against the emulator. Each test failed on
//! the code before its fix. Times are asserted generously, never to the millisecond.

use std::time::{Duration, Instant};

use getavatar::{Cancel, Client, GaStatus};
use getavatar_emulator::{Config, Emulator};

/// Cancelled calls that were still waiting for the rate limit give their slots back: they sent
/// nothing, so the server cannot count them. Before, 60 cancelled waits at 10 per second kept
/// 60 slots reserved and the next lookup waited about 6 s for a request that never went out.
#[test]
fn cancelled_waits_give_their_rate_limit_slots_back() {
    let emu = Emulator::start(Config {
        rate_limit: 10,
        ..Config::default()
    })
    .unwrap();
    let c = Client::new(&emu.url(), &emu.id_instance(), &emu.token()).unwrap();
    c.set_rate_limit(10).unwrap();
    c.set_cache_ttl(Duration::ZERO).unwrap();
    let cancel = Cancel::new();
    let statuses: Vec<GaStatus> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..70)
            .map(|_| s.spawn(|| c.get_avatar_cancellable("20000000", &cancel)))
            .collect();
        // Ten go out at once; the other sixty wait for slots up to six seconds away.
        std::thread::sleep(Duration::from_millis(500));
        cancel.cancel();
        hs.into_iter()
            .map(|h| match h.join().unwrap() {
                Ok(_) => GaStatus::GA_OK,
                Err(e) => e.status,
            })
            .collect()
    });
    let sent = statuses.iter().filter(|s| **s == GaStatus::GA_OK).count();
    assert!(sent >= 10, "{statuses:?}");
    assert!(
        statuses
            .iter()
            .all(|s| matches!(s, GaStatus::GA_OK | GaStatus::GA_ERR_CANCELLED)),
        "{statuses:?}"
    );
    assert_eq!(emu.request_count(), sent, "a cancelled wait sends nothing");
    // The ten sent requests hold their slots for a second; nothing else should.
    let t = Instant::now();
    let a = c.get_avatar("10000000").unwrap();
    let waited = t.elapsed();
    assert!(a.url.contains("10000000"));
    assert!(
        waited < Duration::from_secs(3),
        "the next lookup waited {waited:?} for slots of calls that were cancelled"
    );
    // And the limiter still kept it a window after the first of the ten sent requests (a
    // released slot must not let it go early). Arrival times carry each request's scheduling and
    // socket delay, so the margin here is generous; a lookup let out at once would arrive about
    // 500 ms after the first. Under load the server may have answered it 429 and the client
    // retried: the first arrival is the one that counts.
    let log = emu.requests();
    let first = log.iter().map(|r| r.at).min().unwrap();
    let next = log
        .iter()
        .find(|r| r.chat_id.as_deref() == Some("10000000"))
        .unwrap()
        .at;
    assert!(
        next - first >= Duration::from_millis(900),
        "the next lookup arrived {:?} after the first of the ten",
        next - first
    );
}
