//! The settings that shape connections: what TLS trusts (trust setting, CA files), the
//! User-Agent, and the proxy (the system's, none, a URL, or the environment's pinned). Each
//! change builds a new agent, so open connections start afresh.

use super::{host_of, Client, Error};
use crate::answer::validate;
use crate::error::failure::Failure;
use crate::error::status::GaStatus;
use crate::messages::Msg;
use crate::net::agent::{AgentSettings, ProxySetting};
use crate::proxy;

impl Client {
    /// Trusts the certificates in the CA file `path` (PEM or DER; e.g. a corporate proxy's root)
    /// in addition to what the trust setting trusts; several calls add up. Verification stays
    /// on. A file holding anything but certificates (a key, a CSR...) is refused, saying what it
    /// held. Open connections are dropped.
    pub fn add_ca_file(&self, path: &str) -> Result<(), Error> {
        let _lang = self.speak();
        let certs = crate::tls::ca_file::read(path).map_err(|m| self.invalid(m))?;
        self.change_agent(|s| s.trust.extra.extend(certs));
        Ok(())
    }

    /// Chooses whose roots certificates are verified against: the operating system's (the
    /// default) or the bundled web roots. CA files given add to either. Open connections are
    /// dropped.
    pub fn set_trust(&self, trust: crate::Trust) {
        let _lang = self.speak();
        self.change_agent(|s| s.trust.trust = trust);
    }

    /// Sets the User-Agent header (default `getavatar/VERSION`): printable ASCII, at most 256
    /// characters. Open connections are dropped.
    pub fn set_user_agent(&self, ua: &str) -> Result<(), Error> {
        let _lang = self.speak();
        if ua.is_empty() || ua.len() > 256 || !ua.bytes().all(|b| (0x20..0x7f).contains(&b)) {
            return Err(self.invalid(
                Msg::UserAgentBad {
                    ua: validate::shown(ua),
                }
                .text(),
            ));
        }
        self.change_agent(|s| s.user_agent = ua.to_string());
        Ok(())
    }

    /// Chooses the proxy for every request (lookups and image downloads). `"system"` (the
    /// default): the proxy the system names, read now (see `system_proxy`). `"direct"` or `""`:
    /// no proxy, whatever the system says. Otherwise a proxy URL:
    /// `http://[user:password@]host[:port]` (HTTP CONNECT), `socks5://...` (the client resolves
    /// names) or `socks5h://...` (the proxy resolves them); user name and password are
    /// percent-decoded and never appear in messages. Open connections are dropped.
    pub fn set_proxy(&self, url: &str) -> Result<(), Error> {
        let _lang = self.speak();
        if url.eq_ignore_ascii_case("system") {
            let env = |k: &str| std::env::var(k).ok();
            self.change_agent(|s| system_proxy_into(s, &self.url, env));
            return Ok(());
        }
        let setting = if url.is_empty() || url.eq_ignore_ascii_case("direct") {
            None
        } else {
            let u = proxy::parse_proxy_url(url).map_err(|m| self.invalid(m))?;
            let ureq = u.to_ureq(&[]).map_err(|m| self.invalid(m))?;
            Some(ProxySetting {
                url: u,
                ureq,
                from: None,
            })
        };
        self.change_agent(|s| {
            s.proxy = setting;
            s.proxy_problem = None;
        });
        Ok(())
    }

    /// Pins the proxy the environment names now, as an explicit setting: for an https apiUrl
    /// `HTTPS_PROXY` or `https_proxy`, for http `http_proxy`, then `ALL_PROXY` or `all_proxy`;
    /// hosts matching `NO_PROXY`/`no_proxy` are reached directly. Unlike the default
    /// (`"system"`), it ignores Windows' Internet Options and does not keep loopback hosts off
    /// the proxy. Returns the proxy (as messages show it, without credentials), or None when no
    /// variable is set (then requests go direct). An invalid value is an error naming the
    /// variable; the setting is unchanged.
    pub fn use_env_proxy(&self) -> Result<Option<String>, Error> {
        let _lang = self.speak();
        self.use_proxy_from(|k| std::env::var(k).ok())
    }

