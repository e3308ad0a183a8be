//! The API's behaviour: getAvatar's answers (credentials, method, rate limit, quota, body
//! validation, the chat ids it knows), its request log, and the avatar images with their
//! redirect hops.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use crate::fault::apply_fault;
use crate::wire::{Answer, Conn, Request};
use crate::{lock, AvatarEntry, Config, Record, State, AVATAR_PNG};

/// A status and a JSON (or plain text) body.
type Reply = (u16, String);

/// The most getAvatar requests the log keeps.
const MAX_LOG: usize = 2_000_000;
/// The most image requests the image log keeps.
const MAX_IMAGE_LOG: usize = 100_000;

/// What the emulator answers for the chat ids it knows (see the crate's documentation).
pub(crate) fn default_avatars() -> HashMap<String, AvatarEntry> {
    let e = |url: &str, available| AvatarEntry {
        url: url.into(),
        available,
    };
    HashMap::from([
        (
            "10000000".into(),
            e("{base}/avatars/10000000.png", Some(true)),
        ),
        (
            "-10000000000000".into(),
            e("{base}/avatars/-10000000000000.png", Some(true)),
        ),
        ("20000000".into(), e("", Some(true))),
        ("30000000".into(), e("", Some(false))),
        ("40000000".into(), e("{base}/avatars/40000000.png", None)),
    ])
}

/// Answers a request on the method's route, through the fault queue; false when the connection
/// must close.
pub(crate) fn get_avatar(st: &State, req: &Request, path: &str, c: &mut Conn) -> bool {
    let at = req.arrived.saturating_duration_since(st.started);
    let over_limit = arrive(st, req.arrived);
    let fault = lock(&st.faults).pop_front();
    // Decide the answer first and log it before replying, so a client that has its answer
    // always finds its request in the log.
    let normal = match &fault {
        Some(f) if !f.uses_normal_answer() => (0, String::new()),
        _ => answer(st, req, path, over_limit),
    };
    let status = fault.as_ref().map_or(normal.0, |f| f.status(normal.0));
    if status == 429 {
        st.counters.too_many.fetch_add(1, Ordering::SeqCst);
    }
    let chat_id = serde_json::from_slice::<Value>(&req.body)
        .ok()
        .and_then(|v| v.get("chatId").and_then(Value::as_str).map(str::to_string));
    let mut log = lock(&st.log);
    if log.len() < MAX_LOG {
        log.push(record(req, at, chat_id, status));
    }
    drop(log);
    match fault {
        Some(f) => apply_fault(f, Answer::json(normal), c, &st.stop),
        None => c.json(normal.0, &normal.1),
    }
}

/// The log's record of `req`.
fn record(req: &Request, at: Duration, chat_id: Option<String>, status: u16) -> Record {
    Record {
        at,
        method: req.method.clone(),
        path: req.path.clone(),
        chat_id,
        status,
        user_agent: req.user_agent.clone(),
    }
}

/// Counts a getAvatar request that arrived at `at`; true when it puts more than the rate limit
/// in some rolling second. Threads may handle arrivals a little out of order, so the arrivals are
/// kept sorted (two seconds of them) and every second that holds `at` is checked: the one ending
/// at it, and those ending at later arrivals already counted.
fn arrive(st: &State, at: Instant) -> bool {
    st.counters.requests.fetch_add(1, Ordering::SeqCst);
    let limit = lock(&st.config).rate_limit as usize;
    let mut win = lock(&st.window);
    let second = Duration::from_secs(1);
    while win
        .front()
        .is_some_and(|t| at.saturating_duration_since(*t) >= 2 * second)
    {
        win.pop_front();
    }
    let i = win.partition_point(|t| *t <= at);
    win.insert(i, at);
    // Arrivals in the second up to and including win[j].
    let in_second_to = |j: usize| {
        let end = win[j];
        j + 1 - win.partition_point(|t| end.saturating_duration_since(*t) >= second)
    };
    let most = (i..win.len())
        .take_while(|&j| win[j].saturating_duration_since(at) < second)
        .map(in_second_to)
        .max()
        .unwrap_or(0);
    limit > 0 && most > limit
}

/// The normal answer to a request on the method's route; `over_limit` says the rate limit is
/// exceeded.
fn answer(st: &State, req: &Request, path: &str, over_limit: bool) -> Reply {
    let cfg = lock(&st.config).clone();
    let rest = path.strip_prefix("/v3").unwrap_or(path);
    if let Err(e) = check_route(&cfg, rest, &req.method) {
        return e;
    }
    if over_limit {
        return (429, "Too Many Requests".into());
    }
    if let Some(e) = quota_exceeded(st, cfg.quota) {
        return e;
    }
    let chat = match chat_id(&req.body, rest) {
        Ok(chat) => chat,
        Err(e) => return e,
    };
    st.served.fetch_add(1, Ordering::SeqCst);
    let entry = lock(&st.avatars).get(&chat).cloned();
    let entry = entry.unwrap_or(AvatarEntry {
        url: String::new(),
        available: Some(true),
    });
    let url = entry.url.replace("{base}", &st.base);
    let body = match entry.available {
        Some(a) => json!({"urlAvatar": url, "available": a}),
        None => json!({"urlAvatar": url}),
    };
    (200, body.to_string())
}

