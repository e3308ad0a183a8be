//! The usual 200 answer, `{"urlAvatar": "...", "available": true}`, read without building a
//! JSON tree for it. Anything unusual (not an object, a key twice, a value of another type, an
//! escaped key) gives `None`, and `response` reads the body again the general way, which says
//! exactly what is wrong. So this changes speed only, never a result or a message: other keys'
//! values are read as JSON values, not skipped, so that they meet the same checks (depth, number
//! range, escapes) as in the general reader.

use std::fmt;

use serde::de::{Deserializer, MapAccess, Visitor};

/// `urlAvatar` and `available` of a usual answer, or `None` (see the module documentation).
pub fn read(body: &[u8]) -> Option<(String, Option<bool>)> {
    // Valid UTF-8 as a whole, as the general reader requires (then no string needs its own check).
    let text = std::str::from_utf8(body).ok()?;
    let mut de = serde_json::Deserializer::from_str(text);
    let found = de.deserialize_map(Fields).ok()??;
    de.end().ok()?;
    Some(found)
}

struct Fields;

impl<'de> Visitor<'de> for Fields {
    type Value = Option<(String, Option<bool>)>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut url: Option<String> = None;
        let mut available: Option<Option<bool>> = None;
        while let Some(key) = map.next_key::<&str>()? {
            match key {
                "urlAvatar" if url.is_none() => url = Some(map.next_value()?),
                "available" if available.is_none() => available = Some(map.next_value()?),
                "urlAvatar" | "available" => return Ok(None),
                _ => {
                    map.next_value::<serde_json::Value>()?;
                }
            }
        }
        Ok(url.map(|u| (u, available.flatten())))
    }
}

#[cfg(test)]
mod tests {
    use super::read;

    #[test]
    fn reads_the_usual_answers() {
        let b = br#"{"urlAvatar":"https://x/a.jpg","available":true}"#;
        assert_eq!(read(b), Some(("https://x/a.jpg".into(), Some(true))));
        let b = br#" {"extra":[1,{"a":null}],"available":false,"urlAvatar":""} "#;
        assert_eq!(read(b), Some((String::new(), Some(false))));
        let b = br#"{"urlAvatar":"https:\/\/x\u0041","available":null}"#;
        assert_eq!(read(b), Some(("https://xA".into(), None)));
        assert_eq!(read(br#"{"urlAvatar":"u"}"#), Some(("u".into(), None)));
    }

    #[test]
    fn leaves_too_deep_a_value_to_the_general_reader() {
        let deep = format!(
            r#"{{"urlAvatar":"a","e":{}1{}}}"#,
            "[".repeat(200),
            "]".repeat(200)
        );
        assert_eq!(read(deep.as_bytes()), None);
        let fine = format!(
            r#"{{"urlAvatar":"a","e":{}1{}}}"#,
            "[".repeat(100),
            "]".repeat(100)
        );
        assert_eq!(read(fine.as_bytes()), Some(("a".into(), None)));
    }

    #[test]
    fn leaves_anything_unusual_to_the_general_reader() {
        for b in [
            &br#"["urlAvatar", true]"#[..],
            br#"{"available":true}"#,
            br#"{"urlAvatar":1}"#,
            br#"{"urlAvatar":"a","urlAvatar":"b"}"#,
            br#"{"urlAvatar":"a","available":"yes"}"#,
            br#"{"urlAvatar":"a","available":true,"available":false}"#,
            br#"{"url\u0041vatar":"a"}"#,
            br#"{"urlAvatar":"a"} x"#,
            br#"{"urlAvatar":"a""#,
            b"{\"urlAvatar\":\"a\",\"e\":\"\xff\"}",
            // Skipping would accept these; the general reader refuses them.
            br#"{"urlAvatar":"a","e":1e400}"#,
            br#"{"urlAvatar":"a","e":"\ud800"}"#,
            br#"{"urlAvatar":"a","e":{"\udc00":1}}"#,
            b"",
        ] {
            assert_eq!(read(b), None, "{}", String::from_utf8_lossy(b));
        }
    }
}
