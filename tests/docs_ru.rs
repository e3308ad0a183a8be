//! The Russian pages (issue 29) kept in step with their English twins: each exists, links to and
//! from its twin, is Russian, and names the same commands (every `getavatar ...`, `cargo ...`,
//! `bash ...`, `pip ...`, `eval ...` and `cmdkey ...` command line, in code blocks and inline) and
//! the same Ga* macros and functions of the Excel module.

use std::collections::BTreeSet;
use std::path::Path;

/// (English page, its Russian twin), relative to the repository.
const PAIRS: [(&str, &str); 3] = [
    ("README.md", "README.ru.md"),
    ("bindings/vba/README.md", "bindings/vba/README.ru.md"),
    ("docs/troubleshooting.md", "docs/troubleshooting.ru.md"),
];

const COMMANDS: [&str; 6] = ["getavatar ", "cargo ", "bash ", "pip ", "eval ", "cmdkey "];

fn read(rel: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// A command line as compared: white space collapsed, a trailing `# comment` dropped.
fn normal(line: &str) -> String {
    let line = line.split("  #").next().unwrap_or(line);
    line.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The command lines a page names: in fenced code blocks, and in inline code.
fn commands(page: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut prose = String::new();
    let mut fenced = false;
    for line in page.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            let l = normal(line);
            if COMMANDS.iter().any(|c| l.starts_with(c)) {
                out.insert(l);
            }
        } else {
            prose.push_str(line);
            prose.push('\n');
        }
    }
    for (i, span) in prose.split('`').enumerate() {
        let s = normal(span);
        if i % 2 == 1 && COMMANDS.iter().any(|c| s.starts_with(c)) {
            out.insert(s);
        }
    }
    out
}

/// The Excel module's names a page mentions: GaSaveToken, GaAvatarUrl, ...
fn ga_names(page: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for word in page.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
        let mut chars = word.chars();
        if word.starts_with("Ga") && chars.nth(2).is_some_and(|c| c.is_ascii_uppercase()) {
            out.insert(word.to_string());
        }
    }
    out
}

fn file_name(rel: &str) -> &str {
    rel.rsplit('/').next().unwrap()
}

#[test]
fn each_russian_page_is_the_twin_of_its_english_page() {
    for (en_rel, ru_rel) in PAIRS {
        let (en, ru) = (read(en_rel), read(ru_rel));
        assert!(
            en.contains(&format!("({})", file_name(ru_rel))),
            "{en_rel} links to {ru_rel}"
        );
        assert!(
            ru.contains(&format!("({})", file_name(en_rel))),
            "{ru_rel} links back to {en_rel}"
        );
        let cyrillic = ru
            .chars()
            .filter(|c| ('\u{400}'..='\u{4ff}').contains(c))
            .count();
        assert!(
            cyrillic * 4 > ru.chars().filter(|c| c.is_alphabetic()).count(),
            "{ru_rel} is Russian"
        );
        let (ce, cr) = (commands(&en), commands(&ru));
        assert!(!ce.is_empty(), "{en_rel} names commands");
        assert_eq!(
            ce.difference(&cr).collect::<Vec<_>>(),
            Vec::<&String>::new(),
            "commands of {en_rel} missing from {ru_rel}"
        );
        assert_eq!(
            cr.difference(&ce).collect::<Vec<_>>(),
            Vec::<&String>::new(),
            "commands of {ru_rel} not in {en_rel}"
        );
        assert_eq!(
            ga_names(&en),
            ga_names(&ru),
            "{en_rel} and {ru_rel} name the same Ga* macros"
        );
    }
}

#[test]
fn the_check_sees_commands_and_macros() {
    let page = "Run `getavatar --help`, or\n```sh\ncargo run -p x  # comment\nls\n```\n`GaSaveToken` and =GaAvatarUrl(A2).";
    let c = commands(page);
    assert!(
        c.contains("getavatar --help") && c.contains("cargo run -p x") && c.len() == 2,
        "{c:?}"
    );
    let g = ga_names(page);
    assert!(
        g.contains("GaSaveToken") && g.contains("GaAvatarUrl") && g.len() == 2,
        "{g:?}"
    );
}
