//! bindings/vba/GetAvatar.bas against include/getavatar.h: every Declare of a getavatar function
//! has the header's name, argument count and ByVal types of the right width in each branch
//! (LongPtr for pointers under VBA7, Long on older hosts; Long for int32_t and GaStatus), the module imports
//! as is, and its struct offsets match GaAvatar's layout.

use std::collections::BTreeMap;

const BAS: &str = include_str!("../bindings/vba/GetAvatar.bas");
const HEADER: &str = include_str!("../include/getavatar.h");

#[derive(Debug, PartialEq)]
enum C {
    Ptr,
    I32,
    Void,
}

/// name -> (return, params) from the header's `GA_CALL` declarations.
fn header_decls() -> BTreeMap<String, (C, Vec<C>)> {
    let flat = HEADER.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out = BTreeMap::new();
    let mut rest = flat.as_str();
    while let Some(i) = rest.find("GA_CALL ga_") {
        // The return type is what precedes GA_CALL back to the previous ';', '}' or comment end.
        let before = &rest[..i];
        let start = before.rfind(['/', ';', '}']).map(|p| p + 1).unwrap_or(0);
        let ret = before[start..].trim();
        let decl = &rest[i + 8..];
        let name: String = decl
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        let args = &decl[name.len() + 1..decl.find(')').unwrap()];
        let kind = |t: &str| {
            if t.contains('*') {
                C::Ptr
            } else if ["int32_t", "GaStatus", "GaTrust"]
                .iter()
                .any(|p| t.starts_with(p))
            {
                // GaStatus is int32_t in C, and an enum on int32_t in C++ and C23: a Long;
                // GaTrust is a typedef of int32_t.
                C::I32
            } else {
                C::Void
            }
        };
        let params = if args.trim() == "void" {
            vec![]
        } else {
            args.split(',').map(|a| kind(a.trim())).collect()
        };
        out.insert(name, (kind(ret), params));
        rest = &decl[1..];
    }
    out
}

#[derive(Debug)]
struct Declare {
    ptr_safe: bool,
    is_sub: bool,
    name: String,
    lib: String,
    params: Vec<String>,
    ret: Option<String>,
}

fn parse_declare(line: &str) -> Declare {
    let l = line.trim();
    let rest = l.strip_prefix("Private Declare ").expect(line);
    let (ptr_safe, rest) = match rest.strip_prefix("PtrSafe ") {
        Some(r) => (true, r),
        None => (false, rest),
    };
    let (is_sub, rest) = if let Some(r) = rest.strip_prefix("Sub ") {
        (true, r)
    } else {
        (false, rest.strip_prefix("Function ").expect(line))
    };
    let name: String = rest.chars().take_while(|c| !c.is_whitespace()).collect();
    let lib = rest.split('"').nth(1).unwrap().to_string();
    let open = rest.find('(').unwrap();
    let close = rest.rfind(')').unwrap();
    let params = rest[open + 1..close]
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            assert!(
                p.starts_with("ByVal "),
                "{name}: every argument is ByVal: {p}"
            );
            p.rsplit(" As ").next().unwrap().to_string()
        })
        .collect();
    let ret = rest[close + 1..]
        .trim()
        .strip_prefix("As ")
        .map(|s| s.trim().to_string());
    Declare {
        ptr_safe,
        is_sub,
        name,
        lib,
        params,
        ret,
    }
}

/// The Declares of the first `#If VBA7 Then ... #Else ... #End If` block, per branch.
fn branches() -> (Vec<Declare>, Vec<Declare>) {
    let mut vba7 = Vec::new();
    let mut old = Vec::new();
    let mut state = 0;
    for line in BAS.lines() {
        match (state, line.trim()) {
            (0, "#If VBA7 Then") => state = 1,
            (1, "#Else") => state = 2,
            (2, "#End If") => break,
            (1, l) if l.starts_with("Private Declare") => vba7.push(parse_declare(l)),
            (2, l) if l.starts_with("Private Declare") => old.push(parse_declare(l)),
            _ => {}
        }
    }
    (vba7, old)
}