    /// `use_env_proxy` over any source of variables.
    pub(crate) fn use_proxy_from(
        &self,
        get: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<String>, Error> {
        let Some((name, value)) = proxy::proxy_from_env(self.url.starts_with("https:"), &get)
        else {
            self.change_agent(|s| {
                s.proxy = None;
                s.proxy_problem = None;
            });
            return Ok(None);
        };
        let in_var = |error: String| self.invalid(Msg::InEnvVar { name, error }.text());
        let u = proxy::parse_proxy_url(value.trim()).map_err(in_var)?;
        let no_proxy = ["no_proxy", "NO_PROXY"]
            .iter()
            .find_map(|k| get(k).filter(|v| !v.trim().is_empty()))
            .map(|v| proxy::no_proxy_rules(&v))
            .unwrap_or_default();
        let ureq = u.to_ureq(&no_proxy).map_err(in_var)?;
        let shown = u.shown();
        self.change_agent(|s| {
            s.proxy = Some(ProxySetting {
                url: u,
                ureq,
                from: None,
            });
            s.proxy_problem = None;
        });
        Ok(Some(shown))
    }

    /// Why the system's proxy setting cannot be used, as the failure of every request, if so.
    pub(crate) fn proxy_problem(&self) -> Option<Failure> {
        let p = self.state().settings.read(|s| s.proxy_problem.clone())?;
        Some(Failure::fatal(GaStatus::GA_ERR_NETWORK, p))
    }
}

/// Puts the proxy the system names for the getAvatar URL `url` into `s` (or why it cannot be
/// used); `env` reads the environment.
pub(super) fn system_proxy_into(
    s: &mut AgentSettings,
    url: &str,
    env: impl Fn(&str) -> Option<String>,
) {
    let https = url.starts_with("https:");
    let authority = host_of(url);
    let host = match authority.strip_prefix('[') {
        Some(rest) => format!("[{}]", rest.split(']').next().unwrap_or("")),
        None => authority.split(':').next().unwrap_or("").to_string(),
    };
    let scheme = if https { "https" } else { "http" };
    let base = format!("{scheme}://{authority}/");
    let chosen = crate::proxy::system_proxy::system_proxy(https, &base, &host, env);
    let (proxy, problem) = match chosen {
        Ok(None) => (None, None),
        Ok(Some((url, rules, from))) => match url.to_ureq(&rules) {
            Ok(ureq) => {
                let from = Some(from);
                (Some(ProxySetting { url, ureq, from }), None)
            }
            Err(error) => (None, Some(Msg::SystemProxyUnusable { error }.text())),
        },
        Err(m) => (None, Some(m)),
    };
    s.proxy = proxy;
    s.proxy_problem = problem;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_system_proxy_is_chosen_for_the_api_host_and_never_for_loopback() {
        let env = |k: &str| {
            (k == "http_proxy" || k == "HTTPS_PROXY").then(|| "http://p.corp:3128".to_string())
        };
        let mut s = AgentSettings::default();
        system_proxy_into(&mut s, "https://api.x:8443/v3/waInstance1/getAvatar/t", env);
        let p = s.proxy.as_ref().unwrap();
        assert_eq!(
            p.shown(),
            "http://p.corp:3128 from environment variable HTTPS_PROXY"
        );
        assert!(!p.ureq.is_no_proxy(&"https://api.x:8443/".parse().unwrap()));
        for api in [
            "http://[::1]:9/v3/x",
            "http://127.0.0.1:9/v3/x",
            "http://localhost/v3",
        ] {
            system_proxy_into(&mut s, api, env);
            let p = s.proxy.as_ref().unwrap();
            let base = format!("http://{}/", host_of(api));
            assert!(p.ureq.is_no_proxy(&base.parse().unwrap()), "{api}");
        }
        system_proxy_into(&mut s, "https://api.x/v3", |k: &str| {
            (k == "ALL_PROXY").then(|| "http://h:0".to_string())
        });
        assert!(s.proxy.is_none());
        assert!(s.proxy_problem.as_ref().unwrap().contains("invalid port"));
        system_proxy_into(&mut s, "https://api.x/v3", |_: &str| None);
        assert!(s.proxy_problem.is_none());
        assert!(s.proxy.is_none() || cfg!(windows));
    }
}
