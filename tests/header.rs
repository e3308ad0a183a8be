//! The committed C header is what cbindgen makes from the current source, and declares every
//! export with the GA_CALL calling convention.

const GENERATED: &str = include_str!(concat!(env!("OUT_DIR"), "/getavatar.h"));

fn committed() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/include/getavatar.h")).unwrap()
}

/// Names of the functions exported from src/ffi (`pub ... extern "system" fn NAME`).
pub fn exported_names() -> Vec<String> {
    let mut names = Vec::new();
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/ffi");
    for entry in std::fs::read_dir(dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for part in text.split("extern \"system\" fn ").skip(1) {
            let name: String = part
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            names.push(name);
        }
    }
    names.sort();
    names
}

#[test]
fn committed_header_is_current() {
    assert!(
        GENERATED == committed(),
        "include/getavatar.h is stale: regenerate it with `GA_WRITE_HEADER=1 cargo build` and commit it"
    );
}

#[test]
fn every_export_is_declared_with_ga_call() {
    let h = committed();
    let names = exported_names();
    assert!(names.len() >= 11, "{names:?}");
    for n in &names {
        assert!(n.starts_with("ga_"), "{n}");
        assert!(
            h.contains(&format!("GA_CALL {n}(")),
            "{n} missing from the header"
        );
    }
    let declared = h.matches("GA_CALL ga_").count();
    assert_eq!(
        declared,
        names.len(),
        "the header declares exactly the exports"
    );
    assert!(h.contains("#define GA_CALL __stdcall"));
    assert!(h.contains(&format!(
        "#define GETAVATAR_VERSION \"{}\"",
        env!("CARGO_PKG_VERSION")
    )));
    for field in [
        "int32_t status;",
        "int32_t http_status;",
        "int32_t available;",
        "const char *url_avatar;",
        "const char *error;",
    ] {
        assert!(h.contains(field), "GaAvatar.{field}");
    }
    assert!(h.contains("typedef struct GaClient GaClient;"));
    assert!(h.contains("typedef struct GaAvatar {"));
}
