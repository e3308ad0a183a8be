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
    F64,
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
            } else if ["int32_t", "GaStatus", "GaTrust", "GaMessage"]
                .iter()
                .any(|p| t.starts_with(p))
            {
                // GaStatus is int32_t in C, and an enum on int32_t in C++ and C23: a Long;
                // GaTrust and GaMessage are typedefs of int32_t.
                C::I32
            } else if t.starts_with("double") {
                C::F64
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
                C::F64 => assert_eq!(
                    d.ret.as_deref(),
                    Some("Double"),
                    "{branch}: {} returns double",
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
        "Public Sub GaSaveToken()",
        "Public Sub GaDeleteToken()",
        "Public Sub GaSaveTokenFor(ByVal apiUrl As String, ByVal idInstance As String)",
        "Public Sub GaDeleteTokenOf(ByVal idInstance As String)",
        "Public Sub GaFillLinks()",
        "Public Sub GaInsertPictures()",
        "Public Sub GaDownloadFiles()",
        "Public Sub GaFillAvatarUrls(",
        "Public Sub GaInsertAvatars(",
        "Public Sub GaDownloadAvatars(",
        "Public Function GaAvatarError(",
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
    // One helper reads a result block, one makes the error text; ga_free is called only in
    // ReadResult and in DropResult (an error handler's cleanup of a result Esc left unread).
    let ga_free_callers: Vec<&str> = procedures()
        .into_iter()
        .filter(|(_, body)| body.lines().any(|l| code_of(l).contains("ga_free ")))
        .map(|(name, _)| name)
        .collect();
    assert_eq!(ga_free_callers, ["ReadResult", "DropResult"]);
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
    use getavatar::internals::ffi::GaAvatar;
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
    use getavatar::internals::ffi::GaAvatarImage;
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
        BAS.contains("KeepSetting(\"deadlineMs\", Setting(\"deadlineMs\", CStr(VBA_DEADLINE_MS)))")
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

/// A line of the module without its comment, string literals blanked to `""`.
fn code_of(line: &str) -> String {
    let mut out = String::new();
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                out.push('"');
            }
            _ if quoted => {}
            '\'' => break,
            _ => out.push(c),
        }
    }
    out
}

/// The module's procedures in order: (name, text from its first line to its `End` line).
fn procedures() -> Vec<(&'static str, &'static str)> {
    let mut out = Vec::new();
    let mut rest = BAS;
    while let Some(i) = [
        "\r\nPrivate Sub ",
        "\r\nPrivate Function ",
        "\r\nPublic Sub ",
        "\r\nPublic Function ",
    ]
    .iter()
    .filter_map(|k| rest.find(k))
    .min()
    {
        let text = &rest[i + 2..];
        let name_start = text.find(' ').unwrap() + 1;
        let name_start = name_start + text[name_start..].find(' ').unwrap() + 1;
        let name_end = name_start + text[name_start..].find('(').unwrap();
        let end = ["\r\nEnd Sub", "\r\nEnd Function"]
            .iter()
            .filter_map(|k| text.find(k))
            .min()
            .unwrap();
        out.push((&text[name_start..name_end], &text[..end]));
        rest = &text[end..];
    }
    out
}

/// The module's procedures and getavatar.dll functions a procedure's body calls.
fn callees(body: &str, known: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    for line in body.lines().skip(1) {
        let code = code_of(line);
        for word in code.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
            if (word.starts_with("ga_") || known.contains(&word)) && !out.iter().any(|w| w == word)
            {
                out.push(word.to_string());
            }
        }
    }
    out
}

/// Everything `roots` reach through calls, with the calls into getavatar.dll.
fn reach(roots: &[&str]) -> Vec<String> {
    let procs = procedures();
    let names: Vec<&str> = procs.iter().map(|(n, _)| *n).collect();
    let mut seen: Vec<String> = roots.iter().map(|r| r.to_string()).collect();
    let mut i = 0;
    while i < seen.len() {
        if let Some((_, body)) = procs.iter().find(|(n, _)| *n == seen[i]) {
            for c in callees(body, &names) {
                if !seen.contains(&c) {
                    seen.push(c);
                }
            }
        }
        i += 1;
    }
    seen
}

fn body_of(name: &str) -> &'static str {
    procedures()
        .into_iter()
        .find(|(n, _)| *n == name)
        .unwrap_or_else(|| panic!("no procedure {name}"))
        .1
}

