//! The delaying relay: a round trip costs the configured RTT (plus one for the TCP handshake on
//! the first exchange), chunks are pipelined rather than delayed one after another, and bytes
//! arrive intact and in order, closes included. Bounds are generous above (a loaded machine is
//! slow) and exact below (the relay must never be faster than the network it stands for).

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use getavatar_emulator::DelayRelay;

/// An echo server on loopback.
fn echo_server() -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { continue };
            thread::spawn(move || {
                let _ = s.set_nodelay(true);
                let mut buf = [0u8; 16 * 1024];
                loop {
                    match s.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => {
                            if s.write_all(&buf[..n]).is_err() {
                                return;
                            }
                        }
                    }
                }
                let _ = s.shutdown(Shutdown::Write);
            });
        }
    });
    addr
}

fn exchange(s: &mut TcpStream, msg: &[u8]) -> Duration {
    let t = Instant::now();
    s.write_all(msg).unwrap();
    let mut got = vec![0u8; msg.len()];
    s.read_exact(&mut got).unwrap();
    assert_eq!(got, msg);
    t.elapsed()
}

#[test]
fn a_round_trip_costs_the_rtt_and_the_first_one_pays_for_the_tcp_handshake() {
    let rtt = Duration::from_millis(100);
    let relay = DelayRelay::start(echo_server(), rtt).unwrap();
    let t = Instant::now();
    let mut s = TcpStream::connect(relay.addr()).unwrap();
    s.set_nodelay(true).unwrap();
    exchange(&mut s, b"hello");
    let first = t.elapsed();
    assert!(
        first >= 2 * rtt && first < 2 * rtt + Duration::from_millis(150),
        "connect and first exchange: {first:?}"
    );
    for _ in 0..3 {
        let d = exchange(&mut s, b"again");
        assert!(
            d >= rtt && d < rtt + Duration::from_millis(100),
            "warm exchange: {d:?}"
        );
    }
    assert_eq!(relay.connections(), 1);
    relay.set_rtt(Duration::from_millis(40));
    relay.set_connect_rtts(0);
    let t = Instant::now();
    let mut s = TcpStream::connect(relay.addr()).unwrap();
    let d = exchange(&mut s, b"x");
    assert!(
        d >= Duration::from_millis(40) && t.elapsed() < Duration::from_millis(40 + 100),
        "no handshake round trip: {d:?}"
    );
    assert_eq!(relay.rtt(), Duration::from_millis(40));
}

#[test]
fn chunks_in_flight_are_pipelined_not_serialised() {
    // Five chunks 30 ms apart over a 300 ms RTT: each comes back 300 ms after it was sent, so
    // the last is back after about 120 + 300 ms, not 5 x 300 ms.
    let rtt = Duration::from_millis(300);
    let relay = DelayRelay::start(echo_server(), rtt).unwrap();
    relay.set_connect_rtts(0);
    let mut s = TcpStream::connect(relay.addr()).unwrap();
    s.set_nodelay(true).unwrap();
    let mut r = s.try_clone().unwrap();
    let start = Instant::now();
    let reader = thread::spawn(move || {
        let mut back = Vec::new();
        for _ in 0..5 {
            let mut b = [0u8; 1];
            r.read_exact(&mut b).unwrap();
            back.push((b[0], Instant::now()));
        }
        back
    });
    let mut sent = Vec::new();
    for i in 0..5u8 {
        sent.push(Instant::now());
        s.write_all(&[i]).unwrap();
        thread::sleep(Duration::from_millis(30));
    }
    let back = reader.join().unwrap();
    for (i, (b, at)) in back.iter().enumerate() {
        assert_eq!(*b as usize, i, "in order");
        assert!(*at - sent[i] >= rtt, "chunk {i} came back early");
    }
    let total = back[4].1 - start;
    assert!(
        total < Duration::from_millis(120 + 300 + 150),
        "serialised: {total:?}"
    );
}

#[test]
fn bytes_arrive_intact_and_in_order_and_closes_pass_through() {
    let relay = DelayRelay::start(echo_server(), Duration::from_millis(10)).unwrap();
    let mut s = TcpStream::connect(relay.addr()).unwrap();
    let data: Vec<u8> = (0..3_000_000u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    let mut r = s.try_clone().unwrap();
    let reader = thread::spawn(move || {
        let mut got = Vec::new();
        r.read_to_end(&mut got).unwrap(); // ends when the echo server's close comes through
        got
    });
    // Writes of varying sizes, then a half-close the echo server answers by closing.
    let mut off = 0;
    let mut k = 1;
    while off < data.len() {
        let n = (k * 7919 % 70_000 + 1).min(data.len() - off);
        s.write_all(&data[off..off + n]).unwrap();
        off += n;
        k += 1;
    }
    s.shutdown(Shutdown::Write).unwrap();
    let got = reader.join().unwrap();
    assert_eq!(got.len(), data.len());
    assert!(got == data, "bytes changed or reordered");
}

#[test]
fn a_target_that_refuses_resets_the_client() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = l.local_addr().unwrap();
    drop(l);
    let relay = DelayRelay::start(dead, Duration::from_millis(10)).unwrap();
    let mut s = TcpStream::connect(relay.addr()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut b = [0u8; 1];
    assert!(matches!(s.read(&mut b), Ok(0) | Err(_)));
}