#[test]
fn every_getavatar_declare_matches_the_header_in_both_branches() {
    let header = header_decls();
    assert!(header.len() >= 11, "{header:?}");
    let (vba7, old) = branches();
    for (branch, decls, ptr_type) in [("VBA7", &vba7, "LongPtr"), ("VBA6", &old, "Long")] {
        let ga: Vec<&Declare> = decls.iter().filter(|d| d.lib == "getavatar.dll").collect();
        let names: Vec<&str> = ga.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(
            names.len(),
            header.len(),
            "{branch}: one Declare per exported function: {names:?}"
        );
        for d in ga {
            let (ret, params) = header
                .get(&d.name)
                .unwrap_or_else(|| panic!("{branch}: {} is not in the header", d.name));
            assert_eq!(d.ptr_safe, branch == "VBA7", "{branch}: {} PtrSafe", d.name);
            assert_eq!(
                d.params.len(),
                params.len(),
                "{branch}: {} argument count",
                d.name
            );
            for (vb, c) in d.params.iter().zip(params) {
                let want = if *c == C::Ptr { ptr_type } else { "Long" };
                assert_eq!(vb, want, "{branch}: {} argument type", d.name);
            }
            match ret {
                C::Void => assert!(d.is_sub && d.ret.is_none(), "{branch}: {} is a Sub", d.name),
                C::Ptr => assert_eq!(
                    d.ret.as_deref(),
                    Some(ptr_type),
                    "{branch}: {} returns a pointer",
                    d.name
                ),
                C::I32 => assert_eq!(
                    d.ret.as_deref(),
                    Some("Long"),
                    "{branch}: {} returns int32_t",
                    d.name
                ),
            }
        }
        for d in decls
            .iter()
            .filter(|d| d.lib == "kernel32" || d.lib == "advapi32")
        {
            assert_eq!(d.ptr_safe, branch == "VBA7", "{branch}: {}", d.name);
            if branch == "VBA6" {
                assert!(
                    d.params.iter().chain(d.ret.iter()).all(|t| t == "Long"),
                    "{branch}: {} uses Long only",
                    d.name
                );
            }
        }
    }
    let k: Vec<&str> = vba7
        .iter()
        .filter(|d| d.lib == "kernel32")
        .map(|d| d.name.as_str())
        .collect();
    for needed in [
        "LoadLibraryW",
        "lstrlenA",
        "RtlMoveMemory",
        "MultiByteToWideChar",
        "WideCharToMultiByte",
    ] {
        assert!(k.contains(&needed), "{needed} declared");
    }
}