#[test]
fn every_message_is_readable_with_the_dll_missing() {
    // The status names live in the module and equal the header's GaStatus.
    let words: Vec<&str> = HEADER.split_whitespace().collect();
    let mut want: Vec<(i64, String)> = words
        .windows(3)
        .filter(|w| w[0].starts_with("GA_") && w[1] == "=")
        .filter_map(|w| Some((w[2].trim_end_matches(',').parse().ok()?, w[0].to_string())))
        .collect();
    want.sort();
    assert!(want.len() >= 15, "{want:?}");
    let table = body_of("StatusName");
    let mut got: Vec<(i64, String)> = table
        .lines()
        .filter_map(|l| {
            let l = l.trim().strip_prefix("Case ")?;
            let (n, rest) = l.split_once(": StatusName = \"")?;
            Some((n.parse().ok()?, rest.trim_end_matches('"').to_string()))
        })
        .collect();
    got.sort();
    assert_eq!(got, want, "StatusName's table is the header's GaStatus");
    assert!(table.contains("Case Else: StatusName = \"GA_ERR_UNKNOWN\""));
    // No error path calls into the DLL: ErrText and what makes a failure's text or value
    // reach no getavatar.dll function.
    let reached = reach(&[
        "ErrText",
        "VbaFailure",
        "VbaFailureResult",
        "Failure",
        "CheckId",
        "CellValue",
        "Place",
        "NoteReason",
        "Fmt",
        "LoadFailure",
    ]);
    let dll: Vec<&String> = reached.iter().filter(|w| w.starts_with("ga_")).collect();
    assert!(
        dll.is_empty(),
        "error paths call into the DLL: {dll:?} via {reached:?}"
    );
    // LastError, used where the DLL has just answered, asks it only once it is loaded.
    assert!(
        body_of("LastError").contains("If mLoaded Then LastError = FromUtf8(ga_last_error())"),
        "LastError asks the DLL only once it is loaded"
    );
    // ga_status_name is declared (the header test) but never called.
    assert!(!procedures()
        .iter()
        .any(|(_, b)| b.lines().any(|l| code_of(l).contains("ga_status_name"))));
    // The "not connected" path of a fresh workbook: EnsureClient answers from the module's own
    // text once EnsureLoaded has said whether the DLL can be loaded at all.
    let ensure = body_of("EnsureClient");
    assert!(
        ensure.contains("res = EnsureLoaded()")
            && ensure.contains("EnsureClient = MSG_NOT_CONNECTED")
    );
    // A Mac says so instead of #VALUE!.
    let loaded = body_of("EnsureLoaded");
    assert!(loaded.contains("#If Mac Then\r\n    EnsureLoaded = MSG_WINDOWS_ONLY\r\n#Else"));
    let readme = include_str!("../bindings/vba/README.md");
    assert!(readme.contains("Windows only"));
}

#[test]
fn alt_f8_entry_points_take_no_parameters() {
    // Every macro the module, its messages or its README send users to through Alt+F8 is a
    // public Sub without parameters (the Macro dialog lists no other).
    let readme = include_str!("../bindings/vba/README.md");
    let mut named: Vec<String> = Vec::new();
    let mut add = |text: &str| {
        for word in text.split(|c: char| !c.is_ascii_alphanumeric()) {
            if word.starts_with("Ga") && word.len() > 3 && !named.iter().any(|n| n == word) {
                named.push(word.to_string());
            }
        }
    };
    // The module header's list of Alt+F8 macros.
    let list = &BAS[BAS.find("' Macros to run from Alt+F8").unwrap()..];
    let list = &list[..list.find("' Nothing writes").unwrap()];
    for line in list.lines().skip(1) {
        if let Some(name) = line.strip_prefix("'   ") {
            add(name.split_whitespace().next().unwrap_or(""));
        }
    }
    // Any sentence of the module or the README that mentions Alt+F8: the names in its clause.
    for text in [BAS, readme] {
        for (i, _) in text.match_indices("Alt+F8") {
            let before = &text[i.saturating_sub(60)..i];
            let before = &before[before
                .rfind(['.', ';', ',', '\n', '|', ':'])
                .map_or(0, |k| k + 1)..];
            let after = &text[i + 6..(i + 60).min(text.len())];
            let after = &after[..after
                .find(['.', ';', ',', '\n', '|'])
                .unwrap_or(after.len())];
            add(before);
            add(after);
        }
    }
    let named: Vec<&str> = named.iter().map(String::as_str).collect();
    for must in [
        "GaSaveToken",
        "GaDeleteToken",
        "GaFillLinks",
        "GaInsertPictures",
        "GaDownloadFiles",
    ] {
        assert!(
            named.contains(&must),
            "{must} is offered in Alt+F8: {named:?}"
        );
    }
    for name in &named {
        assert!(
            BAS.contains(&format!("\r\nPublic Sub {name}()\r\n")),
            "{name} is sent to Alt+F8 but is not a public Sub without parameters"
        );
    }
    // And every parameterless public Sub (what Alt+F8 lists) is in the README.
    for (name, body) in procedures() {
        if body.starts_with(&format!("Public Sub {name}()")) {
            assert!(
                readme.contains(&format!("`{name}`")),
                "{name} is in the README"
            );
        }
    }
}

