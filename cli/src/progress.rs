//! The progress bar on standard error: count, rate, time left, failures so far and the pace the
//! client settled at (it learns the server's rate from its 429s). Shown only when standard error
//! is a terminal.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

/// A progress bar, or nothing.
pub struct Progress(Option<ProgressBar>);

impl Progress {
    /// A bar for `len` lookups when `wanted` and standard error is a terminal.
    pub fn new(len: usize, wanted: bool) -> Progress {
        if !wanted || len == 0 || !std::io::stderr().is_terminal() {
            return Progress(None);
        }
        let left = crate::messages::Msg::EtaLeft.text();
        let per_second = crate::messages::Msg::PerSecond.text();
        let style = ProgressStyle::with_template(&format!(
            "{{pos}}/{{len}} [{{wide_bar}}] {{rate}}, {left}, {{msg}}"
        ))
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .with_key(
            "rate",
            move |s: &ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = write!(w, "{:.1}{per_second}", s.per_sec());
            },
        )
        .progress_chars("=> ");
        let bar = ProgressBar::with_draw_target(Some(len as u64), ProgressDrawTarget::stderr())
            .with_style(style)
            .with_message(crate::messages::Msg::Progress { failed: 0 }.text());
        bar.enable_steady_tick(Duration::from_millis(250));
        Progress(Some(bar))
    }

    /// One more lookup done; `failed` so far; the client's pace now (`Client::rate`).
    pub fn step(&self, failed: usize, pace: f64) {
        if let Some(b) = &self.0 {
            b.inc(1);
            let m = crate::messages::Msg::Progress { failed }.text();
            b.set_message(format!("{m}, {}", shown(pace)));
        }
    }

    /// Runs `f` (which writes to the terminal) with the bar out of the way.
    pub fn suspend<T>(&self, f: impl FnOnce() -> T) -> T {
        match &self.0 {
            Some(b) => b.suspend(f),
            None => f(),
        }
    }

    /// Replaces the bar with a summary line: `done` rows written, `failed` of them failed, the
    /// pace the client settled at.
    pub fn finish(&self, done: usize, failed: usize, pace: f64) {
        if let Some(b) = &self.0 {
            let secs = b.elapsed().as_secs_f64();
            b.finish_and_clear();
            let secs = format!("{secs:.1}");
            let m = crate::messages::Msg::Summary { done, secs, failed }.text();
            eprintln!("{m}, {}", shown(pace));
        }
    }
}

/// The client's pace as the bar shows it: "paced at 3/s", or "unpaced" (rate limit 0, no 429).
fn shown(pace: f64) -> String {
    if pace > 0.0 {
        crate::messages::Msg::Paced { rate: pace }.text()
    } else {
        crate::messages::Msg::Unpaced.text()
    }
}
