//! The safe Rust client: checks inputs, builds the URL once, sends getAvatar over a pooled
//! keep-alive connection, retries what may succeed on another try, keeps to the rate limit, and
//! scrubs the token from every message it returns.

use std::sync::atomic::{AtomicU32, AtomicU8, Ordering};
use std::time::Duration;

use crate::answer::response::Avatar;
use crate::answer::validate::{self, ApiUrl};
use crate::cancel::Cancel;
use crate::deadline::Budget;
use crate::error::Error;
use crate::messages::{Lang, Msg, Scope};
use crate::net::agent::{AgentSettings, ResolverChoice};
use crate::redact::Redactor;
use crate::settings::defaults;
use crate::sys::fork::PerProcess;

mod attempt;
mod batch;
mod connection;
mod download;
mod process;
mod retry;
mod setters;

pub(crate) use download::Download;
use process::ProcState;
use retry::{cancelled, random_below};

/// A getAvatar client for one instance. Cheap to share between threads (`&Client` is all a call
/// needs); connections, the rate limit and settings are shared by every thread using it.
/// After `fork()` the child keeps the settings but starts with its own connections, cache and
/// rate limit (see `state`).
pub struct Client {
    /// Connections, cache and rate limiter: this process's own (see `state`).
    state: PerProcess<ProcState>,
    /// How agents look host names up.
    resolver: ResolverChoice,
    /// The rate limit and cache TTL set (copied into a forked child's fresh state).
    rate_limit: AtomicU32,
    cache_ttl_s: AtomicU32,
    /// The getAvatar URL: `{apiUrl}/waInstance{id}/getAvatar/{token}` (holds the token).
    url: String,
    /// `url` parsed once (a request built from it skips parsing); None if it does not parse,
    /// and then each request parses `url` and reports why.
    uri: Option<ureq::http::Uri>,
    redactor: Redactor,
    timeout_ms: AtomicU32,
    /// The deadline setting: each call's total budget, ms (0 = none).
    deadline_ms: AtomicU32,
    max_retries: AtomicU32,
    backoff_ms: AtomicU32,
    concurrency: AtomicU32,
    /// The language of this client's messages: 0 = the process default, else 1 + its index
    /// in `Lang::ALL`.
    language: AtomicU8,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("endpoint", &self.redactor.scrub(&self.endpoint()))
            .field("api_token_instance", &crate::redact::REDACTED)
            .field("timeout_ms", &self.timeout_ms.load(Ordering::Relaxed))
            .field("deadline_ms", &self.deadline_ms.load(Ordering::Relaxed))
            .field("max_retries", &self.max_retries.load(Ordering::Relaxed))
            .field("rate_limit", &self.rate_limit.load(Ordering::Relaxed))
            .finish()
    }
}

impl Client {
    /// Checks the arguments and makes a client. No request is sent.
    pub fn new(
        api_url: &str,
        id_instance: &str,
        api_token_instance: &str,
    ) -> Result<Client, Error> {
        let lookup = crate::net::resolver::system_lookup;
        Client::with_resolver(
            api_url,
            id_instance,
            api_token_instance,
            ResolverChoice::Caching(lookup),
        )
    }

    /// A client from the environment variables `GA_API_URL`, `GA_ID_INSTANCE` and
    /// `GA_API_TOKEN_INSTANCE`. An unset or empty one, or one that is not valid Unicode, is an
    /// error naming it (never its value).
    pub fn from_env() -> Result<Client, Error> {
        Client::from_vars(|k| std::env::var(k))
    }

    /// `from_env` over any source of variables.
    fn from_vars(
        get: impl Fn(&str) -> Result<String, std::env::VarError>,
    ) -> Result<Client, Error> {
        use std::env::VarError;
        let names = ["GA_API_URL", "GA_ID_INSTANCE", "GA_API_TOKEN_INSTANCE"];
        let mut values = Vec::new();
        let mut missing = Vec::new();
        for n in names {
            match get(n) {
                Ok(v) if !v.is_empty() => values.push(v),
                Ok(_) | Err(VarError::NotPresent) => missing.push(n),
                Err(VarError::NotUnicode(_)) => {
                    return Err(Error::invalid(Msg::EnvNotUnicode { name: n }));
                }
            }
        }
        if !missing.is_empty() {
            let names = missing.join(", ");
            return Err(Error::invalid(Msg::EnvNotSet { names }));
        }
        Client::new(&values[0], &values[1], &values[2]).map_err(|e| {
            Error::invalid(Msg::FromEnv {
                names: names.join(", "),
                error: e.message,
            })
        })
    }