#[test]
fn macros_write_only_into_cells_the_user_named() {
    // The one place a cell's value is written: RunCells, into the block the caller named.
    let writes: Vec<(&str, String)> = procedures()
        .into_iter()
        .flat_map(|(name, body)| {
            body.lines()
                .map(code_of)
                .filter(|l| l.contains(".Value =") || l.contains(".Formula"))
                .map(move |l| (name, l.trim().to_string()))
        })
        .collect();
    assert_eq!(
        writes,
        [(
            "RunCells",
            "If what <> \"\" And Not target Is Nothing Then target.Value = value".to_string()
        )],
        "{writes:?}"
    );
    let run = body_of("RunCells");
    assert!(run.contains("Set out = Shaped(chatIds, dest)"));
    assert!(run.contains("Set target = out.Cells("));
    assert!(run.contains("If Overlaps(out, chatIds) Then Err.Raise"));
    assert!(
        !BAS.contains(".Offset(0, 1)"),
        "nothing goes to the cell right of an id unasked"
    );
    // Pictures go over named cells, files into a named folder, paths only into named cells.
    assert!(BAS.contains(
        "Public Sub GaInsertAvatars(ByVal chatIds As Object, ByVal pictureCells As Object)"
    ));
    assert!(BAS.contains(
        "Public Sub GaDownloadAvatars(ByVal chatIds As Object, ByVal folder As String, Optional ByVal pathCells As Object = Nothing)"
    ));
}

#[test]
fn paths_and_settings_go_through_wide_calls_and_stay_per_user() {
    for ansi in [
        "Dir$(",
        "Environ$(",
        "Environ(",
        "Kill ",
        " For Binary ",
        "SaveSetting",
        "GetSetting(",
    ] {
        assert!(
            !BAS.lines().any(|l| code_of(l).contains(ansi)),
            "{ansi}: ANSI file and environment calls lose non-ASCII paths"
        );
    }
    for wide in [
        "GetFileAttributesW",
        "GetEnvironmentVariableW",
        "CreateFileW",
        "MoveFileExW",
        "GetPrivateProfileStringW",
        "WritePrivateProfileStringW",
        "GetModuleHandleW",
    ] {
        assert!(
            BAS.contains(&format!(
                "Private Declare PtrSafe Function {wide} Lib \"kernel32\""
            )),
            "{wide}"
        );
    }
    let why = body_of("LoadFailure");
    for code in ["193", "126", "127", "1260"] {
        assert!(
            why.contains(&format!("Case {code}")),
            "LoadLibraryW error {code} explained"
        );
    }
    assert!(body_of("TryLoad").contains("code = Err.LastDllError"));
    // The proxy, the CA file and the trust belong to the PC: kept per user, not in the workbook.
    assert!(body_of("IsUserSetting")
        .contains("IsUserSetting = (name = \"proxy\" Or name = \"caFile\" Or name = \"trust\")"));
    assert!(BAS.contains("Private Const USER_SETTINGS As String = \"\\getavatar\\settings.ini\""));
    assert!(body_of("KeepSetting").contains("KeepSetting = KeepUserSetting(name, value)"));
    // A setting that cannot be kept is reported.
    assert!(body_of("Kept").contains("If Len(why) > 0 Then Kept = ErrText(GA_ERR_IO, why)"));
}

#[test]
fn failures_are_excel_errors_that_retry() {
    for f in [
        "GaAvatarUrl(ByVal chatId As Variant) As Variant",
        "GaAvatarAvailable(ByVal chatId As Variant) As Variant",
        "GaAvatarUrls(ByVal chatIds As Variant) As Variant",
        "GaDownloadAvatar(ByVal chatId As Variant, ByVal path As String) As Variant",
    ] {
        assert!(BAS.contains(&format!("Public Function {f}")), "{f}");
    }
    assert!(BAS.contains("Private Const XL_ERR_NA As Long = 2042"));
    let cell = body_of("CellValue");
    assert!(cell.contains("CellValue = CVErr(XL_ERR_NA)"));
    assert!(cell.contains("RetryOnRecalc (Not r.Blank And r.Status <> GA_OK)"));
    assert!(body_of("RetryOnRecalc").contains("Application.Volatile retry"));
    // Blank ids and Excel error values are read as such, not sent as "" or "Error 2042".
    let check = body_of("CheckId");
    assert!(check.contains("ElseIf IsError(v) Then") && check.contains("r.Blank = True"));
    // Esc is labelled as such only for Esc (error 18).
    assert!(body_of("VbaFailureResult").contains("If Err.Number = VBA_ERR_ESC Then"));
}

