//! The `getavatar` binary, run as a user would, against the emulator started in-process.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use getavatar_emulator::{Config, Emulator, Fault};

const BIN: &str = env!("CARGO_BIN_EXE_getavatar");

/// The binary with no configuration or proxy from the test's own environment.
fn cli() -> Command {
    let mut c = Command::new(BIN);
    cli_env_free(&mut c).stdin(Stdio::null());
    c
}

/// `c` without the GA_* and proxy variables of the test's environment.
fn cli_env_free(c: &mut Command) -> &mut Command {
    for k in [
        "GA_API_URL",
        "GA_ID_INSTANCE",
        "GA_API_TOKEN_INSTANCE",
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
        // The language: English unless a test asks for another.
        "GA_LANG",
        "LC_ALL",
        "LC_MESSAGES",
        "LANG",
    ] {
        c.env_remove(k);
    }
    c
}

/// The binary configured for `emu` through the environment.
fn cli_for(emu: &Emulator) -> Command {
    let mut c = cli();
    c.env("GA_API_URL", emu.url())
        .env("GA_ID_INSTANCE", emu.id_instance())
        .env("GA_API_TOKEN_INSTANCE", emu.token());
    c
}

/// Runs `c` with `stdin` as its standard input.
fn run_with_input(c: &mut Command, stdin: &[u8]) -> Output {
    let mut child = c
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let data = stdin.to_vec();
    let feeder = std::thread::spawn(move || input.write_all(&data));
    let out = child.wait_with_output().unwrap();
    feeder.join().unwrap().unwrap();
    out
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A fresh empty folder for one test.
fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("getavatar-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The rows of CSV output (header first).
fn csv_rows(out: &[u8], delimiter: u8) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .delimiter(delimiter)
        .from_reader(out)
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

fn jsonl(out: &[u8]) -> Vec<serde_json::Value> {
    text(out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect()
}

#[test]
fn help_and_version_go_to_stdout_with_exit_0() {
    let out = cli().arg("--help").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let help = text(&out.stdout);
    for want in [
        "--from",
        "--column",
        "--format",
        "--download",
        "--token-file",
        "--sandbox",
        "--rate-limit",
        "GA_API_TOKEN_INSTANCE",
        "Exit status",
        "Windows Credential Manager",
    ] {
        assert!(help.contains(want), "--help lacks {want}:\n{help}");
    }
    assert!(out.stderr.is_empty());
    let out = cli().arg("--version").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        text(&out.stdout).trim(),
        format!("getavatar {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn usage_errors_exit_2_and_say_why() {
    let dir = temp_dir("usage");
    let ids = dir.join("ids.csv");
    std::fs::write(&ids, "a,b\n1,2\n").unwrap();
    let xlsx = dir.join("ids.xlsx");
    std::fs::write(&xlsx, b"PK\x03\x04rest of a zip").unwrap();
    let ids = ids.to_str().unwrap();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec![], "no chat ids"),
        (vec!["--bogus", "1"], "--bogus"),
        (vec!["--token", "abc", "1"], "--token"),
        (vec!["--column", "2", "1"], "--from"),
        (
            vec!["--sandbox", "--api-url", "http://127.0.0.1:9", "1"],
            "--sandbox",
        ),
        (vec!["--rate-limit", "5000", "1"], "5000"),
        (vec!["--concurrency", "0", "1"], "--concurrency"),
        (vec!["--timeout", "0", "1"], "0.001 to 600"),
        (vec!["--format", "xml", "1"], "xml"),
        (vec!["--sandbox", "--delimiter", "ab", "1"], "--delimiter"),
        (
            vec!["--sandbox", "--from", ids, "--column", "chat"],
            "\"a\", \"b\"",
        ),
        (
            vec!["--sandbox", "--from", ids, "--column", "0"],
            "numbered from 1",
        ),
        (
            vec!["--sandbox", "--from", "/nonexistent/ids.csv"],
            "cannot open",
        ),
        (
            vec!["--sandbox", "--from", xlsx.to_str().unwrap()],
            "CSV UTF-8",
        ),
        (vec!["--sandbox", "--from", ids, "-o", ids], "overwritten"),
        (vec!["--sandbox", "--proxy", "ftp://x", "1"], "--proxy"),
        (
            vec!["--sandbox", "--ca-file", "/nonexistent.pem", "1"],
            "CA file",
        ),
        (vec!["1"], "GA_API_URL"),
        (
            vec!["--api-url", "ftp://x", "--id-instance", "1", "1"],
            "GA_API_TOKEN_INSTANCE",
        ),
    ];
    for (args, want) in cases {
        let out = cli().args(&args).output().unwrap();
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
    assert_eq!(
        std::fs::read_to_string(ids).unwrap(),
        "a,b\n1,2\n",
        "the input survives -o pointing at it"
    );
}

#[test]
fn sandbox_prints_links_and_exit_codes_say_whether_all_succeeded() {
    let out = cli()
        .args([
            "--sandbox",
            "10000000",
            "-10000000000000",
            "20000000",
            "30000000",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let lines: Vec<String> = text(&out.stdout).lines().map(str::to_string).collect();
    assert_eq!(lines.len(), 4, "{lines:?}");
    assert!(lines[0].starts_with("10000000\thttp://127.0.0.1:"));
    assert!(lines[0].ends_with("/avatars/10000000.png"));
    assert!(lines[1].ends_with("/avatars/-10000000000000.png"));
    assert_eq!(
        lines[2],
        "20000000\tno avatar (none set, or no such account)"
    );
    assert_eq!(
        lines[3],
        "30000000\tno avatar (hidden by the user's privacy settings)"
    );
    let out = cli()
        .args(["--sandbox", "10000000", "+7 900 123-45-67", "20000000"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let lines: Vec<String> = text(&out.stdout).lines().map(str::to_string).collect();
    assert_eq!(lines.len(), 3, "a failure does not stop the run: {lines:?}");
    assert!(
        lines[1].starts_with("+7 900 123-45-67\terror GA_ERR_INVALID_ARGUMENT: "),
        "{}",
        lines[1]
    );
}

#[test]
fn environment_and_token_file_configuration_reach_the_server() {
    let emu = Emulator::start_default().unwrap();
    let out = cli_for(&emu).arg("-10000000000000").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("/avatars/-10000000000000.png"));
    assert_eq!(emu.request_count(), 1);
    assert!(emu.requests()[0].user_agent.starts_with("getavatar-cli/"));

    // Flags win over the environment; the token comes from a private file.
    let dir = temp_dir("token");
    let tf = dir.join("token");
    std::fs::write(&tf, format!("{}\n", emu.token())).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&tf, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let out = cli()
        .env("GA_API_URL", "http://127.0.0.1:9")
        .env("GA_API_TOKEN_INSTANCE", "wrongtoken")
        .args(["--api-url", &emu.url(), "--id-instance", &emu.id_instance()])
        .arg("--token-file")
        .arg(&tf)
        .arg("10000000")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
    assert_eq!(emu.request_count(), 2);
}

#[test]
fn a_rejected_token_stops_the_run_at_once_and_never_shows_the_token() {
    let emu = Emulator::start_default().unwrap();
    let token = "0123456789abcdef0123456789abcdef";
    let ids: Vec<String> = (0..200).map(|i| (10000000 + i).to_string()).collect();
    let out = cli_for(&emu)
        .env("GA_API_TOKEN_INSTANCE", token)
        .args(["--format", "jsonl", "--rate-limit", "0"])
        .args(&ids)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        emu.request_count() <= 4,
        "one request per worker, not one per id: {}",
        emu.request_count()
    );
    assert!(jsonl(&out.stdout).is_empty(), "{}", text(&out.stdout));
    let err = text(&out.stderr);
    assert!(
        err.starts_with("getavatar: stopped at line ")
            && err.contains("GA_ERR_UNAUTHORIZED: HTTP 401 Unauthorized")
            && err.contains("wrote 0 of 200 rows"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 2, "one message: {err}");
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr)).to_lowercase();
    for i in 0..=token.len() - 8 {
        assert!(!all.contains(&token[i..i + 8]), "token fragment in {all}");
    }
}

#[test]
fn the_quota_used_up_stops_the_run_keeping_the_rows_done_while_row_failures_go_on() {
    let emu = Emulator::start_default().unwrap();
    emu.set_quota(Some(3));
    let out = cli_for(&emu)
        .args(["--concurrency", "1", "--rate-limit", "0", "--format", "csv"])
        .args(["10000000", "bad", "20000000", "30000000", "-10000000000000"])
        .args((1..50).map(|i| (10000000 + i).to_string()))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let rows = csv_rows(&out.stdout, b',');
    let status: Vec<&str> = rows[1..].iter().map(|r| r[2].as_str()).collect();
    assert_eq!(
        status,
        ["GA_OK", "GA_ERR_INVALID_ARGUMENT", "GA_OK", "GA_OK"],
        "a bad id goes on; the quota stops: {rows:?}"
    );
    assert_eq!(emu.request_count(), 4);
    let err = text(&out.stderr);
    assert!(
        err.contains("stopped at line 5 (-10000000000000): GA_ERR_QUOTA_EXCEEDED")
            && err.contains("wrote 4 of 54 rows"),
        "{err}"
    );
}

#[test]
fn an_unreachable_server_stops_the_run_at_the_first_network_failure() {
    // Nothing listens on the port: connection refused, every time.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let t = Instant::now();
    let out = cli()
        .env("GA_API_URL", format!("http://127.0.0.1:{port}"))
        .env("GA_ID_INSTANCE", "1101000001")
        .env("GA_API_TOKEN_INSTANCE", "0123456789abcdef")
        .args(["--retries", "1"])
        .args((0..100).map(|i| (10000000 + i).to_string()))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("GA_ERR_NETWORK") && err.contains("wrote 0 of 100"),
        "{err}"
    );
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
}

#[test]
fn excel_csv_with_bom_semicolons_quotes_blank_lines_and_bad_rows() {
    let emu = Emulator::start_default().unwrap();
    let input = "\u{feff}Name;Chat ID;Note\r\n\
                 \"Smith; John\";10000000;\"said \"\"hi\"\"\r\nthen left\"\r\n\
                 ;;\r\n\
                 \r\n\
                 Bad;+7 900 123-45-67;x\r\n\
                 Empty;;x\r\n\
                 Short\r\n\
                 Group; -10000000000000 ;\r\n";
    let out = run_with_input(
        cli_for(&emu).args(["--from", "-", "--column", "chat id", "--format", "csv"]),
        input.as_bytes(),
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
    // The input had a byte order mark: so has the output, for Excel.
    let body = out
        .stdout
        .strip_prefix(b"\xef\xbb\xbf")
        .expect("a byte order mark");
    let rows = csv_rows(body, b';');
    assert_eq!(
        rows[0],
        [
            "line",
            "chat_id",
            "status",
            "http_status",
            "url",
            "available",
            "error"
        ]
    );
    let got: Vec<(&str, &str, &str)> = rows[1..]
        .iter()
        .map(|r| (r[0].as_str(), r[1].as_str(), r[2].as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("2", "10000000", "GA_OK"),
            // Neutralised: Excel would read "+7 ..." as a formula.
            ("6", "'+7 900 123-45-67", "GA_ERR_INVALID_ARGUMENT"),
            ("7", "", "GA_ERR_INVALID_ARGUMENT"),
            ("8", "", "GA_ERR_INVALID_ARGUMENT"),
            ("9", "-10000000000000", "GA_OK"),
        ]
    );
    assert!(rows[1][4].ends_with("/avatars/10000000.png") && rows[1][5] == "true");
    assert!(
        rows[2][6].contains("a phone number is not a chat id"),
        "{:?}",
        rows[2]
    );
    assert!(rows[3][6].contains("empty"), "{:?}", rows[3]);
    assert!(rows[4][6].contains("no column 2"), "{:?}", rows[4]);
    assert_eq!(emu.request_count(), 2, "bad rows send nothing");
}

#[test]
fn plain_id_lists_comma_files_by_number_and_explicit_delimiters() {
    let emu = Emulator::start_default().unwrap();
    let dir = temp_dir("plain");
    let f = dir.join("ids.txt");
    std::fs::write(&f, "\u{feff}10000000\n\n20000000\n30000000").unwrap();
    let out = cli_for(&emu)
        .arg("--from")
        .arg(&f)
        .args(["--format", "csv"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let rows = csv_rows(&out.stdout, b',');
    let ids: Vec<(&str, &str)> = rows[1..]
        .iter()
        .map(|r| (r[0].as_str(), r[1].as_str()))
        .collect();
    assert_eq!(
        ids,
        [("1", "10000000"), ("3", "20000000"), ("4", "30000000")]
    );
    assert_eq!(rows[3][5], "false");

    let f = dir.join("people.csv");
    std::fs::write(&f, "name,id\n\"Doe, Jane\",10000000\n").unwrap();
    let out = cli_for(&emu)
        .arg("--from")
        .arg(&f)
        .args(["--column", "2", "--format", "csv", "--delimiter", "tab"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "a tab delimiter leaves one column"
    );
    let out = cli_for(&emu)
        .arg("--from")
        .arg(&f)
        .args(["--column", "2", "--format", "csv", "--delimiter", ","])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    let rows = csv_rows(&out.stdout, b',');
    assert_eq!((rows.len(), rows[1][1].as_str()), (2, "10000000"));
}

#[test]
fn json_lines_one_object_per_id_in_order() {
    let emu = Emulator::start_default().unwrap();
    let out = cli_for(&emu)
        .args(["--format", "jsonl", "40000000", "bad", "30000000"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let rows = jsonl(&out.stdout);
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0]["line"], 1);
    assert_eq!(rows[0]["chat_id"], "40000000");
    assert_eq!(rows[0]["status"], "GA_OK");
    assert_eq!(rows[0]["available"], serde_json::Value::Null);
    assert!(rows[0]["url"]
        .as_str()
        .unwrap()
        .ends_with("/avatars/40000000.png"));
    assert_eq!(rows[0]["error"], serde_json::Value::Null);
    assert_eq!(rows[1]["status"], "GA_ERR_INVALID_ARGUMENT");
    assert!(rows[1]["error"].as_str().unwrap().contains("\"bad\""));
    assert_eq!(rows[2]["available"], false);
    assert!(rows[0].get("file").is_none());
}

#[test]
fn downloads_are_named_by_id_and_type_written_whole_and_reported() {
    let emu = Emulator::start_default().unwrap();
    emu.set_avatar("50000000", "{base}/avatars/50000000.jpg", Some(true));
    let dir = temp_dir("download");
    let target = dir.join("new/folder");
    let out = cli_for(&emu)
        .args(["--format", "jsonl", "--download"])
        .arg(&target)
        .args(["10000000", "-10000000000000", "50000000", "20000000"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let rows = jsonl(&out.stdout);
    let png = target.join("10000000.png");
    assert_eq!(rows[0]["file"], png.to_str().unwrap());
    assert_eq!(
        std::fs::read(&png).unwrap(),
        getavatar_emulator::AVATAR_PNG,
        "the whole picture"
    );
    assert!(target.join("-10000000000000.png").is_file());
    assert_eq!(
        rows[2]["file"],
        target.join("50000000.jpg").to_str().unwrap()
    );
    assert_eq!(
        rows[3]["file"],
        serde_json::Value::Null,
        "no avatar, no file"
    );
    let mut names: Vec<String> = std::fs::read_dir(&target)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["-10000000000000.png", "10000000.png", "50000000.jpg"],
        "no temporary file is left"
    );

    // An image that fails is that row's error, with the link kept; the others still download.
    emu.push_image_fault(Fault::Status {
        status: 404,
        body: String::new(),
        headers: vec![],
    });
    let again = dir.join("again");
    let out = cli_for(&emu)
        .args(["--format", "csv", "--concurrency", "1", "--download"])
        .arg(&again)
        .args(["10000000", "-10000000000000"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let rows = csv_rows(&out.stdout, b',');
    assert_eq!(rows[0][6], "file");
    assert_eq!(rows[1][2], "GA_ERR_BAD_RESPONSE");
    assert!(
        rows[1][4].ends_with("/avatars/10000000.png"),
        "{:?}",
        rows[1]
    );
    assert_eq!(rows[1][6], "");
    assert!(rows[1][7].contains("404"), "{:?}", rows[1]);
    assert_eq!(rows[2][2], "GA_OK");
    assert!(!again.join("10000000.png").exists());
    assert!(again.join("-10000000000000.png").is_file());

    // A folder that cannot be made is a configuration error before any lookup.
    let file = dir.join("a-file");
    std::fs::write(&file, "x").unwrap();
    let before = emu.request_count();
    let out = cli_for(&emu)
        .arg("--download")
        .arg(file.join("sub"))
        .arg("10000000")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--download"));
    assert_eq!(emu.request_count(), before);
}

#[test]
fn rows_keep_input_order_under_concurrency_and_the_rate_limit_holds() {
    let emu = Emulator::start(Config {
        rate_limit: 10,
        ..Config::default()
    })
    .unwrap();
    // Later requests answer sooner, so rows finish out of order.
    for i in 0..24u64 {
        emu.push_fault(Fault::Delay(Duration::from_millis((24 - i) * 15)));
    }
    let ids: Vec<String> = (0..24).map(|i| (10000000 + i).to_string()).collect();
    let out = cli_for(&emu)
        .args(["--format", "jsonl", "--concurrency", "8", "--retries", "0"])
        .args(&ids)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    let got: Vec<String> = jsonl(&out.stdout)
        .iter()
        .map(|r| r["chat_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(got, ids);
    let q = emu.requests();
    assert_eq!(q.len(), 24);
    assert!(q.iter().all(|r| r.status == 200), "no 429 from the server");
}

#[test]
fn progress_stays_off_when_stderr_is_not_a_terminal() {
    let emu = Emulator::start_default().unwrap();
    let ids: Vec<String> = (0..15).map(|i| (10000000 + i).to_string()).collect();
    let out = cli_for(&emu)
        .args(["--rate-limit", "20"])
        .args(&ids)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stdout).lines().count(), 15);
    assert!(out.stderr.is_empty(), "{:?}", text(&out.stderr));
}

/// Runs `cmd` with standard error on a pseudo-terminal; returns what the terminal showed.
#[cfg(target_os = "linux")]
fn stderr_on_a_terminal(mut cmd: Command) -> (Option<i32>, String) {
    use std::os::fd::{FromRawFd, OwnedFd};
    let (mut master, mut slave) = (0, 0);
    let size = libc::winsize {
        ws_row: 24,
        ws_col: 100,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: valid out-pointers and a valid winsize.
    let rc = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            &size,
        )
    };
    assert_eq!(rc, 0, "openpty");
    // SAFETY: openpty returned two open descriptors that we now own.
    let (master, slave) = unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::from(slave))
        .env("TERM", "xterm")
        .spawn()
        .unwrap();
    drop(cmd);
    let mut term = std::fs::File::from(master);
    let reader = std::thread::spawn(move || {
        let mut seen = Vec::new();
        let _ = term.read_to_end(&mut seen); // EIO once the child has closed the terminal
        seen
    });
    let status = child.wait().unwrap();
    (status.code(), text(&reader.join().unwrap()))
}

#[cfg(target_os = "linux")]
#[test]
fn progress_on_a_terminal_shows_count_rate_time_left_and_failures() {
    let emu = Emulator::start_default().unwrap();
    let mut cmd = cli_for(&emu);
    cmd.args(["--rate-limit", "5", "10000000", "bad"]);
    cmd.args((1..10).map(|i| (10000000 + i).to_string()));
    let (code, shown) = stderr_on_a_terminal(cmd);
    assert_eq!(code, Some(1), "{shown}");
    assert!(shown.contains("/11 "), "count: {shown:?}");
    assert!(shown.contains("/s"), "rate: {shown:?}");
    assert!(shown.contains(" left"), "time left: {shown:?}");
    assert!(shown.contains("1 failed"), "failures: {shown:?}");
    let mut cmd = cli_for(&emu);
    cmd.args(["--no-progress", "10000000"]);
    let (code, shown) = stderr_on_a_terminal(cmd);
    assert_eq!((code, shown.as_str()), (Some(0), ""));
}

#[cfg(target_os = "linux")]
#[test]
fn progress_shows_the_pace_learned_from_the_server() {
    // The server allows 3 a second; the CLI's rate limit is 5: the bar and the summary say the
    // pace the client settled at, and no row fails for the 429s it learned from.
    let emu = Emulator::start_default().unwrap();
    emu.set_rate_limit(3);
    let mut cmd = cli_for(&emu);
    cmd.args(["--rate-limit", "5"]);
    cmd.args((0..9).map(|i| (10000000 + i).to_string()));
    let (code, shown) = stderr_on_a_terminal(cmd);
    assert_eq!(code, Some(0), "{shown}");
    assert!(shown.contains("0 failed, paced at 3/s"), "{shown:?}");
}

#[cfg(unix)]
#[test]
fn an_interrupt_keeps_the_finished_rows_in_order() {
    let emu = Emulator::start_default().unwrap();
    emu.push_faults(Fault::Delay(Duration::from_millis(300)), 40);
    let dir = temp_dir("interrupt");
    let out_file = dir.join("out.csv");
    let ids: Vec<String> = (0..40).map(|i| (10000000 + i).to_string()).collect();
    let mut child = cli_for(&emu)
        .args([
            "--format",
            "jsonl",
            "--concurrency",
            "2",
            "--rate-limit",
            "0",
        ])
        .args(&ids)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut got = Vec::new();
    while got.len() < 3 {
        got.push(lines.next().unwrap().unwrap());
    }
    // SAFETY: signalling our own child.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGINT) }, 0);
    let started = Instant::now();
    got.extend(lines.map(Result::unwrap));
    let status = child.wait().unwrap();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "stopped promptly"
    );
    assert_eq!(status.code(), Some(130), "{err}");
    let rows: Vec<serde_json::Value> = got
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let n = rows.len();
    assert!((3..40).contains(&n), "{n} rows");
    for (i, r) in rows.iter().enumerate() {
        assert_eq!(r["chat_id"], ids[i].as_str(), "in order, no gap");
        assert_eq!(r["status"], "GA_OK", "finished lookups, not cut ones");
    }
    assert!(err.contains(&format!("wrote {n} of 40 rows")), "{err}");
    assert!(
        emu.request_count() < 40,
        "no new lookup after the interrupt"
    );
    let _ = std::fs::remove_dir_all(&dir);
    let _ = out_file;
}

#[test]
fn output_to_a_file() {
    let dir = temp_dir("output");
    let f = dir.join("links.csv");
    let out = cli()
        .args(["--sandbox", "--format", "csv", "-o"])
        .arg(&f)
        .args(["10000000", "20000000"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
    let rows = csv_rows(&std::fs::read(&f).unwrap(), b',');
    assert_eq!(rows.len(), 3);
    assert!(Path::new(&f).is_file());
}

#[test]
fn a_closed_output_pipe_stops_the_run_quietly_with_exit_3() {
    let emu = Emulator::start_default().unwrap();
    let ids: Vec<String> = (0..30).map(|i| (10000000 + i).to_string()).collect();
    let mut child = cli_for(&emu)
        .args(["--rate-limit", "10"])
        .args(&ids)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    stdout.read_line(&mut first).unwrap();
    assert!(first.starts_with("10000000\t"), "{first}");
    drop(stdout); // as `| head -1` does
    let status = child.wait().unwrap();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert_eq!(status.code(), Some(3), "{err}");
    assert_eq!(err, "");
    assert!(emu.request_count() < 30, "the run stopped");
}

// The binary under hostile conditions the tester found (each test failed on the code before
// its fix).

/// Ctrl-C while lookups wait for a server that does not answer: the program stops at once
/// (the lookups in flight are cancelled), not after the timeout (60 s here, minutes with the
/// default retries), and writes no row for the cut lookups.
#[cfg(unix)]
#[test]
fn an_interrupt_cancels_the_lookups_in_flight() {
    let emu = Emulator::start_default().unwrap();
    emu.push_faults(Fault::NeverAnswer, 8);
    let mut child = cli_for(&emu)
        .args(["--format", "jsonl", "--timeout", "60", "--retries", "0"])
        .args(["10000000", "-10000000000000"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until both requests reached the server.
    let t0 = Instant::now();
    while emu.request_count() < 2 && t0.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(emu.request_count(), 2, "both lookups in flight");
    // SAFETY: signalling our own child.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGINT) }, 0);
    let started = Instant::now();
    let deadline = started + Duration::from_secs(15);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("still running 15 s after Ctrl-C (the lookups in flight were not cancelled)");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let (mut out, mut err) = (String::new(), String::new());
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(status.code(), Some(130), "{err}");
    assert_eq!(out, "", "no row for a cut lookup");
    assert!(err.contains("wrote 0 of 2 rows"), "{err}");
}

/// A CSV with a quote that is never closed (a stray `"` typed at the start of a cell): the CSV
/// reader would read every later row into that one cell, and the run "succeeded" with rows
/// silently missing. It is refused as a usage error, naming the line, and nothing is looked up.
#[test]
fn an_unclosed_quote_is_refused_not_a_silent_loss_of_rows() {
    let emu = Emulator::start_default().unwrap();
    let dir = std::env::temp_dir().join(format!("ga-cli-attack-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("ids.csv");
    std::fs::write(
        &f,
        "chat_id,name\n10000000,\"Bob\n20000000,Alice\n30000000,Carol\n",
    )
    .unwrap();
    let out = cli_for(&emu).arg("--from").arg(&f).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("line 2"), "{err}");
    assert!(out.stdout.is_empty());
    assert_eq!(emu.request_count(), 0);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The token in the id column (a credentials export read with the wrong `--column`, or pasted
/// as an argument): the library's message describes it without quoting it, and the row's
/// `chat_id` field must not quote it either (it did, whole, in every format).
#[test]
fn a_token_in_the_id_column_is_not_echoed_in_the_rows() {
    let emu = Emulator::start_default().unwrap();
    let token = emu.token();
    let dir = std::env::temp_dir().join(format!("ga-cli-attack-tok-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("cred.csv");
    std::fs::write(&f, format!("id,token\n{},{token}\n", emu.id_instance())).unwrap();
    let lower = token.to_ascii_lowercase();
    for format in ["text", "csv", "jsonl"] {
        for by_file in [true, false] {
            let mut c = cli_for(&emu);
            c.args(["--format", format]);
            if by_file {
                c.arg("--from").arg(&f).args(["--column", "token"]);
            } else {
                c.arg(&token);
            }
            let out = c.output().unwrap();
            assert_eq!(out.status.code(), Some(1), "{format}");
            let all = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
            .to_ascii_lowercase();
            assert!(all.contains("looks like a token"), "{format}: {all}");
            for w in lower.as_bytes().windows(8) {
                let frag = std::str::from_utf8(w).unwrap();
                assert!(
                    !all.contains(frag),
                    "{format} ({by_file}) shows {frag:?}: {all}"
                );
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// An input file of `n` ids (a header, a bad id at row 4) in `dir`.
fn id_file(dir: &Path, n: usize) -> PathBuf {
    let mut s = String::from("chat_id\n");
    for i in 0..n {
        if i == 3 {
            s.push_str("bad\n");
        } else {
            s.push_str(&format!("{}\n", 10000000 + i));
        }
    }
    let p = dir.join("ids.csv");
    std::fs::write(&p, s).unwrap();
    p
}

#[test]
fn resume_finishes_a_cut_file_as_an_uncut_run_writes_it_and_leaves_a_complete_one() {
    let emu = Emulator::start_default().unwrap();
    let dir = temp_dir("resume");
    let input = id_file(&dir, 12);
    let run = |format: &str, out: &Path, resume: bool| {
        let mut c = cli_for(&emu);
        c.args(["--rate-limit", "0", "--format", format, "--from"])
            .arg(&input)
            .arg("-o")
            .arg(out);
        if resume {
            c.arg("--resume");
        }
        c.output().unwrap()
    };
    for format in ["csv", "jsonl", "text"] {
        let full = dir.join(format!("full.{format}"));
        assert_eq!(run(format, &full, false).status.code(), Some(1));
        let whole = std::fs::read(&full).unwrap();
        // Cut after 5 rows (the header too, for CSV) and half of the next one.
        let lines: Vec<usize> = whole
            .iter()
            .enumerate()
            .filter(|(_, b)| **b == b'\n')
            .map(|(i, _)| i + 1)
            .collect();
        let rows_at = usize::from(format == "csv");
        let cut_at = lines[rows_at + 4] + 7;
        let part = dir.join(format!("part.{format}"));
        std::fs::write(&part, &whole[..cut_at]).unwrap();
        emu.reset();
        let before = emu.request_count();
        let out = run(format, &part, true);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
        assert!(
            text(&out.stderr).contains("5 of 12 rows already written, looking up the other 7"),
            "{}",
            text(&out.stderr)
        );
        assert_eq!(
            text(&std::fs::read(&part).unwrap()),
            text(&whole),
            "{format}: the finished file is the uncut run's"
        );
        assert_eq!(
            emu.request_count() - before,
            7,
            "{format}: only the rest asked"
        );
        // A complete file is not redone (its exit status still says a row failed).
        let n = emu.request_count();
        let out = run(format, &part, true);
        assert_eq!(out.status.code(), Some(1));
        assert!(
            text(&out.stderr).contains("already has all 12 rows (1 failed); nothing to look up"),
            "{}",
            text(&out.stderr)
        );
        assert_eq!(emu.request_count(), n);
        assert_eq!(std::fs::read(&part).unwrap(), whole);
    }
    // Another input's file is refused and left alone.
    let other = dir.join("other.csv");
    std::fs::write(&other, "chat_id\n20000000\n").unwrap();
    let full = dir.join("full.csv");
    let kept = std::fs::read(&full).unwrap();
    let out = cli_for(&emu)
        .args(["--format", "csv", "--resume", "--from"])
        .arg(&other)
        .arg("-o")
        .arg(&full)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--resume"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(std::fs::read(&full).unwrap(), kept);
    // --resume needs -o.
    let out = cli_for(&emu)
        .args(["--resume", "10000000"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_run_stopped_by_the_quota_resumes_where_it_stopped() {
    let emu = Emulator::start_default().unwrap();
    let dir = temp_dir("resume-quota");
    let input = id_file(&dir, 10);
    let run = |out: &Path, resume: bool| {
        let mut c = cli_for(&emu);
        c.args([
            "--rate-limit",
            "0",
            "--concurrency",
            "1",
            "--format",
            "csv",
            "--from",
        ])
        .arg(&input)
        .arg("-o")
        .arg(out);
        if resume {
            c.arg("--resume");
        }
        c.output().unwrap()
    };
    let full = dir.join("full.csv");
    run(&full, false);
    emu.set_quota(Some(3));
    let cut = dir.join("cut.csv");
    let out = run(&cut, false);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("add --resume"),
        "{}",
        text(&out.stderr)
    );
    emu.set_quota(None);
    let out = run(&cut, true);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert_eq!(std::fs::read(&cut).unwrap(), std::fs::read(&full).unwrap());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn deadline_and_trust_flags_and_messages_name_the_flags() {
    let help = text(&cli().arg("--help").output().unwrap().stdout);
    for want in [
        "--deadline <SECONDS>",
        "[default: 120]",
        "--trust <system|bundled>",
    ] {
        assert!(help.contains(want), "{want} in {help}");
    }
    let emu = Emulator::start_default().unwrap();
    emu.push_faults(Fault::NeverAnswer, 10);
    let out = cli_for(&emu)
        .args(["--deadline", "0.4", "--timeout", "0.3", "10000000"])
        .output()
        .unwrap();
    let row = text(&out.stdout);
    assert!(
        row.contains("GA_ERR_TIMEOUT") && row.contains("(--deadline)") && !row.contains("setting)"),
        "{row}"
    );
    // A server whose certificate nothing trusts: the message names --ca-file.
    let tls = Emulator::start(Config {
        tls: true,
        ..Config::default()
    })
    .unwrap();
    for trust in ["system", "bundled"] {
        let out = cli_for(&tls)
            .args(["--trust", trust, "10000000"])
            .output()
            .unwrap();
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(
            err.contains("GA_ERR_NETWORK")
                && err.contains("(--ca-file)")
                && !err.contains("setting)"),
            "{err}"
        );
    }
    let ca = temp_dir("ca").join("ca.pem");
    std::fs::write(&ca, tls.cert_pem().unwrap()).unwrap();
    let out = cli_for(&tls)
        .arg("--ca-file")
        .arg(&ca)
        .arg("10000000")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = cli_for(&emu)
        .args(["--trust", "none", "1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn csv_cells_a_spreadsheet_would_run_are_neutralised_and_group_ids_stay_ids() {
    let emu = Emulator::start_default().unwrap();
    let input = "chat_id\n=HYPERLINK(\"http://evil/\";\"x\")\n@SUM(1)\n-10000000000000\n";
    let out = run_with_input(
        cli_for(&emu).args(["--from", "-", "--format", "csv", "--delimiter", ","]),
        input.as_bytes(),
    );
    let rows = csv_rows(&out.stdout, b',');
    assert_eq!(rows[1][1], "'=HYPERLINK(\"http://evil/\";\"x\")");
    assert_eq!(rows[2][1], "'@SUM(1)");
    assert_eq!(rows[3][1], "-10000000000000");
    for r in &rows {
        for cell in r {
            assert!(!cell.starts_with(['=', '+', '@', '\t', '\r']), "{cell:?}");
        }
    }
}

#[test]
fn keep_columns_gives_the_sheet_back_with_the_tool_columns_appended() {
    let emu = Emulator::start_default().unwrap();
    let dir = temp_dir("keep");
    // Russian Excel's "CSV" export: Windows-1251, ';'. "Имя;chat_id;Телефон", "Пётр;...", "Анна;..."
    let mut input: Vec<u8> = b"\xc8\xec\xff;chat_id;\xd2\xe5\xeb\xe5\xf4\xee\xed\r\n".to_vec();
    input.extend_from_slice(
        b"\xcf\xb8\xf2\xf0;10000000;+7 900 1\r\n\xc0\xed\xed\xe0;-10000000000000\r\n",
    );
    let f = dir.join("contacts.csv");
    std::fs::write(&f, &input).unwrap();
    let o = dir.join("out.csv");
    let out = cli_for(&emu)
        .args([
            "--format",
            "csv",
            "--keep-columns",
            "--column",
            "chat_id",
            "--from",
        ])
        .arg(&f)
        .arg("-o")
        .arg(&o)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let data = std::fs::read(&o).unwrap();
    let body = data
        .strip_prefix(b"\xef\xbb\xbf")
        .expect("a byte order mark for Excel");
    let rows = csv_rows(body, b';');
    assert_eq!(
        rows[0][..5],
        ["Имя", "chat_id", "Телефон", "line", "chat_id"]
    );
    assert_eq!(
        rows[1][..6],
        ["Пётр", "10000000", "'+7 900 1", "2", "10000000", "GA_OK"]
    );
    assert_eq!(
        rows[2][..6],
        [
            "Анна",
            "-10000000000000",
            "",
            "3",
            "-10000000000000",
            "GA_OK"
        ]
    );
    assert!(rows.iter().all(|r| r.len() == 3 + 7), "{rows:?}");
    // Without an output file and with plain UTF-8 input: no mark; with --no-bom: none either.
    let out = cli_for(&emu)
        .args(["--format", "csv", "10000000"])
        .output()
        .unwrap();
    assert!(out.stdout.starts_with(b"line,"));
    let out = cli_for(&emu)
        .args(["--format", "csv", "--no-bom", "10000000", "-o"])
        .arg(&o)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(std::fs::read(&o).unwrap().starts_with(b"line,"));
    let out = cli_for(&emu)
        .args(["--keep-columns", "10000000"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&dir);
}

#[cfg(unix)]
#[test]
fn the_emulator_command_prints_lines_a_shell_evals_and_keeps_running_in_the_background() {
    let script = format!(
        "set -e; eval \"$('{BIN}' emulator)\"; '{BIN}' 10000000; kill \"$GA_EMULATOR_PID\"; \
         echo \"pid $GA_EMULATOR_PID\""
    );
    let t = Instant::now();
    let out = cli_env_free(Command::new("sh").args(["-c", &script]))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let shown = text(&out.stdout);
    assert!(
        shown.starts_with("10000000\thttp://127.0.0.1:") && shown.contains("/avatars/10000000.png"),
        "{shown}"
    );
    assert!(
        t.elapsed() < Duration::from_secs(10),
        "eval returned at once"
    );
    // The lines themselves: export statements only.
    let mut child = cli()
        .args(["emulator", "--foreground"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let got: Vec<String> = (0..4).map(|_| lines.next().unwrap().unwrap()).collect();
    child.kill().unwrap();
    child.wait().unwrap();
    for (line, var) in got.iter().zip([
        "GA_API_URL",
        "GA_ID_INSTANCE",
        "GA_API_TOKEN_INSTANCE",
        "GA_EMULATOR_PID",
    ]) {
        assert!(line.starts_with(&format!("export {var}=")), "{line}");
    }
    assert!(!got.iter().any(|l| l.contains("GA_TEST_")));
}

#[test]
fn a_formula_after_a_separator_the_file_does_not_use_is_neutralised_too() {
    // Excel opens a double-clicked CSV with the system's list separator: ';' in Russian, German
    // or French Windows, ',' in English. A cell of a ','-file holding "x;=cmd|..." is not quoted
    // (no ','), so such an Excel splits it there and runs "=cmd|...". OWASP: take care of the
    // separators too. Here a server's message (the last column) and a kept input cell.
    let emu = Emulator::start_default().unwrap();
    emu.push_fault(Fault::Status {
        status: 400,
        body: "x;=cmd|' /C calc'!A0+(0".into(),
        headers: vec![],
    });
    let out = cli_for(&emu)
        .args(["--retries", "0", "--format", "csv", "10000000"])
        .output()
        .unwrap();
    // And a link the server chose, ending with its own ';' (so nothing after it on the line
    // would spoil the formula): its separators are percent-encoded, the link still usable.
    emu.set_avatar(
        "10000001",
        "https://x.example/a;=cmd|' /C calc'!A0;",
        Some(true),
    );
    let link = cli_for(&emu)
        .args(["--retries", "0", "--format", "csv", "10000001"])
        .output()
        .unwrap();
    assert!(
        text(&link.stdout).contains("https://x.example/a%3B=cmd|' /C calc'!A0;"),
        "{}",
        text(&link.stdout)
    );
    // And the other way: a ';'-file (Russian Excel's export) read by an English Excel (',').
    let input = "name;chat_id\nIvan,@SUM(1)+cmd|' /C calc'!A0;10000000\nAnna,-5;20000000\n";
    let kept = run_with_input(
        cli_for(&emu).args([
            "--from",
            "-",
            "--column",
            "chat_id",
            "--format",
            "csv",
            "--keep-columns",
        ]),
        input.as_bytes(),
    );
    for data in [&out.stdout, &link.stdout, &kept.stdout] {
        let s = text(data);
        assert!(s.contains("calc"), "{s}");
        // As an Excel with the other separator splits each line (quotes do not help there: the
        // line's first field did not start with one).
        for piece in s.lines().flat_map(|l| l.split([',', ';'])) {
            let number = piece
                .trim_start_matches(['-', '+'])
                .bytes()
                .all(|b| b.is_ascii_digit());
            assert!(
                number || !piece.starts_with(['=', '+', '-', '@']),
                "{piece:?} would be a formula in:\n{s}"
            );
        }
    }
    // A number after a separator stays as it is ("-5" of "Anna,-5").
    assert!(
        text(&kept.stdout).contains("Anna,-5;"),
        "{}",
        text(&kept.stdout)
    );
}

#[test]
fn resume_leaves_a_file_alone_that_is_not_this_tools_output_even_without_a_line_end() {
    // A file of one line with no line end (a note, a one-line JSON file, a binary) held no
    // whole row, so it was taken for a run cut in its first row and emptied.
    let emu = Emulator::start_default().unwrap();
    let dir = temp_dir("resume-foreign");
    for (format, content) in [
        ("text", &b"my notes, one line, no line end"[..]),
        ("jsonl", b"{\"important\":true}"),
        ("csv", b"name,phone"),
        ("csv", b"\xef\xbb\xbfname,phone"),
    ] {
        let f = dir.join("precious");
        std::fs::write(&f, content).unwrap();
        let out = cli_for(&emu)
            .args(["--format", format, "--resume", "-o"])
            .arg(&f)
            .arg("10000000")
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(2),
            "{format}: {}",
            text(&out.stderr)
        );
        assert!(
            text(&out.stderr).contains("left as it is"),
            "{}",
            text(&out.stderr)
        );
        assert_eq!(std::fs::read(&f).unwrap(), content, "{format}");
    }
    // A first row cut short is still redone (text: the id, then part of the rest).
    let f = dir.join("cut");
    std::fs::write(&f, "10000000\thttp://127.0.0.1").unwrap();
    let out = cli_for(&emu)
        .args(["--resume", "-o"])
        .arg(&f)
        .arg("10000000")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let got = std::fs::read_to_string(&f).unwrap();
    assert!(
        got.starts_with("10000000\thttp://") && got.ends_with(".png\n"),
        "{got}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[cfg(unix)]
#[test]
fn output_to_another_hard_link_of_the_input_is_refused() {
    // "--output is the --from file" compared resolved paths only: a second hard link to the
    // input (same file, another name) was emptied and overwritten with the rows.
    let dir = temp_dir("hardlink");
    let input = dir.join("contacts.csv");
    std::fs::write(&input, "chat_id\n10000000\n").unwrap();
    let link = dir.join("contacts-link.csv");
    std::fs::hard_link(&input, &link).unwrap();
    let out = cli()
        .args(["--sandbox", "--format", "csv", "--from"])
        .arg(&input)
        .arg("-o")
        .arg(&link)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("--from file"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(&input).unwrap(),
        "chat_id\n10000000\n"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_locale_chooses_the_language_of_messages_but_not_of_csv_headers() {
    let emu = Emulator::start_default().unwrap();
    // The tool's own message.
    let out = cli().env("LANG", "ru_RU.UTF-8").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).starts_with("getavatar: нет идентификаторов чатов"),
        "{}",
        text(&out.stderr)
    );
    // GA_LANG wins over the locale.
    let out = cli()
        .env("LANG", "ru_RU.UTF-8")
        .env("GA_LANG", "en")
        .output()
        .unwrap();
    assert!(
        text(&out.stderr).starts_with("getavatar: no chat ids"),
        "{}",
        text(&out.stderr)
    );
    // The library's messages follow too; the CSV header and status names do not.
    let run = |lang: &str| {
        cli_for(&emu)
            .env("LC_ALL", lang)
            .args(["--format", "csv", "--no-progress", "abc"])
            .output()
            .unwrap()
    };
    let (ru, en) = (run("ru_RU.UTF-8"), run("C"));
    let (ru, en) = (text(&ru.stdout), text(&en.stdout));
    assert_eq!(ru.lines().next(), en.lines().next(), "the header: {ru}");
    assert!(
        ru.contains("GA_ERR_INVALID_ARGUMENT") && ru.contains("недопустим"),
        "{ru}"
    );
    assert!(
        en.contains("GA_ERR_INVALID_ARGUMENT") && en.contains("is not valid"),
        "{en}"
    );
}

/// The language of a Russian user's terminal.
const RU: &str = "ru_RU.UTF-8";

/// Whether `s` holds Russian letters.
fn cyrillic(s: &str) -> bool {
    s.chars().any(|c| ('\u{400}'..='\u{4ff}').contains(&c))
}

/// Fails when `all` shows 8 characters or more of `token` (any letter case).
fn assert_no_token(all: &str, token: &str, what: &str) {
    let (all, token) = (all.to_lowercase(), token.to_ascii_lowercase());
    for w in token.as_bytes().windows(8) {
        let frag = std::str::from_utf8(w).unwrap();
        assert!(!all.contains(frag), "{what} shows {frag:?}: {all}");
    }
}

#[test]
fn a_resume_mismatch_is_explained_in_russian_and_the_file_left_alone() {
    let emu = Emulator::start_default().unwrap();
    let dir = temp_dir("resume-ru");
    let f = dir.join("links.csv");
    let first = cli_for(&emu)
        .args(["--format", "csv", "-o"])
        .arg(&f)
        .arg("10000000")
        .output()
        .unwrap();
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    let kept = std::fs::read(&f).unwrap();
    // Another input's file; the same file under other columns (--download adds "file").
    let other_ids = ["--format", "csv", "--resume", "20000000"];
    let other_columns = ["--format", "csv", "--resume", "--download", "pics"];
    for (args, want) in [
        (
            &other_ids[..],
            "его строка 1 не соответствует строке ввода 1 (20000000)",
        ),
        (
            &other_columns[..],
            "его заголовок - не столбцы этого запуска",
        ),
    ] {
        let out = cli_for(&emu)
            .current_dir(&dir)
            .env("LANG", RU)
            .args(args)
            .arg("-o")
            .arg(&f)
            .arg("10000000")
            .output()
            .unwrap();
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.starts_with(&format!(
                "getavatar: --resume: {} оставлен как есть: ",
                f.display()
            )) && err.contains(want),
            "{args:?}: {err}"
        );
        assert!(
            !err.contains("is left") && !err.contains("its "),
            "English in: {err}"
        );
        assert_eq!(std::fs::read(&f).unwrap(), kept, "{args:?}");
    }
    // A file that is not this tool's output at all.
    let note = dir.join("note.txt");
    std::fs::write(&note, "my notes, one line, no line end").unwrap();
    let out = cli_for(&emu)
        .env("LC_ALL", RU)
        .args(["--resume", "-o"])
        .arg(&note)
        .arg("10000000")
        .output()
        .unwrap();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("в нём нет ни одной строки, которую пишет эта программа"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn text_rows_are_russian_under_a_russian_locale_while_csv_headers_are_not() {
    let emu = Emulator::start_default().unwrap();
    let dir = temp_dir("rows-ru");
    let pics = dir.join("pics");
    let ids = ["10000000", "20000000", "30000000", "abc"];
    let out = cli_for(&emu)
        .env("LANG", RU)
        .arg("--download")
        .arg(&pics)
        .args(ids)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let rows = text(&out.stdout);
    let lines: Vec<&str> = rows.lines().collect();
    assert_eq!(lines.len(), 4, "{rows}");
    let saved = format!("\tсохранено в {}", pics.join("10000000.png").display());
    assert!(
        lines[0].starts_with("10000000\thttp://") && lines[0].ends_with(&saved),
        "{rows}"
    );
    assert_eq!(
        lines[1],
        "20000000\tнет аватара (не установлен, или такого аккаунта нет)"
    );
    assert_eq!(
        lines[2],
        "30000000\tнет аватара (скрыт настройками приватности пользователя)"
    );
    assert!(
        lines[3].starts_with("abc\tошибка GA_ERR_INVALID_ARGUMENT: ") && cyrillic(lines[3]),
        "{rows}"
    );
    for english in ["no avatar", "saved ", "\terror "] {
        assert!(!rows.contains(english), "{english} in:\n{rows}");
    }
    // The same rows in English under the C locale.
    let en = text(
        &cli_for(&emu)
            .env("LANG", "C")
            .args(ids)
            .output()
            .unwrap()
            .stdout,
    );
    assert!(
        en.contains("20000000\tno avatar (none set")
            && en.contains("30000000\tno avatar (hidden")
            && en.contains("abc\terror GA_ERR_INVALID_ARGUMENT: "),
        "{en}"
    );
    // CSV and JSON: the same header and keys in both languages (machines read them).
    for format in ["csv", "jsonl"] {
        let run = |lang: &str| {
            let out = cli_for(&emu)
                .env("LANG", lang)
                .args(["--format", format, "--download"])
                .arg(&pics)
                .args(ids)
                .output()
                .unwrap();
            text(&out.stdout)
        };
        let (ru, en) = (run(RU), run("C"));
        if format == "csv" {
            assert_eq!(
                ru.lines().next().unwrap(),
                "line,chat_id,status,http_status,url,available,file,error"
            );
            assert_eq!(ru.lines().next(), en.lines().next());
        } else {
            let keys = |s: &str| -> Vec<Vec<String>> {
                jsonl(s.as_bytes())
                    .iter()
                    .map(|v| v.as_object().unwrap().keys().cloned().collect())
                    .collect()
            };
            assert_eq!(keys(&ru), keys(&en));
        }
        // Only the error text differs (the library's message); statuses stay.
        assert!(
            ru.contains("GA_ERR_INVALID_ARGUMENT") && !ru.contains("нет аватара"),
            "{ru}"
        );
    }
    // A Russian text file is resumed under another locale, its failed row counted as failed.
    let f = dir.join("links.txt");
    let out = cli_for(&emu)
        .env("LANG", RU)
        .args(["abc", "10000000", "-o"])
        .arg(&f)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let out = cli_for(&emu)
        .env("LANG", "C")
        .args(["abc", "10000000", "--resume", "-o"])
        .arg(&f)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("already has all 2 rows (1 failed)"),
        "{}",
        text(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The long options a help text names.
fn flags_in(help: &str) -> std::collections::BTreeSet<String> {
    help.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .filter(|w| w.starts_with("--") && w.len() > 2)
        .map(str::to_string)
        .collect()
}

#[test]
fn help_is_russian_under_a_russian_locale_names_every_flag_and_english_under_c() {
    for args in [
        &["--help"][..],
        &["-h"],
        &["emulator", "--help"],
        &["emulator", "-h"],
    ] {
        let run = |lang: &str| {
            let out = cli().env("LANG", lang).args(args).output().unwrap();
            assert_eq!(out.status.code(), Some(0), "{args:?}");
            assert!(out.stderr.is_empty(), "{args:?}: {}", text(&out.stderr));
            text(&out.stdout)
        };
        let (ru, en) = (run(RU), run("C"));
        assert!(
            ru.contains("Использование: getavatar")
                && ru.contains("Параметры:")
                && ru.contains("Показать справку"),
            "{args:?}:\n{ru}"
        );
        for english in [
            "Usage:",
            "Options:",
            "Print help",
            "[default:",
            "possible values",
        ] {
            assert!(!ru.contains(english), "{args:?}: {english} in:\n{ru}");
            // clap's words are English under the C locale.
            if english != "possible values" {
                assert!(en.contains(english), "{args:?}: no {english} in:\n{en}");
            }
        }
        assert!(!cyrillic(&en), "{args:?}:\n{en}");
        // Every flag the English help names, the Russian one names too.
        let (ru_flags, en_flags) = (flags_in(&ru), flags_in(&en));
        let missing: Vec<&String> = en_flags.difference(&ru_flags).collect();
        assert!(missing.is_empty(), "{args:?}: {missing:?} not in:\n{ru}");
        assert!(en_flags.contains("--help"), "{en_flags:?}");
    }
    // The top help: the headings of the flags and the text after them.
    let ru = text(&cli().env("LANG", RU).arg("--help").output().unwrap().stdout);
    for want in [
        "Ввод:",
        "Вывод:",
        "Подключение:",
        "Настройки:",
        "Команды:",
        "[по умолчанию: text]",
        "Код выхода:",
        "--from <ФАЙЛ|->",
        "GA_API_TOKEN_INSTANCE",
    ] {
        assert!(ru.contains(want), "{want} not in:\n{ru}");
    }
    // GA_LANG wins over the locale for --help too; the parsing is the same in both.
    let en = text(
        &cli()
            .env("LANG", RU)
            .env("GA_LANG", "en")
            .arg("-h")
            .output()
            .unwrap()
            .stdout,
    );
    assert!(en.starts_with("Looks up avatar links"), "{en}");
    let out = cli()
        .env("LANG", RU)
        .args(["--sandbox", "--format", "csv", "--no-progress", "10000000"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).starts_with("line,chat_id,status"));
}

#[test]
fn the_token_never_shows_in_russian_output() {
    let emu = Emulator::start_default().unwrap();
    let token = emu.token();
    let dir = temp_dir("secret-ru");
    // The token given as a chat id: the row says so in Russian without quoting it.
    let out = cli_for(&emu).env("LANG", RU).arg(&token).output().unwrap();
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(all.contains("\tошибка GA_ERR_INVALID_ARGUMENT: "), "{all}");
    assert_no_token(&all, &token, "a text row");
    // A --resume refusal names the input's id: masked as the row would be.
    let f = dir.join("links.txt");
    std::fs::write(&f, "20000000\thttp://127.0.0.1/a.png\n").unwrap();
    let out = cli_for(&emu)
        .env("LANG", RU)
        .args(["--resume", "-o"])
        .arg(&f)
        .arg(&token)
        .output()
        .unwrap();
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(2), "{all}");
    assert!(all.contains("не соответствует строке ввода 1"), "{all}");
    assert_no_token(&all, &token, "a --resume refusal");
    // A wrong token stops the run: the Russian message does not quote it.
    let wrong = "0123456789abcdef0123456789abcdef";
    let out = cli_for(&emu)
        .env("LANG", RU)
        .env("GA_API_TOKEN_INSTANCE", wrong)
        .args(["10000000", "20000000"])
        .output()
        .unwrap();
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(all.contains("остановлено на строке"), "{all}");
    assert_no_token(&all, wrong, "a stopped run");
    // A token file that is not one: named, never quoted.
    let tf = dir.join("token");
    std::fs::write(&tf, format!("{token}\n").repeat(200)).unwrap();
    let out = cli()
        .env("LANG", RU)
        .args([
            "--api-url",
            "http://127.0.0.1:9",
            "--id-instance",
            "1",
            "--token-file",
        ])
        .arg(&tf)
        .arg("10000000")
        .output()
        .unwrap();
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(2), "{all}");
    assert!(all.contains("файл токена") && all.contains("байт"), "{all}");
    assert_no_token(&all, &token, "a token file error");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_file_with_a_masked_id_resumes_under_the_other_language() {
    // A token-like id is written masked ("<11 letters and digits>"), and the mask is worded in
    // the language of the run that wrote it: a run in the other language still knows the row.
    let emu = Emulator::start_default().unwrap();
    let dir = temp_dir("resume-mask-lang");
    let ids = dir.join("ids.txt");
    std::fs::write(&ids, "10000000\nabc12345678\n20000000\n").unwrap();
    for format in ["text", "csv", "jsonl"] {
        for (first, then) in [(RU, "C"), ("C", RU)] {
            let f = dir.join(format!("out-{format}"));
            let _ = std::fs::remove_file(&f);
            let run = |lang: &str, resume: bool| {
                let mut c = cli_for(&emu);
                c.env("LANG", lang)
                    .args(["--no-progress", "--format", format, "--from"])
                    .arg(&ids)
                    .arg("-o")
                    .arg(&f);
                if resume {
                    c.arg("--resume");
                }
                c.output().unwrap()
            };
            assert_eq!(run(first, false).status.code(), Some(1));
            let whole = std::fs::read(&f).unwrap();
            // Cut inside the last row: two whole rows are kept, the third is asked again.
            std::fs::write(&f, &whole[..whole.len() - 5]).unwrap();
            let out = run(then, true);
            assert_eq!(
                out.status.code(),
                Some(1),
                "{format} {first} then {then}: {}",
                text(&out.stderr)
            );
            // The rows kept are as written; the row asked again is in the resuming language.
            let (after, whole) = (text(&std::fs::read(&f).unwrap()), text(&whole));
            let (a, w): (Vec<&str>, Vec<&str>) = (after.lines().collect(), whole.lines().collect());
            assert_eq!(a.len(), w.len(), "{format}: {after}");
            assert_eq!(a[..a.len() - 1], w[..w.len() - 1], "{format}: {after}");
            assert!(a[a.len() - 1].contains("20000000"), "{format}: {after}");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_token_given_to_column_or_delimiter_is_not_echoed() {
    // The token pasted after the wrong flag: the tool's refusal quotes the value, masked as the
    // library masks input it quotes (`<50 letters and digits>`), in either language.
    let emu = Emulator::start_default().unwrap();
    let token = emu.token();
    let dir = temp_dir("tok-flags");
    let f = dir.join("ids.csv");
    std::fs::write(&f, "chat_id\n10000000\n").unwrap();
    for lang in ["C", RU] {
        for args in [
            vec!["--column", token.as_str()],
            vec!["--column", token.as_str(), "--no-header"],
            vec!["--delimiter", token.as_str()],
        ] {
            let out = cli_for(&emu)
                .env("LANG", lang)
                .arg("--from")
                .arg(&f)
                .args(&args)
                .output()
                .unwrap();
            assert_eq!(out.status.code(), Some(2), "{args:?}");
            let err = text(&out.stderr);
            assert!(err.contains("<50 "), "{lang} {args:?}: {err}");
            assert_no_token(&err, &token, &format!("{lang} {args:?}"));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_token_given_to_a_flag_clap_checks_is_not_echoed() {
    // clap quotes the value it refuses ("invalid value '...' for '--timeout'"): the token pasted
    // there is masked in its error too, which stays clap's otherwise (exit 2, standard error).
    let emu = Emulator::start_default().unwrap();
    let token = emu.token();
    let eq = format!("--timeout={token}");
    let flag = format!("--{token}");
    for lang in ["C", RU] {
        for args in [
            vec!["--timeout", token.as_str()],
            vec![eq.as_str()],
            vec!["--rate-limit", token.as_str()],
            vec!["--format", token.as_str()],
            vec![flag.as_str()],
            vec!["emulator", "--port", token.as_str()],
        ] {
            let mut c = cli_for(&emu);
            c.env("LANG", lang).args(&args);
            if args[0] != "emulator" {
                c.arg("10000000");
            }
            let out = c.output().unwrap();
            let err = text(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
            assert!(
                err.starts_with("error: ") && err.contains("<50 "),
                "{lang} {args:?}: {err}"
            );
            assert_no_token(&err, &token, &format!("{lang} {args:?}"));
        }
    }
}