    /// Makes this client's messages in `lang` (None: the process default, see
    /// [`Lang::process_default`]). Calls under way keep the language they started with.
    pub fn set_language(&self, lang: Option<Lang>) {
        let v = lang.map_or(0, |l| {
            1 + Lang::ALL.iter().position(|x| *x == l).unwrap_or(0)
        });
        self.language.store(v as u8, Ordering::Relaxed);
    }

    /// `set_language` by tag: "en" or "ru" (any letter case, a region or encoding allowed:
    /// "ru-RU", "ru_RU.UTF-8"), or "" for the process default. Another tag:
    /// `GA_ERR_INVALID_ARGUMENT`, the language kept.
    pub fn set_language_tag(&self, tag: &str) -> Result<(), Error> {
        let _lang = self.speak();
        if tag.is_empty() {
            self.set_language(None);
            return Ok(());
        }
        let lang = Lang::parse(tag).ok_or_else(|| {
            Error::invalid(Msg::LanguageUnknown {
                tag: crate::text::shown(tag),
            })
        })?;
        self.set_language(Some(lang));
        Ok(())
    }

    /// The language of this client's messages.
    pub fn language(&self) -> Lang {
        match self.language.load(Ordering::Relaxed) {
            0 => Lang::process_default(),
            v => Lang::ALL[usize::from(v - 1).min(Lang::ALL.len() - 1)],
        }
    }

    /// Makes this thread's messages in the client's language while the guard lives (each public
    /// call holds one).
    pub(crate) fn speak(&self) -> Scope {
        Scope::enter(self.language())
    }

    /// The getAvatar URL with the token replaced by a placeholder (for Debug output).
    fn endpoint(&self) -> String {
        let (base, _token) = self.url.rsplit_once('/').unwrap_or_default();
        format!("{base}/{}", crate::redact::REDACTED)
    }

    /// A client with ureq's default resolver (a lookup, on a new thread, per request): for the
    /// benchmark that measures what the caching resolver saves. Not for use.
    #[doc(hidden)]
    pub fn new_with_ureq_resolver(
        api_url: &str,
        id_instance: &str,
        api_token_instance: &str,
    ) -> Result<Client, Error> {
        let r = ResolverChoice::Ureq;
        Client::with_resolver(api_url, id_instance, api_token_instance, r)
    }

    fn with_resolver(
        api_url: &str,
        id_instance: &str,
        api_token_instance: &str,
        resolver: ResolverChoice,
    ) -> Result<Client, Error> {
        let api: ApiUrl = validate::parse_api_url(api_url).map_err(Error::invalid)?;
        validate::check_id_instance(id_instance).map_err(Error::invalid)?;
        validate::check_token(api_token_instance).map_err(Error::invalid)?;
        let (rate, ttl) = (defaults::RATE_LIMIT, 0);
        let url = api.get_avatar_url(id_instance, api_token_instance);
        let mut settings = AgentSettings::default();
        connection::system_proxy_into(&mut settings, &url, |k| std::env::var(k).ok());
        let state = ProcState::new(settings, resolver, rate, ttl);
        Ok(Client {
            state: PerProcess::new(state),
            resolver,
            rate_limit: AtomicU32::new(rate),
            cache_ttl_s: AtomicU32::new(ttl),
            uri: ureq::http::Uri::try_from(url.as_str()).ok(),
            url,
            redactor: Redactor::new(api_token_instance),
            timeout_ms: AtomicU32::new(defaults::TIMEOUT_MS),
            deadline_ms: AtomicU32::new(defaults::DEADLINE_MS),
            max_retries: AtomicU32::new(defaults::MAX_RETRIES),
            backoff_ms: AtomicU32::new(defaults::BACKOFF_MS),
            concurrency: AtomicU32::new(defaults::CONCURRENCY),
            language: AtomicU8::new(0),
        })
    }

    /// An invalid-argument error whose message is scrubbed of the token.
    fn invalid(&self, message: String) -> Error {
        Error::invalid(self.redactor.scrub(&message))
    }