#[test]
fn module_imports_as_is_and_offers_the_worksheet_functions() {
    assert!(
        BAS.starts_with("Attribute VB_Name = \"GetAvatar\"\r\n"),
        "the VBA editor imports a named module"
    );
    assert!(
        BAS.is_ascii(),
        "the VBA editor reads .bas files in the ANSI code page: keep it ASCII"
    );
    assert!(
        !BAS.replace("\r\n", "").contains('\n'),
        "CRLF line endings, as the VBA editor expects"
    );
    assert!(BAS.contains("\r\nOption Explicit\r\n"));
    for f in [
        "Public Function GaConnect(",
        "Public Sub GaDisconnect(",
        "Public Function GaAvatarUrl(",
        "Public Function GaAvatarAvailable(",
        "Public Function GaGetAvatar(",
        "Public Sub GaSetLibraryPath(",
        "Public Function GaVersion(",
        "Public Function GaAvatarUrls(",
        "Public Function GaSetConcurrency(",
        "Public Function GaSetCacheTtl(",
        "Public Function GaSetCaFile(",
        "Public Function GaSetUserAgent(",
        "Public Function GaSetTimeout(",
        "Public Function GaSetDeadline(ByVal ms As Long) As String",
        "Public Function GaSetMaxRetries(",
        "Public Function GaSetProxy(",
        "Public Function GaUseEnvProxy(",
        "Public Sub GaSaveToken(",
        "Public Sub GaDeleteToken(",
        "Public Sub GaInsertAvatars(",
        "Public Sub GaDownloadAvatars(",
    ] {
        assert!(BAS.contains(f), "{f}");
    }
    // Strings cross as UTF-8 and every returned string is copied before ga_free.
    assert!(BAS.contains("CP_UTF8 As Long = 65001"));
    let lookup = &BAS[BAS.find("Private Function ReadResult(").unwrap()..];
    let lookup = &lookup[..lookup.find("End Function").unwrap()];
    let free_at = lookup.find("ga_free p").unwrap();
    assert!(
        lookup.rfind("FromUtf8(").unwrap() < free_at,
        "copies before ga_free"
    );
    // One helper reads a result block, one makes the error text; ga_free is called only there.
    assert_eq!(BAS.matches("ga_free p").count(), 1, "one ReadResult");
    assert_eq!(BAS.matches("\"#\" & StatusName(").count(), 1, "one ErrText");
    // Setters are typed procedures: no dispatch on setting names.
    assert!(!BAS.contains("Select Case which") && !BAS.contains("Function Configure("));
    // The token is never kept in the workbook: no KeepSetting line names it.
    for l in BAS.lines().filter(|l| l.contains("KeepSetting ")) {
        assert!(!l.to_lowercase().contains("token"), "{l}");
    }
    // GaConnect without a token reads it from the credential store.
    let connect = &BAS[BAS.find("Public Function GaConnect(").unwrap()..];
    let connect = &connect[..connect.find("End Function").unwrap()];
    assert!(connect.contains("Optional ByVal apiTokenInstance As String"));
    assert!(connect.contains("ga_client_new_from_credential("));
    // The Esc key stops long work between DLL calls.
    assert!(BAS.contains("Application.EnableCancelKey = 2"));
    // Every #If has its #End If.
    assert_eq!(BAS.matches("#If ").count(), BAS.matches("#End If").count());
}

fn bas_const(name: &str, win64: bool) -> usize {
    let block = if win64 {
        &BAS[BAS
            .find("#If Win64 Then\r\nPrivate Const PTR_SIZE")
            .unwrap()..]
    } else {
        let s = &BAS[BAS
            .find("#If Win64 Then\r\nPrivate Const PTR_SIZE")
            .unwrap()..];
        &s[s.find("#Else").unwrap()..]
    };
    let line = block
        .lines()
        .find(|l| l.contains(&format!("Const {name} As Long = ")))
        .unwrap();
    line.rsplit(' ').next().unwrap().trim().parse().unwrap()
}

