//! The control API, `/__emulator/...`, for other processes (Python, Wine tests): queue faults,
//! read the request log and the counters, reset, change the configuration.

use std::time::Duration;

use serde_json::{json, Value};

use crate::wire::{Conn, Request};
use crate::{lock, reset, AvatarEntry, Fault, State};

/// Answers the control command `cmd` (the path after `/__emulator/`): 200 with JSON, 400 with
/// `{"error": ...}` for a bad request, 404 for an unknown command. False when the connection
/// failed.
pub(crate) fn control(st: &State, cmd: &str, req: &Request, c: &mut Conn) -> bool {
    let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
    let result = match cmd {
        "faults" => queue_faults(st, body),
        "requests" => Ok(request_log(st)),
        "reset" => {
            reset(st);
            Ok(json!({"reset": true}))
        }
        "counters" => Ok(st.counters.get().to_json()),
        "config" => Ok(configure(st, &body)),
        _ => return c.respond(404, "text/plain", b"unknown emulator command", &[]),
    };
    match result {
        Ok(v) => c.json(200, &v.to_string()),
        Err(m) => c.json(400, &json!({"error": m}).to_string()),
    }
}

/// `POST faults`: queues one fault description or an array of them (all or none), each for
/// getAvatar requests or, with `"target": "image"`, for image requests.
fn queue_faults(st: &State, body: Value) -> Result<Value, String> {
    let list = match body {
        Value::Array(a) => a,
        v => vec![v],
    };
    let mut parsed = Vec::new();
    for v in &list {
        let image = match v.get("target").and_then(Value::as_str) {
            None | Some("api") => false,
            Some("image") => true,
            Some(t) => return Err(format!("unknown fault target {t:?}")),
        };
        let (f, n) = Fault::from_json(v)?;
        parsed.push((image, f, n));
    }
    let (mut api, mut img) = (lock(&st.faults), lock(&st.image_faults));
    for (image, f, n) in parsed {
        let q = if image { &mut img } else { &mut api };
        for _ in 0..n {
            q.push_back(f.clone());
        }
    }
    Ok(json!({"queued": api.len(), "queued_image": img.len()}))
}

/// `GET requests`: the getAvatar requests and the image requests received so far.
fn request_log(st: &State) -> Value {
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    // In arrival order, as `Emulator::requests`.
    let mut log = lock(&st.log).clone();
    log.sort_by_key(|r| r.at);
    let items: Vec<Value> = log
        .iter()
        .map(|r| json!({"at_ms": ms(r.at), "method": r.method, "chat_id": r.chat_id, "status": r.status, "user_agent": r.user_agent}))
        .collect();
    let images: Vec<Value> = lock(&st.image_log)
        .iter()
        .map(|r| json!({"at_ms": ms(r.at), "method": r.method, "path": r.path, "status": r.status}))
        .collect();
    json!({"count": log.len(), "requests": items, "images": images})
}

/// `POST config`: sets what the body gives of `rate_limit`, `quota` (null = none),
/// `accept_delay_ms`, `tls_delay_ms` and `avatars`; answers the resulting settings.
fn configure(st: &State, body: &Value) -> Value {
    let mut c = lock(&st.config);
    if let Some(n) = body.get("rate_limit").and_then(Value::as_u64) {
        c.rate_limit = n as u32;
    }
    if let Some(q) = body.get("quota") {
        c.quota = q.as_u64();
    }
    if let Some(ms) = body.get("accept_delay_ms").and_then(Value::as_u64) {
        c.accept_delay = Duration::from_millis(ms);
    }
    if let Some(ms) = body.get("tls_delay_ms").and_then(Value::as_u64) {
        c.tls_delay = Duration::from_millis(ms);
    }
    if let Some(a) = body.get("avatars").and_then(Value::as_object) {
        let mut av = lock(&st.avatars);
        for (k, v) in a {
            let entry = AvatarEntry {
                url: v.get("url").and_then(Value::as_str).unwrap_or("").into(),
                available: v.get("available").and_then(Value::as_bool),
            };
            av.insert(k.clone(), entry);
        }
    }
    json!({"rate_limit": c.rate_limit, "quota": c.quota,
        "accept_delay_ms": c.accept_delay.as_millis() as u64,
        "tls_delay_ms": c.tls_delay.as_millis() as u64})
}