    /// Changes the agent settings and builds a new agent from them (connections start afresh).
    fn change_agent(&self, change: impl FnOnce(&mut AgentSettings)) {
        let s = self.state();
        s.settings.update(|settings| {
            change(settings);
            let agent = self.resolver.agent(settings);
            *s.agent.write().unwrap_or_else(|e| e.into_inner()) = agent;
        });
    }

    /// Opens the connection to the server (DNS, TCP, TLS) ahead of the first lookup and keeps it
    /// for the idle timeout, without sending any request (so no rate-limit slot is used). `Ok`
    /// at once when a connection is already open. One attempt within the timeout (and the
    /// deadline, when shorter): when the
    /// server cannot be reached, the failure (`GA_ERR_NETWORK`, `GA_ERR_TIMEOUT`) is returned
    /// and nothing changes; lookups try again as usual.
    pub fn warm_up(&self) -> Result<(), Error> {
        let _lang = self.speak();
        let timeout = self.budget().cut(self.timeout());
        let mut a = crate::net::transport::Attempt::new(None, None, timeout);
        a.warm_up = true;
        if let Some(f) = self.proxy_problem() {
            return Err(Error {
                status: f.status,
                http_status: 0,
                message: self.redactor.scrub(&f.message),
            });
        }
        let (r, _) = crate::net::transport::run(a, || self.agent().head(&self.url).call());
        let e = match r {
            Ok(_) => return Ok(()),
            Err(e) => self.transport_failure(e, &self.url, timeout, false),
        };
        Err(Error {
            status: e.status,
            http_status: 0,
            message: self.redactor.scrub(&e.message),
        })
    }

    /// Looks up many chat ids with bounded concurrency, keeping to the rate limit across all
    /// workers. The results are in the order of `chat_ids`; one bad id fails only its own entry.
    /// After a failure of the whole instance ([`Error::is_instance_level`]) the ids not yet
    /// asked get that failure at once, without a request each.
    /// If memory for the batch runs out, no request is sent and every entry is `GA_ERR_INTERNAL`.
    pub fn get_avatars<S: AsRef<str> + Sync>(&self, chat_ids: &[S]) -> Vec<Result<Avatar, Error>> {
        let _lang = self.speak();
        self.get_avatars_with(chat_ids.len(), |i| Ok(chat_ids[i].as_ref()), None)
            .unwrap_or_else(|e| chat_ids.iter().map(|_| Err(e.clone())).collect())
    }

    /// `get_avatars` that `cancel` can stop: after a cancel, the lookups under way and every
    /// one not yet started end with `GA_ERR_CANCELLED`; finished ones keep their results.
    pub fn get_avatars_cancellable<S: AsRef<str> + Sync>(
        &self,
        chat_ids: &[S],
        cancel: &Cancel,
    ) -> Vec<Result<Avatar, Error>> {
        let _lang = self.speak();
        self.get_avatars_with(chat_ids.len(), |i| Ok(chat_ids[i].as_ref()), Some(cancel))
            .unwrap_or_else(|e| chat_ids.iter().map(|_| Err(e.clone())).collect())
    }

    /// Looks up the avatar of `chat_id` (user_id digits, or group_id `-` then digits).
    pub fn get_avatar(&self, chat_id: &str) -> Result<Avatar, Error> {
        let _lang = self.speak();
        self.lookup(chat_id, None)
    }

    /// `get_avatar` that `cancel` can stop: a cancel (from any thread) ends it within about
    /// 100 ms with `GA_ERR_CANCELLED`, wherever it is (rate-limit wait, backoff, connecting, TLS,
    /// waiting for the answer); a token already cancelled ends it at once.
    pub fn get_avatar_cancellable(&self, chat_id: &str, cancel: &Cancel) -> Result<Avatar, Error> {
        let _lang = self.speak();
        self.lookup(chat_id, Some(cancel))
    }

    /// `get_avatar`, cancellable when a token is given, within a budget of its own.
    fn lookup(&self, chat_id: &str, cancel: Option<&Cancel>) -> Result<Avatar, Error> {
        self.lookup_within(chat_id, cancel, &mut self.budget())
    }

