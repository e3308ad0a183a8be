//! Keeps the API token out of every string the library produces.

/// Holds the token and scrubs it from text. Its `Debug` never shows the token.
#[derive(Clone)]
pub struct Redactor {
    token: String,
}

/// What stands in for the token in messages.
pub const REDACTED: &str = "<apiTokenInstance>";

impl Redactor {
    /// A redactor for this token (expected ASCII, as `check_token` enforces).
    pub fn new(token: &str) -> Redactor {
        Redactor {
            token: token.to_string(),
        }
    }

    /// `text` with every occurrence of the token, in any letter case, replaced by
    /// `<apiTokenInstance>`.
    pub fn scrub(&self, text: &str) -> String {
        let t = self.token.as_bytes();
        if t.is_empty() || text.len() < t.len() {
            return text.to_string();
        }
        let b = text.as_bytes();
        let mut out = String::with_capacity(text.len());
        let mut i = 0;
        let mut last = 0;
        while i + t.len() <= b.len() {
            if b[i..i + t.len()].eq_ignore_ascii_case(t) {
                // The token is ASCII, so i and i + len are char boundaries.
                out.push_str(&text[last..i]);
                out.push_str(REDACTED);
                i += t.len();
                last = i;
            } else {
                i += 1;
            }
        }
        out.push_str(&text[last..]);
        out
    }
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Redactor(<apiTokenInstance>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrubs_every_case_and_occurrence() {
        let r = Redactor::new("abc123def");
        assert_eq!(
            r.scrub("/waInstance1/getAvatar/abc123def and ABC123DEF, abc123de"),
            "/waInstance1/getAvatar/<apiTokenInstance> and <apiTokenInstance>, abc123de"
        );
        assert_eq!(
            r.scrub("ünïcode abc123defabc123def"),
            "ünïcode <apiTokenInstance><apiTokenInstance>"
        );
        assert_eq!(r.scrub(""), "");
        assert!(!format!("{r:?}").contains("abc123def"));
    }
}
