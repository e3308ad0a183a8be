//! The repository's layout as docs/layout.md and CONTRIBUTING.md describe it: every source and
//! test file is named in docs/layout.md on the line of its folder; `unsafe` appears outside
//! `src/ffi/` and `src/sys/` only in unit tests; nothing outside `src/ffi/` imports `crate::ffi`;
//! and, where the project's shared tools are beside the checkout, no import loops.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every `.rs` file below `dir` (relative to the root), sorted.
fn rust_files(dir: &str) -> Vec<String> {
    fn walk(d: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(&root().join(dir), &mut out);
    let mut v: Vec<String> = out
        .iter()
        .map(|p| {
            p.strip_prefix(root())
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/")
        })
        .collect();
    v.sort();
    v
}

/// The source without its `#[cfg(test)]` modules (from the attribute to the module's end).
fn without_unit_tests(src: &str) -> String {
    let mut out = String::new();
    let mut rest = src;
    while let Some(i) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..i]);
        let after = &rest[i..];
        let Some(open) = after.find('{') else { break };
        let mut depth = 0usize;
        let mut end = after.len();
        for (j, c) in after[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = open + j + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

#[test]
fn docs_layout_names_every_source_and_test_file_on_its_folders_line() {
    let layout = std::fs::read_to_string(root().join("docs/layout.md")).unwrap();
    let mut files = rust_files("src");
    files.extend(
        std::fs::read_dir(root().join("tests"))
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "rs"))
            .map(|p| format!("tests/{}", p.file_name().unwrap().to_string_lossy())),
    );
    files.extend(rust_files("benches"));
    files.extend(rust_files("fuzz/fuzz_targets"));
    files.extend(rust_files("tests/common"));
    let missing: Vec<&String> = files
        .iter()
        .filter(|f| {
            let (dir, name) = f.rsplit_once('/').unwrap();
            // The folder module `src/x.rs` is named as itself; a file in `dir/` on dir's line.
            !layout.lines().any(|l| {
                l.contains(&format!("`{f}`"))
                    || (l.contains(&format!("{dir}/")) && l.contains(name))
            })
        })
        .collect();
    assert!(
        missing.is_empty(),
        "docs/layout.md does not name: {missing:?}"
    );
}

#[test]
fn unsafe_code_lives_in_ffi_and_sys_only() {
    let offenders: Vec<String> = rust_files("src")
        .into_iter()
        .filter(|f| !f.starts_with("src/ffi") && !f.starts_with("src/sys"))
        .filter(|f| {
            let src = std::fs::read_to_string(root().join(f)).unwrap();
            without_unit_tests(&src)
                .lines()
                .map(|l| l.split("//").next().unwrap_or(""))
                .any(|l| l.contains("unsafe ") || l.contains("unsafe{"))
        })
        .collect();
    assert!(
        offenders.is_empty(),
        "unsafe outside src/ffi and src/sys: {offenders:?}"
    );
}

#[test]
fn nothing_outside_ffi_imports_it() {
    let offenders: Vec<String> = rust_files("src")
        .into_iter()
        // The crate root declares it; `internals` is the tests' door to it.
        .filter(|f| !f.starts_with("src/ffi") && f != "src/lib.rs" && f != "src/internals.rs")
        .filter(|f| {
            std::fs::read_to_string(root().join(f))
                .unwrap()
                .contains("crate::ffi")
        })
        .collect();
    assert!(
        offenders.is_empty(),
        "crate::ffi used outside src/ffi: {offenders:?}"
    );
}

#[test]
fn no_import_loops_between_modules() {
    // The project's shared tool, beside the checkout on developers' machines and in CI.
    let tool = root().join("../shared/tools/mod_cycles.py");
    if !tool.exists() {
        eprintln!("mod_cycles.py not beside the checkout: not checked here");
        return;
    }
    let out = std::process::Command::new("python3")
        .arg(&tool)
        .arg(root().join("src"))
        .output()
        .expect("python3");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.trim_end().ends_with("0 loops"), "{text}");
}

#[test]
fn every_source_path_the_docs_name_exists() {
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root().join("docs"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    docs.extend(["README.md", "CONTRIBUTING.md"].map(|f| root().join(f)));
    let mut missing = Vec::new();
    for d in &docs {
        let text = std::fs::read_to_string(d).unwrap();
        for (i, _) in text.match_indices("src/") {
            // Paths of this crate only: `src/...rs` not preceded by a crate folder name.
            if i > 0 && text.as_bytes()[i - 1].is_ascii_alphanumeric() || text[..i].ends_with('/') {
                continue;
            }
            let rest = &text[i..];
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '/' || c == '.'))
                .unwrap_or(rest.len());
            let path = rest[..end].trim_end_matches('.');
            if path.ends_with(".rs") && !root().join(path).exists() {
                missing.push(format!(
                    "{}: {path}",
                    d.file_name().unwrap().to_string_lossy()
                ));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "docs name source files that do not exist: {missing:?}"
    );
}