    /// `lookup` within the call's `budget` (a download shares one between its two requests).
    fn lookup_within(
        &self,
        chat_id: &str,
        cancel: Option<&Cancel>,
        budget: &mut Budget,
    ) -> Result<Avatar, Error> {
        validate::check_chat_id(chat_id).map_err(|m| self.invalid(m))?;
        if crate::cancel::check(cancel).is_err() {
            return Err(cancelled(0));
        }
        if let Some(hit) = self.state().cache.get(chat_id) {
            return Ok(hit);
        }
        // chat_id is ASCII digits with an optional '-': nothing to escape.
        let body = ["{\"chatId\":\"", chat_id, "\"}"].concat();
        let r = self.retrying(true, cancel, budget, || self.attempt(&body));
        if let Ok(a) = &r {
            self.state().cache.put(chat_id, a);
        }
        r
    }

    /// The pace the client keeps now, in requests a second: the rate limit, or less when the
    /// server answered 429 to it (see `ratelimit`); 0 when it does not pace (rate limit 0 and no
    /// 429 yet). Per process: a forked child starts from the rate limit again.
    pub fn rate(&self) -> f64 {
        self.state().limiter.rate()
    }

    /// `e` with its message scrubbed of the token.
    fn scrubbed(&self, e: Error) -> Error {
        Error {
            message: self.redactor.scrub(&e.message),
            ..e
        }
    }

    /// A fresh budget for a call, from the deadline setting.
    fn budget(&self) -> Budget {
        Budget::new(self.deadline_ms.load(Ordering::Relaxed))
    }

    /// Exponential backoff with jitter: a random delay in [d/2, d], d = base * 2^(tries-1).
    fn backoff(&self, tries: u32) -> Duration {
        let base = self.backoff_ms.load(Ordering::Relaxed) as u64;
        let d = base
            .saturating_mul(1 << (tries - 1).min(20))
            .min(defaults::BACKOFF_CAP_MS);
        Duration::from_millis(d / 2 + random_below(d / 2 + 1))
    }

    /// The agent to use now (settings may change it between calls).
    fn agent(&self) -> ureq::Agent {
        let s = self.state();
        s.agent.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The per-attempt timeout now.
    fn timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms.load(Ordering::Relaxed) as u64)
    }
}