/// Checks `waInstance{id}/{method}/{token}` (`rest`, without `/v3`) and the HTTP method: 404 for
/// another shape, 403 for another id, 401 for another token, 404 for another method.
fn check_route(cfg: &Config, rest: &str, http_method: &str) -> Result<(), Reply> {
    let mut segs = rest.trim_start_matches('/').split('/');
    let (inst, method, token) = (
        segs.next().unwrap_or(""),
        segs.next().unwrap_or(""),
        segs.next().unwrap_or(""),
    );
    if segs.next().is_some() || !inst.starts_with("waInstance") || method.is_empty() {
        return Err((404, "Not Found".into()));
    }
    if inst["waInstance".len()..] != cfg.id_instance {
        return Err((403, "Forbidden".into()));
    }
    if token != cfg.token {
        return Err((401, "Unauthorized".into()));
    }
    if method != "getAvatar" || http_method != "POST" {
        return Err((404, "Not Found".into()));
    }
    Ok(())
}

/// The 466 answer when `quota` successful answers were already served.
fn quota_exceeded(st: &State, quota: Option<u64>) -> Option<Reply> {
    let q = quota?;
    let used = st.served.load(Ordering::SeqCst);
    if used < q {
        return None;
    }
    let body = json!({"invokeStatus": {"method": "getAvatar", "used": used, "total": q,
        "status": "QUOTE_EXCEEDED",
        "description": "Monthly quota has been exceeded. Upgrade your plan in the personal area"}});
    Some((466, body.to_string()))
}

/// The chatId of a request body, or the 400 the real server sends for it (its envelope holds
/// `path`).
fn chat_id(body: &[u8], path: &str) -> Result<String, Reply> {
    let v: Value = serde_json::from_slice(body).map_err(|e| {
        let msg = format!(
            "Unexpected token in JSON at position {}",
            e.column().saturating_sub(1)
        );
        (400, envelope(400, path, &msg))
    })?;
    let invalid = |what: &str| {
        (
            400,
            envelope(400, path, &format!("Validation failed. Details: {what}")),
        )
    };
    let chat = match v.get("chatId") {
        None | Some(Value::Null) => return Err(invalid("'chatId' is required")),
        Some(Value::String(s)) => s.clone(),
        Some(_) => return Err(invalid("'chatId' must be a string")),
    };
    if chat.is_empty() {
        return Err(invalid("'chatId' is not allowed to be empty"));
    }
    let digits = chat.strip_prefix('-').unwrap_or(&chat);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid(
            "'chatId' must be one of the next formats: 'user_id' or 'group_id'",
        ));
    }
    Ok(chat)
}

/// The real server's error envelope.
fn envelope(status: u16, path: &str, message: &str) -> String {
    json!({"statusCode": status, "timestamp": iso_now(), "path": path, "message": message})
        .to_string()
}

/// The time now as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
fn iso_now() -> String {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let secs = d.as_secs() as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil from days (Howard Hinnant).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + if month <= 2 { 1 } else { 0 };
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        d.subsec_millis()
    )
}

/// Serves an image request: a redirect hop or the image, through the image fault queue.
pub(crate) fn image(st: &State, req: &Request, path: &str, c: &mut Conn) -> bool {
    let normal = image_answer(st, req, path);
    let fault = lock(&st.image_faults).pop_front();
    let status = fault
        .as_ref()
        .map_or(normal.status, |f| f.status(normal.status));
    let mut log = lock(&st.image_log);
    if log.len() < MAX_IMAGE_LOG {
        log.push(record(req, st.started.elapsed(), None, status));
    }
    drop(log);
    match fault {
        Some(f) => apply_fault(f, normal, c, &st.stop),
        None => c.send(&normal),
    }
}

/// The normal answer to an image request.
fn image_answer(st: &State, req: &Request, path: &str) -> Answer {
    let not_found = Answer::new(404, "text/plain", b"Not Found".to_vec());
    if req.method != "GET" {
        return not_found;
    }
    if let Some(rest) = path.strip_prefix("/hop/") {
        let Some((n, tail)) = rest.split_once('/') else {
            return not_found;
        };
        let Ok(n) = n.parse::<u32>() else {
            return not_found;
        };
        let next = if n > 1 {
            format!("{}/hop/{}/{tail}", st.base, n - 1)
        } else {
            format!("{}/{tail}", st.base)
        };
        let mut a = Answer::new(302, "text/plain", Vec::new());
        a.headers.push(("Location".into(), next));
        return a;
    }
    let name = path.trim_start_matches("/avatars/");
    if name.ends_with(".png") {
        Answer::new(200, "image/png", AVATAR_PNG.to_vec())
    } else if name.ends_with(".jpg") {
        Answer::new(200, "image/jpeg", AVATAR_PNG.to_vec())
    } else {
        not_found
    }
}