#[test]
fn struct_offsets_match_gaavatar() {
    use getavatar::ffi::GaAvatar;
    use std::mem::offset_of;
    // This host is 64-bit, like Win64.
    assert_eq!(
        bas_const("OFFSET_URL_AVATAR", true),
        offset_of!(GaAvatar, url_avatar)
    );
    assert_eq!(bas_const("OFFSET_ERROR", true), offset_of!(GaAvatar, error));
    assert_eq!(bas_const("PTR_SIZE", true), std::mem::size_of::<usize>());
    // 32-bit: three int32_t, then 4-byte pointers with no padding.
    assert_eq!(bas_const("OFFSET_URL_AVATAR", false), 12);
    assert_eq!(bas_const("OFFSET_ERROR", false), 16);
    assert_eq!(bas_const("PTR_SIZE", false), 4);
    // GaAvatarImage: GaAvatar's five fields at the same places, then data, size, content_type.
    use getavatar::ffi::GaAvatarImage;
    assert_eq!(
        offset_of!(GaAvatarImage, url_avatar),
        offset_of!(GaAvatar, url_avatar)
    );
    assert_eq!(
        offset_of!(GaAvatarImage, error),
        offset_of!(GaAvatar, error)
    );
    assert_eq!(
        offset_of!(GaAvatarImage, available),
        offset_of!(GaAvatar, available)
    );
    for (name, field) in [
        ("OFFSET_DATA", offset_of!(GaAvatarImage, data)),
        ("OFFSET_SIZE", offset_of!(GaAvatarImage, size)),
        (
            "OFFSET_CONTENT_TYPE",
            offset_of!(GaAvatarImage, content_type),
        ),
    ] {
        assert_eq!(bas_const(name, true), field, "{name}");
    }
    // 32-bit: 4-byte pointers and size_t, no padding.
    assert_eq!(bas_const("OFFSET_DATA", false), 20);
    assert_eq!(bas_const("OFFSET_SIZE", false), 24);
    assert_eq!(bas_const("OFFSET_CONTENT_TYPE", false), 28);
    let sim = include_str!("wine/vba_sim.c");
    for (name, v64, v32) in [
        ("OFFSET_URL_AVATAR", 16, 12),
        ("OFFSET_ERROR", 24, 16),
        ("OFFSET_DATA", 32, 20),
        ("OFFSET_SIZE", 40, 24),
        ("OFFSET_CONTENT_TYPE", 48, 28),
    ] {
        assert!(
            sim.contains(&format!("#define {name} {v64}"))
                && sim.contains(&format!("#define {name} {v32}")),
            "vba_sim.c {name}"
        );
    }
}

#[test]
fn connect_sets_a_deadline_of_at_most_ten_seconds_as_the_simulation_does() {
    let sim = include_str!("wine/vba_sim.c");
    let mut v = std::collections::HashMap::new();
    for name in ["VBA_DEADLINE_MS", "VBA_CACHE_TTL_S"] {
        let line = BAS
            .lines()
            .find(|l| l.starts_with(&format!("Private Const {name} As Long = ")))
            .unwrap_or_else(|| panic!("{name} in the .bas"));
        let n: u64 = line.rsplit(' ').next().unwrap().trim().parse().unwrap();
        assert!(
            sim.contains(&format!("#define {name} {n}\n")),
            "vba_sim.c {name} {n}"
        );
        v.insert(name, n);
    }
    // The DLL's deadline bounds every wait of a lookup: a cell returns within about 10 s.
    assert!(
        (1..=10_000).contains(&v["VBA_DEADLINE_MS"]),
        "deadline {} ms",
        v["VBA_DEADLINE_MS"]
    );
    // GaConnect applies it (from the workbook's setting, GaConnect's default otherwise) and keeps
    // it in the workbook; the old stopgap (a short timeout, one retry) is gone.
    assert!(BAS.contains(
        "ga_client_set_deadline_ms(mClient, CLng(Val(Setting(\"deadlineMs\", CStr(VBA_DEADLINE_MS)))))"
    ));
    assert!(
        BAS.contains("KeepSetting \"deadlineMs\", Setting(\"deadlineMs\", CStr(VBA_DEADLINE_MS))")
    );
    for old in ["VBA_TIMEOUT_MS", "VBA_MAX_RETRIES", "VBA_BACKOFF_MS"] {
        assert!(!BAS.contains(old) && !sim.contains(old), "{old} is left");
    }
}

#[test]
fn error_texts_name_settings_by_the_modules_procedures() {
    // ErrText maps every C setter of the core's table (src/settings.rs) to this module's name,
    // and each of those procedures exists.
    let vba = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/bindings/vba/GetAvatar.bas"
    ))
    .unwrap();
    assert!(vba.contains("ErrText = \"#\" & StatusName(status) & \": \" & VbaNames(message)"));
    for [_, c, _, name, _] in getavatar::SETTING_NAMES {
        let line = format!("message = Replace(message, \"{c}\", \"{name}\")");
        assert!(vba.contains(&line), "VbaNames lacks {line}");
        if name != "GaSetDeadline" {
            // The deadline setting arrives with its own branch.
            assert!(
                vba.contains(&format!("Public Function {name}(")),
                "no {name}"
            );
        }
    }
}