#[test]
fn messages_live_in_one_place() {
    // Every sentence a user reads is a MSG_ constant (one place to translate): no string in a
    // procedure holds a space, except Excel's own error names.
    for (name, body) in procedures() {
        for line in body.lines() {
            let mut parts = line.split('"');
            let before = parts.next().unwrap_or("");
            if before.contains('\'') {
                continue;
            }
            for (k, lit) in parts.enumerate() {
                if k % 2 == 0 && lit.contains(' ') && lit.chars().any(|c| c.is_ascii_alphabetic()) {
                    panic!("{name}: text outside the MSG_ constants: \"{lit}\" in {line}");
                }
            }
        }
    }
}

#[test]
fn readme_gives_the_workbook_events_and_the_honest_limits() {
    let readme = include_str!("../bindings/vba/README.md");
    // Closing frees the client; Workbook_Open is where GaSetLibraryPath goes.
    let close = &readme[readme
        .find("Private Sub Workbook_BeforeClose(Cancel As Boolean)")
        .unwrap()..];
    assert!(close[..close.find("End Sub").unwrap()].contains("GaDisconnect"));
    let open = &readme[readme.find("Private Sub Workbook_Open()").unwrap()..];
    assert!(open[..open.find("End Sub").unwrap()].contains("GaSetLibraryPath"));
    // No promise the module cannot keep; the limits and the ways around them are written down.
    assert!(!readme.contains("does not freeze Excel"));
    for needed in [
        "Windows only",
        "Not Responding",
        "recalculated in full when it is opened",
        "save the\n   workbook as `.xlsm`",
        "Ambiguous name detected",
        "GaDeleteTokenOf \"3100000001\"",
        "Windows error 193",
        "Windows error 1260",
        "VBA reset",
    ] {
        assert!(readme.contains(needed), "README: {needed}");
    }
}

/// A `Private Const NAME As String = "..."` of the module.
fn bas_text(name: &str) -> &'static str {
    let key = format!("Private Const {name} As String = \"");
    let at = BAS.find(&key).unwrap_or_else(|| panic!("no {name}")) + key.len();
    &BAS[at..at + BAS[at..].find("\"\r\n").unwrap()]
}

#[test]
fn avatar_urls_stops_asking_after_a_failure_of_the_instance_as_the_dll_rule_says() {
    // Issue 32: GaAvatarUrls over 500 ids on a dead network. ga_get_avatars stops within one
    // call, but the module calls it 16 ids at a time: each further group asked again (about
    // 10 s per group). The module's InstanceLevel must be the DLL's rule, and a group after
    // such a failure is not sent.
    use getavatar::{Error, GaStatus};
    let body = body_of("InstanceLevel");
    let statuses: Vec<i32> = body
        .lines()
        .map(code_of)
        .filter(|l| l.trim_start().starts_with("Case GA_ERR_"))
        .flat_map(|l| {
            l.trim_start()["Case ".len()..]
                .split(", ")
                .map(|n| n.trim().to_string())
                .collect::<Vec<_>>()
        })
        .map(|name| {
            let key = format!("Private Const {name} As Long = ");
            let at = BAS.find(&key).unwrap_or_else(|| panic!("no {name}")) + key.len();
            BAS[at..].lines().next().unwrap().trim().parse().unwrap()
        })
        .collect();
    let (last, no_connection, proxy) = (
        bas_text("DLL_LAST_ATTEMPT"),
        bas_text("DLL_NO_CONNECTION"),
        bas_text("DLL_SILENT_PROXY"),
    );
    for n in 1..=14 {
        let status = GaStatus::from_i32(n).unwrap();
        let e = Error {
            status,
            http_status: 0,
            message: "x".into(),
        };
        let listed = statuses.contains(&n);
        if status == GaStatus::GA_ERR_NETWORK {
            assert!(listed && body.contains("InstanceLevel = (r.HttpStatus = 0)"));
            assert!(e.is_instance_level());
            let answered = Error {
                http_status: 200,
                ..e.clone()
            };
            assert!(
                !answered.is_instance_level(),
                "the DLL: an answer cut short is the id's"
            );
        } else if status == GaStatus::GA_ERR_TIMEOUT {
            assert!(listed, "GA_ERR_TIMEOUT is decided by its message");
            for (m, want) in [
                (
                    format!("deadline reached{last}{no_connection}h within 1 ms"),
                    true,
                ),
                (format!("{proxy}p never answered"), true),
                (
                    format!("deadline reached{last}no complete answer from h"),
                    false,
                ),
            ] {
                let e = Error {
                    message: m.clone(),
                    ..e.clone()
                };
                assert_eq!(e.is_instance_level(), want, "the DLL on {m:?}");
            }
        } else {
            assert_eq!(
                listed,
                e.is_instance_level(),
                "{status:?}: the module and the DLL differ"
            );
        }
    }
    let many = body_of("LookupMany");
    let call = many
        .find("LookupChunk texts")
        .expect("LookupMany calls LookupChunk");
    let guard = many[..call]
        .rfind("If halt.Status = GA_OK Then")
        .expect("only before a halt");
    assert!(
        many[guard..call].lines().count() <= 2,
        "the call is the guarded branch"
    );
    assert!(body_of("LookupChunk").contains("InstanceLevel(r)"));
}

