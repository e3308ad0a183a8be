//! The usual 200 answer, `{"urlAvatar": "...", "available": true}`, read without building a
//! JSON tree. Anything unusual (not an object, a key twice, a value of another type, an escaped
//! key) gives `None`, and `response` reads the body again the general way, which says exactly
//! what is wrong. So this changes speed only, never a result or a message.

use std::fmt;

use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};

/// `urlAvatar` and `available` of a usual answer, or `None` (see the module documentation).
pub fn read(body: &[u8]) -> Option<(String, Option<bool>)> {
    // Valid UTF-8 as a whole, as the general reader requires (skipped values are not checked).
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
                    map.next_value::<IgnoredAny>()?;
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
            b"",
        ] {
            assert_eq!(read(b), None, "{}", String::from_utf8_lossy(b));
        }
    }
}