/// The `host[:port]` of an http(s) URL, for messages ("" when there is none).
pub(crate) fn host_of(url: &str) -> &str {
    url.split('/').nth(2).unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::status::GaStatus;
    use crate::Setting;

    #[test]
    fn debug_hides_token_and_setters_check_ranges() {
        let c = Client::new("http://127.0.0.1:9", "3100000001", "abcdef0123456789").unwrap();
        let d = format!("{c:?}");
        assert!(
            !d.contains("abcdef0123456789") && d.contains("3100000001"),
            "{d}"
        );
        assert!(c.set_timeout(Duration::ZERO).is_err());
        assert!(c.set_timeout(Duration::from_millis(600_001)).is_err());
        assert!(c.set_timeout(Duration::from_millis(1)).is_ok());
        assert!(c.set_max_retries(11).is_err());
        assert!(c.set_max_retries(-1).is_err());
        assert!(c.set_rate_limit(1001).is_err());
        assert!(c.set_rate_limit(0).is_ok());
        let e = c.set(Setting::Timeout, -5).unwrap_err();
        assert_eq!(e.status, GaStatus::GA_ERR_INVALID_ARGUMENT);
        assert!(e.message.contains("1 to 600000 ms"), "{}", e.message);
        assert_eq!(c.timeout_ms.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn retry_after_holds_the_pacer_as_long_as_a_call_waits_for_it() {
        let most = Duration::from_secs(defaults::MAX_RETRY_AFTER_S);
        assert_eq!(crate::ratelimit::MAX_HOLD, most);
    }

    #[test]
    fn backoff_grows_with_jitter_and_is_capped() {
        let c = Client::new("http://127.0.0.1:9", "1", "t").unwrap();
        for tries in 1..=4u32 {
            let d = 250u64 << (tries - 1);
            for _ in 0..50 {
                let b = c.backoff(tries).as_millis() as u64;
                assert!(b >= d / 2 && b <= d, "{tries}: {b}");
            }
        }
        assert!(c.backoff(30).as_millis() as u64 <= defaults::BACKOFF_CAP_MS);
    }

    #[test]
    fn from_vars_names_what_is_missing_or_wrong_never_the_value() {
        use std::env::VarError;
        let vars = |url: &'static str, token: Result<&'static str, VarError>| {
            move |k: &str| match k {
                "GA_API_URL" => Ok(url.to_string()),
                "GA_ID_INSTANCE" => Err(VarError::NotPresent),
                _ => token.clone().map(str::to_string),
            }
        };
        let e = Client::from_vars(vars("", Ok(""))).unwrap_err();
        assert_eq!(e.status, GaStatus::GA_ERR_INVALID_ARGUMENT);
        assert_eq!(
            e.message,
            "environment variable(s) not set: GA_API_URL, GA_ID_INSTANCE, GA_API_TOKEN_INSTANCE"
        );
        let bad = VarError::NotUnicode(std::ffi::OsString::from("x"));
        let e = Client::from_vars(vars("http://h", Err(bad))).unwrap_err();
        assert_eq!(
            e.message,
            "environment variable GA_API_TOKEN_INSTANCE is not valid Unicode"
        );
        let all = |k: &str| match k {
            "GA_API_URL" => Ok("ftp://127.0.0.1:9".to_string()),
            "GA_ID_INSTANCE" => Ok("1101000001".to_string()),
            _ => Ok("0123456789abcdef".to_string()),
        };
        let e = Client::from_vars(all).unwrap_err();
        assert!(
            e.message.starts_with(
                "from the environment (GA_API_URL, GA_ID_INSTANCE, GA_API_TOKEN_INSTANCE): "
            ),
            "{e}"
        );
        assert!(!e.message.contains("0123456789abcdef"), "{e}");
        let ok = |k: &str| all(k).map(|v| v.replace("ftp:", "http:"));
        assert!(Client::from_vars(ok).is_ok());
    }

    static LOOKUPS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

    /// A DNS that maps localhost to a public address (a hostile or broken resolver).
    fn rebinding_dns(k: &str) -> std::io::Result<Vec<std::net::SocketAddr>> {
        LOOKUPS.fetch_add(1, Ordering::SeqCst);
        let port = k.rsplit(':').next().unwrap_or("80");
        Ok(vec![format!("203.0.113.9:{port}").parse().unwrap()])
    }

    #[test]
    fn http_localhost_that_resolves_elsewhere_is_refused_before_sending() {
        let r = ResolverChoice::Caching(rebinding_dns);
        let c = Client::with_resolver("http://localhost:9", "1101000001", "0123456789abcdef", r)
            .unwrap();
        c.set_backoff(Duration::ZERO).unwrap();
        let e = c.get_avatar("10000000").unwrap_err();
        assert_eq!(e.status, GaStatus::GA_ERR_NETWORK, "{e}");
        assert!(
            e.message.contains("localhost resolves to 203.0.113.9")
                && e.message.contains("not a loopback address"),
            "{e}"
        );
        assert_eq!(
            LOOKUPS.load(Ordering::SeqCst),
            1,
            "refused at once, not retried"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_forked_child_gets_a_fresh_state_and_keeps_the_settings() {
        let c = Client::new("http://127.0.0.1:9", "1101000001", "0123456789abcdef").unwrap();
        c.set_cache_ttl(Duration::from_secs(600)).unwrap();
        c.set_rate_limit(7).unwrap();
        c.set_user_agent("kept/1").unwrap();
        let a = Avatar {
            url: "https://x/1".into(),
            available: Some(true),
        };
        c.state().cache.put("5", &a);
        let parent_state: *const ProcState = c.state();
        // SAFETY: the child runs only the block below (no test harness code) and leaves by _exit.
        let pid = unsafe { libc::fork() };
        if pid == 0 {
            let s = c.state();
            let ok = !std::ptr::eq(s, parent_state)
                && std::ptr::eq(s, c.state())
                && s.cache.get("5").is_none()
                && s.limiter.rate() == 7.0
                && s.settings.read(|st| st.user_agent == "kept/1")
                && c.cache_ttl_s.load(Ordering::Relaxed) == 600;
            s.cache.put("6", &a);
            let ok = ok && s.cache.get("6").is_some();
            drop(c);
            unsafe { libc::_exit(if ok { 0 } else { 1 }) };
        }
        let mut status = 0;
        assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
        assert!(
            libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
            "{status}"
        );
        assert!(
            std::ptr::eq(c.state(), parent_state),
            "the parent keeps its state"
        );
        assert_eq!(c.state().cache.get("5"), Some(a));
    }
}