#[test]
fn the_macros_stop_asking_after_a_failure_of_the_instance() {
    // GaFillLinks (and GaFillAvatarUrls) looks ids up one at a time: after a wrong token or a
    // dead network each further id was asked (10 s each).
    let body = body_of("RunCells");
    let guard = body
        .find("If halt.Status <> GA_OK Then")
        .expect("a halt check");
    let ask = body.find("r = LookupOne(c").expect("the lookup");
    let other = body[guard..].find("Else").map(|i| guard + i).unwrap();
    assert!(
        guard < other && other < ask,
        "the lookups are in the branch without a halt"
    );
    // Lookups only (GaFillLinks): a picture's failure is its host's, not the instance's.
    assert!(body[ask..].contains("If what = \"fill\" And InstanceLevel(r) Then"));
}

/// The module's Russian (issue 29): every MSG_ text has an RU_ form that decodes to Russian with
/// the same %N places, Tr picks it in an Excel whose UI language is Russian, and the client's
/// messages are set to Excel's UI language.
#[test]
fn every_message_has_its_russian_form_and_the_client_follows_excels_language() {
    let consts = |prefix: &str| -> Vec<(String, String)> {
        BAS.lines()
            .filter_map(|l| {
                let rest = l.strip_prefix("Private Const ")?.strip_prefix(prefix)?;
                let (name, value) = rest.split_once(" As String = \"")?;
                Some((name.to_string(), value.trim_end_matches('"').to_string()))
            })
            .collect()
    };
    let unescape = |s: &str| -> String {
        let mut out = String::new();
        let mut rest = s;
        while let Some(i) = rest.find("\\u") {
            out.push_str(&rest[..i]);
            let code = u32::from_str_radix(&rest[i + 2..i + 6], 16).unwrap();
            out.push(char::from_u32(code).unwrap());
            rest = &rest[i + 6..];
        }
        out + rest
    };
    let places = |s: &str| -> Vec<String> {
        let mut v: Vec<String> = s
            .match_indices('%')
            .map(|(i, _)| s[i..(i + 2).min(s.len())].to_string())
            .collect();
        v.sort();
        v.dedup();
        v
    };
    let (en, ru) = (consts("MSG_"), consts("RU_"));
    assert!(en.len() >= 40, "{}", en.len());
    let tr = body_of("Tr");
    for (name, text) in &en {
        let (_, r) = ru
            .iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("MSG_{name} has no RU_{name}"));
        let r = unescape(r);
        assert!(
            r.chars().any(|c| ('\u{400}'..='\u{4ff}').contains(&c)) || r == *text,
            "RU_{name} is not Russian: {r}"
        );
        assert_eq!(places(text), places(&r), "MSG_{name}: {r}");
        assert!(
            tr.contains(&format!("Case MSG_{name}: Tr = Unescape(RU_{name})")),
            "Tr lacks MSG_{name}"
        );
    }
    assert!(body_of("RussianUi").contains("Application.LanguageSettings.LanguageID(2) = 1049"));
    let apply = body_of("ApplySettings");
    assert!(apply.contains(
        "b = ToUtf8(UiLanguageTag()): st = ga_client_set_language(mClient, VarPtr(b(0)))"
    ));
    // What the user reads goes through Tr: the format helper, error texts and the dialogs.
    assert!(body_of("Fmt").contains("text = Tr(text)"));
    assert!(body_of("ErrText").contains("message = Tr(message)"));
    assert!(body_of("AskRange").contains("Prompt:=Tr(prompt)"));
}
